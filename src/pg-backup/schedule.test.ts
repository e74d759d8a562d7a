import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import { tempDir } from '../ryde/testing/fixtures.js';
import { jobStatuses, lastExpire, previousRun, recordExpire } from './schedule.js';

test('previousRun: the latest firing at or before now, for every schedule form', () => {
  const now = new Date('2026-11-21T12:34:56Z'); // a Saturday
  assert.equal(previousRun('daily 02:00', now).toISOString(), '2026-11-21T02:00:00.000Z');
  assert.equal(previousRun('daily 13:00', now).toISOString(), '2026-11-20T13:00:00.000Z');
  assert.equal(previousRun('weekly sun 04:00', now).toISOString(), '2026-11-15T04:00:00.000Z');
  assert.equal(previousRun('weekly sat 12:34', now).toISOString(), '2026-11-21T12:34:00.000Z');
  assert.equal(previousRun('monthly 28 03:30', now).toISOString(), '2026-10-28T03:30:00.000Z');
  assert.equal(previousRun('monthly 1 00:00', now).toISOString(), '2026-11-01T00:00:00.000Z');
  assert.equal(previousRun('hourly :15', now).toISOString(), '2026-11-21T12:15:00.000Z');
  assert.equal(previousRun('hourly', now).toISOString(), '2026-11-21T12:00:00.000Z');
  // A firing exactly now counts as fired.
  assert.equal(previousRun('daily 12:00', new Date('2026-11-21T12:00:00Z')).toISOString(), '2026-11-21T12:00:00.000Z');
});

test('jobStatuses: due when the schedule fired after the job was last done; run order full, logical, expire, drill', () => {
  const now = new Date('2026-11-22T05:00:00Z'); // Sunday
  const statuses = jobStatuses(
    { full: 'weekly sun 02:00', logical: 'daily 03:00', drill: 'weekly sun 04:00', expire: 'daily 01:00' },
    {
      full: new Date('2026-11-15T02:00:07Z'), // last week's: due again
      logical: new Date('2026-11-22T03:00:05Z'), // taken after today's firing: not due
      drill: null, // never: due
      expire: new Date('2026-11-22T01:00:00Z'), // exactly at the firing: done
    },
    now,
  );
  assert.deepEqual(
    statuses.map((s) => [s.job, s.due, s.previous, s.next]),
    [
      ['full', true, '2026-11-22T02:00:00.000Z', '2026-11-29T02:00:00.000Z'],
      ['logical', false, '2026-11-22T03:00:00.000Z', '2026-11-23T03:00:00.000Z'],
      ['expire', false, '2026-11-22T01:00:00.000Z', '2026-11-23T01:00:00.000Z'],
      ['drill', true, '2026-11-22T04:00:00.000Z', '2026-11-29T04:00:00.000Z'],
    ],
  );
  assert.equal(statuses[0]!.command, 'pg backup');
  // Jobs without a schedule are not listed; downtime over several firings gives one due run.
  const later = jobStatuses({ full: 'daily 02:00' }, { full: new Date('2026-11-01T02:00:00Z') }, now);
  assert.deepEqual(later.map((s) => [s.job, s.due]), [['full', true]]);
});

test('the expire record: written atomically, read back, damage reported', async (t) => {
  const dir = tempDir(t, 'sr-pg-state-');
  const state = join(dir, 'pg-reg1');
  assert.equal(await lastExpire(state), null);
  await recordExpire(state, new Date('2026-11-21T05:00:00Z'));
  assert.equal((await lastExpire(state))?.toISOString(), '2026-11-21T05:00:00.000Z');
  assert.deepEqual(await readdir(state), ['expire.json']);
  await mkdir(state, { recursive: true });
  await writeFile(join(state, 'expire.json'), '{"lastRun": "yesterday-ish"}');
  await assert.rejects(lastExpire(state), (err) => isStrongroomError(err, 'PG_STATE_UNREADABLE'));
});
