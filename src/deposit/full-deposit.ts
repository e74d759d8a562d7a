/**
 * FULL deposits (RFC 8909 container, RFC 9022 XML objects, ICANN Spec 2 naming) from one
 * consistent snapshot of a registry database — and, through the same writer (`writeDeposit`),
 * DIFF/INCR deposits of the objects changed since a base deposit and THIN (BRDA) deposits
 * (./diff-deposit.ts explains those).
 *
 * Order of work (all inside the snapshot's read-only transaction, writers never blocked):
 *   1. open the snapshot; resolve and honour the watermark (sources/postgres-source.ts);
 *   2. decide the object kinds present (the menu must equal the header's URIs) and count them;
 *   3. cross-object pre-flight in SQL (preflight.ts `referenceChecks`);
 *   4. stream every object: per-object pre-flight → XML → ~1 MiB buffered writes to a temporary
 *      file (or the encrypted spool), with the header last, counting what was actually written;
 *      a FULL deposit's contacts, hosts and domains are rendered by PostgreSQL instead, with the
 *      pre-flight's verdict taken from a conservative SQL flag or, where it cannot vouch, from
 *      the same per-object checks (sql-writer.ts, sql-render.ts);
 *   5. verdict: on errors, `fail` removes the temporary and reports; `quarantine` has already
 *      left the bad objects (and everything referring to them) out;
 *   6. publish under the Spec 2 name (never replacing a file), then the findings report; with
 *      `seal` (sealed-output.ts) step 4 writes into the encrypted spool and publishing seals it
 *      into `.ryde`/`.sig` files, so no plaintext XML is ever on disk;
 * then, in a transaction of its own, record the deposit with its snapshot in strongroom.deposit.
 *
 * Container choices (docs/commands/deposit.md):
 * - `<rdeHeader:header>` is the last element of `<rde:contents>`, so its counts are those of the
 *   objects actually written (RFC 8909 leaves the order inside contents free).
 * - `<rde:rdeMenu>` lists exactly the URIs counted in the header, and not rdeHeader's own URI:
 *   ICANN RST rde-05 compares the two sets (RDE_MENU_AND_HEADER_URIS_DIFFER) and the header does
 *   not count itself; gbxyz/fakerde, written against RST, does the same. The RFC 9022 examples
 *   list rdeHeader in the menu; the schema accepts both.
 * - All namespaces are declared once on `<rde:deposit>`.
 */
import { stat } from 'node:fs/promises';
import type { Db } from '../db/adapter.js';
import { StrongroomError, messageOf } from '../common/errors.js';
import { FindingList, type Finding } from '../common/findings.js';
import { progressOrNoop, type Progress } from '../common/progress.js';
import { compareDateTime, tryCanonicalDateTime } from '../model/datetime.js';
import { OBJECT_URI, PREFIXES, RDE_MENU_VERSION } from '../model/namespaces.js';
import type { Header, HeaderCount } from '../model/objects.js';
import { ServerDb } from '../db/server.js';
import { DEFAULT_PAGE_SIZE, withRegistrySnapshot, type PostgresRegistrySource, type RangedKind } from '../sources/postgres-source.js';
import { baseDeposit, changedTotal, checkJournalCovers, DELETE_ORDER, deletedObjects, DERIVED_KINDS, type BaseDeposit } from '../journal/journal.js';
import type { SourceKind, TldInfo } from '../sources/source.js';
import { depositFileName, depositId, MAX_RESEND } from './naming.js';
import { DepositFile, writeFileAtomically, type DepositSink } from './output.js';
import type { DepositSealOptions, SealedDeposit } from './sealed-output.js';
import type { SealResult } from '../ryde/index.js';
import { KIND_WRITERS, THIN_WRITERS, stepObject, type StepContext } from './object-step.js';
import { DepositWorkers, defaultJobs } from './parallel.js';
import { objectKey, ObjectChecker, referenceChecks, type CheckedKind, type ReferenceFindings } from './preflight.js';
import { deleteXml, headerXml } from './serialize.js';
import { NOT_VOUCHED, plainKeys, type RenderExclusions, type VouchedReferences } from './sql-render.js';
import { joinRanges, openLanes, renderKind, RENDER_RANGE } from './sql-writer.js';
import { esc } from './xml.js';

export type OnInvalid = 'fail' | 'quarantine';

/** Default cap on quarantined objects: beyond it the run fails instead (a systematic problem). */
export const DEFAULT_MAX_QUARANTINED = 10_000;

