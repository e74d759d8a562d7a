/**
 * Key loading for sealing and opening: explicit key files and/or a keyring, always through the
 * checks of keys.ts (expiry with warning, revocation, purpose, strength, profile, pins).
 *
 * Pinning: when a keyring is given, the pins of the role apply to every key of that role, also
 * to keys given as files. Several recipient keys are allowed (an agent's key rollover window,
 * or several agents); every one of them can open the result.
 */
import { StrongroomError } from '../common/errors.js';
import { type Keyring, type KeyRole } from './keyring.js';
import {
  decryptionKeyFrom,
  readKeyFile,
  recipientKeyFrom,
  signingKeyFrom,
  verificationKeysFrom,
  type AnyKey,
  type DecryptionKey,
  type KeyPolicy,
  type RecipientKey,
  type SigningKey,
  type VerificationKey,
} from './keys.js';
import type { ProfileName } from './profiles.js';

export interface LoadKeysOptions {
  profile?: ProfileName;
  keyring?: Keyring;
  /** Escrow agent name in the keyring (role `agent:<name>`). */
  agent?: string;
  passphrase?: string;
  now?: Date;
  warnDays?: number;
}

async function policyFor(role: KeyRole | undefined, options: LoadKeysOptions): Promise<KeyPolicy> {
  let pinned: string[] | undefined;
  if (options.keyring && role) pinned = await options.keyring.pins(role);
  else if (options.keyring && !role) {
    // Recipients given as files without --agent: any agent's pins apply.
    pinned = [];
    for (const candidate of await options.keyring.roles()) if (candidate !== 'registry') pinned.push(...(await options.keyring.pins(candidate)));
  }
  return {
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.warnDays !== undefined ? { warnDays: options.warnDays } : {}),
    ...(pinned ? { pinned } : {}),
  };
}

function agentRole(options: LoadKeysOptions): KeyRole | undefined {
  return options.agent ? (`agent:${options.agent}` as KeyRole) : undefined;
}

/** Try every key of a keyring role; keep the usable ones, or throw the first refusal. */
async function fromKeyring<T>(keyring: Keyring, role: KeyRole, use: (key: Awaited<ReturnType<Keyring['entries']>>[number]) => Promise<T>): Promise<T[]> {
  const entries = await keyring.entries(role);
  if (entries.length === 0) throw new StrongroomError('KEY_NOT_FOUND', `the keyring has no key for ${role}`, { location: keyring.roleDir(role) });
  const out: T[] = [];
  let firstError: unknown;
  for (const entry of entries) {
    try {
      out.push(await use(entry));
    } catch (err) {
      firstError ??= err;
    }
  }
  if (out.length === 0) throw firstError;
  return out;
}

export interface SealKeysOptions extends LoadKeysOptions {
  /** The registry's secret key file; else the keyring's registry key. */
  keyFile?: string;
  /** The agents' public key files; else the keyring's keys of `agent`. */
  recipientFiles?: readonly string[];
  /**
   * The keys of `keyFile` and `recipientFiles` (same order) when the caller has read them
   * already (readKeyFile, e.g. to summarise them for expiry warnings): not read again; the
   * file names still name them in findings and pins.
   */
  read?: { key?: AnyKey; recipients?: readonly AnyKey[] };
}

export async function loadSealKeys(options: SealKeysOptions): Promise<{ signingKey: SigningKey; recipients: RecipientKey[]; warnings: string[] }> {
  const warnings: string[] = [];
  const registryPolicy = await policyFor('registry', options);
  let signingKey: SigningKey;
  if (options.keyFile) {
    const key = options.read?.key ?? (await readKeyFile(options.keyFile, { ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) }));
    signingKey = await signingKeyFrom(key, registryPolicy, options.keyFile);
  } else if (options.keyring) {
    const found = await fromKeyring(options.keyring, 'registry', async (entry) => {
      const key = await readKeyFile(entry.path, { ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}) });
      return signingKeyFrom(key, registryPolicy, entry.path);
    });
    signingKey = found[0]!;
  } else {
    throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'no signing key: give --key <registry secret key file> or a keyring with a registry key');
  }
  warnings.push(...(signingKey as SigningKey & { warnings: string[] }).warnings);
  const recipientPolicy = await policyFor(agentRole(options), options);
  const recipients: RecipientKey[] = [];
  if (options.recipientFiles && options.recipientFiles.length > 0) {
    for (const [index, file] of options.recipientFiles.entries()) {
      const recipient = await recipientKeyFrom(options.read?.recipients?.[index] ?? (await readKeyFile(file)), recipientPolicy, file);
      recipients.push(recipient);
      warnings.push(...recipient.warnings);
    }
  } else if (options.keyring && options.agent) {
    const found = await fromKeyring(options.keyring, agentRole(options)!, async (entry) => recipientKeyFrom(entry.key.toPublic(), recipientPolicy, entry.path));
    for (const recipient of found) {
      recipients.push(recipient);
      warnings.push(...recipient.warnings);
    }
  } else {
    throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'no recipient: give --recipient <escrow agent public key file> or --agent <name> with a keyring');
  }
  const fingerprints = new Set(recipients.map((recipient) => recipient.subkeyFingerprint));
  if (fingerprints.size !== recipients.length) throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'the same recipient key is given twice');
  return { signingKey, recipients, warnings };
}

export interface UnsealKeysOptions extends LoadKeysOptions {
  /** The agent's secret key file; else the keyring's keys of `agent`. */
  keyFile?: string;
  /** The registry's public key file(s); else the keyring's registry key(s). */
  signerFiles?: readonly string[];
}

export async function loadUnsealKeys(options: UnsealKeysOptions): Promise<{ decryptionKeys: DecryptionKey[]; verificationKeys: VerificationKey[]; warnings: string[] }> {
  const warnings: string[] = [];
  const agentPolicy = await policyFor(agentRole(options), options);
  const passphrase = options.passphrase !== undefined ? { passphrase: options.passphrase } : {};
  const decryptionKeys: DecryptionKey[] = [];
  if (options.keyFile) {
    const key = await decryptionKeyFrom(await readKeyFile(options.keyFile, passphrase), agentPolicy, options.keyFile);
    decryptionKeys.push(key);
    warnings.push(...key.warnings);
  } else if (options.keyring && options.agent) {
    const found = await fromKeyring(options.keyring, agentRole(options)!, async (entry) => decryptionKeyFrom(await readKeyFile(entry.path, passphrase), agentPolicy, entry.path));
    for (const key of found) {
      decryptionKeys.push(key);
      warnings.push(...key.warnings);
    }
  } else {
    throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'no decryption key: give --key <escrow agent secret key file> or --agent <name> with a keyring');
  }
  const registryPolicy = await policyFor('registry', options);
  const verificationKeys: VerificationKey[] = [];
  if (options.signerFiles && options.signerFiles.length > 0) {
    for (const file of options.signerFiles) {
      const found = await verificationKeysFrom(await readKeyFile(file), registryPolicy, file);
      verificationKeys.push(...found.keys);
      warnings.push(...found.warnings);
    }
  } else if (options.keyring) {
    const found = await fromKeyring(options.keyring, 'registry', async (entry) => verificationKeysFrom(entry.key.toPublic(), registryPolicy, entry.path));
    for (const item of found) {
      verificationKeys.push(...item.keys);
      warnings.push(...item.warnings);
    }
  } else {
    throw new StrongroomError('RYDE_INVALID_ARGUMENT', "no signer key: give --signer <registry public key file> or a keyring with the registry's key");
  }
  return { decryptionKeys, verificationKeys, warnings };
}
