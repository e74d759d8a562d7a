import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStrongroomError } from '../common/errors.js';
import type { DepositRow } from './catalog.js';
import { depositRow } from './testing/rows.js';
import { DEFAULT_CALENDAR, buildCalendar, verificationDay, zonedInstant, type CalendarPolicy } from './calendar.js';

const LONDON: CalendarPolicy = { ...DEFAULT_CALENDAR, timeZone: 'Europe/London' };

test('seed 001 table: windows ending at or before 16:00 are verified that business day, later ones the next; weekends go to Monday', () => {
  // 2026-11-16 is a Monday; November is GMT in London.
  const days = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22'];
  const early = days.map((day) => verificationDay(new Date(`${day}T12:00:00Z`), LONDON));
  assert.deepEqual(early, ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-23', '2026-11-23']);
  const late = days.map((day) => verificationDay(new Date(`${day}T18:00:00Z`), LONDON));
  assert.deepEqual(late, ['2026-11-17', '2026-11-18', '2026-11-19', '2026-11-20', '2026-11-23', '2026-11-23', '2026-11-23']);
  // Exactly 16:00 is "at or before".
  assert.equal(verificationDay(new Date('2026-11-16T16:00:00Z'), LONDON), '2026-11-16');
  assert.equal(verificationDay(new Date('2026-11-16T16:01:00Z'), LONDON), '2026-11-17');
  // The cutoff is local time: in British Summer Time 15:30Z is 16:30 local, too late.
  assert.equal(verificationDay(new Date('2026-06-15T15:30:00Z'), LONDON), '2026-06-16');
  // A bank holiday moves it on (seed: "a slightly modified schedule during UK Bank Holidays").
  assert.equal(verificationDay(new Date('2026-12-24T18:00:00Z'), { ...LONDON, holidays: ['2026-12-25', '2026-12-28'] }), '2026-12-29');
  assert.equal(zonedInstant('2026-06-16', 0, 'Europe/London').toISOString(), '2026-06-15T23:00:00.000Z');
  assert.throws(() => verificationDay(new Date(), { ...LONDON, timeZone: 'Mars/Olympus' }), (err: unknown) => isStrongroomError(err, 'AGENT_CONFIG_INVALID') || err instanceof RangeError);
});

const row = (key: string, status: DepositRow['status']): DepositRow => depositRow(key, status, { watermark: null, deposit_id: null });

test('calendar states: verified, due, overdue, missing, pending — overdue and missing are alerts', () => {
  const deposits = [row('test_2026-11-19_diff_R0', 'verified'), row('test_2026-11-20_diff_R0', 'received'), row('test_2026-11-21_diff_R0', 'received')];
  // Monday 2026-11-23 10:00 London: the Friday deposit (window ends 23:59Z Friday → due Monday) is due,
  // the Thursday one (due Friday) is verified, Saturday's is due Monday, Sunday's never came.
  const at = (iso: string) => buildCalendar('test', deposits, { from: '2026-11-19', to: '2026-11-23', now: new Date(iso), policy: LONDON });
  const monday = at('2026-11-23T10:00:00Z');
  assert.deepEqual(
    monday.entries.map((entry) => [entry.date, entry.expected, entry.verifyOn, entry.state]),
    [
      ['2026-11-19', 'diff', '2026-11-20', 'verified'],
      ['2026-11-20', 'diff', '2026-11-23', 'due'],
      ['2026-11-21', 'diff', '2026-11-23', 'due'],
      ['2026-11-22', 'full', '2026-11-23', 'missing'],
      ['2026-11-23', 'diff', '2026-11-24', 'pending'],
    ],
  );
  assert.deepEqual(monday.findings.map((finding) => finding.code), ['AGENT_DEPOSIT_MISSING']);
  const tuesday = at('2026-11-24T00:00:00Z');
  assert.deepEqual(tuesday.entries.map((entry) => entry.state), ['verified', 'overdue', 'overdue', 'missing', 'missing']);
  assert.deepEqual(tuesday.findings.map((finding) => finding.code), ['AGENT_VERIFICATION_OVERDUE', 'AGENT_VERIFICATION_OVERDUE', 'AGENT_DEPOSIT_MISSING', 'AGENT_DEPOSIT_MISSING']);
});
