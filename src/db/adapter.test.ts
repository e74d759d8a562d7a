import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from './adapter.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { parseDbSpec } from './open.js';
import { loadMigrations, schemaVersion } from './migrate.js';
import { isStrongroomError } from '../common/errors.js';

async function exercise(db: Db) {
  await db.exec("INSERT INTO registry.tld (name, roid_suffix) VALUES ('test', 'TEST')");
  async function* lines() {
    for (let n = 0; n < 2500; n++) yield `r${String(n).padStart(4, '0')}\tRegistrar ${n} "é\\\\"\t${1000 + n}\t2020-01-02 03:04:05.${String(n % 1000).padStart(3, '0')}+00\n`;
  }
  const loaded = await db.copyFrom('COPY registry.registrar (id, name, gurid, cr_date) FROM STDIN', lines());
  assert.equal(loaded, 2500);
  const batches: number[] = [];
  const rows = await db.transaction(
    async (tx) => {
      const seen: Array<Record<string, unknown>> = [];
      for await (const batch of tx.cursor('SELECT * FROM rde.registrar ORDER BY id', [], 1000)) {
        batches.push(batch.length);
        seen.push(...batch.slice(0, 1));
      }
      return seen;
    },
    { isolation: 'repeatable read', readOnly: true },
  );
  assert.deepEqual(batches, [1000, 1000, 500]);
  const typed = await db.query(
    "SELECT 1::int4 AS i, 2::int8 AS b, 1.50::numeric AS n, true AS t, '{a,\"b c\"}'::text[] AS arr, '{\"k\":1}'::jsonb AS j, '\\x0102'::bytea AS by, '2021-05-06 07:08:09.5+02'::timestamptz AS ts",
  );
  // A failing transaction leaves nothing behind.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.query("INSERT INTO registry.tld (name, roid_suffix) VALUES ('other', 'X')");
      await tx.query('SELECT * FROM no_such_table');
    }),
    (err: unknown) => isStrongroomError(err, 'DB_QUERY_FAILED') && /no_such_table/.test(err.message),
  );
  const tlds = await db.query("SELECT count(*)::int AS c FROM registry.tld WHERE name = 'other'");
  return { rows, typed, tlds, version: await schemaVersion(db) };
}

test('embedded and server databases return the same values for the same SQL', async (t) => {
  const embedded = await embeddedTestDb(t);
  const server = await serverTestDb(t);
  const a = await exercise(embedded.db);
  const versions = (await loadMigrations()).map((m) => m.version);
  assert.equal(a.version, Math.max(...versions));
  assert.deepEqual(a.tlds, [{ c: 0 }]);
  assert.deepEqual(a.typed, [
    { i: 1, b: 2, n: '1.50', t: true, arr: ['a', 'b c'], j: { k: 1 }, by: Buffer.from([1, 2]), ts: '2021-05-06T05:08:09.5Z' },
  ]);
  assert.equal(a.rows[0]?.name, 'Registrar 0 "é\\"');
  assert.equal(a.rows[0]?.cr_date, '2020-01-02T03:04:05Z');
  if (!server) return;
  const b = await exercise(server.db);
  assert.deepEqual(b, a);
});

test('--db accepts URLs and directories and rejects other schemes', () => {
  assert.deepEqual(parseDbSpec('postgres://u@h/db'), { kind: 'server', url: 'postgres://u@h/db' });
  assert.equal(parseDbSpec('./data').kind, 'embedded');
  assert.deepEqual(parseDbSpec('memory:'), { kind: 'embedded', dir: null });
  assert.throws(() => parseDbSpec('mysql://x'), (err: unknown) => isStrongroomError(err, 'DB_SPEC_INVALID'));
  assert.throws(() => parseDbSpec('  '), (err: unknown) => isStrongroomError(err, 'DB_SPEC_INVALID'));
});
