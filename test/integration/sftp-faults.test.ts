/**
 * Issue 7 item 9 (upload half): connections dropped at random offsets still end in a complete,
 * verified upload. A TCP proxy in front of a real OpenSSH sshd cuts each trial's connections
 * at 1–3 random byte offsets (handshake, upload, read-back verification or rename alike), half
 * with the default write window and half with fastPut's smaller one; every trial must end with the exact bytes under the final name and no temporary left behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { dropProxy, startSshd, type TestSshd } from '../../src/testing/sshd.js';
import { requireTool } from '../../src/testing/tools.js';
import { bufferBody, sha256 } from '../../src/transports/contract-suite.js';
import { SftpTransport } from '../../src/transports/sftp.js';

const TRIALS = 50;
const SIZE = 3 * 1024 * 1024;

let sshd: TestSshd | null = null;
after(async () => {
  await sshd?.stop();
});

/** A small seeded generator (mulberry32) so a failing trial can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it(`${TRIALS} uploads with connections dropped at random offsets all end complete and verified`, async (t) => {
  sshd = await startSshd();
  if (!requireTool(t, 'sshd', sshd !== null)) return;
  const server = sshd!;
  const proxy = await dropProxy(server.port);
  const seed = Number(process.env.STRONGROOM_FAULT_SEED ?? Date.now() % 1_000_000);
  const random = seeded(seed);
  const figures = { trials: 0, drops: 0, connections: 0, resumes: 0, resumedFromZero: 0, bytesSent: 0, bytesStored: 0, failures: 0 };
  try {
    for (let trial = 1; trial <= TRIALS; trial += 1) {
      const data = randomBytes(SIZE);
      const drops = 1 + Math.floor(random() * 3);
      proxy.dropAfter = Array.from({ length: drops }, () => 1 + Math.floor(random() * (SIZE * 1.1 + 20_000)));
      const dropsBefore = proxy.drops;
      // Odd trials use the default window (256 KiB × 16), even ones fastPut's (32 KiB × 64), whose
      // smaller amount in flight lets acknowledgements move the resumable prefix before a cut.
      const window = trial % 2 === 1 ? {} : { chunkSize: 32768, concurrency: 64 };
      const transport = new SftpTransport({
        ...window,
        host: server.host,
        port: proxy.port,
        username: server.username,
        privateKey: server.clientKey,
        hostKey: { knownHosts: server.knownHosts.replace(`:${server.port}`, `:${proxy.port}`) },
        root: server.inbox,
        resume: { attempts: 8, baseDelayMs: 2, maxDelayMs: 20 },
      });
      const name = `faults/example_2026-11-${String(trial).padStart(2, '0')}_diff_S1_R0.ryde`;
      try {
        const result = await transport.put(name, bufferBody(data));
        assert.equal(result.sha256, sha256(data), `trial ${trial} (seed ${seed})`);
      } catch (err) {
        figures.failures += 1;
        throw new Error(`trial ${trial} failed (seed ${seed}, drops at ${proxy.dropAfter.join(',')}): ${String(err)}`, { cause: err });
      } finally {
        await transport.close();
      }
      proxy.dropAfter = [];
      const stored = await readFile(join(server.inbox, name));
      assert.equal(sha256(stored), sha256(data), `trial ${trial}: the stored copy is exact (seed ${seed})`);
      const stats = transport.lastPut!;
      figures.trials += 1;
      figures.drops += proxy.drops - dropsBefore;
      figures.connections += stats.connections;
      figures.resumes += stats.resumes;
      figures.resumedFromZero += stats.resumedFrom.filter((offset) => offset === 0).length;
      figures.bytesSent += stats.bytesSent;
      figures.bytesStored += stored.length;
    }
    const leftovers = (await readdir(join(server.inbox, 'faults'))).filter((entry) => !entry.endsWith('.ryde'));
    assert.deepEqual(leftovers, [], 'no temporaries left behind');
    assert.equal(figures.trials, TRIALS);
    assert.ok(figures.drops >= TRIALS, `at least one drop per trial took effect: ${figures.drops}`);
    t.diagnostic(
      `sftp fault figures (seed ${seed}): ${figures.trials} trials of ${SIZE} bytes, ${figures.drops} connections dropped, ${figures.resumes} resumes ` +
        `(${figures.resumedFromZero} from offset 0), ${figures.connections} connections, ${figures.failures} failures; ` +
        `bytes sent / stored = ${(figures.bytesSent / figures.bytesStored).toFixed(2)}`,
    );
  } finally {
    await proxy.close();
  }
});
