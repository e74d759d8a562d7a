/**
 * The PostgreSQL `RegistrySource`: reads the read contract (the `rde.*` views, see
 * migrations/001_reference_schema.sql and docs/schema-mapping.md) inside ONE transaction,
 * REPEATABLE READ READ ONLY. On the server such a transaction takes no locks that block
 * writers: registrations continue while a deposit is written, and the deposit still shows
 * exactly the snapshot. The same SQL runs on the embedded database.
 *
 * Reading strategy (bounded memory at any size, identical on both database kinds):
 * - parents are read page by page with keyset pagination in key order
 *   (`WHERE key > last ORDER BY key COLLATE "C" LIMIT n`), which inside one snapshot is as
 *   consistent as a cursor;
 * - the children of a page are fetched by key range
 *   (`WHERE parent_key BETWEEN first AND last ORDER BY parent_key, ord`) and attached in JS;
 *   children of parents outside the page (another TLD's domains) are ignored;
 * - every read is a `COPY (…) TO STDOUT` in text format decoded by ./copy-text.ts rather than
 *   a cursor of row objects: several times faster (stack.md §4.5), and on the embedded
 *   database as small as a cursor batch, because each COPY covers one page.
 */
import type { Db, Tx } from '../db/adapter.js';
import { sqlLiteral } from '../db/adapter.js';
import { StrongroomError } from '../common/errors.js';
import { compareDateTime } from '../model/datetime.js';
import type {
  Address,
  Contact,
  ContactPostalInfo,
  Dcp,
  Domain,
  DomainContact,
  DomainContactType,
  DomainTransferData,
  DsData,
  EppParams,
  Host,
  HostAddr,
  HostAttr,
  IdnTableRef,
  IpVersion,
  KeyData,
  NameState,
  Nndn,
  Phone,
  Policy,
  PostalType,
  Registrar,
  RegistrarPostalInfo,
  RegistrarRef,
  RegistrarStatus,
  SecDns,
  Status,
} from '../model/objects.js';
import {
  boolOrUndefined,
  collectCopyRows,
  copyRows,
  intOrUndefined,
  jsonOf,
  textArrayOf,
  textOrUndefined,
  timestampOrUndefined,
  type CopyRow,
} from './copy-text.js';
import { SOURCE_KINDS, type DataModel, type HostModel, type RegistrySource, type SnapshotInfo, type SourceKind, type TldInfo } from './source.js';

/** Parents per page: bounds memory (a page and its children) and the number of statements. */
export const DEFAULT_PAGE_SIZE = 1000;

export interface SnapshotOptions {
  tld: string;
  /** The moment the data must represent; default: the snapshot's own time. */
  watermark?: string;
  /** Parents per page (tests use tiny pages to read across many pages). */
  pageSize?: number;
  /**
   * Read only the objects changed since this earlier snapshot (`pg_current_snapshot()` text of a
   * previous deposit): those with a change-journal entry (strongroom.journal, migration 002) that
   * this snapshot sees and that one does not. Objects are read exactly as without it, in the same
   * order; only the set is smaller (the DIFF/INCR writer's key filter).
   */
  changedSince?: string;
  /**
   * Check `watermark` against the changed objects only, once the change filter is set
   * (`onlyChangesSince`), instead of against the whole registry at open (DIFF and INCR: the
   * objects unchanged since the base deposit are as the base deposit's snapshot held them, and
   * that deposit's watermark, earlier than this one, was honoured for them). Reading objects
   * before the check ran is refused.
   */
  watermarkAgainstChanges?: boolean;
}

const lit = sqlLiteral;

/**
 * A required column: NULL (possible in a mapped schema without constraints) becomes '' so the
 * object still flows to the pre-flight, which reports it as missing; one bad row never stops
 * the reading.
 */
function field(row: CopyRow, index: number): string {
  return row[index] ?? '';
}

/** The key column of a page row: a NULL key cannot be paged over, so the view is unusable. */
function keyOf(row: CopyRow, view: string): string {
  const value = row[0];
  if (value === null || value === undefined) throw new StrongroomError('SOURCE_INVALID_ROW', `${view} returned a row whose key is NULL: keys of the rde.* views must be NOT NULL (docs/schema-mapping.md)`);
  return value;
}

function phone(number: string | null, ext: string | null): Phone | undefined {
  if (number === null) return undefined;
  return ext === null ? { number } : { number, ext };
}

function rr(id: string | null, client: string | null): RegistrarRef | undefined {
  if (id === null) return undefined;
  return client === null ? { id } : { id, client };
}

function status(row: CopyRow): Status {
  // (key, ord, s, lang, msg)
  const value: Status = { s: field(row, 2) };
  if (row[3] !== null) value.lang = row[3];
  if (row[4] !== null) value.text = row[4];
  return value;
}

/**
 * Set an optional property only when it has a value: objects never carry `undefined`
 * properties (they compare and serialise the same whatever their origin), and are built
 * without `delete`, which would make V8 drop them into slow dictionary mode.
 */
function opt<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/** An address from a postal row whose street column is at `at` (street, city, sp, pc, cc). */
function address(row: CopyRow, at: number): Address {
  const addr: Address = { street: textArrayOf(row[at]!), city: field(row, at + 1), cc: '' };
  opt(addr, 'sp', textOrUndefined(row[at + 2]!));
  opt(addr, 'pc', textOrUndefined(row[at + 3]!));
  addr.cc = field(row, at + 4);
  return addr;
}

