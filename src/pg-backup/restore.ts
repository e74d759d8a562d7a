/**
 * `strongroom pg restore --to <dir> [--backup <id>] [--target-time T]`: fetch a base backup,
 * verify its signature before decrypting, unpack it, check every file against the signed
 * manifest, and configure recovery (recovery.signal + restore_command = our wal-fetch).
 *
 * The backup is unpacked into a fresh staging directory beside the target (mode 0700), and
 * renamed to the target only when every file checked out; on any failure the staging
 * directory is removed. Entries are refused unless they are plain relative paths, regular
 * files or directories (no links, no devices): nothing can be written outside the target.
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { appendFile, chown, link, mkdir, open, readdir, rename, rm, rmdir, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { StrongroomError, messageOf } from '../common/errors.js';
import { type Progress, progressOrNoop } from '../common/progress.js';
import { BackupArchive, type BackupKind, type BackupManifest } from './archive.js';
import { listBackups } from './catalog.js';
import { openSealed, type OpenKeys } from './sealed.js';
import type { OsUser } from './server.js';
import { TarScanner, normalizeEntryName } from './tar-scan.js';
import { removeOnAbort } from '../common/exit-cleanup.js';

export interface RestoreOptions {
  to: string;
  keys: OpenKeys;
  backupId?: string;
  /** Recover to this moment (recovery_target_time). */
  targetTime?: Date;
  /**
   * The target time exactly as given (ISO 8601 with zone, up to microseconds), written to
   * recovery_target_time; a Date has only milliseconds, and a commit in the same millisecond
   * as the target would otherwise fall on the wrong side of it.
   */
  targetTimeText?: string;
  /** 'immediate': stop as soon as the backup is consistent (recovery_target = 'immediate'). */
  target?: 'latest' | 'immediate';
  /** What the server does at the target: promote (default), pause or shutdown. */
  targetAction?: 'promote' | 'pause' | 'shutdown';
  /** The restore_command to configure (default: strongroom pg wal-fetch with this config). */
  restoreCommand: string;
  /** Owner of the restored files (the postgres account when restoring as root). */
  owner?: OsUser | undefined;
  progress?: Progress;
}

export interface RestoreResult {
  backup: string;
  to: string;
  files: number;
  bytes: number;
  targetTime?: string;
  target: string;
  restoreCommand: string;
  signer: string;
}

/** Choose the backup: the given one, the newest finished before the target time, or the newest. */
export async function chooseBackup(archive: BackupArchive, keys: OpenKeys, backupId: string | undefined, targetTime: Date | undefined, kind: BackupKind = 'base'): Promise<BackupManifest> {
  const listing = await listBackups(archive, keys.verificationKeys, [kind]);
  if (backupId) {
    const found = listing.backups.find((b) => b.id === backupId);
    if (!found) {
      const invalid = listing.invalid.find((entry) => entry.backup === `${kind}/${backupId}`);
      if (invalid) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${kind} backup ${backupId} cannot be used: ${invalid.error}`);
      throw new StrongroomError('PG_NO_BACKUP', `there is no complete ${kind} backup ${backupId} in ${archive.transport.description}`);
    }
    return found;
  }
  const candidates = listing.backups.filter((b) => !targetTime || new Date(b.finishedAt).getTime() <= targetTime.getTime());
  const chosen = candidates[candidates.length - 1];
  if (!chosen) throw new StrongroomError('PG_NO_BACKUP', targetTime ? `no ${kind} backup finished before ${targetTime.toISOString()}` : `no complete ${kind} backup in ${archive.transport.description}`);
  return chosen;
}

function safeEntryPath(name: string): string {
  const clean = normalizeEntryName(name);
  if (clean === '' || clean.startsWith('/') || clean.includes('\\') || clean.includes('\0') || clean.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new StrongroomError('PG_TAR_INVALID', `unsafe path "${name}" in the backup`, { location: name });
  }
  return clean;
}

/** A string as a postgresql.conf literal. */
export function confString(value: string): string {
  if (value.includes('\n') || value.includes('\\')) throw new StrongroomError('USAGE', `cannot put "${value}" into postgresql.conf (newline or backslash)`);
  return `'${value.replace(/'/g, "''")}'`;
}

