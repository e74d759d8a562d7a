/**
 * Exponential backoff for network peers (the ICANN interface, SMTP servers, webhook receivers):
 * the delay before retry n (from 1) is `initialMs * 2^(n-1)`, capped at `maxMs`, or the peer's
 * own `Retry-After` when it gives one (capped too). No jitter: one Strongroom process talks to
 * each peer, so there is no herd to spread, and runs stay reproducible.
 */

export interface BackoffOptions {
  /** Attempts in all, the first one included (≥ 1). */
  attempts: number;
  /** Delay before the first retry. */
  initialMs: number;
  /** Longest delay between two attempts. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { attempts: 5, initialMs: 1000, maxMs: 60_000 };

/** Delay before retry `retry` (1 = after the first attempt). */
export function backoffDelay(options: BackoffOptions, retry: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0) return Math.min(retryAfterMs, options.maxMs);
  return Math.min(options.initialMs * 2 ** (retry - 1), options.maxMs);
}

/** A cancellable sleep (tests inject their own to run without waiting). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Seconds or an HTTP date in a Retry-After header, as milliseconds from `now`. */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