/** Findings kept in memory and in reports; more are only counted. */
const MAX_FINDINGS = 10_000;

/** Objects between two progress updates. */
const PROGRESS_EVERY = 1000;

/** Objects between two turns of the event loop (see the writing loop). */
const TURN_EVERY = 100;

export interface FullDepositOptions {
  tld: string;
  /** Directory the deposit is written into (must exist). */
  outDir: string;
  /** The moment the deposit represents (RFC 3339); default: the snapshot's own time. */
  watermark?: string;
  /** Resend count (RFC 8909 `resend`, Spec 2 `R{rev}`), default 0. */
  resend?: number;
  /** What a broken object does: fail the run (default) or be quarantined into the findings report. */
  onInvalid?: OnInvalid;
  maxQuarantined?: number;
  /** Parents per page when reading (tests use tiny pages). */
  pageSize?: number;
  progress?: Progress;
  signal?: AbortSignal;
  /**
   * Seal the deposit (`deposit --seal`): the XML goes through the encrypted spool into RyDE
   * files `{tld}_{date}_full_S{n}_R{rev}.ryde` + `.sig` and never exists on disk in the clear.
   */
  seal?: DepositSealOptions;
  /**
   * Parallelism for contacts, hosts and domains (server databases only): FULL, DIFF and INCR
   * deposits render them on this many connections reading the same snapshot (sql-writer.ts, at
   * most 4); with `renderInDatabase: false`, this many worker threads (parallel.ts). Default:
   * one per CPU (at most 8), one connection more for a FULL; 0 keeps everything on one
   * connection / in this thread. The output
   * is the same bytes either way.
   */
  jobs?: number;
  /**
   * Render contacts, hosts and domains of a FULL, DIFF or INCR deposit in PostgreSQL
   * (sql-writer.ts; the default). False serialises them in Node (object-step.ts), as THIN
   * deposits do: the tests compare the two.
   */
  renderInDatabase?: boolean;
}

export interface QuarantinedObject {
  kind: CheckedKind;
  /** The object's identifier (domain/host name, contact/registrar id, NNDN aName, IDN table id). */
  object: string;
}

/**
 * What a deposit holds: FULL (everything), DIFF (changes since the previous FULL or DIFF), INCR
 * (changes since the last FULL), THIN (the Spec 4 BRDA deposit: RFC 8909 type FULL, domain and
 * registrar objects with the BRDA fields only).
 */
export type WrittenType = 'FULL' | 'DIFF' | 'INCR' | 'THIN';

export interface DepositResult {
  tld: string;
  type: WrittenType;
  id: string;
  /** The deposit this one follows (DIFF, INCR): RFC 8909 `prevId`. */
  prevId?: string;
  /** `<rde:deletes>` entries written (DIFF, INCR). */
  deletes?: number;
  resend: number;
  watermark: string;
  snapshot: string;
  snapshotTime: string;
  /** Absolute path of the deposit XML; when sealed, of the first .ryde part (no XML is written). */
  file: string;
  /** The deposit XML's Spec 2 name (when sealed: the name inside the tar). */
  fileName: string;
  bytes: number;
  sha256: string;
  /** Objects written per kind (the header's counts, by kind). */
  counts: Partial<Record<SourceKind, number>>;
  objects: number;
  seconds: number;
  objectsPerSecond: number;
  findings: { errors: number; warnings: number; omitted: number; items: Finding[] };
  quarantined: QuarantinedObject[];
  /** Absolute path of `{fileName}.findings.json`, written when there were findings. */
  findingsFile?: string;
  /** The sealed parts and signatures, with `seal`. */
  sealed?: SealResult;
}

/** Menu/header order: the order of the RFC 9022 examples (domain first), header excluded. */
const URI_ORDER: readonly SourceKind[] = ['domain', 'host', 'contact', 'registrar', 'idnTable', 'nndn', 'eppParams', 'policy'];

/** The kinds a deposit of this TLD carries (each with a header count, possibly 0). */
export function kindsPresent(tld: TldInfo, counts: Record<SourceKind, number>): SourceKind[] {
  return URI_ORDER.filter((kind) => {
    switch (kind) {
      case 'domain':
      case 'registrar':
      case 'eppParams':
        return true; // RST rde-05: always expected
      case 'host':
        return tld.hostModel === 'objects';
      case 'contact':
        return tld.dataModel !== 'minimum';
      default:
        return counts[kind] > 0;
    }
  });
}

