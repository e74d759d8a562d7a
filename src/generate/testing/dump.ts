/** Test-only: canonical digests of a registry, in a database or as generated rows. */
import { createHash, type Hash } from 'node:crypto';
import type { Queryable } from '../../db/adapter.js';
import { TABLE_ORDER, type RowSink, type TableName } from '../rows.js';

export type Digests = Record<string, { rows: number; md5: string }>;

/**
 * Row count and md5 of every registry table's rows in their text form, ordered by that text
 * (byte order): two databases with equal digests hold the same rows.
 */
export async function tableDigests(db: Queryable): Promise<Digests> {
  const out: Digests = {};
  for (const table of TABLE_ORDER) {
    const [row] = await db.query<{ rows: number; md5: string }>(
      `SELECT count(*)::int AS rows, md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t::text COLLATE "C"), '')) AS md5 FROM registry.${table} t`,
    );
    out[table] = row as { rows: number; md5: string };
  }
  return out;
}

/** A RowSink that hashes the COPY lines per table (in generation order). */
export class DigestSink implements RowSink {
  private readonly hashes = new Map<TableName, Hash>();
  readonly rows = new Map<TableName, number>();

  row(table: TableName, line: string): void {
    let hash = this.hashes.get(table);
    if (!hash) this.hashes.set(table, (hash = createHash('sha256')));
    hash.update(line);
    this.rows.set(table, (this.rows.get(table) ?? 0) + 1);
  }

  digests(): Record<string, string> {
    return Object.fromEntries([...this.hashes].map(([table, hash]) => [table, hash.copy().digest('hex')]));
  }
}
