/**
 * What a notification says. Each event is a plain, JSON-ready value: the webhook body is the
 * event itself, and the e-mail text is rendered from it (templates.ts). Producers (the deposit
 * pipeline, the daemon's calendar, key checks) fill in what they know; every deposit event
 * carries the deposit's id, type, counts, sizes and timings.
 */
import { z } from 'zod';
import { StrongroomError } from '../common/errors.js';
import { tryCanonicalDateTime } from '../model/datetime.js';
import { formatIssues } from './config.js';
import type { DepositType } from '../model/objects.js';
import type { NotifyEventKind } from './config.js';

/** A deposit as notifications describe it. */
export interface DepositNotice {
  tld: string;
  /** RFC 8909 id (known once the watermark is fixed: depositId(watermark, type)). */
  id: string;
  type: DepositType;
  resend: number;
  /** RFC 3339 UTC. */
  watermark: string;
  /** Objects per kind (the header counts). */
  counts: Record<string, number>;
  /** Files produced or delivered, with their sizes in bytes. */
  files: Array<{ name: string; bytes: number }>;
  /** Seconds per stage, in the order the stages ran (e.g. deposit, seal, deliver, report). */
  timings: Array<{ stage: string; seconds: number }>;
  startedAt?: string;
  finishedAt?: string;
}

export interface DepositSucceeded {
  kind: 'deposit.succeeded';
  /** When the event happened (RFC 3339 UTC). */
  at: string;
  deposit: DepositNotice;
  /** Where the deposit went (destination names). */
  destinations?: string[];
}

export interface DepositFailed {
  kind: 'deposit.failed';
  at: string;
  /** What is known of the deposit when it failed (counts, files and timings so far). */
  deposit: DepositNotice;
  /** The stage that failed. */
  stage: string;
  error: { code: string; message: string };
}

export interface DepositOverdue {
  kind: 'deposit.overdue';
  at: string;
  /** The deposit that is due (counts, files and timings of what exists so far; often empty). */
  deposit: DepositNotice;
  /** When it had to be delivered (RFC 3339 UTC). */
  deadline: string;
  /** The last deposit of this TLD that succeeded, if any. */
  lastSucceeded?: { id: string; type: DepositType; watermark: string; finishedAt?: string };
}

export interface KeyExpiring {
  kind: 'key.expiring';
  at: string;
  key: {
    fingerprint: string;
    userId?: string;
    /** What the key does for Strongroom, e.g. "registry signing key", "escrow agent encryption key". */
    role: string;
    /** RFC 3339 UTC; null when it already expired without a known date. */
    expiresAt: string;
  };
  /** Whole days from `at` to `expiresAt` (negative once expired). */
  daysLeft: number;
  /** TLDs whose deposits use the key. */
  tlds: string[];
}

export type NotifyEvent = DepositSucceeded | DepositFailed | DepositOverdue | KeyExpiring;

// A compile-time check that the config's event names and the event kinds agree.
const _kinds: Record<NotifyEventKind, NotifyEvent['kind']> = {
  'deposit.succeeded': 'deposit.succeeded',
  'deposit.failed': 'deposit.failed',
  'deposit.overdue': 'deposit.overdue',
  'key.expiring': 'key.expiring',
};
void _kinds;

// ---------------------------------------------------------------------------------------------
// Validation of events given from outside (`strongroom notify --event file.json`, hooks).


const time = z.string().refine((s) => tryCanonicalDateTime(s) !== null, 'must be an RFC 3339 date-time');
const depositType = z.enum(['FULL', 'DIFF', 'INCR']);
const count = z.number().int().min(0);

const depositNoticeSchema = z
  .object({
    tld: z.string().min(1),
    id: z.string().regex(/^\w{1,13}$/, 'must be an RFC 8909 deposit id'),
    type: depositType,
    resend: z.number().int().min(0).max(65535),
    watermark: time,
    counts: z.record(z.string(), count),
    files: z.array(z.object({ name: z.string().min(1), bytes: count }).strict()),
    timings: z.array(z.object({ stage: z.string().min(1), seconds: z.number().min(0) }).strict()),
    startedAt: time.optional(),
    finishedAt: time.optional(),
  })
  .strict();

export const notifyEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('deposit.succeeded'), at: time, deposit: depositNoticeSchema, destinations: z.array(z.string()).optional() }).strict(),
  z.object({ kind: z.literal('deposit.failed'), at: time, deposit: depositNoticeSchema, stage: z.string().min(1), error: z.object({ code: z.string().min(1), message: z.string() }).strict() }).strict(),
  z
    .object({
      kind: z.literal('deposit.overdue'),
      at: time,
      deposit: depositNoticeSchema,
      deadline: time,
      lastSucceeded: z.object({ id: z.string(), type: depositType, watermark: time, finishedAt: time.optional() }).strict().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('key.expiring'),
      at: time,
      key: z.object({ fingerprint: z.string().regex(/^[0-9A-Fa-f]{16,64}$/, 'must be a hexadecimal fingerprint'), userId: z.string().optional(), role: z.string().min(1), expiresAt: time }).strict(),
      daysLeft: z.number().int(),
      tlds: z.array(z.string()),
    })
    .strict(),
]);

/** Validate an event from outside; `where` names its origin in the error. */
export function parseNotifyEvent(input: unknown, where = 'event'): NotifyEvent {
  const result = notifyEventSchema.safeParse(input);
  if (!result.success) {
    const lines = formatIssues(result.error, 'event');
    throw new StrongroomError('NOTIFY_EVENT_INVALID', `${where}: not a notification event:\n  ${lines.join('\n  ')}`, { location: where, data: { issues: lines } });
  }
  return result.data as NotifyEvent;
}
