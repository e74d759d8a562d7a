/**
 * Rebuild: a FULL deposit (RFC 8909/9022 XML, from Strongroom or any other implementation)
 * streamed into an EMPTY reference database (migrations/001), all or nothing.
 *
 * One transaction does everything, so on any error — a broken object on the last line, a
 * reference that does not resolve, a count that differs from the header, an interruption —
 * the target is exactly as it was (schema creation included: migrations run inside it too).
 *
 *   1. lock (one rebuild per database at a time), create the schema if absent, refuse a
 *      target that holds any registry row;
 *   2. take the registry tables' keys and indexes off (./keys.ts), truncate the (empty) tables
 *      so that COPY can write frozen rows, create staging;
 *   3. stream the deposit (src/reader): each object → reference-schema COPY lines
 *      (src/generate/rows.ts, the same rows the generator writes) → chunked COPY; domains,
 *      contacts and hosts of the plain shape go straight from their element tree to the same
 *      lines (./fast-rows.ts), everything else and every error through the typed reader;
 *   4. move staged rows in with the header's TLD, resolve name servers by host name,
 *      write the registry.tld row;
 *   5. put keys and indexes back (duplicate keys and dangling references fail here, naming
 *      the rows) — those of tables the load had finished with went back during it (./keys.ts
 *      restoreDuringLoad) — and check in the database that the object counts equal the header's.
 *
 * What a deposit does not say is inferred (docs/commands/rebuild.md): the TLD's host model
 * (host objects iff the deposit escrows hosts or a domain names a hostObj), its data model
 * (`minimum` iff no contacts are escrowed, otherwise `per-registrar`, the one that accepts both
 * full and thin domains), its repository id (the commonest roid suffix of the domains), and
 * its creation time (the watermark).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Db, Tx } from '../db/adapter.js';
import { migrateWithin } from '../db/migrate.js';
import { StrongroomError } from '../common/errors.js';
import { progressOrNoop, type Progress } from '../common/progress.js';
import { CONTACT_STATUS, DOMAIN_STATUS, HOST_STATUS, RGP_STATUS } from '../deposit/preflight.js';
import { copyField } from '../sources/copy-text.js';
import { contactRows, domainRows, eppParamsRow, hostRows, idnTableRow, nndnRow, policyRow, registrarRows, tldRow, TABLE_ORDER, type TableName } from '../generate/rows.js';
import { OBJECT_URI } from '../model/namespaces.js';
import type { DepositEnvelope, Domain, Header, ObjectKind, RdeDelete, RdeObject, Status } from '../model/objects.js';
import { readDepositNodeBatches, readObject } from '../reader/index.js';
import { readerError } from '../reader/objects.js';
import { fastObjectRows, type FastHooks } from './fast-rows.js';
import { Keys, restoreDuringLoad } from './keys.js';
import { ChunkedCopy, createStaging, DOMAIN_TLD_LATER, FullCopy, insertStaged, NS_STAGE, STAGED_TABLES, stagedName, Triggers, type LineSink } from './load.js';

export type RebuildKind = Exclude<ObjectKind, 'header'>;

export interface RebuildOptions {
  progress?: Progress;
  signal?: AbortSignal;
  /** COPY text buffered before a chunk is loaded (default 8 MiB). */
  chunkBytes?: number;
}

export interface CountCheck {
  kind: RebuildKind;
  uri: string;
  header: number;
  database: number;
}

/** How long a rebuild took, and the schema it created. */
export interface RebuildRun {
  bytes: number;
  seconds: number;
  objectsPerSecond: number;
  bytesPerSecond: number;
  /** Schema versions created by this rebuild (empty when the schema was there). */
  migrated: number[];
}

export interface RebuildSummary extends RebuildRun {
  file: string;
  target: string;
  deposit: { type: string; id: string; prevId?: string; resend: number; watermark: string };
  tld: { name: string; roidSuffix: string; hostModel: 'objects' | 'attributes'; dataModel: 'minimum' | 'per-registrar' };
  /** Objects loaded per kind. */
  objects: Partial<Record<RebuildKind, number>>;
  totalObjects: number;
  /** Rows written per registry table. */
  rows: Partial<Record<TableName, number>>;
  checks: {
    counts: CountCheck[];
    /** Foreign keys validated over all rows when they were put back. */
    foreignKeys: number;
    /** Keys, indexes and foreign keys put back during the load, on tables it had finished with (./keys.ts). */
    keysDuringLoad: number;
    /** Name servers (hostObj) resolved to host objects by name. */
    nameServers: number;
  };
  /** Seconds per phase: prepare the target, stream and load, move staged rows and name servers, keys and indexes, count checks. */
  phases: { prepare: number; load: number; staged: number; keys: number; counts: number };
}

