/**
 * The seal, unseal and keys commands as a user runs them: key generation and keyring
 * handling, --json results, exit statuses, and what a kill leaves behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_STATUS } from '../../src/common/errors.js';
import { generateKeyPair } from '../../src/ryde/keys.js';
import { depositXml, gpgHome, tempDir } from '../../src/ryde/testing/fixtures.js';
import { CLI, PROJECT_ROOT } from '../../src/testing/paths.js';
import { requireTool } from '../../src/testing/tools.js';

const NAME = 'example_2024-01-07_full_S1_R0.xml';

function cli(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 26 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

test('keys generate → import with pins → list → export; seal from the keyring, unseal from files, JSON results', async (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const env = { STRONGROOM_HOME: home };
  for (const [prefix, extra] of [['registry', ['--algorithm', 'ed25519']], ['agent', []], ['v6', ['--profile', 'rfc9580']]] as const) {
    const generated = cli(['keys', 'generate', '--uid', `${prefix} <${prefix}@example.test>`, '--out', join(dir, prefix), '--json', ...extra], env);
    assert.equal(generated.status, 0, generated.stderr);
    const result = JSON.parse(generated.stdout) as { fingerprint: string };
    assert.match(result.fingerprint, prefix === 'v6' ? /^[0-9A-F]{64}$/ : /^[0-9A-F]{40}$/);
    assert.equal(statSync(join(dir, `${prefix}.key.asc`)).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, `${prefix}.pub.asc`), 'utf8'), /^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
  }
  assert.equal(cli(['keys', 'generate', '--uid', 'x', '--out', join(dir, 'agent')], env).status, EXIT_STATUS.refused, 'never overwrites a key file');
  if (requireTool(t, 'gpg')) gpgHome(t, dir, [readFileSync(join(dir, 'registry.key.asc'), 'utf8'), readFileSync(join(dir, 'agent.key.asc'), 'utf8')]);

  assert.equal(cli(['keys', 'import', '--role', 'registry', '--pin', join(dir, 'registry.key.asc')], env).status, 0);
  assert.equal(cli(['keys', 'import', '--role', 'agent:escrowco', '--pin', join(dir, 'agent.pub.asc')], env).status, 0);
  const unpinned = cli(['keys', 'import', '--role', 'agent:escrowco', '--json', join(dir, 'registry.pub.asc')], env);
  assert.equal(unpinned.status, EXIT_STATUS.config);
  assert.equal((JSON.parse(unpinned.stdout) as { error: { code: string } }).error.code, 'KEY_NOT_PINNED');
  const listed = JSON.parse(cli(['keys', 'list', '--json'], env).stdout) as { keys: Array<{ role: string; pinned: boolean; key: { status: string; secret: boolean } }> };
  assert.deepEqual(listed.keys.map((entry) => [entry.role, entry.pinned, entry.key.status, entry.key.secret]), [
    ['registry', true, 'valid', true],
    ['agent:escrowco', true, 'valid', false],
  ]);
  const registryFingerprint = JSON.parse(cli(['keys', 'list', '--json', '--role', 'registry'], env).stdout).keys[0].key.fingerprint as string;
  const exported = cli(['keys', 'export', '--role', 'registry', registryFingerprint], env);
  assert.match(exported.stdout, /BEGIN PGP PUBLIC KEY BLOCK/);
  assert.doesNotMatch(exported.stdout, /PRIVATE/);

  const data = depositXml(800_000, 50);
  writeFileSync(join(dir, NAME), data);
  const sealed = cli(['seal', '--agent', 'escrowco', '--out', join(dir, 'out'), '--split-size', '64K', '--json', join(dir, NAME)], env);
  assert.equal(sealed.status, 0, sealed.stderr);
  const result = JSON.parse(sealed.stdout) as { sealed: Array<{ parts: Array<{ ryde: string; sig: string; size: number }> }> };
  const parts = result.sealed[0]!.parts;
  assert.ok(parts.length >= 2);
  const files = parts.flatMap((part) => [part.ryde, part.sig]);

  const opened = cli(['unseal', '--key', join(dir, 'agent.key.asc'), '--signer', join(dir, 'registry.pub.asc'), '--out', join(dir, 'back'), '--json', ...files], { STRONGROOM_HOME: join(dir, 'nowhere') });
  assert.equal(opened.status, 0, opened.stderr);
  assert.ok(readFileSync(join(dir, 'back', NAME)).equals(data));

  const wrongSigner = cli(['unseal', '--key', join(dir, 'agent.key.asc'), '--signer', join(dir, 'agent.pub.asc'), '--out', join(dir, 'back2'), '--json', ...files], { STRONGROOM_HOME: join(dir, 'nowhere') });
  assert.equal(wrongSigner.status, EXIT_STATUS.integrity);
  assert.equal((JSON.parse(wrongSigner.stdout) as { error: { code: string } }).error.code, 'RYDE_SIGNATURE_WRONG_KEY');

  const wrongProfile = cli(['seal', '--key', join(dir, 'registry.key.asc'), '--recipient', join(dir, 'v6.pub.asc'), '--out', join(dir, 'out2'), join(dir, NAME)], { STRONGROOM_HOME: join(dir, 'nowhere') });
  assert.equal(wrongProfile.status, EXIT_STATUS.config);
  assert.match(wrongProfile.stderr, /KEY_PROFILE_MISMATCH/);
});

test('expired keys are refused by seal with a clear error; keys expiring soon warn', async (t) => {
  const dir = tempDir(t);
  const expired = await generateKeyPair({ profile: 'rfc4880', uid: 'old <old@example.test>', algorithm: 'ed25519', date: new Date(Date.now() - 3 * 86_400_000), expiresIn: 86_400 });
  const soon = await generateKeyPair({ profile: 'rfc4880', uid: 'soon <soon@example.test>', algorithm: 'ed25519', expiresIn: 5 * 86_400 });
  writeFileSync(join(dir, 'old.key.asc'), expired.privateKey);
  writeFileSync(join(dir, 'soon.key.asc'), soon.privateKey);
  writeFileSync(join(dir, 'soon.pub.asc'), soon.publicKey);
  writeFileSync(join(dir, NAME), depositXml(10_000));
  const env = { STRONGROOM_HOME: join(dir, 'nowhere') };
  const refused = cli(['seal', '--key', join(dir, 'old.key.asc'), '--recipient', join(dir, 'soon.pub.asc'), '--out', join(dir, 'out'), join(dir, NAME)], env);
  assert.equal(refused.status, EXIT_STATUS.config);
  assert.match(refused.stderr, /KEY_EXPIRED: key [0-9A-F]{40} has expired/);
  const warned = cli(['seal', '--key', join(dir, 'soon.key.asc'), '--recipient', join(dir, 'soon.pub.asc'), '--out', join(dir, 'out'), join(dir, NAME)], env);
  assert.equal(warned.status, 0, warned.stderr);
  assert.match(warned.stderr, /warning: key [0-9A-F]{40} expires on \d{4}-\d{2}-\d{2} \(in 4 days\)/);
});

/** Random base64 "deposit" (slow to compress, so a seal runs long enough to be killed). */
function bulkDeposit(path: string, megabytes: number): Buffer {
  const marker = Buffer.from(`PLAINTEXT-MARKER-${randomBytes(16).toString('hex')}\n`);
  const chunks: Buffer[] = [];
  for (let index = 0; index < megabytes; index++) chunks.push(Buffer.from(randomBytes(786_432).toString('base64')), marker);
  writeFileSync(path, Buffer.concat(chunks));
  return marker;
}

