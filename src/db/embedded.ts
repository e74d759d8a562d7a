/**
 * `EmbeddedDb`: PGlite (PostgreSQL compiled to WebAssembly) on a data directory, or in memory.
 *
 * PGlite has one connection: statements are serialised and every result is materialised in
 * memory. So large reads go through SQL cursors (adapter.ts) and bulk loads are cut into
 * batches of at most COPY_BATCH_BYTES, each one `COPY … FROM '/dev/blob'`.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { mkdir } from 'node:fs/promises';
import { StrongroomError, messageOf } from '../common/errors.js';
import { beginStatement, sqlCursor, type CopyFormat, type Db, type Row, type TransactionOptions, type Tx, type Queryable } from './adapter.js';
import { SESSION_SETUP, TYPE_PARSERS } from './types.js';

/** Bytes of COPY text per `/dev/blob` batch: bounds memory during bulk loads. */
const COPY_BATCH_BYTES = 8 * 1024 * 1024;

type PgliteLike = Pick<PGlite, 'query' | 'exec'> | Transaction;

function wrapQueryError(err: unknown, sql: string): StrongroomError {
  if (err instanceof StrongroomError) return err;
  const first = sql.replace(/\s+/g, ' ').trim().slice(0, 120);
  return new StrongroomError('DB_QUERY_FAILED', `${messageOf(err)} (in: ${first})`, { cause: err });
}

function toBlobCopy(copySql: string): string {
  const replaced = copySql.replace(/\bFROM\s+STDIN\b/i, "FROM '/dev/blob'");
  if (replaced === copySql) throw new StrongroomError('INTERNAL', `copyFrom needs a COPY … FROM STDIN statement, got: ${copySql}`);
  return replaced;
}

class PgliteQueryable implements Queryable {
  constructor(protected readonly target: PgliteLike) {}

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      const result = await this.target.query<R>(sql, params as unknown[], { parsers: TYPE_PARSERS as never });
      return result.rows;
    } catch (err) {
      throw wrapQueryError(err, sql);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.target.exec(sql);
    } catch (err) {
      throw wrapQueryError(err, sql);
    }
  }

  async copyFrom(copySql: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
    const blobSql = toBlobCopy(copySql);
    let parts: Array<string | Uint8Array> = [];
    let size = 0;
    let rows = 0;
    const flush = async () => {
      if (parts.length === 0) return;
      const blob = new Blob(parts);
      parts = [];
      size = 0;
      try {
        const result = await this.target.query(blobSql, [], { blob });
        rows += result.affectedRows ?? 0;
      } catch (err) {
        throw wrapQueryError(err, copySql);
      }
    };
    for await (const chunk of source) {
      parts.push(chunk);
      size += chunk.length;
      if (size >= COPY_BATCH_BYTES) await flush();
    }
    await flush();
    return rows;
  }
}

class EmbeddedTx extends PgliteQueryable implements Tx {
  cursor<R extends Row = Row>(sql: string, params: readonly unknown[] = [], batchSize?: number): AsyncGenerator<R[]> {
    return sqlCursor<R>(this, sql, params, batchSize);
  }

  async *copyTo(query: string, format: CopyFormat = 'text'): AsyncGenerator<Buffer> {
    const sql = `COPY (${query}) TO '/dev/blob'${format === 'binary' ? ' (FORMAT binary)' : ''}`;
    let blob: Blob | undefined;
    try {
      blob = (await this.target.query(sql, [], { parsers: TYPE_PARSERS as never })).blob;
    } catch (err) {
      throw wrapQueryError(err, sql);
    }
    if (blob && blob.size > 0) yield Buffer.from(await blob.arrayBuffer());
  }
}

export class EmbeddedDb extends PgliteQueryable implements Db {
  readonly kind = 'embedded' as const;
  readonly description: string;

  private constructor(private readonly pglite: PGlite, description: string) {
    super(pglite);
    this.description = description;
  }

  /** Open (creating if needed) the embedded database in `dir`, or in memory when `dir` is null. */
  static async open(dir: string | null): Promise<EmbeddedDb> {
    try {
      if (dir !== null) await mkdir(dir, { recursive: true });
      const pglite = await PGlite.create(dir ?? undefined);
      const db = new EmbeddedDb(pglite, dir === null ? 'embedded (in memory)' : `embedded:${dir}`);
      await db.exec(SESSION_SETUP);
      return db;
    } catch (err) {
      throw new StrongroomError('DB_CONNECT_FAILED', `cannot open the embedded database${dir ? ` in ${dir}` : ''}: ${messageOf(err)}`, {
        cause: err,
        ...(dir ? { location: dir } : {}),
      });
    }
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    // PGlite's own transaction() issues a plain BEGIN; we need the isolation level and read-only
    // flag, so the first statement inside sets them (legal before any query has run).
    return this.pglite.transaction(async (raw) => {
      const set = beginStatement(options).replace(/^BEGIN/, 'SET TRANSACTION');
      await raw.exec(set);
      return fn(new EmbeddedTx(raw));
    });
  }

  async close(): Promise<void> {
    await this.pglite.close();
  }
}