const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
const PROGRESS_BYTES = 1024 * 1024;

/** Header count URI → object kind (RFC 9022 namespaces). */
const KIND_OF_URI = new Map<string, RebuildKind>(
  (Object.entries(OBJECT_URI) as Array<[ObjectKind, string]>).filter(([kind]) => kind !== 'header').map(([kind, uri]) => [uri, kind as RebuildKind]),
);

/** How the database counts each kind after the load. */
export const COUNT_SQL: Record<RebuildKind, string> = {
  registrar: 'SELECT count(*)::int AS n FROM registry.registrar',
  contact: 'SELECT count(*)::int AS n FROM registry.contact',
  host: 'SELECT count(*)::int AS n FROM registry.host',
  domain: 'SELECT count(*)::int AS n FROM registry.domain WHERE tld = $1',
  idnTable: 'SELECT count(*)::int AS n FROM registry.idn_table WHERE tld = $1',
  nndn: 'SELECT count(*)::int AS n FROM registry.nndn WHERE tld = $1',
  eppParams: 'SELECT count(*)::int AS n FROM registry.epp_params WHERE tld = $1',
  policy: 'SELECT count(*)::int AS n FROM registry.policy WHERE tld = $1',
};

/**
 * The tables rebuildFull writes after the load (staged rows with the header's TLD, the domains'
 * TLD when the header differs, name servers resolved in the database, the TLD row): their keys
 * go back only after that (restoreDuringLoad).
 */
const WRITTEN_AFTER_LOAD: ReadonlySet<string> = new Set(['domain', 'domain_ns', 'tld', ...STAGED_TABLES].map((t) => `registry.${t}`));

/** Distinct roid suffixes tallied (the repository id is the commonest; a cap bounds memory). */
const MAX_SUFFIXES = 64;

function invalid(message: string): StrongroomError {
  return new StrongroomError('REBUILD_INVALID_ARGUMENT', message);
}

/** Refuse a target holding any registry row (a rebuild never merges into existing data). */
async function refuseIfNotEmpty(tx: Tx, where: string): Promise<void> {
  const [row] = await tx.query<Record<string, boolean>>(`SELECT ${TABLE_ORDER.map((t) => `EXISTS (SELECT 1 FROM registry.${t}) AS ${t}`).join(', ')}`);
  const found = Object.entries(row ?? {})
    .filter(([, present]) => present)
    .map(([table]) => table);
  if (found.length > 0) {
    throw new StrongroomError('REBUILD_TARGET_NOT_EMPTY', `${where} already holds registry data (${found.map((t) => `registry.${t}`).join(', ')}); rebuild only into an empty database`, {
      location: where,
      data: { tables: found },
    });
  }
}

export interface ObjectState {
  file: string;
  envelope: DepositEnvelope | null;
  header: Header | null;
  counts: Partial<Record<RebuildKind, number>>;
  suffixes: Map<string, number>;
  policyOrd: number;
  hostObjects: boolean;
  hostAttributes: boolean;
}

function checkStatuses(state: ObjectState, object: string, field: string, at: { line: number; column: number }, list: readonly Status[], allowed: ReadonlySet<string>): void {
  for (const s of list) {
    if (!allowed.has(s.s)) throw readerError(state.file, object, `${field}/@s`, at, `"${s.s.slice(0, 40)}" is not a valid status value`);
  }
}

function tallySuffix(state: ObjectState, roid: string): void {
  const dash = roid.lastIndexOf('-');
  if (dash < 0) return;
  const suffix = roid.slice(dash + 1);
  const n = state.suffixes.get(suffix);
  if (n !== undefined) state.suffixes.set(suffix, n + 1);
  else if (state.suffixes.size < MAX_SUFFIXES) state.suffixes.set(suffix, 1);
}

