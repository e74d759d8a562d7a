import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { isStrongroomError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { noProgress } from '../common/progress.js';
import { decodeHeader } from '../testing/smtp.js';
import { startSshd } from '../testing/sshd.js';
import { requireTool } from '../testing/tools.js';
import { agentTakes, finalNames, registryDay, rigDb, startRig, RIG_TLD, type DaemonRig } from '../testing/daemon-rig.js';
import { depositId } from '../deposit/naming.js';
import { Daemon, daemonStatus } from './daemon.js';
import type { Clock } from './runner.js';

const fullId = (day: string): string => depositId(`${day}T00:00:00Z`, 'FULL');

/** A simulated clock: sleeping moves time forward at once. */
class SimClock implements Clock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string | Date): void {
    this.t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
  }
}

function puts(rig: DaemonRig): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of rig.icann.log) if (entry.method === 'PUT') out.set(entry.path, (out.get(entry.path) ?? 0) + 1);
  return out;
}

/** Tick, then follow the daemon's own wake-ups (retries, cooldowns) until nothing is pending before `until`. */
async function runUntilIdle(daemon: Daemon, clock: SimClock, until: number): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const ticks = await daemon.tick();
    if (ticks.every((t) => t.summary.pending === 0)) return;
    const wake = await daemon.nextWake();
    if (wake.getTime() > until) return;
    clock.set(wake);
  }
  assert.fail('the daemon did not settle');
}

test('daily FULLs on the embedded registry: sealed, delivered to the agent inbox, verified by the agent, reported to ICANN and e-mailed, each step once; a crash between steps resumes; missed days are caught up in order', async (t) => {
  const { db, spec } = await rigDb(t, '2025-01-05T00:00:00Z');
  const rig = await startRig(t, { db: spec, since: '2025-01-05' });
  const loaded = await loadConfig(rig.configPath);
  const clock = new SimClock(Date.parse('2025-01-05T01:00:00Z'));
  const open = (progress: Progress = noProgress) => Daemon.open({ loaded, clock, env: rig.env, db, progress });

  // Day 1 runs whole. Day 2 "crashes" after seal (the process stops between two steps) and a
  // new daemon resumes it at deliver.
  let daemon = await open();
  await daemon.tick();
  await registryDay(db, '2025-01-05');
  await daemon.close();

  clock.set('2025-01-06T01:00:00Z');
  const crash = new AbortController();
  const crashing: Progress = { ...noProgress, note: (text: string) => (text.endsWith(': seal done') ? crash.abort() : undefined) };
  daemon = await open(crashing);
  await assert.rejects(open(), (err) => isStrongroomError(err, 'SCHEDULER_LOCKED'), 'a second daemon of the registry is refused');
  await daemon.tick(crash.signal);
  await daemon.close();
  const halfway = (await daemon.store.getJob(`${RIG_TLD}_2025-01-06_full`))!;
  assert.deepEqual(Object.keys(halfway.steps), ['stage', 'seal']);
  assert.deepEqual(await readdir(rig.inbox), ['example_2025-01-05_full_S1_R0.ryde', 'example_2025-01-05_full_S1_R0.sig'], 'day 2 not delivered before the crash');
  daemon = await open();
  await daemon.tick();
  await registryDay(db, '2025-01-06');

  // Down from day 2 until day 5 (nothing changes meanwhile): days 3, 4, 5 in order, each after
  // the escrow agent's 2 h cooldown.
  clock.set('2025-01-09T01:00:00Z');
  await runUntilIdle(daemon, clock, Date.parse('2025-01-09T23:00:00Z'));
  await daemon.close();

  const days = ['2025-01-05', '2025-01-06', '2025-01-07', '2025-01-08', '2025-01-09'];
  const records = await daemon.store.listJobs(RIG_TLD);
  assert.deepEqual(records.map((r) => r.key), days.map((d) => `${RIG_TLD}_${d}_full`));
  for (const r of records) assert.deepEqual(Object.keys(r.steps), ['stage', 'seal', 'deliver', 'report', 'notify'], `${r.key} complete`);
  const delivered = records.map((r) => Date.parse(r.steps.deliver!.at));
  for (let i = 3; i < delivered.length; i++) assert.ok(delivered[i]! - delivered[i - 1]! >= 2 * 3_600_000, 'caught-up deliveries respect the 2 h cooldown');
  assert.deepEqual(delivered, [...delivered].sort((a, b) => a - b), 'in watermark order');
  assert.equal((records[1]!.steps.stage!.result as { reused: boolean }).reused, false);

  // Each deposit was reported exactly once, with its counts.
  const reportPuts = puts(rig);
  assert.equal(reportPuts.size, days.length);
  for (const [path, n] of reportPuts) assert.equal(n, 1, `${path} PUT once`);
  for (const day of days) assert.ok(rig.icann.reports.has(`${RIG_TLD}/${fullId(day)}`), `report of ${day}`);

  // One e-mail per deposit, saying which; the two caught up after their deadline were announced overdue once.
  const subjects = (await rig.smtp!.messages()).map((m) => decodeHeader(m.headers.subject ?? ''));
  assert.deepEqual(
    subjects.filter((s) => s.endsWith(' succeeded')),
    days.map((day) => `[strongroom] ${RIG_TLD}: FULL deposit ${fullId(day)} R0 succeeded`),
  );
  assert.deepEqual(
    subjects.filter((s) => s.includes('OVERDUE')).map((s) => s.split(' ')[4]),
    [fullId('2025-01-07'), fullId('2025-01-08')],
  );
  assert.equal(subjects.length, days.length + 2);

  // The agent takes every deposit and verifies it: signatures, decryption, schema, counts.
  const agent = await agentTakes(t, rig);
  assert.deepEqual(agent.received, days.map((d) => `${RIG_TLD}_${d}_full_R0`));
  for (const v of agent.verified) assert.equal(v.status, 'PASS', `${v.key}: ${v.findings.join(', ')}`);
  const sealed = await finalNames(rig.state);
  assert.ok(sealed.every((p) => /\.(ryde|sig)$/.test(p)) && sealed.length === days.length * 4, 'staging + outbox hold .ryde/.sig only');

  const [status] = await daemonStatus(loaded, clock.now(), undefined, rig.env);
  assert.equal(status!.tlds[0]!.lastComplete!.key, `${RIG_TLD}_2025-01-09_full`);
  assert.equal(status!.tlds[0]!.next.key, `${RIG_TLD}_2025-01-10_full`);
  assert.equal(status!.tlds[0]!.lagSeconds, 0);
});

