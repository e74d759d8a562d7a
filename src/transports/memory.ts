/**
 * In-memory transport: the reference implementation of the contract (like restic's backend/mem)
 * and the place where faults are injected for tests of retries and resumable deliveries.
 *
 * Objects live in a Map; a put collects the body into a private buffer and only then commits
 * it under its name, so it is atomic like the real stores. Faults (see `MemoryFaults`):
 * - `dropAfterBytes`: the next put(s) fail once that many bytes of the body have arrived, like
 *   a connection dropped mid-upload (retryable);
 * - `failOps`: the n-th call of an operation fails (retryable or not);
 * - `delayMs`: every chunk and operation is delayed, for slow peers and timeouts.
 * Operation counts (`counts`) let tests check how often a decorator called through.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { StrongroomError } from '../common/errors.js';
import { validateName, type Body, type ObjectInfo, type PutOptions, type PutResult, type Transport } from './transport.js';

export type MemoryOp = 'put' | 'get' | 'stat' | 'list' | 'remove';

export interface MemoryFaults {
  /** Fail the next `dropTimes` puts after this many body bytes arrived (a dropped connection). */
  dropAfterBytes?: number;
  /** How many puts the drop applies to (default 1); decremented as they happen. */
  dropTimes?: number;
  /** Fail the n-th (1-based, counted from when set) call of an operation. */
  failOps?: Array<{ op: MemoryOp; nth: number; retryable?: boolean }>;
  /** Delay before each operation and each body chunk (a slow peer). */
  delayMs?: number;
}

interface Stored {
  data: Buffer;
  modified: Date;
  retainUntil?: Date;
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  readonly description: string;
  readonly counts: Record<MemoryOp, number> = { put: 0, get: 0, stat: 0, list: 0, remove: 0 };
  /** Bytes received by puts, whether they committed or not (re-sent bytes count twice). */
  bytesReceived = 0;
  faults: MemoryFaults = {};
  private readonly objects = new Map<string, Stored>();
  /** Names of puts in flight: visible to tests, never to list/stat/get. */
  readonly inFlight = new Set<string>();

  constructor(name = 'memory') {
    this.description = `memory:${name}`;
  }

  private async enter(op: MemoryOp): Promise<void> {
    this.counts[op] += 1;
    if (this.faults.delayMs) await sleep(this.faults.delayMs);
    const rules = this.faults.failOps ?? [];
    const index = rules.findIndex((rule) => rule.op === op && rule.nth === this.counts[op]);
    if (index >= 0) {
      const rule = rules[index]!;
      rules.splice(index, 1);
      throw new StrongroomError('TRANSPORT_FAULT_INJECTED', `injected failure of ${op} call ${rule.nth} on ${this.description}`, { data: { retryable: rule.retryable ?? true } });
    }
  }

  /** Arm fault counting from now: `failOps[].nth` counts calls made after this. */
  injectFaults(faults: MemoryFaults): void {
    for (const op of Object.keys(this.counts) as MemoryOp[]) this.counts[op] = 0;
    this.faults = { ...faults, failOps: [...(faults.failOps ?? [])] };
  }

  async put(name: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    validateName(name);
    await this.enter('put');
    if (!options.overwrite && this.objects.has(name)) throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`);
    const chunks: Buffer[] = [];
    const hash = createHash('sha256');
    let size = 0;
    const dropAt = this.faults.dropAfterBytes !== undefined && (this.faults.dropTimes ?? 1) > 0 ? this.faults.dropAfterBytes : undefined;
    this.inFlight.add(name);
    try {
      const stream = await body.open();
      try {
        for await (const raw of stream) {
          const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw as string);
          if (this.faults.delayMs) await sleep(this.faults.delayMs);
          if (dropAt !== undefined && size + chunk.length > dropAt) {
            this.bytesReceived += dropAt - size;
            this.faults.dropTimes = (this.faults.dropTimes ?? 1) - 1;
            throw new StrongroomError('TRANSPORT_FAULT_INJECTED', `connection to ${this.description} dropped after ${dropAt} bytes of ${name}`, { data: { retryable: true } });
          }
          chunks.push(chunk);
          hash.update(chunk);
          size += chunk.length;
          this.bytesReceived += chunk.length;
        }
      } finally {
        stream.destroy();
      }
    } catch (err) {
      if (err instanceof StrongroomError) throw err;
      throw new StrongroomError('TRANSPORT_IO', `cannot store ${name} in ${this.description}: ${(err as Error).message}`, { cause: err, data: { retryable: true } });
    } finally {
      this.inFlight.delete(name);
    }
    const sha256 = hash.digest('hex');
    if (body.size !== undefined && body.size !== size) {
      throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: received ${size} bytes, expected ${body.size}`);
    }
    if (body.sha256 !== undefined && body.sha256 !== sha256) {
      throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: SHA-256 ${sha256} does not match the expected ${body.sha256}`);
    }
    if (!options.overwrite && this.objects.has(name)) throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`);
    const existing = this.objects.get(name);
    if (existing?.retainUntil && existing.retainUntil > new Date()) {
      throw new StrongroomError('TRANSPORT_EXISTS', `${name} is retained until ${existing.retainUntil.toISOString()} in ${this.description}`);
    }
    const stored: Stored = { data: Buffer.concat(chunks), modified: new Date() };
    if (options.retainUntil) stored.retainUntil = options.retainUntil;
    this.objects.set(name, stored);
    return { name, size, sha256 };
  }

  async get(name: string): Promise<Readable> {
    validateName(name);
    await this.enter('get');
    const stored = this.objects.get(name);
    if (!stored) throw new StrongroomError('TRANSPORT_NOT_FOUND', `${name} not found in ${this.description}`, { data: { retryable: false } });
    // Chunks of 64 KiB so readers see a multi-chunk stream like from a real store.
    const data = stored.data;
    return Readable.from(
      (function* () {
        for (let offset = 0; offset < data.length; offset += 65536) yield data.subarray(offset, offset + 65536);
      })(),
    );
  }

  async stat(name: string): Promise<ObjectInfo | null> {
    validateName(name);
    await this.enter('stat');
    const stored = this.objects.get(name);
    return stored ? { name, size: stored.data.length, modified: stored.modified } : null;
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    await this.enter('list');
    const names = [...this.objects.keys()].filter((name) => name.startsWith(prefix)).sort();
    for (const name of names) {
      const stored = this.objects.get(name);
      if (stored) yield { name, size: stored.data.length, modified: stored.modified };
    }
  }

  async remove(name: string): Promise<void> {
    validateName(name);
    await this.enter('remove');
    const stored = this.objects.get(name);
    if (stored?.retainUntil && stored.retainUntil > new Date()) {
      throw new StrongroomError('TRANSPORT_EXISTS', `${name} is retained until ${stored.retainUntil.toISOString()} in ${this.description}`);
    }
    this.objects.delete(name);
  }

  async close(): Promise<void> {}
}
