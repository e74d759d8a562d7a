/**
 * RyDE layer 6: splitting the OpenPGP message into processed files (Spec 2 Part A §4 step 4)
 * and joining them again.
 *
 * Writer: the message bytes go to `S1`, `S2`, … temp files of at most `splitSize` bytes each
 * (one part when no limit is given or the message fits), each hashed for its detached
 * signature while it is written (signature.ts). Writes are coalesced to 1 MiB.
 *
 * Reader: the unsealer first *hashes* every part through an open file handle, checking its
 * signature and recording a SHA-256 per 4 MiB block (`hashPart`); the joined stream
 * (`readVerifiedParts`) then re-reads the same handles and releases a block only when its
 * digest matches the one recorded in the verified pass (RYDE_PART_CHANGED otherwise), so no
 * byte reaches the decryptor that the signatures did not cover, even if a file is rewritten
 * between the two passes. The digests cost 32 bytes per 4 MiB of ciphertext.
 */
import { createHash, webcrypto, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StrongroomError, messageOf } from '../common/errors.js';
import { type DepositName, formatDepositName } from './naming.js';
import { type SignatureHash, startSignatureHash } from './signature.js';
import { removeTemp, tempPathFor } from './temp.js';

const WRITE_BUFFER = 1 << 20;
export const VERIFY_BLOCK = 4 << 20;

export interface WrittenPart {
  /** Part number (S#). */
  part: number;
  /** Final file name of the part (.ryde). */
  fileName: string;
  finalPath: string;
  tempPath: string;
  size: number;
  /** SHA-256 of the part's bytes (for reports). */
  sha256: string;
  /** Hash state for the signature, fed with exactly the part's bytes. */
  signatureHash: SignatureHash;
}

export interface SplitWriterOptions {
  outDir: string;
  name: DepositName;
  /** Largest part in bytes; undefined = never split. */
  splitSize?: number;
  /** Signature version the parts will get (4 or 6: decides the salted hash). */
  signatureVersion: 4 | 6;
  /** Called with each ciphertext byte count written (progress). */
  onBytes?: (n: number) => void;
}

/**
 * Consume the message and write the parts to temp files. Returns the parts (still under
 * temp names). On error every temp file written so far is removed.
 */
export async function writeParts(source: AsyncIterable<Buffer>, options: SplitWriterOptions): Promise<WrittenPart[]> {
  const limit = options.splitSize ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 1)) throw new StrongroomError('RYDE_INVALID_ARGUMENT', `split size must be a positive number of bytes, got ${options.splitSize}`);
  const parts: WrittenPart[] = [];
  let current: { handle: FileHandle; part: WrittenPart; digest: Hash; buffer: Buffer; filled: number } | undefined;

  const flush = async (): Promise<void> => {
    if (!current || current.filled === 0) return;
    const data = current.buffer.subarray(0, current.filled);
    current.part.signatureHash.hash.update(data);
    current.digest.update(data);
    await current.handle.write(data);
    options.onBytes?.(data.length);
    current.buffer = Buffer.allocUnsafe(WRITE_BUFFER);
    current.filled = 0;
  };
  const close = async (): Promise<void> => {
    if (!current) return;
    await flush();
    await current.handle.sync();
    await current.handle.close();
    current.part.sha256 = current.digest.digest('hex');
    current = undefined;
  };
  const next = async (): Promise<void> => {
    const number = parts.length + 1;
    const fileName = formatDepositName({ ...options.name, part: number }, 'ryde');
    const finalPath = join(options.outDir, fileName);
    const tempPath = tempPathFor(finalPath);
    const part: WrittenPart = { part: number, fileName, finalPath, tempPath, size: 0, sha256: '', signatureHash: startSignatureHash(options.signatureVersion) };
    parts.push(part);
    let handle: FileHandle;
    try {
      handle = await open(tempPath, 'wx', 0o600);
    } catch (err) {
      throw new StrongroomError('FILE_WRITE_FAILED', `cannot create ${tempPath}: ${messageOf(err)}`, { location: tempPath, cause: err });
    }
    current = { handle, part, digest: createHash('sha256'), buffer: Buffer.allocUnsafe(WRITE_BUFFER), filled: 0 };
  };

  try {
    for await (const chunk of source) {
      let data = chunk;
      while (data.length > 0) {
        if (!current) await next();
        const target = current!;
        const room = Math.min(limit - target.part.size, WRITE_BUFFER - target.filled);
        const used = Math.min(room, data.length);
        data.copy(target.buffer, target.filled, 0, used);
        target.filled += used;
        target.part.size += used;
        data = data.subarray(used);
        if (target.filled === WRITE_BUFFER) await flush();
        if (target.part.size === limit) await close();
      }
    }
    await close();
    if (parts.length === 0) throw new StrongroomError('INTERNAL', 'the encoder produced no bytes');
    return parts;
  } catch (err) {
    if (current) await current.handle.close().catch(() => undefined);
    for (const part of parts) await removeTemp(part.tempPath);
    throw err;
  }
}