/**
 * Run the CLI with `args` writing into `out`, wait until a non-empty temp file appears there
 * (the command is mid-way), send `signal`, and return the signal the process died of.
 */
async function runAndSignal(args: string[], out: string, signal: NodeJS.Signals, env: Record<string, string>): Promise<NodeJS.Signals | null> {
  mkdirSync(out, { recursive: true });
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: 'ignore', cwd: PROJECT_ROOT });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, received) => resolve(received)));
  for (let waited = 0; waited < 20_000; waited += 5) {
    const temp = readdirSync(out).find((file) => file.endsWith('.strongroom-tmp'));
    if (temp && statSync(join(out, temp)).size > 0) break;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill(signal);
  return exited;
}

async function sealAndSignal(dir: string, signal: NodeJS.Signals, keys: { key: string; pub: string }): Promise<{ signal: NodeJS.Signals | null; out: string }> {
  const out = join(dir, `out-${signal}`);
  const args = ['seal', '-q', '--key', keys.key, '--recipient', keys.pub, '--out', out, '--compress-level', '9', join(dir, NAME)];
  return { signal: await runAndSignal(args, out, signal, { STRONGROOM_HOME: join(dir, 'nowhere') }), out };
}

test('a seal killed mid-way leaves no final-named file and no plaintext; SIGTERM cleans up at once, SIGKILL on the next run', async (t) => {
  const dir = tempDir(t);
  const pair = await generateKeyPair({ profile: 'rfc4880', uid: 'k <k@example.test>', algorithm: 'ed25519' });
  const keys = { key: join(dir, 'k.key.asc'), pub: join(dir, 'k.pub.asc') };
  writeFileSync(keys.key, pair.privateKey);
  writeFileSync(keys.pub, pair.publicKey);
  const marker = bulkDeposit(join(dir, NAME), 48);

  const killed = await sealAndSignal(dir, 'SIGKILL', keys);
  assert.equal(killed.signal, 'SIGKILL');
  const left = readdirSync(killed.out);
  assert.ok(left.length > 0 && left.every((file) => file.startsWith('.') && file.endsWith('.strongroom-tmp')), `only temp files: ${left.join(', ')}`);
  for (const file of left) assert.equal(readFileSync(join(killed.out, file)).indexOf(marker), -1, `${file} holds no plaintext`);
  // The next run in the same directory sweeps what the killed process left, then succeeds.
  const again = cli(['seal', '-q', '--key', keys.key, '--recipient', keys.pub, '--out', killed.out, join(dir, NAME)], { STRONGROOM_HOME: join(dir, 'nowhere') });
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(readdirSync(killed.out).sort(), ['example_2024-01-07_full_S1_R0.ryde', 'example_2024-01-07_full_S1_R0.sig']);

  const terminated = await sealAndSignal(dir, 'SIGTERM', keys);
  assert.equal(terminated.signal, 'SIGTERM', 'the exit still reports the signal');
  assert.deepEqual(readdirSync(terminated.out), [], 'SIGTERM removed the temp files before exiting');
});

