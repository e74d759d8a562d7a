import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { isStrongroomError } from '../common/errors.js';
import { writeDiffDeposit } from '../deposit/diff-deposit.js';
import { writeFullDeposit } from '../deposit/full-deposit.js';
import { OBJECT_URI } from '../model/namespaces.js';
import { embeddedTestDb } from '../testing/databases.js';
import { FIXTURE_COUNTS, FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { SAMPLES_DIR } from '../testing/paths.js';
import { assertReportValid, xmllintReport } from '../testing/report-schema.js';
import { requireTool } from '../testing/tools.js';
import { depositFactsFromDb, depositFactsFromFile, headerFromCounts, rdeReportXml, type DepositFacts } from './report.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const FACTS: DepositFacts = {
  tld: 'example',
  id: '20250105F0000',
  resend: 2,
  type: 'FULL',
  watermark: '2025-01-05T00:00:00Z',
  header: { tld: 'example', count: [{ uri: OBJECT_URI.domain, count: 5 }, { uri: OBJECT_URI.registrar, count: 3 }] },
};

test('a report of a deposit written and recorded by the deposit writer: same facts from the db and from the file, valid against rdeReport-1.0', async (t) => {
  const { db } = await embeddedTestDb(t);
  await loadFixtureRegistry(db);
  const out = await tempDir(t);
  const deposit = await writeFullDeposit(db, { tld: 'example', outDir: out, watermark: FIXTURE_WATERMARK, resend: 1 });

  const fromDb = await depositFactsFromDb(db, 'example', deposit.id);
  const fromFile = await depositFactsFromFile(deposit.file);
  assert.deepEqual(fromDb, fromFile);
  assert.equal(fromDb.id, deposit.id);
  assert.equal(fromDb.resend, 1);
  assert.equal(fromDb.type, 'FULL');
  assert.equal(fromDb.watermark, FIXTURE_WATERMARK);
  const expected = Object.fromEntries(Object.entries(FIXTURE_COUNTS.example).map(([kind, n]) => [OBJECT_URI[kind as keyof typeof OBJECT_URI], n]));
  assert.deepEqual(Object.fromEntries(fromDb.header.count.map((c) => [c.uri, c.count])), expected);

  const xml = rdeReportXml(fromDb);
  assert.equal(xml, rdeReportXml(fromFile), 'the report is a function of the deposit');
  assert.match(xml, new RegExp(`<rdeReport:id>${deposit.id}</rdeReport:id>`));
  assert.match(xml, /<rdeReport:resend>1<\/rdeReport:resend>/);
  assert.match(xml, /<rdeReport:crDate>2025-01-05T00:00:00Z<\/rdeReport:crDate>/);
  assertReportValid(t, xml);

  await assert.rejects(depositFactsFromDb(db, 'example', deposit.id, 7), (err) => isStrongroomError(err, 'REPORT_DEPOSIT_NOT_FOUND'));
  await assert.rejects(depositFactsFromDb(db, 'example', '20990101F0000'), (err) => isStrongroomError(err, 'REPORT_DEPOSIT_NOT_FOUND'));

  // A DIFF: its header counts the registry (RFC 9022 §5.9.1), not the one object it holds.
  const later = new Date(Date.parse(FIXTURE_WATERMARK) + 60_000).toISOString();
  await db.exec(`UPDATE registry.domain SET up_date = '${later}' WHERE roid = (SELECT min(roid) FROM registry.domain)`);
  const diff = await writeDiffDeposit(db, { tld: 'example', outDir: out, watermark: new Date(Date.parse(FIXTURE_WATERMARK) + 3_600_000).toISOString().replace('.000Z', 'Z') });
  assert.equal(diff.objects, 1);
  const diffFacts = await depositFactsFromDb(db, 'example', diff.id);
  assert.deepEqual(diffFacts, await depositFactsFromFile(diff.file));
  assert.deepEqual(diffFacts.header, fromDb.header, 'the registry as the FULL had it: same counts');
});

