/**
 * The PostgreSQL adapter: one interface, two implementations.
 *
 * - `EmbeddedDb` (./embedded.ts): PGlite, a real PostgreSQL compiled to WebAssembly running
 *   in this process on a data directory. Needs nothing installed. Single connection: work
 *   is serialised, and results are materialised, so large reads must go through `cursor()`.
 * - `ServerDb` (./server.ts): any PostgreSQL server by URL, through node-postgres.
 *
 * Both run the same SQL and return the same JavaScript values (see ./types.ts): the session
 * time zone is UTC, timestamps come back as canonical RFC 3339 strings, bigint as number
 * (refusing unsafe values), numeric as string, json as parsed values, bytea as Buffer.
 */

export type Row = Record<string, unknown>;

export type Isolation = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  isolation?: Isolation;
  readOnly?: boolean;
}

/** What can run statements: the database itself or an open transaction. */
export interface Queryable {
  /** One statement with `$1…` parameters; returns all rows (keep results small: see cursor()). */
  query<R extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Several statements separated by `;`, no parameters, no results (DDL, SET …). */
  exec(sql: string): Promise<void>;
  /**
   * Bulk load: `copySql` is a `COPY table (cols) FROM STDIN` statement in text format; the
   * source yields text-format lines (each ending in "\n"), as strings or UTF-8 bytes; every
   * piece holds whole lines. Returns the number of rows.
   * Memory stays bounded: the embedded implementation loads in batches.
   */
  copyFrom(copySql: string, source: AsyncIterable<string | Uint8Array>): Promise<number>;
}

/** An open transaction. */
export interface Tx extends Queryable {
  /**
   * Stream the rows of `sql` in batches of `batchSize` through a server-side cursor
   * (`DECLARE … NO SCROLL CURSOR`, `FETCH`). Several cursors may be open at once.
   * Only valid inside a transaction; the cursor is closed when iteration ends or stops.
   */
  cursor<R extends Row = Row>(sql: string, params?: readonly unknown[], batchSize?: number): AsyncGenerator<R[]>;
  /**
   * Bulk read: the output of `COPY (<query>) TO STDOUT` in PostgreSQL text format (rows end in
   * "\n", fields separated by "\t", NULL as `\N`), as byte chunks that may cut rows anywhere.
   * `query` takes no parameters (COPY cannot bind them): quote literals with `sqlLiteral()`.
   * The embedded implementation materialises the whole output first: keep each query small
   * (page it by key), exactly as for `query()`.
   */
  copyTo(query: string, format?: CopyFormat): AsyncIterable<Buffer>;
}

/** COPY output format: PostgreSQL's text format (default) or its binary format (framed fields, no escapes). */
export type CopyFormat = 'text' | 'binary';

export interface Db extends Queryable {
  readonly kind: 'embedded' | 'server';
  /** Where the database is, without credentials (for messages and reports). */
  readonly description: string;
  /** Run `fn` in a transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
  close(): Promise<void>;
}

export function beginStatement(options: TransactionOptions = {}): string {
  const parts = [`ISOLATION LEVEL ${(options.isolation ?? 'read committed').toUpperCase()}`];
  if (options.readOnly) parts.push('READ ONLY');
  return `BEGIN ${parts.join(', ')}`;
}

let cursorCounter = 0;

/** A cursor over any transaction that can `query`: identical SQL on both implementations. */
export async function* sqlCursor<R extends Row>(
  tx: Queryable,
  sql: string,
  params: readonly unknown[] = [],
  batchSize = 5000,
): AsyncGenerator<R[]> {
  const name = `sr_cursor_${++cursorCounter}`;
  await tx.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
  let open = true;
  try {
    for (;;) {
      const rows = await tx.query<R>(`FETCH FORWARD ${batchSize} FROM ${name}`);
      if (rows.length === 0) break;
      yield rows;
      if (rows.length < batchSize) break;
    }
    await tx.exec(`CLOSE ${name}`);
    open = false;
  } finally {
    // Iteration stopped early (break or error): close the cursor if the transaction is still
    // usable; if it is aborted, the rollback closes it anyway.
    if (open) await tx.exec(`CLOSE ${name}`).catch(() => undefined);
  }
}

/**
 * A string literal for SQL text that cannot take bind parameters (COPY): an escape-string
 * literal, so it means the same whatever `standard_conforming_strings` says. NUL cannot be
 * represented in PostgreSQL text and is refused.
 */
export function sqlLiteral(value: string): string {
  if (value.includes('\0')) throw new RangeError('a PostgreSQL text value cannot contain NUL');
  return `E'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** An SQL identifier, double-quoted (PostgreSQL docs, "Lexical Structure": quoted identifiers). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Bytes per COPY write: large enough to amortise calls, small enough to stream. */
const COPY_PIECE_BYTES = 256 * 1024;

/** COPY text lines joined into writes of about COPY_PIECE_BYTES, for `copyFrom`. */
export async function* copyPieces(lines: Iterable<string> | AsyncIterable<string>): AsyncGenerator<string> {
  let piece = '';
  if (Symbol.asyncIterator in lines) {
    for await (const line of lines) {
      piece += line;
      if (piece.length >= COPY_PIECE_BYTES) {
        yield piece;
        piece = '';
      }
    }
  } else {
    // An array's lines without an await each (the generator loads millions of them).
    for (const line of lines) {
      piece += line;
      if (piece.length >= COPY_PIECE_BYTES) {
        yield piece;
        piece = '';
      }
    }
  }
  if (piece !== '') yield piece;
}
