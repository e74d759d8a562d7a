/**
 * Chain stage `chain` (RFC 8909 §5.1 prevId; Spec 2 Part A §1–2 cadence), against the
 * deposits of the same TLD this agent has already verified (the catalog):
 *
 * - DIFF: `prevId` is the id of the immediately preceding verified deposit of any type
 *   (CHAIN_PREVID_MISMATCH); there is one (CHAIN_NO_BASE); no day is missing between the two
 *   (CHAIN_GAP: Spec 2 Part A §2.2 wants a deposit every day); the last FULL is less than
 *   `fullEveryDays` old (CHAIN_FULL_OVERDUE: Spec 2 Part A §2.1, a FULL each Sunday).
 * - INCR: `prevId` is the id of the last verified FULL (RFC 8909 §5.1).
 * - FULL: a missed day before it is a warning; a `prevId`, when given, should name the previous
 *   deposit (warning).
 * - Any type: arriving after a deposit with a later watermark is a warning (CHAIN_OUT_OF_ORDER);
 *   another deposit with the same watermark is a warning (CHAIN_DUPLICATE_WATERMARK).
 * Resends of the same name (other R{n}) are not part of the chain of this one.
 * BRDA (`thin`) deposits have no chain: NOT RUN, not applicable.
 */
import type { DepositRow } from '../catalog.js';
import type { CheckStage } from './stage.js';

export interface ChainPolicy {
  /** A FULL at least every this many days (Spec 2 Part A §2.1: weekly). */
  fullEveryDays: number;
  /** A deposit every this many days (Spec 2 Part A §2.2: daily). */
  depositEveryDays: number;
}

export const DEFAULT_CHAIN_POLICY: ChainPolicy = { fullEveryDays: 7, depositEveryDays: 1 };

const DAY_MS = 86_400_000;

function days(from: string, to: string): number {
  return (Date.parse(to) - Date.parse(from)) / DAY_MS;
}

export function chainStage(policy: ChainPolicy = DEFAULT_CHAIN_POLICY): CheckStage {
  return {
    id: 'chain',
    title: 'Chain rules: prevId, watermark order, no gaps, FULL cadence',
    kind: 'chain',
    needs: ['summary', 'catalog'],
    async run(ctx, emit) {
      const summary = ctx.summary!;
      const { name, key } = ctx.input;
      if (name.type === 'thin') return { notRun: 'BRDA (thin) deposits have no chain', blocking: false };
      if (!summary.watermark || Number.isNaN(Date.parse(summary.watermark))) return { notRun: 'the deposit has no usable watermark' };
      const object = summary.id ?? key;
      const watermark = summary.watermark;
      const rows = await ctx.catalog!.deposits({ tld: name.tld, includeDeleted: true });
      const history = rows.filter(
        (row): row is DepositRow & { watermark: string } =>
          // BRDA (thin) deposits are not links of the escrow chain (Spec 4 §3.1, not Spec 2).
          row.status === 'verified' && row.watermark !== null && row.type !== 'thin' && row.key !== key && !(row.name_date === name.date && row.type === name.type),
      );
      const at = Date.parse(watermark);
      const before = history.filter((row) => Date.parse(row.watermark) < at).sort((a, b) => Date.parse(a.watermark) - Date.parse(b.watermark));
      const later = history.filter((row) => Date.parse(row.watermark) > at);
      const same = history.filter((row) => Date.parse(row.watermark) === at);
      if (later.length > 0) {
        emit({ code: 'CHAIN_OUT_OF_ORDER', severity: 'warning', object, message: `received after ${later.length} verified deposit(s) with a later watermark (e.g. ${later[0]!.key})` });
      }
      if (same.length > 0) emit({ code: 'CHAIN_DUPLICATE_WATERMARK', severity: 'warning', object, message: `${same.map((row) => row.key).join(', ')} has the same watermark ${watermark}` });
      const previous = before.at(-1);
      const lastFull = before.filter((row) => row.type === 'full').at(-1);
      const gap = previous ? days(previous.watermark, watermark) : 0;
      const missing = Math.round(gap / policy.depositEveryDays) - 1;
      ctx.facts.previous = previous?.key;
      if (summary.type === 'DIFF') {
        if (!previous) {
          emit({ code: 'CHAIN_NO_BASE', severity: 'error', object, message: `no verified deposit of .${name.tld} precedes this DIFF: it cannot be applied` });
        } else {
          if (summary.prevId !== previous.deposit_id) {
            emit({ code: 'CHAIN_PREVID_MISMATCH', severity: 'error', object, message: `prevId is "${summary.prevId ?? ''}", the previous verified deposit ${previous.key} has id "${previous.deposit_id ?? ''}"` });
          }
          if (missing > 0) emit({ code: 'CHAIN_GAP', severity: 'error', object, message: `${missing} deposit day(s) missing between ${previous.watermark} (${previous.key}) and ${watermark}` });
        }
        if (!lastFull) emit({ code: 'CHAIN_NO_FULL', severity: 'error', object, message: `no verified FULL deposit of .${name.tld} precedes this DIFF` });
        else if (days(lastFull.watermark, watermark) >= policy.fullEveryDays) {
          emit({ code: 'CHAIN_FULL_OVERDUE', severity: 'error', object, message: `the last FULL (${lastFull.key}) is ${days(lastFull.watermark, watermark)} days older than this DIFF; a FULL is due every ${policy.fullEveryDays} days` });
        }
      } else if (summary.type === 'INCR') {
        if (!lastFull) emit({ code: 'CHAIN_NO_FULL', severity: 'error', object, message: `no verified FULL deposit of .${name.tld} precedes this INCR` });
        else if (summary.prevId !== lastFull.deposit_id) {
          emit({ code: 'CHAIN_PREVID_MISMATCH', severity: 'error', object, message: `an INCR's prevId must name the last FULL (${lastFull.key}, id "${lastFull.deposit_id ?? ''}"), it is "${summary.prevId ?? ''}"` });
        }
      } else {
        if (previous && missing > 0) emit({ code: 'CHAIN_GAP', severity: 'warning', object, message: `${missing} deposit day(s) missing between ${previous.watermark} (${previous.key}) and this FULL` });
        if (previous && summary.prevId !== undefined && summary.prevId !== previous.deposit_id) {
          emit({ code: 'CHAIN_PREVID_MISMATCH', severity: 'warning', object, message: `prevId is "${summary.prevId}", the previous verified deposit ${previous.key} has id "${previous.deposit_id ?? ''}"` });
        }
        if (!previous) emit({ code: 'CHAIN_FIRST', severity: 'info', object, message: `the first verified deposit of .${name.tld} in this repository` });
      }
    },
  };
}
