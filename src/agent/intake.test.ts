import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { embeddedTestDb } from '../testing/databases.js';
import { assertReportValid } from '../testing/report-schema.js';
import { tempDir } from '../ryde/testing/fixtures.js';
import { DirectoryTransport } from '../transports/directory.js';
import { verifyAudit } from './audit.js';
import { openAgent } from './context.js';
import { ingestOnce } from './intake.js';
import { agentKeys, sampleXml, sealXml, sealedFiles } from './testing/deposits.js';
import { verifyStored } from './verify-stored.js';

const LATER = (): Date => new Date(Date.now() + 120_000);

test('intake: waits for every part and for stable files, rejects strangers, stores as received, spots duplicates, name reuse and resends; the chain rules use the catalog', async (t) => {
  const dir = tempDir(t, 'sr-agent-intake-');
  const keys = await agentKeys(dir);
  const { spec } = await embeddedTestDb(t, { migrate: false });
  const agent = await openAgent({ repo: join(dir, 'repo'), db: spec });
  t.after(() => agent.db.close());
  const inboxDir = join(dir, 'inbox');
  mkdirSync(inboxDir);
  const inbox = new DirectoryTransport(inboxDir);
  const sealed = await sealXml(keys.keys, join(dir, 'sealed'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }), { splitSize: 700 });
  const files = sealedFiles(sealed);
  assert.ok(sealed.parts.length >= 3, 'several parts');
  const deliver = (paths: string[]): void => paths.forEach((path) => copyFileSync(path, join(inboxDir, basename(path))));

  // Everything but the last part, plus strangers and an upload in progress.
  deliver(files.slice(0, -2));
  writeFileSync(join(inboxDir, 'README.txt'), 'hello');
  writeFileSync(join(inboxDir, 'other_2010-10-17_full_S1_R0.ryde'), 'x');
  writeFileSync(join(inboxDir, 'test_2010-10-17_full_S1_R0.xml'), '<x/>');
  writeFileSync(join(inboxDir, '.test_2010-10-18_diff_S1_R0.ryde.part'), 'uploading');
  const first = await ingestOnce(agent, { inbox, tlds: ['test'], now: LATER() });
  assert.deepEqual(first.received, []);
  assert.deepEqual(first.rejected.map((entry) => entry.name).sort(), ['README.txt', 'other_2010-10-17_full_S1_R0.ryde', 'test_2010-10-17_full_S1_R0.xml']);
  assert.ok(first.findings.every((finding) => finding.code === 'AGENT_UNEXPECTED_FILE'));
  assert.equal(first.waiting.length, 1);
  assert.match(first.waiting[0]!.reason, new RegExp(`waiting for ${basename(files.at(-2)!).replace(/\./g, '\\.')}`), 'the part count comes from the signature notation');

  // All parts present but just written: not settled yet.
  deliver(files.slice(-2));
  const early = await ingestOnce(agent, { inbox, tlds: ['test'] });
  assert.deepEqual(early.received, []);
  assert.match(early.waiting[0]!.reason, /still changing/);
  const taken = await ingestOnce(agent, { inbox, tlds: ['test'], now: LATER() });
  assert.deepEqual(taken.received, ['test_2010-10-17_full_R0']);
  assert.deepEqual(readdirSync(inboxDir).sort(), ['.test_2010-10-18_diff_S1_R0.ryde.part', 'rejected']);
  const stored = await agent.catalog.files('test_2010-10-17_full_R0');
  assert.equal(stored.length, files.length);
  for (const row of stored) {
    const original = files.find((path) => basename(path) === row.name)!;
    assert.ok(readFileSync(agent.repo.objectPath(row.sha256)).equals(readFileSync(original)), `${row.name} stored byte for byte`);
  }

  // The same files again: an exact duplicate. The same name with other bytes: refused.
  deliver(files);
  const again = await ingestOnce(agent, { inbox, now: LATER() });
  assert.deepEqual(again.duplicates, ['test_2010-10-17_full_R0']);
  const resealed = await sealXml(keys.keys, join(dir, 'resealed'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  deliver(sealedFiles(resealed));
  const reused = await ingestOnce(agent, { inbox, now: LATER() });
  assert.deepEqual([...new Set(reused.findings.map((finding) => finding.code))], ['AGENT_NAME_REUSED']);
  const resend = await sealXml(keys.keys, join(dir, 'resend'), { tld: 'test', date: '2010-10-17', type: 'full', rev: 1 }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', resend: 1 }));
  deliver(sealedFiles(resend));
  const resent = await ingestOnce(agent, { inbox, now: LATER() });
  assert.deepEqual(resent.received, ['test_2010-10-17_full_R1']);
  assert.match(resent.findings.find((finding) => finding.code === 'AGENT_RESEND')!.message, /earlier revisions stored: test_2010-10-17_full_R0/);

  // Verification of stored deposits, with the chain from the catalog.
  const verifyOptions = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification };
  const full = await verifyStored(agent, 'test_2010-10-17_full_R0', verifyOptions);
  assert.ok(existsSync(join(agent.repo.root, full.json)) && existsSync(join(agent.repo.root, full.text)));
  assert.deepEqual(full.report.findings.map((finding) => finding.code), ['CHAIN_FIRST']);
  assert.equal(full.report.status, 'PASS');
  const diffs: Array<[string, string, string | undefined]> = [
    ['2010-10-18', '20101018001', '20101017001'],
    ['2010-10-19', '20101019001', '20101017001'], // wrong prevId
    ['2010-10-21', '20101021001', '20101018001'], // gap (10-19 failed, 10-20 missing) and the prevId names 10-18
  ];
  const outcomes: string[][] = [];
  for (const [date, id, prevId] of diffs) {
    const diff = await sealXml(keys.keys, join(dir, date), { tld: 'test', date, type: 'diff' }, sampleXml({ type: 'DIFF', date, id, ...(prevId ? { prevId } : {}) }));
    deliver(sealedFiles(diff));
    const received = await ingestOnce(agent, { inbox, now: LATER() });
    assert.deepEqual(received.received, [`test_${date}_diff_R0`]);
    const verified = await verifyStored(agent, `test_${date}_diff_R0`, verifyOptions);
    outcomes.push(verified.report.findings.filter((finding) => finding.stage === 'chain').map((finding) => finding.code));
    // The DIFF's references ran against the chain the catalog keeps (the FULL, the verified DIFFs).
    assert.equal(verified.report.stages.find((stage) => stage.id === 'references')!.status, 'PASS', verified.text);
  }
  assert.deepEqual(outcomes, [[], ['CHAIN_PREVID_MISMATCH'], ['CHAIN_GAP']]);
  const dvfn = readFileSync(join(agent.repo.root, 'reports', 'test', 'test_2010-10-21_diff_R0', 'verify-001.xml'), 'utf8');
  assert.match(dvfn, /<rdeNotification:status>DVFN<\/rdeNotification:status>/);
  assert.match(dvfn, /<iirdea:result code="4601">/);
  assertReportValid(t, dvfn);
  const rows = await agent.catalog.deposits({ tld: 'test' });
  assert.deepEqual(
    rows.map((row) => [row.key, row.status, row.deposit_id]),
    [
      ['test_2010-10-17_full_R0', 'verified', '20101017001'],
      ['test_2010-10-17_full_R1', 'received', null],
      ['test_2010-10-18_diff_R0', 'verified', '20101018001'],
      ['test_2010-10-19_diff_R0', 'failed', '20101019001'],
      ['test_2010-10-21_diff_R0', 'failed', '20101021001'],
    ],
  );
  const audit = await verifyAudit(agent.audit, agent.catalog);
  assert.equal(audit.ok, true);
  const actions: string[] = [];
  for await (const { text } of agent.audit.entries()) actions.push((JSON.parse(text) as { action: string }).action);
  assert.deepEqual(actions.filter((action) => action !== 'reject'), ['receive', 'duplicate', 'receive', 'verify', 'receive', 'verify', 'receive', 'verify', 'receive', 'verify']);
});
