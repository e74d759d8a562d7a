/**
 * Options shared by `seal`, `unseal` and `keys`: key sources, passphrase, keyring and sizes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { StrongroomError, messageOf } from '../common/errors.js';
import { Keyring, defaultKeyringDir } from '../ryde/keyring.js';
import type { LoadKeysOptions } from '../ryde/load.js';
import { usageError } from './command.js';

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
