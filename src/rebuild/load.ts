/**
 * The bulk-loading machinery of the rebuild, in the database:
 *
 * - the keys and indexes, off during the load: ./keys.ts.
 * - `Staging`: temporary tables (ON COMMIT DROP) for the rows that cannot go to their table
 *   directly: the few rows carrying the TLD (known only once the header is read, and Strongroom
 *   writes the header last) and name servers given by host name (the schema links them by host
 *   roid). Domains, which carry the TLD too, go straight to registry.domain (`FullCopy`).
 * - `ChunkedCopy`: a RowSink that buffers COPY lines per table and loads a full chunk while the
 *   reader parses the next one (at most two chunks in memory).
 */
import { quoteIdent, type Tx } from '../db/adapter.js';
import { StrongroomError } from '../common/errors.js';
import { copyField } from '../sources/copy-text.js';
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
export class LineBuffer {
  bytes: Buffer;
  length = 0;
  lines = 0;
  /** The object (ChunkedCopy's count) whose start `markLength`/`markLines` describe (./fast-rows.ts writes an object at a time). */
  epoch = -1;
  markLength = 0;
  markLines = 0;

  constructor(size: number) {
    this.bytes = Buffer.allocUnsafe(size);
  }

  /** Room for `n` more bytes. */
  room(n: number): void {
    const room = this.length + n;
    if (room > this.bytes.length) {
      let size = this.bytes.length * 2;
      while (size < room) size *= 2;
      const grown = Buffer.allocUnsafe(size);
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
  }

  add(line: string): number {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    this.room(line.length * 3);
    // Buffer's own encoder without write()'s argument handling (a third of its cost per line).
    const written = utf8Write.call(this.bytes, line, this.length);
    this.length += written;
    this.lines++;
    return written;
  }

  /**
   * `value` as one COPY field (copyField: `\N` for undefined, backslash escapes for \ \n \r \t),
   * then `end` (a tab, or a newline that ends the line). ASCII is copied here, byte by byte,
   * escaping on the way: no escaped copy, no line string, no flattening of concatenations; from
   * the first non-ASCII code unit on, the rest goes through copyField and Buffer's encoder, as
   * whole lines did (lone surrogates become U+FFFD either way).
   */
  field(value: string | undefined, end: number): void {
    if (value === undefined) return this.text('\\N', end);
    const n = value.length;
    // Escaped, a code unit takes at most 2 units, each at most 3 bytes; then `end`.
    this.room(n * 6 + 1);
    const b = this.bytes;
    let p = this.length;
    for (let i = 0; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c > 13 && c < 0x80 && c !== 92) b[p++] = c;
      else if (c >= 0x80) {
        p += utf8Write.call(b, copyField(value.slice(i)), p);
        break;
      } else if (c === 92) {
        b[p++] = 92;
        b[p++] = 92;
      } else if (c === 10) {
        b[p++] = 92;
        b[p++] = 110;
      } else if (c === 13) {
        b[p++] = 92;
        b[p++] = 114;
      } else if (c === 9) {
        b[p++] = 92;
        b[p++] = 116;
      } else b[p++] = c;
    }
    b[p++] = end;
    this.length = p;
    if (end === 10) this.lines++;
  }

