/**
 * The bulk-loading machinery of the rebuild, in the database:
 *
 * - `Keys`: the keys (primary, unique, foreign) and indexes of the registry tables are taken
 *   off before the load and put back after it, all inside the rebuild's transaction — the
 *   pg_restore order (data, then unique keys and indexes, then foreign keys): each is built
 *   once over the loaded data instead of being maintained row by row. CHECK and NOT NULL
 *   constraints stay on. A failure to put a key back names the offending rows.
 * - `Staging`: temporary tables (ON COMMIT DROP) for the rows that cannot go to their table
 *   directly: the few rows carrying the TLD (known only once the header is read, and Strongroom
 *   writes the header last) and name servers given by host name (the schema links them by host
 *   roid). Domains, which carry the TLD too, go straight to registry.domain (`FullCopy`).
 * - `ChunkedCopy`: a RowSink that buffers COPY lines per table and loads a full chunk while the
 *   reader parses the next one (at most two chunks in memory).
 */
import { quoteIdent, type Tx } from '../db/adapter.js';
import { StrongroomError, messageOf } from '../common/errors.js';
import { TABLES, TABLE_ORDER, type RowSink, type TableName } from '../generate/rows.js';

/** Tables whose rows carry the TLD column: staged, then inserted with the header's TLD (domains: `FullCopy`). */
export const STAGED_TABLES: readonly TableName[] = ['idn_table', 'epp_params', 'policy', 'nndn'];

/** Name servers by host name (host-object model), resolved to host roids after the load. */
export const NS_STAGE = 'sr_rebuild_ns';

export function stagedName(table: TableName): string {
  return `sr_rebuild_${table}`;
}

/** Where COPY lines of `table` go during the load. */
export function loadTarget(table: TableName): string {
  return STAGED_TABLES.includes(table) ? `pg_temp.${stagedName(table)}` : `registry.${table}`;
}

export async function createStaging(tx: Tx): Promise<void> {
  const statements = STAGED_TABLES.map((t) => `CREATE TEMP TABLE ${stagedName(t)} (LIKE registry.${t}) ON COMMIT DROP`);
  statements.push(`CREATE TEMP TABLE ${NS_STAGE} (domain_roid text COLLATE "C" NOT NULL, ord smallint NOT NULL, host_name text COLLATE "C" NOT NULL) ON COMMIT DROP`);
  await tx.exec(statements.join(';\n'));
}

/**
 * Move the staged rows into their tables, with `tld` in the TLD column; with `fixDomainTld`
 * (`FullCopy.domainTldDiffers`), the domains loaded directly get `tld` too.
 */
export async function insertStaged(tx: Tx, tld: string, fixDomainTld: boolean): Promise<void> {
  for (const table of STAGED_TABLES) {
    const columns = TABLES[table];
    const select = columns.map((c) => (c === 'tld' ? '$1::text' : c)).join(', ');
    await tx.query(`INSERT INTO registry.${table} (${columns.join(', ')}) SELECT ${select} FROM pg_temp.${stagedName(table)}`, [tld]);
  }
  if (fixDomainTld) await tx.query('UPDATE registry.domain SET tld = $1 WHERE tld <> $1', [tld]);
}

interface KeyDef {
  table: string;
  name: string;
  type: 'p' | 'u' | 'f';
  def: string;
  /** Columns of a foreign key, and the table and columns it refers to. */
  columns: string[];
  refTable: string | null;
  refColumns: string[];
}

type IndexDef = {
  name: string;
  def: string;
  table: string;
  /** Its key columns in order (empty when one is an expression). */
  columns: string[];
};

/** The keys and indexes of the registry schema, taken off for the load and put back after. */
export class Keys {
  private constructor(
    private readonly keys: KeyDef[],
    private readonly indexes: IndexDef[],
  ) {}