test('a process killed while spooling leaves only ciphertext, swept by the next spool', async (t) => {
  const dir = tempDir(t);
  const spoolDir = join(dir, 'spool');
  const script = `
    import { openEncryptedSpool } from ${JSON.stringify(join(PROJECT_ROOT, 'dist/src/ryde/spool.js'))};
    const spool = await openEncryptedSpool({ dir: ${JSON.stringify(spoolDir)} });
    for (let i = 0; i < 3; i++) spool.writable.write(Buffer.from('PLAINTEXT-SPOOL-MARKER '.repeat(100000)));
    spool.writable.on('drain', () => {});
    setTimeout(() => process.stdout.write('ready\\n'), 200);
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const ready = await Promise.race([new Promise<boolean>((resolve) => child.stdout.on('data', () => resolve(true))), exited.then(() => false)]);
  assert.ok(ready, 'the spooling child started');
  child.kill('SIGKILL');
  await exited;
  const left = readdirSync(spoolDir);
  assert.equal(left.length, 1);
  const content = readFileSync(join(spoolDir, left[0]!));
  assert.ok(content.length >= 2 * 1024 * 1024, 'the spool had written chunks');
  assert.equal(content.indexOf(Buffer.from('PLAINTEXT-SPOOL-MARKER')), -1, 'only ciphertext on disk');
  const { openEncryptedSpool } = await import('../../src/ryde/spool.js');
  const next = await openEncryptedSpool({ dir: spoolDir });
  assert.ok(!existsSync(join(spoolDir, left[0]!)), 'swept');
  await next.dispose();
  assert.deepEqual(readdirSync(spoolDir), []);
});

test('an unseal stopped by SIGTERM removes its partial output; after SIGKILL the next run sweeps it', async (t) => {
  const dir = tempDir(t);
  const pair = await generateKeyPair({ profile: 'rfc4880', uid: 'k <k@example.test>', algorithm: 'ed25519' });
  const keys = { key: join(dir, 'k.key.asc'), pub: join(dir, 'k.pub.asc') };
  writeFileSync(keys.key, pair.privateKey);
  writeFileSync(keys.pub, pair.publicKey);
  bulkDeposit(join(dir, NAME), 200);
  const env = { STRONGROOM_HOME: join(dir, 'nowhere') };
  const sealed = cli(['seal', '-q', '--key', keys.key, '--recipient', keys.pub, '--out', join(dir, 'sealed'), '--compress-level', '1', join(dir, NAME)], env);
  assert.equal(sealed.status, 0, sealed.stderr);
  const files = readdirSync(join(dir, 'sealed')).map((file) => join(dir, 'sealed', file));
  const unsealAndSignal = async (signal: NodeJS.Signals): Promise<{ signal: NodeJS.Signals | null; out: string }> => {
    const out = join(dir, `back-${signal}`);
    return { signal: await runAndSignal(['unseal', '-q', '--key', keys.key, '--signer', keys.pub, '--out', out, ...files], out, signal, env), out };
  };
  const terminated = await unsealAndSignal('SIGTERM');
  assert.equal(terminated.signal, 'SIGTERM');
  assert.deepEqual(readdirSync(terminated.out), [], 'no partial output, not even under a temp name');
  const killed = await unsealAndSignal('SIGKILL');
  assert.equal(killed.signal, 'SIGKILL');
  const left = readdirSync(killed.out);
  assert.ok(left.every((file) => file.startsWith('.') && file.endsWith('.strongroom-tmp')), `nothing under a final name: ${left.join(', ')}`);
  const again = cli(['unseal', '-q', '--key', keys.key, '--signer', keys.pub, '--out', killed.out, ...files], env);
  assert.equal(again.status, 0, again.stderr);
  assert.deepEqual(readdirSync(killed.out), [NAME], 'the killed run\'s temp file was swept');
});
