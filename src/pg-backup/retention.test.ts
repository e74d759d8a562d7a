import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import { loadPgBackupConfig, nextRun, parsePgBackupConfig } from './config.js';
import { decideRetention } from './retention.js';

/** One backup a day at 02:00 for `days` days up to 2026-11-21, plus extra hourly ones on the last day. */
function daily(days: number): Array<{ id: string; kind: 'base'; finishedAt: string }> {
  const out = [];
  for (let i = days - 1; i >= 0; i--) {
    const at = new Date(Date.UTC(2026, 10, 21 - i, 2, 0, 0));
    out.push({ id: at.toISOString(), kind: 'base' as const, finishedAt: at.toISOString() });
  }
  return out;
}

const NOW = new Date('2026-11-21T12:00:00Z');
const kept = (decisions: ReturnType<typeof decideRetention>): string[] => decisions.filter((d) => d.keep).map((d) => d.finishedAt.slice(0, 10));

test('no rule keeps everything; the newest is always kept', () => {
  assert.equal(kept(decideRetention(daily(5), {}, NOW)).length, 5);
  // Nothing within the last hour: the newest (also the base of the window) stays.
  assert.deepEqual(kept(decideRetention(daily(5), { keepWithin: '1h' }, NOW)), ['2026-11-21']);
});

test('keepLast and keepWithin (with the base of the window)', () => {
  assert.deepEqual(kept(decideRetention(daily(10), { keepLast: 3 }, NOW)), ['2026-11-21', '2026-11-20', '2026-11-19']);
  // Within 3 days: 11-19 02:00 is outside (12:00 - 72h = 11-18 12:00 → 11-19 is inside); 11-18 is the window's base.
  assert.deepEqual(kept(decideRetention(daily(10), { keepWithin: '3d' }, NOW)), ['2026-11-21', '2026-11-20', '2026-11-19', '2026-11-18']);
});

test('GFS: daily, weekly (ISO weeks), monthly', () => {
  const backups = daily(70);
  const decisions = decideRetention(backups, { keepDaily: 3, keepWeekly: 3, keepMonthly: 3 }, NOW);
  // Daily: 21, 20, 19. Weekly: newest of ISO weeks 47 (Sat 21st), 46 (Sun 15th), 45 (Sun 8th).
  // Monthly: newest of November (21st), October (31st), September (30th).
  assert.deepEqual(kept(decisions), ['2026-11-21', '2026-11-20', '2026-11-19', '2026-11-15', '2026-11-08', '2026-10-31', '2026-09-30']);
  const reasons = decisions.find((d) => d.finishedAt.startsWith('2026-11-15'))!.reasons;
  assert.deepEqual(reasons, ['weekly 2026-W46']);
});

test('configuration: defaults, relative paths, errors, schedules', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-pg-config-'));
  try {
    const file = join(dir, 'strongroom.yaml');
    await writeFile(file, 'pgBackup:\n  cluster: reg1\n  destination: { kind: directory, path: backups }\n  keys: { signingKey: k.asc, recipients: [r.asc] }\n');
    const { config } = await loadPgBackupConfig(file);
    assert.equal(config.connection.port, 5432);
    assert.equal(config.destination.kind === 'directory' && config.destination.path, join(dir, 'backups'));
    assert.equal(config.keys.signingKey, join(dir, 'k.asc'));
    assert.equal(config.schedules.full, 'daily 02:00');
    assert.throws(
      () => parsePgBackupConfig({ cluster: 'Bad Name', destination: { kind: 'directory', path: '/x' }, keys: {} }, 'x', '/'),
      (err) => isStrongroomError(err, 'CONFIG_INVALID') && /cluster/.test(err.message),
    );
    assert.throws(() => parsePgBackupConfig({ cluster: 'a', destination: { kind: 'directory', path: '/x' }, keys: {}, schedules: { full: 'sometimes' } }, 'x', '/'), /schedules.full/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const after = new Date('2026-11-21T12:34:56Z'); // a Saturday
  assert.equal(nextRun('daily 02:00', after).toISOString(), '2026-11-22T02:00:00.000Z');
  assert.equal(nextRun('daily 13:00', after).toISOString(), '2026-11-21T13:00:00.000Z');
  assert.equal(nextRun('weekly sun 04:00', after).toISOString(), '2026-11-22T04:00:00.000Z');
  assert.equal(nextRun('weekly sat 04:00', after).toISOString(), '2026-11-28T04:00:00.000Z');
  assert.equal(nextRun('monthly 1 03:30', after).toISOString(), '2026-12-01T03:30:00.000Z');
  assert.equal(nextRun('hourly :15', after).toISOString(), '2026-11-21T13:15:00.000Z');
  assert.equal(nextRun('hourly', after).toISOString(), '2026-11-21T13:00:00.000Z');
});
