/**
 * `ServerDb`: any PostgreSQL server by URL, through a node-postgres pool. COPY FROM streams
 * through pg-copy-streams; cursors are plain SQL cursors (see adapter.ts).
 */
import pg from 'pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFromStream, to as copyToStream } from 'pg-copy-streams';
import { StrongroomError, messageOf } from '../common/errors.js';
import { beginStatement, sqlCursor, type CopyFormat, type Db, type Row, type TransactionOptions, type Tx, type Queryable } from './adapter.js';
import { SESSION_SETUP, TYPE_PARSERS } from './types.js';

const typeConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    const parser = TYPE_PARSERS[oid];
    if (parser && format !== 'binary') return parser;
    return pg.types.getTypeParser(oid, (format ?? 'text') as 'text');
  }) as typeof pg.types.getTypeParser,
};

/** `postgres://user:secret@host/db` → `postgres://user@host/db` for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

function wrapQueryError(err: unknown, sql: string): StrongroomError {
  if (err instanceof StrongroomError) return err;
  const first = sql.replace(/\s+/g, ' ').trim().slice(0, 120);
  return new StrongroomError('DB_QUERY_FAILED', `${messageOf(err)} (in: ${first})`, { cause: err });
}

class ClientQueryable implements Queryable {
  constructor(protected readonly client: pg.PoolClient | pg.Pool) {}

  async query<R extends Row = Row>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
    try {
      const result = await this.client.query({ text: sql, values: params as unknown[], types: typeConfig });
      return result.rows as R[];
    } catch (err) {
      throw wrapQueryError(err, sql);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      await this.client.query(sql);
    } catch (err) {
      throw wrapQueryError(err, sql);
    }
  }

  async copyFrom(copySql: string, source: AsyncIterable<string | Uint8Array>): Promise<number> {
    const client = this.client instanceof pg.Pool ? await this.client.connect() : this.client;
    try {
      const stream = client.query(copyFromStream(copySql));
      await pipeline(Readable.from(source), stream);
      return Number(stream.rowCount ?? 0);
    } catch (err) {
      throw wrapQueryError(err, copySql);
    } finally {
      if (client !== this.client) (client as pg.PoolClient).release();
    }
  }
}

class ServerTx extends ClientQueryable implements Tx {
  cursor<R extends Row = Row>(sql: string, params: readonly unknown[] = [], batchSize?: number): AsyncGenerator<R[]> {
    return sqlCursor<R>(this, sql, params, batchSize);
  }

  async *copyTo(query: string, format: CopyFormat = 'text'): AsyncGenerator<Buffer> {
    const sql = `COPY (${query}) TO STDOUT${format === 'binary' ? ' (FORMAT binary)' : ''}`;
    const stream = (this.client as pg.PoolClient).query(copyToStream(sql));
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (err) {
      throw wrapQueryError(err, sql);
    } finally {
      // Stopped early: drain the rest so the connection is usable for the next statement.
      if (!stream.readableEnded) {
        stream.resume();
        await new Promise<void>((resolve) => {
          stream.once('end', resolve);
          stream.once('error', () => resolve());
          stream.once('close', resolve);
        });
      }
    }
  }
}

export class ServerDb extends ClientQueryable implements Db {
  readonly kind = 'server' as const;
  readonly description: string;
  /** The URL it was opened with, for worker threads that open connections of their own (never print it). */
  readonly connectionUrl: string;
  private readonly pool: pg.Pool;

  private constructor(pool: pg.Pool, url: string) {
    super(pool);
    this.pool = pool;
    this.description = redactUrl(url);
    this.connectionUrl = url;
  }

  static async open(url: string, options: { max?: number } = {}): Promise<ServerDb> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.max ?? 4,
      options: '-c TimeZone=UTC -c DateStyle=ISO,YMD -c bytea_output=hex',
      application_name: 'strongroom',
    });
    // An idle client that errors (server restart) must not crash the process.
    pool.on('error', () => undefined);
    const db = new ServerDb(pool, url);
    try {
      await db.exec(SESSION_SETUP);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new StrongroomError('DB_CONNECT_FAILED', `cannot connect to ${db.description}: ${messageOf(err instanceof StrongroomError && err.cause !== undefined ? err.cause : err)}`, { cause: err });
    }
    return db;
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const client = await this.pool.connect().catch((err: unknown) => {
      throw new StrongroomError('DB_CONNECT_FAILED', `cannot connect to ${this.description}: ${messageOf(err)}`, { cause: err });
    });
    let broken = false;
    try {
      await client.query(beginStatement(options));
      const tx = new ServerTx(client);
      const result = await fn(tx);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
