/**
 * Retention: what the agent keeps and what it may delete, per TLD.
 *
 * Policy (seed 001, the NCC Group: "the four most recent verified Full Deposits and all
 * subsequent incremental deposits lodged after the earliest of the four full deposits"):
 *
 * - keep the `keepFull` most recent verified FULL deposits (default 4);
 * - keep every deposit (DIFF/INCR, and anything not verified) whose watermark is after the
 *   oldest kept FULL — or, with `keepIncrementals`, only the most recent N verified
 *   DIFF/INCR deposits (seed 002's rotation: a 2-set full and a 3-set incremental rotation);
 * - never remove what a kept deposit needs to be applied: the deposits its prevId chain goes
 *   through back to a FULL (a DIFF's whole chain, an INCR's FULL; RFC 8909 §2);
 * - keep anything younger than `minAgeDays` (since received) and anything under legal hold;
 * - keep everything while fewer than one verified FULL exists (nothing to anchor a chain).
 *
 * `planRetention` decides, with the reason for every deposit; `applyRetention` deletes the
 * objects no other live deposit shares, marks the deposit deleted in the catalog and audits
 * every deletion with its reason.
 */
import { StrongroomError } from '../common/errors.js';
import type { DepositRow } from './catalog.js';
import type { AgentContext } from './context.js';

export interface RetentionPolicy {
  keepFull: number;
  /** Keep only this many most recent DIFF/INCR deposits (plus their chains); default: all after the oldest kept FULL. */
  keepIncrementals?: number;
  /** Never delete a deposit received less than this many days ago. */
  minAgeDays: number;
}

export const RETENTION_PRESETS: Readonly<Record<string, RetentionPolicy>> = {
  /** Seed 001: four verified FULLs and every incremental after the oldest of them. */
  'four-full': { keepFull: 4, minAgeDays: 0 },
  /** Seed 002: full backups in a 2-set rotation, incrementals in a 3-set rotation. */
  'rotation-2-full-3-incremental': { keepFull: 2, keepIncrementals: 3, minAgeDays: 0 },
};

export const DEFAULT_RETENTION: RetentionPolicy = RETENTION_PRESETS['four-full']!;

export interface RetentionDecision {
  key: string;
  tld: string;
  action: 'keep' | 'delete';
  reason: string;
}

const DAY_MS = 86_400_000;

function when(row: DepositRow): number {
  return Date.parse(row.watermark ?? `${row.name_date}T00:00:00Z`);
}

function ordered(rows: readonly DepositRow[]): DepositRow[] {
  return [...rows].sort((a, b) => when(a) - when(b) || a.rev - b.rev || (a.key < b.key ? -1 : 1));
}

