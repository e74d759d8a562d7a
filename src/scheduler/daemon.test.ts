import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { isStrongroomError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { noProgress } from '../common/progress.js';
import { decodeHeader } from '../testing/smtp.js';
import { agentTakes, finalNames, fullId, puts, registryDay, rigDb, runUntilIdle, SimClock, startRig, RIG_TLD } from '../testing/daemon-rig.js';
import { Daemon, daemonStatus } from './daemon.js';

test('daily FULLs on the embedded registry with changes every day: sealed, delivered to the agent inbox, verified by the agent, reported to ICANN and e-mailed, each step once; a crash between steps resumes; missed days are caught up in order', async (t) => {
  const { db, spec } = await rigDb(t, '2025-01-05T00:00:00Z');
  // The agent's key expires 400 days after today; with a 3,650-day warning window every deposit warns of it.
  const rig = await startRig(t, { db: spec, since: '2025-01-05', agentKeyExpiresIn: 400 * 86_400, keyWarnDays: 3650 });
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
  // Delivery is confirmed in the registry's deposit record, so the journal can be pruned up to it.
  const confirmed = await db.query<{ id: string; delivered: boolean }>(`SELECT id, delivered_at IS NOT NULL AS delivered FROM strongroom.deposit WHERE tld = $1 ORDER BY id`, [RIG_TLD]);
  assert.deepEqual(confirmed.map((r) => r.delivered), days.map(() => true), 'every delivered deposit is confirmed in strongroom.deposit');

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
  // One key.expiring warning per deposit, for the agent's key only (the registry's never expires).
  const warnings = subjects.filter((s) => / expires in \d+ day\(s\)$/.test(s));
  assert.equal(warnings.length, days.length, subjects.join('\n'));
  assert.ok(warnings.every((s) => s.includes('escrow agent encryption key (keys/agent.pub.asc)')), warnings.join('\n'));
  assert.equal(subjects.length, days.length * 2 + 2);

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
