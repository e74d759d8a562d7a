/**
 * Random-access local sources for parallel uploads (SFTP writes many chunks at once, at any
 * offset, and re-sends ranges after a reconnect).
 *
 * - `openLocalFile`: the body is already a local file (Body.path).
 * - `spoolEncrypted`: any other body is spooled to a temporary file encrypted with AES-256-CTR
 *   under a random key that lives only in memory, so no plaintext lands on disk; CTR mode lets
 *   any range be decrypted on its own (counter = IV + offset/16). The file is 0600 and removed
 *   by `close()` on every exit path.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface RandomAccessSource {
  readonly size: number;
  /** SHA-256 of the plaintext when computed while spooling. */
  readonly sha256?: string;
  /** Exactly `length` bytes at `position` (fewer only at the end). */
  read(position: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

async function readFully(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

export async function openLocalFile(path: string): Promise<RandomAccessSource> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  return {
    size,
    read: (position, length) => readFully(handle, position, Math.min(length, size - position)),
    close: () => handle.close(),
  };
}

/** SHA-256 of a random-access source, read in order. */
export async function sha256OfSource(source: RandomAccessSource): Promise<string> {
  const hash = createHash('sha256');
  for (let position = 0; position < source.size; position += 1 << 20) hash.update(await source.read(position, 1 << 20));
  return hash.digest('hex');
}

/** The CTR counter block for a byte offset: IV + offset/16 as a 128-bit big-endian sum. */
function counterAt(iv: Buffer, offset: number): Buffer {
  const counter = Buffer.from(iv);
  let carry = Math.floor(offset / 16);
  for (let index = 15; index >= 0 && carry > 0; index -= 1) {
    const sum = counter[index]! + (carry % 256);
    counter[index] = sum % 256;
    carry = Math.floor(carry / 256) + Math.floor(sum / 256);
  }
  return counter;
}

export async function spoolEncrypted(stream: Readable, dir = tmpdir()): Promise<RandomAccessSource> {
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const path = join(dir, `.sr-spool-${randomBytes(8).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(stream, measure, createCipheriv('aes-256-ctr', key, iv), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    const handle = await open(path, 'r');
    const sha256 = hash.digest('hex');
    return {
      size,
      sha256,
      async read(position, length) {
        const cipher = await readFully(handle, position, Math.min(length, size - position));
        const decipher = createDecipheriv('aes-256-ctr', key, counterAt(iv, position));
        const skip = position % 16;
        if (skip) decipher.update(Buffer.alloc(skip));
        return Buffer.concat([decipher.update(cipher), decipher.final()]);
      },
      async close() {
        await handle.close().catch(() => undefined);
        await rm(path, { force: true });
      },
    };
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
