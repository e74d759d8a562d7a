/**
 * PostgreSQL backups end to end, against a dedicated tiny cluster (initdb as postgres on a
 * free loopback port, archive_command = our `pg wal-push`): backup → more writes → PITR
 * restore to a moment in between gives exactly that moment's rows; a missing WAL segment is
 * detected; a tampered backup is refused; nothing plaintext reaches the archive; drills,
 * info, logical backups and expire on real backups.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { PG_BIN, STRONGROOM_BIN, testCluster, waitArchived, type TestCluster } from '../../src/pg-backup/testing/cluster.js';
import { serverUser, startServer, freePort, chownTree } from '../../src/pg-backup/server.js';
import pg from 'pg';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

const MARKER = 'PLAINTEXT-MARKER-7f3a9c';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
  }
  return out.sort();
}

/** Switch to a new segment and wait until the one just finished is archived. */
async function switchAndWait(cluster: TestCluster): Promise<string> {
  const [row] = await cluster.query<{ name: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS name');
  await waitArchived(cluster, row!.name);
  return row!.name;
}

async function phases(port: number, host: string): Promise<string[]> {
  const client = new pg.Client({ host, port, user: 'postgres', database: 'registry' });
  await client.connect();
  try {
    return (await client.query<{ phase: string }>('SELECT DISTINCT phase FROM domain ORDER BY phase')).rows.map((r) => r.phase);
  } finally {
    await client.end();
  }
}

/** The state of process `pid` (R, S, D, T, Z…) from /proc, or null when it no longer exists. */
async function procState(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  return stat === null ? null : stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}

/** The processes whose parent is `pid` and that are not zombies, with their command lines. */
async function liveChildren(pid: number): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => null);
    if (stat === null) continue;
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) !== pid || state === 'Z') continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    out.push(`${entry}: ${cmdline.replaceAll('\0', ' ').trim()}`);
  }
  return out;
}

/**
 * The postmaster PID of a drill's temporary server once its lock file is complete (the PID on
 * line 1, the status on line 8: starting, standby or ready), or undefined if there is none yet.
 * Read whole: a lock file being written may be empty or short.
 */
async function runningServer(scratchRoot: string): Promise<number | undefined> {
  for (const entry of await readdir(scratchRoot).catch(() => [] as string[])) {
    const lines = (await readFile(join(scratchRoot, entry, 'data', 'postmaster.pid'), 'utf8').catch(() => '')).split('\n');
    if (/^[1-9]\d*$/.test(lines[0]!) && ['starting', 'standby', 'ready'].includes(lines[7]?.trim() ?? '')) return Number(lines[0]);
  }
  return undefined;
}

/**
 * Starts a drill, waits for its temporary server (however long the restore before it takes: the
 * drill ending first is a failure, not a timeout), freezes the drill (SIGSTOP: it cannot move on,
 * its server runs on its own), checks the server still runs and the drill is not stopping it
 * itself, then sends SIGTERM and lets the drill continue to handle it. Undefined when the drill had
 * already got to stopping its server (it was finishing): the caller tries again.
 */
