/**
 * The semantic pass of the single pass on a thread of its own (`startSemanticWorker`): the
 * typed reader (lean), the object rules (src/agent/rst checkDepositObjects) and the rows of the
 * reference check with their COPY text (references.ts batchCopyText, known ids resolved there) run
 * on a worker; the main thread only decodes, hands the chunks over (copied, then transferred:
 * nothing touches the disk) and streams the COPY text into the catalog. The decisions stay
 * with the stages on the main thread (verify/references.ts, rst/stage.ts): they read the
 * results from `SemanticOffload` as they would have computed them.
 *
 * Why: the main thread was the critical path of the pass (decode + typed reader + rules + rows,
 * while the structure worker waited for it).
 *
 * Bounded memory: at most MAX_IN_FLIGHT chunks wait for the worker, at most TEXT_IN_FLIGHT
 * pieces of COPY text wait for the main thread. Never a silent pass: every result the worker
 * did not deliver (an exception in it, the worker dying) rejects the promise a stage awaits.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { StrongroomError, isStrongroomError, type ErrorCode } from '../../common/errors.js';
import { teeAsync } from '../../common/tee.js';
import { readDepositBatches, type DepositEvent } from '../../reader/index.js';
import { checkDepositObjects, type ObjectRuleOptions, type ObjectRuleResult } from '../rst/object-rules.js';
import { batchCopyText, headOf } from './references.js';
import type { SemanticOffload } from './stage.js';

/** Chunks handed over and not yet taken by the worker. */
const MAX_IN_FLIGHT = 8;
/** The worker acknowledges the chunks it took in messages of this many (fewer cross-thread wake-ups; ≤ MAX_IN_FLIGHT, or the feeder would wait for an ack never sent). */
const ACK_EVERY = 4;
/** Pieces of COPY text sent and not yet taken by the catalog's COPY. */
const TEXT_IN_FLIGHT = 4;
/** A piece of COPY text is sent once it is this long (fewer, larger messages). */
const TEXT_PIECE = 128 * 1024;
/** Batches of events object-rules may read ahead of the references' rows on the worker (as OBJECT_BATCH_WINDOW in verify.ts). */
const BATCH_WINDOW = 8;
export interface SemanticWorkerOptions {
  /** object-rules' options (rst/stage.ts objectRuleOptions), without `batches`. */
  objectRules: ObjectRuleOptions;
  references: { thin: boolean };
  /** The reader's file name (locations). */
  file: string;
  /** For tests: make the worker fail at a given point ('rules', 'references', 'crash'; 'memory': run out of its heap). */
  fault?: 'rules' | 'references' | 'crash' | 'memory';
}

type WireError = { code?: string; message: string; location?: string; data?: unknown };
type ToWorker = { chunk: Uint8Array } | { end: true } | { textAck: true } | { stopText: true };
type FromWorker =
  | { ack: number }
  | { head: { type?: string; watermark?: string } | null }
  | { text: string }
  | { textEnd: true }
  | { rules: ObjectRuleResult }
  | { failed: 'rules' | 'references'; error: WireError }
  | { finished: true };

function toWire(err: unknown): WireError {
  if (isStrongroomError(err)) return { code: err.code, message: err.message, ...(err.location !== undefined ? { location: err.location } : {}), ...(err.data !== undefined ? { data: err.data } : {}) };
  return { message: err instanceof Error ? err.message : String(err) };
}

function fromWire(wire: WireError): Error {
  if (wire.code === undefined) return new Error(wire.message);
  return new StrongroomError(wire.code as ErrorCode, wire.message, { ...(wire.location !== undefined ? { location: wire.location } : {}), ...(wire.data !== undefined ? { data: wire.data as never } : {}) });
}

/** A promise settled from outside. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void; settled: boolean } {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  promise.catch(() => undefined);
  const out = {
    promise,
    settled: false,
    resolve: (value: T) => {
      out.settled = true;
      resolve(value);
    },
    reject: (error: Error) => {
      out.settled = true;
      reject(error);
    },
  };
  return out;
}

export interface SemanticWorker extends SemanticOffload {
  /** Waits for the input to be handed over and the worker to finish (or fail), then ends it. */
  close(): Promise<void>;
}

