/**
 * Deposit output: buffered into ~1 MiB chunks (each awaited, which is the backpressure), hashed
 * and counted as written, and only given its final name(s) after pre-flight, without ever
 * replacing an existing file. Either a plain XML file (`DepositFile`: temporary name, fsync,
 * link) or sealed RyDE files (`SealedDeposit` in sealed-output.ts: the XML only ever exists
 * encrypted on disk). A deposit is therefore either absent or complete under its final
 * name(s); `discard()` removes the temporaries on every failure path.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { StrongroomError, messageOf } from '../common/errors.js';
import { syncDirectory } from '../common/fsync.js';

/** Characters buffered before a write: ~1 MiB (stack.md §4.1 measured 1 MiB chunks). */
export const CHUNK_CHARS = 1 << 20;

function ioError(err: unknown, what: string, path: string): StrongroomError {
  if (err instanceof StrongroomError) return err;
  return new StrongroomError('FILE_WRITE_FAILED', `cannot ${what} ${path}: ${messageOf(err)}`, { location: path, cause: err });
}

export async function fileExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw ioError(err, 'inspect', path);
  }
}

/**
 * Give `temp` the name `final` in the same directory, failing with DEPOSIT_TARGET_EXISTS when
 * `final` already exists (a hard link cannot replace a file; rename could, silently).
 */
export async function publishFile(temp: string, final: string): Promise<void> {
  try {
    await link(temp, final);
    await unlink(temp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new StrongroomError('DEPOSIT_TARGET_EXISTS', `${final} already exists; refusing to replace it`, { location: final });
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
      // No hard links here: check, then rename (a race with another writer is then possible).
      if (await fileExists(final)) throw new StrongroomError('DEPOSIT_TARGET_EXISTS', `${final} already exists; refusing to replace it`, { location: final });
      await rename(temp, final).catch((e: unknown) => {
        throw ioError(e, 'rename into', final);
      });
    } else throw ioError(err, 'link', final);
  }
  await syncDirectory(join(final, '..')).catch((err: unknown) => {
    throw ioError(err, 'sync directory of', final);
  });
}

function tempNameFor(dir: string, finalName: string): string {
  return join(dir, `.${finalName}.${randomBytes(6).toString('hex')}.partial`);
}

/** Write a small file (a findings report) completely under a temporary name, then publish it. */
export async function writeFileAtomically(dir: string, finalName: string, content: string): Promise<string> {
  const temp = tempNameFor(dir, finalName);
  const final = join(dir, finalName);
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await publishFile(temp, final);
    return final;
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw ioError(err, 'write', final);
  }
}

/**
 * The bytes of a deposit being written: append text; the sink encodes it to UTF-8 in ~1 MiB
 * chunks, hashes and counts them, and hands each chunk to `emit` (awaited: the backpressure).
 * Then `finish()` and `publish()`, or `discard()` on any failure.
 */
export abstract class DepositSink {
  private parts: string[] = [];
  private buffered = 0;
  private buffer = Buffer.allocUnsafe(CHUNK_CHARS * 3 + 65536);
  private bytesWritten = 0;
  private readonly hash: Hash = createHash('sha256');

  /** Where the published deposit is (the XML file, or the first sealed part). */
  abstract readonly finalPath: string;

  /** Take one encoded chunk; `chunk` is reused after the returned promise settles. */
  protected abstract emit(chunk: Buffer): Promise<void>;
  /** After the last chunk: make what was emitted durable. */
  protected abstract close(): Promise<void>;
  abstract publish(): Promise<void>;
  abstract discard(): Promise<void>;

  /** Append text; call `flush()` whenever `full` (it is what applies backpressure). */
  write(text: string): void {
    this.parts.push(text);
    this.buffered += text.length;
  }

  /** True when a chunk's worth of text is waiting. */
  get full(): boolean {
    return this.buffered >= CHUNK_CHARS;
  }

  async flush(): Promise<void> {
    if (this.parts.length === 0) return;
    // UTF-8 takes at most 3 bytes per UTF-16 code unit: encode the parts straight into one
    // reused buffer (no joined string, no fresh buffer per chunk).
    if (this.buffer.length < this.buffered * 3) this.buffer = Buffer.allocUnsafe(this.buffered * 3);
    let length = 0;
    for (const part of this.parts) length += this.buffer.write(part, length, 'utf8');
    const chunk = this.buffer.subarray(0, length);
    this.parts = [];
    this.buffered = 0;
    await this.emitCounted(chunk);
  }

  /** Append bytes already encoded (UTF-8), after any text written before them. */
  async writeBytes(bytes: Buffer): Promise<void> {
    await this.flush();
    await this.emitCounted(bytes);
  }

  /**
   * Append many slices of encoded bytes (rendered objects), gathered into the reused chunk
   * buffer: one hash update and one write per ~3 MiB, and no buffer allocated for them.
   */
  async writeParts(parts: readonly Buffer[]): Promise<void> {
    await this.flush();
    let length = 0;
    for (const part of parts) {
      if (length + part.length > this.buffer.length) {
        if (length > 0) await this.emitCounted(this.buffer.subarray(0, length));
        length = 0;
        if (part.length > this.buffer.length) {
          await this.emitCounted(part);
          continue;
        }
      }
      length += part.copy(this.buffer, length);
    }
    if (length > 0) await this.emitCounted(this.buffer.subarray(0, length));
  }

  private async emitCounted(bytes: Buffer): Promise<void> {
    this.hash.update(bytes);
    this.bytesWritten += bytes.length;
    await this.emit(bytes);
  }

  /** Flush the rest and close; the bytes and SHA-256 of everything written. */
  async finish(): Promise<{ bytes: number; sha256: string }> {
    await this.flush();
    await this.close();
    return { bytes: this.bytesWritten, sha256: this.hash.digest('hex') };
  }
}

/** A deposit XML file: temporary name, fsynced, then its final name (never replacing a file). */
export class DepositFile extends DepositSink {
  private handle: FileHandle | null;

  private constructor(
    readonly tempPath: string,
    readonly finalPath: string,
    handle: FileHandle,
  ) {
    super();
    this.handle = handle;
  }

  static async create(dir: string, finalName: string): Promise<DepositFile> {
    const final = join(dir, finalName);
    if (await fileExists(final)) throw new StrongroomError('DEPOSIT_TARGET_EXISTS', `${final} already exists; refusing to replace it`, { location: final });
    const temp = tempNameFor(dir, finalName);
    const handle = await open(temp, 'wx').catch((err: unknown) => {
      throw ioError(err, 'create', temp);
    });
    return new DepositFile(temp, final, handle);
  }

  protected async emit(chunk: Buffer): Promise<void> {
    try {
      let offset = 0;
      while (offset < chunk.length) offset += (await this.handle!.write(chunk, offset)).bytesWritten;
    } catch (err) {
      throw ioError(err, 'write', this.tempPath);
    }
  }

  protected async close(): Promise<void> {
    try {
      await this.handle!.sync();
      await this.handle!.close();
    } catch (err) {
      throw ioError(err, 'sync', this.tempPath);
    }
    this.handle = null;
  }

  /** Give the finished file its final name (never replacing an existing file). */
  async publish(): Promise<void> {
    await publishFile(this.tempPath, this.finalPath);
  }

  /** Remove the temporary file (safe to call on any path, any number of times). */
  async discard(): Promise<void> {
    if (this.handle) {
      await this.handle.close().catch(() => undefined);
      this.handle = null;
    }
    await unlink(this.tempPath).catch(() => undefined);
  }
}