function invalid(message: string): StrongroomError {
  return new StrongroomError('DEPOSIT_INVALID_ARGUMENT', message);
}

function validate(options: FullDepositOptions): { watermark: string | undefined; resend: number; onInvalid: OnInvalid; maxQuarantined: number } {
  let watermark: string | undefined;
  if (options.watermark !== undefined) {
    const canonical = tryCanonicalDateTime(options.watermark);
    if (canonical === null) throw invalid(`--watermark "${options.watermark}" is not an RFC 3339 date-time (e.g. 2024-01-07T00:00:00Z)`);
    watermark = canonical;
  }
  const resend = options.resend ?? 0;
  if (!Number.isInteger(resend) || resend < 0 || resend > MAX_RESEND) throw invalid(`--resend must be an integer from 0 to ${MAX_RESEND}`);
  const onInvalid = options.onInvalid ?? 'fail';
  if (onInvalid !== 'fail' && onInvalid !== 'quarantine') throw invalid(`--on-invalid must be fail or quarantine, got "${String(onInvalid)}"`);
  const maxQuarantined = options.maxQuarantined ?? DEFAULT_MAX_QUARANTINED;
  if (!Number.isInteger(maxQuarantined) || maxQuarantined < 0) throw invalid('the quarantine cap must be a non-negative integer');
  return { watermark, resend, onInvalid, maxQuarantined };
}

/** Objects left out, by kind and key, so that objects referring to them are left out too. */
class Quarantine {
  readonly objects: QuarantinedObject[] = [];
  private readonly keys = new Set<string>();

  constructor(private readonly max: number) {}

  add(kind: CheckedKind, key: string, object: string): void {
    if (this.objects.length >= this.max) {
      throw new StrongroomError(
        'DEPOSIT_QUARANTINE_CAP_EXCEEDED',
        `more than ${this.max} objects would have to be quarantined: this is not one bad row but a systematic problem; fix the data or the mapping (or raise --max-quarantined)`,
      );
    }
    this.keys.add(objectKey(kind, key));
    this.objects.push({ kind, object });
  }

  has(kind: CheckedKind, key: string | undefined): boolean {
    return key !== undefined && this.keys.size > 0 && this.keys.has(objectKey(kind, key));
  }

  /** Every quarantined object's objectKey (for the parallel writer's workers). */
  keyList(): string[] {
    return [...this.keys];
  }
}

const RANGED_KINDS: ReadonlySet<SourceKind> = new Set<SourceKind>(['contact', 'host', 'domain']);

/** What the rendering query of a kind must leave to the checked path: cross-object findings, quarantined references. */
function exclusions(kind: RangedKind, refs: ReferenceFindings, quarantine: Quarantine, vouched: VouchedReferences): RenderExclusions {
  const keysOf = (of: CheckedKind, keys: Iterable<string>) => {
    const prefix = objectKey(of, '');
    const found: string[] = [];
    for (const key of keys) if (key.startsWith(prefix)) found.push(key.slice(prefix.length));
    return found;
  };
  const quarantined = quarantine.keyList();
  return {
    crossed: keysOf(kind, refs.byObject.keys()),
    registrars: keysOf('registrar', quarantined),
    contacts: keysOf('contact', quarantined),
    hosts: keysOf('host', quarantined),
    idnTables: keysOf('idnTable', quarantined),
    vouched,
  };
}

