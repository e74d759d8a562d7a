/**
 * WAL archiving: `pg wal-push` (archive_command) and `pg wal-fetch` (restore_command).
 *
 * wal-push returns (exit 0, which tells PostgreSQL it may recycle the segment) only after the
 * sealed segment and its signature are durably stored: the directory transport writes a temp
 * file, fsyncs it, verifies size and SHA-256, links it into place and fsyncs the directory;
 * remote transports verify the upload. A segment that is already archived is accepted again
 * only when its signed plaintext SHA-256 equals the local file's (PostgreSQL retries a push
 * whose acknowledgement was lost); a different file under the same name is refused
 * (PG_WAL_CONFLICT), as the PostgreSQL documentation asks of an archive_command.
 *
 * wal-fetch verifies the signature (and its binding to the segment's name) before decrypting,
 * checks the plaintext against the signed SHA-256, writes a temp file next to the target,
 * fsyncs, and renames it into place. A segment not in the archive exits with status 7
 * (PG_WAL_NOT_FOUND), which PostgreSQL reads as "end of archive" (any status ≤ 125).
 */
import { createHash, createPublicKey } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StrongroomError, isStrongroomError } from '../common/errors.js';
import type { VerificationKey } from '../ryde/keys.js';
import type { BackupArchive } from './archive.js';
import { openSealed, putSealed, putSigned, randomSuffix, readSigned, verifySealed, type OpenKeys, type SealKeys } from './sealed.js';
import { isSealedWal, walFileKind, walObjectName } from './wal.js';
import { removeOnAbort } from '../common/exit-cleanup.js';

export interface WalPushResult {
  wal: string;
  object: string;
  status: 'archived' | 'already-archived';
  size: number;
}

async function sha256File(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export async function walPush(archive: BackupArchive, path: string, walName: string | undefined, keys: SealKeys, options: { compressionLevel: number; spoolDir?: string }): Promise<WalPushResult> {
  const name = walName ?? basename(path);
  walFileKind(name);
  const relative = walObjectName(name);
  const object = archive.name(relative);
  const transport = archive.transport;
  const local = await sha256File(path).catch((err: NodeJS.ErrnoException) => {
    throw new StrongroomError('FILE_NOT_FOUND', `cannot read ${path}: ${err.message}`, { location: path, cause: err });
  });
  if (await transport.stat(`${object}.sig`)) {
    const verificationKeys: VerificationKey[] = [{ ...keys.signingKey, publicKey: createPublicKey(keys.signingKey.privateKey) }];
    const seal = await verifySealed(transport, object, relative, verificationKeys);
    if (seal.plaintextSha256 === local.sha256 && seal.plaintextSize === local.size) return { wal: name, object, status: 'already-archived', size: seal.size };
    throw new StrongroomError('PG_WAL_CONFLICT', `${name} is already archived with different contents (SHA-256 ${seal.plaintextSha256}, local ${local.sha256})`, { location: object });
  }
  // An object without its signature is an interrupted push: replace it.
  if (await transport.stat(object)) await transport.remove(object);
  let stored;
  if (isSealedWal(name)) {
    stored = await putSealed(transport, object, relative, createReadStream(path, { highWaterMark: 1 << 20 }), keys, { compressionLevel: options.compressionLevel, ...(options.spoolDir ? { spoolDir: options.spoolDir } : {}) });
  } else {
    stored = await putSigned(transport, object, relative, await readFile(path), keys.signingKey);
  }
  if (stored.plaintextSha256 !== local.sha256) {
    // The file changed while it was read: never acknowledge that.
    await transport.remove(`${object}.sig`).catch(() => undefined);
    await transport.remove(object).catch(() => undefined);
    throw new StrongroomError('PG_BACKUP_INTEGRITY', `${path} changed while it was archived`, { location: path });
  }
  return { wal: name, object, status: 'archived', size: stored.size };
}

export interface WalFetchResult {
  wal: string;
  object: string;
  target: string;
  size: number;
}

export async function walFetch(archive: BackupArchive, walName: string, target: string, keys: OpenKeys): Promise<WalFetchResult> {
  walFileKind(walName);
  const relative = walObjectName(walName);
  const object = archive.name(relative);
  if (!(await archive.transport.stat(object)) || !(await archive.transport.stat(`${object}.sig`))) {
    throw new StrongroomError('PG_WAL_NOT_FOUND', `${walName} is not in the archive`, { location: object });
  }
  const temp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomSuffix()}.strongroom-tmp`);
  const release = removeOnAbort(temp);
  const handle = await open(temp, 'wx', 0o600);
  let size = 0;
  try {
    try {
      if (isSealedWal(walName)) {
        for await (const chunk of await openSealed(archive.transport, object, relative, keys)) {
          await handle.write(chunk);
          size += chunk.length;
        }
      } else {
        const { data } = await readSigned(archive.transport, object, relative, keys.verificationKeys);
        await handle.write(data);
        size = data.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
    const dir = await open(dirname(target), 'r');
    await dir.sync().finally(() => dir.close());
    release();
  } catch (err) {
    await rm(temp, { force: true });
    release();
    if (isStrongroomError(err, 'TRANSPORT_NOT_FOUND')) throw new StrongroomError('PG_WAL_NOT_FOUND', `${walName} is not in the archive`, { location: object });
    throw err;
  }
  return { wal: walName, object, target, size };
}