async function interruptDrill(configFile: string, scratchRoot: string): Promise<{ exited: Promise<NodeJS.Signals | null>; postmaster: number } | undefined> {
  const child = spawn(process.execPath, [STRONGROOM_BIN, 'pg', 'drill', '--quiet', '--config', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  let code: number | null | undefined;
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (c, signal) => {
      code = c;
      resolve(signal);
    }),
  );
  let postmaster: number | undefined;
  while (postmaster === undefined && code === undefined) {
    postmaster = await runningServer(scratchRoot);
    if (postmaster === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(postmaster !== undefined, `the drill ended (status ${code}) before its server ran: ${stderr}`);
  // The drill may end between finding its server and the SIGSTOP (gone, a zombie, or already
  // reaped: kill throws ESRCH): then it was finishing, and the caller tries again.
  try {
    process.kill(child.pid!, 'SIGSTOP');
  } catch {
    await exited;
    return undefined;
  }
  for (let state = await procState(child.pid!); state !== 'T'; state = await procState(child.pid!)) {
    if (state === null || state === 'Z') {
      await exited;
      return undefined;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const stopping = (await liveChildren(child.pid!)).some((c) => / stop$/.test(c));
  const running = (await procState(postmaster)) !== null && (await procState(postmaster)) !== 'Z' && (await runningServer(scratchRoot)) === postmaster;
  if (!running || stopping) {
    process.kill(child.pid!, 'SIGCONT');
    await exited;
    return undefined;
  }
  process.kill(child.pid!, 'SIGTERM');
  process.kill(child.pid!, 'SIGCONT');
  return { exited, postmaster };
}

test('pg backup, WAL archive, PITR restore, gaps, tampering, drill, expire', async (t) => {
  const cluster = await testCluster(t, {});
  if (!cluster) return;
  await cluster.query('CREATE DATABASE registry');
  const db = await cluster.client('registry');
  db.on('error', () => undefined); // the server stops at the end of the test
  t.after(() => db.end().catch(() => undefined));
  await db.query('CREATE TABLE domain (id serial PRIMARY KEY, name text NOT NULL, phase text NOT NULL)');
  await db.query('CREATE TABLE contact (id text PRIMARY KEY, email text)');
  await db.query(`INSERT INTO domain (name, phase) SELECT 'a' || g || '-${MARKER}.example', 'A' FROM generate_series(1, 200) g`);
  await db.query(`INSERT INTO contact VALUES ('c1', '${MARKER}@example.test')`);
  await switchAndWait(cluster);

  // --- base backup
  const backup = cluster.cli(['pg', 'backup', '--json', '--quiet']);
  assert.equal(backup.status, 0, backup.stderr);
  const manifest = backup.json().backup;
  const [sys] = await cluster.query<{ id: string }>('SELECT system_identifier::text AS id FROM pg_control_system()');
  assert.equal(manifest.server.systemIdentifier, sys!.id);
  assert.equal(manifest.server.walSegmentSize, 1 << 20);
  assert.match(manifest.start.lsn, /^[0-9A-F]+\/[0-9A-F]+$/);
  assert.equal(manifest.start.timeline, 1);
  assert.ok(manifest.files.some((f: { path: string }) => f.path === 'PG_VERSION'));
  assert.ok(manifest.files.every((f: { type: string; sha256?: string }) => f.type !== 'file' || /^[0-9a-f]{64}$/.test(f.sha256 ?? '')));
  assert.ok(manifest.databases.some((d: { name: string; objects: Record<string, number> }) => d.name === 'registry' && d.objects.tables === 2));

  // --- more writes, the moment T, more writes
  await db.query(`INSERT INTO domain (name, phase) SELECT 'b' || g || '.example', 'B' FROM generate_series(1, 50) g`);
  // Microseconds: a commit in the same millisecond as T must still fall on the right side.
  const [{ t: targetTime }] = (await db.query<{ t: string }>(`SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS t`)).rows as [{ t: string }];
  await new Promise((resolve) => setTimeout(resolve, 50));
  await db.query(`INSERT INTO domain (name, phase) SELECT 'c' || g || '.example', 'C' FROM generate_series(1, 50) g`);
  await switchAndWait(cluster);
  await db.query(`INSERT INTO domain (name, phase) SELECT 'd' || g || '.example', 'D' FROM generate_series(1, 50) g`);
  await switchAndWait(cluster);

  // --- nothing plaintext in the archive
  for (const file of await filesUnder(cluster.archiveDir)) {
    const data = await readFile(file);
    assert.equal(data.includes(MARKER), false, `${file} holds plaintext`);
  }

  await t.test('info: one base backup, a complete chain, no gaps', () => {
    const info = cluster.cli(['pg', 'info', '--json']);
    assert.equal(info.status, 0, info.stderr + info.stdout);
    const body = info.json();
    assert.equal(body.backups.length, 1);
    assert.equal(body.backups[0].chain.complete, true);
    assert.deepEqual(body.wal.gaps, []);
    assert.ok(body.wal.segments >= 2);
  });

  await t.test('PITR restore to T has exactly the rows of that moment', async () => {
    const to = join(cluster.dir, 'restored');
    const restore = cluster.cli(['pg', 'restore', '--to', to, '--target-time', targetTime, '--json', '--quiet']);
    assert.equal(restore.status, 0, restore.stderr);
    assert.equal(restore.json().backup, manifest.id);
    const port = await freePort();
    const socketDir = join(cluster.dir, 'run-restored');
    await mkdir(socketDir, { mode: 0o700 });
    await chownTree(socketDir, serverUser());
    const server = await startServer({ binDir: PG_BIN, dataDir: to, socketDir, logFile: join(cluster.dir, 'restored.log'), port, user: serverUser(), settings: { archive_mode: 'off' } });
    try {
      // Recovery to the target ends with promotion; wait for it.
      const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'registry' });
      await client.connect();
      for (let i = 0; i < 600; i++) {
        if (!(await client.query('SELECT pg_is_in_recovery() AS r')).rows[0].r) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await client.end();
      assert.deepEqual(await phases(port, '127.0.0.1'), ['A', 'B']);
      const log = await readFile(join(cluster.dir, 'restored.log'), 'utf8');
      assert.match(log, /recovery stopping before commit/);
    } finally {
      await server.stop();
    }
  });

  await t.test('a tampered backup is refused and leaves nothing behind', async () => {
    const object = join(cluster.archiveDir, 'test', 'base', manifest.id, 'base.tar.pgp');
    const saved = `${object}.saved`;
    await copyFile(object, saved);
    const data = await readFile(object);
    const middle = Math.floor(data.length / 2);
    data[middle] = data[middle]! ^ 0x01;
    await writeFile(object, data);
    const to = join(cluster.dir, 'tampered');
    const restore = cluster.cli(['pg', 'restore', '--to', to, '--json', '--quiet']);
    assert.equal(restore.status, 5, restore.stdout);
    assert.equal(restore.json().error.code, 'RYDE_SIGNATURE_BAD');
    await assert.rejects(stat(to));
    assert.deepEqual((await readdir(cluster.dir)).filter((name) => name.includes('strongroom-restore')), []);
    await rename(saved, object);
  });

  await t.test('a missing WAL segment is detected', async () => {
    const walRoot = join(cluster.archiveDir, 'test', 'wal');
    const segments = (await filesUnder(walRoot)).filter((f) => f.endsWith('.pgp'));
    // A segment after the backup's start, not the newest: a hole in the chain.
    const victim = segments.filter((f) => f.split('/').pop()!.slice(0, 24) > manifest.start.walFile).at(-2);
    assert.ok(victim, 'no segment to remove');
    await rename(victim, `${victim}.aside`);
    try {
      const info = cluster.cli(['pg', 'info', '--json']);
      assert.equal(info.status, 1);
      const body = info.json();
      const missing = victim!.split('/').pop()!.slice(0, 24);
      assert.deepEqual(body.wal.gaps, [{ timeline: 1, from: missing, to: missing }]);
      assert.equal(body.backups[0].chain.complete, false);
      assert.equal(body.backups[0].chain.missing, missing);
      const fetch = cluster.cli(['pg', 'wal-fetch', missing, join(cluster.dir, 'fetched'), '--json']);
      assert.equal(fetch.status, 7);
      assert.equal(fetch.json().error.code, 'PG_WAL_NOT_FOUND');
      // A segment that is there but does not verify must abort recovery (126), not end it (1-125).
      const other = segments.find((f) => f !== victim)!;
      const original = await readFile(other);
      const damaged = Buffer.from(original);
      damaged[damaged.length - 10] = damaged[damaged.length - 10]! ^ 0x01;
      await writeFile(other, damaged);
      const bad = cluster.cli(['pg', 'wal-fetch', other.split('/').pop()!.slice(0, 24), join(cluster.dir, 'fetched'), '--json']);
      await writeFile(other, original);
      assert.equal(bad.status, 126);
      assert.equal(bad.json().error.code, 'RYDE_SIGNATURE_BAD');
      await assert.rejects(stat(join(cluster.dir, 'fetched')));
    } finally {
      await rename(`${victim}.aside`, victim);
    }
  });

  await t.test('drill: restore, pg_verifybackup, temporary server, counts, every table, RTO', () => {
    const drill = cluster.cli(['pg', 'drill', '--json', '--quiet']);
    assert.equal(drill.status, 0, drill.stderr + drill.stdout);
    const report = drill.json();
    assert.equal(report.ok, true, JSON.stringify(report.findings));
    assert.equal(report.verifybackup, 'passed');
    assert.ok(report.tables.checked >= 2);
    // Replaying the archive brings phases B, C and D back: 200 + 3 × 50 domains, 1 contact.
    assert.ok(report.tables.rows >= 351, String(report.tables.rows));
    assert.ok(report.rtoSeconds > 0);
    assert.ok(report.restored.walSegments >= 1);
    const info = cluster.cli(['pg', 'info', '--json']).json();
    assert.equal(info.lastDrill.id, report.id);
    assert.equal(info.lastDrill.ok, true);
    // The drill counts as done for its schedule (weekly sun 04:00): not due.
    assert.deepEqual(info.schedules.map((s: { job: string; due: boolean }) => [s.job, s.due]), [['full', false], ['drill', false]]);
  });

  await t.test('a drill killed by SIGTERM stops its server and removes its plaintext scratch cluster', async () => {
    // No timing assumption: the kill is sent only once the drill's server has written its whole
    // lock file, and with the drill frozen (SIGSTOP) after a check that the server still runs and
    // the drill is not stopping it itself, so the SIGTERM always lands while the server runs.
    const scratchRoot = join(cluster.dir, 'scratch');
    let interrupted: { exited: Promise<NodeJS.Signals | null>; postmaster: number } | undefined;
    for (let attempt = 1; attempt <= 3 && !interrupted; attempt++) interrupted = await interruptDrill(cluster.configFile, scratchRoot);
    assert.ok(interrupted, 'three drills in a row ended their server before they could be interrupted');
    const { exited, postmaster } = interrupted;
    assert.equal(await exited, 'SIGTERM');
    assert.deepEqual(await readdir(scratchRoot), []);
    // The server is stopped: pg_ctl stop -w (the drill's exit hook) returned only once the
    // postmaster had reaped all its processes and removed its lock file, so none of its
    // processes may be left; the postmaster itself is at most finishing its exit (a zombie
    // counts as gone: it runs nothing and only waits for its parent, here init, to reap it).
    assert.deepEqual(await liveChildren(postmaster), [], 'server processes left after the drill was killed');
    for (const deadline = Date.now() + 10_000; (await procState(postmaster)) !== null && (await procState(postmaster)) !== 'Z' && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const state = await procState(postmaster);
    assert.ok(state === null || state === 'Z', `the drill's postmaster ${postmaster} still runs (state ${state})`);
  });

  await t.test('schedules: run-due runs what fired since it was last done, once; ticks never overlap', async () => {
    const config = parseYaml(await readFile(cluster.configFile, 'utf8'));
    config.pgBackup.schedules.logical = 'hourly';
    await writeFile(cluster.configFile, stringifyYaml(config));
    const status = cluster.cli(['pg', 'schedule', '--json']);
    assert.equal(status.status, 0, status.stderr);
    const jobs = new Map(status.json().jobs.map((j: { job: string }) => [j.job, j]));
    assert.equal((jobs.get('logical') as { due: boolean; lastDone: string | null }).due, true);
    assert.equal((jobs.get('logical') as { lastDone: string | null }).lastDone, null);
    assert.equal((jobs.get('drill') as { lastDone: string | null }).lastDone !== null, true, 'the drill above is the last done');
    // A tick already running holds the lock: a second one is refused.
    const stateDir = join(cluster.dir, '.strongroom-state', 'pg-test');
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, 'daemon.lock'), JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
    const locked = cluster.cli(['pg', 'run-due', '--json', '--quiet']);
    assert.equal(locked.json().error.code, 'SCHEDULER_LOCKED');
    await rm(join(stateDir, 'daemon.lock'));
    const tick = cluster.cli(['pg', 'run-due', '--json', '--quiet']);
    assert.equal(tick.status, 0, tick.stderr + tick.stdout);
    const ran = tick.json().ran as Array<{ job: string; ok: boolean; result: { id: string; kind: string } }>;
    const logicalRun = ran.find((r) => r.job === 'logical');
    assert.equal(logicalRun?.ok, true, JSON.stringify(ran));
    assert.equal(logicalRun!.result.kind, 'logical');
    const again = cluster.cli(['pg', 'run-due', '--json', '--quiet']);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(again.json().ran.filter((r: { job: string }) => r.job === 'logical'), []);
    const after = new Map(cluster.cli(['pg', 'schedule', '--json']).json().jobs.map((j: { job: string }) => [j.job, j]));
    assert.equal((after.get('logical') as { due: boolean }).due, false);
  });

  await t.test('logical backup (pg_dumpall) is sealed and restores to the dump (file or stdout)', async () => {
    const info = cluster.cli(['pg', 'info', '--json']);
    const logicals = info.json().backups.filter((b: { kind: string }) => b.kind === 'logical');
    assert.equal(logicals.length, 1, 'run-due took one logical backup');
    const m = logicals[0];
    const file = join(cluster.dir, 'dump.sql');
    const restored = cluster.cli(['pg', 'restore', '--logical', '--to', file, '--json', '--quiet']);
    assert.equal(restored.status, 0, restored.stderr);
    assert.equal(restored.json().backup, m.id);
    const sql = await readFile(file, 'utf8');
    assert.match(sql, /CREATE TABLE public\.domain/);
    assert.ok(sql.includes(MARKER));
    assert.equal(restored.json().bytes, m.plaintextSize);
    const again = cluster.cli(['pg', 'restore', '--logical', '--to', file, '--json', '--quiet']);
    assert.equal(again.status, 8);
    const piped = cluster.cli(['pg', 'restore', '--logical', '--to', '-', '--quiet']);
    assert.equal(piped.status, 0, piped.stderr);
    assert.equal(piped.stdout, sql);
  });

  await t.test('expire: keepLast 1 keeps the newest base backup and its chain', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // backup IDs have a one-second resolution
    const second = cluster.cli(['pg', 'backup', '--json', '--quiet']);
    assert.equal(second.status, 0, second.stderr);
    const secondId = second.json().backup.id;
    // A write and a switch after the backup: its .backup history file is archived before that segment.
    await db.query(`INSERT INTO domain (name, phase) VALUES ('e.example', 'E')`);
    await switchAndWait(cluster);
    const config = await readFile(cluster.configFile, 'utf8');
    await writeFile(cluster.configFile, config.replace('retention: {}', 'retention:\n    keepLast: 1'));
    const before = await filesUnder(cluster.archiveDir);
    const dry = cluster.cli(['pg', 'expire', '--dry-run', '--json']);
    assert.equal(dry.status, 0, dry.stderr);
    const plan = dry.json();
    assert.deepEqual(plan.removeBackups, [`base/${manifest.id}`]);
    assert.ok(plan.wal.removeSegments > 0);
    assert.deepEqual(await filesUnder(cluster.archiveDir), before);
    const real = cluster.cli(['pg', 'expire', '--json']);
    assert.equal(real.status, 0, real.stderr);
    const info = cluster.cli(['pg', 'info', '--json']);
    assert.equal(info.status, 0, info.stdout);
    const body = info.json();
    assert.deepEqual(body.backups.filter((b: { kind: string }) => b.kind === 'base').map((b: { id: string }) => b.id), [secondId]);
    assert.equal(body.backups[0].chain.complete, true);
    assert.deepEqual(body.wal.gaps, []);
  });
});
