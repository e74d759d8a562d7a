import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { SAMPLES_DIR } from '../../testing/paths.js';
import { checkStructure, checkStructureText, STRUCTURE_CODES } from './checker.js';

const sample = (name: string) => readFile(join(SAMPLES_DIR, name), 'utf8');

const codes = (r: { findings: { code: string }[] }) => r.findings.map((f) => f.code);

test('a DOCTYPE is refused as a parse error, even without entities', async () => {
  const full = await sample('example-full.xml');
  const withDoctype = full.replace('<rde:deposit', '<!DOCTYPE rde:deposit>\n<rde:deposit');
  const r = await checkStructureText(withDoctype);
  assert.deepEqual(codes(r), [STRUCTURE_CODES.parse]);
  assert.match(r.findings[0]!.message, /DOCTYPE/);
  assert.equal(r.wellFormed, false);
});

test('entity declarations are never expanded: a billion-laughs document is refused without blowing up', async () => {
  const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" type="FULL" id="1"><rde:watermark>&lol3;</rde:watermark></rde:deposit>`;
  const r = await checkStructureText(lol);
  assert.ok(r.findings.length >= 1 && r.findings.every((f) => f.code === STRUCTURE_CODES.parse), JSON.stringify(r.findings));
  assert.ok(r.findings.some((f) => /DOCTYPE/.test(f.message)));
  assert.ok(r.findings.some((f) => /entity/i.test(f.message)), 'the undefined entity reference is reported too');
});

test('not well-formed, not UTF-8, or declared in another encoding: RDE_XML_PARSE_ERROR with a line', async () => {
  const full = await sample('example-full.xml');
  const broken = await checkStructureText(full.replace('<rdeDom:clID>RegistrarX</rdeDom:clID>', '<rdeDom:clID>RegistrarX</rdeDom:clid>'));
  assert.equal(broken.findings[0]!.code, STRUCTURE_CODES.parse);
  assert.equal(broken.findings[0]!.line, 67);
  assert.equal(broken.wellFormed, false);

  const latin1 = Buffer.concat([Buffer.from('<?xml version="1.0"?><rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0">'), Buffer.from([0xe9]), Buffer.from('</rde:deposit>')]);
  const bad = await checkStructure(Readable.from([latin1]));
  assert.deepEqual(codes(bad), [STRUCTURE_CODES.parse]);
  assert.match(bad.findings[0]!.message, /UTF-8/);

  const declared = await checkStructureText('<?xml version="1.0" encoding="ISO-8859-1"?><x/>');
  assert.ok(declared.findings.some((f) => f.code === STRUCTURE_CODES.parse && /ISO-8859-1/.test(f.message)));

  const empty = await checkStructureText('');
  assert.deepEqual(codes(empty), [STRUCTURE_CODES.parse]);
});

test('prefixes do not matter: default namespaces and unusual prefixes validate the same', async () => {
  const full = await sample('example-full.xml');
  const renamed = full.replace(/rdeDom:/g, 'd:').replace(/xmlns:rdeDom=/, 'xmlns:d=').replace(/rdeHost:/g, 'zz9:').replace(/xmlns:rdeHost=/, 'xmlns:zz9=');
  assert.equal((await checkStructureText(renamed)).errors, 0);
  // rdeRegistrar as the default namespace, declared on the object itself.
  const defaulted = full.replace(/<rdeRegistrar:registrar>[\s\S]*<\/rdeRegistrar:registrar>/, (m) =>
    m.replace(/rdeRegistrar:/g, '').replace('<registrar>', '<registrar xmlns="urn:ietf:params:xml:ns:rdeRegistrar-1.0">'),
  );
  assert.notEqual(defaulted, full);
  assert.equal((await checkStructureText(defaulted)).errors, 0);
  // The same local name in another namespace is a different element.
  const wrongNs = full.replace('xmlns:rdeDom="urn:ietf:params:xml:ns:rdeDomain-1.0"', 'xmlns:rdeDom="urn:ietf:params:xml:ns:domain-1.0"');
  const r = await checkStructureText(wrongNs);
  assert.ok(r.errors > 0);
});

