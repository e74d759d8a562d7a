import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inputsFromFiles } from '../verify-stored.js';
import { tempDir } from '../../ryde/testing/fixtures.js';
import { embeddedTestDb, serverTestDb } from '../../testing/databases.js';
import { Catalog } from '../catalog.js';
import { agentKeys, sampleXml, sealXml, sealedFiles } from '../testing/deposits.js';
import type { DepositInput } from './stage.js';
import { batchCopyText, batchRows, copyText, inMemory, KNOWN_MAX, throughCatalog, type RefKind, type RefRow } from './references.js';
import { readDepositBatches } from '../../reader/index.js';
import { reportText, verifyDeposit, type VerifyOptions } from './verify.js';

function inputOf(files: string[]): DepositInput {
  return inputsFromFiles(files)[0]!;
}

/** A domain object for a DIFF's contents (RFC 9022 §5.1.2), naming `hosts` as its name servers. */
function domainXml(name: string, hosts: string[]): string {
  return `<rdeDom:domain>
      <rdeDom:name>${name}</rdeDom:name>
      <rdeDom:roid>D${name.split('.')[0]}-TEST</rdeDom:roid>
      <rdeDom:status s="ok"/>
      <rdeDom:registrant>jd1234</rdeDom:registrant>
      <rdeDom:contact type="admin">sh8013</rdeDom:contact>
      <rdeDom:ns>${hosts.map((host) => `<domain:hostObj>${host}</domain:hostObj>`).join('')}</rdeDom:ns>
      <rdeDom:clID>RegistrarX</rdeDom:clID>
      <rdeDom:crDate>2010-10-18T22:00:00.0Z</rdeDom:crDate>
      <rdeDom:exDate>2015-10-18T22:00:00.0Z</rdeDom:exDate>
    </rdeDom:domain>`;
}

/** The RFC sample DIFF with `deletes` in place of its one delete and `objects` after its header. */
function diffXml(date: string, id: string, prevId: string, deletes: string, objects: string): string {
  return sampleXml({
    type: 'DIFF',
    date,
    id,
    prevId,
    mutate: (xml) => xml.replace(/<rdeDom:delete>[\s\S]*?<\/rdeDom:delete>/, deletes).replace('</rdeHeader:header>', `</rdeHeader:header>\n    ${objects}`),
  });
}

