import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { serverTestDb } from '../../src/testing/databases.js';
import { agentTakes, finalNames, registryDay, rigRegistry, startRig, RIG_TLD, type DaemonRig } from '../../src/testing/daemon-rig.js';
import { CLI } from '../../src/testing/paths.js';
import { runCli } from '../../src/testing/cli.js';
import { loadUnsealKeys, unsealFiles } from '../../src/ryde/index.js';
import { openDecryptor } from '../../src/ryde/encrypt.js';
import { depositId } from '../../src/deposit/naming.js';

/** Kill trials: at least this many SIGKILLs that landed while the daemon was working (issue 7 item 9). */
const MIN_KILLS = 30;

interface Outcome {
  killed: boolean;
  status: number | null;
  ms: number;
  /** When the first step began (ms after spawn), if it did. */
  firstStepMs: number | null;
  stderr: string;
}

/** A line the runner prints as a step begins: `{job}: {step} (R{n})`. */
const STEP_LINE = /_(full|diff|thin): (stage|seal|deliver|report|notify) \(R\d+\)/;

/**
 * Start `daemon --once` as of `now`. With `killAfterMs`, SIGKILL it that long after its first
 * step began (so the kills land in the work, whatever start-up costs on a loaded machine).
 */
function daemonOnce(rig: DaemonRig, now: string, killAfterMs: number | null, spool: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'daemon', '--once', '--config', rig.configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...rig.env, STRONGROOM_NOW: now, STRONGROOM_SPOOL_DIR: spool },
    });
    let stderr = '';
    let firstStepMs: number | null = null;
    let timer: NodeJS.Timeout | null = null;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (firstStepMs === null && STEP_LINE.test(stderr)) {
        firstStepMs = Date.now() - started;
        if (killAfterMs !== null) timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', status, ms: Date.now() - started, firstStepMs, stderr });
    });
  });
}

/** The Spec 2 calendar's job type of a day: FULL on Sunday, DIFF otherwise. */
function kindOf(day: string): 'full' | 'diff' {
  return new Date(`${day}T00:00:00Z`).getUTCDay() === 0 ? 'full' : 'diff';
}

async function jobState(rig: DaemonRig, day: string): Promise<{ steps: string[]; resend: number } | null> {
  try {
    const record = JSON.parse(await readFile(join(rig.state, 'scheduler', 'jobs', `${RIG_TLD}_${day}_${kindOf(day)}.json`), 'utf8')) as { steps: Record<string, unknown>; resend: number };
    return { steps: Object.keys(record.steps), resend: record.resend };
  } catch {
    return null;
  }
}

