import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isStrongroomError, type StrongroomError } from '../common/errors.js';
import { registryObjects } from '../generate/generate.js';
import { Plan, type GenerateOptions } from '../generate/plan.js';
import { OBJECT_URI } from '../model/namespaces.js';
import type { DepositEnvelope, Header, RdeDelete, RdeObject } from '../model/objects.js';
import { depositXml } from '../testing/deposit-xml.js';
import { SAMPLES_DIR } from '../testing/paths.js';
import { readDeposit, type DepositEvent } from './index.js';

const WATERMARK = '2025-01-05T00:00:00Z';

interface Read {
  envelope: DepositEnvelope;
  objects: RdeObject[];
  deletes: RdeDelete[];
  end: Extract<DepositEvent, { type: 'end' }>;
}

async function readAll(input: AsyncIterable<Buffer | string> | string, file?: string): Promise<Read> {
  const source = typeof input === 'string' ? Readable.from([Buffer.from(input)]) : input;
  let envelope: DepositEnvelope | undefined;
  const objects: RdeObject[] = [];
  const deletes: RdeDelete[] = [];
  let end: Read['end'] | undefined;
  const order: string[] = [];
  for await (const event of readDeposit(source, file ? { file } : {})) {
    order.push(event.type);
    if (event.type === 'deposit') envelope = event.envelope;
    else if (event.type === 'object') objects.push(event.object);
    else if (event.type === 'delete') deletes.push(event.delete);
    else end = event;
  }
  assert.equal(order[0], 'deposit', 'the envelope comes first');
  assert.equal(order.at(-1), 'end', 'end comes last');
  return { envelope: envelope!, objects, deletes, end: end! };
}

async function readError(xml: string): Promise<StrongroomError> {
  try {
    await readAll(xml, 'test.xml');
  } catch (err) {
    if (isStrongroomError(err)) return err;
    throw err;
  }
  assert.fail('the reader accepted a broken deposit');
}

/** The generator's objects (writer input), plus a header, as the model types. */
function generated(options: GenerateOptions): RdeObject[] {
  const objects: RdeObject[] = [];
  for (const o of registryObjects(new Plan(options))) {
    objects.push(o.kind === 'domain' ? { kind: 'domain', value: o.value } : o);
  }
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(OBJECT_URI[o.kind], (counts.get(OBJECT_URI[o.kind]) ?? 0) + 1);
  const header: Header = { tld: options.tld, count: [...counts].map(([uri, count]) => ({ uri, count })) };
  objects.push({ kind: 'header', value: header });
  return objects;
}