/** secDNS of a domain: DS data (with optional key data) if any, else key data; maxSigLife first. */
function secDns(maxSigLife: number | undefined, ds: CopyRow[] | undefined, keys: CopyRow[] | undefined): SecDns | undefined {
  if (maxSigLife === undefined && ds === undefined && keys === undefined) return undefined;
  const sec = {} as SecDns;
  opt(sec, 'maxSigLife', maxSigLife);
  if (ds !== undefined || keys === undefined) {
    (sec as { dsData: DsData[] }).dsData = (ds ?? NONE).map((d) => {
      const data: DsData = { keyTag: Number(d[2]), alg: Number(d[3]), digestType: Number(d[4]), digest: field(d, 5) };
      if (d[6] !== null) data.keyData = { flags: Number(d[6]), protocol: Number(d[7]), alg: Number(d[8]), pubKey: field(d, 9) };
      return data;
    });
  } else {
    (sec as { keyData: KeyData[] }).keyData = keys.map((k): KeyData => ({ flags: Number(k[2]), protocol: Number(k[3]), alg: Number(k[4]), pubKey: field(k, 5) }));
  }
  return sec;
}

type ChildMap = Map<string, CopyRow[]>;

function groupByKey(rows: CopyRow[], view: string): ChildMap {
  const map: ChildMap = new Map();
  for (const row of rows) {
    const key = keyOf(row, view);
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  }
  return map;
}

const NONE: readonly CopyRow[] = [];

interface ChildSpec {
  /** Name the children are filed under in a page. */
  name: string;
  view: string;
  /** The column holding the parent's key. */
  key: string;
  /** Columns after the key. */
  columns: string;
  /** ORDER BY after the key; default `ord`. */
  order?: string;
}

interface PageSpec {
  /** The journal kind of the parents (strongroom.journal.kind), for the change filter. */
  kind: SourceKind;
  view: string;
  key: string;
  /** Columns after the key. */
  columns: string;
  where?: string;
  children?: ChildSpec[];
}

interface Page {
  rows: CopyRow[];
  children: Record<string, ChildMap>;
}

/**
 * A page given by its keys: the parents with `after < key <= last` (byte order); `after` null
 * for the first page. `pageRanges()` cuts these so that each holds one page of parents; a
 * worker reading the same snapshot (`attach()`) turns one into objects.
 */
export interface KeyRange {
  after: string | null;
  last: string;
}

/** The kinds that can be read by key range (the big ones, read in parallel by the deposit writer). */
export type RangedKind = 'contact' | 'host' | 'domain';

/** What a worker needs to read the same snapshot through its own connection (see `attach`). */
export interface SourceDescription {
  tld: TldInfo;
  snapshot: SnapshotInfo;
  repositoryTlds: readonly string[];
  roidSuffixes: readonly string[];
  pageSize: number;
  /** The change filter's earlier snapshot (SnapshotOptions.changedSince), if any. */
  changedSince?: string;
}

/** A snapshot of the registry database, valid while `withRegistrySnapshot`'s callback runs. */
export class PostgresRegistrySource implements RegistrySource {
  private constructor(
    /** The snapshot's transaction: for set-based checks (pre-flight) in the same snapshot. */
    readonly tx: Tx,
    readonly tld: TldInfo,
    readonly snapshot: SnapshotInfo,
    readonly repositoryTlds: readonly string[],
    readonly roidSuffixes: readonly string[],
    private readonly pageSize: number,
    /** With a change filter: the earlier snapshot (see SnapshotOptions.changedSince). */
    private since?: string,
  ) {}

  /** The change filter's earlier snapshot, if the source reads only changes. */
  get changedSince(): string | undefined {
    return this.since;
  }

  /**
   * From now on read only the objects changed since `snapshot` (SnapshotOptions.changedSince),
   * e.g. once the previous deposit has been looked up inside this snapshot.
   */
  async onlyChangesSince(snapshot: string): Promise<void> {
    this.since = snapshot;
    const pending = this.pendingWatermark;
    if (pending !== undefined) {
      await this.refuseChangesAfter(pending);
      this.pendingWatermark = undefined;
    }
  }

  /** A watermark whose check waits for the change filter (SnapshotOptions.watermarkAgainstChanges). */
  private pendingWatermark: string | undefined;

