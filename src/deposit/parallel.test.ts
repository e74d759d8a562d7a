/**
 * The worker-thread writer (worker threads reading the exported snapshot; what DIFF/INCR
 * deposits use with --jobs, and FULL deposits with renderInDatabase: false) against the
 * in-process loop on the server: the same bytes, the same findings in the same order, the same
 * quarantine, whatever the number of workers and the page size. sql-render.test.ts compares the
 * PostgreSQL-rendered FULL writer with the in-process loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import { serverTestDb } from '../testing/databases.js';
import { FIXTURE_BREAKAGE, FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { writeFullDeposit, type FullDepositOptions } from './full-deposit.js';

test('worker threads write what the in-process loop writes: bytes, findings, quarantine, failures', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  const { db } = server;
  await loadFixtureRegistry(db);
  await db.exec(FIXTURE_BREAKAGE);
  const dir = await mkdtemp(join(tmpdir(), 'sr-parallel-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  let run = 0;
  const deposit = async (extra: Partial<FullDepositOptions>) => {
    await db.exec('DELETE FROM strongroom.deposit');
    const outDir = join(dir, String(run++));
    await mkdir(outDir);
    return { outDir, result: writeFullDeposit(db, { tld: 'example', outDir, watermark: FIXTURE_WATERMARK, renderInDatabase: false, ...extra }) };
  };

  const serial = await (await deposit({ jobs: 0, onInvalid: 'quarantine' })).result;
  assertSchemaValid(t, serial.file);
  assert.equal(serial.quarantined.length, 6);
  for (const [jobs, pageSize] of [[1, 1], [3, 1], [2, 2], [2, undefined]] as const) {
    const parallel = await (await deposit({ jobs, onInvalid: 'quarantine', ...(pageSize ? { pageSize } : {}) })).result;
    const what = `${jobs} worker(s), pages of ${pageSize ?? 'default'}`;
    assert.equal(parallel.sha256, serial.sha256, `${what}: same bytes`);
    assert.deepEqual(parallel.counts, serial.counts, what);
    assert.deepEqual(parallel.findings, serial.findings, `${what}: same findings in the same order`);
    assert.deepEqual(parallel.quarantined, serial.quarantined, `${what}: same quarantine`);
  }

  const failures: unknown[] = [];
  for (const jobs of [0, 2]) {
    const { outDir, result } = await deposit({ jobs, pageSize: 1 });
    await assert.rejects(result, (err: unknown) => {
      assert.ok(isStrongroomError(err, 'DEPOSIT_PREFLIGHT_FAILED'));
      failures.push(err.data?.findings);
      return true;
    });
    assert.deepEqual(await readdir(outDir), []);
  }
  assert.deepEqual(failures[1], failures[0], 'a failed run reports the same findings');

  const capped = await deposit({ jobs: 2, pageSize: 1, onInvalid: 'quarantine', maxQuarantined: 5 });
  await assert.rejects(capped.result, (err: unknown) => isStrongroomError(err, 'DEPOSIT_QUARANTINE_CAP_EXCEEDED'));
  assert.deepEqual(await readdir(capped.outDir), []);
  // Killed workers' connections end with them (the server notices the closed socket).
  let others = -1;
  for (let tries = 0; tries < 100 && others !== 0; tries++) {
    if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const [row] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = 'strongroom'");
    others = row!.n;
  }
  assert.equal(others, 0, 'no worker connection is left behind');
});
