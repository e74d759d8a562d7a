/**
 * Versioned migrations of the reference registry schema. Files `migrations/NNN_name.sql` are
 * applied in order, each in its own transaction, and recorded in
 * `strongroom.schema_migrations`. Applying is idempotent; a database whose recorded versions
 * are unknown to this build (newer Strongroom) is refused rather than guessed at.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { StrongroomError, messageOf } from '../common/errors.js';
import type { Db, Queryable } from './adapter.js';

/** The migrations folder of the installed package (dist/src/db → ../../../migrations). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f)).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    migrations.push({ version: Number(file.slice(0, 3)), name: file.slice(4, -4), sql: await readFile(`${dir}/${file}`, 'utf8') });
  }
  return migrations;
}

async function appliedVersions(db: Queryable): Promise<number[]> {
  await db.exec(`CREATE SCHEMA IF NOT EXISTS strongroom;
    CREATE TABLE IF NOT EXISTS strongroom.schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const rows = await db.query<{ version: number }>('SELECT version FROM strongroom.schema_migrations ORDER BY version');
  return rows.map((r) => r.version);
}

/** Apply every pending migration; returns the versions applied now. */
export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await loadMigrations(dir);
  const known = new Set(migrations.map((m) => m.version));
  const applied = await appliedVersions(db);
  const unknown = applied.filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new StrongroomError('DB_MIGRATION_FAILED', `${db.description} has schema version(s) ${unknown.join(', ')} that this Strongroom does not know: upgrade Strongroom`);
  }
  const done = new Set(applied);
  const now: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    try {
      await db.transaction(async (tx) => {
        await tx.exec(migration.sql);
        await tx.query('INSERT INTO strongroom.schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      });
    } catch (err) {
      throw new StrongroomError('DB_MIGRATION_FAILED', `migration ${migration.version} (${migration.name}) failed on ${db.description}: ${messageOf(err)}`, {
        cause: err,
      });
    }
    now.push(migration.version);
  }
  return now;
}

/**
 * Apply every pending migration inside the caller's open transaction, so that schema creation
 * and the caller's work commit or roll back together (rebuild: on any error the target is
 * exactly as before, schema included).
 */
export async function migrateWithin(tx: Queryable, description: string, dir = MIGRATIONS_DIR): Promise<number[]> {
  const migrations = await loadMigrations(dir);
  const known = new Set(migrations.map((m) => m.version));
  const applied = await appliedVersions(tx);
  const unknown = applied.filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new StrongroomError('DB_MIGRATION_FAILED', `${description} has schema version(s) ${unknown.join(', ')} that this Strongroom does not know: upgrade Strongroom`);
  }
  const done = new Set(applied);
  const now: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    try {
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO strongroom.schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
    } catch (err) {
      throw new StrongroomError('DB_MIGRATION_FAILED', `migration ${migration.version} (${migration.name}) failed on ${description}: ${messageOf(err)}`, { cause: err });
    }
    now.push(migration.version);
  }
  return now;
}

/** The highest applied version, or 0 for a database without the reference schema. */
export async function schemaVersion(db: Queryable): Promise<number> {
  const rows = await db.query<{ v: number | null }>(
    `SELECT CASE WHEN to_regclass('strongroom.schema_migrations') IS NULL THEN NULL
            ELSE (SELECT max(version) FROM strongroom.schema_migrations) END AS v`,
  );
  return rows[0]?.v ?? 0;
}