/** The commonest roid suffix of the domains (ties: byte order), else a fallback from the TLD. */
function repositoryId(state: ObjectState, tld: string): string {
  let best: string | undefined;
  let bestCount = 0;
  for (const [suffix, n] of [...state.suffixes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (n > bestCount) {
      best = suffix;
      bestCount = n;
    }
  }
  return best ?? (tld.replace(/[^A-Za-z0-9_]/g, '').toUpperCase().slice(0, 8) || 'REBUILT');
}

/**
 * Rebuild `file` (a FULL deposit) into `db`, which must hold no registry data. Returns the
 * summary; throws (leaving the target untouched) on any problem.
 */
export async function rebuildFull(db: Db, file: string, options: RebuildOptions = {}): Promise<RebuildSummary> {
  const started = performance.now();
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new StrongroomError('FILE_NOT_FOUND', `the deposit ${file} does not exist or is not a file`, { location: file });
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw invalid('the chunk size must be a positive integer');
  const progress = progressOrNoop(options.progress);

  return db.transaction(async (tx) => {
    let mark = performance.now();
    const lap = () => {
      const now = performance.now();
      const seconds = (now - mark) / 1000;
      mark = now;
      return seconds;
    };
    const { migrated, keys, triggers } = await prepareTarget(db, tx);
    const prepare = lap();
    const copy = new FullCopy(tx, chunkBytes);
    restoreDuringLoad(tx, keys, copy, WRITTEN_AFTER_LOAD);
    const state = newObjectState(file);
    const end = await streamDeposit(file, info.size, state, copy, {
      progress,
      ...(options.signal ? { signal: options.signal } : {}),
      onEnvelope(envelope) {
        if (envelope.type !== 'FULL') {
          throw new StrongroomError('REBUILD_UNSUPPORTED_DEPOSIT', `${file} is a ${envelope.type} deposit (id ${envelope.id}); a rebuild starts from a FULL deposit`, { location: file });
        }
      },
      onDelete: null,
    });
    if (!state.envelope) throw new StrongroomError('INTERNAL', 'the reader ended without an envelope');
    if (!state.header) throw new StrongroomError('REBUILD_CHECK_FAILED', `${file} has no <rdeHeader:header>: the object counts cannot be checked`, { location: file });

    const finishing = progress.task('keys, indexes and checks', 'steps', 4);
    const tld = state.header.tld;
    const { hostModel, dataModel, roidSuffix } = inferTld([state], tld);
    tldRow(copy, { name: tld, roidSuffix, hostModel, dataModel, created: state.envelope.watermark });
    await copy.flush();
    const load = lap();
    await insertStaged(tx, tld, copy.domainTldDiffers(tld));
    const nameServers = copy.nameServers + (await resolveNameServers(tx, file, copy.rows.get(NS_STAGE) ?? 0));
    const staged = lap();
    finishing.add(1);

    await keys.restore(tx);
    await triggers.restore(tx);
    const keysSeconds = lap();
    finishing.add(2);
    const counts = await checkCounts(tx, file, tld, state);
    const countSeconds = lap();
    finishing.add(1);
    finishing.done();

    const seconds = (performance.now() - started) / 1000;
    const totalObjects = Object.values(state.counts).reduce((a, b) => a + (b ?? 0), 0);
    const rows: Partial<Record<TableName, number>> = {};
    for (const table of TABLE_ORDER) {
      const n = copy.rows.get(table);
      if (n) rows[table] = n;
    }
    if (nameServers > 0) rows.domain_ns = nameServers;
    const env = state.envelope;
    return {
      file,
      target: db.description,
      deposit: { type: env.type, id: env.id, ...(env.prevId ? { prevId: env.prevId } : {}), resend: env.resend, watermark: env.watermark },
      tld: { name: tld, roidSuffix, hostModel, dataModel },
      objects: state.counts,
      totalObjects,
      rows,
      bytes: end.bytes,
      seconds,
      objectsPerSecond: seconds > 0 ? totalObjects / seconds : totalObjects,
      bytesPerSecond: seconds > 0 ? end.bytes / seconds : end.bytes,
      migrated,
      checks: { counts, foreignKeys: keys.foreignKeys, keysDuringLoad: keys.early, nameServers },
      phases: { prepare, load, staged, keys: keysSeconds, counts: countSeconds },
    };
  });
}

/** Lock, create the schema if absent, refuse a non-empty target, take the keys off, create staging. */
export async function prepareTarget(db: Db, tx: Tx): Promise<{ migrated: number[]; keys: Keys; triggers: Triggers }> {
  // One rebuild per database at a time; a second one waits, then finds the target not empty.
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('strongroom/rebuild'))");
  const migrated = await migrateWithin(tx, db.description);
  // Locked before the emptiness check: freezable() truncates below, and rows another session
  // committed in between must make the rebuild refuse, never vanish.
  await tx.exec(`LOCK TABLE ${TABLE_ORDER.map((t) => `registry.${t}`).join(', ')} IN ACCESS EXCLUSIVE MODE`);
  await refuseIfNotEmpty(tx, db.description);
  if (db.kind === 'server') await tx.exec("SET LOCAL maintenance_work_mem = '256MB'");
  const keys = await Keys.read(tx);
  await keys.drop(tx);
  const triggers = await Triggers.read(tx);
  await triggers.disable(tx);
  await createStaging(tx);
  // After the triggers are off (the journal's TRUNCATE trigger would move its horizon;
  // Triggers.restore does that once, at the end).
  await freezable(tx);
  return { migrated, keys, triggers };
}

