import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DepositRow } from './catalog.js';
import { DEFAULT_RETENTION, RETENTION_PRESETS, planTld, type RetentionDecision } from './retention.js';
import { depositRow } from './testing/rows.js';

const NOW = new Date('2026-03-01T00:00:00Z');

function day(offset: number): string {
  return new Date(Date.parse('2026-01-04T00:00:00Z') + offset * 86_400_000).toISOString().slice(0, 10);
}

/** Weekly FULLs on Sundays (2026-01-04 …) and daily DIFFs chained by prevId, `weeks` weeks. */
function weeks(count: number, incremental: 'diff' | 'incr' = 'diff'): DepositRow[] {
  const rows: DepositRow[] = [];
  let previous = '';
  let full = '';
  for (let offset = 0; offset < count * 7; offset++) {
    const date = day(offset);
    const id = date.replace(/-/g, '');
    if (offset % 7 === 0) {
      rows.push(depositRow(`test_${date}_full_R0`, 'verified', previous ? { prev_id: previous } : {}));
      full = id;
    } else {
      rows.push(depositRow(`test_${date}_diff_R0`, 'verified', { prev_id: incremental === 'diff' ? previous : full }));
    }
    previous = id;
  }
  return rows;
}

function deleted(decisions: RetentionDecision[]): string[] {
  return decisions.filter((decision) => decision.action === 'delete').map((decision) => decision.key);
}

test('seed 001: the four most recent verified FULLs and every incremental after the oldest of them are kept', () => {
  const rows = weeks(6);
  const decisions = planTld(rows, DEFAULT_RETENTION, NOW);
  // Weeks 1 and 2 go (14 deposits), weeks 3-6 stay.
  assert.deepEqual(deleted(decisions), rows.slice(0, 14).map((row) => row.key));
  const reasons = Object.fromEntries(decisions.map((decision) => [decision.key, decision.reason]));
  assert.equal(reasons[`test_${day(0)}_full_R0`], 'older than the 4 most recent verified FULLs');
  assert.equal(reasons[`test_${day(14)}_full_R0`], 'one of the 4 most recent verified FULLs (#4)');
  assert.equal(reasons[`test_${day(15)}_diff_R0`], 'an incremental after the oldest kept FULL');
  // A failed FULL does not count as one of the four: the oldest verified one stays longer.
  const failedFull = rows.map((row) => (row.key === `test_${day(35)}_full_R0` ? { ...row, status: 'failed' as const, deposit_id: null } : row));
  const withFailure = planTld(failedFull, DEFAULT_RETENTION, NOW);
  assert.deepEqual(deleted(withFailure), rows.slice(0, 7).map((row) => row.key));
});

test('legal hold, minimum age, and a held DIFF keeps the chain it needs', () => {
  const rows = weeks(6);
  const heldKey = `test_${day(3)}_diff_R0`;
  const held = rows.map((row) => (row.key === heldKey ? { ...row, legal_hold: true, hold_reason: 'court order 17' } : row));
  const decisions = planTld(held, DEFAULT_RETENTION, NOW);
  const reasons = Object.fromEntries(decisions.map((decision) => [decision.key, decision]));
  assert.equal(reasons[heldKey]!.reason, 'legal hold: court order 17');
  // The held DIFF of day 3 needs the FULL of day 0 and the DIFFs of days 1-2.
  for (const offset of [0, 1, 2]) assert.equal(reasons[`test_${day(offset)}_${offset === 0 ? 'full' : 'diff'}_R0`]!.action, 'keep', `day ${offset}`);
  assert.match(reasons[`test_${day(2)}_diff_R0`]!.reason, /needed to apply the kept test_2026-01-07_diff_R0/);
  assert.deepEqual(deleted(decisions), [...rows.slice(4, 14)].map((row) => row.key));
  // With a minimum age of 60 days nothing received since 2026-01-01 goes.
  assert.deepEqual(deleted(planTld(rows, { ...DEFAULT_RETENTION, minAgeDays: 60 }, NOW)), []);
  // No verified FULL at all: everything is kept.
  assert.deepEqual(deleted(planTld(rows.map((row) => ({ ...row, status: 'received' as const })), DEFAULT_RETENTION, NOW)), []);
});

test('seed 002 rotation: 2 FULLs and 3 incrementals — INCRs need only their FULL, DIFFs keep their whole chain', () => {
  const policy = RETENTION_PRESETS['rotation-2-full-3-incremental']!;
  const incr = weeks(3, 'incr');
  const kept = planTld(incr, policy, NOW).filter((decision) => decision.action === 'keep').map((decision) => decision.key);
  // FULLs of weeks 2 and 3, the last three INCRs of week 3.
  assert.deepEqual(kept, [`test_${day(7)}_full_R0`, `test_${day(14)}_full_R0`, `test_${day(18)}_diff_R0`, `test_${day(19)}_diff_R0`, `test_${day(20)}_diff_R0`]);
  const diff = weeks(3, 'diff');
  const keptDiff = planTld(diff, policy, NOW).filter((decision) => decision.action === 'keep').map((decision) => decision.key);
  // The last three DIFFs chain back through every DIFF of week 3 to its FULL.
  assert.deepEqual(keptDiff, [`test_${day(7)}_full_R0`, ...diff.slice(14).map((row) => row.key)]);
});