/** A part opened for unsealing: the handle stays open from the verify pass to the decode pass. */
export interface PartHandle {
  path: string;
  handle: FileHandle;
  size: number;
  /** SHA-256 per VERIFY_BLOCK, filled by `hashPart`. */
  blockDigests: Buffer[];
}

export async function openPart(path: string): Promise<PartHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new StrongroomError('FILE_NOT_FOUND', `cannot open ${path}: ${messageOf(err)}`, { location: path, cause: err });
  }
  const { size } = await handle.stat();
  return { path, handle, size, blockDigests: [] };
}

async function readBlock(part: PartHandle, position: number): Promise<Buffer> {
  const length = Math.min(VERIFY_BLOCK, part.size - position);
  const block = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await part.handle.read(block, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new StrongroomError('RYDE_PART_CHANGED', `${part.path} became shorter while it was being read`, { location: part.path });
    filled += bytesRead;
  }
  return block;
}

/** The part's blocks in order, the next one read ahead while the caller works on the current one. */
async function* readBlocks(part: PartHandle): AsyncGenerator<Buffer> {
  let position = 0;
  let next: Promise<Buffer> | undefined = part.size > 0 ? readBlock(part, 0) : undefined;
  while (next) {
    const block = await next;
    position += block.length;
    next = position < part.size ? readBlock(part, position) : undefined;
    next?.catch(() => undefined);
    yield block;
  }
}

/** SHA-256 of a block on the thread pool (WebCrypto), off the main thread. */
async function blockDigest(block: Buffer): Promise<Buffer> {
  return Buffer.from(await webcrypto.subtle.digest('SHA-256', block));
}

/** The verify pass: feed the part into `hash` and record its block digests. */
export async function hashPart(part: PartHandle, hash: Hash, onBytes?: (n: number) => void): Promise<void> {
  part.blockDigests = [];
  // At most two block digests run on the pool while the main thread hashes for the signature;
  // waiting for the older one keeps memory at a few blocks whatever the part size.
  let pending: Promise<Buffer> | undefined;
  for await (const block of readBlocks(part)) {
    if (pending) part.blockDigests.push(await pending);
    pending = blockDigest(block);
    pending.catch(() => undefined);
    hash.update(block);
    onBytes?.(block.length);
  }
  if (pending) part.blockDigests.push(await pending);
}

/** The decode pass: the parts joined in order, each block released only if unchanged. */
export async function* readVerifiedParts(parts: readonly PartHandle[], onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  for (const part of parts) {
    const { size } = await part.handle.stat();
    if (size !== part.size) throw new StrongroomError('RYDE_PART_CHANGED', `${part.path} changed size after its signature was verified`, { location: part.path });
    let index = 0;
    for await (const block of readBlocks(part)) {
      const expected = part.blockDigests[index];
      if (!expected || !(await blockDigest(block)).equals(expected)) {
        throw new StrongroomError('RYDE_PART_CHANGED', `${part.path} changed after its signature was verified (block ${index})`, { location: part.path });
      }
      index++;
      onBytes?.(block.length);
      yield block;
    }
    if (index !== part.blockDigests.length) throw new StrongroomError('RYDE_PART_CHANGED', `${part.path} changed after its signature was verified`, { location: part.path });
  }
}
