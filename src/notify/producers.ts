/**
 * Events from what the other stages produce, so the daemon (and scripts) do not assemble them
 * by hand: a deposit run's result becomes a DepositNotice, and key listings become key.expiring
 * events for the keys that expire within the warning window (or have expired).
 */
import type { DepositResult } from '../deposit/full-deposit.js';
import type { KeySummary } from '../ryde/keys.js';
import type { DepositNotice, KeyExpiring } from './events.js';

const DAY_MS = 86_400_000;

/** Default warning window: the key checks' own default (src/ryde/keys.ts, 30 days). */
export const DEFAULT_KEY_WARN_DAYS = 30;

/**
 * The notice of a deposit written by `writeFullDeposit`. The deposit XML is the first file and
 * `deposit` the first timing; later stages (seal, deliver, report) add theirs.
 */
export function depositNotice(result: DepositResult, later: { files?: DepositNotice['files']; timings?: DepositNotice['timings']; finishedAt?: string } = {}): DepositNotice {
  const counts: Record<string, number> = {};
  for (const [kind, n] of Object.entries(result.counts)) if (n !== undefined) counts[kind] = n;
  return {
    tld: result.tld,
    id: result.id,
    type: result.type === 'THIN' ? 'FULL' : result.type, // a THIN (BRDA) deposit is RFC 8909 type FULL
    resend: result.resend,
    watermark: result.watermark,
    counts,
    files: [{ name: result.fileName, bytes: result.bytes }, ...(later.files ?? [])],
    timings: [{ stage: 'deposit', seconds: Math.round(result.seconds * 1000) / 1000 }, ...(later.timings ?? [])],
    startedAt: result.snapshotTime,
    ...(later.finishedAt ? { finishedAt: later.finishedAt } : {}),
  };
}

/** Whole days left (negative, at least 1, once expired). */
function daysLeft(expires: Date, now: Date): number {
  const days = (expires.getTime() - now.getTime()) / DAY_MS;
  return days >= 0 ? Math.floor(days) : -Math.ceil(-days);
}

export interface KeyInUse {
  summary: KeySummary;
  /** What the key does, e.g. "registry signing key" or "escrow agent encryption key (agent-a)". */
  role: string;
  tlds: string[];
}

/**
 * key.expiring events for the keys whose earliest expiry (primary key or a subkey that is not
 * revoked) is within `warnDays` of `now` or already past, soonest first.
 */
export function keyExpiryEvents(keys: readonly KeyInUse[], now: Date, warnDays = DEFAULT_KEY_WARN_DAYS): KeyExpiring[] {
  const events: Array<KeyExpiring & { ms: number }> = [];
  for (const { summary, role, tlds } of keys) {
    const dates = [summary.expires, ...summary.subkeys.filter((s) => s.status !== 'revoked').map((s) => s.expires)].filter((d): d is string => d !== null).map((d) => new Date(d));
    if (dates.length === 0) continue;
    const earliest = new Date(Math.min(...dates.map((d) => d.getTime())));
    const left = daysLeft(earliest, now);
    if (left > warnDays) continue;
    events.push({
      kind: 'key.expiring',
      at: now.toISOString(),
      key: { fingerprint: summary.fingerprint, ...(summary.userIds[0] ? { userId: summary.userIds[0] } : {}), role, expiresAt: earliest.toISOString() },
      daysLeft: left,
      tlds: [...tlds].sort(),
      ms: earliest.getTime(),
    });
  }
  return events.sort((a, b) => a.ms - b.ms || a.key.fingerprint.localeCompare(b.key.fingerprint)).map(({ ms: _ms, ...event }) => event);
}