/**
 * Truncate the registry tables and the staging tables, all empty: truncated in the current
 * (sub)transaction, they take COPY FREEZE (./load.ts fullCopySql); a rollback leaves them as
 * they were. Done once, when the target is prepared: the load's COPYs run in the same
 * transaction (the foreign-key savepoints taken during the load are released, never left open).
 */
export async function freezable(tx: Tx): Promise<void> {
  const staged = [...STAGED_TABLES.map(stagedName), NS_STAGE].map((t) => `pg_temp.${t}`);
  await tx.exec(`TRUNCATE ${[...TABLE_ORDER.map((t) => `registry.${t}`), ...staged].join(', ')}`);
}

export function newObjectState(file: string): ObjectState {
  return { file, envelope: null, header: null, counts: {}, suffixes: new Map(), policyOrd: 0, hostObjects: false, hostAttributes: false };
}

export interface StreamOptions {
  progress: ReturnType<typeof progressOrNoop>;
  signal?: AbortSignal;
  /** Called with the envelope before any object is loaded (throw to refuse the deposit). */
  onEnvelope(envelope: DepositEnvelope): void;
  /** Where `<rde:deletes>` entries go; null refuses them (a FULL deposit cannot delete). */
  onDelete: ((entry: RdeDelete, at: { line: number; column: number }) => void) | null;
}

/**
 * Stream one deposit file through the reader into `copy` (objects → rows; deletes to
 * `onDelete`), recording what it holds in `state`. Everything is in the database (or in
 * `copy`'s staging) when it returns.
 */
export async function streamDeposit(file: string, size: number, state: ObjectState, copy: ChunkedCopy, options: StreamOptions): Promise<{ bytes: number }> {
  const { progress, signal } = options;
  const task = progress.task(`rebuild ${file}`, 'bytes', size);
  let bytes = 0;
  let reported = 0;
  const input = createReadStream(file, { highWaterMark: 256 * 1024 });
  const counted = (async function* () {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes - reported >= PROGRESS_BYTES) {
        task.add(bytes - reported);
        reported = bytes;
      }
      yield chunk;
    }
  })();

  let end: { bytes: number } | null = null;
  try {
    const hooks = fastHooks(state);
    // A batch of events at a time: one asynchronous step per input slice, not per object.
    for await (const batch of readDepositNodeBatches(counted, { file, ...(signal ? { signal } : {}) })) {
      if (signal?.aborted) throw new StrongroomError('INTERRUPTED', 'the rebuild was interrupted; the target is unchanged');
      for (const event of batch) {
        switch (event.type) {
          case 'deposit':
            options.onEnvelope(event.envelope);
            state.envelope = event.envelope;
            break;
          case 'delete':
            if (!options.onDelete) {
              throw readerError(file, `${event.delete.kind} delete`, 'rde:deletes', event, 'a FULL deposit cannot delete objects (RFC 8909 §5.1: deletes belong to DIFF and INCR deposits)');
            }
            options.onDelete(event.delete, event);
            if (copy.full) await copy.startFlush();
            break;
          case 'node':
            // Domains, contacts and hosts of the plain shape straight to rows (./fast-rows.ts);
            // everything else, and every error, through the typed reader.
            if (!fastObjectRows(event.node, state, copy, hooks)) addObject(state, copy, readObject(event.node, file), event);
            if (copy.full) await copy.startFlush();
            break;
          case 'end':
            end = event;
            break;
        }
      }
    }
    await copy.flush();
  } finally {
    input.destroy();
    await copy.settle();
  }
  task.add(bytes - reported);
  task.done();
  if (!end || !state.envelope) throw new StrongroomError('INTERNAL', 'the reader ended without an envelope');
  return end;
}

