/**
 * What every agent command works on: the repository directory, the catalog database (migrated
 * on open) and the audit log whose head the catalog keeps.
 */
import type { Db } from '../db/adapter.js';
import { migrate } from '../db/migrate.js';
import { openDb } from '../db/open.js';
import { AuditLog } from './audit.js';
import { Catalog } from './catalog.js';
import { Repository } from './repository.js';

export interface AgentContext {
  repo: Repository;
  catalog: Catalog;
  audit: AuditLog;
  db: Db;
}

/** Open (creating if needed) the repository and the catalog; the caller closes `db`. */
export async function openAgent(options: { repo: string; db: string | Db }): Promise<AgentContext> {
  const db = typeof options.db === 'string' ? await openDb(options.db) : options.db;
  try {
    await migrate(db);
    const repo = new Repository(options.repo);
    await repo.init();
    const catalog = new Catalog(db);
    return { repo, catalog, audit: new AuditLog(repo.auditPath, catalog), db };
  } catch (err) {
    if (typeof options.db === 'string') await db.close().catch(() => undefined);
    throw err;
  }
}
