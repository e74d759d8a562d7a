/**
 * `strongroom db migrate`: apply the reference-schema migrations (migrations/NNN_*.sql).
 */
import type { Command } from 'commander';
import { openDb } from '../db/open.js';
import { migrate, schemaVersion } from '../db/migrate.js';
import { action, printResult, withCommon, type CommonOptions } from './command.js';

interface MigrateOptions extends CommonOptions {
  db: string;
}

export interface MigrateResult {
  database: string;
  applied: number[];
  version: number;
}

export async function runMigrate(options: MigrateOptions): Promise<MigrateResult> {
  const db = await openDb(options.db);
  try {
    const applied = await migrate(db);
    return { database: db.description, applied, version: await schemaVersion(db) };
  } finally {
    await db.close();
  }
}

export function register(program: Command): void {
  const group = program.command('db').description('the reference registry database');
  withCommon(
    group
      .command('migrate')
      .description('create or upgrade the reference registry schema (idempotent; refuses a schema newer than this Strongroom)')
      .requiredOption('--db <db>', 'postgres:// URL, or a directory for the embedded database (created if missing)'),
  ).action(
    action(async (_options: unknown, cmd: Command) => {
      const options = cmd.optsWithGlobals<MigrateOptions>();
      const result = await runMigrate(options);
      printResult(options, result, () =>
        result.applied.length > 0
          ? `applied migration${result.applied.length > 1 ? 's' : ''} ${result.applied.join(', ')} to ${result.database}; schema version ${result.version}`
          : `${result.database} is up to date (schema version ${result.version})`,
      );
    }),
  );
}
