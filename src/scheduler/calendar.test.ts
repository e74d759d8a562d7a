import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SPEC2_SCHEDULE, dueJobs, jobsOnDay, lastFullDate, nextJob, validateSchedule, weekdayOf, dayNumber, type DepositSchedule } from './calendar.js';
import { isStrongroomError } from '../common/errors.js';

test('Spec 2: FULL on Sunday, DIFF on the other days, watermark 00:00Z, deadline 23:59Z', () => {
  // 2026-11-22 is a Sunday.
  assert.equal(weekdayOf(dayNumber('2026-11-22')), 'sun');
  const sunday = jobsOnDay('example', '2026-11-22', SPEC2_SCHEDULE);
  assert.deepEqual(
    sunday.map((j) => [j.key, j.watermark, j.deadline.toISOString()]),
    [['example_2026-11-22_full', '2026-11-22T00:00:00Z', '2026-11-22T23:59:00.000Z']],
  );
  const week = ['2026-11-23', '2026-11-24', '2026-11-25', '2026-11-26', '2026-11-27', '2026-11-28'].flatMap((d) => jobsOnDay('example', d, SPEC2_SCHEDULE));
  assert.deepEqual(week.map((j) => j.type), ['diff', 'diff', 'diff', 'diff', 'diff', 'diff']);
});

test('BRDA: the watermark is 00:00Z the day before the designated day, ready by 00:00Z of it', () => {
  const schedule: DepositSchedule = { ...SPEC2_SCHEDULE, thin: 'tue' };
  const monday = jobsOnDay('example', '2026-11-23', schedule);
  assert.deepEqual(monday.map((j) => j.type), ['diff', 'thin']);
  const thin = monday[1]!;
  assert.equal(thin.key, 'example_2026-11-23_thin');
  assert.equal(thin.watermark, '2026-11-23T00:00:00Z');
  assert.equal(thin.deadline.toISOString(), '2026-11-24T00:00:00.000Z');
  assert.deepEqual(jobsOnDay('example', '2026-11-24', schedule).map((j) => j.type), ['diff']);
});

test('a registry calendar: daily FULL at 02:30Z', () => {
  const daily: DepositSchedule = { full: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], diff: [], thin: null, watermarkTime: '02:30', deadlineTime: '20:00' };
  const jobs = dueJobs('example', daily, '2026-11-20', new Date('2026-11-22T02:29:59Z'));
  assert.deepEqual(jobs.map((j) => j.key), ['example_2026-11-20_full', 'example_2026-11-21_full']);
  assert.equal(jobs[0]!.watermark, '2026-11-20T02:30:00Z');
  assert.equal(nextJob('example', daily, new Date('2026-11-22T02:29:59Z')).key, 'example_2026-11-22_full');
});

test('catch-up lists missed days in order; next job and last FULL day', () => {
  const jobs = dueJobs('example', SPEC2_SCHEDULE, '2026-11-15', new Date('2026-11-18T12:00:00Z'));
  assert.deepEqual(jobs.map((j) => j.key), ['example_2026-11-15_full', 'example_2026-11-16_diff', 'example_2026-11-17_diff', 'example_2026-11-18_diff']);
  assert.equal(nextJob('example', SPEC2_SCHEDULE, new Date('2026-11-21T23:59:59Z')).key, 'example_2026-11-22_full');
  assert.equal(nextJob('example', SPEC2_SCHEDULE, new Date('2026-11-22T00:00:00Z')).key, 'example_2026-11-23_diff');
  assert.equal(lastFullDate(SPEC2_SCHEDULE, new Date('2026-11-21T10:00:00Z')), '2026-11-15');
  assert.equal(lastFullDate(SPEC2_SCHEDULE, new Date('2026-11-22T10:00:00Z')), '2026-11-22');
});

test('invalid calendars are refused with the field named', () => {
  const bad: [Partial<DepositSchedule>, RegExp][] = [
    [{ full: [] }, /schedule\.full/],
    [{ full: ['sunday' as never] }, /schedule\.full: unknown weekday "sunday"/],
    [{ watermarkTime: '24:00' }, /schedule\.watermarkTime/],
    [{ deadlineTime: '00:00' }, /deadlineTime 00:00 must be after/],
    [{ thin: 'xx' as never }, /schedule\.thin/],
  ];
  for (const [patch, message] of bad) {
    assert.throws(() => validateSchedule({ ...SPEC2_SCHEDULE, ...patch }), (err) => isStrongroomError(err, 'CONFIG_INVALID') && message.test(err.message));
  }
});
