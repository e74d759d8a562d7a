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
  stderr: string;
}

/** Start `daemon --once` as of `now`; SIGKILL it after `killAfterMs` unless it finished first. */
function daemonOnce(rig: DaemonRig, now: string, killAfterMs: number | null, spool: string): Promise<Outcome> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'daemon', '--once', '--quiet', '--config', rig.configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...rig.env, STRONGROOM_NOW: now, STRONGROOM_SPOOL_DIR: spool },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ killed: signal === 'SIGKILL', status, ms: Date.now() - started, stderr });
    });
  });
}

async function jobState(rig: DaemonRig, day: string): Promise<{ steps: string[]; resend: number } | null> {
  try {
    const record = JSON.parse(await readFile(join(rig.state, 'scheduler', 'jobs', `${RIG_TLD}_${day}_full.json`), 'utf8')) as { steps: Record<string, unknown>; resend: number };
    return { steps: Object.keys(record.steps), resend: record.resend };
  } catch {
    return null;
  }
}

test('kill trials: the daemon CLI SIGKILLed at random points never leaves a partial file under a final name and never reports twice; every deposit still arrives verified', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  await rigRegistry(server.db, '2025-01-05T00:00:00Z');
  const rig = await startRig(t, { db: server.spec, since: '2025-01-05', smtp: false, jobs: 0 });
  const spool = join(rig.dir, 'spool');
  await mkdir(spool);
  const keys = await loadUnsealKeys({ profile: 'rfc4880', keyFile: rig.keys.agentSecret, signerFiles: [rig.keys.registryPublic] });

  // A file under a final name is complete when its signature verifies and it decrypts to the
  // end (a .ryde alone, between the publication of parts and signatures in staging: decrypts).
  const checked = new Map<string, string>();
  const checkFinalNames = async (): Promise<number> => {
    const files = await finalNames(rig.dir);
    const byDir = new Map<string, string[]>();
    for (const file of files) byDir.set(join(file, '..'), [...(byDir.get(join(file, '..')) ?? []), file]);
    let verified = 0;
    for (const [dir, list] of byDir) {
      for (const ryde of list.filter((f) => f.endsWith('.ryde'))) {
        const sig = ryde.replace(/\.ryde$/, '.sig');
        const info = await stat(ryde);
        const id = `${info.ino}:${info.size}:${list.includes(sig) ? 'pair' : 'lone'}`;
        if (checked.get(ryde) === id) continue;
        if (list.includes(sig)) {
          await unsealFiles([ryde, sig], { outDir: join(rig.dir, 'unsealed-check', String(checked.size)), decryptionKeys: keys.decryptionKeys, verificationKeys: keys.verificationKeys });
        } else {
          assert.ok(dir.includes(`${join('deposits', 'example', 'staging')}`), `${ryde} without its signature outside staging`);
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

  // A run to measure how long a whole job takes; kills are drawn from that span.
  const first = await daemonOnce(rig, '2025-01-05T01:00:00Z', null, spool);
  assert.equal(first.status, 0, first.stderr);
  const span = first.ms;
  // And one with nothing due: the start-up cost (process, modules, configuration, keys, lock),
  // so that kills land while the job is being worked on rather than while Node is loading.
  const idle = await daemonOnce(rig, '2025-01-05T02:00:00Z', null, spool);
  assert.equal(idle.status, 0, idle.stderr);
  const startup = Math.min(idle.ms, Math.round(span * 0.8));
  await registryDay(server.db, '2025-01-05');

  const killsAt = new Map<string, number>();
  let kills = 0;
  let runs = 1;
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
      const outcome = await daemonOnce(rig, now, attempt < 8 ? Math.round(startup * 0.75 + next() * (span - startup * 0.75)) : null, spool);
      runs++;
      if (outcome.killed) {
        kills++;
        // Where the kill landed: in the first step not recorded done afterwards.
        const after = await jobState(rig, date);
        const where = after === null ? 'before the job record' : `in ${['stage', 'seal', 'deliver', 'report', 'notify'][after.steps.length] ?? 'the final record'}`;
        killsAt.set(where, (killsAt.get(where) ?? 0) + 1);
      } else {
        assert.equal(outcome.status, 0, outcome.stderr);
      }
      await checkFinalNames();
      for (const [path, n] of reportPuts()) assert.equal(n, 1, `${path} was PUT ${n} times`);
      const state = await jobState(rig, date);
      if (state?.steps.length === 5) break;
      assert.ok(outcome.killed, `an unkilled run finished the job (${JSON.stringify(state)}): ${outcome.stderr}`);
    }
    await registryDay(server.db, date);
  }

  // Everything arrived, once, and verifies at the agent.
  const puts = reportPuts();
  assert.deepEqual([...puts.keys()].sort(), days.map((d) => `/report/registry-escrow-report/${RIG_TLD}/${depositId(`${d}T00:00:00Z`, 'FULL')}`).sort());
  assert.deepEqual((await readdir(rig.inbox)).filter((n) => !n.startsWith('.')).sort(), days.flatMap((d) => [`${RIG_TLD}_${d}_full_S1_R0.ryde`, `${RIG_TLD}_${d}_full_S1_R0.sig`]).sort());
  const agent = await agentTakes(t, rig);
  assert.deepEqual(agent.received, days.map((d) => `${RIG_TLD}_${d}_full_R0`));
  for (const v of agent.verified) assert.equal(v.status, 'PASS', `${v.key}: ${v.findings.join(', ')}`);
  const status = await runCli(['status', '--json', '--config', rig.configPath], { ...rig.env, STRONGROOM_NOW: `${days.at(-1)}T12:00:00Z` });
  assert.equal(status.status, 0, status.stderr);
  const parsed = JSON.parse(status.stdout) as { registries: Array<{ tlds: Array<{ lastComplete: { key: string }; lagSeconds: number }> }> };
  assert.equal(parsed.registries[0]!.tlds[0]!.lastComplete.key, `${RIG_TLD}_${days.at(-1)}_full`);

  const figures = [...killsAt.entries()].sort().map(([where, n]) => `${where} ${n}`).join(', ');
  t.diagnostic(`kill trials: ${kills} SIGKILLs over ${days.length} days in ${runs} runs (a whole job ~${span} ms, start-up ~${startup} ms); killed ${figures}; ${days.length} reports, each PUT once; ${checked.size} sealed files verified complete`);
  assert.ok(kills >= MIN_KILLS);
});
