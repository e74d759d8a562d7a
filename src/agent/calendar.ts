/**
 * The verification calendar (seed 001, the NCC Group schedule): verification happens on
 * business days; a deposit whose transfer window ends at or before the cutoff (16:00 in the
 * agent's time zone) on a business day is verified that day, otherwise on the next business
 * day. Holidays are configurable.
 *
 * Expected deposits: one per TLD per day (Spec 2 Part A §2: a FULL each Sunday, a DIFF the
 * other days, each due by 23:59 UTC of its watermark day), so by default the transfer window
 * of the deposit for day D ends at D 23:59 UTC. A deposit is
 *
 *   verified      verified (PASS) — any revision of that day;
 *   due           received (or window still open) and its verification day has not ended;
 *   overdue       received but not verified by the end of its verification day (an alert);
 *   missing       the window closed and nothing arrived (an alert: Spec 2 Part B §7.2, DRFN);
 *   pending       the window has not closed and nothing arrived yet.
 */
import { StrongroomError } from '../common/errors.js';
import type { Finding } from '../common/findings.js';
import type { DepositRow } from './catalog.js';

export interface CalendarPolicy {
  /** IANA time zone of the agent, e.g. Europe/London. */
  timeZone: string;
  /** HH:MM local: windows ending at or before it are verified the same business day. */
  cutoff: string;
  /** ISO weekdays that are business days (1 = Monday … 7 = Sunday). */
  businessDays: readonly number[];
  /** Local dates (YYYY-MM-DD) that are not business days. */
  holidays: readonly string[];
  /** HH:MM UTC on the watermark day when the transfer window ends (Spec 2 Part A §2: 23:59). */
  windowEnd: string;
}

export const DEFAULT_CALENDAR: CalendarPolicy = {
  timeZone: 'UTC',
  cutoff: '16:00',
  businessDays: [1, 2, 3, 4, 5],
  holidays: [],
  windowEnd: '23:59',
};

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;

export function checkCalendarPolicy(policy: CalendarPolicy): CalendarPolicy {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: policy.timeZone });
  } catch {
    throw new StrongroomError('AGENT_CONFIG_INVALID', `unknown time zone "${policy.timeZone}"`);
  }
  for (const [what, value] of [
    ['cutoff', policy.cutoff],
    ['window end', policy.windowEnd],
  ] as const) {
    if (!TIME_RE.test(value)) throw new StrongroomError('AGENT_CONFIG_INVALID', `${what} "${value}" is not HH:MM`);
  }
  for (const day of policy.holidays) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`))) throw new StrongroomError('AGENT_CONFIG_INVALID', `holiday "${day}" is not a YYYY-MM-DD date`);
  }
  return policy;
}

interface LocalParts {
  date: string;
  minutes: number;
  weekday: number;
}

/** The local date, minute of the day and ISO weekday of an instant in a time zone. */
export function localParts(instant: Date, timeZone: string): LocalParts {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  ) as Record<string, string>;
  const date = `${parts.year}-${parts.month}-${parts.day}`;
  const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  return { date, minutes: Number(parts.hour) * 60 + Number(parts.minute), weekday };
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The instant a local date+time happens in a time zone (the first, around DST changes). */
export function zonedInstant(date: string, minutes: number, timeZone: string): Date {
  const target = Date.parse(`${date}T00:00:00Z`) + minutes * 60_000;
  let guess = target;
  for (let round = 0; round < 3; round++) {
    const local = localParts(new Date(guess), timeZone);
    const localMs = Date.parse(`${local.date}T00:00:00Z`) + local.minutes * 60_000;
    guess += target - localMs;
  }
  return new Date(guess);
}

export function isBusinessDay(date: string, policy: CalendarPolicy): boolean {
  const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  return policy.businessDays.includes(weekday) && !policy.holidays.includes(date);
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(':').map(Number);
  return hours! * 60 + minutes!;
}

/** The local business day on which a transfer window ending at `windowEnd` is verified. */
export function verificationDay(windowEnd: Date, policy: CalendarPolicy): string {
  const local = localParts(windowEnd, policy.timeZone);
  if (isBusinessDay(local.date, policy) && local.minutes <= minutesOf(policy.cutoff)) return local.date;
  let day = addDays(local.date, 1);
  for (let guard = 0; guard < 366 && !isBusinessDay(day, policy); guard++) day = addDays(day, 1);
  if (!isBusinessDay(day, policy)) throw new StrongroomError('AGENT_CONFIG_INVALID', 'no business day within a year: check the business days and holidays');
  return day;
}

export type CalendarState = 'verified' | 'due' | 'overdue' | 'missing' | 'pending';

export interface CalendarEntry {
  tld: string;
  /** The watermark day (UTC). */
  date: string;
  /** The expected type (Spec 2 Part A §2: FULL on Sundays). */
  expected: 'full' | 'diff';
  windowEnd: string;
  /** The local business day the verification is due. */
  verifyOn: string;
  /** The instant that business day ends (local midnight). */
  deadline: string;
  state: CalendarState;
  deposits: string[];
}

export interface CalendarResult {
  entries: CalendarEntry[];
  findings: Finding[];
}

/**
 * The calendar of `tld` from `from` to `to` (watermark days, inclusive) at `now`, from the
 * catalog's deposits of that TLD.
 */
export function buildCalendar(tld: string, deposits: readonly DepositRow[], options: { from: string; to: string; now: Date; policy: CalendarPolicy; fullWeekday?: number }): CalendarResult {
  const policy = checkCalendarPolicy(options.policy);
  const fullWeekday = options.fullWeekday ?? 7;
  const entries: CalendarEntry[] = [];
  const findings: Finding[] = [];
  for (let date = options.from; date <= options.to; date = addDays(date, 1)) {
    const windowEnd = new Date(Date.parse(`${date}T00:00:00Z`) + minutesOf(policy.windowEnd) * 60_000);
    const verifyOn = verificationDay(windowEnd, policy);
    const deadline = zonedInstant(addDays(verifyOn, 1), 0, policy.timeZone);
    const ofDay = deposits.filter((row) => row.tld === tld && row.name_date === date && row.deleted_at === null);
    const weekday = ((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
    let state: CalendarState;
    if (ofDay.some((row) => row.status === 'verified')) state = 'verified';
    else if (ofDay.length > 0) state = options.now >= deadline ? 'overdue' : 'due';
    else state = options.now > windowEnd ? 'missing' : 'pending';
    const entry: CalendarEntry = {
      tld,
      date,
      expected: weekday === fullWeekday ? 'full' : 'diff',
      windowEnd: windowEnd.toISOString(),
      verifyOn,
      deadline: deadline.toISOString(),
      state,
      deposits: ofDay.map((row) => row.key),
    };
    entries.push(entry);
    if (state === 'overdue') {
      findings.push({ code: 'AGENT_VERIFICATION_OVERDUE', severity: 'error', object: `${tld} ${date}`, message: `${entry.deposits.join(', ')} not verified by the end of ${verifyOn} (${policy.timeZone})` });
    } else if (state === 'missing') {
      findings.push({ code: 'AGENT_DEPOSIT_MISSING', severity: 'error', object: `${tld} ${date}`, message: `no ${entry.expected} deposit for ${date} arrived by the end of its window (${entry.windowEnd})` });
    }
  }
  return { entries, findings };
}