/** A word for /bin/sh (restore_command runs through the shell). */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`;
}

async function emptyOrAbsent(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** Unpack a verified base backup into `dir` (which must exist and be empty), checking every file. */
export async function unpackBackup(archive: BackupArchive, manifest: BackupManifest, dir: string, keys: OpenKeys, owner: OsUser | undefined, progress: Progress): Promise<{ files: number; bytes: number; signer: string }> {
  const expected = new Map(manifest.files.map((file) => [file.path, file]));
  const seen = new Set<string>();
  const scanner = new TarScanner(manifest.archive.object);
  const task = progress.task(`restore ${manifest.id}`, 'bytes', manifest.archive.plaintextSize);
  let signer = '';
  let current: { path: string; handle: FileHandle; hash: ReturnType<typeof createHash>; size: number } | undefined;
  let bytes = 0;
  const own = async (path: string): Promise<void> => {
    if (owner) await chown(path, owner.uid, owner.gid);
  };
  try {
    const plaintext = await openSealed(archive.transport, archive.name(manifest.archive.object), manifest.archive.object, keys, (seal) => (signer = seal.signer));
    for await (const chunk of plaintext) {
      task.add(chunk.length);
      for (const event of scanner.push(chunk)) {
        if (event.kind === 'entry') {
          const path = safeEntryPath(event.header.name);
          const file = expected.get(path);
          if (!file) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${path} is in the backup but not in its manifest`, { location: path });
          if (seen.has(path)) throw new StrongroomError('PG_TAR_INVALID', `${path} appears twice in the backup`, { location: path });
          seen.add(path);
          const target = join(dir, ...path.split('/'));
          if (event.header.type === '5') {
            if (file.type !== 'dir') throw new StrongroomError('PG_BACKUP_INTEGRITY', `${path} is a directory in the backup but not in the manifest`, { location: path });
            await mkdir(target, { recursive: true, mode: 0o700 });
            await own(target);
          } else if (event.header.type === '0' || event.header.type === '7') {
            if (file.type !== 'file' || file.size !== event.header.size) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${path}: size ${event.header.size} in the backup, ${file.size} in the manifest`, { location: path });
            await mkdir(dirname(target), { recursive: true, mode: 0o700 });
            current = { path, handle: await open(target, 'wx', 0o600), hash: createHash('sha256'), size: 0 };
            await own(target);
          } else {
            throw new StrongroomError('PG_TAR_INVALID', `${path}: entry type '${event.header.type}' is not restored (links and devices are refused)`, { location: path });
          }
        } else if (event.kind === 'data') {
          current!.hash.update(event.data);
          current!.size += event.data.length;
          bytes += event.data.length;
          await current!.handle.write(event.data);
        } else if (event.kind === 'entry-end' && current) {
          const done = current;
          current = undefined;
          await done.handle.sync();
          await done.handle.close();
          const sha256 = done.hash.digest('hex');
          if (sha256 !== expected.get(done.path)!.sha256) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${done.path}: SHA-256 ${sha256} does not match the manifest`, { location: done.path });
        }
      }
    }
    scanner.finish();
  } finally {
    if (current) await current.handle.close().catch(() => undefined);
    task.done();
  }
  for (const path of expected.keys()) {
    if (!seen.has(path)) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${path} is in the manifest but not in the backup`, { location: path });
  }
  return { files: seen.size, bytes, signer };
}

/** Append recovery settings and create recovery.signal (PostgreSQL ≥ 12). */
export async function configureRecovery(dir: string, settings: Record<string, string>, owner: OsUser | undefined): Promise<void> {
  const lines = ['', `# strongroom pg restore, ${new Date().toISOString()}`, ...Object.entries(settings).map(([name, value]) => `${name} = ${confString(value)}`), ''];
  const auto = join(dir, 'postgresql.auto.conf');
  await appendFile(auto, lines.join('\n'), { mode: 0o600 });
  const signal = join(dir, 'recovery.signal');
  await writeFile(signal, '', { mode: 0o600 });
  // A restored standby.signal would turn the restore into a standby: not what was asked.
  await rm(join(dir, 'standby.signal'), { force: true });
  if (owner) {
    await chown(auto, owner.uid, owner.gid);
    await chown(signal, owner.uid, owner.gid);
  }
}

