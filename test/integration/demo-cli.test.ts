import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../../src/testing/paths.js';
import { assertSchemaValid } from '../../src/testing/rde-schema.js';

function run(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}

test('strongroom demo: a sample registry, demo keys, a sealed FULL deposit of it, unsealed back identical, where it says', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-demo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const work = join(dir, 'demo');
  const spool = join(dir, 'spool');
  await mkdir(spool);
  const result = run(['demo', '--dir', work, '--domains', '60', '--seed', 'demo-test', '--as-of', '2025-01-05T00:00:00Z', '--json', '--quiet'], { STRONGROOM_SPOOL_DIR: spool });
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as {
    dir: string;
    registry: { tld: string; asOf: string; objects: { domain: number } };
    keys: { profile: string; registry: { fingerprint: string; secretKey: string; publicKey: string }; agent: { fingerprint: string; secretKey: string; publicKey: string } };
    deposit: { file: string; fileName: string; bytes: number; sha256: string; counts: { domain: number }; watermark: string; findings: { errors: number }; sealed: { signer: string; recipients: string[]; parts: Array<{ ryde: string; sig: string }> } };
    unsealed: { file: string; size: number; sha256: string; identical: boolean; signer: string };
    loop: {
      config: string;
      inbox: string;
      job: { key: string; resend: number; steps: Record<string, { result: Record<string, unknown> }> };
      report: { file: string; url: string };
      agent: { received: string[]; status: string; findings: string[] };
    };
  };
  assert.equal(summary.dir, work);
  assert.equal(summary.registry.objects.domain, 60);
  assert.equal(summary.deposit.counts.domain, 60);
  assert.equal(summary.deposit.watermark, '2025-01-05T00:00:00Z');
  assert.equal(summary.deposit.findings.errors, 0);

  // Keys: two armoured key pairs in the demo directory, the secret ones private to the user.
  assert.equal(summary.keys.registry.secretKey, join(work, 'keys', 'registry.key.asc'));
  assert.equal(summary.keys.agent.publicKey, join(work, 'keys', 'escrow-agent.pub.asc'));
  assert.deepEqual((await readdir(join(work, 'keys'))).sort(), ['escrow-agent.key.asc', 'escrow-agent.pub.asc', 'registry.key.asc', 'registry.pub.asc']);
  assert.equal((await stat(summary.keys.registry.secretKey)).mode & 0o777, 0o600);
  assert.match(await readFile(summary.keys.agent.secretKey, 'utf8'), /^-----BEGIN PGP PRIVATE KEY BLOCK-----/);

  // The deposit exists only sealed: signed by the registry key, encrypted to the agent key.
  assert.equal(summary.deposit.fileName, 'example_2025-01-05_full_S1_R0.xml');
  assert.equal(summary.deposit.file, join(work, 'deposits', 'example_2025-01-05_full_S1_R0.ryde'));
  assert.deepEqual((await readdir(join(work, 'deposits'))).sort(), ['example_2025-01-05_full_S1_R0.ryde', 'example_2025-01-05_full_S1_R0.sig']);
  assert.equal(summary.deposit.sealed.signer, summary.keys.registry.fingerprint);
  assert.equal((await readFile(summary.deposit.file)).indexOf('<rde:'), -1, 'no plaintext in the sealed file');
  assert.deepEqual(await readdir(spool), [], 'no spool left');

  // Unsealed again, identical to what the writer hashed, and schema-valid.
  assert.equal(summary.unsealed.file, join(work, 'unsealed', 'example_2025-01-05_full_S1_R0.xml'));
  assert.equal(summary.unsealed.identical, true);
  assert.equal(summary.unsealed.signer, summary.keys.registry.fingerprint);
  const unsealed = await readFile(summary.unsealed.file);
  assert.equal(unsealed.length, summary.deposit.bytes);
  assert.equal(createHash('sha256').update(unsealed).digest('hex'), summary.deposit.sha256);
  assertSchemaValid(t, summary.unsealed.file);

  // The daemon's loop ran once over that deposit: every step recorded, the sealed files (only
  // them) delivered to the agent's inbox, which the agent took in and verified.
  assert.equal(summary.loop.config, join(work, 'strongroom.yaml'));
  assert.equal(summary.loop.job.key, 'example_2025-01-05_full');
  assert.deepEqual(Object.keys(summary.loop.job.steps), ['stage', 'seal', 'deliver', 'report', 'notify']);
  assert.equal(summary.loop.job.steps.stage!.result.reused, true);
  assert.deepEqual(summary.loop.job.steps.deliver!.result.destinations, [{ destination: 'agent', sent: ['example_2025-01-05_full_S1_R0.ryde', 'example_2025-01-05_full_S1_R0.sig'], present: [] }]);
  assert.deepEqual(await readdir(join(work, 'state', 'deposits', 'demo', 'outbox')), ['example_2025-01-05_full_S1_R0.ryde', 'example_2025-01-05_full_S1_R0.sig']);
  assert.deepEqual(await readdir(summary.loop.inbox), [], 'the agent took the delivery in');
  assert.deepEqual(summary.loop.agent.received, ['example_2025-01-05_full_R0']);
  assert.equal(summary.loop.agent.status, 'PASS', summary.loop.agent.findings.join(', '));
  assert.equal(summary.loop.report.url, 'https://ry-api.icann.org/report/registry-escrow-report/example/20250105F0000');
  assert.match(await readFile(summary.loop.report.file, 'utf8'), /<rdeReport:id>20250105F0000<\/rdeReport:id>/);
  const status = run(['status', '--json', '--config', summary.loop.config], { STRONGROOM_NOW: '2025-01-05T12:00:00Z' });
  assert.equal(status.status, 0, status.stderr);
  assert.equal((JSON.parse(status.stdout) as { registries: Array<{ tlds: Array<{ lastComplete: { key: string } }> }> }).registries[0]!.tlds[0]!.lastComplete.key, 'example_2025-01-05_full');

  // The text output names each stage; the keys open the files with the seal/unseal commands too.
  const textDir = join(dir, 'text');
  const text = run(['demo', '--dir', textDir, '--domains', '40', '--seed', 'demo-test', '--as-of', '2025-01-05T00:00:00Z'], { STRONGROOM_SPOOL_DIR: spool });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /1\. A sample registry: \.example with 40 domains/);
  assert.match(text.stdout, /2\. Throwaway OpenPGP keys \(profile rfc4880, Ed25519\/Cv25519\):\n {3}registry {6}[0-9A-F]{40}/);
  assert.match(text.stdout, /3\. A FULL escrow deposit .* sealed as it was written/);
  assert.match(text.stdout, /4\. Unsealed with the agent's key, every signature checked first:\n.*\n {3}identical to the deposit written: yes/);
  assert.match(text.stdout, /5\. The daemon's loop, once .*\n {3}stage {4}took the sealed deposit of step 3.*\n {3}seal {5}re-hashed 2 file\(s\).*\n {3}deliver {2}to "agent" .*: 2 sent, 0 already there\n {3}report {3}.*\n {3}notify {3}/);
  assert.match(text.stdout, /6\. The escrow agent took example_2025-01-05_full_R0 from its inbox .* and verified it: PASS/);
  const reopened = run(['unseal', '--quiet', '--key', join(textDir, 'keys', 'escrow-agent.key.asc'), '--signer', join(textDir, 'keys', 'registry.pub.asc'), '--out', join(dir, 'reopened'), ...(await readdir(join(textDir, 'deposits'))).map((f) => join(textDir, 'deposits', f))]);
  assert.equal(reopened.status, 0, reopened.stderr);
  assert.ok((await readFile(join(dir, 'reopened', 'example_2025-01-05_full_S1_R0.xml'))).equals(await readFile(join(textDir, 'unsealed', 'example_2025-01-05_full_S1_R0.xml'))));

  const again = run(['demo', '--dir', work]);
  assert.equal(again.status, 8, 'a non-empty directory is refused');
  assert.match(again.stderr, /DEMO_DIR_NOT_EMPTY/);
  assert.equal(run(['demo', '--dir', join(dir, 'never'), '--domains', '3']).status, 2, 'fewer domains than the edge cases is a usage error');
  await assert.rejects(stat(join(dir, 'never')), 'and nothing was created');
});
