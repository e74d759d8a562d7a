/**
 * Rebuild from a chain: a FULL deposit and the DIFFs after it (or the latest INCR on it), as
 * ordered and checked by ./chain.ts, into an EMPTY reference database — all or nothing, in one
 * transaction, like the FULL rebuild (./rebuild.ts), whose load it reuses:
 *
 *   1. lock, create the schema if absent, refuse a non-empty target, take the keys off;
 *   2. load the FULL (./rebuild.ts `streamDeposit`), move its staged rows in, resolve its name
 *      servers; its header's TLD must be the chain's; its counts must equal its header's;
 *   3. each DIFF/INCR in chain order: stage its deletes and rows, apply them (./apply.ts:
 *      deletes, then contents replacing whole objects), resolve its name servers; the object
 *      counts in the database must then equal that deposit's header counts (RFC 9022 header
 *      counts are the repository's objects at the watermark, whatever the deposit type);
 *   4. write the TLD row (inferred from everything loaded), put keys and indexes back — every
 *      reference of the final state must resolve, every key be unique.
 * Any failure rolls everything back: the target is exactly as it was.
 */
import { stat } from 'node:fs/promises';
import type { Db } from '../db/adapter.js';
import { StrongroomError } from '../common/errors.js';
import { progressOrNoop } from '../common/progress.js';
import { tldRow, type TableName } from '../generate/rows.js';
import { applyStagedDelta, clearDeltaStaging, createDeltaStaging, deleteLine, deltaCopySql, type ApplyResult } from './apply.js';
import type { ChainDeposit, ChainPlan } from './chain.js';
import { ChunkedCopy, DELETES_STAGE, FullCopy, NS_STAGE, STAGED_TABLES, insertStaged, stagedName } from './load.js';
import {
  checkCounts,
  COUNT_SQL,
  inferTld,
  newObjectState,
  prepareTarget,
  resolveNameServers,
  streamDeposit,
  type CountCheck,
  type ObjectState,
  type RebuildKind,
  type RebuildOptions,
  type RebuildRun,
  type RebuildSummary,
} from './rebuild.js';

export interface AppliedDeposit {
  file: string;
  type: string;
  id: string;
  prevId?: string;
  resend: number;
  watermark: string;
  /** Objects the deposit holds per kind (header excluded). */
  objects: Partial<Record<RebuildKind, number>>;
  /** `<rde:deletes>` entries. */
  deletes: number;
  /** Objects removed from the registry: deleted, or replaced by the deposit's version. */
  removed: number;
  /** Delete entries naming no object, and up to five of them. */
  unmatchedDeletes: number;
  unmatchedExamples: string[];
  /** Rows the deposit wrote per registry table (name server links given by host name excluded). */
  rows: Partial<Record<TableName, number>>;
  /** The header's counts next to the database's after applying this deposit. */
  counts: CountCheck[];
  bytes: number;
  seconds: number;
}

/** objectsPerSecond counts the objects read (`objectsRead`). */
export interface ChainSummary extends RebuildRun {
  files: string[];
  target: string;
  /** The deposits applied, in order (the FULL first). */
  deposits: AppliedDeposit[];
  /** Deposits given but after `--until`: checked as part of the chain, not applied. */
  notApplied: Array<{ file: string; type: string; id: string; watermark: string }>;
  until?: string;
  /** The state the database now holds: the last applied deposit's. */
  state: { id: string; type: string; watermark: string };
  tld: RebuildSummary['tld'];
  /** Objects in the rebuilt database per kind. */
  objects: Partial<Record<RebuildKind, number>>;
  totalObjects: number;
  /** Objects read from all the deposits (a replaced object counts once per deposit). */
  objectsRead: number;
  checks: {
    /** The last applied deposit's header counts next to the database's. */
    counts: CountCheck[];
    /** Deposits whose header counts were checked against the database once applied (all of them). */
    depositsCounted: number;
    foreignKeys: number;
    nameServers: number;
  };
}

const KINDS = Object.keys(COUNT_SQL) as RebuildKind[];

function chainError(d: ChainDeposit, message: string, data: Record<string, unknown> = {}): StrongroomError {
  return new StrongroomError('REBUILD_CHAIN_TLD', message, { location: d.file, data: { rule: 'tld', file: d.file, id: d.envelope.id, ...data } });
}

