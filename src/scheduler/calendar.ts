/**
 * The deposit calendar: which deposits of a TLD are due on which day, with their watermark and
 * submission deadline.
 *
 * The default is ICANN Registry Agreement Specification 2, Part A §1–2 (see
 * ../shared/docs/rde-standards.md §3.1–3.2): a FULL deposit as of 00:00:00 UTC each Sunday and
 * a DIFF as of 00:00:00 UTC each other day, each to be submitted by 23:59 UTC the same day.
 * BRDA (Specification 4 §3.1, "thin") is weekly on a day designated by ICANN and holds data "as
 * of 00:00:00 UTC on the day previous" to that day, ready by 00:00:00 UTC of the designated day.
 * A registry may choose its own calendar (seed 000: "each registry can define a schedule"):
 * FULL and DIFF on any weekdays and another watermark time.
 *
 * Everything here is pure (no clock, no I/O) so the daemon, `strongroom status` and the tests
 * compute the same plan.
 */
import { StrongroomError } from '../common/errors.js';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type ScheduledType = 'full' | 'diff' | 'thin';

export interface DepositSchedule {
  /** Weekdays with a FULL deposit. */
  full: readonly Weekday[];
  /** Weekdays with a DIFF deposit (a day never has both; FULL wins). */
  diff: readonly Weekday[];
  /** The day ICANN designated for BRDA retrieval, or null for no BRDA. */
  thin: Weekday | null;
  /** Time of day (UTC, HH:MM) the watermark represents. Spec 2 §1.1–1.2: 00:00. */
  watermarkTime: string;
  /** Submission deadline (UTC, HH:MM) on the watermark's day. Spec 2 §2.1–2.2: 23:59. */
  deadlineTime: string;
}

/** Spec 2 Part A §1–2: FULL on Sunday, DIFF on the other six days, 00:00 UTC, due 23:59 UTC. */
export const SPEC2_SCHEDULE: DepositSchedule = Object.freeze<DepositSchedule>({
  full: ['sun'],
  diff: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  thin: null,
  watermarkTime: '00:00',
  deadlineTime: '23:59',
});

export interface PlannedJob {
  /** `{tld}_{YYYY-MM-DD}_{type}`: one job per deposit (resends share the key). */
  key: string;
  tld: string;
  type: ScheduledType;
  /** The watermark's UTC date (the date in the Spec 2 file name, §5). */
  date: string;
  /** The watermark, canonical RFC 3339 UTC. */
  watermark: string;
  /** Earliest start: the watermark itself (a snapshot cannot be taken before it). */
  due: Date;
  /** Submission deadline. */
  deadline: Date;
}

