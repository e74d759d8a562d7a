/**
 * RetryTransport: retries the operations of another transport with exponential backoff and full
 * jitter (delay = random(0, min(maxDelay, base · 2^attempt))), only for errors whose data says
 * `retryable: true` (dropped connections, timeouts); authentication, host-key, verification and
 * name errors fail at once. A retried put re-opens the body (`Body.open()`), so it starts over.
 *
 * A put that was committed by the store but whose acknowledgement was lost looks, on retry,
 * like TRANSPORT_EXISTS; when the body's SHA-256 is known the object is read back and, when it
 * is the same, the put counts as done instead of failing.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import type { Body, ObjectInfo, PutOptions, PutResult, Transport } from './transport.js';

export interface RetryPolicy {
  /** Attempts in all, the first included (default 5). */
  attempts?: number;
  /** Base delay in ms (default 1000). */
  baseDelayMs?: number;
  /** Cap of one delay in ms (default 60000). */
  maxDelayMs?: number;
  /** Random source in [0,1) for the jitter (tests pass a fixed one). */
  random?: () => number;
  /** Waits (tests pass a recorder). */
  sleep?: (ms: number) => Promise<void>;
  /** Told about every retry (for progress notes). */
  onRetry?: (info: { operation: string; name: string; attempt: number; delayMs: number; error: StrongroomError }) => void;
}

/** Whether an error says a retry can help. */
export function isRetryable(err: unknown): err is StrongroomError {
  return isStrongroomError(err) && err.data?.retryable === true;
}

/** The delay before retry number `attempt` (1-based): full jitter over an exponential cap. */
export function backoffDelay(attempt: number, policy: RetryPolicy = {}): number {
  const base = policy.baseDelayMs ?? 1000;
  const cap = Math.min(policy.maxDelayMs ?? 60000, base * 2 ** (attempt - 1));
  return Math.floor((policy.random ?? Math.random)() * cap);
}

/** Run `fn` with retries under `policy`; the last retryable error becomes TRANSPORT_RETRIES_EXHAUSTED. */
export async function withRetries<T>(operation: string, name: string, policy: RetryPolicy, fn: (attempt: number) => Promise<T>): Promise<T> {
  const attempts = Math.max(1, policy.attempts ?? 5);
  const wait = policy.sleep ?? ((ms: number) => sleep(ms).then(() => undefined));
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      if (attempt >= attempts) {
        throw new StrongroomError('TRANSPORT_RETRIES_EXHAUSTED', `${operation} ${name}: gave up after ${attempts} attempts: ${err.message}`, {
          cause: err,
          ...(err.location === undefined ? {} : { location: err.location }),
          data: { retryable: false, attempts, last: err.toJSON() },
        });
      }
      const delayMs = backoffDelay(attempt, policy);
      policy.onRetry?.({ operation, name, attempt, delayMs, error: err });
      await wait(delayMs);
    }
  }
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class RetryTransport implements Transport {
  readonly kind: string;
  readonly description: string;

  constructor(
    readonly inner: Transport,
    readonly policy: RetryPolicy = {},
  ) {
    this.kind = inner.kind;
    this.description = inner.description;
  }

  async put(name: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    let failedBefore = false;
    return withRetries('put', name, this.policy, async () => {
      try {
        return await this.inner.put(name, body, options);
      } catch (err) {
        if (failedBefore && isStrongroomError(err, 'TRANSPORT_EXISTS') && body.sha256 !== undefined) {
          // An earlier attempt may have committed before its acknowledgement was lost.
          const info = await this.inner.stat(name);
          if (info && (body.size === undefined || info.size === body.size) && (await sha256Of(await this.inner.get(name))) === body.sha256) {
            return { name, size: info.size, sha256: body.sha256 };
          }
        }
        if (isRetryable(err)) failedBefore = true;
        throw err;
      }
    });
  }

  get(name: string): Promise<Readable> {
    return withRetries('get', name, this.policy, () => this.inner.get(name));
  }

  stat(name: string): Promise<ObjectInfo | null> {
    return withRetries('stat', name, this.policy, () => this.inner.stat(name));
  }

  /** Retries until the first object is yielded; a failure later ends the listing with the error. */
  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    const attempts = Math.max(1, this.policy.attempts ?? 5);
    for (let attempt = 1; ; attempt += 1) {
      let yielded = false;
      try {
        for await (const info of this.inner.list(prefix)) {
          yielded = true;
          yield info;
        }
        return;
      } catch (err) {
        if (yielded || !isRetryable(err) || attempt >= attempts) throw err;
        const delayMs = backoffDelay(attempt, this.policy);
        this.policy.onRetry?.({ operation: 'list', name: prefix, attempt, delayMs, error: err });
        await (this.policy.sleep ?? ((ms: number) => sleep(ms).then(() => undefined)))(delayMs);
      }
    }
  }

  remove(name: string): Promise<void> {
    return withRetries('remove', name, this.policy, () => this.inner.remove(name));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Wrap a foreign error as a retryable transport error (for implementations). */
export function retryableIo(message: string, cause: unknown, location?: string): StrongroomError {
  return new StrongroomError('TRANSPORT_IO', `${message}: ${messageOf(cause)}`, { cause, data: { retryable: true }, ...(location === undefined ? {} : { location }) });
}

/** Static check that the decorator still satisfies the interface. */
export const retrying: (inner: Transport, policy?: RetryPolicy) => Transport = (inner, policy) => new RetryTransport(inner, policy);
