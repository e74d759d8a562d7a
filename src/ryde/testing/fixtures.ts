/**
 * Test-only builders for the RyDE tests: key pairs per profile (generated once per process),
 * deposit-like XML, temp directories and a throw-away GNUPGHOME for interop with the real gpg.
 */
import type { TestContext } from 'node:test';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import {
  decryptionKeyFrom,
  generateKeyPair,
  parseKey,
  recipientKeyFrom,
  signingKeyFrom,
  verificationKeysFrom,
  type DecryptionKey,
  type KeyAlgorithmChoice,
  type RecipientKey,
  type SigningKey,
  type VerificationKey,
} from '../keys.js';
import type { ProfileName } from '../profiles.js';

export interface TestParty {
  publicArmored: string;
  secretArmored: string;
  fingerprint: string;
  publicKey: openpgp.PublicKey;
  privateKey: openpgp.PrivateKey;
}

export interface TestKeys {
  registry: TestParty;
  agent: TestParty;
  signing: SigningKey;
  verification: VerificationKey[];
  recipient: RecipientKey;
  decryption: DecryptionKey;
}

const cache = new Map<string, Promise<TestParty>>();

/** A key pair, generated once per (profile, algorithm, name) per process. */
export function party(profileName: ProfileName, algorithm: KeyAlgorithmChoice | undefined, name: string): Promise<TestParty> {
  const cacheKey = `${profileName}/${algorithm ?? ''}/${name}`;
  let found = cache.get(cacheKey);
  if (!found) {
    found = (async () => {
      const pair = await generateKeyPair({ profile: profileName, uid: `${name} <${name}@example.test>`, ...(algorithm ? { algorithm } : {}) });
      return {
        publicArmored: pair.publicKey,
        secretArmored: pair.privateKey,
        fingerprint: pair.fingerprint,
        publicKey: (await parseKey(Buffer.from(pair.publicKey), name)) as openpgp.PublicKey,
        privateKey: (await parseKey(Buffer.from(pair.privateKey), name)) as openpgp.PrivateKey,
      };
    })();
    cache.set(cacheKey, found);
  }
  return found;
}

/** Registry and agent keys for a profile, already checked for their uses. */
export async function testKeys(profileName: ProfileName, algorithm?: KeyAlgorithmChoice, agentName = 'agent'): Promise<TestKeys> {
  const registry = await party(profileName, algorithm, 'registry');
  const agent = await party(profileName, algorithm, agentName);
  const policy = { profile: profileName };
  return {
    registry,
    agent,
    signing: await signingKeyFrom(registry.privateKey, policy, 'registry'),
    verification: (await verificationKeysFrom(registry.publicKey, policy, 'registry')).keys,
    recipient: await recipientKeyFrom(agent.publicKey, policy, agentName),
    decryption: await decryptionKeyFrom(agent.privateKey, policy, agentName),
  };
}

export function tempDir(t: TestContext, prefix = 'sr-ryde-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Deposit-like XML of about `size` bytes: compressible but not trivially repetitive. */
export function depositXml(size: number, seed = 1): Buffer {
  const parts: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n<rde:deposit type="FULL" id="TEST1">\n<rde:contents>\n'];
  let length = parts[0]!.length;
  let index = 0;
  while (length < size - 40) {
    const digest = createHash('sha256').update(`${seed}:${index}`).digest('hex');
    const record = `<rdeDom:domain><rdeDom:name>d${digest.slice(0, 10)}.example</rdeDom:name><rdeDom:roid>${digest.slice(10, 22).toUpperCase()}-EX</rdeDom:roid><rdeDom:status s="ok"/><rdeDom:registrant>c${digest.slice(22, 30)}</rdeDom:registrant><rdeDom:crDate>2024-0${(index % 9) + 1}-1${index % 10}T00:00:00Z</rdeDom:crDate></rdeDom:domain>\n`;
    parts.push(record);
    length += record.length;
    index++;
  }
  parts.push('</rde:contents>\n</rde:deposit>\n');
  return Buffer.from(parts.join('')).subarray(0, Math.max(size, 0));
}

export interface Gpg {
  home: string;
  run(args: string[], input?: Buffer): SpawnSyncReturns<Buffer>;
  /** Run and fail the test on a non-zero status, with gpg's stderr in the message. */
  ok(args: string[], input?: Buffer): Buffer;
}

/** A throw-away GNUPGHOME with the given armoured keys imported; removed after the test. */
export function gpgHome(t: TestContext, dir: string, keys: string[]): Gpg {
  const home = mkdtempSync(join(tmpdir(), 'sr-gnupg-'));
  t.after(() => {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: home } });
    rmSync(home, { recursive: true, force: true });
  });
  const run = (args: string[], input?: Buffer): SpawnSyncReturns<Buffer> =>
    spawnSync('gpg', ['--batch', '--no-tty', '--trust-model', 'always', ...args], { env: { ...process.env, GNUPGHOME: home }, input: input ?? Buffer.alloc(0), maxBuffer: 1 << 30 });
  const ok = (args: string[], input?: Buffer): Buffer => {
    const result = run(args, input);
    if (result.status !== 0) throw new Error(`gpg ${args.join(' ')} failed (${result.status}): ${result.stderr.toString()}`);
    return result.stdout;
  };
  keys.forEach((key, index) => {
    const file = join(dir, `import-${index}.asc`);
    writeFileSync(file, key);
    ok(['--import', file]);
  });
  return { home, run, ok };
}
