import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import { loadPgBackupConfig, nextRun, parsePgBackupConfig } from './config.js';
import { MemoryTransport } from '../transports/memory.js';
import { bufferBody } from '../transports/contract-suite.js';
import { BackupArchive, backupId, type BackupManifest } from './archive.js';
import { applyExpire, decideRetention, planExpire } from './retention.js';
import { followChain, parseHistory, segmentName, walFileKind, walNameOfObject, walObjectName } from './wal.js';

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

/**
 * planExpire over an archive (memory transport) with a timeline switch: GFS decides the
 * backups, WAL goes only below the oldest kept base backup's start, and every kept backup's
 * chain — through the switch to the newest segment — is still complete afterwards.
 */
test('expire over backup + WAL chains never breaks a kept backup\'s chain (GFS, timeline switch)', async () => {
  const SEG = 16 << 20;
  // Timeline 1: segments 1..19 and the partial 20; timeline 2 branched off at 0/14000000 (segment 20): 20..40.
  const history = '1\t0/14000000\tno recovery target specified\n';
  const backups: Array<[string, number, number]> = [
    ['2026-11-10T02:00:00Z', 1, 2],
    ['2026-11-17T02:00:00Z', 1, 4],
    ['2026-11-18T02:00:00Z', 1, 10],
    ['2026-11-19T02:00:00Z', 1, 16],
    ['2026-11-20T02:00:00Z', 2, 25],
    ['2026-11-21T02:00:00Z', 2, 35],
  ];
  async function archiveWith(): Promise<{ archive: BackupArchive; transport: MemoryTransport; manifests: BackupManifest[] }> {
    const transport = new MemoryTransport();
    const archive = new BackupArchive(transport, 'reg1');
    const put = (relative: string) => transport.put(archive.name(relative), bufferBody(Buffer.from(relative)));
    for (let n = 1n; n <= 19n; n++) for (const suffix of ['', '.sig']) await put(`${walObjectName(segmentName(1, n, SEG))}${suffix}`);
    for (const suffix of ['', '.sig']) await put(`${walObjectName(`${segmentName(1, 20n, SEG)}.partial`)}${suffix}`);
    for (let n = 20n; n <= 40n; n++) for (const suffix of ['', '.sig']) await put(`${walObjectName(segmentName(2, n, SEG))}${suffix}`);
    for (const suffix of ['', '.sig']) await put(`wal/meta/00000002.history${suffix}`);
    const manifests: BackupManifest[] = [];
    for (const [at, timeline, segment] of backups) {
      const id = backupId(new Date(at));
      for (const object of ['base.tar.pgp', 'base.tar.pgp.sig', 'manifest.json', 'manifest.json.sig']) await put(`base/${id}/${object}`);
      manifests.push({
        id,
        kind: 'base',
        finishedAt: at,
        server: { walSegmentSize: SEG },
        start: { lsn: `0/${(segment * SEG + 0x28).toString(16).toUpperCase()}`, timeline, walFile: segmentName(timeline, BigInt(segment), SEG), time: at },
      } as unknown as BackupManifest);
    }
    return { archive, transport, manifests };
  }
  async function remaining(transport: MemoryTransport): Promise<Set<string>> {
    const out = new Set<string>();
    for await (const info of transport.list('reg1/wal/')) {
      const wal = walNameOfObject(info.name.slice('reg1/'.length));
      if (wal && !info.name.endsWith('.sig') && walFileKind(wal) === 'segment') out.add(wal);
    }
    return out;
  }
  const histories = new Map([[2, parseHistory(history)]]);
  const chainOf = (segments: Set<string>, manifest: BackupManifest) =>
    followChain({ timeline: manifest.start!.timeline, segment: BigInt(parseInt(manifest.start!.walFile.slice(16), 16)) }, 0n, (name) => segments.has(name), new Map([[1, 19n], [2, 40n]]), histories, SEG);

  for (const [policy, keptIds, keepFrom] of [
    [{ keepDaily: 2, keepWeekly: 1 }, ['20261121T020000Z', '20261120T020000Z'], segmentName(2, 25n, SEG)],
    [{ keepDaily: 3, keepWeekly: 2 }, ['20261121T020000Z', '20261120T020000Z', '20261119T020000Z', '20261110T020000Z'], segmentName(1, 2n, SEG)],
  ] as const) {
    const { archive, transport, manifests } = await archiveWith();
    const before = [];
    for await (const info of transport.list('')) before.push(info.name);
    const plan = await planExpire({ archive, backups: manifests, incomplete: [], policy, now: new Date('2026-11-21T12:00:00Z') });
    assert.deepEqual(plan.decisions.filter((d) => d.keep).map((d) => d.id), keptIds);
    assert.equal(plan.wal.keepFrom, keepFrom);
    // Planning (what --dry-run prints) removes nothing.
    const after = [];
    for await (const info of transport.list('')) after.push(info.name);
    assert.deepEqual(after, before);
    // Each removed backup loses its manifest's signature first.
    for (const removed of plan.removeBackups) {
      const own = plan.removeObjects.filter((name) => name.startsWith(`reg1/${removed}/`));
      assert.equal(own[0], `reg1/${removed}/manifest.json.sig`);
      assert.equal(own[1], `reg1/${removed}/manifest.json`);
    }
    await applyExpire(archive, plan);
    const segments = await remaining(transport);
    assert.ok((await transport.stat('reg1/wal/meta/00000002.history')) !== null, 'history files stay');
    for (const manifest of manifests.filter((m) => keptIds.includes(m.id as never))) {
      const chain = chainOf(segments, manifest);
      assert.equal(chain.complete, true, `${manifest.id}: ${chain.missing}`);
      assert.equal(chain.lastSegment, segmentName(2, 40n, SEG));
    }
    // Nothing below the oldest kept start remains, nothing at or above it went.
    const threshold = manifests.filter((m) => keptIds.includes(m.id as never)).reduce((min, m) => Math.min(min, parseInt(m.start!.walFile.slice(16), 16)), Infinity);
    for (const name of segments) assert.ok(parseInt(name.slice(16), 16) >= threshold, name);
    const expected = Math.max(0, 19 - threshold + 1) + (40 - Math.max(20, threshold) + 1);
    assert.equal(segments.size, expected);
    assert.equal(plan.wal.removeSegments, 19 + 21 - expected);
  }
});
