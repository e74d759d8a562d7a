import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../config/load.js';
import { startSshd } from '../testing/sshd.js';
import { requireTool } from '../testing/tools.js';
import { agentTakes, puts, rigDb, SimClock, startRig, RIG_TLD } from '../testing/daemon-rig.js';
import { Daemon } from './daemon.js';

test('delivery over SFTP (OpenSSH, pinned host key): the agent verifies what arrived; a delivery redone after a crash finds the files there with the same SHA-256 and sends nothing; an accepted but unconfirmed report is not sent again', async (t) => {
  const sshd = await startSshd();
  if (!requireTool(t, 'sshd', sshd !== null)) return;
  t.after(() => sshd!.stop());
  const { db, spec } = await rigDb(t, '2025-01-05T00:00:00Z');
  const rig = await startRig(t, { db: spec, since: '2025-01-05', sftp: sshd!, smtp: false });
  const loaded = await loadConfig(rig.configPath);
  const clock = new SimClock(Date.parse('2025-01-05T01:00:00Z'));
  const daemon = await Daemon.open({ loaded, clock, env: rig.env, db, report: { sleep: async () => undefined, backoff: { attempts: 2, initialMs: 1, maxMs: 1 } } });
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

  // Next day ICANN accepts the report but its status endpoint never shows it: recorded as
  // accepted and unconfirmed, not sent again, and the job goes on.
  rig.icann.options.statusLag = 1_000_000;
  clock.set('2025-01-06T01:00:00Z');
  await daemon.tick();
  const day2 = (await daemon.store.getJob(`${RIG_TLD}_2025-01-06_full`))!;
  assert.equal((day2.steps.report!.result as { confirmed: boolean }).confirmed, false);
  assert.ok(day2.steps.notify, 'the job went on');
  assert.deepEqual([...puts(rig).values()], [1, 1], 'each report PUT once');

  const agent = await agentTakes(t, rig);
  assert.deepEqual(agent.received, [`${key}_R0`, `${RIG_TLD}_2025-01-06_full_R0`]);
  for (const v of agent.verified) assert.equal(v.status, 'PASS', v.findings.join(', '));
});