test('kill trials on the Spec 2 calendar (FULL Sunday, DIFFs after it): the daemon CLI SIGKILLed at random points never leaves a partial file under a final name and never reports twice; every deposit still arrives verified', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  await rigRegistry(server.db, '2025-01-05T00:00:00Z');
  const rig = await startRig(t, { db: server.spec, since: '2025-01-05', smtp: false, jobs: 0, schedule: 'spec2' });
  const spool = join(rig.dir, 'spool');
  await mkdir(spool);
  const keys = await loadUnsealKeys({ profile: 'rfc4880', keyFile: rig.keys.agentSecret, signerFiles: [rig.keys.registryPublic] });

  // A file under a final name is complete when its signature verifies and it decrypts to the
  // end (a .ryde alone, between the publication of parts and signatures in staging: decrypts).
  const checked = new Map<string, string>();
  // One directory per unseal: a path checked again (its .sig arrived) keeps its map entry, so
  // `checked.size` can repeat and a later copy of the same deposit would collide with it.
  let unseals = 0;
  let lone = 0;
  const checkFinalNames = async (): Promise<number> => {
    const files = await finalNames(rig.dir);
    const byDir = new Map<string, string[]>();
    for (const file of files) byDir.set(join(file, '..'), [...(byDir.get(join(file, '..')) ?? []), file]);
    let verified = 0;
    for (const list of byDir.values()) {
      for (const ryde of list.filter((f) => f.endsWith('.ryde'))) {
        const sig = ryde.replace(/\.ryde$/, '.sig');
        const info = await stat(ryde);
        const id = `${info.ino}:${info.size}:${list.includes(sig) ? 'pair' : 'lone'}`;
        if (checked.get(ryde) === id) continue;
        if (list.includes(sig)) {
          await unsealFiles([ryde, sig], { outDir: join(rig.dir, 'unsealed-check', String(unseals++)), decryptionKeys: keys.decryptionKeys, verificationKeys: keys.verificationKeys });
        } else {
          // Between a part and its signature (staging publishes parts first, delivery sends them
          // first): the part alone must still be whole.
          lone++;
          await pipeline(createReadStream(ryde), openDecryptor({ where: ryde, keys: keys.decryptionKeys }), async (plain: AsyncIterable<Buffer>) => {
            for await (const chunk of plain) void chunk;
          });
        }
        checked.set(ryde, id);
        verified++;
      }
      for (const sig of list.filter((f) => f.endsWith('.sig'))) assert.ok(list.includes(sig.replace(/\.sig$/, '.ryde')), `${sig} without its .ryde`);
    }
    return verified;
  };
  const reportPuts = (): Map<string, number> => {
    const out = new Map<string, number>();
    for (const entry of rig.icann.log) if (entry.method === 'PUT') out.set(entry.path, (out.get(entry.path) ?? 0) + 1);
    return out;
  };

  // A run to measure how long the steps of a whole job take; kills are drawn from that span.
  const first = await daemonOnce(rig, '2025-01-05T01:00:00Z', null, spool);
  assert.equal(first.status, 0, first.stderr);
  assert.ok(first.firstStepMs !== null, first.stderr);
  // Kept up to date with the runs that finish (a DIFF day is quicker than the first FULL).
  let span = first.ms - first.firstStepMs;
  await registryDay(server.db, '2025-01-05');

  const killsAt = new Map<string, number>();
  let kills = 0;
  let runs = 1;
  const retried: string[] = [];
  const days: string[] = ['2025-01-05'];
  let random = 0x2545f491;
  const next = (): number => ((random = (random * 1103515245 + 12345) >>> 0) % 10_000) / 10_000;
  for (let day = 1; kills < MIN_KILLS; day++) {
    const date = new Date(Date.parse('2025-01-05T00:00:00Z') + day * 86_400_000).toISOString().slice(0, 10);
    assert.ok(day <= 60, `only ${kills} kills landed in 60 days`);
    days.push(date);
    for (let attempt = 0; ; attempt++) {
      // Each restart is a little later the same day (a real restart), well inside the deadline.
      const now = new Date(Date.parse(`${date}T01:00:00Z`) + attempt * 60_000).toISOString();
      const outcome = await daemonOnce(rig, now, attempt < 8 ? Math.round(next() * span) : null, spool);
      runs++;
      if (outcome.killed) {
        kills++;
        // Where the kill landed: in the first step not recorded done afterwards.
        const after = await jobState(rig, date);
        const where = after === null ? 'before the job record' : `in ${['stage', 'seal', 'deliver', 'report', 'notify'][after.steps.length] ?? 'the final record'}`;
        killsAt.set(where, (killsAt.get(where) ?? 0) + 1);
      } else if (outcome.status === 1) {
        // A step failed and will be retried (the registry database may still be releasing the
        // killed run's session): the next run retries it; nothing may have been done twice.
        retried.push(/\(([A-Z_]+)\), attempt/.exec(outcome.stderr)?.[1] ?? outcome.stderr.slice(-200));
      } else {
        assert.equal(outcome.status, 0, outcome.stderr);
        if (outcome.firstStepMs !== null) span = Math.max(50, Math.round((span + outcome.ms - outcome.firstStepMs) / 2));
      }
      await checkFinalNames();
      for (const [path, n] of reportPuts()) assert.equal(n, 1, `${path} was PUT ${n} times`);
      const state = await jobState(rig, date);
      if (state?.steps.length === 5) break;
      assert.ok(outcome.killed || outcome.status === 1, `an unkilled run finished the job (${JSON.stringify(state)}): ${outcome.stderr}`);
      assert.ok(attempt < 20, `${date}: no end after 20 runs`);
    }
    await registryDay(server.db, date);
  }

  // Everything arrived, once, and verifies at the agent.
  const puts = reportPuts();
  assert.deepEqual([...puts.keys()].sort(), days.map((d) => `/report/registry-escrow-report/${RIG_TLD}/${depositId(`${d}T00:00:00Z`, kindOf(d) === 'full' ? 'FULL' : 'DIFF')}`).sort());
  assert.deepEqual((await readdir(rig.inbox)).filter((n) => !n.startsWith('.')).sort(), days.flatMap((d) => [`${RIG_TLD}_${d}_${kindOf(d)}_S1_R0.ryde`, `${RIG_TLD}_${d}_${kindOf(d)}_S1_R0.sig`]).sort());
  const agent = await agentTakes(t, rig, server.db);
  assert.deepEqual(agent.received, days.map((d) => `${RIG_TLD}_${d}_${kindOf(d)}_R0`));
  for (const v of agent.verified) assert.equal(v.status, 'PASS', `${v.key}: ${v.findings.join(', ')}`);
  const status = await runCli(['status', '--json', '--config', rig.configPath], { ...rig.env, STRONGROOM_NOW: `${days.at(-1)}T12:00:00Z` });
  assert.equal(status.status, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { registries: Array<{ tlds: Array<{ lastComplete: { key: string }; lagSeconds: number }> }> };
  assert.equal(parsed.registries[0]!.tlds[0]!.lastComplete.key, `${RIG_TLD}_${days.at(-1)!}_${kindOf(days.at(-1)!)}`);

  const figures = [...killsAt.entries()].sort().map(([where, n]) => `${where} ${n}`).join(', ');
  t.diagnostic(`kill trials: ${kills} SIGKILLs over ${days.length} days (${days.filter((d) => kindOf(d) === 'full').length} FULL, ${days.filter((d) => kindOf(d) === 'diff').length} DIFF) in ${runs} runs (the steps of a whole job ~${first.ms - first.firstStepMs} ms for the first FULL, ~${span} ms at the end, after ~${first.firstStepMs} ms of start-up); killed ${figures}; ${retried.length} unkilled runs failed a step and were retried (${retried.join(', ') || 'none'}); ${days.length} reports, each PUT once; ${checked.size} sealed files verified complete (${lone} of them seen as a part without its signature yet)`);
  assert.ok(kills >= MIN_KILLS);
});