  /** Open the snapshot inside `tx` (which must be REPEATABLE READ and not have run anything yet). */
  static async open(tx: Tx, options: SnapshotOptions): Promise<PostgresRegistrySource> {
    // The first statement fixes the transaction's snapshot; clock_timestamp() in that same
    // statement is later than every commit the snapshot can see.
    const [snap] = await tx.query<{ snapshot: string; at: string; rde: string | null }>(
      "SELECT pg_current_snapshot()::text AS snapshot, clock_timestamp() AS at, to_regclass('rde.tld')::text AS rde",
    );
    if (!snap || snap.rde === null) {
      throw new StrongroomError('DB_SCHEMA_MISSING', 'the database has no rde.* read contract (views): apply the reference schema or map your own (docs/schema-mapping.md)');
    }
    const tlds = await tx.query<{ name: string; roid_suffix: string; host_model: string; data_model: string }>(
      'SELECT name, roid_suffix, host_model, data_model FROM rde.tld ORDER BY name COLLATE "C"',
    );
    const row = tlds.find((t) => t.name === options.tld);
    if (!row) {
      const known = tlds.map((t) => t.name).join(', ') || 'none';
      throw new StrongroomError('DEPOSIT_NO_SUCH_TLD', `TLD "${options.tld}" is not in rde.tld of this database (known: ${known})`);
    }
    if (row.host_model !== 'objects' && row.host_model !== 'attributes') {
      throw new StrongroomError('DEPOSIT_NO_SUCH_TLD', `rde.tld host_model of "${row.name}" is "${row.host_model}", expected objects or attributes`);
    }
    if (!['minimum', 'maximum', 'per-registrar'].includes(row.data_model)) {
      throw new StrongroomError('DEPOSIT_NO_SUCH_TLD', `rde.tld data_model of "${row.name}" is "${row.data_model}", expected minimum, maximum or per-registrar`);
    }
    const tld: TldInfo = { name: row.name, roidSuffix: row.roid_suffix, hostModel: row.host_model as HostModel, dataModel: row.data_model as DataModel };
    const suffixes = [...new Set(tlds.map((t) => t.roid_suffix))].sort();
    const source = new PostgresRegistrySource(
      tx,
      tld,
      { snapshot: snap.snapshot, snapshotTime: snap.at, watermark: snap.at },
      tlds.map((t) => t.name),
      suffixes,
      options.pageSize ?? DEFAULT_PAGE_SIZE,
      options.changedSince,
    );
    if (options.watermark !== undefined) await source.honourWatermark(options.watermark, options.watermarkAgainstChanges === true && options.changedSince === undefined);
    return source;
  }

  /**
   * The same source in another transaction that already reads the same snapshot (a worker's
   * connection after `SET TRANSACTION SNAPSHOT`, see `exportSnapshot`). Nothing is queried.
   */
  static attach(tx: Tx, d: SourceDescription): PostgresRegistrySource {
    return new PostgresRegistrySource(tx, d.tld, { ...d.snapshot }, d.repositoryTlds, d.roidSuffixes, d.pageSize, d.changedSince);
  }

  /** What `attach` needs (plain data, can be posted to a worker thread). */
  describe(): SourceDescription {
    const d: SourceDescription = { tld: this.tld, snapshot: { ...this.snapshot }, repositoryTlds: this.repositoryTlds, roidSuffixes: this.roidSuffixes, pageSize: this.pageSize };
    if (this.changedSince !== undefined) d.changedSince = this.changedSince;
    return d;
  }

  /**
   * Export this transaction's snapshot (`pg_export_snapshot()`, server only) so that other
   * connections can read exactly the same data with `SET TRANSACTION SNAPSHOT`; valid while
   * this transaction lasts.
   */
  async exportSnapshot(): Promise<string> {
    const [row] = await this.tx.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
    return row!.id;
  }

  /**
   * The pages of a kind as key ranges of `pageSize` parents each, in key order, from one
   * key-only scan (nothing of the objects is read). Reading each range with `contacts(range)`,
   * `hosts(range)` or `domains(range)` in order yields exactly what the unranged call yields.
   */
  async pageRanges(kind: RangedKind, size = this.pageSize): Promise<KeyRange[]> {
    const spec = this.specOf(kind);
    if (spec === null) return [];
    return this.rangesOf(spec, size);
  }

  /**
   * Key ranges of `pageSize` parents each; with the change filter, of `pageSize` changed keys
   * each (read from the journal: parents that no longer exist, or belong to another TLD, simply
   * read as nothing).
   */
  private async rangesOf(spec: PageSpec, size = this.pageSize): Promise<KeyRange[]> {
    const ranges: KeyRange[] = [];
    let after: string | null = null;
    let last = '';
    let inPage = 0;
    const keys =
      this.changedSince === undefined
        ? `SELECT ${spec.key} FROM ${spec.view}${spec.where ? ` WHERE ${spec.where}` : ''} ORDER BY ${spec.key} COLLATE "C"`
        : `SELECT DISTINCT j.key FROM strongroom.journal j WHERE ${this.journalWindow(spec.kind)} ORDER BY j.key`;
    for await (const rows of copyRows(this.tx.copyTo(keys))) {
      for (const row of rows) {
        last = keyOf(row, spec.view);
        if (++inPage === size) {
          ranges.push({ after, last });
          after = last;
          inPage = 0;
        }
      }
    }
    if (inPage > 0) ranges.push({ after, last });
    return ranges;
  }

  /**
   * The journal entries of `kind` this snapshot sees and the change filter's earlier snapshot
   * does not (the transaction only sees committed entries its snapshot sees, so `NOT visible in
   * the earlier one` is the whole condition; the xmin bound lets the xid index skip the rest).
   */
  journalWindow(kind: SourceKind, range?: KeyRange): string {
    const since = `${lit(this.changedSince ?? '')}::pg_snapshot`;
    const conditions = [`j.kind = ${lit(kind)}`, `j.xid >= pg_snapshot_xmin(${since})`, `NOT pg_visible_in_snapshot(j.xid, ${since})`];
    if (range) {
      if (range.after !== null) conditions.push(`j.key > ${lit(range.after)}`);
      conditions.push(`j.key <= ${lit(range.last)}`);
    }
    return conditions.join(' AND ');
  }

