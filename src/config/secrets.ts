/**
 * Secrets in the configuration are references, never values: `{ file: <path> }` (read at use,
 * relative paths from the configuration file's directory) or `{ env: <NAME> }`. So a
 * configuration file can be shared or committed, and no secret ever appears on a command line.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { StrongroomError, messageOf } from '../common/errors.js';

export const secretRefSchema = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name') }),
], { error: 'a secret reference, { file: <path> } or { env: <NAME> }: secrets are never written into the configuration' });

export type SecretRef = z.infer<typeof secretRefSchema>;

/** Read a secret; `baseDir` is the configuration file's directory. The message names the reference, never the value. */
export async function readSecret(ref: SecretRef, baseDir: string, env: NodeJS.ProcessEnv = process.env): Promise<Buffer> {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '') throw new StrongroomError('CONFIG_SECRET_UNREADABLE', `environment variable ${ref.env} is not set`, { location: `env:${ref.env}` });
    return Buffer.from(value);
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
  try {
    return await readFile(path);
  } catch (err) {
    throw new StrongroomError('CONFIG_SECRET_UNREADABLE', `cannot read secret file ${path}: ${messageOf(err)}`, { location: path });
  }
}

/** A secret as text without a trailing newline (passwords, access keys). */
export async function readSecretText(ref: SecretRef, baseDir: string, env?: NodeJS.ProcessEnv): Promise<string> {
  return (await readSecret(ref, baseDir, env)).toString('utf8').replace(/\r?\n$/, '');
}