  static async read(tx: Tx): Promise<Keys> {
    const keys = await tx.query<{ table: string; name: string; type: 'p' | 'u' | 'f'; def: string; columns: string[]; ref_table: string | null; ref_columns: string[] }>(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS type, pg_get_constraintdef(c.oid) AS def,
              array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns,
              CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END AS ref_table,
              array(SELECT a.attname::text FROM unnest(coalesce(c.confkey, '{}')) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS ref_columns
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
       WHERE n.nspname = 'registry' AND c.contype IN ('p', 'u', 'f')
       ORDER BY c.contype, c.conrelid::regclass::text, c.conname`,
    );
    const indexes = await tx.query<IndexDef>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def,
              CASE WHEN 0 <> ALL ((i.indkey::int2[])[0:i.indnkeyatts - 1]) THEN
                array(SELECT a.attname::text FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
              ELSE '{}' END AS columns,
              t.oid::regclass::text AS table
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = 'registry' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
       ORDER BY 1`,
    );
    return new Keys(
      keys.map((k) => ({ table: k.table, name: k.name, type: k.type, def: k.def, columns: k.columns, refTable: k.ref_table, refColumns: k.ref_columns })),
      indexes,
    );
  }

  get foreignKeys(): number {
    return this.keys.filter((k) => k.type === 'f').length;
  }

  /** Take them off: foreign keys first (they depend on the unique indexes), then keys, then indexes. */
  async drop(tx: Tx): Promise<void> {
    const statements: string[] = [];
    for (const k of this.keys.filter((k) => k.type === 'f')) statements.push(`ALTER TABLE ${k.table} DROP CONSTRAINT ${quoteIdent(k.name)}`);
    for (const k of this.keys.filter((k) => k.type !== 'f')) statements.push(`ALTER TABLE ${k.table} DROP CONSTRAINT ${quoteIdent(k.name)}`);
    for (const i of this.indexes) statements.push(`DROP INDEX ${i.name}`);
    if (statements.length > 0) await tx.exec(statements.join(';\n'));
  }

  /** Put them back: unique keys, indexes, then foreign keys (each validated over all rows). */
  async restore(tx: Tx): Promise<void> {
    for (const k of this.keys.filter((k) => k.type !== 'f')) {
      try {
        await tx.exec(`ALTER TABLE ${k.table} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}`);
      } catch (err) {
        throw new StrongroomError('REBUILD_CHECK_FAILED', `the deposit holds the same key twice in ${k.table} (${k.def}): ${detailOf(err)}`, {
          cause: err,
          location: k.table,
        });
      }
    }
    for (const i of this.indexes) await tx.exec(i.def);
    const [{ hashjoin } = { hashjoin: 'on' }] = await tx.query<{ hashjoin: string }>("SELECT current_setting('enable_hashjoin') AS hashjoin");
    for (const k of this.keys.filter((k) => k.type === 'f')) {
      // PostgreSQL validates a new foreign key with one anti join of the referencing table to
      // the referenced one, planned like any query. Left alone the planner hashes the whole
      // referenced key (1M domain roids, once per child table); when an index leads with the
      // referencing columns, a merge join of two ordered index-only scans is 2–5× cheaper (the
      // visibility map is set: the rows came by COPY FREEZE). Only the plan changes, not what
      // is checked.
      const merge = this.indexed(k.table, k.columns);
      try {
        // A savepoint, so that after a failure the transaction can still name the rows.
        await tx.exec(
          `SAVEPOINT sr_rebuild_fk;${merge ? ' SET LOCAL enable_hashjoin = off;' : ''} ALTER TABLE ${k.table} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}; RELEASE SAVEPOINT sr_rebuild_fk${merge ? `; SET LOCAL enable_hashjoin = ${hashjoin === 'off' ? 'off' : 'on'}` : ''}`,
        );
      } catch (err) {
        const examples = await tx
          .exec('ROLLBACK TO SAVEPOINT sr_rebuild_fk')
          .then(() => this.dangling(tx, k))
          .catch(() => [] as string[]);
        throw new StrongroomError(
          'REBUILD_CHECK_FAILED',
          `a reference does not resolve: ${k.table} (${k.columns.join(', ')}) → ${k.refTable} (${k.refColumns.join(', ')}): ${examples.length > 0 ? examples.join('; ') : detailOf(err)}`,
          { cause: err, location: k.table, data: { constraint: k.name, examples } },
        );
      }
    }
  }

  /** Whether a unique key or an index of `table` leads with `columns`, in that order. */
  private indexed(table: string, columns: readonly string[]): boolean {
    const leads = (key: readonly string[]) => columns.length > 0 && columns.every((c, n) => key[n] === c);
    return this.keys.some((k) => k.type !== 'f' && k.table === table && leads(k.columns)) || this.indexes.some((i) => i.table === table && leads(i.columns));
  }

  /** Up to 5 rows of `k.table` whose reference does not resolve, named by their primary key. */
  private async dangling(tx: Tx, k: KeyDef): Promise<string[]> {
    const pk = this.keys.find((x) => x.type === 'p' && x.table === k.table)?.columns ?? k.columns;
    const notNull = k.columns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
    const match = k.columns.map((c, n) => `p.${k.refColumns[n]} = c.${c}`).join(' AND ');
    const show = [...new Set([...pk, ...k.columns])];
    const rows = await tx.query<Record<string, unknown>>(
      `SELECT ${show.map((c) => `c.${c}::text AS ${c}`).join(', ')} FROM ${k.table} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${k.refTable} p WHERE ${match}) LIMIT 5`,
    );
    return rows.map((r) => show.map((c) => `${c}=${String(r[c])}`).join(' '));
  }
}

/**
 * The registry tables' own triggers (the change journal of migration 002), switched off for the
 * load and back on, in their former mode, before the rebuild commits — as pg_restore creates
 * triggers only after the data. Journaling a bulk load row set by row set cost as much server
 * time as the load itself (one journal row per object and per child row set per COPY chunk,
 * two journal indexes), and nothing could use those entries: a DIFF is computed against a
 * deposit of the rebuilt database, and every such deposit is taken after the rebuild commits.
 * The journal's horizon moves to the end of the rebuild instead (as a TRUNCATE moves it), so
 * a DIFF against a deposit from before the rebuild is refused (JOURNAL_INCOMPLETE) rather than
 * computed from a journal that does not show the rebuild.
 */
export class Triggers {
  private constructor(private readonly triggers: Array<{ table: string; name: string; mode: string }>) {}

