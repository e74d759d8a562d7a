/**
 * The structure checker on a thread of its own (`checkStructureInWorker`): the verifier's main
 * thread reads the decrypted deposit from the encrypted spool and hands the chunks over
 * (copied, then transferred: nothing touches the disk), while it goes on with the semantic
 * checks — on a machine with two cores the structure check then costs no wall time of its own.
 * At most MAX_IN_FLIGHT chunks wait for the worker (bounded memory). The findings are the same
 * as `checkStructure`'s: it is the same checker (StructureChecker), fed by messages.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { once } from 'node:events';
import { StructureChecker, type StructureOptions, type StructureResult } from './checker.js';
import { XmlScanner, type XmlScanHandler } from '../../common/xml-scan.js';
import { WellFormedScan, type WellFormedResult } from '../verify/xml.js';

/** Chunks handed over and not yet taken by the worker. */
const MAX_IN_FLIGHT = 8;

type ToWorker = { chunk: Uint8Array } | { end: true };
type FromWorker = { ack: true } | { result: StructureResult; scanned?: WellFormedResult } | { error: string };

/**
 * `wellFormed`: also run the verifier's well-formedness scan and summary (verify/xml.ts) on the
 * same bytes, on the worker's thread; its result comes with the structure result (`scanned`).
 */
export async function checkStructureInWorker(input: AsyncIterable<Buffer>, opts: Omit<StructureOptions, 'model'> = {}, onChunk?: (bytes: number) => void, wellFormed?: { where: string }): Promise<StructureResult & { scanned?: WellFormedResult }> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { structureWorker: true, opts, ...(wellFormed ? { wellFormed } : {}) } });
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let settled: { result: StructureResult } | { error: Error } | null = null;
  const done = new Promise<StructureResult & { scanned?: WellFormedResult }>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      if ('ack' in message) {
        inFlight--;
        wake?.();
        return;
      }
      settled = 'result' in message ? { result: message.result } : { error: new Error(message.error) };
      wake?.();
      if ('result' in message) resolve(message.scanned ? { ...message.result, scanned: message.scanned } : message.result);
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

/**
 * One scanner feeding both the structure checker and the well-formedness scan (the same bytes,
 * one tokenizer): the scan's handler sees every event and error the scanner reports.
 */
export function both(checker: StructureChecker, other: XmlScanHandler): XmlScanHandler {
  return {
    xmlDecl(version, encoding, standalone, s) {
      checker.xmlDecl(version, encoding, standalone, s);
      other.xmlDecl?.(version, encoding, standalone, s);
    },
    open(s) {
      checker.open(s);
      other.open?.(s);
    },
    close(s) {
      checker.close(s);
      other.close?.(s);
    },
    text(s) {
      checker.text(s);
      other.text?.(s);
    },
    cdata(s) {
      checker.cdata(s);
      other.cdata?.(s);
    },
    error(err, s) {
      checker.error(err);
      other.error?.(err, s);
    },
  };
}

/** The worker's side: messages → one scanner → the structure checker (and the well-formedness scan) → the result. */
async function runWorker(): Promise<void> {
  const port = parentPort!;
  const data = workerData as { opts: StructureOptions; wellFormed?: { where: string } };
  const queue: Array<Uint8Array | null> = [];
  let wake: (() => void) | null = null;
  port.on('message', (message: ToWorker) => {
    queue.push('chunk' in message ? message.chunk : null);
    wake?.();
  });
  const next = async (): Promise<Uint8Array | null> => {
    while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    const chunk = queue.shift()!;
    if (chunk !== null) port.postMessage({ ack: true } satisfies FromWorker);
    return chunk;
  };
  try {
    const checker = new StructureChecker(data.opts);
    const scan = data.wellFormed ? new WellFormedScan(data.wellFormed.where) : undefined;
    const scanner = new XmlScanner(scan ? both(checker, scan.handler) : checker);
    for (let chunk = await next(); chunk !== null; chunk = await next()) {
      // After the structure check gave up the scan already has its finding (the first error both saw): the rest is only drained.
      if (!checker.gaveUp && !scanner.stopped) scanner.write(chunk);
      else if (!scan) break;
    }
    if (!checker.gaveUp && !scanner.stopped) scanner.end();
    port.postMessage({ result: checker.finish(), ...(scan ? { scanned: scan.result() } : {}) } satisfies FromWorker);
  } catch (err) {
    port.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies FromWorker);
  }
}

if (!isMainThread && parentPort && (workerData as { structureWorker?: boolean } | null)?.structureWorker === true) await runWorker();
