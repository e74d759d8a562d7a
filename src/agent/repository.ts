/**
 * The escrow agent's repository: the deposits exactly as received, content-addressed by
 * SHA-256, plus the verification reports and the audit log.
 *
 *     <repo>/objects/sha256/<first 2 hex>/<64 hex>   received files (.ryde / .sig), mode 0444
 *     <repo>/reports/<tld>/<deposit key>/verify-<n>.json|.txt   verification reports
 *     <repo>/audit.log                                  hash-chained audit log (audit.ts)
 *
 * Writes go to a temporary name in the target directory, are fsynced, then linked into place
 * (never replacing a file) and the directory fsynced, so a crash leaves either nothing or a
 * complete object. An object already present with the same hash is not written again: the
 * store is idempotent. Objects are ciphertext and signatures only: nothing decrypted is ever
 * stored here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { StrongroomError, messageOf } from '../common/errors.js';
import { syncDirectory } from '../common/fsync.js';

const SHA256_RE = /^[0-9a-f]{64}$/;

export interface StoredObject {
  sha256: string;
  size: number;
  /** False when an identical object was already stored. */
  created: boolean;
}

export class Repository {
  constructor(readonly root: string) {}

  async init(): Promise<void> {
    await mkdir(join(this.root, 'objects', 'sha256'), { recursive: true, mode: 0o700 });
    await mkdir(join(this.root, 'reports'), { recursive: true, mode: 0o700 });
  }

  objectPath(sha256: string): string {
    if (!SHA256_RE.test(sha256)) throw new StrongroomError('AGENT_INVALID_ARGUMENT', `"${sha256}" is not a SHA-256 hex digest`);
    return join(this.root, 'objects', 'sha256', sha256.slice(0, 2), sha256);
  }

  get auditPath(): string {
    return join(this.root, 'audit.log');
  }

  /** Write a temp file in `dir` from `source`, hashing it; returns the temp path. */
  private async spoolTemp(dir: string, source: AsyncIterable<Buffer> | Iterable<Buffer>): Promise<{ temp: string; sha256: string; size: number }> {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temp = join(dir, `.incoming.${process.pid}.${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const handle = await open(temp, 'wx', 0o600);
    try {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        await handle.write(chunk);
      }
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    await handle.close();
    return { temp, sha256: hash.digest('hex'), size };
  }

  /**
   * Store a stream as an object. With `expected`, a different hash is refused
   * (AGENT_OBJECT_MISMATCH) and nothing is kept.
   */
  async put(source: AsyncIterable<Buffer> | Readable, expected?: string): Promise<StoredObject> {
    const incoming = join(this.root, 'objects', 'incoming');
    let spooled: { temp: string; sha256: string; size: number };
    try {
      spooled = await this.spoolTemp(incoming, source);
    } catch (err) {
      if (err instanceof StrongroomError) throw err;
      throw new StrongroomError('FILE_WRITE_FAILED', `cannot store an object in ${this.root}: ${messageOf(err)}`, { location: this.root, cause: err });
    }
    const { temp, sha256, size } = spooled;
    try {
      if (expected !== undefined && expected !== sha256) {
        throw new StrongroomError('AGENT_OBJECT_MISMATCH', `received bytes hash to ${sha256}, expected ${expected}`, { location: this.root });
      }
      const final = this.objectPath(sha256);
      await mkdir(dirname(final), { recursive: true, mode: 0o700 });
      await chmod(temp, 0o444);
      let created = true;
      try {
        await link(temp, final);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        created = false;
      }
      if (created) await syncDirectory(dirname(final));
      return { sha256, size, created };
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async has(sha256: string): Promise<boolean> {
    return (await stat(this.objectPath(sha256)).catch(() => null))?.isFile() ?? false;
  }

  /** A stream of a stored object (AGENT_OBJECT_MISSING when absent). */
  async open(sha256: string): Promise<Readable> {
    const path = this.objectPath(sha256);
    if (!(await this.has(sha256))) throw new StrongroomError('AGENT_OBJECT_MISSING', `object ${sha256} is missing from the repository`, { location: path });
    return createReadStream(path);
  }

  /** Re-hash a stored object: true when its content still matches its name. */
  async check(sha256: string): Promise<boolean> {
    const hash = createHash('sha256');
    for await (const chunk of await this.open(sha256)) hash.update(chunk as Buffer);
    return hash.digest('hex') === sha256;
  }

  async remove(sha256: string): Promise<void> {
    const path = this.objectPath(sha256);
    await unlink(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await syncDirectory(dirname(path)).catch(() => undefined);
  }

  reportDir(tld: string, key: string): string {
    return join(this.root, 'reports', tld, key);
  }

  /** Write a small file atomically (temp + fsync + link, never replacing). */
  async writeFile(path: string, content: string | Buffer): Promise<void> {
    const { temp } = await this.spoolTemp(dirname(path), [Buffer.from(content)]);
    try {
      await link(temp, path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'EEXIST') throw new StrongroomError('AGENT_TARGET_EXISTS', `${path} already exists; not replacing it`, { location: path });
        throw err;
      });
      await syncDirectory(dirname(path));
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async readText(path: string): Promise<string> {
    return readFile(path, 'utf8');
  }
}
