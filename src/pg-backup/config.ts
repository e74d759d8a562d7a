/**
 * Configuration of PostgreSQL backups (`strongroom pg …`): which cluster, where the backups go,
 * which keys seal them, how long they are kept, when backups and drills run.
 *
 * The schema is a zod object (`pgBackupConfigSchema`) meant to be plugged into the project-wide
 * configuration as its `pgBackup` section; until then `loadPgBackupConfig(file)` reads a YAML
 * or JSON file holding either that section at top level or a document with a `pgBackup` key.
 * Relative paths are resolved against the configuration file's directory.
 *
 * Secrets never live in this file: the key passphrase comes from `keys.passphraseFile` or
 * `$STRONGROOM_KEY_PASSPHRASE`, the database password from libpq's usual `PGPASSWORD` /
 * `~/.pgpass`.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { StrongroomError, messageOf } from '../common/errors.js';

const duration = z.string().regex(/^\d+(s|m|h|d|w)$/, 'a duration such as 30m, 12h, 14d or 8w');

/** A schedule: `hourly`, `daily HH:MM`, `weekly <mon..sun> HH:MM`, `monthly <1-28> HH:MM` (UTC). */
const scheduleSpec = z
  .string()
  .regex(/^(hourly(?: :\d{2})?|daily \d{2}:\d{2}|weekly (mon|tue|wed|thu|fri|sat|sun) \d{2}:\d{2}|monthly ([1-9]|1\d|2[0-8]) \d{2}:\d{2})$/, 'hourly [:MM] | daily HH:MM | weekly <mon..sun> HH:MM | monthly <1-28> HH:MM');

export const retentionSchema = z
  .object({
    /** Keep the newest N backups. */
    keepLast: z.number().int().positive().optional(),
    /** Keep every backup younger than this. */
    keepWithin: duration.optional(),
    /** GFS: keep the newest backup of each of the last N hours / days / weeks / months / years. */
    keepHourly: z.number().int().positive().optional(),
    keepDaily: z.number().int().positive().optional(),
    keepWeekly: z.number().int().positive().optional(),
    keepMonthly: z.number().int().positive().optional(),
    keepYearly: z.number().int().positive().optional(),
  })
  .strict();

export const destinationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('directory'), path: z.string().min(1) }).strict(),
  z
    .object({
      kind: z.literal('sftp'),
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(22),
      username: z.string().min(1),
      /** The SSH private key file (key authentication only). */
      privateKeyFile: z.string().min(1),
      /** The server's host key, pinned: a known_hosts file and/or SHA-256 fingerprints. */
      knownHostsFile: z.string().optional(),
      hostKeyFingerprints: z.array(z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/)).default([]),
      /** Remote directory (absolute, or relative to the login directory). */
      root: z.string().default('.'),
    })
    .strict()
    .refine((d) => d.knownHostsFile !== undefined || d.hostKeyFingerprints.length > 0, 'an sftp destination needs knownHostsFile or hostKeyFingerprints (host keys are pinned, never trusted on first use)'),
  /**
   * A destination of the project-wide configuration (src/config/destinations.ts): directory,
   * SFTP or S3, with the registry's recorded consent checked before anything is sent, its
   * secrets read from files or the environment, and retries. Its purpose must be own-offsite.
   */
  z
    .object({
      kind: z.literal('configured'),
      /** The destination's name (or `<registry>/<name>`). */
      name: z.string().min(1),
      /** The Strongroom configuration file (default: $STRONGROOM_CONFIG, else strongroom.yaml next to this file). */
      config: z.string().optional(),
      /** The registry holding the destination, when several do. */
      registry: z.string().optional(),
    })
    .strict(),
]);