export function recoverySettings(options: Pick<RestoreOptions, 'targetTime' | 'targetTimeText' | 'target' | 'targetAction' | 'restoreCommand'>): Record<string, string> {
  const settings: Record<string, string> = { restore_command: options.restoreCommand, recovery_target_timeline: 'latest' };
  if (options.targetTime) settings.recovery_target_time = options.targetTimeText ?? options.targetTime.toISOString().replace('T', ' ').replace('Z', '+00');
  else if (options.target === 'immediate') settings.recovery_target = 'immediate';
  if (options.targetTime || options.target === 'immediate') settings.recovery_target_action = options.targetAction ?? 'promote';
  return settings;
}

export async function restoreBackup(archive: BackupArchive, options: RestoreOptions): Promise<RestoreResult> {
  const progress = progressOrNoop(options.progress);
  const to = resolve(options.to);
  if (!(await emptyOrAbsent(to))) throw new StrongroomError('PG_RESTORE_TARGET_EXISTS', `${to} exists and is not empty`, { location: to });
  const manifest = await chooseBackup(archive, options.keys, options.backupId, options.targetTime);
  await mkdir(dirname(to), { recursive: true });
  const staging = join(dirname(to), `.${basename(to)}.strongroom-restore-${randomBytes(6).toString('hex')}`);
  await mkdir(staging, { mode: 0o700 });
  const release = removeOnAbort(staging);
  try {
    if (options.owner) await chown(staging, options.owner.uid, options.owner.gid);
    const unpacked = await unpackBackup(archive, manifest, staging, options.keys, options.owner, progress);
    const settings = recoverySettings(options);
    await configureRecovery(staging, settings, options.owner);
    const exists = await stat(to).then(
      () => true,
      () => false,
    );
    if (exists) await rmdir(to);
    await rename(staging, to);
    release();
    return {
      backup: manifest.id,
      to,
      files: unpacked.files,
      bytes: unpacked.bytes,
      ...(options.targetTime ? { targetTime: options.targetTimeText ?? options.targetTime.toISOString() } : {}),
      target: options.targetTime ? 'time' : (options.target ?? 'latest'),
      restoreCommand: options.restoreCommand,
      signer: unpacked.signer,
    };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    release();
    if (err instanceof StrongroomError) throw err;
    throw new StrongroomError('FILE_WRITE_FAILED', `restore into ${to} failed: ${messageOf(err)}`, { location: to, cause: err });
  }
}

export interface LogicalRestoreResult {
  backup: string;
  to: string;
  bytes: number;
  signer: string;
}

/**
 * Write a logical backup's SQL (pg_dumpall output) to `to` (temp name, fsync, rename; never
 * replacing a file) or, with `to` = '-', to `stdout` (for `| psql`). The SQL is plaintext: where
 * it goes is the operator's choice.
 */
export async function restoreLogical(archive: BackupArchive, options: { keys: OpenKeys; backupId?: string; to: string; stdout?: NodeJS.WritableStream; progress?: Progress }): Promise<LogicalRestoreResult> {
  const progress = progressOrNoop(options.progress);
  const manifest = await chooseBackup(archive, options.keys, options.backupId, undefined, 'logical');
  let signer = '';
  const plaintext = await openSealed(archive.transport, archive.name(manifest.archive.object), manifest.archive.object, options.keys, (seal) => (signer = seal.signer));
  const task = progress.task(`restore ${manifest.id}`, 'bytes', manifest.archive.plaintextSize);
  let bytes = 0;
  const counted = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of plaintext) {
      bytes += chunk.length;
      task.add(chunk.length);
      yield chunk;
    }
  };
  if (options.to === '-') {
    await pipeline(Readable.from(counted()), options.stdout ?? process.stdout, { end: false });
    task.done();
    return { backup: manifest.id, to: '-', bytes, signer };
  }
  const to = resolve(options.to);
  const temp = join(dirname(to), `.${basename(to)}.${process.pid}.${randomBytes(6).toString('hex')}.strongroom-tmp`);
  const release = removeOnAbort(temp);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      for await (const chunk of counted()) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temp, to).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new StrongroomError('PG_RESTORE_TARGET_EXISTS', `${to} already exists`, { location: to });
      throw err;
    });
  } finally {
    await rm(temp, { force: true });
    release();
  }
  task.done();
  return { backup: manifest.id, to, bytes, signer };
}