/** Starts the worker on `input` (the group's branch of the single pass); the stages read the results from the returned offload. */
export function startSemanticWorker(input: AsyncIterable<Buffer>, options: SemanticWorkerOptions): SemanticWorker {
  // V8's default young generation: a larger one (resourceLimits.maxYoungGenerationSizeMb 96, 192) gave no measurable gain, only memory.
  // No resourceLimits by default: any limit (512 MiB old generation tried) changed V8's GC sizing and cost ≈ 0.4 CPU s per 100k
  // (docs/benchmarks.md, vsem). A worker out of heap dies (ERR_WORKER_OUT_OF_MEMORY) and fails every result it owes: the
  // 'memory' fault runs it out of a small heap to prove that (ERROR, never PASS).
  const limits = options.fault === 'memory' ? { resourceLimits: { maxOldGenerationSizeMb: 16 } } : {};
  const worker = new Worker(new URL(import.meta.url), { workerData: { semanticWorker: true, options }, ...limits });
  const head = deferred<{ type?: string; watermark?: string } | undefined>();
  const rules = deferred<ObjectRuleResult>();
  const finished = deferred<void>();
  /** COPY text received and not yet read; `textDone`: the worker sent all of it (or failed: `textError`). */
  const texts: string[] = [];
  let textDone = false;
  let textError: Error | undefined;
  let textStopped = false;
  let inFlight = 0;
  let wakeFeed: (() => void) | null = null;
  let wakeText: (() => void) | null = null;
  let dead: Error | undefined;
  const failAll = (error: Error): void => {
    dead ??= error;
    if (!head.settled) head.reject(error);
    if (!rules.settled) rules.reject(error);
    if (!textDone) {
      textDone = true;
      textError = error;
    }
    if (!finished.settled) finished.reject(error);
    wakeFeed?.();
    wakeText?.();
  };
  worker.on('message', (message: FromWorker) => {
    if ('ack' in message) {
      inFlight -= message.ack;
      wakeFeed?.();
    } else if ('head' in message) head.resolve(message.head ?? undefined);
    else if ('text' in message) {
      if (textStopped) worker.postMessage({ textAck: true } satisfies ToWorker);
      else texts.push(message.text);
      wakeText?.();
    } else if ('textEnd' in message) {
      textDone = true;
      wakeText?.();
    } else if ('rules' in message) rules.resolve(message.rules);
    else if ('failed' in message) {
      const error = fromWire(message.error);
      if (message.failed === 'rules') rules.reject(error);
      else {
        if (!head.settled) head.reject(error);
        if (!textDone) {
          textDone = true;
          textError = error;
        }
        wakeText?.();
      }
    } else if ('finished' in message) {
      // Whatever the worker did not deliver by now it never will.
      finished.resolve();
      failAll(new StrongroomError('INTERNAL', 'the semantic worker finished without a result'));
    }
  });
  worker.on('error', (err) => failAll(err instanceof Error ? err : new Error(String(err))));
  worker.on('exit', (code) => failAll(new StrongroomError('INTERNAL', `the semantic worker exited with ${code}`)));

  const feeding = (async () => {
    for await (const chunk of input) {
      while (inFlight >= MAX_IN_FLIGHT && !dead) await new Promise<void>((resolve) => (wakeFeed = resolve));
      if (dead) return; // the stages were told; the single pass closes this branch
      const copy = new Uint8Array(chunk);
      inFlight++;
      worker.postMessage({ chunk: copy } satisfies ToWorker, [copy.buffer]);
    }
    if (!dead) worker.postMessage({ end: true } satisfies ToWorker);
  })();
  // A failure of the input (the decode failed) ends the worker: the stages' results no longer matter, but they must not wait.
  feeding.catch((err: unknown) => failAll(err instanceof Error ? err : new Error(String(err))));

  const textIterator: AsyncIterator<string> = {
    async next() {
      for (;;) {
        if (texts.length > 0) {
          const value = texts.shift()!;
          if (!dead) worker.postMessage({ textAck: true } satisfies ToWorker);
          return { value, done: false };
        }
        if (textError) throw textError;
        if (textDone || textStopped) return { value: undefined, done: true };
        await new Promise<void>((resolve) => (wakeText = resolve));
      }
    },
    async return() {
      if (!textStopped && !textDone && !dead) worker.postMessage({ stopText: true } satisfies ToWorker);
      textStopped = true;
      texts.length = 0;
      return { value: undefined, done: true };
    },
  };
  return {
    objectRules: rules.promise,
    references: { head: head.promise, text: { [Symbol.asyncIterator]: () => textIterator } },
    async close() {
      await feeding.catch(() => undefined);
      await finished.promise.catch(() => undefined);
      await worker.terminate();
    },
  };
}