test("a DIFF's references resolve against the kept chain (FULL + earlier DIFFs) minus deletes, plus its own contents", async (t) => {
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  const dir = tempDir(t, 'sr-agent-chain-refs-');
  const keys = await agentKeys(dir);
  const catalog = new Catalog(server.db);
  const seal = async (label: string, date: string, type: 'full' | 'diff', xml: string) => inputOf(sealedFiles(await sealXml(keys.keys, join(dir, label), { tld: 'test', date, type }, xml)));
  const full = await seal('full', '2010-10-17', 'full', sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  // 10-18 deletes the out-of-zone host ns1.example.com (by name) and example2.test.
  const deleteHost = '<rdeHost:delete><rdeHost:name>NS1.example.com</rdeHost:name></rdeHost:delete><rdeDom:delete><rdeDom:name>example2.test</rdeDom:name></rdeDom:delete>';
  const diff18 = await seal('diff18', '2010-10-18', 'diff', diffXml('2010-10-18', '20101018001', '20101017001', deleteHost, ''));
  const options: VerifyOptions = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true, catalog, chainBase: async () => [full, diff18] };
  const references = async (label: string, deletes: string, objects: string) => {
    const report = await verifyDeposit(await seal(label, '2010-10-19', 'diff', diffXml('2010-10-19', '20101019001', '20101018001', deletes, objects)), options);
    const stage = report.stages.find((item) => item.id === 'references')!;
    return { report, status: stage.status, found: report.findings.filter((finding) => finding.stage === 'references').map((finding) => [finding.code, finding.object, finding.message]) };
  };

  // A host, a contact and a registrar that exist only in the FULL: resolved.
  const inFull = await references('in-full', '', domainXml('example3.test', ['ns1.example1.test']));
  assert.equal(inFull.status, 'PASS', reportText(inFull.report));
  assert.deepEqual(inFull.found, []);
  assert.equal(inFull.report.status, 'PASS', reportText(inFull.report));

  // A host deleted by an earlier DIFF of the chain: dangling.
  const deleted = await references('deleted', '', domainXml('example3.test', ['ns1.example.com']));
  assert.equal(deleted.status, 'FAIL');
  assert.deepEqual(deleted.found, [['RDE_DOMAIN_HAS_MISSING_NAMESERVER', 'example3.test', 'domain example3.test: hostObj "ns1.example.com" names no host object in the deposit or the chain it builds on']]);
  assert.equal(deleted.report.status, 'FAIL');

  // … unless this DIFF brings it back; a host this DIFF itself deletes (by roid) is dangling;
  // a domain of the chain replaced by this DIFF is not a duplicate, one given twice is.
  const hostBack = `<rdeHost:host><rdeHost:name>ns1.example.com</rdeHost:name><rdeHost:roid>Hns1_example_com-TEST</rdeHost:roid><rdeHost:status s="ok"/><rdeHost:clID>RegistrarX</rdeHost:clID><rdeHost:crRr>RegistrarX</rdeHost:crRr><rdeHost:crDate>1999-05-08T12:10:00.0Z</rdeHost:crDate></rdeHost:host>`;
  const back = await references('back', '', `${hostBack}\n${domainXml('example1.test', ['ns1.example.com', 'ns1.example1.test'])}`);
  assert.deepEqual([back.status, back.found], ['PASS', []], reportText(back.report));
  const own = await references(
    'own-delete',
    '<rdeHost:delete><rdeHost:roid>Hns1_example_test-TEST</rdeHost:roid></rdeHost:delete>',
    `${domainXml('example3.test', ['ns1.example1.test'])}\n${domainXml('example3.test', ['ns1.example1.test'])}`,
  );
  assert.deepEqual(
    own.found.map(([code, object]) => [code, object]),
    [
      ['RDE_DOMAIN_HAS_MISSING_NAMESERVER', 'example3.test'],
      ['RDE_DOMAIN_HAS_MISSING_NAMESERVER', 'example3.test'],
      ['RDE_DOMAIN_HAS_NON_UNIQUE_NAME', 'example3.test'],
      ['RDE_DOMAIN_HAS_NON_UNIQUE_ROID', 'Dexample3-TEST'],
    ],
    reportText(own.report),
  );

  // A link of the chain that no longer verifies: the DIFF's references are NOT RUN and block a PASS.
  writeFileSync(diff18.parts[0]!.ryde, Buffer.from('not the sealed deposit'));
  const broken = await references('broken-chain', '', domainXml('example3.test', ['ns1.example1.test']));
  const stage = broken.report.stages.find((item) => item.id === 'references')!;
  assert.deepEqual([stage.status, stage.blocking], ['NOT RUN', true]);
  assert.match(stage.reason!, /test_2010-10-18_diff_R0, a link of the chain this DIFF builds on, no longer verifies/);
  assert.equal(broken.report.status, 'ERROR');

  // No FULL in the chain: nothing to resolve against, NOT RUN (blocking).
  const noBase = await verifyDeposit(await seal('no-base', '2010-10-19', 'diff', diffXml('2010-10-19', '20101019001', '20101018001', '', '')), { ...options, chainBase: async () => [] });
  assert.deepEqual([noBase.stages.find((item) => item.id === 'references')!.status, noBase.status], ['NOT RUN', 'ERROR']);
});

