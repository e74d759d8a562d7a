/**
 * Whole seal → unseal runs per profile: splitting, several recipients, armoured signatures,
 * the encrypted spool feeding the encoder (the deposit writer's path), and the refusals of
 * the file-set checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { isStrongroomError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { unsealFiles } from './decoder.js';
import { sealDeposit, sealFile } from './encoder.js';
import { openDecryptor } from './encrypt.js';
import { parseDepositName } from './naming.js';
import { profile, type ProfileName } from './profiles.js';
import { PART_NOTATION, parseSignature } from './signature.js';
import { openEncryptedSpool } from './spool.js';
import { depositXml, tempDir, testKeys } from './testing/fixtures.js';

const NAME = 'example_2024-01-07_full_S1_R0.xml';

function writeDeposit(dir: string, data: Buffer, name = NAME): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

for (const [profileName, algorithm] of [
  ['rfc4880', 'rsa3072'],
  ['rfc4880', 'ed25519'],
  ['rfc4880-no-mdc', 'rsa3072'],
  ['rfc9580', undefined],
] as const) {
  test(`seal → unseal round trip, split into parts (${profileName}, ${algorithm ?? 'ed25519'})`, async (t) => {
    const dir = tempDir(t);
    const keys = await testKeys(profileName as ProfileName, algorithm);
    const data = depositXml(1_500_000, 21);
    const xml = writeDeposit(dir, data);
    const sealed = await sealFile(xml, { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile(profileName), splitSize: 100_000 });
    assert.ok(sealed.parts.length >= 2, `split into ${sealed.parts.length} parts`);
    assert.deepEqual(
      sealed.parts.map((part) => part.ryde.slice(part.ryde.lastIndexOf('/') + 1)),
      sealed.parts.map((_, index) => `example_2024-01-07_full_S${index + 1}_R0.ryde`),
    );
    assert.ok(sealed.parts.slice(0, -1).every((part) => part.size === 100_000));
    assert.equal(sealed.warnings.length, profileName === 'rfc4880-no-mdc' ? 1 : 0);
    // No plaintext in anything written.
    for (const file of readdirSync(join(dir, 'out'))) assert.equal(readFileSync(join(dir, 'out', file)).indexOf(Buffer.from('rdeDom')), -1, file);
    const out = join(dir, 'back');
    mkdirSync(out);
    const results = await unsealFiles(
      sealed.parts.flatMap((part) => [part.sig, part.ryde]).reverse(),
      { outDir: out, decryptionKeys: [keys.decryption], verificationKeys: keys.verification, allowNoMdc: profileName === 'rfc4880-no-mdc' },
    );
    assert.equal(results.length, 1);
    assert.equal(results[0]!.partsBound, true);
    assert.equal(results[0]!.encryption, { rfc4880: 'SEIPDv1', 'rfc4880-no-mdc': 'SED', rfc9580: 'SEIPDv2' }[profileName]);
    assert.ok(readFileSync(join(out, NAME)).equals(data));
    assert.deepEqual(readdirSync(out), [NAME]);
  });
}

test('several recipients: each one alone can open the deposit (key rollover)', async (t) => {
  const dir = tempDir(t);
  const first = await testKeys('rfc4880', 'rsa3072', 'agent');
  const second = await testKeys('rfc4880', 'ed25519', 'agent-next');
  const data = depositXml(300_000, 5);
  const sealed = await sealFile(writeDeposit(dir, data), { outDir: join(dir, 'out'), signingKey: first.signing, recipients: [first.recipient, second.recipient], profile: profile('rfc4880') });
  assert.deepEqual(sealed.recipients, [first.agent.fingerprint, second.agent.fingerprint]);
  for (const [index, keys] of [first, second].entries()) {
    const out = join(dir, `back${index}`);
    mkdirSync(out);
    const files = sealed.parts.flatMap((part) => [part.ryde, part.sig]);
    const [result] = await unsealFiles(files, { outDir: out, decryptionKeys: [keys.decryption], verificationKeys: first.verification });
    assert.equal(result!.recipient, keys.agent.fingerprint);
    assert.ok(readFileSync(join(out, NAME)).equals(data));
  }
});

test('armoured signatures on request; they verify like binary ones and carry the part binding', async (t) => {
  const dir = tempDir(t);
  const keys = await testKeys('rfc4880');
  const data = depositXml(200_000, 6);
  const sealed = await sealFile(writeDeposit(dir, data), { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880'), armorSignatures: true });
  const sig = readFileSync(sealed.parts[0]!.sig);
  assert.match(sig.toString(), /^-----BEGIN PGP SIGNATURE-----\n/);
  const parsed = await parseSignature(sig, 'sig');
  assert.match(parsed.notations.get(PART_NOTATION)!, /^example_2024-01-07_full_S1_R0\.ryde 1\/1 [0-9a-f]{32}$/);
  const signature = await openpgp.readSignature({ armoredSignature: sig.toString() });
  const verified = await openpgp.verify({ message: await openpgp.createMessage({ binary: readFileSync(sealed.parts[0]!.ryde) }), signature, verificationKeys: keys.registry.publicKey, format: 'binary' });
  await verified.signatures[0]!.verified;
  mkdirSync(join(dir, 'back'));
  await unsealFiles([sealed.parts[0]!.ryde, sealed.parts[0]!.sig], { outDir: join(dir, 'back'), decryptionKeys: [keys.decryption], verificationKeys: keys.verification });
  assert.ok(readFileSync(join(dir, 'back', NAME)).equals(data));
});

test('the deposit writer path: XML → encrypted spool → sealDeposit, deterministic apart from the session key', async (t) => {
  const dir = tempDir(t);
  const keys = await testKeys('rfc4880');
  const data = depositXml(1_200_000, 8);
  const spool = await openEncryptedSpool({ dir: join(dir) });
  try {
    spool.writable.write(data.subarray(0, 500_000));
    await new Promise<void>((resolve, reject) => spool.writable.end(data.subarray(500_000), (err?: Error | null) => (err ? reject(err) : resolve())));
    const name = parseDepositName(NAME);
    const sealed = await sealDeposit({ name, size: spool.size, source: () => spool.read() }, { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880') });
    assert.equal(sealed.plaintextSize, data.length);
    mkdirSync(join(dir, 'back'));
    await unsealFiles([sealed.parts[0]!.ryde, sealed.parts[0]!.sig], { outDir: join(dir, 'back'), decryptionKeys: [keys.decryption], verificationKeys: keys.verification });
    assert.ok(readFileSync(join(dir, 'back', NAME)).equals(data));
  } finally {
    await spool.dispose();
  }
  // Two seals of the same deposit differ only where the session key and OpenPGP's required
  // randomness enter: decrypted, their contents (compressed packet, literal, tar) are identical.
  const decryptedContent = async (outDir: string): Promise<Buffer> => {
    const sealedAgain = await sealDeposit({ name: parseDepositName(NAME), size: data.length, source: [data] }, { outDir, signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880') });
    const chunks: Buffer[] = [];
    for await (const chunk of openDecryptor({ where: 'test', keys: [keys.decryption] })((async function* () {
      yield readFileSync(sealedAgain.parts[0]!.ryde);
    })())) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  const first = await decryptedContent(join(dir, 'out2'));
  const second = await decryptedContent(join(dir, 'out3'));
  assert.ok(first.equals(second), 'byte-identical content under different session keys');
  assert.ok(!readFileSync(join(dir, 'out2', 'example_2024-01-07_full_S1_R0.ryde')).equals(readFileSync(join(dir, 'out3', 'example_2024-01-07_full_S1_R0.ryde'))));
});

test('sealing refuses an existing target, a wrong size and keys of the wrong profile', async (t) => {
  const dir = tempDir(t);
  const keys = await testKeys('rfc4880');
  const v6 = await testKeys('rfc9580');
  const data = depositXml(50_000);
  const xml = writeDeposit(dir, data);
  const options = { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880') };
  await sealFile(xml, options);
  await assert.rejects(sealFile(xml, options), (err) => isStrongroomError(err, 'RYDE_TARGET_EXISTS'));
  await assert.rejects(sealDeposit({ name: parseDepositName(NAME), size: data.length + 1, source: [data] }, { ...options, outDir: join(dir, 'o2') }), (err) => isStrongroomError(err, 'RYDE_SIZE_MISMATCH'));
  assert.deepEqual(readdirSync(join(dir, 'o2')), [], 'nothing left behind after a failed seal');
  await assert.rejects(sealFile(xml, { ...options, outDir: join(dir, 'o3'), recipients: [v6.recipient] }), (err) => isStrongroomError(err, 'KEY_PROFILE_MISMATCH'));
  writeFileSync(join(dir, 'deposit.xml'), data);
  await assert.rejects(sealFile(join(dir, 'deposit.xml'), options), (err) => isStrongroomError(err, 'RYDE_NAME_INVALID'));
});

test('unseal refuses incomplete or inconsistent file sets before reading them', async (t) => {
  const dir = tempDir(t);
  const keys = await testKeys('rfc4880');
  const sealed = await sealFile(writeDeposit(dir, depositXml(400_000, 2)), { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880'), splitSize: 10_000 });
  assert.ok(sealed.parts.length >= 3);
  const all = sealed.parts.flatMap((part) => [part.ryde, part.sig]);
  const options = { outDir: join(dir, 'back'), decryptionKeys: [keys.decryption], verificationKeys: keys.verification };
  mkdirSync(options.outDir);
  await assert.rejects(unsealFiles(all.filter((file) => !file.endsWith('S2_R0.ryde')), options), (err) => isStrongroomError(err, 'RYDE_PART_MISSING'));
  await assert.rejects(unsealFiles(all.filter((file) => !file.endsWith('S2_R0.sig')), options), (err) => isStrongroomError(err, 'RYDE_SIGNATURE_MISSING'));
  await assert.rejects(unsealFiles([...all, all[0]!], options), (err) => isStrongroomError(err, 'RYDE_PART_DUPLICATE'));
  const last = sealed.parts.length;
  await assert.rejects(unsealFiles(all.filter((file) => !file.includes(`_S${last}_`)), options), (err) => isStrongroomError(err, 'RYDE_PART_MISSING') && /sealed in \d+ parts/.test(err.message));
  assert.deepEqual(readdirSync(options.outDir), []);
});

test('progress reports bytes for sealing, verifying and unsealing', async (t) => {
  const dir = tempDir(t);
  const keys = await testKeys('rfc4880');
  const data = depositXml(300_000, 12);
  const seen = new Map<string, number>();
  const progress: Progress = {
    task: (name) => ({ add: (n) => void seen.set(name.split(' ')[0]!, (seen.get(name.split(' ')[0]!) ?? 0) + n), done: () => undefined }),
    note: () => undefined,
    warn: () => undefined,
  };
  const sealed = await sealFile(writeDeposit(dir, data), { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880'), progress });
  mkdirSync(join(dir, 'back'));
  await unsealFiles([sealed.parts[0]!.ryde, sealed.parts[0]!.sig], { outDir: join(dir, 'back'), decryptionKeys: [keys.decryption], verificationKeys: keys.verification, progress });
  assert.equal(seen.get('seal'), data.length);
  assert.equal(seen.get('verify'), sealed.sealedSize);
  assert.equal(seen.get('unseal'), sealed.sealedSize);
});