export const pgBackupConfigSchema = z
  .object({
    /** Name of the cluster: the prefix of every object in the destination. */
    cluster: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'lower-case letters, digits, ".", "_" and "-"'),
    connection: z
      .object({
        host: z.string().default('127.0.0.1'),
        port: z.number().int().min(1).max(65535).default(5432),
        user: z.string().default('postgres'),
        database: z.string().default('postgres'),
      })
      .strict()
      .default({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' }),
    /** Directory of the PostgreSQL client programs (pg_basebackup, pg_dumpall, pg_ctl, …). */
    binDir: z.string().default('/usr/lib/postgresql/15/bin'),
    destination: destinationSchema,
    keys: z
      .object({
        profile: z.enum(['rfc4880', 'rfc9580']).default('rfc4880'),
        /** The registry's secret key: signs every object (needed by backup and wal-push). */
        signingKey: z.string().optional(),
        /** Public keys every object is encrypted to. */
        recipients: z.array(z.string()).default([]),
        /** Secret keys that open the backups (needed by restore, wal-fetch and drill). */
        decryptionKeys: z.array(z.string()).default([]),
        /** Public keys whose signatures are accepted (default: the signing key's public part). */
        signerKeys: z.array(z.string()).default([]),
        passphraseFile: z.string().optional(),
      })
      .strict(),
    /** zstd level (1–19). */
    compressionLevel: z.number().int().min(1).max(19).default(3),
    retention: retentionSchema.default({}),
    schedules: z
      .object({
        full: scheduleSpec.default('daily 02:00'),
        logical: scheduleSpec.optional(),
        drill: scheduleSpec.optional(),
        expire: scheduleSpec.optional(),
      })
      .strict()
      .default({ full: 'daily 02:00' }),
    /** Where drills restore to (a scratch directory; each drill uses and removes a subdirectory). */
    scratchDir: z.string().optional(),
    /** Local spool for ciphertext before upload to remote transports. */
    spoolDir: z.string().optional(),
    /** Where `pg run-due` keeps its lock and the last expire run (default: .strongroom-state next to this file). */
    stateDir: z.string().optional(),
  })
  .strict();

export type PgBackupConfig = z.infer<typeof pgBackupConfigSchema>;
export type RetentionPolicy = z.infer<typeof retentionSchema>;

export interface LoadedPgBackupConfig {
  config: PgBackupConfig;
  /** Absolute path of the configuration file (passed to wal-fetch in restore_command). */
  file: string;
}

function absolutize(config: PgBackupConfig, base: string): PgBackupConfig {
  const abs = (path: string): string => (isAbsolute(path) ? path : resolve(base, path));
  return {
    ...config,
    destination:
      config.destination.kind === 'directory'
        ? { ...config.destination, path: abs(config.destination.path) }
        : config.destination.kind === 'configured'
          ? { ...config.destination, config: config.destination.config ? abs(config.destination.config) : process.env.STRONGROOM_CONFIG ? resolve(process.env.STRONGROOM_CONFIG) : abs('strongroom.yaml') }
          : { ...config.destination, privateKeyFile: abs(config.destination.privateKeyFile), ...(config.destination.knownHostsFile ? { knownHostsFile: abs(config.destination.knownHostsFile) } : {}) },
    keys: {
      ...config.keys,
      ...(config.keys.signingKey ? { signingKey: abs(config.keys.signingKey) } : {}),
      ...(config.keys.passphraseFile ? { passphraseFile: abs(config.keys.passphraseFile) } : {}),
      recipients: config.keys.recipients.map(abs),
      decryptionKeys: config.keys.decryptionKeys.map(abs),
      signerKeys: config.keys.signerKeys.map(abs),
    },
    ...(config.scratchDir ? { scratchDir: abs(config.scratchDir) } : {}),
    ...(config.spoolDir ? { spoolDir: abs(config.spoolDir) } : {}),
    ...(config.stateDir ? { stateDir: abs(config.stateDir) } : {}),
  };
}

/** Validate a parsed document (the section itself or a document with a `pgBackup` key). */
export function parsePgBackupConfig(document: unknown, where: string, baseDir: string): PgBackupConfig {
  const section = document && typeof document === 'object' && 'pgBackup' in document ? (document as { pgBackup: unknown }).pgBackup : document;
  const parsed = pgBackupConfigSchema.safeParse(section);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`).join('; ');
    throw new StrongroomError('CONFIG_INVALID', `invalid pg backup configuration: ${issues}`, { location: where });
  }
  return absolutize(parsed.data, baseDir);
}

export async function loadPgBackupConfig(file: string): Promise<LoadedPgBackupConfig> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new StrongroomError('CONFIG_INVALID', `cannot read ${path}: ${messageOf(err)}`, { location: path, cause: err });
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (err) {
    throw new StrongroomError('CONFIG_INVALID', `${path} is not valid YAML: ${messageOf(err)}`, { location: path, cause: err });
  }
  return { config: parsePgBackupConfig(document, path, dirname(path)), file: path };
}

/** Milliseconds of a duration such as `14d`. */
export function durationMs(spec: string): number {
  const match = /^(\d+)(s|m|h|d|w)$/.exec(spec);
  if (!match) throw new StrongroomError('CONFIG_INVALID', `invalid duration "${spec}"`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[match[2] as 's' | 'm' | 'h' | 'd' | 'w'];
  return Number(match[1]) * unit;
}

const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** The first time strictly after `after` at which `spec` fires (UTC). */
export function nextRun(spec: string, after: Date): Date {
  const parsed = scheduleSpec.safeParse(spec);
  if (!parsed.success) throw new StrongroomError('CONFIG_INVALID', `invalid schedule "${spec}"`);
  const words = spec.split(' ');
  const hm = (text: string): [number, number] => {
    const [h, m] = text.split(':').map(Number) as [number, number];
    if (h > 23 || m > 59) throw new StrongroomError('CONFIG_INVALID', `invalid time of day in schedule "${spec}"`);
    return [h, m];
  };
  const t = after.getTime();
  if (words[0] === 'hourly') {
    const minute = words[1] ? Number(words[1].slice(1)) : 0;
    const candidate = new Date(after);
    candidate.setUTCMinutes(minute, 0, 0);
    while (candidate.getTime() <= t) candidate.setUTCHours(candidate.getUTCHours() + 1);
    return candidate;
  }
  const [hour, minute] = hm(words[words.length - 1]!);
  const candidate = new Date(Date.UTC(after.getUTCFullYear(), after.getUTCMonth(), after.getUTCDate(), hour, minute));
  if (words[0] === 'daily') {
    while (candidate.getTime() <= t) candidate.setUTCDate(candidate.getUTCDate() + 1);
  } else if (words[0] === 'weekly') {
    const day = WEEKDAYS.indexOf(words[1]!);
    while (candidate.getUTCDay() !== day || candidate.getTime() <= t) candidate.setUTCDate(candidate.getUTCDate() + 1);
  } else {
    const day = Number(words[1]);
    candidate.setUTCDate(day);
    while (candidate.getTime() <= t) candidate.setUTCMonth(candidate.getUTCMonth() + 1, day);
  }
  return candidate;
}