test('references through the catalog: uses resolved on arrival (any bound on the known ids) find exactly what the in-memory check finds, on PGlite and the server', async (t) => {
  // Forward references (a use before its definition), dangling ones, an NNDN conflict, duplicates, an escaped id.
  const d = (kind: RefKind, id: string): RefRow => ({ role: 'd', kind, id, code: `DUP_${kind}`, obj: `${kind} ${id}`, field: 'id' });
  const u = (kind: RefKind, id: string, obj: string, field: string): RefRow => ({ role: 'u', kind, id, code: `MISSING_${kind}`, obj, field });
  const batches: RefRow[][] = [
    [u('registrar', 'rr1', 'contact c1', 'clID'), u('registrar', 'rr9', 'contact c1', 'upRr')],
    [d('registrar', 'rr1'), d('registrar', 'rr2'), d('registrar', 'rr2')],
    [d('contact', 'c1'), d('contact', 'c\\2\t'), d('contact-roid', 'R1'), d('contact-roid', 'R1'), u('registrar', 'rr1', 'contact c\\2\t', 'clID')],
    [d('host', 'ns1.test'), u('registrar', 'rr2', 'host ns1.test', 'clID'), u('registrar', 'rr3', 'host ns1.test', 'upRr')],
    [d('domain', 'a.test'), u('contact', 'c1', 'domain a.test', 'registrant'), u('contact', 'c\\2\t', 'domain a.test', 'contact type=admin'), u('host', 'ns1.test', 'domain a.test', 'hostObj'), u('host', 'ns2.test', 'domain a.test', 'hostObj'), u('idn', 'latn', 'domain a.test', 'idnTableId')],
    [d('domain', 'b.test'), d('domain', 'b.test'), u('contact', 'c3', 'domain b.test', 'registrant'), u('host', 'ns3.test', 'domain b.test', 'hostObj')],
    [d('idn', 'latn'), d('nndn', 'a.test'), { role: 'c', kind: 'domain', id: 'a.test', code: 'CONFLICT', obj: 'NNDN a.test', field: 'aName' }],
    [d('nndn', 'z.test'), { role: 'c', kind: 'domain', id: 'z.test', code: 'CONFLICT', obj: 'NNDN z.test', field: 'aName' }],
  ];
  const rows = async function* (): AsyncGenerator<RefRow[]> {
    for (const batch of batches) yield batch;
  };
  const expected = await inMemory(rows());
  assert.ok(!('notRun' in expected));
  assert.deepEqual(
    expected.broken.map((row) => [row.kind, row.id, row.obj, row.field]),
    [
      ['contact', 'c3', 'domain b.test', 'registrant'],
      ['domain', 'a.test', 'NNDN a.test', 'aName'],
      ['host', 'ns2.test', 'domain a.test', 'hostObj'],
      ['host', 'ns3.test', 'domain b.test', 'hostObj'],
      ['registrar', 'rr3', 'host ns1.test', 'upRr'],
      ['registrar', 'rr9', 'contact c1', 'upRr'],
    ],
  );
  assert.deepEqual(expected.duplicates.map((row) => [row.kind, row.id, row.n]), [['contact-roid', 'R1', 2], ['domain', 'b.test', 2], ['registrar', 'rr2', 2]]);
  const server = await serverTestDb(t, { migrate: false });
  const embedded = await embeddedTestDb(t, { migrate: false });
  for (const [label, db] of [['server', server?.db], ['PGlite', embedded.db]] as const) {
    if (!db) continue;
    for (const knownMax of [0, 1, 3, KNOWN_MAX]) {
      const outcome = await throughCatalog(new Catalog(db), rows(), undefined, knownMax);
      assert.deepEqual(outcome, expected, `${label}, at most ${knownMax} known ids`);
    }
  }
});

test('references: the semantic worker’s COPY text (batchCopyText) is copyText(batchRows(…)) piece for piece', async () => {
  const full = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' });
  // Every object twice (duplicates, uses after their definitions), a tab and a backslash in a name (COPY escapes).
  const doubled = full.replace(/(<rde:contents>)([\s\S]*)(<\/rde:contents>)/, (_m, open: string, body: string, close: string) => `${open}${body}${body}${close}`);
  const escaped = full.replace(/<domain:name>([^<]*)<\/domain:name>/, '<domain:name>$1&#9;x\\y</domain:name>');
  const diff = sampleXml({ type: 'DIFF', date: '2010-10-18', id: '20101018001', prevId: '20101017001' });
  const pieces = async (texts: AsyncIterable<string>): Promise<string[]> => {
    const out: string[] = [];
    for await (const text of texts) out.push(text);
    return out;
  };
  let compared = 0;
  for (const [name, xml, isDiff] of [['full', full, false], ['doubled', doubled, false], ['escaped', escaped, false], ['diff', diff, true]] as const) {
    for (const thin of [false, true]) {
      for (const knownMax of [0, 3, KNOWN_MAX]) {
        const batches = () => readDepositBatches((async function* () { yield Buffer.from(xml); })(), { file: name, lean: true })[Symbol.asyncIterator]();
        const a = batches();
        const expected = await pieces(copyText(batchRows(await a.next(), a, thin, isDiff), knownMax));
        const b = batches();
        const actual = await pieces(batchCopyText(await b.next(), b, thin, isDiff, knownMax));
        assert.deepEqual(actual, expected, `${name} thin=${thin} knownMax=${knownMax}`);
        assert.ok(expected.join('').includes('\t'), `${name}: rows were made`);
        compared++;
      }
    }
  }
  assert.equal(compared, 24);
});