test('daemon CLI: a second daemon of the registry is refused; SIGTERM stops the first cleanly (lock released) and the next start finishes the job', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  await rigRegistry(server.db, '2025-01-05T00:00:00Z');
  const rig = await startRig(t, { db: server.spec, since: '2025-01-05', smtp: false, jobs: 0 });
  const env = { ...rig.env, STRONGROOM_NOW: '2025-01-05T01:00:00Z' };
  const child = spawn(process.execPath, [CLI, 'daemon', '--config', rig.configPath], { stdio: ['ignore', 'ignore', 'pipe'], env });
  let stderr = '';
  const running = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => ((stderr += d.toString()), stderr.includes('daemon running') && resolve())));
  const exited = new Promise<{ status: number | null; signal: string | null }>((resolve) => child.on('close', (status, signal) => resolve({ status, signal })));
  await running;
  const second = await runCli(['daemon', '--once', '--config', rig.configPath], env);
  assert.equal(second.status, 8, second.stderr);
  assert.match(second.stderr, /SCHEDULER_LOCKED/);
  const stopAt = Date.now();
  child.kill('SIGTERM');
  const end = await exited;
  t.diagnostic(`SIGTERM to exit: ${Date.now() - stopAt} ms`);
  assert.deepEqual(end, { status: 0, signal: null }, stderr);
  assert.match(stderr, /stopping/);
  await assert.rejects(stat(join(rig.state, 'deposits', 'example', 'daemon.lock')), 'the lock is released');

  const again = await runCli(['daemon', '--once', '--json', '--config', rig.configPath], env);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(await jobState(rig, '2025-01-05'), { steps: ['stage', 'seal', 'deliver', 'report', 'notify'], resend: 0 });
  const agent = await agentTakes(t, rig, server.db);
  assert.equal(agent.verified[0]?.status, 'PASS');
  assert.equal(rig.icann.log.filter((e) => e.method === 'PUT').length, 1);

  const resend = await runCli(['resend', '--json', 'example_2025-01-05_full', '--config', rig.configPath], env);
  assert.equal(resend.status, 0, resend.stderr);
  assert.equal((JSON.parse(resend.stdout) as { resend: number }).resend, 1);
  const unknown = await runCli(['resend', 'example_2025-01-09_full', '--config', rig.configPath], env);
  assert.equal(unknown.status, 8, 'nothing to resend');
  const status = await runCli(['status', '--config', rig.configPath], env);
  assert.equal(status.status, 0, status.stderr);
  assert.match(status.stdout, /pending +example_2025-01-05_full R1 next step stage/);
});
