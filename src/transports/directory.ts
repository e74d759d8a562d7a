/**
 * Directory transport: a local (or mounted) directory. Uploads go to a temporary file in the
 * target directory, are fsynced, verified (size, SHA-256), then renamed into place; the
 * directory is fsynced so the rename survives a crash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StrongroomError, messageOf } from '../common/errors.js';
import { TEMP_PREFIX, validateName, type Body, type ObjectInfo, type PutOptions, type PutResult, type Transport } from './transport.js';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class DirectoryTransport implements Transport {
  readonly kind = 'directory';
  readonly description: string;

  constructor(private readonly root: string) {
    this.description = `directory:${root}`;
  }

  private path(name: string): string {
    return join(this.root, ...validateName(name).split('/'));
  }

  async put(name: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    const target = this.path(name);
    const dir = dirname(target);
    await mkdir(dir, { recursive: true });
    if (!options.overwrite && (await this.stat(name))) {
      throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`, { location: target });
    }
    const temp = join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const measure = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(await body.open(), measure, createWriteStream(temp, { flags: 'wx' }));
      await fsyncPath(temp);
      const sha256 = hash.digest('hex');
      if (body.size !== undefined && body.size !== size) {
        throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: wrote ${size} bytes, expected ${body.size}`, { location: target });
      }
      if (body.sha256 !== undefined && body.sha256 !== sha256) {
        throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: SHA-256 ${sha256} does not match the expected ${body.sha256}`, { location: target });
      }
      if (options.overwrite) {
        // rename() replaces atomically: readers see the old or the new object, never neither.
        await rename(temp, target);
      } else {
        // link() fails when the target exists: no silent replacement even if a racing writer won.
        await link(temp, target).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`, { location: target });
          throw err;
        });
      }
      await fsyncPath(dir);
      return { name, size, sha256 };
    } catch (err) {
      if (err instanceof StrongroomError) throw err;
      throw new StrongroomError('TRANSPORT_IO', `cannot store ${name} in ${this.description}: ${messageOf(err)}`, { location: target, cause: err, data: { retryable: true } });
    } finally {
      await unlink(temp).catch(() => undefined);
    }
  }

  async get(name: string): Promise<Readable> {
    const path = this.path(name);
    const info = await stat(path).catch(() => null);
    if (!info?.isFile()) throw new StrongroomError('TRANSPORT_NOT_FOUND', `${name} not found in ${this.description}`, { location: path });
    return createReadStream(path);
  }

  async stat(name: string): Promise<ObjectInfo | null> {
    const info = await stat(this.path(name)).catch(() => null);
    return info?.isFile() ? { name, size: info.size, modified: info.mtime } : null;
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    const walk = async function* (dir: string, root: string): AsyncGenerator<ObjectInfo> {
      const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [];
        throw err;
      });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        if (entry.name.startsWith(TEMP_PREFIX)) continue;
        const full = join(dir, entry.name);
        if (entry.isDirectory()) yield* walk(full, root);
        else if (entry.isFile()) {
          const info = await stat(full);
          yield { name: relative(root, full).split(sep).join('/'), size: info.size, modified: info.mtime };
        }
      }
    };
    for await (const info of walk(this.root, this.root)) {
      if (info.name.startsWith(prefix)) yield info;
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.path(name), { force: true });
  }

  async close(): Promise<void> {}
}