test('Spec 2 calendar before DIFFs exist: the FULL goes out and resends as R1, DIFF days are refused (never faked) and announced, a missed FULL whose watermark cannot be honoured is abandoned', async (t) => {
  const { db, spec } = await rigDb(t, '2025-01-05T00:00:00Z');
  const rig = await startRig(t, { db: spec, since: '2025-01-05', schedule: 'spec2' });
  const loaded = await loadConfig(rig.configPath);
  const clock = new SimClock(Date.parse('2025-01-05T01:00:00Z'));
  const daemon = await Daemon.open({ loaded, clock, env: rig.env, db });
  t.after(() => daemon.close());
  await daemon.tick();

  // A resend: R1 through every step again, into the inbox after the agent's cooldown.
  const again = await daemon.resend(`${RIG_TLD}_2025-01-05_full`);
  assert.equal(again.resend, 1);
  clock.set('2025-01-05T01:30:00Z');
  await runUntilIdle(daemon, clock, Date.parse('2025-01-05T06:00:00Z'));
  const r1 = (await daemon.store.getJob(`${RIG_TLD}_2025-01-05_full`))!;
  assert.equal(r1.resend, 1);
  assert.ok(Date.parse(r1.steps.deliver!.at) >= Date.parse('2025-01-05T03:00:00Z'), 'R1 waited for the cooldown');
  assert.deepEqual((await readdir(rig.inbox)).sort(), ['example_2025-01-05_full_S1_R0.ryde', 'example_2025-01-05_full_S1_R0.sig', 'example_2025-01-05_full_S1_R1.ryde', 'example_2025-01-05_full_S1_R1.sig']);
  assert.equal(rig.icann.reports.get(`${RIG_TLD}/${fullId('2025-01-05')}`)!.resend, 1, 'the report of R1 replaced R0\'s');
  await registryDay(db, '2025-01-05');

  clock.set('2025-01-06T01:00:00Z');
  const monday = await daemon.tick();
  assert.equal(monday[0]!.summary.abandoned, 1);
  const diff = (await daemon.store.getJob(`${RIG_TLD}_2025-01-06_diff`))!;
  assert.equal(diff.abandoned?.code, 'SCHEDULER_TYPE_UNAVAILABLE');
  assert.deepEqual(diff.steps, {}, 'nothing staged for a DIFF');
  clock.set('2025-01-07T01:00:00Z');
  await daemon.tick();
  assert.equal((await daemon.store.getJob(`${RIG_TLD}_2025-01-07_diff`))!.abandoned?.code, 'SCHEDULER_CHAIN_BROKEN');

  // Down over Sunday; the registry changed after that FULL's watermark: it cannot be written any more.
  await registryDay(db, '2025-01-12');
  clock.set('2025-01-13T01:00:00Z');
  await daemon.tick();
  const full = (await daemon.store.getJob(`${RIG_TLD}_2025-01-12_full`))!;
  assert.equal(full.abandoned?.code, 'DEPOSIT_WATERMARK_UNHONOURABLE');
  const [status] = await daemonStatus(loaded, clock.now(), undefined, rig.env);
  const pending = status!.tlds[0]!.pending;
  assert.equal(pending.length, 8, 'six DIFFs, the FULL of the 12th and the DIFF of the 13th');
  assert.ok(pending.every((p) => p.abandoned), 'nothing left hanging: every missed job is settled as abandoned');
  assert.ok(status!.tlds[0]!.lagSeconds > 0, 'lag against the missed deadlines');
  await daemon.tick();
  assert.equal((await daemon.store.listJobs(RIG_TLD)).filter((r) => r.abandoned).length, 8, 'abandoned jobs are not tried again');

  // Each failure was announced once by e-mail (deposit.failed), and only the FULL was reported.
  const subjects = (await rig.smtp!.messages()).map((m) => decodeHeader(m.headers.subject ?? ''));
  assert.equal(subjects.filter((s) => / FAILED at /.test(s)).length, 8, subjects.join('\n'));
  assert.ok(subjects.some((s) => s.includes(`DIFF deposit ${depositId('2025-01-06T00:00:00Z', 'DIFF')} R0 FAILED at stage (SCHEDULER_TYPE_UNAVAILABLE)`)), subjects.join('\n'));
  assert.deepEqual([...puts(rig)], [[`/report/registry-escrow-report/${RIG_TLD}/${fullId('2025-01-05')}`, 2]]);

  // resend reopens an abandoned job; it never produced a deposit, so it keeps R0.
  const reopened = await daemon.resend(`${RIG_TLD}_2025-01-12_full`);
  assert.equal(reopened.resend, 0);
  assert.equal(reopened.abandoned, undefined);
});