/** Apply `plan` to `db`, which must hold no registry data. Throws, leaving the target untouched, on any problem. */
export async function rebuildChain(db: Db, plan: ChainPlan, options: RebuildOptions = {}): Promise<ChainSummary> {
  const started = performance.now();
  const chunkBytes = options.chunkBytes ?? 8 * 1024 * 1024;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new StrongroomError('REBUILD_INVALID_ARGUMENT', 'the chunk size must be a positive integer');
  const progress = progressOrNoop(options.progress);
  const signal = options.signal;
  const full = plan.apply[0];
  if (!full || full.envelope.type !== 'FULL') throw new StrongroomError('INTERNAL', 'a chain plan starts with its FULL');
  for (const d of plan.apply) {
    if (!(await stat(d.file).catch(() => null))?.isFile()) throw new StrongroomError('FILE_NOT_FOUND', `the deposit ${d.file} does not exist or is not a file`, { location: d.file });
  }

  return db.transaction(async (tx) => {
    const { migrated, keys, triggers } = await prepareTarget(db, tx);
    const applied: AppliedDeposit[] = [];
    const states: ObjectState[] = [];
    let nameServers = 0;
    let bytes = 0;

    // The FULL.
    const fullStarted = performance.now();
    const copy = new FullCopy(tx, chunkBytes);
    const fullState = newObjectState(full.file);
    const end = await streamDeposit(full.file, full.bytes, fullState, copy, {
      progress,
      ...(signal ? { signal } : {}),
      onEnvelope(envelope) {
        if (envelope.type !== 'FULL' || envelope.id !== full.envelope.id) throw new StrongroomError('REBUILD_CHAIN_BROKEN', `${full.file} changed since the chain was checked`, { location: full.file });
      },
      onDelete: null,
    });
    states.push(fullState);
    bytes += end.bytes;
    if (!fullState.header) throw new StrongroomError('REBUILD_CHECK_FAILED', `${full.file} has no <rdeHeader:header>: the object counts cannot be checked`, { location: full.file });
    const tld = fullState.header.tld;
    if (plan.tld !== null && plan.tld !== tld) {
      const other = plan.apply[1]!;
      throw chainError(full, `the FULL ${full.envelope.id} (${full.file}) is a deposit of .${tld}, the deposits after it (e.g. ${other.envelope.type} ${other.envelope.id}, ${other.file}) of .${plan.tld}: a chain holds one TLD`, {
        tlds: [tld, plan.tld],
      });
    }
    await insertStaged(tx, tld, copy.domainTldDiffers(tld));
    await tx.exec(`TRUNCATE ${STAGED_TABLES.map((t) => `pg_temp.${stagedName(t)}`).join(', ')}`);
    const fullNameServers = copy.nameServers + (await resolveNameServers(tx, full.file, copy.rows.get(NS_STAGE) ?? 0));
    nameServers += fullNameServers;
    await tx.exec(`TRUNCATE pg_temp.${NS_STAGE}`);
    const fullRows: Partial<Record<TableName, number>> = {};
    for (const [table, n] of copy.rows) if (table !== NS_STAGE && table !== DELETES_STAGE) fullRows[table] = n;
    if (fullNameServers > 0) fullRows.domain_ns = fullNameServers;
    applied.push(record(full, fullState, await checkCounts(tx, full.file, tld, fullState), { removed: 0, unmatchedDeletes: 0, unmatchedExamples: [], rows: fullRows }, 0, end.bytes, fullStarted));

    // The DIFFs / the INCR, in chain order.
    if (plan.apply.length > 1) await createDeltaStaging(tx);
    for (const d of plan.apply.slice(1)) {
      if (signal?.aborted) throw new StrongroomError('INTERRUPTED', 'the rebuild was interrupted; the target is unchanged');
      const depositStarted = performance.now();
      const state = newObjectState(d.file);
      const delta = new ChunkedCopy(tx, chunkBytes, deltaCopySql);
      let deletes = 0;
      const read = await streamDeposit(d.file, d.bytes, state, delta, {
        progress,
        ...(signal ? { signal } : {}),
        onEnvelope(envelope) {
          if (envelope.type !== d.envelope.type || envelope.id !== d.envelope.id) throw new StrongroomError('REBUILD_CHAIN_BROKEN', `${d.file} changed since the chain was checked`, { location: d.file });
        },
        onDelete(entry) {
          deletes++;
          delta.row(DELETES_STAGE, deleteLine(entry));
        },
      });
      states.push(state);
      bytes += read.bytes;
      if (!state.header) throw new StrongroomError('REBUILD_CHECK_FAILED', `${d.file} has no <rdeHeader:header>`, { location: d.file });
      if (state.header.tld !== tld) throw chainError(d, `${d.envelope.type} ${d.envelope.id} (${d.file}) is a deposit of .${state.header.tld}, the FULL of .${tld}: a chain holds one TLD`);
      const result = await applyStagedDelta(tx, tld);
      nameServers += await resolveNameServers(tx, d.file, delta.rows.get(NS_STAGE) ?? 0);
      await clearDeltaStaging(tx);
      const counts = await checkCounts(tx, d.file, tld, state).catch((err: unknown) => {
        if (err instanceof StrongroomError && err.code === 'REBUILD_CHECK_FAILED') {
          throw new StrongroomError('REBUILD_CHECK_FAILED', `after applying ${d.envelope.type} ${d.envelope.id} (${d.file}): ${err.message}`, { location: d.file, cause: err, ...(err.data ? { data: err.data } : {}) });
        }
        throw err;
      });
      applied.push(record(d, state, counts, result, deletes, read.bytes, depositStarted));
    }

    // The TLD row, the keys (references and uniqueness over the final state).
    const finishing = progress.task('keys, indexes and checks', 'steps', 2);
    const { hostModel, dataModel, roidSuffix } = inferTld(states, tld);
    tldRow(copy, { name: tld, roidSuffix, hostModel, dataModel, created: full.envelope.watermark });
    await copy.flush();
    await keys.restore(tx);
    await triggers.restore(tx);
    finishing.add(1);
    const objects: Partial<Record<RebuildKind, number>> = {};
    for (const kind of KINDS) {
      const [row] = await tx.query<{ n: number }>(COUNT_SQL[kind], kind === 'registrar' || kind === 'contact' || kind === 'host' ? [] : [tld]);
      if (row && row.n > 0) objects[kind] = row.n;
    }
    finishing.add(1);
    finishing.done();

    const seconds = (performance.now() - started) / 1000;
    const totalObjects = Object.values(objects).reduce((a, b) => a + (b ?? 0), 0);
    const objectsRead = applied.reduce((sum, d) => sum + Object.values(d.objects).reduce((a, b) => a + (b ?? 0), 0), 0);
    const last = applied.at(-1)!;
    return {
      files: plan.apply.map((d) => d.file),
      target: db.description,
      deposits: applied,
      notApplied: plan.after.map((d) => ({ file: d.file, type: d.envelope.type, id: d.envelope.id, watermark: d.envelope.watermark })),
      ...(plan.until !== undefined ? { until: plan.until } : {}),
      state: { id: last.id, type: last.type, watermark: last.watermark },
      tld: { name: tld, roidSuffix, hostModel, dataModel },
      objects,
      totalObjects,
      objectsRead,
      bytes,
      seconds,
      objectsPerSecond: seconds > 0 ? objectsRead / seconds : objectsRead,
      bytesPerSecond: seconds > 0 ? bytes / seconds : bytes,
      migrated,
      checks: { counts: last.counts, depositsCounted: applied.length, foreignKeys: keys.foreignKeys, nameServers },
    };
  });
}

function record(
  d: ChainDeposit,
  state: ObjectState,
  counts: CountCheck[],
  result: ApplyResult,
  deletes: number,
  bytes: number,
  started: number,
): AppliedDeposit {
  const env = d.envelope;
  return {
    file: d.file,
    type: env.type,
    id: env.id,
    ...(env.prevId ? { prevId: env.prevId } : {}),
    resend: env.resend,
    watermark: env.watermark,
    objects: state.counts,
    deletes,
    removed: result.removed,
    unmatchedDeletes: result.unmatchedDeletes,
    unmatchedExamples: result.unmatchedExamples,
    rows: result.rows,
    counts,
    bytes,
    seconds: (performance.now() - started) / 1000,
  };
}