/** The worker's side: chunks → the lean reader → (object rules | reference rows → COPY text). */
async function runWorker(): Promise<void> {
  const port = parentPort!;
  const { options } = workerData as { options: SemanticWorkerOptions };
  const post = (message: FromWorker): void => port.postMessage(message);
  const queue: Array<Uint8Array | null> = [];
  let wake: (() => void) | null = null;
  let textCredit = TEXT_IN_FLIGHT;
  let textStopped = false;
  let wakeCredit: (() => void) | null = null;
  port.on('message', (message: ToWorker) => {
    if ('chunk' in message || 'end' in message) {
      queue.push('chunk' in message ? message.chunk : null);
      wake?.();
    } else if ('textAck' in message) {
      textCredit++;
      wakeCredit?.();
    } else {
      textStopped = true;
      wakeCredit?.();
    }
  });
  if (options.fault === 'crash') process.exit(3);
  if (options.fault === 'memory') {
    const kept: string[][] = [];
    for (;;) kept.push(Array.from({ length: 4096 }, (_, i) => `${kept.length}:${i}`));
  }
  let taken = 0;
  const source = async function* (): AsyncGenerator<Buffer> {
    for (;;) {
      if (queue.length === 0 && taken > 0) {
        // Nothing queued: acknowledge what was taken now, or the feeder may wait for it.
        post({ ack: taken });
        taken = 0;
      }
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const chunk = queue.shift()!;
      if (chunk === null) return;
      if (++taken >= ACK_EVERY) {
        post({ ack: taken });
        taken = 0;
      }
      yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    }
  };
  const [forRules, forReferences] = teeAsync<readonly DepositEvent[]>(readDepositBatches(source(), { file: options.file, lean: true }), 2, BATCH_WINDOW) as [AsyncIterable<readonly DepositEvent[]>, AsyncIterable<readonly DepositEvent[]>];
  const rules = (async () => {
    try {
      if (options.fault === 'rules') throw new StrongroomError('INTERNAL', 'semantic worker fault injected in the object rules');
      const result = await checkDepositObjects(
        () => {
          throw new StrongroomError('INTERNAL', 'the semantic worker reads its batches once');
        },
        { ...options.objectRules, batches: forRules },
      );
      post({ rules: result });
    } catch (err) {
      post({ failed: 'rules', error: toWire(err) });
    } finally {
      await forRules[Symbol.asyncIterator]().return?.();
    }
  })();
  const references = (async () => {
    const batches = forReferences[Symbol.asyncIterator]();
    try {
      const first = await batches.next();
      const head = headOf(first);
      post({ head: head ?? null });
      // Only a FULL's or a DIFF's references are checked (the stage decides the rest; its text is not read).
      if (head?.type !== 'FULL' && head?.type !== 'DIFF') return;
      let pending = '';
      const send = async (): Promise<void> => {
        while (textCredit <= 0 && !textStopped) await new Promise<void>((resolve) => (wakeCredit = resolve));
        if (textStopped) return;
        textCredit--;
        // A string, not UTF-8 bytes: encoding here (to transfer the bytes) measured slower — it moves work onto this, the longest, thread.
        post({ text: pending });
        pending = '';
      };
      for await (const text of batchCopyText(first, batches, options.references.thin, head.type === 'DIFF')) {
        if (textStopped) break;
        if (options.fault === 'references') throw new StrongroomError('INTERNAL', 'semantic worker fault injected in the reference rows');
        pending += text;
        if (pending.length >= TEXT_PIECE) await send();
      }
      if (!textStopped && pending !== '') await send();
      if (!textStopped) post({ textEnd: true });
    } catch (err) {
      post({ failed: 'references', error: toWire(err) });
    } finally {
      await batches.return?.();
    }
  })();
  await Promise.all([rules, references]);
  post({ finished: true });
}

if (!isMainThread && parentPort && (workerData as { semanticWorker?: boolean } | null)?.semanticWorker === true) await runWorker();
