/**
 * Load a synthetic registry into a database: one transaction, all or nothing.
 *
 * Objects are generated in chunks and streamed with COPY, table by table in foreign-key
 * order (registrars, per-TLD objects, contacts, hosts, domains, NNDN), so memory stays bounded
 * by the chunk size whatever N is. The TLD must have no objects yet (DB_NOT_EMPTY otherwise);
 * an advisory lock on the TLD keeps two generators from racing.
 *
 * Foreign keys: by default (`validate-after`) rows are loaded with `session_replication_role =
 * replica`, which skips the row-by-row RI triggers, and every foreign key of the registry
 * schema is then validated with one anti-join each before committing. Measured 2× faster
 * than checking row by row on both databases (docs/benchmarks.md, bench/generate.ts). It
 * needs a superuser and no user triggers on the registry tables (they would be skipped too);
 * otherwise the loader falls back to `check`, the row-by-row checks.
 */
import { copyPieces, type Db, type Tx } from '../db/adapter.js';
import { migrate } from '../db/migrate.js';
import { StrongroomError, messageOf } from '../common/errors.js';
import { progressOrNoop, type Progress, type ProgressTask } from '../common/progress.js';
import type { Domain, RdeObject } from '../model/objects.js';
import { makeContact } from './contacts.js';
import { DomainFactory, nameServers, secDns } from './domains.js';
import { edgeContacts, edgeDomains, edgeHosts, EDGE_CONTACT_COUNT, EDGE_DOMAIN_COUNT } from './edge-cases.js';
import { makeGroupHosts, makeProviderHosts } from './hosts.js';
import { Plan, type ExistingTld, type GenerateOptions, type HostModel } from './plan.js';
import { makeRegistrar } from './registrars.js';
import { stringHash } from './random.js';
import { copyStatement, contactRows, domainRows, eppParamsRow, hostRows, idnTableRow, nndnRow, policyRow, registrarRows, tldRow, TABLE_ORDER, type RowSink, type TableName } from './rows.js';
import { DATA_MODEL, eppParams, idnTables, nndns, policies } from './tld-objects.js';
import { iso } from './dates.js';

export type ForeignKeyMode = 'check' | 'validate-after';

export interface LoadOptions {
  /** Load a chunk once this many characters of COPY text are buffered (default 4 Mi). */
  chunkBytes?: number;
  foreignKeys?: ForeignKeyMode;
}

export interface GenerateSummary {
  tld: string;
  roidSuffix: string;
  hostModel: HostModel;
  dataModel: string;
  seed: string;
  asOf: string;
  objects: ObjectCounts;
  rows: Record<TableName, number>;
  totalRows: number;
  seconds: number;
  rowsPerSecond: number;
  foreignKeys: ForeignKeyMode;
}

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Buffers COPY lines per table and loads them in foreign-key order. A full chunk is loaded
 * while the generator fills the next one (at most two chunks in memory): on a server the
 * database works on one core while the generator works on the other.
 */
class ChunkedLoader implements RowSink {
  private buffers = new Map<TableName, string[]>();
  private pending = 0;
  private inflight: Promise<void> | null = null;
  private failure: { error: unknown } | null = null;
  readonly rows = Object.fromEntries(TABLE_ORDER.map((t) => [t, 0])) as Record<TableName, number>;

  constructor(private readonly tx: Tx, private readonly chunkBytes: number) {}

  row(table: TableName, line: string): void {
    let buffer = this.buffers.get(table);
    if (!buffer) this.buffers.set(table, (buffer = []));
    buffer.push(line);
    this.pending += line.length;
  }

  get full(): boolean {
    return this.pending >= this.chunkBytes;
  }

  /** True while a chunk is being loaded: the generator should yield to the event loop now and then. */
  get busy(): boolean {
    return this.inflight !== null;
  }

  /** Start loading the buffered rows once a chunk is full (waits for the previous chunk). */
  async maybeFlush(): Promise<boolean> {
    if (this.pending < this.chunkBytes) return false;
    await this.drain();
    const buffers = this.buffers;
    this.buffers = new Map();
    this.pending = 0;
    this.inflight = this.load(buffers).catch((error: unknown) => {
      this.failure = { error };
    });
    return true;
  }

  /** Load everything buffered and wait until the database has it. */
  async flush(): Promise<void> {
    await this.drain();
    const buffers = this.buffers;
    this.buffers = new Map();
    this.pending = 0;
    await this.load(buffers);
  }