/** The XML prolog, root element with every namespace, watermark and menu (`<rde:contents>` follows the deletes). */
function prolog(type: 'FULL' | 'DIFF' | 'INCR', id: string, prevId: string | undefined, resend: number, watermark: string, uris: readonly string[]): string {
  const xmlns = Object.entries(PREFIXES)
    .map(([prefix, uri]) => `\n    xmlns:${prefix}="${esc(uri)}"`)
    .join('');
  const menu = uris.map((uri) => `\n    <rde:objURI>${esc(uri)}</rde:objURI>`).join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<rde:deposit${xmlns}\n    type="${type}" id="${esc(id)}"${prevId === undefined ? '' : ` prevId="${esc(prevId)}"`} resend="${resend}">\n` +
    `  <rde:watermark>${esc(watermark)}</rde:watermark>\n` +
    `  <rde:rdeMenu>\n    <rde:version>${RDE_MENU_VERSION}</rde:version>${menu}\n  </rde:rdeMenu>\n`
  );
}

const CONTENTS = '  <rde:contents>';

const EPILOG = '\n  </rde:contents>\n</rde:deposit>\n';

/** The kinds of a THIN (BRDA) deposit, Spec 4 §3.1.1: domains and their sponsoring registrars. */
const THIN_KINDS: readonly SourceKind[] = ['domain', 'registrar'];

/** Deposit-level rules of a THIN deposit (its registrars). */
function thinDepositChecks(tld: TldInfo, counts: Partial<Record<SourceKind, number>>, findings: FindingList): number {
  if ((counts.registrar ?? 0) > 0) return 0;
  findings.add({ code: 'RDE_REGISTRAR_OBJECT_MISSING', severity: 'error', object: tld.name, location: 'rde:deposit', message: 'the thin deposit holds no registrar object' });
  return 1;
}

/** Rules about the deposit as a whole; returns how many errors it found (these fail in every mode). */
function depositLevelChecks(tld: TldInfo, counts: Partial<Record<SourceKind, number>>, findings: FindingList): number {
  let errors = 0;
  const add = (code: string, message: string, severity: Finding['severity'] = 'error') => {
    if (severity === 'error') errors++;
    findings.add({ code, severity, object: tld.name, location: 'rde:deposit', message });
  };
  const eppParams = counts.eppParams ?? 0;
  if (eppParams === 0) add('RDE_MISSING_EPP_PARAMS_OBJECT', 'the deposit holds no EPP parameters object (rde.epp_params has no row for the TLD, or it was invalid)');
  if (eppParams > 1) add('SR_EPP_PARAMS_NOT_UNIQUE', `the deposit would hold ${eppParams} EPP parameters objects; RST rde-13 expects exactly one`);
  if ((counts.registrar ?? 0) === 0) add('RDE_REGISTRAR_OBJECT_MISSING', 'the deposit holds no registrar object');
  if ((counts.domain ?? 0) === 0) add('RDE_DOMAIN_OBJECT_MISSING', 'the deposit holds no domain object (normal only for a TLD without registrations)', 'warning');
  if (tld.dataModel === 'maximum' && (counts.policy ?? 0) === 0) add('RDE_POLICY_OBJECT_MISSING', 'the maximum data model expects at least one policy object (RST rde-14)', 'warning');
  return errors;
}

/** Write a FULL deposit of `options.tld` from one snapshot of `db`. */
export async function writeFullDeposit(db: Db, options: FullDepositOptions): Promise<DepositResult> {
  return writeDeposit(db, options, 'FULL');
}

/** Pages of changed objects per worker thread below which a DIFF/INCR is written in-process. */
const MIN_PAGES_PER_WORKER = 4;

/** The base of a DIFF/INCR inside the snapshot, checked; the source then reads only changes. */
async function diffBase(source: PostgresRegistrySource, type: 'DIFF' | 'INCR', watermark: string): Promise<BaseDeposit> {
  const tld = source.tld.name;
  const base = await baseDeposit(source.tx, tld, type);
  if (!base) {
    throw new StrongroomError('DEPOSIT_NO_BASE', `no ${type === 'DIFF' ? 'FULL or DIFF' : 'FULL'} deposit of ${tld} is recorded in strongroom.deposit: a ${type} needs one to follow; write a FULL deposit first`);
  }
  await checkJournalCovers(source.tx, base, tld);
  if (compareDateTime(base.watermark, watermark) >= 0) {
    throw new StrongroomError('DEPOSIT_WATERMARK_UNHONOURABLE', `the ${type} watermark ${watermark} is not after the watermark ${base.watermark} of the deposit it follows (${base.id})`, {
      data: { watermark, previous: base.id, previousWatermark: base.watermark },
    });
  }
  await source.onlyChangesSince(base.snapshot);
  return base;
}

/**
 * The header counts of a DIFF/INCR (RFC 9022 §5.9.1: the registry's objects at the watermark):
 * domains, hosts and contacts from the base deposit's recorded totals and the journal's window
 * (journal.ts `changedTotal`) — counting them would read the whole registry for a small
 * change — and the small kinds counted. Without recorded totals (a base written before
 * migration 004), or should a derived count come out negative, everything is counted.
 */
async function diffTotals(source: PostgresRegistrySource, base: BaseDeposit): Promise<Record<SourceKind, number>> {
  const recorded = base.totals;
  const derived = source.countedKinds().filter((kind): kind is (typeof DERIVED_KINDS)[number] => (DERIVED_KINDS as readonly SourceKind[]).includes(kind));
  if (recorded === null || derived.some((kind) => typeof recorded[kind] !== 'number')) return source.counts();
  const totals = await source.counts(derived);
  for (const kind of derived) {
    const total = recorded[kind]! + (await changedTotal(source.tx, kind, source.tld, source.journalWindow(kind)));
    if (total < 0) return source.counts();
    totals[kind] = total;
  }
  return totals;
}

/**
 * The one deposit writer. FULL reads everything; DIFF and INCR read the same kinds through the
 * source's change filter (only objects with journal entries since the base deposit's snapshot)
 * and write `<rde:deletes>` before the contents; THIN writes domains and registrars through the
 * BRDA serialisers. Same snapshot, same checks, same file handling for all.
 */
export async function writeDeposit(db: Db, options: FullDepositOptions, type: WrittenType): Promise<DepositResult> {
  const started = process.hrtime.bigint();
  const { watermark: requested, resend, onInvalid, maxQuarantined } = validate(options);
  const dir = await stat(options.outDir).catch(() => null);
  if (!dir?.isDirectory()) throw new StrongroomError('FILE_NOT_FOUND', `the output directory ${options.outDir} does not exist or is not a directory`, { location: options.outDir });
  const progress = progressOrNoop(options.progress);
  const findings = new FindingList(MAX_FINDINGS);
  const quarantine = new Quarantine(onInvalid === 'quarantine' ? maxQuarantined : Number.MAX_SAFE_INTEGER);

  const changesOnly = type === 'DIFF' || type === 'INCR';
  const written = await withRegistrySnapshot(db, { tld: options.tld, ...(requested ? { watermark: requested, watermarkAgainstChanges: changesOnly } : {}), ...(options.pageSize ? { pageSize: options.pageSize } : {}) }, async (source) => {
    const { tld, snapshot } = source;
    const watermark = snapshot.watermark;
    const id = depositId(watermark, type);
    const fileName = depositFileName({ tld: tld.name, watermark, type: type === 'FULL' ? 'full' : type === 'THIN' ? 'thin' : 'diff', resend, ext: 'xml' });
    const changes = type === 'DIFF' || type === 'INCR';

    // One writer per deposit identity: a transaction-scoped advisory lock (allowed in a read-only
    // transaction, released with it) keeps two runs from writing the same deposit at once.
    const [bookkeeping] = await source.tx.query<{ ok: boolean; taken: boolean; locked: boolean; totals: boolean }>(
      `SELECT to_regclass('strongroom.deposit') IS NOT NULL AS ok,
              CASE WHEN to_regclass('strongroom.deposit') IS NULL THEN false
                   ELSE EXISTS (SELECT 1 FROM strongroom.deposit WHERE tld = $1 AND id = $2 AND resend = $3) END AS taken,
              pg_try_advisory_xact_lock(hashtext('strongroom.deposit'), hashtext($1 || '/' || $2 || '/' || $3::text)) AS locked,
              EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass('strongroom.deposit') AND attname = 'totals' AND NOT attisdropped) AS totals`,
      [tld.name, id, resend],
    );
    if (!bookkeeping?.ok) throw new StrongroomError('DB_SCHEMA_MISSING', 'the database has no strongroom.deposit table to record deposits in (docs/schema-mapping.md)');
    if (!bookkeeping.locked) {
      throw new StrongroomError('DEPOSIT_IN_PROGRESS', `another run is writing deposit ${id} (resend ${resend}) of ${tld.name} right now`);
    }
    if (bookkeeping.taken) {
      throw new StrongroomError('DEPOSIT_ALREADY_RECORDED', `deposit ${id} (resend ${resend}) of ${tld.name} is already recorded in strongroom.deposit; a new deposit for the same watermark is a resend: use --resend ${resend + 1}`);
    }

    const base = changes ? await diffBase(source, type, watermark) : undefined;
    const totals = base ? await diffTotals(source, base) : await source.counts();
    const kinds = type === 'THIN' ? THIN_KINDS : kindsPresent(tld, totals);
    const present = new Set<SourceKind>(kinds);
    const total = changes ? undefined : kinds.reduce((sum, kind) => sum + totals[kind], 0);

    let workers: DepositWorkers | undefined;
    let lanes: Awaited<ReturnType<typeof openLanes>> | undefined;
    // Sealing (and the OpenPGP library behind it) is loaded only when asked for.
    const sealed = options.seal ? (await import('./sealed-output.js')).SealedDeposit : undefined;
    const file: DepositSink = sealed && options.seal
      ? await sealed.create(options.outDir, fileName, options.seal, options.progress)
      : await DepositFile.create(options.outDir, fileName);
    try {
      const checker = new ObjectChecker({ tld, watermark, repositoryTlds: source.repositoryTlds, roidSuffixes: source.roidSuffixes });
      const jobs = options.jobs ?? defaultJobs();
      // The big kinds of FULL, DIFF and INCR deposits are rendered by PostgreSQL (sql-writer.ts)
      // on `jobs` lanes, a DIFF's by its changed keys; THIN writes BRDA fields. Without
      // rendering, a DIFF uses the worker threads only when asked, and starts them only for
      // MIN_PAGES_PER_WORKER pages a worker or more (a thread's start, ≈0.3 CPU s, is not repaid below).
      const rendering = (type === 'FULL' || changes) && options.renderInDatabase !== false;
      const workersWanted =
        type === 'FULL' ? !rendering && jobs > 0 : type !== 'THIN' && !rendering && (options.jobs ?? 0) > 0 && (await source.changedPages()) >= jobs * MIN_PAGES_PER_WORKER;
      const useWorkers = workersWanted && db instanceof ServerDb && kinds.some((kind) => RANGED_KINDS.has(kind));
      // By default a FULL gets one rendering lane more than the CPUs: Node's share (scanning,
      // hashing and writing the bytes) otherwise leaves a core idle now and then (−6% wall time
      // at 100k).
      if (rendering && kinds.some((kind) => RANGED_KINDS.has(kind))) lanes = await openLanes(db, source, options.jobs ?? (type === 'FULL' ? jobs + 1 : jobs));

      // The cross-object checks run in SQL over the whole registry: FULL and THIN deposits (on
      // every lane at once). A DIFF holds changed objects whose references the registry's own
      // constraints (or the next FULL's checks) vouch for; its objects still get every
      // per-object check.
      const refs: ReferenceFindings = changes
        ? { byObject: new Map(), total: 0, truncated: false }
        : await referenceChecks(lanes ? lanes.lanes.map((lane) => lane.tx) : source.tx, tld, onInvalid === 'quarantine' ? maxQuarantined : MAX_FINDINGS);
      if (onInvalid === 'quarantine' && (refs.truncated || refs.byObject.size > maxQuarantined)) {
        throw new StrongroomError('DEPOSIT_QUARANTINE_CAP_EXCEEDED', `more than ${maxQuarantined} objects fail cross-object checks: a systematic problem, not one bad row; fix the data or the mapping (or raise --max-quarantined)`);
      }
      // References the checks just resolved need no per-object check in the rendering queries
      // when the referenced keys are plain (sql-render.ts VouchedReferences) — only when every
      // check ran to the end: a truncated one may have left unresolved references unreported.
      const vouched = lanes && !changes && !refs.truncated ? await plainKeys(lanes.lanes[0]!.tx, tld) : NOT_VOUCHED;
      workers = useWorkers ? await DepositWorkers.start(jobs, db.connectionUrl, source, { tld, watermark, repositoryTlds: source.repositoryTlds, roidSuffixes: source.roidSuffixes }, onInvalid) : undefined;
      const ctx: StepContext = {
        checker,
        crossed: (kind, key) => refs.byObject.get(objectKey(kind, key)),
        quarantining: onInvalid === 'quarantine',
        isQuarantined: (kind, key) => quarantine.has(kind, key),
      };
      const counts: Partial<Record<SourceKind, number>> = {};
      const task = progress.task(`deposit ${fileName}`, 'objects', total);
      let sinceProgress = 0;
      let sinceTurn = 0;
      let failed = false;
      file.write(prolog(type === 'THIN' ? 'FULL' : type, id, base?.id, resend, watermark, kinds.map((kind) => OBJECT_URI[kind])));
      let deletes = 0;
      if (changes) {
        // <rde:deletes> (RFC 8909 §5), before the contents: what the previous snapshot held and
        // this one does not, in DELETE_ORDER, each kind in key order.
        for (const kind of DELETE_ORDER) {
          if (!present.has(kind)) continue;
          for await (const gone of deletedObjects(source.tx, kind, tld, source.journalWindow(kind))) {
            file.write(`${deletes === 0 ? '  <rde:deletes>' : ''}${deleteXml(kind, gone)}`);
            deletes++;
            if (file.full) await file.flush();
          }
        }
        if (deletes > 0) file.write('\n  </rde:deletes>\n');
      }
      file.write(CONTENTS);

      for (const writer of type === 'THIN' ? THIN_WRITERS : KIND_WRITERS) {
        if (!present.has(writer.kind)) continue;
        let count = 0;
        if (lanes && RANGED_KINDS.has(writer.kind)) {
          const kind = writer.kind as RangedKind;
          const render = { tld, watermark, repositoryTlds: source.repositoryTlds, roidSuffixes: source.roidSuffixes };
          const ranges = changes ? joinRanges(await source.pageRanges(kind), options.pageSize ?? DEFAULT_PAGE_SIZE, lanes.lanes.length) : await source.pageRanges(kind, RENDER_RANGE);
          await renderKind(lanes.lanes, writer, ctx, render, exclusions(kind, refs, quarantine, vouched), ranges, async (range) => {
            for (const finding of range.findings) findings.add(finding);
            for (const q of range.quarantine) quarantine.add(kind, q.key, q.object);
            if (range.failed) failed = true;
            count += range.written;
            if (!failed) await file.writeParts(range.parts);
            task.add(range.objects);
          }, options.signal);
          counts[writer.kind] = count;
          continue;
        }
        if (workers && RANGED_KINDS.has(writer.kind)) {
          const kind = writer.kind as RangedKind;
          const prefix = objectKey(kind, '');
          const crossed = [...refs.byObject].filter(([key]) => key.startsWith(prefix));
          await workers.run(kind, await source.pageRanges(kind), crossed, quarantine.keyList(), async (page) => {
            for (const finding of page.findings) findings.add(finding);
            for (const q of page.quarantine) quarantine.add(kind, q.key, q.object);
            if (page.failed) failed = true;
            count += page.written;
            if (!failed) await file.writeBytes(Buffer.from(page.bytes, 0, page.length));
            task.add(page.objects);
          }, options.signal);
          counts[writer.kind] = count;
          continue;
        }
        const own: Finding[] = [];
        for await (const value of writer.read(source)) {
          if (options.signal?.aborted) throw new StrongroomError('INTERRUPTED', 'the deposit was interrupted; nothing was published');
          own.length = 0;
          const step = stepObject(writer, value, ctx, own);
          for (const finding of own) findings.add(finding);
          if (step.xml === null) {
            if (onInvalid === 'quarantine') quarantine.add(writer.kind, step.quarantineKey, step.object);
            else failed = true;
          } else {
            count++;
            if (!failed) {
              file.write(step.xml);
              if (file.full) await file.flush();
            }
          }
          if (++sinceProgress >= PROGRESS_EVERY) {
            task.add(sinceProgress);
            sinceProgress = 0;
          }
          // Let I/O callbacks run now and then, so the source's read-ahead makes progress while
          // this loop turns objects into XML (async generators alone only yield microtasks).
          if (++sinceTurn >= TURN_EVERY) {
            sinceTurn = 0;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
        }
        counts[writer.kind] = count;
        task.add(sinceProgress);
        sinceProgress = 0;
      }
      task.done();
      await workers?.stop();
      workers = undefined;
      await lanes?.close();
      lanes = undefined;

      const depositErrors = type === 'FULL' ? depositLevelChecks(tld, counts, findings) : type === 'THIN' ? thinDepositChecks(tld, counts, findings) : 0;
      if (failed || depositErrors > 0) {
        throw new StrongroomError('DEPOSIT_PREFLIGHT_FAILED', `pre-flight found ${findings.errors} error(s) in the deposit of ${tld.name}; nothing was published${onInvalid === 'fail' ? ' (use --on-invalid quarantine to leave broken objects out)' : ''}`, {
          data: { findings: findings.items, omitted: findings.omitted },
        });
      }

      // Header counts (RFC 9022 §5.9.1): the number of objects in the registry at the watermark
      // "regardless of the type of deposit"; for a FULL or THIN deposit that is what was written.
      const header: Header = {
        tld: tld.name,
        count: kinds.map((kind): HeaderCount => ({ uri: OBJECT_URI[kind], count: changes ? totals[kind] : (counts[kind] ?? 0) })),
      };
      file.write(headerXml(header));
      file.write(EPILOG);
      const { bytes, sha256 } = await file.finish();
      await file.publish();

      let findingsFile: string | undefined;
      if (findings.items.length > 0) {
        const report = {
          tld: tld.name,
          id,
          resend,
          file: fileName,
          watermark,
          snapshot: snapshot.snapshot,
          onInvalid,
          quarantined: quarantine.objects,
          errors: findings.errors,
          warnings: findings.count('warning'),
          omitted: findings.omitted,
          findings: findings.items,
        };
        findingsFile = await writeFileAtomically(options.outDir, `${fileName}.findings.json`, `${JSON.stringify(report, null, 2)}\n`);
      }
      const sealResult = options.seal ? (file as SealedDeposit).result : undefined;
      return {
        tld,
        snapshot,
        id,
        prevId: base?.id,
        deletes,
        fileName,
        file: file.finalPath,
        bytes,
        sha256,
        counts,
        totals: bookkeeping.totals ? Object.fromEntries(kinds.map((kind) => [kind, totals[kind]])) : undefined,
        findingsFile,
        sealed: sealResult,
      };
    } catch (err) {
      await workers?.kill();
      await lanes?.close().catch(() => undefined);
      await file.discard();
      throw err;
    }
  });

  const objects = Object.values(written.counts).reduce((sum, n) => sum + (n ?? 0), 0);
  await recordDeposit(db, {
    tld: written.tld.name,
    type,
    prevId: written.prevId,
    id: written.id,
    resend,
    watermark: written.snapshot.watermark,
    snapshot: written.snapshot.snapshot,
    snapshotTime: written.snapshot.snapshotTime,
    fileName: written.fileName,
    bytes: written.bytes,
    sha256: written.sha256,
    counts: written.counts,
    totals: written.totals,
    findings: findings.items.length + findings.omitted,
    quarantined: quarantine.objects.length,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return {
    tld: written.tld.name,
    type,
    id: written.id,
    ...(written.prevId === undefined ? {} : { prevId: written.prevId, deletes: written.deletes }),
    resend,
    watermark: written.snapshot.watermark,
    snapshot: written.snapshot.snapshot,
    snapshotTime: written.snapshot.snapshotTime,
    file: written.file,
    fileName: written.fileName,
    bytes: written.bytes,
    sha256: written.sha256,
    counts: written.counts,
    objects,
    seconds,
    objectsPerSecond: seconds > 0 ? objects / seconds : objects,
    findings: { errors: findings.errors, warnings: findings.count('warning'), omitted: findings.omitted, items: findings.items },
    quarantined: quarantine.objects,
    ...(written.findingsFile ? { findingsFile: written.findingsFile } : {}),
    ...(written.sealed ? { sealed: written.sealed } : {}),
  };
}

interface DepositRecord {
  tld: string;
  type: WrittenType;
  prevId: string | undefined;
  id: string;
  resend: number;
  watermark: string;
  snapshot: string;
  snapshotTime: string;
  fileName: string;
  bytes: number;
  sha256: string;
  counts: Partial<Record<SourceKind, number>>;
  /** The registry's objects per kind at the snapshot (the header counts of a DIFF/INCR), when strongroom.deposit has the column (migration 004). */
  totals: Partial<Record<SourceKind, number>> | undefined;
  findings: number;
  quarantined: number;
}

/** Record a published deposit and the snapshot it was read from (strongroom.deposit). */
async function recordDeposit(db: Db, r: DepositRecord): Promise<void> {
  try {
    await db.transaction(async (tx) => {
      const columns = ['tld', 'id', 'resend', 'type', 'prev_id', 'watermark', 'snapshot', 'snapshot_time', 'file_name', 'bytes', 'sha256', 'counts', 'findings', 'quarantined'];
      const values: unknown[] = [r.tld, r.id, r.resend, r.type, r.prevId ?? null, r.watermark, r.snapshot, r.snapshotTime, r.fileName, r.bytes, r.sha256, JSON.stringify(r.counts), r.findings, r.quarantined];
      // `totals` (migration 004) only when known: a database without the column still records.
      if (r.totals !== undefined) {
        columns.push('totals');
        values.push(JSON.stringify(r.totals));
      }
      await tx.query(`INSERT INTO strongroom.deposit (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, values);
    });
  } catch (err) {
    throw new StrongroomError('DB_QUERY_FAILED', `the deposit ${r.fileName} was published, but recording it in strongroom.deposit failed: ${messageOf(err)}`, { cause: err });
  }
}