/** Decide for every live deposit of one TLD. */
export function planTld(rows: readonly DepositRow[], policy: RetentionPolicy, now: Date): RetentionDecision[] {
  if (!Number.isInteger(policy.keepFull) || policy.keepFull < 1) throw new StrongroomError('AGENT_INVALID_ARGUMENT', 'keep at least one FULL deposit');
  const live = ordered(rows.filter((row) => row.deleted_at === null));
  const reasons = new Map<string, string>();
  const keep = (row: DepositRow, reason: string): void => {
    if (!reasons.has(row.key)) reasons.set(row.key, reason);
  };
  for (const row of live) if (row.legal_hold) keep(row, `legal hold${row.hold_reason ? `: ${row.hold_reason}` : ''}`);
  const verifiedFulls = live.filter((row) => row.type === 'full' && row.status === 'verified');
  const keptFulls = verifiedFulls.slice(-policy.keepFull);
  if (keptFulls.length === 0) {
    for (const row of live) keep(row, 'no verified FULL yet: everything is kept');
  } else {
    keptFulls.forEach((row, index) => keep(row, `one of the ${policy.keepFull} most recent verified FULLs (#${keptFulls.length - index})`));
    const oldest = when(keptFulls[0]!);
    const after = live.filter((row) => when(row) > oldest && !(row.type === 'full' && row.status === 'verified'));
    const incrementals = after.filter((row) => row.type !== 'full' && row.status === 'verified');
    const keptIncrementals = policy.keepIncrementals === undefined ? incrementals : incrementals.slice(-policy.keepIncrementals);
    for (const row of keptIncrementals) keep(row, policy.keepIncrementals === undefined ? 'an incremental after the oldest kept FULL' : `one of the ${policy.keepIncrementals} most recent incrementals`);
    // Deposits not verified (yet) after the oldest kept FULL: they may still be verified.
    for (const row of after) if (row.status !== 'verified') keep(row, `not verified (${row.status}) and newer than the oldest kept FULL`);
  }
  for (const row of live) {
    const ageDays = (now.getTime() - Date.parse(row.received_at)) / DAY_MS;
    if (ageDays < policy.minAgeDays) keep(row, `received ${Math.floor(ageDays)} day(s) ago, younger than the minimum age of ${policy.minAgeDays}`);
  }
  // Chains: a kept DIFF/INCR needs every deposit its prevId chain goes through, back to a FULL
  // (RFC 8909 §2: a DIFF's prevId is the previous deposit, an INCR's the last FULL). Where the
  // prevId link is unknown, the verified deposits between the last FULL and it are kept.
  const byId = new Map<string, DepositRow>();
  for (const row of live) if (row.status === 'verified' && row.deposit_id) byId.set(row.deposit_id, row);
  for (const row of live) {
    if (!reasons.has(row.key) || row.type === 'full' || row.status !== 'verified') continue;
    let current = row;
    for (let guard = 0; current.type !== 'full' && guard <= live.length; guard++) {
      const previous = current.prev_id ? byId.get(current.prev_id) : undefined;
      if (!previous || when(previous) >= when(current)) {
        const before = live.filter((other) => other.status === 'verified' && when(other) < when(current));
        const base = before.filter((other) => other.type === 'full').at(-1);
        if (base) for (const link of [base, ...before.filter((other) => when(other) > when(base))]) keep(link, `needed to apply the kept ${row.key}`);
        break;
      }
      keep(previous, `needed to apply the kept ${row.key} (its prevId chain)`);
      current = previous;
    }
  }
  return live.map((row) => {
    const kept = reasons.get(row.key);
    if (kept) return { key: row.key, tld: row.tld, action: 'keep', reason: kept };
    const superseded = row.type === 'full' && row.status === 'verified';
    return {
      key: row.key,
      tld: row.tld,
      action: 'delete',
      reason: superseded ? `older than the ${policy.keepFull} most recent verified FULLs` : `${row.status === 'verified' ? 'an incremental' : `a ${row.status} deposit`} not needed by any kept deposit`,
    };
  });
}

export async function planRetention(agent: AgentContext, policy: RetentionPolicy, options: { tld?: string; now?: Date } = {}): Promise<RetentionDecision[]> {
  const now = options.now ?? new Date();
  const tlds = options.tld ? [options.tld] : await agent.catalog.tlds();
  const decisions: RetentionDecision[] = [];
  for (const tld of tlds) decisions.push(...planTld(await agent.catalog.deposits({ tld }), policy, now));
  return decisions;
}

/** Delete what the plan says goes; returns the deletions made. */
export async function applyRetention(agent: AgentContext, decisions: readonly RetentionDecision[], now = new Date()): Promise<RetentionDecision[]> {
  const done: RetentionDecision[] = [];
  for (const decision of decisions) {
    if (decision.action !== 'delete') continue;
    const files = await agent.catalog.files(decision.key);
    // The catalog first: a crash after it leaves unreferenced objects (harmless), never a
    // catalog entry pointing at deleted bytes.
    await agent.catalog.markDeleted(decision.key, now, decision.reason);
    const removed: string[] = [];
    for (const file of files) {
      if (await agent.catalog.objectStillUsed(file.sha256, decision.key)) continue;
      await agent.repo.remove(file.sha256);
      removed.push(file.sha256);
    }
    await agent.audit.append('delete', decision.key, { reason: decision.reason, objects: removed }, now);
    done.push(decision);
  }
  return done;
}
