/**
 * `strongroom deposit --seal` as a user runs it: keys as files, the sealed deposit opened again
 * with `strongroom unseal`, and what a SIGTERM or SIGKILL in the middle of a deposit leaves
 * behind (never plaintext, never a final name; the next run sweeps the ciphertext).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateRegistry } from '../../src/generate/generate.js';
import { tempDir, testKeys } from '../../src/ryde/testing/fixtures.js';
import { serverTestDb } from '../../src/testing/databases.js';
import { CLI, PROJECT_ROOT } from '../../src/testing/paths.js';

const AS_OF = '2025-01-05T00:00:00Z';
/** Markers of deposit text: any of them in a file left behind is plaintext at rest. */
const MARKERS = ['<rde:', 'urn:ietf:params:xml', '.example<', 'rdeDom'];

function cli(args: string[], env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function assertNoPlaintextIn(dir: string): void {
  for (const name of readdirSync(dir)) {
    const bytes = readFileSync(join(dir, name));
    for (const marker of MARKERS) assert.equal(bytes.indexOf(marker), -1, `${join(dir, name)} holds "${marker}"`);
  }
}

/** Start a deposit, wait until its encrypted spool holds at least one full chunk, then signal it. */
async function depositAndSignal(args: string[], spool: string, signal: NodeJS.Signals, env: Record<string, string>): Promise<{ signal: NodeJS.Signals | null; spooled: number }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'ignore', cwd: PROJECT_ROOT });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, received) => resolve(received)));
  let spooled = 0;
  for (let waited = 0; waited < 60_000 && child.exitCode === null; waited += 5) {
    const file = readdirSync(spool).find((name) => name.endsWith('.strongroom-tmp'));
    spooled = file ? statSync(join(spool, file)).size : 0;
    if (spooled > 1 << 20) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill(signal);
  return { signal: await exited, spooled };
}

test('deposit --seal: sealed files only, unseal gives the deposit; SIGTERM and SIGKILL mid-way leave no plaintext', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  await generateRegistry(server.db, { tld: 'example', domains: 4000, seed: 'deposit-seal-cli', asOf: AS_OF });
  const dir = tempDir(t, 'sr-deposit-seal-');
  const keys = await testKeys('rfc4880', 'ed25519');
  const files = { key: join(dir, 'registry.key.asc'), signer: join(dir, 'registry.pub.asc'), recipient: join(dir, 'agent.pub.asc'), agentKey: join(dir, 'agent.key.asc') };
  writeFileSync(files.key, keys.registry.secretArmored, { mode: 0o600 });
  writeFileSync(files.signer, keys.registry.publicArmored);
  writeFileSync(files.recipient, keys.agent.publicArmored);
  writeFileSync(files.agentKey, keys.agent.secretArmored, { mode: 0o600 });
  const spool = join(dir, 'spool');
  mkdirSync(spool);
  const env = { STRONGROOM_HOME: join(dir, 'nowhere'), STRONGROOM_SPOOL_DIR: spool };
  const depositArgs = (out: string, resend: number) => ['deposit', '--db', server.spec, '--tld', 'example', '--type', 'full', '--watermark', AS_OF, '--resend', String(resend), '--out', out, '--seal', '--key', files.key, '--recipient', files.recipient];

  const out = join(dir, 'out');
  const sealed = cli([...depositArgs(out, 0), '--split-size', '256K', '--json', '--quiet'], env);
  assert.equal(sealed.status, 0, sealed.stderr);
  const summary = JSON.parse(sealed.stdout) as { fileName: string; bytes: number; sha256: string; sealed: { parts: Array<{ ryde: string; sig: string }> } };
  assert.equal(summary.fileName, 'example_2025-01-05_full_S1_R0.xml');
  assert.ok(summary.bytes > 2 << 20, `a deposit of several MiB (${summary.bytes} bytes)`);
  const names = summary.sealed.parts.flatMap((part) => [part.ryde, part.sig]).map((path) => path.slice(out.length + 1));
  assert.ok(names.length >= 4);
  assert.deepEqual(readdirSync(out).sort(), [...names].sort(), 'only .ryde and .sig files');
  for (const name of names) assert.match(name, /^example_2025-01-05_full_S\d+_R0\.(ryde|sig)$/);
  assertNoPlaintextIn(out);
  assert.deepEqual(readdirSync(spool), []);

  const opened = cli(['unseal', '--key', files.agentKey, '--signer', files.signer, '--out', join(dir, 'opened'), '--json', '--quiet', ...summary.sealed.parts.flatMap((p) => [p.ryde, p.sig])], env);
  assert.equal(opened.status, 0, opened.stderr);
  const xml = readFileSync(join(dir, 'opened', summary.fileName));
  assert.equal(xml.length, summary.bytes);
  assert.equal(createHash('sha256').update(xml).digest('hex'), summary.sha256, 'the unsealed deposit is what the writer hashed');

  const text = cli([...depositArgs(join(dir, 'text'), 1)], env);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /deposit {5}example_2025-01-05_full_S1_R1\.xml sealed \(profile rfc4880/);
  assert.match(text.stdout, /example_2025-01-05_full_S1_R1\.ryde \(\d+ bytes\) \+ .*example_2025-01-05_full_S1_R1\.sig/);

  const stray = cli(['deposit', '--db', server.spec, '--tld', 'example', '--type', 'full', '--out', join(dir, 'never'), '--recipient', files.recipient], env);
  assert.equal(stray.status, 2, 'a sealing option without --seal is a usage error');
  assert.match(stray.stderr, /--recipient is a sealing option: add --seal/);
  const noKey = cli(['deposit', '--db', server.spec, '--tld', 'example', '--type', 'full', '--out', join(dir, 'never'), '--seal', '--key', files.recipient, '--recipient', files.recipient], env);
  assert.equal(noKey.status, 3, `a public key cannot sign: refused before any work (${noKey.stderr})`);

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    const killedOut = join(dir, `killed-${signal}`);
    const killed = await depositAndSignal(depositArgs(killedOut, 2), spool, signal, env);
    assert.equal(killed.signal, signal, 'the deposit was still running');
    assert.ok(killed.spooled > 1 << 20, 'a chunk of the deposit had been spooled');
    const left = readdirSync(killedOut);
    assert.ok(!left.some((name) => /\.(ryde|sig|xml)$/.test(name)), `no final-named file after ${signal}: ${left.join(', ')}`);
    assertNoPlaintextIn(killedOut);
    assertNoPlaintextIn(spool);
    if (signal === 'SIGTERM') assert.deepEqual(readdirSync(spool), [], 'SIGTERM removes the spool at once');
    else assert.equal(readdirSync(spool).length, 1, 'SIGKILL leaves the (encrypted) spool');
  }
  // The next run sweeps the killed run's spool and completes.
  const again = cli([...depositArgs(join(dir, 'killed-SIGKILL'), 2), '--quiet'], env);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(readdirSync(spool), [], 'swept');
  assert.deepEqual(readdirSync(join(dir, 'killed-SIGKILL')).sort(), ['example_2025-01-05_full_S1_R2.ryde', 'example_2025-01-05_full_S1_R2.sig']);
});
