/**
 * Worker thread of the parallel deposit writer (parallel.ts): reads pages of one object kind
 * from the deposit's snapshot through a connection of its own (`SET TRANSACTION SNAPSHOT`),
 * runs each object's step (object-step.ts: pre-flight, cross-object findings, quarantine
 * cascade, XML) and posts every page back as UTF-8 bytes with its findings, in one message.
 * The main thread puts the pages back in key order, so the deposit is byte-identical to the
 * one the in-process loop writes.
 */
import { on } from 'node:events';
import { parentPort, workerData } from 'node:worker_threads';
import type { Finding } from '../common/findings.js';
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import { sqlLiteral } from '../db/adapter.js';
import { ServerDb } from '../db/server.js';
import { PostgresRegistrySource } from '../sources/postgres-source.js';
import { KIND_WRITERS, stepObject, type KindWriter, type StepContext } from './object-step.js';
import { objectKey, ObjectChecker, type KeyedFinding } from './preflight.js';
import type { KindMessage, PageResult, ToWorker, WorkerData } from './parallel.js';

const port = parentPort!;
const data = workerData as WorkerData;

function post(message: unknown, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

interface KindState {
  writer: KindWriter;
  ctx: StepContext;
}

function kindState(message: KindMessage, checker: ObjectChecker): KindState {
  const writer = KIND_WRITERS.find((w) => w.kind === message.kind)!;
  const crossed = new Map<string, KeyedFinding[]>(message.crossed);
  const quarantined = new Set(message.quarantined);
  return {
    writer,
    ctx: {
      checker,
      crossed: (kind, key) => crossed.get(objectKey(kind, key)),
      quarantining: data.onInvalid === 'quarantine',
      isQuarantined: (kind, key) => key !== undefined && quarantined.size > 0 && quarantined.has(objectKey(kind, key)),
    },
  };
}

/** Objects between two turns of the event loop, so that the next page's rows keep arriving. */
const TURN_EVERY = 100;

/** One page: every object's step, the XML encoded to UTF-8 in a buffer that is handed over. */
async function pageResult(index: number, { writer, ctx }: KindState, objects: AsyncIterator<unknown>, first: Promise<IteratorResult<unknown>>): Promise<[PageResult, ArrayBuffer[]]> {
  const parts: string[] = [];
  let chars = 0;
  const findings: Finding[] = [];
  const quarantine: PageResult['quarantine'] = [];
  let count = 0;
  let written = 0;
  let failed = false;
  const own: Finding[] = [];
  for (let next = await first; !next.done; next = await objects.next()) {
    count++;
    own.length = 0;
    const step = stepObject(writer, next.value, ctx, own);
    for (const finding of own) findings.push(finding);
    if (step.xml === null) {
      if (ctx.quarantining) quarantine.push({ key: step.quarantineKey, object: step.object });
      else failed = true;
    } else {
      written++;
      parts.push(step.xml);
      chars += step.xml.length;
    }
    if (count % TURN_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  // UTF-8 needs at most 3 bytes per UTF-16 code unit; a buffer of its own (never the shared
  // pool) so that its memory can be handed over to the main thread.
  const bytes = Buffer.allocUnsafeSlow(chars * 3);
  let length = 0;
  for (const part of parts) length += bytes.write(part, length, 'utf8');
  return [{ type: 'page', index, bytes: bytes.buffer, length, objects: count, written, failed, findings, quarantine }, [bytes.buffer]];
}

function fail(err: unknown): void {
  const code = isStrongroomError(err) ? err.code : 'INTERNAL';
  post({ type: 'error', code, message: messageOf(err), location: err instanceof StrongroomError ? err.location : undefined });
}

async function run(): Promise<void> {
  const db = await ServerDb.open(data.url, { max: 1 });
  try {
    await db.transaction(
      async (tx) => {
        // The first statement of the transaction: from here on it sees the deposit's snapshot.
        await tx.query(`SET TRANSACTION SNAPSHOT ${sqlLiteral(data.snapshotId)}`);
        const source = PostgresRegistrySource.attach(tx, data.source);
        const checker = new ObjectChecker(data.context);
        let state: KindState | undefined;
        // Pages are worked on in the order they arrive. The next page's rows are already being
        // fetched (its first next() sent the queries) while this one is turned into XML.
        const queue: Array<{ index: number; state: KindState; objects: AsyncIterator<unknown>; first: Promise<IteratorResult<unknown>> }> = [];
        let working: Promise<void> | null = null;
        const work = async (): Promise<void> => {
          for (let page = queue.shift(); page !== undefined; page = queue.shift()) {
            post(...(await pageResult(page.index, page.state, page.objects, page.first)));
          }
          working = null;
        };
        post({ type: 'ready' });
        for await (const [message] of on(port, 'message') as AsyncIterable<[ToWorker]>) {
          if (message.type === 'end') break;
          if (message.type === 'kind') {
            state = kindState(message, checker);
            continue;
          }
          const objects = state!.writer.read(source, message.range)[Symbol.asyncIterator]();
          const first = objects.next();
          first.catch(() => undefined); // reported when the page's turn comes
          queue.push({ index: message.index, state: state!, objects, first });
          working ??= work().catch((err: unknown) => fail(err));
        }
        await working;
      },
      { isolation: 'repeatable read', readOnly: true },
    );
  } finally {
    await db.close();
  }
}

run().catch(fail);