  static async read(tx: Tx): Promise<Triggers> {
    const rows = await tx.query<{ table: string; name: string; mode: string }>(
      `SELECT t.tgrelid::regclass::text AS table, t.tgname AS name, t.tgenabled::text AS mode
       FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'registry' AND NOT t.tgisinternal AND t.tgenabled <> 'D'
       ORDER BY 1, 2`,
    );
    return new Triggers(rows);
  }

  async disable(tx: Tx): Promise<void> {
    if (this.triggers.length === 0) return;
    await tx.exec(this.triggers.map((t) => `ALTER TABLE ${t.table} DISABLE TRIGGER ${quoteIdent(t.name)}`).join(';\n'));
  }

  /** Switch them back on and, if the journal is installed, move its horizon past the load. */
  async restore(tx: Tx): Promise<void> {
    if (this.triggers.length === 0) return;
    const mode = (m: string) => (m === 'A' ? 'ENABLE ALWAYS' : m === 'R' ? 'ENABLE REPLICA' : 'ENABLE');
    await tx.exec(this.triggers.map((t) => `ALTER TABLE ${t.table} ${mode(t.mode)} TRIGGER ${quoteIdent(t.name)}`).join(';\n'));
    const [journal] = await tx.query<{ ok: boolean }>("SELECT to_regclass('strongroom.journal_horizon') IS NOT NULL AS ok");
    if (journal?.ok) await tx.exec("UPDATE strongroom.journal_horizon SET since = greatest(since, clock_timestamp()), reason = 'rebuild'");
  }
}

/** PostgreSQL's message and detail ("Key (roid)=(D1-X) is duplicated.") of a failed statement. */
export function detailOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause ?? err;
  const detail = (cause as { detail?: unknown }).detail;
  return `${messageOf(cause)}${typeof detail === 'string' && detail !== '' ? ` — ${detail}` : ''}`;
}

/** Entries of a DIFF/INCR's `<rde:deletes>`, staged until the deposit is applied (./apply.ts). */
export const DELETES_STAGE = 'sr_rebuild_deletes';

export type Target = TableName | typeof NS_STAGE | typeof DELETES_STAGE;

const TARGET_ORDER: readonly Target[] = [...TABLE_ORDER, NS_STAGE, DELETES_STAGE];

/**
 * The FULL load's COPY statements: registry tables, staged tables for rows carrying the TLD.
 * FREEZE (as a restore into new tables can): the rows are written frozen and their pages
 * marked all-visible, so the key checks after the load read indexes alone. It needs every
 * table created or truncated in the loading transaction (./rebuild.ts prepareTarget).
 */