const DAY_MS = 86_400_000;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function minutesOf(time: string, what: string): number {
  const m = TIME.exec(time);
  if (!m) throw new StrongroomError('CONFIG_INVALID', `${what} must be HH:MM (UTC), got "${time}"`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Check a schedule and return it normalised; errors name the offending field. */
export function validateSchedule(s: DepositSchedule): DepositSchedule {
  for (const [field, days] of [['full', s.full], ['diff', s.diff]] as const) {
    for (const d of days) if (!WEEKDAYS.includes(d)) throw new StrongroomError('CONFIG_INVALID', `schedule.${field}: unknown weekday "${d}" (use ${WEEKDAYS.join(', ')})`);
  }
  if (s.thin !== null && !WEEKDAYS.includes(s.thin)) throw new StrongroomError('CONFIG_INVALID', `schedule.thin: unknown weekday "${s.thin}"`);
  if (s.full.length === 0) throw new StrongroomError('CONFIG_INVALID', 'schedule.full: at least one weekday needs a FULL deposit (a DIFF chain must start somewhere)');
  const wm = minutesOf(s.watermarkTime, 'schedule.watermarkTime');
  const dl = minutesOf(s.deadlineTime, 'schedule.deadlineTime');
  if (dl <= wm) throw new StrongroomError('CONFIG_INVALID', `schedule.deadlineTime ${s.deadlineTime} must be after watermarkTime ${s.watermarkTime} on the same day`);
  return s;
}

/** Day number (days since 1970-01-01) of a `YYYY-MM-DD` date. */
export function dayNumber(date: string): number {
  const m = DATE.exec(date);
  if (!m) throw new StrongroomError('USAGE', `not a date (YYYY-MM-DD): "${date}"`);
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(t).toISOString().slice(0, 10) !== date) throw new StrongroomError('USAGE', `not a calendar date: "${date}"`);
  return t / DAY_MS;
}

export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

export function weekdayOf(day: number): Weekday {
  // 1970-01-01 was a Thursday.
  return WEEKDAYS[(((day + 4) % 7) + 7) % 7]!;
}

function isoMinute(day: number, minutes: number): string {
  return new Date(day * DAY_MS + minutes * 60_000).toISOString().replace('.000Z', 'Z');
}

/** The deposits of one TLD whose watermark falls on `date`, FULL before DIFF before thin. */
export function jobsOnDay(tld: string, date: string, schedule: DepositSchedule): PlannedJob[] {
  const day = dayNumber(date);
  const weekday = weekdayOf(day);
  const wm = minutesOf(schedule.watermarkTime, 'schedule.watermarkTime');
  const dl = minutesOf(schedule.deadlineTime, 'schedule.deadlineTime');
  const jobs: PlannedJob[] = [];
  const add = (type: ScheduledType, deadline: Date) => {
    const watermark = isoMinute(day, wm);
    jobs.push({ key: `${tld}_${date}_${type}`, tld, type, date, watermark, due: new Date(watermark), deadline });
  };
  if (schedule.full.includes(weekday)) add('full', new Date(isoMinute(day, dl)));
  else if (schedule.diff.includes(weekday)) add('diff', new Date(isoMinute(day, dl)));
  // Spec 4 §3.1: BRDA data as of 00:00 UTC the day before the designated day, ready by
  // 00:00 UTC of the designated day; so the job's watermark day is the day before.
  if (schedule.thin !== null && weekdayOf(day + 1) === schedule.thin) {
    jobs.push({
      key: `${tld}_${date}_thin`,
      tld,
      type: 'thin',
      date,
      watermark: isoMinute(day, 0),
      due: new Date(isoMinute(day, 0)),
      deadline: new Date(isoMinute(day + 1, 0)),
    });
  }
  return jobs;
}

/**
 * Every job of a TLD with a watermark in [fromDate, the day of `until`], in watermark order,
 * that is already due at `until` (missed days are caught up in order).
 */
export function dueJobs(tld: string, schedule: DepositSchedule, fromDate: string, until: Date): PlannedJob[] {
  const first = dayNumber(fromDate);
  const last = Math.floor(until.getTime() / DAY_MS);
  const jobs: PlannedJob[] = [];
  for (let day = first; day <= last; day++) {
    for (const job of jobsOnDay(tld, dateOfDay(day), schedule)) if (job.due.getTime() <= until.getTime()) jobs.push(job);
  }
  return jobs;
}

/** The next job of a TLD due strictly after `after`. */
export function nextJob(tld: string, schedule: DepositSchedule, after: Date): PlannedJob {
  const start = Math.floor(after.getTime() / DAY_MS);
  for (let day = start; day <= start + 8; day++) {
    for (const job of jobsOnDay(tld, dateOfDay(day), schedule)) if (job.due.getTime() > after.getTime()) return job;
  }
  // validateSchedule guarantees a FULL weekday, so a job exists within eight days.
  throw new StrongroomError('INTERNAL', `no deposit scheduled for ${tld} in the week after ${after.toISOString()}`);
}

/** The most recent day (≤ the day of `at`) with a FULL deposit: where a catch-up must start. */
export function lastFullDate(schedule: DepositSchedule, at: Date): string {
  const today = Math.floor(at.getTime() / DAY_MS);
  for (let day = today; day > today - 8; day--) if (schedule.full.includes(weekdayOf(day))) return dateOfDay(day);
  throw new StrongroomError('INTERNAL', 'schedule without a FULL weekday');
}