/**
 * What no deposit says about the TLD, inferred from everything loaded (the FULL and the
 * deposits applied after it): host model, data model, repository id.
 */
export function inferTld(states: readonly ObjectState[], tld: string): { hostModel: 'objects' | 'attributes'; dataModel: 'minimum' | 'per-registrar'; roidSuffix: string } {
  const hostObjects = states.some((s) => s.hostObjects || s.counts.host !== undefined || (s.envelope?.objURI.includes(OBJECT_URI.host) ?? false));
  const hostAttributes = states.some((s) => s.hostAttributes);
  const file = states[0]?.file ?? '';
  if (hostObjects && hostAttributes) {
    throw new StrongroomError('REBUILD_CHECK_FAILED', `${states.map((s) => s.file).join(', ')} mix both name-server models (host objects, and domains with hostAttr name servers); a TLD uses one`, { location: file });
  }
  const escrowsContacts = states.some(
    (s) => s.counts.contact !== undefined || (s.envelope?.objURI.includes(OBJECT_URI.contact) ?? false) || (s.header?.count.some((c) => c.uri === OBJECT_URI.contact) ?? false),
  );
  const merged = newObjectState(file);
  for (const s of states) {
    for (const [suffix, n] of s.suffixes) {
      const had = merged.suffixes.get(suffix);
      if (had !== undefined) merged.suffixes.set(suffix, had + n);
      else if (merged.suffixes.size < MAX_SUFFIXES) merged.suffixes.set(suffix, n);
    }
  }
  return { hostModel: hostObjects ? 'objects' : 'attributes', dataModel: escrowsContacts ? 'per-registrar' : 'minimum', roidSuffix: repositoryId(merged, tld) };
}

/** What the fast path (./fast-rows.ts) needs to decide as addObject does. */
export function fastHooks(state: ObjectState): FastHooks {
  return { tallyRoid: (roid) => tallySuffix(state, roid) };
}

/**
 * One object → its rows (children in document order keep their order through `ord`): the
 * typed path, which ./fast-rows.ts must match for the objects it takes.
 */
export function addObject(state: ObjectState, copy: LineSink, object: RdeObject, at: { line: number; column: number }): void {
  if (object.kind !== 'header') state.counts[object.kind] = (state.counts[object.kind] ?? 0) + 1;
  switch (object.kind) {
    case 'header':
      if (state.header) throw readerError(state.file, 'header', 'rdeHeader:header', at, 'the deposit has a second header');
      state.header = object.value;
      return;
    case 'registrar':
      registrarRows(copy, object.value);
      return;
    case 'contact':
      checkStatuses(state, `contact ${object.value.id}`, 'status', at, object.value.status, CONTACT_STATUS);
      contactRows(copy, object.value);
      return;
    case 'host':
      checkStatuses(state, `host ${object.value.name}`, 'status', at, object.value.status, HOST_STATUS);
      hostRows(copy, object.value);
      return;
    case 'domain': {
      const d = object.value;
      checkStatuses(state, `domain ${d.name}`, 'status', at, d.status, DOMAIN_STATUS);
      checkStatuses(state, `domain ${d.name}`, 'rgpStatus', at, d.rgpStatus, RGP_STATUS);
      tallySuffix(state, d.roid);
      if (d.ns && 'hostObj' in d.ns) {
        state.hostObjects = true;
        // The schema links name servers to host objects by roid: staged by name, resolved later.
        const { ns, ...rest } = d;
        domainRows(copy, rest as Domain, DOMAIN_TLD_LATER);
        ns.hostObj.forEach((name, ord) => copy.row(NS_STAGE, `${copyField(d.roid)}\t${ord}\t${copyField(name)}\n`));
      } else {
        if (d.ns) state.hostAttributes = true;
        domainRows(copy, d, DOMAIN_TLD_LATER);
      }
      return;
    }
    case 'idnTable':
      idnTableRow(copy, '', object.value);
      return;
    case 'nndn':
      nndnRow(copy, '', object.value);
      return;
    case 'eppParams':
      eppParamsRow(copy, '', object.value);
      return;
    case 'policy':
      policyRow(copy, '', state.policyOrd++, object.value);
      return;
  }
}