test('keeps going: every problem of a deposit is reported, with line, column, path and the object identifier', async () => {
  const full = await sample('example-full.xml');
  const broken = full
    .replace('<rdeDom:status s="ok"/>\n      <rdeDom:status s="clientUpdateProhibited"/>', '<rdeDom:status s="ok"/>\n      <rdeDom:status s="clientUpdateForbidden"/>')
    .replace('<rdeHost:roid>Hns1_example_com-TEST</rdeHost:roid>', '<rdeHost:roid>Hns1.example.com</rdeHost:roid>')
    .replace('<rdeContact:email>sh@example.test</rdeContact:email>\n', '')
    .replace('<rdeRegistrar:gurid>123</rdeRegistrar:gurid>\n      <rdeRegistrar:status>ok</rdeRegistrar:status>', '<rdeRegistrar:status>ok</rdeRegistrar:status>\n      <rdeRegistrar:gurid>123</rdeRegistrar:gurid>')
    .replace('<rde:deposit type="FULL"', '<rde:deposit type="WEEKLY"');
  const r = await checkStructureText(broken, { source: 'deposit.xml' });
  const summary = r.findings.map((f) => [f.object ?? null, f.path, f.line, f.column]);
  assert.deepEqual(summary, [
    [null, '/rde:deposit', 2, 1],
    ['example2.test', '/rde:deposit/rde:contents/rdeDom:domain[2]/rdeDom:status', 78, 7],
    ['ns1.example.com', '/rde:deposit/rde:contents/rdeHost:host[2]/rdeHost:roid', 108, 7],
    ['sh8013', '/rde:deposit/rde:contents/rdeContact:contact[2]/rdeContact:clID', 172, 13],
    ['RegistrarX', '/rde:deposit/rde:contents/rdeRegistrar:registrar[1]/rdeRegistrar:gurid', 181, 7],
  ]);
  assert.ok(r.findings.every((f) => f.code === STRUCTURE_CODES.schema && f.severity === 'error'));
  assert.match(r.findings[0]!.message, /attribute type: "WEEKLY" is not one of the values of depositTypeType/);
  assert.match(r.findings[1]!.message, /"clientUpdateForbidden" is not one of the values of statusValueType/);
  assert.match(r.findings[2]!.message, /does not match the pattern of roidType/);
  assert.match(r.findings[3]!.message, /rdeContact:clID is not expected here; expected rdeContact:voice, rdeContact:fax, rdeContact:email/);
  assert.match(r.findings[4]!.message, /not expected here/);
  assert.equal(r.findings[1]!.location, 'deposit.xml:78:7 /rde:deposit/rde:contents/rdeDom:domain[2]/rdeDom:status');
  assert.equal(r.errors, 5);
});

test('missing required elements and attributes, and cardinality overflow', async () => {
  const full = await sample('example-full.xml');
  const noWatermark = await checkStructureText(full.replace('<rde:watermark>2010-10-17T00:00:00Z</rde:watermark>', ''));
  assert.match(noWatermark.findings[0]!.message, /rde:rdeMenu is not expected here; expected rde:watermark/);
  const noStatus = await checkStructureText(full.replace('<rdeHost:status s="ok"/>\n      <rdeHost:status s="linked"/>\n      <rdeHost:clID>', '<rdeHost:clID>'));
  assert.match(noStatus.findings[0]!.message, /rdeHost:clID is not expected here; expected rdeHost:status/);
  assert.equal(noStatus.findings[0]!.object, 'ns1.example.com');
  const noId = await checkStructureText(full.replace(' id="20101017001"', ''));
  assert.match(noId.findings[0]!.message, /attribute id is required/);
  const twelve = '<rdeDom:status s="ok"/>'.repeat(12);
  const tooMany = await checkStructureText(full.replace('<rdeDom:status s="ok"/>\n      <rdeDom:status s="clientUpdateProhibited"/>', twelve));
  assert.equal(tooMany.errors, 1, 'maxOccurs 11 (RFC 9022 rdeDomain status)');
  const incomplete = await checkStructureText(full.replace(/<rdeIDN:urlPolicy>[\s\S]*?<\/rdeIDN:urlPolicy>/, ''));
  assert.match(incomplete.findings[0]!.message, /rdeIDN:idnTableRef is incomplete: expected rdeIDN:urlPolicy/);
  assert.equal(incomplete.findings[0]!.object, 'pt-BR', 'the IDN table id attribute identifies the object');
});

