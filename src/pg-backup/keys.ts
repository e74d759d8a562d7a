/**
 * Keys of PostgreSQL backups, from the configuration's `keys` section, through the checks of
 * src/ryde/keys.ts (expiry, revocation, purpose, strength, profile).
 *
 * - sealing (backup, wal-push): the registry's secret signing key + the recipients' public keys;
 * - opening (restore, wal-fetch, drill): the secret decryption key(s) + the signers' public keys
 *   (default: the public half of the signing key);
 * - verifying only (info, expire): the signers' public keys.
 */
import { readFile } from 'node:fs/promises';
import { StrongroomError, messageOf } from '../common/errors.js';
import { decryptionKeyFrom, readKeyFile, recipientKeyFrom, signingKeyFrom, verificationKeysFrom, type VerificationKey } from '../ryde/keys.js';
import { profile } from '../ryde/profiles.js';
import type { PgBackupConfig } from './config.js';
import type { OpenKeys, SealKeys } from './sealed.js';

async function passphrase(config: PgBackupConfig): Promise<{ passphrase?: string }> {
  if (config.keys.passphraseFile) {
    try {
      return { passphrase: (await readFile(config.keys.passphraseFile, 'utf8')).replace(/\r?\n$/, '') };
    } catch (err) {
      throw new StrongroomError('CONFIG_INVALID', `cannot read the passphrase file: ${messageOf(err)}`, { location: config.keys.passphraseFile, cause: err });
    }
  }
  const env = process.env.STRONGROOM_KEY_PASSPHRASE;
  return env !== undefined ? { passphrase: env } : {};
}

export async function loadSealKeysFor(config: PgBackupConfig): Promise<SealKeys & { warnings: string[] }> {
  const policy = { profile: config.keys.profile };
  if (!config.keys.signingKey) throw new StrongroomError('CONFIG_INVALID', 'keys.signingKey is needed to seal backups');
  if (config.keys.recipients.length === 0) throw new StrongroomError('CONFIG_INVALID', 'keys.recipients is needed to seal backups (the public keys backups are encrypted to)');
  const warnings: string[] = [];
  const signingKey = await signingKeyFrom(await readKeyFile(config.keys.signingKey, await passphrase(config)), policy, config.keys.signingKey);
  warnings.push(...signingKey.warnings);
  const recipients = [];
  for (const file of config.keys.recipients) {
    const recipient = await recipientKeyFrom(await readKeyFile(file), policy, file);
    warnings.push(...recipient.warnings);
    recipients.push(recipient);
  }
  return { signingKey, recipients, profile: profile(config.keys.profile), warnings };
}

export async function loadVerificationKeysFor(config: PgBackupConfig): Promise<VerificationKey[]> {
  const policy = { profile: config.keys.profile };
  const out: VerificationKey[] = [];
  const files = config.keys.signerKeys.length > 0 ? config.keys.signerKeys : config.keys.signingKey ? [config.keys.signingKey] : [];
  if (files.length === 0) throw new StrongroomError('CONFIG_INVALID', 'keys.signerKeys (or keys.signingKey) is needed to verify backups');
  for (const file of files) {
    const key = await readKeyFile(file);
    out.push(...(await verificationKeysFrom(key.isPrivate() ? key.toPublic() : key, policy, file)).keys);
  }
  return out;
}

export async function loadOpenKeysFor(config: PgBackupConfig): Promise<OpenKeys> {
  const policy = { profile: config.keys.profile };
  if (config.keys.decryptionKeys.length === 0) throw new StrongroomError('CONFIG_INVALID', 'keys.decryptionKeys is needed to open backups');
  const secret = await passphrase(config);
  const decryptionKeys = [];
  for (const file of config.keys.decryptionKeys) decryptionKeys.push(await decryptionKeyFrom(await readKeyFile(file, secret), policy, file));
  return { decryptionKeys, verificationKeys: await loadVerificationKeysFor(config) };
}