  /** `text`, already COPY text (escaped, or known to need no escape), then `end` (see field()). */
  text(text: string, end: number): void {
    const n = text.length;
    this.room(n * 3 + 1);
    const b = this.bytes;
    let p = this.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) {
        p += utf8Write.call(b, text.slice(i), p);
        break;
      }
      b[p++] = c;
    }
    b[p++] = end;
    this.length = p;
    if (end === 10) this.lines++;
  }

  /** A non-negative integer (an `ord`), then `end`. */
  int(value: number, end: number): void {
    if (value < 10) {
      this.room(2);
      this.bytes[this.length++] = 48 + value;
      this.bytes[this.length++] = end;
      if (end === 10) this.lines++;
    } else this.text(String(value), end);
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
/** Where lines go, one call per line ending in "\n" (the typed path's row writers, src/generate/rows.ts). */
export interface LineSink {
  row(table: Target, line: string): void;
}

/**
 * Where the rebuild's fast path (./fast-rows.ts) writes an object's rows: COPY text straight
 * into each target's buffer, field by field, kept (`keep`) once the whole object has been read
 * or undone (`discard`) when the fast path gives up on it — nothing of a discarded object is
 * left, in the buffers or in what the sink remembers.
 */
export interface RowWriter {
  /** The buffer of `table` (its state at the object's start is remembered for `discard`). */
  to(table: Target): LineBuffer;
  /** The object's rows are complete. */
  keep(): void;
  /** Undo everything written since the last keep() or discard(). */
  discard(): void;
  /** The TLD column of a domain line whose name is `nameField` (COPY text). */
  domainTld(nameField: string): string;
  /** The roid (COPY text) of the host object named `nameField`, when its name servers can go straight to registry.domain_ns. */
  hostRoid(nameField: string): string | undefined;
  /** A name server was written to domain_ns with hostRoid()'s answer (counted on keep). */
  resolvedNameServer(): void;
  /** A host object of the object being written (COPY texts; remembered on keep). */
  hostObject(nameField: string, roidField: string): void;
}

export class ChunkedCopy implements RowSink, RowWriter {
  private buffers = new Map<Target, LineBuffer>();
  /** The other set, free while no load is in flight. */
  private spare = new Map<Target, LineBuffer>();
  private pending = 0;
  private inflight: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  readonly rows = new Map<Target, number>();
  /**
   * Called with the targets of each chunk before it is loaded, in the load's turn on the
   * connection (while the caller fills the next chunk); a failure fails the load.
   */
  beforeChunk: ((targets: ReadonlySet<Target>) => Promise<void>) | null = null;

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

  /** Objects written through the RowWriter methods (the epoch of LineBuffer marks). */
  private epoch = 0;
  /** Buffers written to by the object being written. */
  private readonly marked: LineBuffer[] = [];

  to(table: Target): LineBuffer {
    let buffer = this.buffers.get(table);
    if (!buffer) this.buffers.set(table, (buffer = new LineBuffer(64 * 1024)));
    if (buffer.epoch !== this.epoch) {
      buffer.epoch = this.epoch;
      buffer.markLength = buffer.length;
      buffer.markLines = buffer.lines;
      this.marked.push(buffer);
    }
    return buffer;
  }

  keep(): void {
    for (const buffer of this.marked) this.pending += buffer.length - buffer.markLength;
    this.marked.length = 0;
    this.epoch++;
  }

  discard(): void {
    for (const buffer of this.marked) {
      buffer.length = buffer.markLength;
      buffer.lines = buffer.markLines;
    }
    this.marked.length = 0;
    this.epoch++;
  }

  /** Left empty (DOMAIN_TLD_LATER): the loads after a FULL write no domain of their own TLD here. */
  domainTld(_nameField: string): string {
    return DOMAIN_TLD_LATER;
  }

  /** Never known here: name servers are staged by host name. */
  hostRoid(_nameField: string): string | undefined {
    return undefined;
  }

  resolvedNameServer(): void {}

  hostObject(_nameField: string, _roidField: string): void {}

  /** The buffered lines, `<target>: <line>` in table order (tests). */
  bufferedLines(): string[] {
    const out: string[] = [];
    for (const table of TARGET_ORDER) {
      const buffer = this.buffers.get(table);
      if (!buffer) continue;
      const text = buffer.bytes.toString('utf8', 0, buffer.length);
      for (const line of text.split(/(?<=\n)/)) if (line !== '') out.push(`${table}: ${line}`);
    }
    return out;
  }

  get full(): boolean {
    return this.pending >= this.chunkBytes;
  }

  /** Bytes buffered since the last flush started. */
  get pendingBytes(): number {
    return this.pending;
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
    if (this.beforeChunk) await this.beforeChunk(new Set([...buffers].filter(([, b]) => b.lines > 0).map(([t]) => t)));
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
  private tld: string | null = null;
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
        this.tld ??= line.slice(Math.max(name, line.lastIndexOf('.', tld - 2) + 1), tld - 1);
        super.row(table, `${line.slice(0, tld)}${this.tld}${line.slice(tld)}`);
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
    return this.ownTld || (this.tld !== null && this.tld !== tld);
  }

  // The fast path's writes (RowWriter), to the same effect as its lines through row().

  /** Name servers resolved, and the host object seen, in the object being written. */
  private resolving = 0;
  private hostName: string | null = null;
  private hostRoidField = '';

  /** The last label of the first domain's name (as row() puts in). */
  override domainTld(nameField: string): string {
    return (this.tld ??= nameField.slice(nameField.lastIndexOf('.') + 1));
  }

  override hostRoid(nameField: string): string | undefined {
    return this.hosts.get(nameField);
  }

  override resolvedNameServer(): void {
    this.resolving++;
  }

  override hostObject(nameField: string, roidField: string): void {
    this.hostName = nameField;
    this.hostRoidField = roidField;
  }

  override keep(): void {
    super.keep();
    this.nameServers += this.resolving;
    this.resolving = 0;
    if (this.hostName !== null && this.hosts.size < MAX_HOST_NAMES) this.hosts.set(this.hostName, this.hostRoidField);
    this.hostName = null;
  }

  override discard(): void {
    super.discard();
    this.resolving = 0;
    this.hostName = null;
  }
}
