import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import type { Db } from '../db/adapter.js';
import { EmbeddedDb } from '../db/embedded.js';
import { writeDiffDeposit, writeIncrDeposit } from '../deposit/diff-deposit.js';
import { writeFullDeposit, type DepositResult } from '../deposit/full-deposit.js';
import { churnRegistry } from '../generate/churn.js';
import { generateRegistry } from '../generate/generate.js';
import { readDeposit } from '../reader/index.js';
import { embeddedTestDb } from '../testing/databases.js';
import { runCli } from '../testing/cli.js';
import { journalStatus, markDelivered, pruneJournal } from './journal.js';

const AS_OF = '2025-01-05T00:00:00Z';
const at = (seconds: number) => new Date(Date.parse(AS_OF) + seconds * 1000).toISOString().replace('.000Z', 'Z');

async function changedKeys(file: string): Promise<string[]> {
  const out: string[] = [];
  for await (const event of readDeposit(createReadStream(file))) {
    if (event.type === 'delete') out.push(`delete ${JSON.stringify(event.delete)}`);
    if (event.type === 'object' && event.object.kind !== 'header') out.push(`${event.object.kind} ${JSON.stringify(event.object.value)}`);
  }
  return out.sort();
}

async function entriesSeenBy(db: Db, full: DepositResult): Promise<number> {
  const [row] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM strongroom.journal WHERE pg_visible_in_snapshot(xid, $1::pg_snapshot)', [full.snapshot]);
  return row!.n;
}

