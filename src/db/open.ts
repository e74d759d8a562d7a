/**
 * `--db` resolution: a `postgres://` / `postgresql://` URL opens a server connection; anything
 * else is a directory for the embedded database (created if missing); `memory:` is an
 * in-memory embedded database (tests, throwaway demos).
 */
import { resolve } from 'node:path';
import { StrongroomError } from '../common/errors.js';
import type { Db } from './adapter.js';
import { EmbeddedDb } from './embedded.js';
import { ServerDb } from './server.js';

export type DbSpec = { kind: 'server'; url: string } | { kind: 'embedded'; dir: string | null };

export function parseDbSpec(spec: string): DbSpec {
  const trimmed = spec.trim();
  if (trimmed === '') throw new StrongroomError('DB_SPEC_INVALID', '--db is empty: give a postgres:// URL or a directory');
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return { kind: 'server', url: trimmed };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) {
    throw new StrongroomError('DB_SPEC_INVALID', `--db ${trimmed.split('://')[0]}:// is not supported: give a postgres:// URL or a directory`);
  }
  if (trimmed === 'memory:') return { kind: 'embedded', dir: null };
  return { kind: 'embedded', dir: resolve(trimmed) };
}

export async function openDb(spec: string | DbSpec): Promise<Db> {
  const parsed = typeof spec === 'string' ? parseDbSpec(spec) : spec;
  return parsed.kind === 'server' ? ServerDb.open(parsed.url) : EmbeddedDb.open(parsed.dir);
}