/**
 * hostObj names → host roids; every name must be a host object of the deposit. One pass, no
 * count: the `staged` rows (as many as COPY loaded into the stage) are moved with an outer
 * join, so that a name that resolves to no host gives a NULL host roid, which the NOT NULL
 * column refuses (the keys are off, the NOT NULL constraints are not); only then is the stage
 * searched for those names (the error). Returns `staged`. Both tables are analyzed first: with
 * no statistics the planner took the hosts for a few thousand rows and the stage for a tenth of
 * its size, and sorted the whole stage for a merge join (3.5 s at 1M domains) instead of
 * hashing the hosts.
 */
export async function resolveNameServers(tx: Tx, file: string, staged: number): Promise<number> {
  if (staged === 0) return 0;
  try {
    await tx.exec(
      `ANALYZE registry.host, pg_temp.${NS_STAGE};
       SAVEPOINT sr_rebuild_ns;
       INSERT INTO registry.domain_ns (domain_roid, ord, host_roid)
       SELECT s.domain_roid, s.ord, h.roid FROM pg_temp.${NS_STAGE} s LEFT JOIN registry.host h ON h.name = s.host_name;
       RELEASE SAVEPOINT sr_rebuild_ns`,
    );
  } catch (err) {
    await tx.exec('ROLLBACK TO SAVEPOINT sr_rebuild_ns');
    const missing = await tx.query<{ name: string; host_name: string; n: number }>(
      `SELECT d.name, s.host_name, count(*) OVER ()::int AS n
       FROM pg_temp.${NS_STAGE} s JOIN registry.domain d ON d.roid = s.domain_roid
       WHERE NOT EXISTS (SELECT 1 FROM registry.host h WHERE h.name = s.host_name)
       ORDER BY d.name, s.host_name LIMIT 5`,
    );
    if (missing.length === 0) throw err;
    const examples = missing.map((m) => `domain ${m.name} → ${m.host_name}`);
    throw new StrongroomError('REBUILD_CHECK_FAILED', `${missing[0]!.n} name server(s) in ${file} name no host object (of the deposit, or of the state it applies to): ${examples.join('; ')}`, {
      location: file,
      data: { unresolved: missing[0]!.n, examples },
    });
  }
  return staged;
}

/** Counts per kind in the database equal the header's; every kind present has a header count. */
export async function checkCounts(tx: Tx, file: string, tld: string, state: ObjectState): Promise<CountCheck[]> {
  const header = state.header!;
  const checks: CountCheck[] = [];
  const problems: string[] = [];
  const seen = new Set<RebuildKind>();
  for (const c of header.count) {
    const kind = KIND_OF_URI.get(c.uri);
    if (!kind) {
      problems.push(`the header counts objects of ${c.uri}, which no RFC 9022 object kind has`);
      continue;
    }
    if (c.rcdn !== undefined || c.registrarId !== undefined) continue; // partial counts (per RCDN / registrar)
    seen.add(kind);
    const [row] = await tx.query<{ n: number }>(COUNT_SQL[kind], kind === 'registrar' || kind === 'contact' || kind === 'host' ? [] : [tld]);
    const database = row?.n ?? 0;
    checks.push({ kind, uri: c.uri, header: c.count, database });
    if (database !== c.count) problems.push(`${kind}: the header says ${c.count}, the database holds ${database}`);
  }
  for (const [kind, n] of Object.entries(state.counts) as Array<[RebuildKind, number]>) {
    if (!seen.has(kind)) problems.push(`${kind}: the deposit holds ${n} object(s) but the header has no count for ${OBJECT_URI[kind]}`);
  }
  if (problems.length > 0) {
    throw new StrongroomError('REBUILD_CHECK_FAILED', `object counts do not match the header (RDE_OBJECT_COUNT_MISMATCH): ${problems.join('; ')}`, {
      location: file,
      data: { problems, checks },
    });
  }
  return checks;
}