export function fullCopySql(target: Target): string {
  if (target === NS_STAGE) return `COPY pg_temp.${NS_STAGE} (domain_roid, ord, host_name) FROM STDIN (FREEZE)`;
  if (target === DELETES_STAGE) throw new StrongroomError('INTERNAL', 'a FULL load stages no deletes');
  return `COPY ${loadTarget(target)} (${TABLES[target].join(', ')}) FROM STDIN (FREEZE)`;
}

type Utf8Writer = (this: Buffer, text: string, offset: number) => number;
/**
 * Buffer's own UTF-8 encoder, which `write()` calls after its argument handling. It is not a
 * documented API (present in Node 20 and 22): without it, `write()` gives the same bytes.
 */
const utf8Write: Utf8Writer =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Writer }).utf8Write ??
  function (this: Buffer, text: string, offset: number): number {
    return this.write(text, offset, 'utf8');
  };

/** Bytes per piece handed to COPY (whole lines; about the adapter's own piece size). */
const PIECE_BYTES = 256 * 1024;

/**
 * One target's COPY text as UTF-8 bytes, in a buffer that grows by doubling and is reused
 * from chunk to chunk. Lines are encoded as they come: no string is kept, so a chunk costs
 * exactly its bytes. (Keeping the lines as strings kept alive, through V8's sliced and cons
 * strings, the whole decoded parser chunks their values were cut from — most of the former
 * 700 MiB peak RSS.)
 */
class LineBuffer {
  bytes: Buffer;
  length = 0;
  lines = 0;

  constructor(size: number) {
    this.bytes = Buffer.allocUnsafe(size);
  }

  add(line: string): number {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    const room = this.length + line.length * 3;
    if (room > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < room) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
    // Buffer's own encoder without write()'s argument handling (a third of its cost per line).
    const written = utf8Write.call(this.bytes, line, this.length);
    this.length += written;
    this.lines++;
    return written;
  }

  /** The content in pieces of about PIECE_BYTES, each ending at a line end. */
  *pieces(): Generator<Uint8Array> {
    let from = 0;
    while (from < this.length) {
      let to = Math.min(from + PIECE_BYTES, this.length);
      if (to < this.length) {
        const nl = this.bytes.lastIndexOf(10, to - 1);
        to = nl >= from ? nl + 1 : this.bytes.indexOf(10, to) + 1;
      }
      yield this.bytes.subarray(from, to);
      from = to;
    }
  }

  clear(): void {
    this.length = 0;
    this.lines = 0;
  }
}

/**
 * Buffers COPY lines per table (as bytes, ./LineBuffer) and loads them a chunk at a time, in
 * table order. A full chunk is loaded while the caller fills the next one: two sets of
 * buffers, swapped and reused, so memory is about twice `chunkBytes` whatever the deposit size.
 */
export class ChunkedCopy implements RowSink {
  private buffers = new Map<Target, LineBuffer>();
  /** The other set, free while no load is in flight. */
  private spare = new Map<Target, LineBuffer>();
  private pending = 0;
  private inflight: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  readonly rows = new Map<Target, number>();

  /** `copySql` says where each target's lines go (default: the FULL load's tables). */
  constructor(
    private readonly tx: Tx,
    private readonly chunkBytes: number,
    private readonly copySql: (target: Target) => string = fullCopySql,
  ) {}

  row(table: Target, line: string): void {
    let buffer = this.buffers.get(table);
    if (!buffer) this.buffers.set(table, (buffer = new LineBuffer(64 * 1024)));
    this.pending += buffer.add(line);
  }

  get full(): boolean {
    return this.pending >= this.chunkBytes;
  }

  /** Start loading the buffered rows (after the previous chunk has been loaded). */
  async startFlush(): Promise<void> {
    await this.drain();
    const buffers = this.take();
    this.inflight = this.load(buffers)
      .catch((error: unknown) => {
        this.failure = { error };
      })
      .finally(() => this.give(buffers));
  }

  /** Load everything buffered and wait until the database has it. */
  async flush(): Promise<void> {
    await this.drain();
    const buffers = this.take();
    try {
      await this.load(buffers);
    } finally {
      this.give(buffers);
    }
  }

  /** Wait for a load in flight (on error paths too, so the connection is idle afterwards). */
  async settle(): Promise<void> {
    if (this.inflight) await this.inflight;
    this.inflight = null;
  }