  private async drain(): Promise<void> {
    if (this.inflight) await this.inflight;
    this.inflight = null;
    if (this.failure) throw this.failure.error;
  }

  private async load(buffers: Map<TableName, string[]>): Promise<void> {
    for (const table of TABLE_ORDER) {
      const lines = buffers.get(table);
      if (!lines || lines.length === 0) continue;
      const loaded = await this.tx.copyFrom(copyStatement(table), copyPieces(lines));
      if (loaded !== lines.length) throw new StrongroomError('INTERNAL', `COPY into registry.${table} loaded ${loaded} of ${lines.length} rows`);
      this.rows[table] += loaded;
    }
  }
}

/** Objects per progress report. */
const PROGRESS_STEP = 1000;

/** How many objects the generator makes between yields while a chunk is loading. */
const YIELD_EVERY = 200;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Refuse when the TLD (or the generator's identifiers for it) already has objects. */
async function refuseIfNotEmpty(tx: Tx, plan: Plan, where: string): Promise<void> {
  const [row] = await tx.query<Record<string, boolean>>(
    `SELECT EXISTS (SELECT 1 FROM registry.domain WHERE tld = $1) AS domains,
            EXISTS (SELECT 1 FROM registry.nndn WHERE tld = $1) AS nndn,
            EXISTS (SELECT 1 FROM registry.idn_table WHERE tld = $1) AS idn_tables,
            EXISTS (SELECT 1 FROM registry.epp_params WHERE tld = $1) AS epp_params,
            EXISTS (SELECT 1 FROM registry.policy WHERE tld = $1) AS policies,
            EXISTS (SELECT 1 FROM registry.registrar WHERE right(id, $3) = $2) AS registrars,
            EXISTS (SELECT 1 FROM registry.contact WHERE right(roid, $5) = $4 OR right(id, $3) = $2) AS contacts,
            EXISTS (SELECT 1 FROM registry.host WHERE right(roid, $5) = $4) AS hosts`,
    [plan.tld, `-${plan.tag}`, plan.tag.length + 1, `-${plan.roidSuffix}`, plan.roidSuffix.length + 1],
  );
  const found = Object.entries(row ?? {}).filter(([, present]) => present).map(([kind]) => kind.replace('_', ' '));
  if (found.length > 0) {
    throw new StrongroomError('DB_NOT_EMPTY', `TLD ${plan.tld} already has objects in ${where} (${found.join(', ')}); generate into an empty TLD or another database`, {
      location: where,
      data: { tld: plan.tld, found },
    });
  }
}

/** Every foreign key of the reference schema, as an anti-join counting dangling rows. */
async function validateForeignKeys(tx: Tx, report: Progress): Promise<void> {
  const keys = await tx.query<{ name: string; child: string; parent: string; child_cols: string[]; parent_cols: string[] }>(
    `SELECT c.conname AS name, c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent,
            array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS child_cols,
            array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS parent_cols
     FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
     WHERE c.contype = 'f' AND n.nspname = 'registry' ORDER BY c.conname`,
  );
  const dangling: string[] = [];
  const task = report.task('validating foreign keys', 'steps', keys.length);
  for (const key of keys) {
    const notNull = key.child_cols.map((col) => `c.${col} IS NOT NULL`).join(' AND ');
    const match = key.child_cols.map((col, n) => `p.${key.parent_cols[n]} = c.${col}`).join(' AND ');
    const [result] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${key.child} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${key.parent} p WHERE ${match})`);
    if ((result?.n ?? 0) > 0) dangling.push(`${key.name}: ${result?.n} rows`);
    task.add(1);
  }
  task.done();
  if (dangling.length > 0) throw new StrongroomError('INTERNAL', `generated rows break foreign keys (a generator bug): ${dangling.join('; ')}`);
}

/** How many objects of each kind a registry has. */
export interface ObjectCounts {
  registrar: number;
  contact: number;
  host: number;
  domain: number;
  idnTable: number;
  nndn: number;
  eppParams: number;
  policy: number;
}

export interface WriteOptions {
  /** Write the registry.tld row (false when the TLD row already exists). */
  tldRow?: boolean;
  /** Called after every object; a returned promise is awaited (back-pressure, yielding). */
  pace?: () => Promise<void> | undefined;
  progress?: Progress;
}

/** One generated object, in load order; domains carry the roids of their hostObj name servers. */
export type GeneratedObject = Exclude<RdeObject, { kind: 'domain' | 'header' }> | { kind: 'domain'; value: Domain; nsRoids?: string[] };

/**
 * Every object of the registry `plan` describes, in foreign-key load order (registrars, IDN
 * tables, EPP parameters, policies, contacts, hosts, domains, NNDN). Objects are made one at a
 * time from their index, so memory does not grow with N.
 */
export function* registryObjects(plan: Plan): Generator<GeneratedObject> {
  for (let slot = 0; slot < plan.registrars.length; slot++) yield { kind: 'registrar', value: makeRegistrar(plan, slot) };
  for (const value of idnTables(plan)) yield { kind: 'idnTable', value };
  yield { kind: 'eppParams', value: eppParams(plan) };
  for (const value of policies()) yield { kind: 'policy', value };
  for (const value of edgeContacts(plan)) yield { kind: 'contact', value };
  for (let index = EDGE_CONTACT_COUNT; index < plan.contactCount; index++) yield { kind: 'contact', value: makeContact(plan, index) };
  const factory = new DomainFactory(plan);
  if (plan.hostModel === 'objects') {
    for (const value of edgeHosts(plan)) yield { kind: 'host', value };
    for (let group = 0; group < plan.parentGroups; group++) {
      for (const value of makeGroupHosts(plan, group, factory.parentOf(group))) yield { kind: 'host', value };
    }
    for (let provider = 0; provider < plan.providers; provider++) {
      for (const value of makeProviderHosts(plan, provider, provider < plan.providersUsed)) yield { kind: 'host', value };
    }
  }
  const tools = { nameServers: (servers: Parameters<typeof nameServers>[1]) => nameServers(plan, servers), secDns };
  for (const { domain, nsRoids } of edgeDomains(plan, tools)) yield nsRoids ? { kind: 'domain', value: domain, nsRoids } : { kind: 'domain', value: domain };
  for (let index = EDGE_DOMAIN_COUNT; index < plan.domainCount; index++) {
    const { domain, nsRoids } = factory.regular(index);
    yield nsRoids ? { kind: 'domain', value: domain, nsRoids } : { kind: 'domain', value: domain };
  }
  for (const value of nndns(plan)) yield { kind: 'nndn', value };
}

/** The objects of a plan by kind (what registryObjects yields). */
export function objectCounts(plan: Plan): ObjectCounts {
  return {
    registrar: plan.registrars.length,
    contact: plan.contactCount,
    host: plan.hostCount,
    domain: plan.domainCount,
    idnTable: idnTables(plan).length,
    nndn: nndns(plan).length,
    eppParams: 1,
    policy: policies().length,
  };
}

/** Progress tasks per object kind (the small per-TLD kinds count with the registrars). */
const TASKS: Partial<Record<GeneratedObject['kind'], { name: string; total: (c: ObjectCounts) => number }>> = {
  registrar: { name: 'registrars', total: (c) => c.registrar },
  contact: { name: 'contacts', total: (c) => c.contact },
  host: { name: 'hosts', total: (c) => c.host },
  domain: { name: 'domains', total: (c) => c.domain },
};

/** Every row of the registry `plan` describes, in foreign-key order, into `sink`. */
export async function writeRegistry(plan: Plan, sink: RowSink, options: WriteOptions = {}): Promise<ObjectCounts> {
  const report = progressOrNoop(options.progress);
  const pace = options.pace ?? (() => undefined);
  const counts = objectCounts(plan);
  // Progress in steps of PROGRESS_STEP objects (a terminal bar formats numbers on every add).
  let task: ProgressTask | undefined;
  let taskKind: string | undefined;
  let unreported = 0;
  const finish = () => {
    task?.add(unreported);
    task?.done();
    unreported = 0;
  };
  if (options.tldRow !== false) tldRow(sink, { name: plan.tld, roidSuffix: plan.roidSuffix, hostModel: plan.hostModel, dataModel: DATA_MODEL, created: iso(plan.launch) });
  let policyOrd = 0;
  for (const object of registryObjects(plan)) {
    const next = TASKS[object.kind];
    if (next && next.name !== taskKind) {
      finish();
      taskKind = next.name;
      task = report.task(next.name, 'objects', next.total(counts));
    }
    switch (object.kind) {
      case 'registrar':
        registrarRows(sink, object.value);
        break;
      case 'idnTable':
        idnTableRow(sink, plan.tld, object.value);
        break;
      case 'eppParams':
        eppParamsRow(sink, plan.tld, object.value);
        break;
      case 'policy':
        policyRow(sink, plan.tld, policyOrd++, object.value);
        break;
      case 'contact':
        contactRows(sink, object.value);
        break;
      case 'host':
        hostRows(sink, object.value);
        break;
      case 'domain':
        domainRows(sink, object.value, plan.tld, object.nsRoids);
        break;
      case 'nndn':
        nndnRow(sink, plan.tld, object.value);
        break;
    }
    if (next && ++unreported >= PROGRESS_STEP) {
      task?.add(unreported);
      unreported = 0;
    }
    const wait = pace();
    if (wait) await wait;
  }
  finish();
  return counts;
}

/**
 * Generate the registry described by `options` into `db` (migrating the reference schema
 * first when needed) and return what was loaded.
 */
export async function generateRegistry(db: Db, options: GenerateOptions, progress?: Progress, load: LoadOptions = {}): Promise<GenerateSummary> {
  const report = progressOrNoop(progress);
  const started = performance.now();
  // Validate the options before touching the database (the TLD row may still change the
  // repository id and host model below).
  const tldName = new Plan(options).tld;
  await migrate(db);
  const requestedFk = load.foreignKeys ?? 'validate-after';
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [stringHash(`strongroom/generate/${tldName}`)]);
    const [existingRow] = await tx.query<{ roid_suffix: string; host_model: HostModel; data_model: string }>('SELECT roid_suffix, host_model, data_model FROM registry.tld WHERE name = $1', [tldName]);
    const existing: ExistingTld | undefined = existingRow ? { roidSuffix: existingRow.roid_suffix, hostModel: existingRow.host_model, dataModel: existingRow.data_model } : undefined;
    const plan = new Plan(options, existing);
    await refuseIfNotEmpty(tx, plan, db.description);
    const foreignKeys = await chooseForeignKeyMode(tx, requestedFk, report);

    // After each object: start loading a full chunk; while one loads, yield to the event loop
    // every YIELD_EVERY objects so the COPY data keeps flowing.
    const loader = new ChunkedLoader(tx, load.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    let sinceYield = 0;
    const pace = (): Promise<void> | undefined => {
      if (loader.full) return loader.maybeFlush().then(() => undefined);
      if (loader.busy && ++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        return yieldToEventLoop();
      }
      return undefined;
    };
    const objects = await writeRegistry(plan, loader, { tldRow: !existing, pace, progress: report });
    const last = report.task('loading the last rows', 'steps', 1);
    await loader.flush();
    last.add(1);
    last.done();

    if (foreignKeys === 'validate-after') {
      await validateForeignKeys(tx, report);
      await tx.exec('SET LOCAL session_replication_role = origin');
    }

    const seconds = (performance.now() - started) / 1000;
    const totalRows = Object.values(loader.rows).reduce((a, b) => a + b, 0);
    return {
      tld: plan.tld,
      roidSuffix: plan.roidSuffix,
      hostModel: plan.hostModel,
      dataModel: DATA_MODEL,
      seed: plan.seed,
      asOf: plan.asOfText,
      objects,
      rows: loader.rows,
      totalRows,
      seconds: Math.round(seconds * 100) / 100,
      rowsPerSecond: Math.round(totalRows / Math.max(seconds, 0.001)),
      foreignKeys,
    };
  });
}

/** validate-after when allowed: a superuser, and no user triggers that replica mode would skip. */
async function chooseForeignKeyMode(tx: Tx, requested: ForeignKeyMode, report: Progress): Promise<ForeignKeyMode> {
  if (requested === 'check') return 'check';
  const [triggers] = await tx.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'registry' AND NOT t.tgisinternal
       -- the change journal's triggers are ENABLE ALWAYS: replica mode does not skip them
       AND NOT (t.tgname LIKE 'journal\\_%' AND t.tgenabled = 'A')`,
  );
  if ((triggers?.n ?? 0) > 0) {
    report.note('loading with row-by-row foreign-key checks: the registry tables have triggers that must not be skipped');
    return 'check';
  }
  try {
    await tx.exec('SAVEPOINT sr_replica_role; SET LOCAL session_replication_role = replica; RELEASE SAVEPOINT sr_replica_role');
    return 'validate-after';
  } catch (err) {
    await tx.exec('ROLLBACK TO SAVEPOINT sr_replica_role');
    report.note(`loading with row-by-row foreign-key checks (cannot skip them: ${messageOf(err)})`);
    return 'check';
  }
}