test('substitution groups and xsi:type as the RDE schemas use them', async () => {
  const full = await sample('example-full.xml');
  // The abstract heads may not appear themselves.
  const abstract = await checkStructureText(full.replace('<rdeNNDN:NNDN>', '<rdeNNDN:abstractNNDN>').replace('</rdeNNDN:NNDN>', '</rdeNNDN:abstractNNDN>'));
  assert.equal(abstract.errors, 1);
  assert.match(abstract.findings[0]!.message, /rdeNNDN:abstractNNDN is not expected here/);
  // A delete element is not a content element and vice versa.
  const swapped = await checkStructureText(full.replace('<rdeNNDN:NNDN>', '<rdeNNDN:delete>').replace('</rdeNNDN:NNDN>', '</rdeNNDN:delete>'));
  assert.ok(swapped.errors >= 1);
  // xsi:type naming the declared type (or a type derived from it) is fine; an unrelated type is not.
  const xsi = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
  const same = await checkStructureText(full.replace('<rdeNNDN:NNDN>', `<rdeNNDN:NNDN ${xsi} xsi:type="rdeNNDN:abstractContentType">`));
  assert.equal(same.errors, 0, JSON.stringify(same.findings));
  const base = await checkStructureText(full.replace('<rdeNNDN:NNDN>', `<rdeNNDN:NNDN ${xsi} xsi:type="rde:contentType">`));
  assert.match(base.findings[0]!.message, /xsi:type rde:contentType is not derived from rdeNNDN:abstractContentType/);
  // An anyType element (contact:disclose children) accepts any xsi:type, and lax content.
  const lax = await checkStructureText(full.replace('<contact:voice/>', `<contact:voice ${xsi} xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:boolean">true</contact:voice>`));
  assert.equal(lax.errors, 0, JSON.stringify(lax.findings));
  const laxBad = await checkStructureText(full.replace('<contact:voice/>', `<contact:voice ${xsi} xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:boolean">maybe</contact:voice>`));
  assert.equal(laxBad.errors, 1);
});

test('the root must be rde:deposit; a foreign document is one finding, not thousands', async () => {
  const r = await checkStructureText('<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"><hello/>' + '<x/>'.repeat(5000) + '</epp>');
  assert.equal(r.findings.length, 1);
  assert.match(r.findings[0]!.message, /root element is epp:epp, not rde:deposit/);
});

test('bounded memory: a huge text value is one finding and is not buffered; findings are capped', async () => {
  const head = '<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" type="FULL" id="1"><rde:watermark>';
  const chunk = 'x'.repeat(1 << 16);
  async function* huge(): AsyncGenerator<string> {
    yield head;
    for (let i = 0; i < 64; i++) yield chunk; // 4 MiB of text in one element
    yield '</rde:watermark></rde:deposit>';
  }
  const r = await checkStructure(huge());
  assert.match(r.findings[0]!.message, /text longer than/);
  const many = '<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" type="FULL" id="1"><rde:watermark>2020-01-01T00:00:00Z</rde:watermark><rde:rdeMenu><rde:version>1.0</rde:version>' + '<rde:objURI>::%zz[</rde:objURI>'.repeat(50) + '</rde:rdeMenu></rde:deposit>';
  const capped = await checkStructureText(many, { maxFindings: 10 });
  assert.equal(capped.findings.length, 10);
  assert.equal(capped.omitted, 40);
  assert.equal(capped.errors, 50);
});

test('chunk boundaries do not matter: byte-at-a-time input gives the same findings (UTF-8 split inside characters)', async () => {
  const full = (await sample('example-full.xml')).replace('<rdeHost:roid>Hns1_example_com-TEST</rdeHost:roid>', '<rdeHost:roid>Hné-</rdeHost:roid>');
  const whole = await checkStructureText(full);
  const bytes = Buffer.from(full);
  async function* trickle(): AsyncGenerator<Buffer> {
    for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7);
  }
  const split = await checkStructure(trickle());
  assert.deepEqual(split.findings, whole.findings);
  assert.equal(whole.errors, 1);
});

