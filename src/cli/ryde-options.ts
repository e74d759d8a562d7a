/**
 * Options shared by `seal`, `unseal` and `keys`: key sources, passphrase, keyring and sizes.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { StrongroomError, messageOf } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import type { SealOptions } from '../ryde/encoder.js';
import { Keyring, defaultKeyringDir } from '../ryde/keyring.js';
import { loadSealKeys, type LoadKeysOptions } from '../ryde/load.js';
import { parseProfileName, profile, type CipherName } from '../ryde/profiles.js';
import { positiveInt, usageError } from './command.js';

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Parse a byte size: digits with an optional K/M/G/T suffix (powers of 1024). */
export function byteSize(name: string): (value: string) => number {
  return (value: string) => {
    const match = /^(\d+)([KMGT]i?B?)?$/i.exec(value.trim());
    if (!match) throw usageError(`${name} must be a byte count like 1048576, 512M or 2G, got "${value}"`);
    const power = { '': 0, K: 1, M: 2, G: 3, T: 4 }[(match[2] ?? '').charAt(0).toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
    const bytes = Number(match[1]) * 1024 ** power;
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw usageError(`${name} must be a positive byte count, got "${value}"`);
    return bytes;
  };
}

/** The passphrase from --passphrase-file or $STRONGROOM_KEY_PASSPHRASE (never from argv). */
export function passphraseFrom(file: string | undefined): string | undefined {
  if (file) {
    try {
      return readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new StrongroomError('FILE_NOT_FOUND', `cannot read the passphrase file: ${messageOf(err)}`, { location: file });
    }
  }
  return process.env.STRONGROOM_KEY_PASSPHRASE;
}

/** The keyring named by --keyring, else the default one when it exists. */
export function keyringFrom(dir: string | undefined): Keyring | undefined {
  if (dir) return new Keyring(dir);
  const fallback = defaultKeyringDir();
  return existsSync(fallback) ? new Keyring(fallback) : undefined;
}

/** The key-loading options `seal` and `unseal` share. */
export function keySourceOptions(options: { keyring?: string; agent?: string; passphraseFile?: string; warnDays?: number }): LoadKeysOptions {
  const passphrase = passphraseFrom(options.passphraseFile);
  const keyring = keyringFrom(options.keyring);
  return {
    ...(keyring ? { keyring } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
    ...(options.warnDays !== undefined ? { warnDays: options.warnDays } : {}),
  };
}

/** The options of `seal` (and `deposit --seal`) that say how to seal. */
export interface SealCliOptions {
  key?: string;
  recipient: string[];
  keyring?: string;
  agent?: string;
  profile: string;
  cipher?: string;
  splitSize?: number;
  armor?: boolean;
  compressLevel?: number;
  passphraseFile?: string;
  warnDays?: number;
}

/** Add the sealing options shared by `seal` and `deposit --seal`. */
export function withSealOptions(command: Command): Command {
  return command
    .option('--key <file>', "the registry's secret signing key (armoured or binary); default: the keyring's registry key")
    .option('--recipient <file>', "an escrow agent's public key (repeat for several: key rollover, several agents)", collect, [])
    .option('--keyring <dir>', 'keyring directory (default $STRONGROOM_HOME/keys or ~/.config/strongroom/keys); its pins apply')
    .option('--agent <name>', "use the keyring's keys of this escrow agent as recipients (and its pins)")
    .option('--profile <profile>', 'rfc4880 (default) | rfc4880-no-mdc (only for agents that demand it) | rfc9580', 'rfc4880')
    .option('--cipher <cipher>', 'aes256 (default) or aes128')
    .option('--split-size <bytes>', "the escrow agent's file size limit (e.g. 2G): larger messages are split into S1..Sn", byteSize('--split-size'))
    .option('--armor', 'ASCII-armoured signatures (ICANN RST); binary by default (Spec 2 §4 step 5)')
    .option('--compress-level <n>', 'DEFLATE level 1-9 (default 6)', positiveInt('--compress-level'))
    .option('--passphrase-file <file>', 'passphrase of the secret key (or $STRONGROOM_KEY_PASSPHRASE)')
    .option('--warn-days <n>', 'warn when a key expires within this many days (default 30)', positiveInt('--warn-days'));
}

/** Check the sealing options and load the keys (every key check runs here, before any work). */
export async function sealSetup(options: SealCliOptions, progress: Progress): Promise<{ seal: Omit<SealOptions, 'outDir' | 'progress'>; warnings: string[] }> {
  const profileName = parseProfileName(options.profile);
  if (options.cipher !== undefined && options.cipher !== 'aes128' && options.cipher !== 'aes256') throw usageError(`--cipher must be aes128 or aes256, got "${options.cipher}"`);
  const keys = await loadSealKeys({
    profile: profileName,
    ...(options.key ? { keyFile: options.key } : {}),
    recipientFiles: options.recipient,
    ...keySourceOptions(options),
  });
  for (const warning of keys.warnings) progress.warn(warning);
  return {
    seal: {
      signingKey: keys.signingKey,
      recipients: keys.recipients,
      profile: profile(profileName, (options.cipher as CipherName | undefined) ?? 'aes256'),
      ...(options.splitSize !== undefined ? { splitSize: options.splitSize } : {}),
      ...(options.armor ? { armorSignatures: true } : {}),
      ...(options.compressLevel !== undefined ? { compressionLevel: options.compressLevel } : {}),
    },
    warnings: keys.warnings,
  };
}