  private take(): Map<Target, LineBuffer> {
    const buffers = this.buffers;
    this.buffers = this.spare;
    this.spare = new Map();
    this.pending = 0;
    return buffers;
  }

  /** A loaded set becomes the spare one. */
  private give(buffers: Map<Target, LineBuffer>): void {
    for (const buffer of buffers.values()) buffer.clear();
    this.spare = buffers;
  }

  private async drain(): Promise<void> {
    await this.settle();
    if (this.failure) throw this.failure.error;
  }

  private async load(buffers: Map<Target, LineBuffer>): Promise<void> {
    for (const table of TARGET_ORDER) {
      const buffer = buffers.get(table);
      if (!buffer || buffer.lines === 0) continue;
      const loaded = await this.tx.copyFrom(this.copySql(table), asAsync(buffer.pieces()));
      if (loaded !== buffer.lines) throw new StrongroomError('INTERNAL', `COPY into ${table} loaded ${loaded} of ${buffer.lines} rows`);
      this.rows.set(table, (this.rows.get(table) ?? 0) + loaded);
    }
  }
}

async function* asAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}

/**
 * The TLD column of a domain line as both row writers (./rebuild.ts addObject, ./fast-rows.ts)
 * leave it: empty, since the header, which Strongroom writes last, is not known yet; `FullCopy`
 * puts the TLD in.
 */
export const DOMAIN_TLD_LATER = '';

/** Host names remembered by `FullCopy` (about 200 bytes each): beyond, name servers are staged. */
const MAX_HOST_NAMES = 1 << 18;

/**
 * The FULL load's sink: a ChunkedCopy that spares the database two passes over the largest
 * tables, working on the COPY lines of any row writer (src/generate/rows.ts, ./fast-rows.ts):
 *
 * - Domain lines, written with an empty TLD (the header, which Strongroom writes last, is not
 *   known yet), get the last label of the first domain's name, which is the TLD in a deposit
 *   of a TLD, and go straight to registry.domain. `domainTldDiffers` tells the caller when the
 *   header says otherwise, and one UPDATE then corrects every row: exact either way.
 * - Name servers by host name (NS_STAGE lines) whose host object came earlier in the deposit
 *   (Strongroom writes hosts before domains) become registry.domain_ns lines with the host's
 *   roid; only the others are staged and resolved in the database after the load. Host lines
 *   are remembered name → roid, up to MAX_HOST_NAMES (memory stays bounded; past the cap,
 *   name servers are staged as before). A name held by two hosts of the deposit fails the
 *   unique key on host names whichever roid it got here.
 *
 * Names are compared in their COPY text form, which is one-to-one with the value.
 */
export class FullCopy extends ChunkedCopy {
  private domainTld: string | null = null;
  /** A domain line came with a TLD of its own (no writer does this today). */
  private ownTld = false;
  private readonly hosts = new Map<string, string>();
  /** Name servers sent straight to registry.domain_ns. */
  nameServers = 0;

  override row(table: Target, line: string): void {
    if (table === 'domain') {
      const name = line.indexOf('\t') + 1;
      const tld = line.indexOf('\t', name) + 1;
      if (line.charCodeAt(tld) === 9) {
        this.domainTld ??= line.slice(Math.max(name, line.lastIndexOf('.', tld - 2) + 1), tld - 1);
        super.row(table, `${line.slice(0, tld)}${this.domainTld}${line.slice(tld)}`);
        return;
      }
      this.ownTld = true;
    } else if (table === 'host') {
      if (this.hosts.size < MAX_HOST_NAMES) {
        const roid = line.indexOf('\t');
        this.hosts.set(line.slice(roid + 1, line.indexOf('\t', roid + 1)), line.slice(0, roid));
      }
    } else if (table === NS_STAGE) {
      const name = line.indexOf('\t', line.indexOf('\t') + 1) + 1;
      const roid = this.hosts.get(line.slice(name, line.length - 1));
      if (roid !== undefined) {
        this.nameServers++;
        super.row('domain_ns', `${line.slice(0, name)}${roid}\n`);
        return;
      }
    }
    super.row(table, line);
  }

  /** Whether the domain rows loaded need `tld` put in (see insertStaged). */
  domainTldDiffers(tld: string): boolean {
    return this.ownTld || (this.domainTld !== null && this.domainTld !== tld);
  }
}