/** Plain data (no undefined properties, no prototypes) for deep comparison. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value)) as unknown;

for (const hostModel of ['objects', 'attributes'] as const) {
  test(`reading what the writer serialised gives back the writer's input (generated registry with every edge case, host ${hostModel})`, async () => {
    const options: GenerateOptions = { tld: hostModel === 'objects' ? 'example' : 'xn--q9jyb4c', domains: 120, seed: `reader-${hostModel}`, hostModel, asOf: WATERMARK };
    const objects = generated(options);
    const xml = depositXml(objects, { watermark: WATERMARK, id: '20250105001' });
    const read = await readAll(xml);
    assert.deepEqual(read.envelope, {
      type: 'FULL',
      id: '20250105001',
      resend: 0,
      watermark: WATERMARK,
      version: '1.0',
      objURI: [...new Set(objects.filter((o) => o.kind !== 'header').map((o) => OBJECT_URI[o.kind]))],
    });
    assert.equal(read.objects.length, objects.length);
    for (let index = 0; index < objects.length; index++) {
      assert.deepStrictEqual(read.objects[index], plain(objects[index]), `object ${index} (${objects[index]!.kind})`);
    }
    assert.equal(read.end.bytes, Buffer.byteLength(xml));
    assert.equal(read.end.counts.domain, 120);
    assert.equal(read.end.deletes, 0);

    // The same bytes one byte at a time (UTF-8 sequences split across chunks) read the same.
    const bytes = Buffer.from(xml);
    const tiny = async function* () {
      for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
    };
    const again = await readAll(tiny());
    assert.deepStrictEqual(again.objects, read.objects);
  });
}

test('example-full.xml (RFC 9022 §14.1): every object with prefixes of its own, pretty-printed values, canonical dates', async () => {
  const file = join(SAMPLES_DIR, 'example-full.xml');
  const read = await readAll(createReadStream(file), file);
  assert.equal(read.envelope.type, 'FULL');
  assert.equal(read.envelope.id, '20101017001');
  assert.equal(read.envelope.prevId, '20101010001');
  assert.equal(read.envelope.watermark, '2010-10-17T00:00:00Z');
  assert.equal(read.envelope.objURI.length, 9);
  const kinds = read.objects.map((o) => o.kind);
  assert.deepEqual(kinds, ['header', 'domain', 'domain', 'host', 'host', 'contact', 'contact', 'registrar', 'idnTable', 'nndn', 'eppParams', 'policy']);
  const byKind = <K extends RdeObject['kind']>(kind: K) => read.objects.filter((o) => o.kind === kind).map((o) => o.value) as Extract<RdeObject, { kind: K }>['value'][];
  const [d1] = byKind('domain');
  assert.deepEqual(d1, {
    name: 'example1.test',
    roid: 'Dexample1-TEST',
    status: [{ s: 'ok' }],
    rgpStatus: [],
    registrant: 'jd1234',
    contact: [
      { type: 'admin', id: 'sh8013' },
      { type: 'tech', id: 'sh8013' },
    ],
    ns: { hostObj: ['ns1.example.com', 'ns1.example1.test'] },
    clID: 'RegistrarX',
    crRr: { id: 'RegistrarX', client: 'jdoe' },
    crDate: '1999-04-03T22:00:00Z',
    exDate: '2015-04-03T22:00:00Z',
  });
  const [h1] = byKind('host');
  assert.deepEqual(h1!.addr, [
    { ip: 'v4', addr: '192.0.2.2' },
    { ip: 'v4', addr: '192.0.2.29' },
    { ip: 'v6', addr: '1080:0:0:0:8:800:200C:417A' },
  ]);
  const [jd, sh] = byKind('contact');
  assert.deepEqual(jd!.voice, { number: '+1.7035555555', ext: '1234' });
  assert.deepEqual(jd!.disclose, { flag: false, name: [], org: [], addr: [], voice: true, fax: false, email: true });
  assert.equal(sh!.postalInfo[0]!.name, 'Sébastien Hüber');
  const [rx] = byKind('registrar');
  assert.equal(rx!.email, 'jdoe@example.test', 'token values lose the pretty-printing');
  assert.deepEqual(rx!.whoisInfo, { name: 'whois.example.test', url: 'http://whois.example.test' });
  assert.equal(rx!.postalInfo[0]!.addr.street[0], '123 Example Dr.\n          ', 'normalizedString values are kept as written');
  assert.deepEqual(byKind('idnTable'), [{ id: 'pt-BR', url: 'http://www.iana.org/domains/idn-tables/tables/br_pt-br_1.0.html', urlPolicy: 'http://example.com/policy.html' }]);
  assert.deepEqual(byKind('nndn'), [{ aName: 'xn--exampl-gva.test', idnTableId: 'pt-BR', originalName: 'example1.test', nameState: 'withheld', crDate: '2005-04-23T11:49:00Z' }]);
  const [epp] = byKind('eppParams');
  assert.deepEqual(epp, {
    version: ['1.0'],
    lang: ['en'],
    objURI: ['urn:ietf:params:xml:ns:domain-1.0', 'urn:ietf:params:xml:ns:host-1.0'],
    extURI: ['urn:ietf:params:xml:ns:rgp-1.0', 'urn:ietf:params:xml:ns:secDNS-1.1'],
    dcp: { access: 'all', statement: [{ purpose: ['admin', 'prov'], recipient: { other: false, ours: [null], public: true, same: false, unrelated: false }, retention: 'stated' }] },
  });
  assert.deepEqual(byKind('policy'), [{ scope: '//rde:deposit/rde:contents/rdeDomain:domain', element: 'rdeDomain:registrant' }]);
  assert.equal(byKind('header')[0]!.count.find((c) => c.uri === OBJECT_URI.domain)?.count, 2);
});

test('example-diff.xml: a DIFF with prevId, its <rde:deletes> entries and the contents', async () => {
  const file = join(SAMPLES_DIR, 'example-diff.xml');
  const read = await readAll(createReadStream(file), file);
  assert.equal(read.envelope.type, 'DIFF');
  assert.equal(read.envelope.id, '20101017002');
  assert.equal(read.envelope.prevId, '20101017001');
  assert.deepEqual(read.deletes, [{ kind: 'domain', name: 'example2.test' }]);
  assert.equal(read.end.deletes, 1);
  assert.deepEqual(read.objects.map((o) => o.kind), ['header']);
});

test('every delete kind of RFC 9022, several keys in one element, hosts by roid and by name', async () => {
  const deletes = [
    '<rdeDomain:delete><rdeDomain:name>a.example</rdeDomain:name><rdeDomain:name> b.example </rdeDomain:name></rdeDomain:delete>',
    '<rdeHost:delete><rdeHost:roid>H1-EX</rdeHost:roid><rdeHost:name>ns1.a.example</rdeHost:name></rdeHost:delete>',
    '<rdeContact:delete><rdeContact:id>c-1</rdeContact:id></rdeContact:delete>',
    '<rdeRegistrar:delete><rdeRegistrar:id>gone</rdeRegistrar:id></rdeRegistrar:delete>',
    '<rdeIDN:delete><rdeIDN:id>de</rdeIDN:id></rdeIDN:delete>',
    '<rdeNNDN:delete><rdeNNDN:aName>x.example</rdeNNDN:aName></rdeNNDN:delete>',
  ];
  const header: RdeObject = { kind: 'header', value: { tld: 'example', count: [{ uri: OBJECT_URI.domain, count: 0 }] } };
  const read = await readAll(depositXml([header], { type: 'DIFF', prevId: '20250104001', watermark: WATERMARK, objURI: [OBJECT_URI.domain], deletes }));
  assert.deepEqual(read.deletes, [
    { kind: 'domain', name: 'a.example' },
    { kind: 'domain', name: 'b.example' },
    { kind: 'host', roid: 'H1-EX' },
    { kind: 'host', name: 'ns1.a.example' },
    { kind: 'contact', id: 'c-1' },
    { kind: 'registrar', id: 'gone' },
    { kind: 'idnTable', id: 'de' },
    { kind: 'nndn', aName: 'x.example' },
  ]);
});

const SMALL = `<?xml version="1.0" encoding="UTF-8"?>
<d:deposit xmlns:d="urn:ietf:params:xml:ns:rde-1.0" type="FULL" id="1">
  <d:watermark>2025-01-05T00:00:00Z</d:watermark>
  <d:rdeMenu><d:version>1.0</d:version><d:objURI>urn:ietf:params:xml:ns:rdeHost-1.0</d:objURI></d:rdeMenu>
  <d:contents>
    <host xmlns="urn:ietf:params:xml:ns:rdeHost-1.0">
      <name>ns1.example.test</name>
      <roid>H1-TEST</roid>
      <status s="ok"/>
      <clID>registrar1</clID>
      HOSTEXTRA
    </host>
  </d:contents>
</d:deposit>`;

test('default namespaces and other prefixes read the same as the usual ones', async () => {
  const read = await readAll(SMALL.replace('HOSTEXTRA', ''));
  assert.deepEqual(read.objects, [{ kind: 'host', value: { name: 'ns1.example.test', roid: 'H1-TEST', status: [{ s: 'ok' }], addr: [], clID: 'registrar1' } }]);
});

test('DOCTYPE and entity declarations are refused before anything is read (XXE, billion laughs)', async () => {
  const laughs = `<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>\n<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" type="FULL" id="1">&lol2;</rde:deposit>`;
  const err = await readError(laughs);
  assert.equal(err.code, 'READER_INVALID_XML');
  assert.match(err.message, /DOCTYPE/);
  assert.match(err.message, /line 2/);
  const xxe = `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>`;
  assert.match((await readError(xxe)).message, /DOCTYPE/);
});

test('errors name the object, the field and the line/column', async () => {
  const badDate = await readError(SMALL.replace('HOSTEXTRA', '<crDate>yesterday</crDate>'));
  assert.equal(badDate.code, 'READER_INVALID_OBJECT');
  assert.match(badDate.message, /^host ns1\.example\.test, crDate \(line 11, column \d+\): "yesterday" is not an RFC 3339 date-time$/);
  assert.equal(badDate.location, 'test.xml:11:7');
  assert.deepEqual(badDate.data, { object: 'host ns1.example.test', field: 'crDate', line: 11, column: 7 });

  const unknown = await readError(SMALL.replace('HOSTEXTRA', '<colour>blue</colour>'));
  assert.match(unknown.message, /^host ns1\.example\.test, colour \(line 11, column \d+\): unexpected element <colour>/);

  const twice = await readError(SMALL.replace('HOSTEXTRA', '<clID>registrar2</clID>'));
  assert.match(twice.message, /clID.*appears 2 times/);

  const missing = await readError(SMALL.replace('<clID>registrar1</clID>', '').replace('HOSTEXTRA', ''));
  assert.match(missing.message, /^host ns1\.example\.test, clID \(line 6, column 5\): required element <clID> is missing$/);

  const badAddr = await readError(SMALL.replace('HOSTEXTRA', '<addr ip="v5">1.2.3.4</addr>'));
  assert.match(badAddr.message, /addr\/@ip.*"v5" is not one of v4, v6/);

  const noName = await readError(SMALL.replace('<name>ns1.example.test</name>', '').replace('HOSTEXTRA', ''));
  assert.match(noName.message, /^host at line 6, name \(line 6/);

  const alien = await readError(SMALL.replace('HOSTEXTRA', '').replace('<d:contents>', '<d:contents><x:thing xmlns:x="urn:example"/>'));
  assert.match(alien.message, /unknown object <x:thing>/);

  const badType = await readError(SMALL.replace('type="FULL"', 'type="WEEKLY"').replace('HOSTEXTRA', ''));
  assert.equal(badType.code, 'READER_INVALID_DEPOSIT');
  assert.match(badType.message, /^deposit, @type \(line 2, column \d+\): "WEEKLY" is not FULL, INCR or DIFF$/);

  const notXml = await readError(SMALL.replace('HOSTEXTRA', '<oops>'));
  assert.equal(notXml.code, 'READER_INVALID_XML');
  assert.match(notXml.message, /not well-formed/);

  const latin1 = await readError(SMALL.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace('HOSTEXTRA', ''));
  assert.match(latin1.message, /must be UTF-8/);

  const wrongRoot = await readError('<deposit type="FULL" id="1"/>');
  assert.match(wrongRoot.message, /not an RFC 8909 <deposit>/);
});

test('invalid UTF-8 is an error, not replacement characters', async () => {
  const bytes = Buffer.concat([Buffer.from(SMALL.replace('HOSTEXTRA', '').slice(0, 300)), Buffer.from([0xc3, 0x28]), Buffer.from(SMALL.slice(300))]);
  await assert.rejects(readAll(Readable.from([bytes])), (err: unknown) => isStrongroomError(err, 'READER_INVALID_XML') && /not valid UTF-8/.test(err.message));
});

test('the reader streams: it pulls input only as objects are consumed (bounded memory at any size)', async () => {
  const head = (await readFile(join(SAMPLES_DIR, 'example-full.xml'), 'utf8')).split('<rde:contents>')[0]!;
  const count = 20_000;
  let produced = 0;
  async function* big() {
    yield `${head}<rde:contents>`;
    for (let i = 0; i < count; i++) {
      produced++;
      yield `<rdeHost:host><rdeHost:name>ns${i}.example.test</rdeHost:name><rdeHost:roid>H${i}-TEST</rdeHost:roid><rdeHost:status s="ok"/><rdeHost:addr ip="v4">192.0.2.${i % 250}</rdeHost:addr><rdeHost:clID>RegistrarX</rdeHost:clID></rdeHost:host>\n`;
    }
    yield '</rde:contents></rde:deposit>';
  }
  let seen = 0;
  let maxAhead = 0;
  for await (const event of readDeposit(big())) {
    if (event.type !== 'object') continue;
    seen++;
    maxAhead = Math.max(maxAhead, produced - seen);
  }
  assert.equal(seen, count);
  // One input chunk (here: one host) is parsed per step, so the reader never runs ahead.
  assert.ok(maxAhead <= 1, `the reader ran ${maxAhead} objects ahead of its consumer`);
});