test('reports of the official sample deposits (FULL and DIFF, other prefixes, counts on their own lines) are valid', async (t) => {
  for (const [name, type, id] of [['example-full.xml', 'FULL', '20101017001'], ['example-diff.xml', 'DIFF', undefined]] as const) {
    const facts = await depositFactsFromFile(join(SAMPLES_DIR, name));
    assert.equal(facts.type, type, name);
    if (id) assert.equal(facts.id, id);
    assert.equal(facts.tld, 'test');
    assert.ok(facts.header.count.length > 0);
    assertReportValid(t, rdeReportXml(facts, { crDate: '2010-10-17T00:15:00Z' }));
  }
});

test('the schema check can fail: a report with a broken kind or a non-numeric count is rejected by xmllint', (t) => {
  if (!requireTool(t, 'xmllint')) return;
  const xml = rdeReportXml(FACTS);
  assert.ok(xmllintReport(xml).valid);
  assert.equal(xmllintReport(xml.replace('<rdeReport:kind>FULL', '<rdeReport:kind>WEEKLY')).valid, false);
  assert.equal(xmllintReport(xml.replace('>5</rdeHeader:count>', '>five</rdeHeader:count>')).valid, false);
  assert.equal(xmllintReport(xml.replace(/<rdeReport:version>1<\/rdeReport:version>\n\s*/, '')).valid, false);
});

test('facts that the schema would reject are refused before a report is built', () => {
  const bad: Array<[string, Partial<DepositFacts>]> = [
    ['hyphen in id', { id: '2025-01-05' }],
    ['resend too large', { resend: 70000 }],
    ['bad type', { type: 'THIN' as never }],
    ['bad watermark', { watermark: 'yesterday' }],
    ['header of another TLD', { header: { tld: 'other', count: [] } }],
    ['negative count', { header: { tld: 'example', count: [{ uri: OBJECT_URI.domain, count: -1 }] } }],
  ];
  for (const [what, change] of bad) {
    assert.throws(() => rdeReportXml({ ...FACTS, ...change }), (err) => isStrongroomError(err, 'REPORT_DEPOSIT_INVALID'), what);
  }
  assert.throws(() => headerFromCounts('example', { domain: 1, widget: 2 }), (err) => isStrongroomError(err, 'REPORT_DEPOSIT_INVALID'));
});

test('a deposit file without a header, not well-formed, or not a deposit is refused with its path', async (t) => {
  const dir = await tempDir(t);
  const noHeader = join(dir, 'no-header.xml');
  await writeFile(noHeader, '<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" type="FULL" id="1"><rde:watermark>2025-01-05T00:00:00Z</rde:watermark><rde:rdeMenu><rde:version>1.0</rde:version></rde:rdeMenu></rde:deposit>');
  await assert.rejects(depositFactsFromFile(noHeader), (err) => isStrongroomError(err, 'REPORT_DEPOSIT_INVALID') && /no rdeHeader:header/.test(err.message) && err.location === noHeader);
  const broken = join(dir, 'broken.xml');
  await writeFile(broken, '<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0"><rde:watermark>');
  await assert.rejects(depositFactsFromFile(broken), (err) => isStrongroomError(err, 'REPORT_DEPOSIT_INVALID') && /well-formed/.test(err.message));
  const other = join(dir, 'other.xml');
  await writeFile(other, '<epp xmlns="urn:ietf:params:xml:ns:epp-1.0"/>');
  await assert.rejects(depositFactsFromFile(other), (err) => isStrongroomError(err, 'REPORT_DEPOSIT_INVALID') && /not an RFC 8909 deposit/.test(err.message));
  await assert.rejects(depositFactsFromFile(join(dir, 'missing.xml')), (err) => isStrongroomError(err, 'FILE_NOT_FOUND'));
});
