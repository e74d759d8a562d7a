/**
 * Key checks before every use (expired, revoked, wrong purpose, weak, wrong profile, unpinned,
 * locked, expiring soon) and the keyring (import, pins, export, list).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { type ErrorCode, isStrongroomError } from '../common/errors.js';
import { Keyring } from './keyring.js';
import { decryptionKeyFrom, generateKeyPair, parseKey, readKeyFile, recipientKeyFrom, signingKeyFrom, summarizeKey, verificationKeysFrom } from './keys.js';
import { loadSealKeys, loadUnsealKeys } from './load.js';
import { party, tempDir } from './testing/fixtures.js';

const DAY = 86_400_000;

function refuses(code: ErrorCode): (err: unknown) => boolean {
  return (err) => isStrongroomError(err, code);
}

test('a valid key passes for its uses; one expiring within the warning window passes with a warning', async () => {
  const registry = await party('rfc4880', undefined, 'registry');
  const signing = await signingKeyFrom(registry.privateKey, { profile: 'rfc4880' }, 'registry');
  assert.equal(signing.warnings.length, 0);
  assert.equal(signing.fingerprint, registry.fingerprint);
  const pair = await generateKeyPair({ profile: 'rfc4880', uid: 'Soon <soon@example.test>', algorithm: 'ed25519', expiresIn: 10 * 86_400 });
  const soon = await parseKey(Buffer.from(pair.publicKey), 'soon');
  const recipient = await recipientKeyFrom(soon, { profile: 'rfc4880' }, 'soon');
  assert.equal(recipient.warnings.length, 1);
  assert.match(recipient.warnings[0]!, /expires on \d{4}-\d{2}-\d{2} \(in 9 days\)/);
  assert.equal((await recipientKeyFrom(soon, { profile: 'rfc4880', warnDays: 5 }, 'soon')).warnings.length, 0);
  // After the expiry date the same key is refused.
  await assert.rejects(recipientKeyFrom(soon, { profile: 'rfc4880', now: new Date(Date.now() + 11 * DAY) }, 'soon'), refuses('KEY_EXPIRED'));
  assert.equal((await summarizeKey(soon)).status, 'expiring');
});

test('expired and revoked keys are refused for every use', async () => {
  const old = await generateKeyPair({ profile: 'rfc4880', uid: 'Old <old@example.test>', algorithm: 'ed25519', date: new Date(Date.now() - 20 * DAY), expiresIn: 86_400 });
  const oldSecret = await parseKey(Buffer.from(old.privateKey), 'old');
  await assert.rejects(signingKeyFrom(oldSecret, {}, 'old'), refuses('KEY_EXPIRED'));
  await assert.rejects(recipientKeyFrom(oldSecret.toPublic(), {}, 'old'), refuses('KEY_EXPIRED'));
  await assert.rejects(decryptionKeyFrom(oldSecret, {}, 'old'), refuses('KEY_EXPIRED'));
  await assert.rejects(verificationKeysFrom(oldSecret.toPublic(), {}, 'old'), refuses('KEY_EXPIRED'));
  assert.equal((await summarizeKey(oldSecret)).status, 'expired');

  const live = await generateKeyPair({ profile: 'rfc4880', uid: 'Revoked <revoked@example.test>', algorithm: 'ed25519' });
  const revoked = await openpgp.revokeKey({ key: await openpgp.readPrivateKey({ armoredKey: live.privateKey }), format: 'object' });
  await assert.rejects(signingKeyFrom(revoked.privateKey, {}, 'revoked'), refuses('KEY_REVOKED'));
  await assert.rejects(recipientKeyFrom(revoked.publicKey, {}, 'revoked'), refuses('KEY_REVOKED'));
  assert.equal((await summarizeKey(revoked.publicKey)).status, 'revoked');

  // A revoked encryption subkey alone: the key has no usable encryption subkey left.
  const withSubkey = await openpgp.readPrivateKey({ armoredKey: live.privateKey });
  const subkey = withSubkey.subkeys[0]!;
  const revokedSub = await subkey.revoke(withSubkey.keyPacket as openpgp.SecretKeyPacket);
  withSubkey.subkeys[0] = revokedSub;
  await assert.rejects(recipientKeyFrom(withSubkey.toPublic(), {}, 'revoked-subkey'), refuses('KEY_REVOKED'));
  await signingKeyFrom(withSubkey, {}, 'revoked-subkey'); // the primary still signs
});

test('wrong purpose, weak, wrong profile, public-instead-of-secret and locked keys are refused', async () => {
  const signOnly = await openpgp.generateKey({ userIDs: [{ email: 'sign@example.test' }], type: 'ecc', curve: 'curve25519Legacy', subkeys: [], format: 'object' });
  await assert.rejects(recipientKeyFrom(signOnly.publicKey, {}, 'sign-only'), refuses('KEY_WRONG_PURPOSE'));
  await signingKeyFrom(signOnly.privateKey, {}, 'sign-only');

  const weak = await openpgp.generateKey({ userIDs: [{ email: 'weak@example.test' }], type: 'rsa', rsaBits: 2048, format: 'object' });
  await assert.rejects(signingKeyFrom(weak.privateKey, {}, 'weak'), refuses('KEY_WEAK'));
  await assert.rejects(recipientKeyFrom(weak.publicKey, {}, 'weak'), refuses('KEY_WEAK'));

  const v6 = await party('rfc9580', undefined, 'registry');
  const v4 = await party('rfc4880', 'ed25519', 'registry');
  await assert.rejects(signingKeyFrom(v6.privateKey, { profile: 'rfc4880' }, 'v6'), refuses('KEY_PROFILE_MISMATCH'));
  await assert.rejects(recipientKeyFrom(v4.publicKey, { profile: 'rfc9580' }, 'v4'), refuses('KEY_PROFILE_MISMATCH'));
  const nist = await openpgp.generateKey({ userIDs: [{ email: 'nist@example.test' }], type: 'ecc', curve: 'nistP256', format: 'object' });
  await assert.rejects(signingKeyFrom(nist.privateKey, {}, 'nist'), refuses('KEY_PROFILE_MISMATCH'));

  await assert.rejects(signingKeyFrom(v4.publicKey, {}, 'public'), refuses('KEY_NOT_SECRET'));
  const locked = await generateKeyPair({ profile: 'rfc4880', uid: 'Locked <locked@example.test>', algorithm: 'ed25519', passphrase: 'correct horse' });
  const lockedKey = await parseKey(Buffer.from(locked.privateKey), 'locked');
  await assert.rejects(signingKeyFrom(lockedKey, {}, 'locked'), refuses('KEY_LOCKED'));
  await assert.rejects(parseKey(Buffer.from('not a key'), 'junk'), refuses('KEY_UNREADABLE'));
});

test('passphrase-protected keys open with the right passphrase only', async (t) => {
  const dir = tempDir(t);
  const locked = await generateKeyPair({ profile: 'rfc4880', uid: 'Locked <locked@example.test>', algorithm: 'ed25519', passphrase: 'correct horse' });
  const path = join(dir, 'locked.key.asc');
  (await import('node:fs')).writeFileSync(path, locked.privateKey);
  await assert.rejects(readKeyFile(path, { passphrase: 'wrong' }), refuses('KEY_LOCKED'));
  const unlocked = await readKeyFile(path, { passphrase: 'correct horse' });
  await signingKeyFrom(unlocked, {}, path);
});

test('keyring: import per role, pins refuse unpinned keys at import and at use, export and list', async (t) => {
  const dir = tempDir(t);
  const keyring = new Keyring(join(dir, 'keys'));
  const registry = await party('rfc4880', 'ed25519', 'registry');
  const agent = await party('rfc4880', 'ed25519', 'agent');
  const other = await party('rfc4880', 'ed25519', 'other-agent');

  const imported = await keyring.import('registry', Buffer.from(registry.secretArmored), { pin: true });
  assert.equal(imported.secret, true);
  assert.equal(statSync(imported.path).mode & 0o777, 0o600);
  await keyring.import('agent:escrowco', Buffer.from(agent.publicArmored), { pin: true });
  await assert.rejects(keyring.import('agent:escrowco', Buffer.from(other.publicArmored)), refuses('KEY_NOT_PINNED'));
  assert.deepEqual(await keyring.pins('agent:escrowco'), [agent.fingerprint]);

  // Keys from the keyring (and files checked against its pins).
  const seal = await loadSealKeys({ profile: 'rfc4880', keyring, agent: 'escrowco' });
  assert.equal(seal.signingKey.fingerprint, registry.fingerprint);
  assert.deepEqual(seal.recipients.map((recipient) => recipient.fingerprint), [agent.fingerprint]);
  const otherFile = join(dir, 'other.pub.asc');
  (await import('node:fs')).writeFileSync(otherFile, other.publicArmored);
  await assert.rejects(loadSealKeys({ profile: 'rfc4880', keyring, agent: 'escrowco', recipientFiles: [otherFile] }), refuses('KEY_NOT_PINNED'));
  await assert.rejects(loadSealKeys({ profile: 'rfc4880', keyring, recipientFiles: [otherFile] }), refuses('KEY_NOT_PINNED'));

  // Rollover: pin and import the next key; both become recipients.
  await keyring.import('agent:escrowco', Buffer.from(other.publicArmored), { pin: true });
  const rollover = await loadSealKeys({ profile: 'rfc4880', keyring, agent: 'escrowco' });
  assert.equal(rollover.recipients.length, 2);

  // Export: public by default (a secret key never leaks by accident).
  const exported = await keyring.export('registry', registry.fingerprint);
  assert.match(exported, /BEGIN PGP PUBLIC KEY BLOCK/);
  assert.match(await keyring.export('registry', registry.fingerprint, { secret: true }), /BEGIN PGP PRIVATE KEY BLOCK/);
  await assert.rejects(keyring.export('agent:escrowco', agent.fingerprint, { secret: true }), refuses('KEY_NOT_SECRET'));
  await assert.rejects(keyring.find('registry', 'AB'.repeat(20)), refuses('KEY_NOT_FOUND'));

  const listing = await keyring.list();
  assert.deepEqual(
    listing.map((entry) => [entry.role, entry.key.fingerprint, entry.pinned, entry.key.secret]).sort(),
    [
      ['agent:escrowco', agent.fingerprint, true, false],
      ['agent:escrowco', other.fingerprint, true, false],
      ['registry', registry.fingerprint, true, true],
    ].sort(),
  );
  assert.ok(!JSON.stringify(listing).includes('PRIVATE KEY'));

  // The agent's side of the same keyring layout: its secret key and the registry's public key.
  const agentSide = new Keyring(join(dir, 'agent-keys'));
  await agentSide.import('registry', Buffer.from(registry.publicArmored), { pin: true });
  await agentSide.import('agent:escrowco', Buffer.from(agent.secretArmored), { pin: true });
  const unseal = await loadUnsealKeys({ keyring: agentSide, agent: 'escrowco' });
  assert.equal(unseal.decryptionKeys[0]!.fingerprint, agent.fingerprint);
  assert.equal(unseal.verificationKeys[0]!.fingerprint, registry.fingerprint);
  assert.match(readFileSync(join(dir, 'agent-keys', 'registry', 'pins'), 'utf8'), new RegExp(registry.fingerprint));
});

test('loadSealKeys takes keys already read (the daemon summarises them first): the files are not read again', async (t) => {
  const dir = tempDir(t);
  const registry = await party('rfc4880', 'ed25519', 'registry');
  const agent = await party('rfc4880', 'ed25519', 'agent');
  const keyFile = join(dir, 'registry.key.asc');
  const agentFile = join(dir, 'agent.pub.asc');
  (await import('node:fs')).writeFileSync(keyFile, registry.secretArmored);
  (await import('node:fs')).writeFileSync(agentFile, agent.publicArmored);
  const read = { key: await readKeyFile(keyFile), recipients: [await readKeyFile(agentFile)] };
  // Gone from disk: loading from the read keys still works, so nothing is read again …
  (await import('node:fs')).rmSync(keyFile);
  (await import('node:fs')).rmSync(agentFile);
  const seal = await loadSealKeys({ profile: 'rfc4880', keyFile, recipientFiles: [agentFile], read });
  assert.equal(seal.signingKey.fingerprint, registry.fingerprint);
  assert.deepEqual(seal.recipients.map((r) => r.fingerprint), [agent.fingerprint]);
  // … while without them the missing files are reported.
  await assert.rejects(loadSealKeys({ profile: 'rfc4880', keyFile, recipientFiles: [agentFile] }), refuses('FILE_NOT_FOUND'));
});
