/**
 * Interoperability of sealing and opening with the real GnuPG (2.2 on Debian 12), both ways,
 * for every profile gpg supports (rfc4880 with RSA and with Ed25519/Cv25519, rfc4880-no-mdc),
 * and with openpgp.js as the independent second implementation for rfc9580 (gpg 2.2 has no
 * v6 keys or SEIPD v2; Debian 12's sq 0.27 and rnp 0.16 predate RFC 9580 too).
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { isStrongroomError } from '../../src/common/errors.js';
import { unsealFiles } from '../../src/ryde/decoder.js';
import { sealFile } from '../../src/ryde/encoder.js';
import { parseKey, recipientKeyFrom, verificationKeysFrom, decryptionKeyFrom } from '../../src/ryde/keys.js';
import { profile, type ProfileName } from '../../src/ryde/profiles.js';
import { openTarWriter } from '../../src/ryde/tar.js';
import { depositXml, gpgHome, tempDir, testKeys, type TestKeys } from '../../src/ryde/testing/fixtures.js';
import { requireTool } from '../../src/testing/tools.js';

const NAME = 'example_2024-01-07_full_S1_R0.xml';

function tar(dir: string): Buffer {
  const result = spawnSync('tar', ['-cf', '-', '-C', dir, NAME], { maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr.toString());
  return result.stdout;
}

function untarOne(archive: Buffer): Buffer {
  const result = spawnSync('tar', ['-xOf', '-', NAME], { input: archive, maxBuffer: 1 << 30 });
  assert.equal(result.status, 0, result.stderr.toString());
  return result.stdout;
}

async function sealCase(t: TestContext, profileName: ProfileName, algorithm: 'rsa3072' | 'ed25519', armor: boolean): Promise<void> {
  if (!requireTool(t, 'gpg') || !requireTool(t, 'tar')) return;
  const dir = tempDir(t);
  const keys = await testKeys(profileName, algorithm);
  const data = depositXml(2_000_000, 40);
  writeFileSync(join(dir, NAME), data);
  const sealed = await sealFile(join(dir, NAME), { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile(profileName), splitSize: 60_000, armorSignatures: armor });
  assert.ok(sealed.parts.length >= 2);
  const gpg = gpgHome(t, dir, [keys.registry.publicArmored, keys.agent.secretArmored]);
  for (const part of sealed.parts) {
    const verified = gpg.run(['--verify', part.sig, part.ryde]);
    assert.equal(verified.status, 0, verified.stderr.toString());
    assert.match(verified.stderr.toString(), /Good signature from "registry <registry@example\.test>"/);
  }
  // gpg says BAD for a part checked against another part's signature.
  assert.notEqual(gpg.run(['--verify', sealed.parts[0]!.sig, sealed.parts[1]!.ryde]).status, 0);
  const joined = Buffer.concat(sealed.parts.map((part) => readFileSync(part.ryde)));
  const args = profileName === 'rfc4880-no-mdc' ? ['--ignore-mdc-error', '--decrypt'] : ['--decrypt'];
  if (profileName === 'rfc4880-no-mdc') {
    const refused = gpg.run(['--decrypt'], joined);
    assert.notEqual(refused.status, 0, 'gpg 2.2 refuses a message without MDC by default');
    assert.match(refused.stderr.toString(), /not integrity protected/);
  }
  const decrypted = gpg.run(args, joined);
  assert.equal(decrypted.status, 0, decrypted.stderr.toString());
  assert.ok(untarOne(decrypted.stdout).equals(data), 'gpg decrypts the joined parts and tar extracts the exact deposit');
}

test('gpg verifies our signatures and decrypts our joined parts (rfc4880, RSA-3072, binary signatures)', (t) => sealCase(t, 'rfc4880', 'rsa3072', false));
test('gpg verifies our signatures and decrypts our joined parts (rfc4880, Ed25519/Cv25519, armoured signatures)', (t) => sealCase(t, 'rfc4880', 'ed25519', true));
test('gpg decrypts our rfc4880-no-mdc message only with --ignore-mdc-error, and verifies its signatures', (t) => sealCase(t, 'rfc4880-no-mdc', 'rsa3072', false));

async function gpgSealed(t: TestContext, keys: TestKeys, extra: string[], split: number | undefined): Promise<{ dir: string; files: string[]; data: Buffer } | undefined> {
  if (!requireTool(t, 'gpg') || !requireTool(t, 'tar')) return undefined;
  const dir = tempDir(t);
  const data = depositXml(1_500_000, 41);
  writeFileSync(join(dir, NAME), data);
  const gpg = gpgHome(t, dir, [keys.registry.secretArmored, keys.agent.publicArmored]);
  const message = gpg.ok(['--compress-algo', 'zip', '-z', '6', ...extra, '--recipient', keys.agent.fingerprint, '--encrypt'], tar(dir));
  const out = join(dir, 'gpg-out');
  mkdirSync(out);
  const files: string[] = [];
  const chunks: Buffer[] = [];
  const size = split ?? message.length;
  for (let offset = 0; offset < message.length; offset += size) chunks.push(message.subarray(offset, offset + size));
  chunks.forEach((chunk, index) => {
    const ryde = join(out, `example_2024-01-07_full_S${index + 1}_R0.ryde`);
    writeFileSync(ryde, chunk);
    gpg.ok(['--local-user', keys.registry.fingerprint, '--detach-sign', '--output', `${ryde.slice(0, -5)}.sig`, ryde]);
    files.push(ryde, `${ryde.slice(0, -5)}.sig`);
  });
  return { dir, files, data };
}

for (const algorithm of ['rsa3072', 'ed25519'] as const) {
  test(`we verify and decrypt what tar | gpg --compress-algo zip --encrypt and gpg --detach-sign produce (${algorithm}, split in parts)`, async (t) => {
    const keys = await testKeys('rfc4880', algorithm);
    const made = await gpgSealed(t, keys, [], 40_000);
    if (!made) return;
    assert.ok(made.files.length >= 4);
    const out = join(made.dir, 'back');
    const [result] = await unsealFiles(made.files, { outDir: out, decryptionKeys: [keys.decryption], verificationKeys: keys.verification });
    assert.equal(result!.encryption, 'SEIPDv1');
    assert.equal(result!.compression, 1);
    assert.equal(result!.partsBound, false);
    assert.ok(readFileSync(join(out, NAME)).equals(made.data));
    // A gpg signature by another key is refused.
    const other = await testKeys('rfc4880', algorithm, 'gpg-stranger');
    await assert.rejects(unsealFiles(made.files, { outDir: join(made.dir, 'back2'), decryptionKeys: [keys.decryption], verificationKeys: (await verificationKeysFrom(other.agent.publicKey, {}, 'x')).keys }), (err) => isStrongroomError(err, 'RYDE_SIGNATURE_WRONG_KEY'));
  });
}

test('a gpg --rfc2440 message (no MDC) opens only under profile rfc4880-no-mdc', async (t) => {
  const keys = await testKeys('rfc4880');
  const made = await gpgSealed(t, keys, ['--rfc2440', '--cipher-algo', 'AES256'], undefined);
  if (!made) return;
  const options = { decryptionKeys: [keys.decryption], verificationKeys: keys.verification };
  await assert.rejects(unsealFiles(made.files, { ...options, outDir: join(made.dir, 'refused') }), (err) => isStrongroomError(err, 'RYDE_PROFILE_VIOLATION'));
  assert.deepEqual(readdirSync(join(made.dir, 'refused')), []);
  const [result] = await unsealFiles(made.files, { ...options, outDir: join(made.dir, 'back'), allowNoMdc: true });
  assert.equal(result!.encryption, 'SED');
  assert.equal(result!.warnings.filter((warning) => /no modification detection code/.test(warning)).length, 1);
  assert.ok(readFileSync(join(made.dir, 'back', NAME)).equals(made.data));
});

test('keys made by gpg work for sealing and opening, and our keys import into gpg', async (t) => {
  if (!requireTool(t, 'gpg') || !requireTool(t, 'tar')) return;
  const dir = tempDir(t);
  const ours = await testKeys('rfc4880');
  const gpg = gpgHome(t, dir, [ours.registry.secretArmored]);
  gpg.ok(['--passphrase', '', '--pinentry-mode', 'loopback', '--quick-gen-key', 'GPG Agent <gpg-agent@example.test>', 'rsa3072', 'default', 'never']);
  const listed = gpg.ok(['--with-colons', '--list-keys', 'gpg-agent@example.test']).toString();
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(listed)![1]!;
  gpg.ok(['--passphrase', '', '--pinentry-mode', 'loopback', '--quick-add-key', fingerprint, 'rsa3072', 'encr', 'never']);
  const gpgPublic = await parseKey(gpg.ok(['--export', fingerprint]), 'gpg public');
  const gpgSecret = await parseKey(gpg.ok(['--pinentry-mode', 'loopback', '--passphrase', '', '--export-secret-keys', fingerprint]), 'gpg secret');
  const data = depositXml(400_000, 42);
  writeFileSync(join(dir, NAME), data);
  const sealed = await sealFile(join(dir, NAME), { outDir: join(dir, 'out'), signingKey: ours.signing, recipients: [await recipientKeyFrom(gpgPublic, { profile: 'rfc4880' }, 'gpg')], profile: profile('rfc4880') });
  const decrypted = gpg.ok(['--decrypt'], readFileSync(sealed.parts[0]!.ryde));
  assert.ok(untarOne(decrypted).equals(data));
  await unsealFiles([sealed.parts[0]!.ryde, sealed.parts[0]!.sig], { outDir: join(dir, 'back'), decryptionKeys: [await decryptionKeyFrom(gpgSecret, {}, 'gpg')], verificationKeys: ours.verification });
  assert.ok(readFileSync(join(dir, 'back', NAME)).equals(data));
});

test('rfc9580: openpgp.js (independent of our packet code) opens our sealed parts, and we open its v6/SEIPD v2 messages', async (t) => {
  const dir = tempDir(t);
  const keys = await testKeys('rfc9580');
  const data = depositXml(1_000_000, 43);
  writeFileSync(join(dir, NAME), data);
  const sealed = await sealFile(join(dir, NAME), { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc9580'), splitSize: 50_000 });
  for (const part of sealed.parts) {
    const verified = await openpgp.verify({
      message: await openpgp.createMessage({ binary: readFileSync(part.ryde) }),
      signature: await openpgp.readSignature({ binarySignature: readFileSync(part.sig) }),
      verificationKeys: keys.registry.publicKey,
      format: 'binary',
    });
    await verified.signatures[0]!.verified;
  }
  const joined = Buffer.concat(sealed.parts.map((part) => readFileSync(part.ryde)));
  const message = await openpgp.readMessage({ binaryMessage: joined });
  assert.equal((message.packets[1] as unknown as { version: number }).version, 2, 'SEIPD v2');
  const decrypted = await openpgp.decrypt({ message, decryptionKeys: keys.agent.privateKey, format: 'binary' });
  const archive = Buffer.from(decrypted.data as Uint8Array);
  if (requireTool(t, 'tar')) assert.ok(untarOne(archive).equals(data));

  // openpgp.js writes the v6 message (ZIP-compressed, SEIPD v2) and a detached v6 signature.
  const chunks: Buffer[] = [];
  for await (const chunk of openTarWriter({ name: NAME, size: data.length, mtime: new Date('2024-01-07T00:00:00Z') })((async function* () { yield data; })())) chunks.push(chunk);
  const theirs = Buffer.from(
    (await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: Buffer.concat(chunks), filename: 'example_2024-01-07_full_S1_R0.tar' }),
      encryptionKeys: keys.agent.publicKey,
      format: 'binary',
      config: { preferredCompressionAlgorithm: openpgp.enums.compression.zip },
    })) as Uint8Array,
  );
  const signature = Buffer.from((await openpgp.sign({ message: await openpgp.createMessage({ binary: theirs }), signingKeys: keys.registry.privateKey, detached: true, format: 'binary' })) as Uint8Array);
  const inDir = join(dir, 'theirs');
  mkdirSync(inDir);
  writeFileSync(join(inDir, 'example_2024-01-07_full_S1_R0.ryde'), theirs);
  writeFileSync(join(inDir, 'example_2024-01-07_full_S1_R0.sig'), signature);
  const [result] = await unsealFiles([join(inDir, 'example_2024-01-07_full_S1_R0.ryde'), join(inDir, 'example_2024-01-07_full_S1_R0.sig')], { outDir: join(dir, 'back'), decryptionKeys: [keys.decryption], verificationKeys: keys.verification });
  assert.equal(result!.encryption, 'SEIPDv2');
  assert.ok(readFileSync(join(dir, 'back', NAME)).equals(data));
});
