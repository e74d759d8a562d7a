import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadConfig } from '../config/load.js';
import { churnRegistry } from '../generate/churn.js';
import { planChain } from '../rebuild/chain.js';
import { compareDatabases } from '../rebuild/compare.js';
import { rebuildChain } from '../rebuild/rebuild-chain.js';
import { loadUnsealKeys, unsealFiles } from '../ryde/index.js';
import { embeddedTestDb } from '../testing/databases.js';
import { agentTakes, puts, rigDb, runUntilIdle, SimClock, startRig, RIG_TLD } from '../testing/daemon-rig.js';
import { decodeHeader } from '../testing/smtp.js';
import { startSshd } from '../testing/sshd.js';
import { Daemon } from './daemon.js';

test('two weeks on the Spec 2 calendar with BRDA and churn every day: FULLs and DIFFs (and BRDA) sealed, delivered by SFTP, verified by the agent with their chain, reported once each, e-mailed; FULL + DIFFs rebuild a registry equal to the source', async (t) => {
  const { db, spec } = await rigDb(t, '2025-01-05T00:00:00Z');
  // Delivered by SFTP to a real sshd when there is one (the daemon-sftp test says when not).
  const sshd = await startSshd();
  if (sshd) t.after(() => sshd.stop());
  const rig = await startRig(t, { db: spec, since: '2025-01-05', schedule: 'spec2', brda: 'wed', ...(sshd ? { sftp: sshd } : {}) });
  const loaded = await loadConfig(rig.configPath);
  const clock = new SimClock(Date.parse('2025-01-05T01:00:00Z'));
  const daemon = await Daemon.open({ loaded, clock, env: rig.env, db });
  t.after(() => daemon.close());
  const days: string[] = [];
  for (let n = 0; n <= 14; n++) days.push(new Date(Date.parse('2025-01-05T00:00:00Z') + n * 86_400_000).toISOString().slice(0, 10));
  for (const day of days) {
    clock.set(`${day}T01:00:00Z`);
    await runUntilIdle(daemon, clock, Date.parse(`${day}T11:00:00Z`));
    // The registry's business of the day, after the day's deposits (none after the 17th: the
    // chain ending with the DIFF of the 18th then describes the registry as it is at the end).
    if (day < '2025-01-18') await churnRegistry(db, { tld: RIG_TLD, changes: 6, seed: `day-${day}`, at: `${day}T12:00:00Z` });
  }
  const records = await daemon.store.listJobs(RIG_TLD);
  const byType = (type: string) => records.filter((r) => r.type === type).map((r) => r.date);
  assert.deepEqual(byType('full'), ['2025-01-05', '2025-01-12', '2025-01-19']);
  assert.equal(byType('diff').length, 12);
  assert.deepEqual(byType('thin'), ['2025-01-07', '2025-01-14'], 'BRDA: data as of the day before Wednesday');
  for (const r of records) assert.deepEqual(Object.keys(r.steps), ['stage', 'seal', 'deliver', 'report', 'notify'], `${r.key}: ${JSON.stringify(r.lastError)}`);
  const diffs = records.filter((r) => r.type === 'diff');
  for (const r of diffs) {
    const prev = records.filter((p) => p.type !== 'thin' && p.watermark < r.watermark).at(-1)!;
    assert.equal((r.steps.stage!.result as { prevId?: string }).prevId, (prev.steps.stage!.result as { id: string }).id, `${r.key} follows ${prev.key}`);
  }

  // Every FULL and DIFF reported exactly once; BRDA files are not escrow reports.
  const reported = puts(rig);
  assert.equal(reported.size, 15);
  for (const [path, n] of reported) assert.equal(n, 1, path);
  const subjects = (await rig.smtp!.messages()).map((m) => decodeHeader(m.headers.subject ?? ''));
  assert.equal(subjects.filter((s) => s.endsWith(' succeeded')).length, 17, subjects.join('\n'));
  assert.equal(subjects.length, 17, 'nothing failed, nothing late');

  // The agent takes all 17 deposits and verifies each, the DIFFs against their chain.
  const agent = await agentTakes(t, rig, db);
  assert.equal(agent.received.length, 17);
  // FULL, DIFF and BRDA deposits pass every check (thin ones under the BRDA rules: no host
  // objects, EPP parameters or contacts are expected in them).
  for (const v of agent.verified) assert.equal(v.status, 'PASS', `${v.key}: ${v.findings.join(', ')}`);
  assert.equal(agent.verified.filter((v) => v.key.includes('_thin_')).length, 2);

  // The FULL of the 12th and the DIFFs after it, as delivered, rebuild the registry.
  const unsealKeys = await loadUnsealKeys({ profile: 'rfc4880', keyFile: rig.keys.agentSecret, signerFiles: [rig.keys.registryPublic] });
  const outbox = join(rig.state, 'deposits', 'example', 'outbox');
  const chain: string[] = [];
  for (const key of [`${RIG_TLD}_2025-01-12_full`, ...diffs.filter((r) => r.date > '2025-01-12').map((r) => r.key)]) {
    const [opened] = await unsealFiles(['ryde', 'sig'].map((ext) => join(outbox, `${key}_S1_R0.${ext}`)), { outDir: join(rig.dir, 'unsealed'), ...unsealKeys });
    chain.push(opened!.file);
  }
  const target = await embeddedTestDb(t);
  await rebuildChain(target.db, await planChain(chain));
  const comparison = await compareDatabases(db, target.db, { tld: RIG_TLD });
  assert.ok(comparison.equal, JSON.stringify(comparison.differences, null, 2));
  t.diagnostic(`two weeks over ${sshd ? 'SFTP (OpenSSH)' : 'a directory (no sshd here)'}: ${records.length} deposits (3 FULL, 12 DIFF, 2 BRDA), ${chain.length} rebuilt as a chain, ${comparison.objects.domain?.a ?? 0} domains equal; every one verified PASS by the agent`);
});

