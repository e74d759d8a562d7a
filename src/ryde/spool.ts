/**
 * The encrypted spool: where the deposit writer stages an XML deposit to learn its size for
 * the tar header (tar.ts) without putting registry data on disk in the clear.
 *
 * The bytes are cut into 1 MiB chunks, each sealed with AES-256-GCM under a random key that
 * exists only in this process's memory (nonce = 4 zero bytes ‖ 64-bit chunk index; associated
 * data = chunk index ‖ "last chunk" flag, so chunks cannot be reordered, dropped or cut off
 * unnoticed). The file lives in the spool directory (temp.ts: mode 0700, swept of files whose
 * process is gone) and is removed by `dispose()`, on exit and on SIGINT/SIGTERM/SIGHUP; after a
 * SIGKILL what remains is ciphertext whose key died with the process.
 *
 * Usage:
 *     const spool = await openEncryptedSpool();
 *     try {
 *       await pipeline(xmlChunks, spool.writable);      // or spool.writable.write()/end()
 *       await sealDeposit({ name, size: spool.size, source: () => spool.read() }, options);
 *     } finally {
 *       await spool.dispose();
 *     }
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { StrongroomError } from '../common/errors.js';
import { removeTemp, spoolDirectory, sweepStaleTemps, tempPathIn } from './temp.js';

const SPOOL_CHUNK = 1 << 20;
const TAG_LENGTH = 16;

export interface EncryptedSpool {
  /** Path of the (encrypted) spool file. */
  readonly path: string;
  /** Write the plaintext here; ending it seals the last chunk. */
  readonly writable: Writable;
  /** Plaintext bytes written (final once `writable` finished). */
  readonly size: number;
  /** The plaintext again, decrypted and authenticated chunk by chunk; may be called repeatedly. */
  read(): AsyncGenerator<Buffer>;
  /** Remove the spool file (idempotent). */
  dispose(): Promise<void>;
}

function nonce(index: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeBigUInt64BE(BigInt(index), 4);
  return out;
}

function ad(index: number, last: boolean): Buffer {
  const out = Buffer.alloc(9);
  out.writeBigUInt64BE(BigInt(index), 0);
  out[8] = last ? 1 : 0;
  return out;
}

export async function openEncryptedSpool(options: { dir?: string } = {}): Promise<EncryptedSpool> {
  const dir = options.dir ?? spoolDirectory();
  if (options.dir) await mkdir(dir, { recursive: true, mode: 0o700 });
  sweepStaleTemps(dir);
  const key = randomBytes(32);
  const path = tempPathIn(dir, 'spool');
  let handle: FileHandle | undefined = await open(path, 'wx', 0o600);
  let size = 0;
  let chunks = 0;
  let finished = false;
  let disposed = false;
  let pending: Buffer[] = [];
  let pendingLength = 0;

  const seal = async (plain: Buffer, last: boolean): Promise<void> => {
    const cipher = createCipheriv('aes-256-gcm', key, nonce(chunks), { authTagLength: TAG_LENGTH });
    cipher.setAAD(ad(chunks, last));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    await handle!.write(sealed);
    chunks++;
  };

  const writable = new Writable({
    highWaterMark: SPOOL_CHUNK,
    async write(chunk: Buffer, _encoding, callback) {
      try {
        let data = chunk;
        size += data.length;
        while (data.length > 0) {
          const used = Math.min(SPOOL_CHUNK - pendingLength, data.length);
          pending.push(data.subarray(0, used));
          pendingLength += used;
          data = data.subarray(used);
          if (pendingLength === SPOOL_CHUNK) {
            const full = Buffer.concat(pending, pendingLength);
            pending = [];
            pendingLength = 0;
            await seal(full, false);
          }
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    async final(callback) {
      try {
        await seal(Buffer.concat(pending, pendingLength), true);
        pending = [];
        pendingLength = 0;
        await handle!.close();
        handle = undefined;
        finished = true;
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
  });

  async function* read(): AsyncGenerator<Buffer> {
    if (!finished) throw new StrongroomError('INTERNAL', 'the spool is read before its writer finished');
    if (disposed) throw new StrongroomError('INTERNAL', 'the spool was disposed');
    const reader = await open(path, 'r');
    try {
      let position = 0;
      for (let index = 0; index < chunks; index++) {
        const last = index === chunks - 1;
        const plainLength = last ? size - index * SPOOL_CHUNK : SPOOL_CHUNK;
        const sealed = Buffer.allocUnsafe(plainLength + TAG_LENGTH);
        const { bytesRead } = await reader.read(sealed, 0, sealed.length, position);
        if (bytesRead !== sealed.length) throw new StrongroomError('RYDE_SPOOL_CORRUPT', 'the spool file is shorter than what was written', { location: path });
        position += sealed.length;
        const decipher = createDecipheriv('aes-256-gcm', key, nonce(index), { authTagLength: TAG_LENGTH });
        decipher.setAAD(ad(index, last));
        decipher.setAuthTag(sealed.subarray(plainLength));
        const plain = decipher.update(sealed.subarray(0, plainLength));
        try {
          decipher.final();
        } catch {
          throw new StrongroomError('RYDE_SPOOL_CORRUPT', `spool chunk ${index} failed authentication`, { location: path });
        }
        yield plain;
      }
      const { size: fileSize } = await reader.stat();
      if (fileSize !== position) throw new StrongroomError('RYDE_SPOOL_CORRUPT', 'the spool file is longer than what was written', { location: path });
    } finally {
      await reader.close();
    }
  }

  return {
    path,
    writable,
    get size() {
      return size;
    },
    read,
    async dispose() {
      if (disposed) return;
      disposed = true;
      key.fill(0);
      if (handle) await handle.close().catch(() => undefined);
      handle = undefined;
      if (!writable.destroyed) writable.destroy();
      await removeTemp(path);
    },
  };
}
