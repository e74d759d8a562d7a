/**
 * The structure checker on a thread of its own (`checkStructureInWorker`): the verifier's main
 * thread reads the decrypted deposit from the encrypted spool and hands the chunks over
 * (copied, then transferred: nothing touches the disk), while it goes on with the semantic
 * checks — on a machine with two cores the structure check then costs no wall time of its own.
 * At most MAX_IN_FLIGHT chunks wait for the worker (bounded memory). The findings are the same
 * as `checkStructure`'s: it is the same function, fed by messages.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { once } from 'node:events';
import { checkStructure, type StructureOptions, type StructureResult } from './checker.js';

/** Chunks handed over and not yet taken by the worker. */
const MAX_IN_FLIGHT = 8;

type ToWorker = { chunk: Uint8Array } | { end: true };
type FromWorker = { ack: true } | { result: StructureResult } | { error: string };

export async function checkStructureInWorker(input: AsyncIterable<Buffer>, opts: Omit<StructureOptions, 'model'> = {}, onChunk?: (bytes: number) => void): Promise<StructureResult> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { structureWorker: true, opts } });
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let settled: { result: StructureResult } | { error: Error } | null = null;
  const done = new Promise<StructureResult>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if ('ack' in message) {
        inFlight--;
        wake?.();
        return;
      }
      settled = 'result' in message ? { result: message.result } : { error: new Error(message.error) };
      wake?.();
      if ('result' in message) resolve(message.result);
      else reject(new Error(message.error));
    });
    worker.on('error', (err) => {
      settled = { error: err };
      wake?.();
      reject(err);
    });
    worker.on('exit', (code) => {
      if (!settled) {
        settled = { error: new Error(`the structure worker exited with ${code}`) };
        wake?.();
        reject(settled.error);
      }
    });
  });
  done.catch(() => undefined);
  try {
    for await (const chunk of input) {
      onChunk?.(chunk.length);
      if (settled) continue; // the worker finished early (gave up): drain the spool to its authenticated end
      while (inFlight >= MAX_IN_FLIGHT && !settled) await new Promise<void>((resolve) => (wake = resolve));
      if (settled) continue;
      const copy = new Uint8Array(chunk);
      inFlight++;
      worker.postMessage({ chunk: copy } satisfies ToWorker, [copy.buffer]);
    }
    worker.postMessage({ end: true } satisfies ToWorker);
    return await done;
  } finally {
    await worker.terminate();
    if (!settled) await once(worker, 'exit').catch(() => undefined);
  }
}

/** The worker's side: messages → an async iterable → checkStructure → the result. */
async function runWorker(): Promise<void> {
  const port = parentPort!;
  const queue: Array<Uint8Array | null> = [];
  let wake: (() => void) | null = null;
  port.on('message', (message: ToWorker) => {
    queue.push('chunk' in message ? message.chunk : null);
    wake?.();
  });
  async function* chunks(): AsyncGenerator<Buffer> {
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const next = queue.shift()!;
      if (next === null) return;
      port.postMessage({ ack: true } satisfies FromWorker);
      yield Buffer.from(next.buffer, next.byteOffset, next.byteLength);
    }
  }
  try {
    const result = await checkStructure(chunks(), (workerData as { opts: StructureOptions }).opts);
    port.postMessage({ result } satisfies FromWorker);
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
}

if (!isMainThread && parentPort && (workerData as { structureWorker?: boolean } | null)?.structureWorker === true) await runWorker();