test('delivery over SFTP (OpenSSH, pinned host key): the agent verifies what arrived; a delivery redone after a crash finds the files there with the same SHA-256 and sends nothing', async (t) => {
  const sshd = await startSshd();
  if (!requireTool(t, 'sshd', sshd !== null)) return;
  t.after(() => sshd!.stop());
  const { db, spec } = await rigDb(t, '2025-01-05T00:00:00Z');
  const rig = await startRig(t, { db: spec, since: '2025-01-05', sftp: sshd!, smtp: false });
  const loaded = await loadConfig(rig.configPath);
  const clock = new SimClock(Date.parse('2025-01-05T01:00:00Z'));
  const daemon = await Daemon.open({ loaded, clock, env: rig.env, db });
  t.after(() => daemon.close());
  await daemon.tick();
  const key = `${RIG_TLD}_2025-01-05_full`;
  const done = (await daemon.store.getJob(key))!;
  assert.deepEqual((done.steps.deliver!.result as { destinations: unknown }).destinations, [{ destination: 'agent', sent: ['example_2025-01-05_full_S1_R0.ryde', 'example_2025-01-05_full_S1_R0.sig'], present: [] }]);

  // As if the process died after the upload and before recording it: deliver runs again.
  const { deliver: _d, report: _r, notify: _n, ...before } = done.steps;
  await daemon.store.putJob({ ...done, steps: before });
  await daemon.tick();
  const redone = (await daemon.store.getJob(key))!;
  assert.deepEqual((redone.steps.deliver!.result as { destinations: unknown }).destinations, [{ destination: 'agent', sent: [], present: ['example_2025-01-05_full_S1_R0.ryde', 'example_2025-01-05_full_S1_R0.sig'] }]);
  assert.deepEqual([...puts(rig).values()], [1], 'the report step, also redone, asked the status endpoint and did not PUT again');
  assert.match(String((redone.steps.report!.result as { recovered?: string }).recovered), /already lists the report/);

  const agent = await agentTakes(t, rig);
  assert.deepEqual(agent.received, [`${key}_R0`]);
  assert.equal(agent.verified[0]!.status, 'PASS', agent.verified[0]!.findings.join(', '));
});
