import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Progress, ProgressTask } from '../common/progress.js';
import { isStrongroomError } from '../common/errors.js';
import { serverTestDb } from '../testing/databases.js';
import { FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { requireTool } from '../testing/tools.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { writeFullDeposit } from './full-deposit.js';

/**
 * Commits made by another connection (a separate psql process) while the deposit is between
 * object kinds. Each changes both what the deposit has already read and what it has not.
 */
const CONCURRENT_COMMITS: Record<number, string> = {
  // after the registrars
  1: `UPDATE registry.registrar SET name = 'Renamed X' WHERE id = 'RegistrarX';
      INSERT INTO registry.contact (id, roid, email, cl_id, cr_date) VALUES ('zz-late', 'Czz-EXAMPLE', 'late@example.test', 'RegistrarX', now());
      INSERT INTO registry.contact_status VALUES ('zz-late', 1, 'ok', NULL, NULL);
      INSERT INTO registry.contact_postal (contact_id, ord, type, name, city, cc) VALUES ('zz-late', 1, 'int', 'Late', 'City', 'US');`,
  // after the contacts
  3: `UPDATE registry.contact SET email = 'changed@example.test', up_date = now() WHERE id = 'sh8013';
      DELETE FROM registry.host_addr WHERE host_roid = 'H3-EXAMPLE';
      INSERT INTO registry.host_addr VALUES ('H3-EXAMPLE', 1, 'v4', '203.0.113.9');
      INSERT INTO registry.host (roid, name, cl_id, cr_date) VALUES ('H9-EXAMPLE', 'ns9.example.net', 'RegistrarY', now());
      INSERT INTO registry.host_status VALUES ('H9-EXAMPLE', 1, 'ok', NULL, NULL);`,
  // after the hosts, before any domain was read
  4: `DELETE FROM registry.domain WHERE roid = 'D2-EXAMPLE';
      UPDATE registry.domain SET ex_date = '2050-01-01Z', up_date = now() WHERE roid = 'D4-EXAMPLE';
      INSERT INTO registry.domain_status VALUES ('D4-EXAMPLE', 3, 'clientDeleteProhibited', NULL, NULL);
      INSERT INTO registry.domain (roid, name, tld, registrant, cl_id, cr_date, ex_date) VALUES ('D9-EXAMPLE', 'zzz-late.example', 'example', 'jd1234', 'RegistrarX', now(), '2040-01-01Z');
      INSERT INTO registry.domain_status VALUES ('D9-EXAMPLE', 1, 'ok', NULL, NULL);
      DELETE FROM registry.nndn WHERE a_name = 'reserved.example';`,
};

test('a deposit taken while another connection keeps writing reflects exactly its snapshot', async (t) => {
  const server = await serverTestDb(t);
  if (!server || !requireTool(t, 'psql')) return;
  const { db, spec } = server;
  await loadFixtureRegistry(db);
  const dir = await mkdtemp(join(tmpdir(), 'sr-snapshot-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  for (const sub of ['quiet', 'busy', 'after', 'late']) await mkdir(join(dir, sub));
  const quiet = await writeFullDeposit(db, { tld: 'example', outDir: join(dir, 'quiet'), watermark: FIXTURE_WATERMARK });
  await db.exec('DELETE FROM strongroom.deposit');

  let calls = 0;
  const committed: number[] = [];
  const writer: Progress = {
    task(): ProgressTask {
      return {
        add() {
          const sql = CONCURRENT_COMMITS[++calls];
          if (sql === undefined) return;
          // Runs to completion (commit) while the deposit's transaction is open and paused here.
          execFileSync('psql', [spec, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `SET lock_timeout = '10s'; BEGIN; ${sql} COMMIT;`], { stdio: 'pipe' });
          committed.push(calls);
        },
        done() {},
      };
    },
    note() {},
    warn() {},
  };
  const busy = await writeFullDeposit(db, { tld: 'example', outDir: join(dir, 'busy'), watermark: FIXTURE_WATERMARK, pageSize: 1, progress: writer });
  assert.deepEqual(committed, [1, 3, 4], 'the other connection committed three times during the deposit, unblocked');
  assertSchemaValid(t, busy.file);
  assert.equal(busy.snapshot === quiet.snapshot, false);
  assert.ok(
    (await readFile(busy.file)).equals(await readFile(quiet.file)),
    'byte-identical to the deposit taken before the changes: nothing committed after the snapshot appears, everything before does',
  );

  // The changes are real: a deposit from a later snapshot sees them all.
  const after = await writeFullDeposit(db, { tld: 'example', outDir: join(dir, 'after') });
  assertSchemaValid(t, after.file);
  const xml = await readFile(after.file, 'utf8');
  for (const present of ['zzz-late.example', 'zz-late', 'ns9.example.net', 'Renamed X', 'changed@example.test', '203.0.113.9', '2050-01-01T00:00:00Z']) assert.ok(xml.includes(present), present);
  for (const absent of ['plain.example', 'reserved.example']) assert.ok(!xml.includes(`>${absent}<`), absent);
  // …and the watermark of the quiet deposit can no longer be honoured by a new snapshot.
  await assert.rejects(writeFullDeposit(db, { tld: 'example', outDir: join(dir, 'late'), watermark: FIXTURE_WATERMARK, resend: 1 }), /cannot be honoured/);
});

test('two runs never write the same deposit at once', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  await loadFixtureRegistry(server.db);
  const dir = await mkdtemp(join(tmpdir(), 'sr-lock-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Another run holds the deposit's lock (the key is the one writeFullDeposit takes).
  await server.db.transaction(async (other) => {
    await other.query("SELECT pg_advisory_xact_lock(hashtext('strongroom.deposit'), hashtext('example/20250105F0000/0'))");
    await assert.rejects(writeFullDeposit(server.db, { tld: 'example', outDir: dir, watermark: FIXTURE_WATERMARK }), (e: unknown) => isStrongroomError(e, 'DEPOSIT_IN_PROGRESS'));
  });
  const result = await writeFullDeposit(server.db, { tld: 'example', outDir: dir, watermark: FIXTURE_WATERMARK });
  assert.equal(result.id, '20250105F0000', 'once the lock is free the deposit is written');
  assertSchemaValid(t, result.file);
});