  /**
   * With the change filter: the pages of changed objects (keys with a journal entry in the
   * window, over all kinds, `pageSize` to a page): what a DIFF reads, known before reading it.
   */
  async changedPages(): Promise<number> {
    if (this.changedSince === undefined) throw new StrongroomError('INTERNAL', 'changedPages() needs the change filter (onlyChangesSince)');
    const since = `${lit(this.changedSince)}::pg_snapshot`;
    const [row] = await this.tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT DISTINCT j.kind, j.key FROM strongroom.journal j WHERE j.xid >= pg_snapshot_xmin(${since}) AND NOT pg_visible_in_snapshot(j.xid, ${since})) k`,
    );
    return Math.ceil((row?.n ?? 0) / this.pageSize);
  }

  /** Whether an object of `kind` (keyed `key`) has a journal entry in the change window. */
  private async changed(kind: SourceKind, key: string): Promise<boolean> {
    const rows = await this.rows(`SELECT 1 FROM strongroom.journal j WHERE ${this.journalWindow(kind)} AND j.key = ${lit(key)} LIMIT 1`);
    return rows.length > 0;
  }

  private specOf(kind: RangedKind): PageSpec | null {
    switch (kind) {
      case 'contact':
        return this.contactSpec();
      case 'host':
        return this.hostSpec();
      case 'domain':
        return this.domainSpec();
    }
  }

  /**
   * Accept `watermark` as the moment this snapshot represents, or refuse it: a watermark after
   * the snapshot is the future; one before it is honoured only if no object in the snapshot was
   * created, updated or transferred after it (then the snapshot equals the state at the
   * watermark, as far as the data can tell). Deletions between the watermark and the snapshot
   * leave no trace in the object tables; the change journal of the DIFF work will close that gap.
   * `deferred`: the second check waits for the change filter (`onlyChangesSince`).
   */
  private async honourWatermark(watermark: string, deferred = false): Promise<void> {
    const time = this.snapshot.snapshotTime;
    if (compareDateTime(watermark, time) > 0) {
      throw new StrongroomError(
        'DEPOSIT_WATERMARK_UNHONOURABLE',
        `watermark ${watermark} is later than the snapshot (taken at ${time}): a deposit cannot represent the future`,
        { data: { watermark, snapshotTime: time } },
      );
    }
    if (compareDateTime(watermark, time) < 0) {
      if (deferred) this.pendingWatermark = watermark;
      else await this.refuseChangesAfter(watermark);
    }
    (this.snapshot as { watermark: string }).watermark = watermark;
  }

  /** Refuse `watermark` if an object this source reads (with the change filter: a changed one) changed after it. */
  private async refuseChangesAfter(watermark: string): Promise<void> {
    const later = await this.latestChangeAfter(watermark);
    if (later) {
      throw new StrongroomError(
        'DEPOSIT_WATERMARK_UNHONOURABLE',
        `watermark ${watermark} cannot be honoured: ${later.count} object(s) in the snapshot changed after it, latest ${later.kind} ${later.object} at ${later.at}`,
        { location: `${later.kind} ${later.object}`, data: { watermark, snapshotTime: this.snapshot.snapshotTime, ...later } },
      );
    }
  }

  /** The most recent object change (create, update, transfer) after `time`, with how many there are. */
  async latestChangeAfter(time: string): Promise<{ kind: string; object: string; at: string; count: number } | null> {
    // With the change filter, only the changed objects (by key from the journal's window, as one
    // array: the planner then probes the key index with the keys in order, instead of scanning
    // the registry or probing in hash order, twice as slow at 1M domains).
    const changed = (kind: SourceKind, key: string) => (this.changedSince === undefined ? '' : ` AND ${key} = ANY(ARRAY(SELECT j.key FROM strongroom.journal j WHERE ${this.journalWindow(kind)}))`);
    const parts = [
      `SELECT 'domain' AS kind, name AS object, greatest(cr_date, up_date, tr_date, re_date) AS at FROM rde.domain WHERE tld = $1${changed('domain', 'roid')}`,
      `SELECT 'registrar', id, greatest(cr_date, up_date) FROM rde.registrar WHERE true${changed('registrar', 'id')}`,
      `SELECT 'nndn', a_name, cr_date FROM rde.nndn WHERE tld = $1${changed('nndn', 'a_name')}`,
    ];
    if (this.tld.hostModel === 'objects') parts.push(`SELECT 'host', name, greatest(cr_date, up_date, tr_date) FROM rde.host WHERE true${changed('host', 'roid')}`);
    if (this.tld.dataModel !== 'minimum') parts.push(`SELECT 'contact', id, greatest(cr_date, up_date, tr_date, re_date) FROM rde.contact WHERE true${changed('contact', 'id')}`);
    const rows = await this.tx.query<{ kind: string; object: string; at: string; count: number }>(
      `SELECT kind, object, at, count(*) OVER ()::int AS count FROM (${parts.join(' UNION ALL ')}) c
       WHERE at > $2::timestamptz ORDER BY at DESC, kind, object COLLATE "C" LIMIT 1`,
      [this.tld.name, time],
    );
    return rows[0] ?? null;
  }

  /** The kinds `counts()` counts by reading their view (the others are 0 by the TLD's models). */
  countedKinds(): SourceKind[] {
    return SOURCE_KINDS.filter((kind) => (kind !== 'contact' || this.tld.dataModel !== 'minimum') && (kind !== 'host' || this.tld.hostModel === 'objects'));
  }

  /** Objects per kind in the snapshot; the kinds in `skip` are not counted (0: the caller knows them otherwise). */
  async counts(skip: readonly SourceKind[] = []): Promise<Record<SourceKind, number>> {
    const t = lit(this.tld.name);
    const count = (kind: SourceKind, query: string) => (skip.includes(kind) || !this.countedKinds().includes(kind) ? '0' : `(${query})`);
    const [row] = await this.tx.query<Record<SourceKind, number>>(
      `SELECT (SELECT count(*) FROM rde.registrar)::int AS "registrar",
              (SELECT count(*) FROM rde.idn_table WHERE tld = ${t})::int AS "idnTable",
              ${count('contact', 'SELECT count(*) FROM rde.contact')}::int AS "contact",
              ${count('host', 'SELECT count(*) FROM rde.host')}::int AS "host",
              ${count('domain', `SELECT count(*) FROM rde.domain WHERE tld = ${t}`)}::int AS "domain",
              (SELECT count(*) FROM rde.nndn WHERE tld = ${t})::int AS "nndn",
              (SELECT count(*) FROM rde.epp_params WHERE tld = ${t})::int AS "eppParams",
              (SELECT count(*) FROM rde.policy WHERE tld = ${t})::int AS "policy"`,
    );
    return row!;
  }

  // ---------------------------------------------------------------------------------------
  // Paging primitives

  private async rows(query: string): Promise<CopyRow[]> {
    return collectCopyRows(this.tx.copyTo(query));
  }

  /**
   * One page of parents (key in column 0) after `last` — or exactly the parents of `range` —
   * with the children of its key range.
   */
  private async loadPage(spec: PageSpec, last: string | null, range?: KeyRange): Promise<Page> {
    if (this.changedSince !== undefined) return this.loadChangedPage(spec, range!);
    const after = range ? range.after : last;
    const conditions = [
      spec.where ?? '',
      after === null ? '' : `${spec.key} COLLATE "C" > ${lit(after)}`,
      range ? `${spec.key} COLLATE "C" <= ${lit(range.last)}` : '',
    ].filter((c) => c !== '');
    const rows = await this.rows(
      `SELECT ${spec.key}, ${spec.columns} FROM ${spec.view}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${spec.key} COLLATE "C"${range ? '' : ` LIMIT ${this.pageSize}`}`,
    );
    const children: Record<string, ChildMap> = {};
    if (rows.length > 0) {
      const first = lit(keyOf(rows[0]!, spec.view));
      const end = lit(keyOf(rows[rows.length - 1]!, spec.view));
      for (const child of spec.children ?? []) {
        const childRows = await this.rows(
          `SELECT ${child.key}, ${child.columns} FROM ${child.view} WHERE ${child.key} COLLATE "C" BETWEEN ${first} AND ${end} ORDER BY ${child.key} COLLATE "C", ${child.order ?? 'ord'}`,
        );
        children[child.name] = groupByKey(childRows, child.view);
      }
    }
    return { rows, children };
  }

  /**
   * The changed parents of a range of changed keys, with their children: parents and children
   * are both picked by key from the journal's range (never by a key range of the views, which
   * for scattered changes would span most of the registry).
   */
  private async loadChangedPage(spec: PageSpec, range: KeyRange): Promise<Page> {
    // The range's changed keys first (at most a page of them), then parents and children by
    // that explicit list: the planner then always takes the key indexes, whatever its guess
    // about the journal's window.
    const keys = await this.rows(`SELECT DISTINCT j.key FROM strongroom.journal j WHERE ${this.journalWindow(spec.kind, range)} ORDER BY j.key`);
    const children: Record<string, ChildMap> = {};
    if (keys.length === 0) return { rows: [], children };
    const list = keys.map((k) => lit(k[0] ?? '')).join(', ');
    const rows = await this.rows(
      `SELECT ${spec.key}, ${spec.columns} FROM ${spec.view} WHERE ${spec.where ? `${spec.where} AND ` : ''}${spec.key} IN (${list}) ORDER BY ${spec.key} COLLATE "C"`,
    );
    if (rows.length > 0) {
      const found = rows.length === keys.length ? list : rows.map((row) => lit(keyOf(row, spec.view))).join(', ');
      for (const child of spec.children ?? []) {
        const childRows = await this.rows(
          `SELECT ${child.key}, ${child.columns} FROM ${child.view} WHERE ${child.key} IN (${found}) ORDER BY ${child.key} COLLATE "C", ${child.order ?? 'ord'}`,
        );
        children[child.name] = groupByKey(childRows, child.view);
      }
    }
    return { rows, children };
  }

  /**
   * Pages in key order (keyset pagination), one page ahead: while the caller turns page n into
   * objects, the database already produces page n+1. With the change filter, pages are ranges
   * of changed keys (`rangesOf`).
   */
  private async *pages(spec: PageSpec, range?: KeyRange): AsyncGenerator<Page> {
    if (this.pendingWatermark !== undefined) {
      throw new StrongroomError('INTERNAL', `the watermark ${this.pendingWatermark} was not checked yet (watermarkAgainstChanges without onlyChangesSince): objects cannot be read`);
    }
    if (!range && this.changedSince !== undefined) {
      for (const changed of await this.rangesOf(spec)) {
        const page = await this.loadChangedPage(spec, changed);
        if (page.rows.length > 0) yield page;
      }
      return;
    }
    if (range) {
      const page = await this.loadPage(spec, null, range);
      if (page.rows.length > 0) yield page;
      return;
    }
    let next: Promise<Page> | null = this.loadPage(spec, null);
    try {
      while (next !== null) {
        const page: Page = await next;
        next = page.rows.length < this.pageSize ? null : this.loadPage(spec, keyOf(page.rows[page.rows.length - 1]!, spec.view));
        if (page.rows.length > 0) yield page;
      }
    } finally {
      // Stopped early: the read ahead must not become an unhandled rejection.
      next?.catch(() => undefined);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Object kinds

  async *registrars(): AsyncGenerator<Registrar> {
    const spec: PageSpec = {
      kind: 'registrar',
      view: 'rde.registrar',
      key: 'id',
      columns: 'name, gurid, status, voice, voice_x, fax, fax_x, email, url, whois_name, whois_url, cr_date, up_date',
      children: [{ name: 'postal', view: 'rde.registrar_postal', key: 'registrar_id', columns: 'ord, type, street, city, sp, pc, cc' }],
    };
    for await (const { rows, children } of this.pages(spec)) {
      for (const row of rows) {
        const id = keyOf(row, spec.view);
        const postalInfo = (children.postal!.get(id) ?? NONE).map((p): RegistrarPostalInfo => ({ type: field(p, 2) as PostalType, addr: address(p, 3) }));
        const r: Registrar = { id, name: field(row, 1), postalInfo };
        opt(r, 'gurid', textOrUndefined(row[2]!));
        opt(r, 'status', textOrUndefined(row[3]!) as RegistrarStatus | undefined);
        opt(r, 'voice', phone(row[4]!, row[5]!));
        opt(r, 'fax', phone(row[6]!, row[7]!));
        opt(r, 'email', textOrUndefined(row[8]!));
        opt(r, 'url', textOrUndefined(row[9]!));
        if (row[10] !== null || row[11] !== null) {
          const whois: { name?: string; url?: string } = {};
          opt(whois, 'name', textOrUndefined(row[10]!));
          opt(whois, 'url', textOrUndefined(row[11]!));
          r.whoisInfo = whois;
        }
        opt(r, 'crDate', timestampOrUndefined(row[12]!));
        opt(r, 'upDate', timestampOrUndefined(row[13]!));
        yield r;
      }
    }
  }

  async *idnTables(): AsyncGenerator<IdnTableRef> {
    for await (const { rows } of this.pages({ kind: 'idnTable', view: 'rde.idn_table', key: 'id', columns: 'url, url_policy', where: `tld = ${lit(this.tld.name)}` })) {
      for (const row of rows) yield { id: field(row, 0), url: field(row, 1), urlPolicy: field(row, 2) };
    }
  }

  private contactSpec(): PageSpec | null {
    if (this.tld.dataModel === 'minimum') return null;
    return {
      kind: 'contact',
      view: 'rde.contact',
      key: 'id',
      columns:
        'roid, voice, voice_x, fax, fax_x, email, cl_id, cr_rr, cr_rr_client, cr_date, up_rr, up_rr_client, up_date, tr_date, ' +
        'tr_status, re_rr, re_rr_client, re_date, ac_rr, ac_rr_client, ac_date, ' +
        'disclose_flag, disclose_name, disclose_org, disclose_addr, disclose_voice, disclose_fax, disclose_email',
      children: [
        { name: 'status', view: 'rde.contact_status', key: 'contact_id', columns: 'ord, s, lang, msg' },
        { name: 'postal', view: 'rde.contact_postal', key: 'contact_id', columns: 'ord, type, name, org, street, city, sp, pc, cc' },
      ],
    };
  }

  /** Contacts in key order (only those of `range` when given). */
  async *contacts(range?: KeyRange): AsyncGenerator<Contact> {
    const spec = this.contactSpec();
    if (spec === null) return;
    for await (const { rows, children } of this.pages(spec, range)) {
      for (const row of rows) {
        const id = keyOf(row, spec.view);
        const postalInfo = (children.postal!.get(id) ?? NONE).map((p): ContactPostalInfo => {
          const info: ContactPostalInfo = { type: field(p, 2) as PostalType, name: field(p, 3), addr: address(p, 5) };
          if (p[4] !== null) {
            // org sits between name and addr in the schema: rebuild in that order.
            return { type: info.type, name: info.name, org: p[4]!, addr: info.addr };
          }
          return info;
        });
        const c: Contact = { id, roid: field(row, 1), status: (children.status!.get(id) ?? NONE).map(status), postalInfo, email: '', clID: '' };
        opt(c, 'voice', phone(row[2]!, row[3]!));
        opt(c, 'fax', phone(row[4]!, row[5]!));
        c.email = field(row, 6);
        c.clID = field(row, 7);
        opt(c, 'crRr', rr(row[8]!, row[9]!));
        opt(c, 'crDate', timestampOrUndefined(row[10]!));
        opt(c, 'upRr', rr(row[11]!, row[12]!));
        opt(c, 'upDate', timestampOrUndefined(row[13]!));
        opt(c, 'trDate', timestampOrUndefined(row[14]!));
        if (row[15] !== null) {
          c.trnData = {
            trStatus: field(row, 15),
            reRr: rr(field(row, 16), row[17]!)!,
            reDate: timestampOrUndefined(row[18]!) ?? '',
            acRr: rr(field(row, 19), row[20]!)!,
            acDate: timestampOrUndefined(row[21]!) ?? '',
          };
        }
        if (row[22] !== null) {
          c.disclose = {
            flag: boolOrUndefined(row[22]!)!,
            name: textArrayOf(row[23]!) as PostalType[],
            org: textArrayOf(row[24]!) as PostalType[],
            addr: textArrayOf(row[25]!) as PostalType[],
            voice: boolOrUndefined(row[26]!) ?? false,
            fax: boolOrUndefined(row[27]!) ?? false,
            email: boolOrUndefined(row[28]!) ?? false,
          };
        }
        yield c;
      }
    }
  }

  private hostSpec(): PageSpec | null {
    if (this.tld.hostModel !== 'objects') return null;
    return {
      kind: 'host',
      view: 'rde.host',
      key: 'roid',
      columns: 'name, cl_id, cr_rr, cr_rr_client, cr_date, up_rr, up_rr_client, up_date, tr_date',
      children: [
        { name: 'status', view: 'rde.host_status', key: 'host_roid', columns: 'ord, s, lang, msg' },
        { name: 'addr', view: 'rde.host_addr', key: 'host_roid', columns: 'ord, ip, addr' },
      ],
    };
  }

  /** Hosts in key order (only those of `range` when given). */
  async *hosts(range?: KeyRange): AsyncGenerator<Host> {
    const spec = this.hostSpec();
    if (spec === null) return;
    for await (const { rows, children } of this.pages(spec, range)) {
      for (const row of rows) {
        const roid = keyOf(row, spec.view);
        const h: Host = {
          name: field(row, 1),
          roid,
          status: (children.status!.get(roid) ?? NONE).map(status),
          addr: (children.addr!.get(roid) ?? NONE).map((a): HostAddr => ({ ip: field(a, 2) as IpVersion, addr: field(a, 3) })),
          clID: field(row, 2),
        };
        opt(h, 'crRr', rr(row[3]!, row[4]!));
        opt(h, 'crDate', timestampOrUndefined(row[5]!));
        opt(h, 'upRr', rr(row[6]!, row[7]!));
        opt(h, 'upDate', timestampOrUndefined(row[8]!));
        opt(h, 'trDate', timestampOrUndefined(row[9]!));
        yield h;
      }
    }
  }

  private domainSpec(): PageSpec {
    const withContacts = this.tld.dataModel !== 'minimum';
    const objects = this.tld.hostModel === 'objects';
    const children: ChildSpec[] = [
      { name: 'status', view: 'rde.domain_status', key: 'domain_roid', columns: 'ord, s, lang, msg' },
      { name: 'rgp', view: 'rde.domain_rgp_status', key: 'domain_roid', columns: 'ord, s, lang, msg' },
    ];
    if (withContacts) children.push({ name: 'contact', view: 'rde.domain_contact', key: 'domain_roid', columns: 'ord, type, contact_id' });
    if (objects) children.push({ name: 'ns', view: 'rde.domain_ns', key: 'domain_roid', columns: 'ord, host_name' });
    else {
      children.push({ name: 'nsAttr', view: 'rde.domain_ns_attr', key: 'domain_roid', columns: 'ord, host_name' });
      children.push({ name: 'nsAddr', view: 'rde.domain_ns_attr_addr', key: 'domain_roid', columns: 'ns_ord, ord, ip, addr', order: 'ns_ord, ord' });
    }
    children.push({ name: 'ds', view: 'rde.domain_ds', key: 'domain_roid', columns: 'ord, key_tag, alg, digest_type, digest, key_flags, key_protocol, key_alg, key_pub' });
    children.push({ name: 'key', view: 'rde.domain_key', key: 'domain_roid', columns: 'ord, flags, protocol, alg, pub_key' });
    return {
      kind: 'domain',
      view: 'rde.domain',
      key: 'roid',
      columns:
        'name, u_name, idn_table_id, original_name, registrant, cl_id, cr_rr, cr_rr_client, cr_date, ex_date, ' +
        'up_rr, up_rr_client, up_date, max_sig_life, tr_date, tr_status, re_rr, re_rr_client, re_date, ac_rr, ac_rr_client, ac_date, tr_ex_date',
      where: `tld = ${lit(this.tld.name)}`,
      children,
    };
  }

  /** Domains of the TLD in key order (only those of `range` when given). */
  async *domains(range?: KeyRange): AsyncGenerator<Domain> {
    const withContacts = this.tld.dataModel !== 'minimum';
    const objects = this.tld.hostModel === 'objects';
    const spec = this.domainSpec();
    for await (const page of this.pages(spec, range)) {
      const kids = page.children;
      for (const row of page.rows) {
        const roid = keyOf(row, spec.view);
        const d = { name: field(row, 1), roid } as Domain;
        opt(d, 'uName', textOrUndefined(row[2]!));
        opt(d, 'idnTableId', textOrUndefined(row[3]!));
        opt(d, 'originalName', textOrUndefined(row[4]!));
        d.status = (kids.status!.get(roid) ?? NONE).map(status);
        d.rgpStatus = (kids.rgp!.get(roid) ?? NONE).map(status);
        if (withContacts) opt(d, 'registrant', textOrUndefined(row[5]!));
        d.contact = withContacts ? (kids.contact!.get(roid) ?? NONE).map((c): DomainContact => ({ type: field(c, 2) as DomainContactType, id: field(c, 3) })) : [];
        if (objects) {
          const names = kids.ns!.get(roid);
          if (names) d.ns = { hostObj: names.map((n) => field(n, 2)) };
        } else {
          const attrs = kids.nsAttr!.get(roid);
          if (attrs) {
            const addrs = kids.nsAddr!.get(roid) ?? NONE;
            d.ns = {
              hostAttr: attrs.map(
                (a): HostAttr => ({
                  hostName: field(a, 2),
                  hostAddr: addrs.filter((x) => x[1] === a[1]).map((x): HostAddr => ({ ip: field(x, 3) as IpVersion, addr: field(x, 4) })),
                }),
              ),
            };
          }
        }
        d.clID = field(row, 6);
        opt(d, 'crRr', rr(row[7]!, row[8]!));
        opt(d, 'crDate', timestampOrUndefined(row[9]!));
        opt(d, 'exDate', timestampOrUndefined(row[10]!));
        opt(d, 'upRr', rr(row[11]!, row[12]!));
        opt(d, 'upDate', timestampOrUndefined(row[13]!));
        opt(d, 'secDNS', secDns(intOrUndefined(row[14]!), kids.ds!.get(roid), kids.key!.get(roid)));
        opt(d, 'trDate', timestampOrUndefined(row[15]!));
        if (row[16] !== null) {
          const t: DomainTransferData = {
            trStatus: field(row, 16),
            reRr: rr(field(row, 17), row[18]!)!,
            reDate: timestampOrUndefined(row[19]!) ?? '',
            acRr: rr(field(row, 20), row[21]!)!,
            acDate: timestampOrUndefined(row[22]!) ?? '',
          };
          opt(t, 'exDate', timestampOrUndefined(row[23]!));
          d.trnData = t;
        }
        yield d;
      }
    }
  }

  async *nndns(): AsyncGenerator<Nndn> {
    const spec: PageSpec = { kind: 'nndn', view: 'rde.nndn', key: 'a_name', columns: 'u_name, idn_table_id, original_name, name_state, mirroring_ns, cr_date', where: `tld = ${lit(this.tld.name)}` };
    for await (const { rows } of this.pages(spec)) {
      for (const row of rows) {
        const n = { aName: field(row, 0) } as Nndn;
        opt(n, 'uName', textOrUndefined(row[1]!));
        opt(n, 'idnTableId', textOrUndefined(row[2]!));
        opt(n, 'originalName', textOrUndefined(row[3]!));
        n.nameState = field(row, 4) as NameState;
        opt(n, 'mirroringNS', boolOrUndefined(row[5]!));
        opt(n, 'crDate', timestampOrUndefined(row[6]!));
        yield n;
      }
    }
  }

  /** The TLD's EPP parameters; with the change filter, only if they changed. */
  async *eppParams(): AsyncGenerator<EppParams> {
    if (this.changedSince !== undefined && !(await this.changed('eppParams', this.tld.name))) return;
    const rows = await this.rows(`SELECT version, lang, obj_uri, ext_uri, dcp FROM rde.epp_params WHERE tld = ${lit(this.tld.name)}`);
    for (const row of rows) {
      yield { version: textArrayOf(row[0]!), lang: textArrayOf(row[1]!), objURI: textArrayOf(row[2]!), extURI: textArrayOf(row[3]!), dcp: jsonOf(row[4]!) as Dcp };
    }
  }

  /** The TLD's policy objects; with the change filter, all of them if any changed (they have no key of their own). */
  async *policies(): AsyncGenerator<Policy> {
    if (this.changedSince !== undefined && !(await this.changed('policy', this.tld.name))) return;
    const rows = await this.rows(`SELECT scope, element FROM rde.policy WHERE tld = ${lit(this.tld.name)} ORDER BY ord`);
    for (const row of rows) yield { scope: field(row, 0), element: field(row, 1) };
  }
}

/**
 * Run `fn` with a consistent read-only snapshot of the registry in `db`: one REPEATABLE READ
 * READ ONLY transaction, ended when `fn` settles. Refuses an unknown TLD and a watermark the
 * snapshot cannot honour.
 */
export async function withRegistrySnapshot<T>(db: Db, options: SnapshotOptions, fn: (source: PostgresRegistrySource) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => fn(await PostgresRegistrySource.open(tx, options)), { isolation: 'repeatable read', readOnly: true });
}
