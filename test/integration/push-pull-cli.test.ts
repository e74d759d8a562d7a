/**
 * `strongroom push` and `strongroom pull` as an operator and a registry run them: consent
 * refusals with exit status 8, escrow-agent deliveries over real SFTP (key from a file, host
 * key pinned through a known_hosts file), an outbox pushed with sidecars and pulled into the
 * registry's own copy — verified, idempotent, never overwriting.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EXIT_STATUS } from '../../src/common/errors.js';
import { CLI } from '../../src/testing/paths.js';
import { startSshd, type TestSshd } from '../../src/testing/sshd.js';
import { requireTool } from '../../src/testing/tools.js';
import { sha256 } from '../../src/transports/contract-suite.js';

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function workspace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-push-pull-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

test('push to an escrow agent over SFTP: consent required, only sealed files, verified delivery', async (t) => {
  const sshd: TestSshd | null = await startSshd();
  if (!requireTool(t, 'sshd', sshd !== null)) return;
  cleanups.push(() => sshd!.stop());
  const dir = await workspace();
  await writeFile(join(dir, 'agent_ed25519'), sshd!.clientKey, { mode: 0o600 });
  await writeFile(join(dir, 'known_hosts'), sshd!.knownHosts);
  const config = (consent: string) => `version: 1
state: state
registries:
  example:
    destinations:
      agent:
        kind: sftp
        url: sftp://${sshd!.username}@127.0.0.1:${sshd!.port}${sshd!.inbox}
        purpose: escrow-agent
${consent}
        hostKey: { knownHostsFile: known_hosts }
        credentials: { privateKey: { file: agent_ed25519 } }
`;
  await writeFile(join(dir, 'strongroom.yaml'), config(''));
  const ryde = join(dir, 'example_2026-11-22_full_S1_R0.ryde');
  const sig = join(dir, 'example_2026-11-22_full_S1_R0.sig');
  const data = randomBytes(300_000);
  await writeFile(ryde, data);
  await writeFile(sig, randomBytes(119));

  const refused = cli(['push', '--to', 'agent', '--config', join(dir, 'strongroom.yaml'), ryde, sig]);
  assert.equal(refused.status, EXIT_STATUS.refused, refused.stderr);
  assert.match(refused.stderr, /DESTINATION_NOT_CONSENTED: refusing to send registry example's data to "agent".*no consent is recorded/);
  assert.deepEqual(await readdir(sshd!.inbox), []);

  await writeFile(join(dir, 'strongroom.yaml'), config('        consent: { granted: true, by: "registry CTO", date: 2026-11-01 }'));
  const xml = join(dir, 'example_2026-11-22_full_S1_R0.xml');
  await writeFile(xml, '<deposit/>');
  const plaintext = cli(['push', '--to', 'agent', '--config', join(dir, 'strongroom.yaml'), xml]);
  assert.equal(plaintext.status, EXIT_STATUS.refused);
  assert.match(plaintext.stderr, /DESTINATION_FILE_REFUSED/);

  const sent = cli(['push', '--to', 'agent', '--json', '--config', join(dir, 'strongroom.yaml'), ryde, sig]);
  assert.equal(sent.status, 0, sent.stderr + sent.stdout);
  const result = JSON.parse(sent.stdout) as { purpose: string; sent: Array<{ name: string; sha256: string }> };
  assert.equal(result.purpose, 'escrow-agent');
  assert.equal(result.sent[0]!.sha256, sha256(data));
  assert.deepEqual((await readdir(sshd!.inbox)).sort(), ['example_2026-11-22_full_S1_R0.ryde', 'example_2026-11-22_full_S1_R0.sig'], 'no sidecar, no temporary');
  assert.deepEqual(await readFile(join(sshd!.inbox, 'example_2026-11-22_full_S1_R0.ryde')), data);

  // The next deposit of the same TLD within the cooldown waits.
  const next = join(dir, 'example_2026-11-23_diff_S1_R0.ryde');
  await writeFile(next, randomBytes(1000));
  const early = cli(['push', '--to', 'agent', '--config', join(dir, 'strongroom.yaml'), next]);
  assert.equal(early.status, EXIT_STATUS.refused);
  assert.match(early.stderr, /TRANSPORT_COOLDOWN: .*next allowed at/);
});

test('outbox: push with sidecars, pull verified and idempotent, tampering and conflicts reported', async () => {
  const dir = await workspace();
  await writeFile(
    join(dir, 'strongroom.yaml'),
    `version: 1
registries:
  example:
    destinations:
      outbox:
        kind: directory
        url: outbox
        purpose: own-offsite
        consent: { granted: true, by: "registry board", date: 2026-10-30, reference: "seed 000: self-hosted third copy" }
`,
  );
  const files = ['base-2026-11-22.tar.gpg', 'base-2026-11-23.tar.gpg'].map((name) => join(dir, name));
  for (const file of files) await writeFile(file, randomBytes(200_000));
  const pushed = cli(['push', '--to', 'outbox', '--config', join(dir, 'strongroom.yaml'), ...files]);
  assert.equal(pushed.status, 0, pushed.stderr);
  assert.deepEqual((await readdir(join(dir, 'outbox'))).sort(), ['base-2026-11-22.tar.gpg', 'base-2026-11-22.tar.gpg.sha256', 'base-2026-11-23.tar.gpg', 'base-2026-11-23.tar.gpg.sha256']);

  // A file without sidecar (still being written, or foreign) is not fetched.
  await writeFile(join(dir, 'outbox', 'partial.bin'), randomBytes(10));
  const copy = join(dir, 'copy');
  const first = cli(['pull', '--from', 'outbox', '--to', copy, '--config', join(dir, 'strongroom.yaml'), '--json']);
  assert.equal(first.status, EXIT_STATUS.findings, first.stderr);
  const firstResult = JSON.parse(first.stdout) as { fetched: Array<{ name: string; sha256: string }>; alreadyPresent: string[]; findings: Array<{ code: string; location: string }> };
  assert.deepEqual(firstResult.fetched.map((f) => f.name), ['base-2026-11-22.tar.gpg', 'base-2026-11-23.tar.gpg']);
  assert.deepEqual(firstResult.findings.map((f) => [f.code, f.location]), [['PULL_UNVERIFIABLE', 'partial.bin']]);
  for (const file of files) assert.deepEqual(await readFile(join(copy, file.slice(dir.length + 1))), await readFile(file));

  await rm(join(dir, 'outbox', 'partial.bin'));
  const again = cli(['pull', '--from', join(dir, 'outbox'), '--to', copy, '--json']);
  assert.equal(again.status, 0, again.stderr);
  const againResult = JSON.parse(again.stdout) as typeof firstResult;
  assert.deepEqual(againResult.fetched, []);
  assert.deepEqual(againResult.alreadyPresent, ['base-2026-11-22.tar.gpg', 'base-2026-11-23.tar.gpg']);

  // A file altered in the outbox after its sidecar was written fails verification and is not kept.
  const third = join(dir, 'base-2026-11-24.tar.gpg');
  await writeFile(third, randomBytes(5000));
  assert.equal(cli(['push', '--to', 'outbox', '--config', join(dir, 'strongroom.yaml'), third]).status, 0);
  await writeFile(join(dir, 'outbox', 'base-2026-11-24.tar.gpg'), randomBytes(5000));
  // And a local copy that differs from the outbox is never overwritten.
  await writeFile(join(copy, 'base-2026-11-23.tar.gpg'), randomBytes(10));
  const tampered = cli(['pull', '--from', join(dir, 'outbox'), '--to', copy, '--json']);
  assert.equal(tampered.status, EXIT_STATUS.findings);
  const tamperedResult = JSON.parse(tampered.stdout) as typeof firstResult;
  assert.deepEqual(tamperedResult.findings.map((f) => [f.code, f.location]).sort(), [
    ['PULL_CONFLICT', 'base-2026-11-23.tar.gpg'],
    ['TRANSPORT_VERIFY_FAILED', 'base-2026-11-24.tar.gpg'],
  ]);
  assert.deepEqual((await readdir(copy)).filter((name) => name.includes('11-24') || name.startsWith('.')), [], 'nothing unverified and no temporary in the copy');
});