test('journal prune removes only what the last delivered FULL reflects; pending DIFFs and INCRs still come out whole', async (t) => {
  const { db } = await embeddedTestDb(t);
  const dir = await mkdtemp(join(tmpdir(), 'sr-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await generateRegistry(db, { tld: 'example', domains: 60, seed: 'journal', asOf: AS_OF });
  const f0 = await writeFullDeposit(db, { tld: 'example', outDir: dir, watermark: AS_OF });

  // Nothing is delivered yet: nothing may go.
  let status = await journalStatus(db);
  assert.ok(status.entries > 0);
  assert.match(status.blockedBy ?? '', /example has no FULL deposit confirmed delivered/);
  assert.deepEqual(await pruneJournal(db), { removed: 0, cut: null, blockedBy: status.blockedBy, since: status.since });

  await churnRegistry(db, { changes: 30, seed: 'day-1', at: at(20) });
  const d1 = await writeDiffDeposit(db, { tld: 'example', outDir: dir, watermark: at(60) });
  const incrBefore = await writeIncrDeposit(db, { tld: 'example', outDir: join(dir), watermark: at(61) }).catch((err: unknown) => err);
  // A DIFF and an INCR of the same day share the Spec 2 name: the INCR goes elsewhere.
  assert.ok(isStrongroomError(incrBefore, 'DEPOSIT_TARGET_EXISTS') || isStrongroomError(incrBefore, 'DEPOSIT_ALREADY_RECORDED'), String(incrBefore));

  const delivered = await markDelivered(db, 'example', f0.id);
  assert.equal(delivered.type, 'FULL');
  assert.deepEqual(await markDelivered(db, 'example', f0.id), delivered, 'idempotent: the first confirmation is kept');
  await assert.rejects(markDelivered(db, 'example', '20990101F0000'), (err: unknown) => isStrongroomError(err, 'JOURNAL_NO_SUCH_DEPOSIT'));

  const total = (await journalStatus(db)).entries;
  const seen = await entriesSeenBy(db, f0);
  status = await journalStatus(db);
  assert.equal(status.prunable, seen);
  assert.deepEqual(await pruneJournal(db, { dryRun: true }).then((r) => r.removed), seen);
  assert.equal((await journalStatus(db)).entries, total, 'a dry run removes nothing');
  const pruned = await pruneJournal(db);
  assert.equal(pruned.removed, seen);
  assert.equal(pruned.cut?.id, f0.id);
  assert.equal(await entriesSeenBy(db, f0), 0);
  assert.equal((await journalStatus(db)).entries, total - seen, 'the day-1 entries (needed by DIFFs and INCRs after the FULL) stay');

  // After pruning: the next DIFF follows d1, and an INCR since f0 holds all of day 1 and day 2.
  await churnRegistry(db, { changes: 20, seed: 'day-2', at: at(80) });
  const incrDir = await mkdtemp(join(tmpdir(), 'sr-journal-incr-'));
  t.after(() => rm(incrDir, { recursive: true, force: true }));
  await mkdir(join(incrDir, 'incr'));
  const d2 = await writeDiffDeposit(db, { tld: 'example', outDir: incrDir, watermark: at(120) });
  assert.equal(d2.prevId, d1.id);
  const incr = await writeIncrDeposit(db, { tld: 'example', outDir: join(incrDir, 'incr'), watermark: at(121) });
  assert.equal(incr.prevId, f0.id);
  const incrKeys = await changedKeys(incr.file);
  assert.ok(incrKeys.length > 0);
  // Every object the INCR holds is the latest version of something day 1 or day 2 changed.
  const dayKeys = new Set([...(await changedKeys(d1.file)), ...(await changedKeys(d2.file))]);
  for (const key of incrKeys) assert.ok(dayKeys.has(key), `the INCR's ${key.slice(0, 60)} is what DIFF 1 or 2 says`);

  // A newer FULL not yet delivered moves nothing; once delivered, pruning cuts there.
  const f1Dir = await mkdtemp(join(tmpdir(), 'sr-journal-f1-'));
  t.after(() => rm(f1Dir, { recursive: true, force: true }));
  const f1 = await writeFullDeposit(db, { tld: 'example', outDir: f1Dir, watermark: at(122) });
  assert.equal((await pruneJournal(db)).removed, 0);
  await markDelivered(db, 'example', f1.id);
  const second = await pruneJournal(db);
  assert.equal(second.cut?.id, f1.id);
  assert.ok(second.removed > 0);
  assert.equal((await journalStatus(db)).entries, 0, 'everything was before the delivered FULL');

  // A DIFF whose base is older than the cut would miss pruned changes: refused.
  await db.query('DELETE FROM strongroom.deposit WHERE id = $1', [f1.id]);
  await assert.rejects(writeDiffDeposit(db, { tld: 'example', outDir: f1Dir, watermark: at(200) }), (err: unknown) => isStrongroomError(err, 'JOURNAL_INCOMPLETE') && /pruned up to deposit/.test(err.message));
});

test('journal prune: a TLD without a delivered FULL blocks pruning; a TRUNCATE moves the horizon', async (t) => {
  const { db } = await embeddedTestDb(t);
  const dir = await mkdtemp(join(tmpdir(), 'sr-journal-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await generateRegistry(db, { tld: 'example', domains: 60, seed: 'journal', asOf: AS_OF });
  await generateRegistry(db, { tld: 'other', domains: 60, seed: 'journal-2', asOf: AS_OF });
  const f0 = await writeFullDeposit(db, { tld: 'example', outDir: dir, watermark: AS_OF });
  await markDelivered(db, 'example', f0.id);
  const blocked = await pruneJournal(db);
  assert.equal(blocked.removed, 0);
  assert.match(blocked.blockedBy ?? '', /TLD other has no FULL/);

  await db.exec('TRUNCATE registry.domain_key');
  const status = await journalStatus(db);
  assert.equal(status.sinceReason, 'truncate of registry.domain_key');
  await assert.rejects(writeDiffDeposit(db, { tld: 'example', outDir: dir }), (err: unknown) => isStrongroomError(err, 'JOURNAL_INCOMPLETE') && /truncate/.test(err.message));
});

const cli = (args: string[]) => runCli(args);

test('strongroom journal status|delivered|prune and registry churn on the command line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-journal-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dbDir = join(dir, 'db');
  const db = await EmbeddedDb.open(dbDir);
  await generateRegistry(db, { tld: 'example', domains: 60, seed: 'journal', asOf: AS_OF });
  const f0 = await writeFullDeposit(db, { tld: 'example', outDir: dir, watermark: AS_OF });
  await db.close();

  const churn = await cli(['registry', 'churn', '--db', dbDir, '--changes', '12', '--seed', 's', '--at', at(30), '--json']);
  assert.equal(churn.status, 0, churn.stderr);
  assert.equal((JSON.parse(churn.stdout) as { changes: number }).changes, 12);
  const badChurn = await cli(['registry', 'churn', '--db', dbDir, '--changes', '12', '--seed', 's', '--at', 'soon']);
  assert.equal(badChurn.status, 2);

  const status = await cli(['journal', 'status', '--db', dbDir, '--json']);
  assert.equal(status.status, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as { prunable: number }).prunable, 0);
  const missing = await cli(['journal', 'delivered', '--db', dbDir, '--tld', 'example', '--id', 'nope']);
  assert.equal(missing.status, 4);
  assert.match(missing.stderr, /JOURNAL_NO_SUCH_DEPOSIT/);
  const delivered = await cli(['journal', 'delivered', '--db', dbDir, '--tld', 'example', '--id', f0.id]);
  assert.equal(delivered.status, 0, delivered.stderr);
  const dry = await cli(['journal', 'prune', '--db', dbDir, '--dry-run', '--json']);
  assert.equal(dry.status, 0, dry.stderr);
  const dryResult = JSON.parse(dry.stdout) as { removed: number; dryRun: boolean };
  assert.ok(dryResult.dryRun && dryResult.removed > 0);
  const prune = await cli(['journal', 'prune', '--db', dbDir]);
  assert.equal(prune.status, 0, prune.stderr);
  assert.match(prune.stdout, new RegExp(`removed ${dryResult.removed} journal entries seen by FULL ${f0.id}`));
  for (const sub of ['status', 'prune', 'delivered']) {
    const help = await cli(['journal', sub, '--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Exit status:/);
  }
});
