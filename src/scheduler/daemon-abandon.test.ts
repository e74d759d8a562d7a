import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { loadConfig } from '../config/load.js';
import { decodeHeader } from '../testing/smtp.js';
import { fullId, registryDay, rigDb, runUntilIdle, SimClock, startRig, RIG_TLD } from '../testing/daemon-rig.js';
import { Daemon, daemonStatus } from './daemon.js';

test('a missed FULL whose watermark cannot be honoured any more is abandoned and announced once, the DIFFs after it too (chain broken) until the next FULL; resend makes R1 and reopens abandoned jobs', async (t) => {
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

  // A week of DIFFs with changes every day; then down over Sunday the 12th while the registry
  // changed: that FULL cannot be written any more, and the DIFF after it has no chain to follow.
  for (const day of ['2025-01-05', '2025-01-06', '2025-01-07', '2025-01-08', '2025-01-09', '2025-01-10', '2025-01-11']) {
    if (day !== '2025-01-05') {
      clock.set(`${day}T01:00:00Z`);
      await runUntilIdle(daemon, clock, Date.parse(`${day}T11:00:00Z`));
    }
    await registryDay(db, day, 2);
  }
  await registryDay(db, '2025-01-12', 2);
  clock.set('2025-01-13T01:00:00Z');
  await runUntilIdle(daemon, clock, Date.parse('2025-01-13T23:00:00Z'));
  const full = (await daemon.store.getJob(`${RIG_TLD}_2025-01-12_full`))!;
  assert.equal(full.abandoned?.code, 'DEPOSIT_WATERMARK_UNHONOURABLE');
  assert.equal((await daemon.store.getJob(`${RIG_TLD}_2025-01-13_diff`))!.abandoned?.code, 'SCHEDULER_CHAIN_BROKEN');
  const diffs = (await daemon.store.listJobs(RIG_TLD)).filter((r) => r.type === 'diff' && r.date < '2025-01-12');
  assert.equal(diffs.length, 6);
  for (const d of diffs) assert.ok(d.steps.notify, `${d.key} done`);
  const [status] = await daemonStatus(loaded, clock.now(), undefined, rig.env);
  const pending = status!.tlds[0]!.pending;
  assert.deepEqual(pending.map((p) => [p.key, p.abandoned]), [[`${RIG_TLD}_2025-01-12_full`, true], [`${RIG_TLD}_2025-01-13_diff`, true]]);
  assert.ok(status!.tlds[0]!.lagSeconds > 0, 'lag against the missed deadline');
  await daemon.tick();
  assert.equal((await daemon.store.listJobs(RIG_TLD)).filter((r) => r.abandoned).length, 2, 'abandoned jobs are not tried again');

  // Each failure announced once by e-mail (deposit.failed), the FULL also as overdue.
  const subjects = (await rig.smtp!.messages()).map((m) => decodeHeader(m.headers.subject ?? ''));
  assert.equal(subjects.filter((s) => / FAILED at /.test(s)).length, 2, subjects.join('\n'));
  assert.ok(subjects.some((s) => s.includes(`FULL deposit ${fullId('2025-01-12')} R0 FAILED at stage (DEPOSIT_WATERMARK_UNHONOURABLE)`)), subjects.join('\n'));

  // resend reopens an abandoned job; it never produced a deposit, so it keeps R0.
  const reopened = await daemon.resend(`${RIG_TLD}_2025-01-12_full`);
  assert.equal(reopened.resend, 0);
  assert.equal(reopened.abandoned, undefined);
});