test('values checked from their bytes (one ASCII piece, the end tag next) get the verdicts of the string check, split at every byte', async () => {
  const full = await sample('example-full.xml');
  let n = 0;
  const nth = (s: string, find: string, replace: string, which: number): string => {
    let at = -1;
    for (let i = 0; i <= which; i++) at = s.indexOf(find, at + 1);
    assert.ok(at >= 0, find);
    n++;
    return s.slice(0, at) + replace + s.slice(at + find.length);
  };
  let doc = full;
  doc = nth(doc, '<rdeDom:clID>RegistrarX<', '<rdeDom:clID>ab<', 0); // too short (clIDType: 3..16)
  doc = nth(doc, '<rdeDom:clID>RegistrarX<', '<rdeDom:clID>Registrar-with-17<', 0); // too long
  doc = nth(doc, '<rdeHost:clID>RegistrarX<', '<rdeHost:clID>Régistrar<', 0); // not ASCII: the string path
  doc = nth(doc, '<rdeHost:clID>RegistrarX<', '<rdeHost:clID>R<!-- two pieces -->X<', 0); // "RX": too short, in two pieces
  doc = nth(doc, '<rdeContact:clID>RegistrarX<', '<rdeContact:clID><![CDATA[ab]]><', 0); // CDATA: too short
  doc = nth(doc, '<rdeDom:crDate>1999-04-03T22:00:00.0Z<', '<rdeDom:crDate>2026-02-30T00:00:00Z<', 0); // no 30 February
  doc = nth(doc, '<rdeDom:crDate>1999-04-03T22:00:00.0Z<', '<rdeDom:crDate>2026-01-04T00:00:00Z<', 0); // valid, plain
  doc = nth(doc, '<rdeHost:crDate>1999-05-08T12:10:00.0Z<', '<rdeHost:crDate>2026-01-04T24:00:01Z<', 0); // hour 24 with seconds
  doc = nth(doc, '<rdeHost:crDate>1999-05-08T12:10:00.0Z<', '<rdeHost:crDate>2026-01-04T00:00:0aZ<', 0); // not a digit
  doc = nth(doc, '<contact:street>Suite 100<', `<contact:street>${'Suite 100 '.repeat(26)}<`, 0); // 260 characters with spaces ('replace': the bytes count)
  doc = nth(doc, '<contact:city>Dulles<', '<contact:city>Dul\tles<', 0); // a tab: the string path ('replace' makes it a space: valid)
  doc = nth(doc, "<contact:street>Rue de l'Eglise 4<", '<contact:street> <', 0); // one space: valid (minLength 1 counts it)
  doc = nth(doc, '<rdeContact:clID>RegistrarX<', '<rdeContact:clID>  R  X  <', 0); // 'collapse': "R X" is 3 characters, valid
  assert.equal(n, 13);
  const bytes = Buffer.from(doc, 'utf8');
  const whole = await checkStructure(Readable.from([bytes]));
  const messages = whole.findings.map((f) => f.message);
  assert.equal(whole.errors, 8, messages.join('\n'));
  for (const m of [/"ab" is shorter than 3/, /"Registrar-with-17" is longer than 16/, /"RX" is shorter than 3/, /"2026-02-30T00:00:00Z" is not a dateTime/, /"2026-01-04T24:00:01Z" is not a dateTime/, /"2026-01-04T00:00:0aZ" is not a dateTime/, /"(Suite 100 )+.*" is longer than 255/]) {
    assert.ok(messages.some((x) => m.test(x)), `${m}: ${messages.join('\n')}`);
  }
  const expected = JSON.stringify(whole.findings);
  for (let at = 1; at < bytes.length; at++) {
    const split = await checkStructure(Readable.from([bytes.subarray(0, at), bytes.subarray(at)]));
    assert.equal(JSON.stringify(split.findings), expected, `split at ${at}`);
  }
});
