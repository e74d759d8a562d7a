/**
 * The parallel deposit writer: the big kinds (contacts, hosts, domains) are read, checked and
 * serialised by worker threads, each with a connection of its own that reads the deposit's
 * snapshot (`pg_export_snapshot()` in the deposit's transaction, `SET TRANSACTION SNAPSHOT` in
 * the worker's; the pg_dump -j approach). The main thread cuts the kind into pages by key
 * (one key-only scan), hands pages to idle workers, and writes the pages' bytes strictly in key
 * order, hashing them as it goes: the deposit is byte-identical to the in-process loop's.
 *
 * The quarantine cascade stays exact: objects of one kind never refer to objects of the same
 * kind (domains → registrars, contacts, hosts, IDN tables; contacts and hosts → registrars), so
 * the set of quarantined objects a kind is checked against is complete and frozen before the
 * kind starts; each worker gets it (capped by --max-quarantined) with the kind's cross-object
 * findings. Findings and quarantined objects come back per page and are added in key order, so
 * reports are the same too.
 *
 * Memory: at most two pages per worker are in flight or waiting to be written.
 * Only the server has snapshots to export; the embedded database keeps the in-process loop.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { StrongroomError } from '../common/errors.js';
import type { Finding } from '../common/findings.js';
import type { KeyRange, PostgresRegistrySource, RangedKind, SourceDescription } from '../sources/postgres-source.js';
import type { OnInvalid } from './full-deposit.js';
import type { KeyedFinding, PreflightContext } from './preflight.js';

export interface WorkerData {
  url: string;
  snapshotId: string;
  source: SourceDescription;
  context: PreflightContext;
  onInvalid: OnInvalid;
}

export interface KindMessage {
  type: 'kind';
  kind: RangedKind;
  /** Cross-object findings of this kind, by objectKey. */
  crossed: Array<[string, KeyedFinding[]]>;
  /** objectKeys of every quarantined object so far. */
  quarantined: string[];
}

export type ToWorker = KindMessage | { type: 'page'; index: number; range: KeyRange } | { type: 'end' };

export interface PageResult {
  type: 'page';
  index: number;
  bytes: ArrayBuffer;
  length: number;
  /** Objects read, and written (not left out). */
  objects: number;
  written: number;
  /** An object must be left out and quarantine is off: the deposit fails. */
  failed: boolean;
  findings: Finding[];
  quarantine: Array<{ key: string; object: string }>;
}

type FromWorker = { type: 'ready' } | PageResult | { type: 'error'; code: string; message: string; location?: string };

/** Worker threads for a deposit: default one per CPU, at most 8. */
export function defaultJobs(): number {
  return Math.min(8, availableParallelism());
}

/**
 * Heap limits of a worker. A worker holds one page (1000 parents and their children) at a time,
 * a few MB; V8's default young generation made each worker cost ~55 MiB of RSS on a 20k-domain
 * registry, 32 MB costs ~25 MiB for ~10% more GC time (docs/benchmarks.md). The old generation
 * cap only bounds a runaway: a worker that exceeds it fails the deposit
 * (ERR_WORKER_OUT_OF_MEMORY), nothing is published.
 */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 32, maxOldGenerationSizeMb: 128 };

/** Pages in flight per worker (one worked on, one being fetched), and waiting to be written. */
const AHEAD_PER_WORKER = 2;

interface Slot {
  worker: Worker;
  /** Pages sent and not yet returned (-1 until the worker is ready). */
  pages: number;
  exited: Promise<void>;
}

/** What the main thread does with each page, in key order. */
export type PageSink = (page: PageResult) => Promise<void>;

export class DepositWorkers {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<{ resolve: (m: FromWorker & { slot: Slot }) => void }> = [];
  private readonly inbox: Array<FromWorker & { slot: Slot }> = [];
  private failure: StrongroomError | null = null;

  private constructor() {}

  /** Start `jobs` workers on the exported snapshot of `source`; resolves when all are reading it. */
  static async start(jobs: number, url: string, source: PostgresRegistrySource, context: PreflightContext, onInvalid: OnInvalid): Promise<DepositWorkers> {
    const pool = new DepositWorkers();
    const data: WorkerData = { url, snapshotId: await source.exportSnapshot(), source: source.describe(), context, onInvalid };
    for (let index = 0; index < jobs; index++) {
      const worker = new Worker(new URL('./parallel-worker.js', import.meta.url), { workerData: data, resourceLimits: WORKER_HEAP });
      const slot: Slot = {
        worker,
        pages: -1,
        exited: new Promise((resolve) => worker.once('exit', () => resolve())),
      };
      worker.on('message', (message: FromWorker) => pool.deliver({ ...message, slot }));
      worker.on('error', (err) => pool.deliver({ type: 'error', code: 'INTERNAL', message: `deposit worker failed: ${err.message}`, slot }));
      pool.slots.push(slot);
    }
    try {
      for (let ready = 0; ready < jobs; ready++) (await pool.next()).slot.pages = 0;
    } catch (err) {
      await pool.stop();
      throw err;
    }
    return pool;
  }

  private deliver(message: FromWorker & { slot: Slot }): void {
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(message);
    else this.inbox.push(message);
  }

  private async next(): Promise<FromWorker & { slot: Slot }> {
    const message = this.inbox.shift() ?? (await new Promise<FromWorker & { slot: Slot }>((resolve) => this.waiting.push({ resolve })));
    if (message.type === 'error') {
      this.failure ??= new StrongroomError(message.code as never, message.message, message.location ? { location: message.location } : {});
      throw this.failure;
    }
    return message;
  }

  /**
   * Read every page of `kind` in the workers and give the results to `sink` in key order.
   * `crossed` and `quarantined` are what the kind's objects are checked against.
   */
  async run(kind: RangedKind, ranges: readonly KeyRange[], crossed: KindMessage['crossed'], quarantined: string[], sink: PageSink, signal?: AbortSignal): Promise<void> {
    for (const slot of this.slots) slot.worker.postMessage({ type: 'kind', kind, crossed, quarantined } satisfies ToWorker);
    const done = new Map<number, PageResult>();
    let dispatched = 0;
    let written = 0;
    const limit = this.slots.length * AHEAD_PER_WORKER;
    while (written < ranges.length) {
      // Round after round, one more page to every worker that has fewer than two, so each has
      // the next page's rows on their way while it works on one.
      for (let round = 0; round < AHEAD_PER_WORKER; round++) {
        for (const slot of this.slots) {
          if (slot.pages > round || dispatched >= ranges.length || dispatched - written >= limit) continue;
          slot.pages++;
          slot.worker.postMessage({ type: 'page', index: dispatched, range: ranges[dispatched]! } satisfies ToWorker);
          dispatched++;
        }
      }
      const message = await this.next();
      message.slot.pages--;
      if (message.type !== 'page') continue;
      done.set(message.index, message);
      for (let page = done.get(written); page !== undefined; page = done.get(written)) {
        done.delete(written);
        if (signal?.aborted) throw new StrongroomError('INTERRUPTED', 'the deposit was interrupted; nothing was published');
        await sink(page);
        written++;
      }
    }
  }

  /** Let the workers commit and close their connections, and wait for them to exit. */
  async stop(): Promise<void> {
    for (const slot of this.slots) {
      if (this.failure) await slot.worker.terminate();
      else slot.worker.postMessage({ type: 'end' } satisfies ToWorker);
    }
    await Promise.all(this.slots.map((slot) => slot.exited));
  }

  /** Stop at once (an error elsewhere): the workers' connections are dropped, their transactions end. */
  async kill(): Promise<void> {
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }
}
