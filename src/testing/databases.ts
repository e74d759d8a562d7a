/**
 * Test databases: an embedded one (in memory or in a temp dir) and a fresh database on the
 * PostgreSQL server (STRONGROOM_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/postgres),
 * created per test and dropped afterwards.
 */
import type { TestContext } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db, Queryable } from '../db/adapter.js';
import { EmbeddedDb } from '../db/embedded.js';
import { ServerDb } from '../db/server.js';
import { migrate } from '../db/migrate.js';
import { requireTool } from './tools.js';

export const ADMIN_URL = process.env.STRONGROOM_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let serverReachable: boolean | undefined;

async function serverAvailable(): Promise<boolean> {
  if (serverReachable !== undefined) return serverReachable;
  try {
    const db = await ServerDb.open(ADMIN_URL);
    await db.close();
    serverReachable = true;
  } catch {
    serverReachable = false;
  }
  return serverReachable;
}

export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export interface TestDb {
  db: Db;
  /** The `--db` argument that reaches this database (URL or directory). */
  spec: string;
}

/** A fresh, migrated database on the server; dropped when the test ends. Null when skipped. */
export async function serverTestDb(t: TestContext, options: { migrate?: boolean } = {}): Promise<TestDb | null> {
  if (!requireTool(t, 'postgresql-server', await serverAvailable(), ADMIN_URL)) return null;
  const name = `sr_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await ServerDb.open(ADMIN_URL);
  await admin.exec(`CREATE DATABASE ${name}`);
  const spec = withDatabase(ADMIN_URL, name);
  const db = await ServerDb.open(spec);
  t.after(async () => {
    await db.close().catch(() => undefined);
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
    await admin.close();
  });
  if (options.migrate !== false) await migrate(db);
  return { db, spec };
}

/** A fresh, migrated embedded database in a temp dir; removed when the test ends. */
export async function embeddedTestDb(t: TestContext, options: { migrate?: boolean } = {}): Promise<TestDb> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-pglite-'));
  const db = await EmbeddedDb.open(dir);
  t.after(async () => {
    await db.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });
  if (options.migrate !== false) await migrate(db);
  return { db, spec: dir };
}

/** The registry schema's keys (primary, unique, foreign) and indexes, each with whether it is validated / valid. */
export async function registryKeys(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ what: string }>(
    `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' validated=' || convalidated AS what FROM pg_constraint
     WHERE connamespace = 'registry'::regnamespace AND contype IN ('p', 'u', 'f')
     UNION ALL SELECT pg_get_indexdef(i.indexrelid) || ' valid=' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     WHERE c.relnamespace = 'registry'::regnamespace ORDER BY 1`,
  );
  return rows.map((r) => r.what);
}
