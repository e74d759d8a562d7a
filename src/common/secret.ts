/**
 * Secrets (passwords, HMAC keys) come from a file or an environment variable, never from the
 * command line or the configuration file itself, and never appear in a message: errors name the
 * file or the variable, not the value.
 */
import { readFile } from 'node:fs/promises';
import { StrongroomError, messageOf, type ErrorCode } from './errors.js';

/** Where a secret is read from: exactly one of a file path or an environment variable name. */
export interface SecretSource {
  file?: string;
  env?: string;
}

/**
 * Read a secret. A file's single trailing line break is dropped (files written by `echo`);
 * an empty secret is refused. `code` is the error code of the caller's stage.
 */
export async function readSecret(source: SecretSource, what: string, code: ErrorCode, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (source.file !== undefined && source.env !== undefined) {
    throw new StrongroomError(code, `${what}: give either a file or an environment variable, not both`);
  }
  let value: string;
  if (source.file !== undefined) {
    try {
      value = (await readFile(source.file, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new StrongroomError(code, `${what}: cannot read the secret file ${source.file}: ${messageOf(err)}`, { location: source.file });
    }
    if (value === '') throw new StrongroomError(code, `${what}: the secret file ${source.file} is empty`, { location: source.file });
  } else if (source.env !== undefined) {
    const found = env[source.env];
    if (found === undefined || found === '') throw new StrongroomError(code, `${what}: the environment variable ${source.env} is not set or empty`);
    value = found;
  } else {
    throw new StrongroomError(code, `${what}: no secret configured (give a file or an environment variable)`);
  }
  return value;
}
