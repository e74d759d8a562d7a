/**
 * SFTP transport (ssh2-sftp-client on ssh2): how deposits reach most escrow agents.
 *
 * - Key authentication only; the server's host key must be pinned (host-key.ts): an unknown or
 *   changed key is refused before anything is sent.
 * - Upload: the body comes from a local file (Body.path) or is spooled to an encrypted
 *   temporary file (spool.ts); it is written to `<dir>/.sr-tmp-<random>` by up to 16 parallel
 *   256 KiB writes — the pattern of ssh2's fastPut, which ran at ~200 MB/s where a streaming put
 *   ran at 1.8 MB/s (../shared/docs/stack.md §4.8). We issue the writes ourselves rather than
 *   calling fastPut because fastPut cannot resume: its writes complete out of order and it
 *   reports no per-chunk acknowledgement. We track the acknowledged prefix, so after a dropped
 *   connection the upload reconnects and continues from there (at most the chunks in flight are re-sent).
 * - Verification before the object becomes visible: the temporary file's size (fstat) and its
 *   SHA-256, computed by reading it back over the same connection (parallel ordered reads).
 *   Decision: read-back rather than a `sha256sum` check command, because escrow agents usually
 *   give SFTP-only accounts (ForceCommand internal-sftp) where no command can run; read-back
 *   works everywhere and checks what the server will actually serve. `verify: 'size'` skips it.
 * - Commit: `rename` (no overwrite; OpenSSH implements it with link(), which fails when the
 *   target exists, so a concurrent writer is never clobbered) or `posix-rename@openssh.com`
 *   (overwrite; atomic replacement). A lost acknowledgement of the rename is recognised on
 *   retry (the temporary is gone and the target has the expected size and hash).
 * - Connection and transfer errors are retryable; the put itself reconnects and resumes up to
 *   `resumeAttempts` times with jittered backoff (RetryTransport can wrap it for whole-operation
 *   retries of get/stat/list/remove).
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import SftpClient from 'ssh2-sftp-client';
import type { SFTPWrapper, Stats } from 'ssh2';
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import { checkHostKey, type HostKeyPins } from './host-key.js';
import { backoffDelay, isRetryable, type RetryPolicy } from './retry.js';
import { openLocalFile, sha256OfSource, spoolEncrypted, type RandomAccessSource } from './spool.js';
import { TEMP_PREFIX, validateName, type Body, type ObjectInfo, type PutOptions, type PutResult, type Transport } from './transport.js';

export interface SftpOptions {
  host: string;
  port?: number;
  username: string;
  /** The private key (OpenSSH or PEM format). Read from a file or the environment by the caller. */
  privateKey: Buffer | string;
  passphrase?: string;
  /** Pinned host key(s): required. */
  hostKey: HostKeyPins;
  /** Remote directory objects live under (absolute, or relative to the login directory). */
  root?: string;
  /** 'sha256' (default: read back and hash) or 'size' only. */
  verify?: 'sha256' | 'size';
  /**
   * Chunk size and parallel writes/reads. Defaults 256 KiB × 16: OpenSSH's largest read/write
   * (sftp-server's 256 KiB message limit), 4 MiB in flight. ssh2's fastPut uses 32 KiB × 64; on
   * loopback sshd the larger chunks measured 73 vs 50 MB/s for ours and 66 MB/s for fastPut
   * (64 MiB, one noisy run on a shared 2-core machine; docs/transports.md).
   */
  chunkSize?: number;
  concurrency?: number;
  /** Reconnect-and-resume attempts within one put, and their backoff (defaults: 6 attempts, 500 ms base, 30 s cap). */
  resume?: RetryPolicy;
  /** Where non-file bodies are spooled (encrypted); default the OS temporary directory. */
  spoolDir?: string;
  readyTimeoutMs?: number;
}

/** Figures of the last put, for tests and delivery reports. */
export interface SftpPutStats {
  connections: number;
  resumes: number;
  /** The acknowledged offset each resume continued from. */
  resumedFrom: number[];
  bytesSent: number;
  size: number;
}

// SFTP status codes (draft-ietf-secsh-filexfer-02 §7) that mean the request itself failed, not the connection.
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;
const SFTP_OP_UNSUPPORTED = 8;

type Connection = { client: SftpClient; sftp: SFTPWrapper; lost: boolean; gone: Promise<never> };

/** Settle with `promise`, or fail as soon as the connection closes (pending SFTP callbacks may never fire). */
function live<T>(conn: Connection, promise: Promise<T>): Promise<T> {
  return Promise.race([promise, conn.gone]);
}

function call<T>(fn: (cb: (err: Error | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err);
    }
  });
}

export class SftpTransport implements Transport {
  readonly kind = 'sftp';
  readonly description: string;
  lastPut: SftpPutStats | undefined;
  private connection: Promise<Connection> | null = null;
  private readonly port: number;
  private readonly root: string;
  private readonly chunkSize: number;
  private readonly concurrency: number;
  private readonly madeDirs = new Set<string>();

  constructor(private readonly options: SftpOptions) {
    this.port = options.port ?? 22;
    this.root = options.root ?? '.';
    this.chunkSize = options.chunkSize ?? 256 * 1024;
    this.concurrency = options.concurrency ?? 16;
    this.description = `sftp://${options.username}@${options.host}:${this.port}/${this.root.replace(/^\//, '')}`;
  }

  private remotePath(name: string): string {
    return posix.join(this.root, validateName(name));
  }

  /** A foreign error as a TRANSPORT_* error; connection-level failures are retryable. */
  private wrap(err: unknown, what: string, location: string, conn?: Connection): StrongroomError {
    if (isStrongroomError(err)) return err;
    const code = (err as { code?: unknown }).code;
    const permanent = typeof code === 'number' && [SFTP_NO_SUCH_FILE, SFTP_PERMISSION_DENIED, SFTP_FAILURE, SFTP_OP_UNSUPPORTED].includes(code) && !conn?.lost;
    return new StrongroomError('TRANSPORT_IO', `${what} on ${this.description}: ${messageOf(err)}`, { location, cause: err, data: { retryable: !permanent } });
  }

  private connect(): Promise<Connection> {
    if (this.connection) return this.connection;
    const attempt = (async (): Promise<Connection> => {
      let rejection: StrongroomError | undefined;
      const state: { conn?: Connection } = {};
      const onGone = () => {
        if (state.conn) state.conn.lost = true;
        if (this.connection === attempt) this.connection = null;
      };
      // Our own global listeners: the library's defaults print to the console.
      const client = new SftpClient('strongroom', { error: onGone, end: onGone, close: onGone });
      try {
        const sftp = (await client.connect({
          host: this.options.host,
          port: this.port,
          username: this.options.username,
          privateKey: this.options.privateKey,
          ...(this.options.passphrase === undefined ? {} : { passphrase: this.options.passphrase }),
          readyTimeout: this.options.readyTimeoutMs ?? 20000,
          // A peer that vanishes without closing the TCP connection is noticed within ~30 s.
          keepaliveInterval: 10000,
          keepaliveCountMax: 3,
          retries: 0,
          hostVerifier: (key: Buffer) => {
            const verdict = checkHostKey(this.options.host, this.port, key, this.options.hostKey);
            if (!verdict.ok) rejection = verdict.error;
            return verdict.ok;
          },
        } as SftpClient.ConnectOptions)) as unknown as SFTPWrapper;
        let markGone!: (err: Error) => void;
        const gone = new Promise<never>((_resolve, reject) => (markGone = reject));
        gone.catch(() => undefined);
        const underlying = (client as unknown as { client: import('node:events').EventEmitter }).client;
        const conn: Connection = { client, sftp, lost: false, gone };
        state.conn = conn;
        underlying.once('close', () => {
          conn.lost = true;
          if (this.connection === attempt) this.connection = null;
          markGone(Object.assign(new Error('connection lost'), { code: 'ECONNRESET' }));
        });
        return conn;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (rejection) throw rejection;
        const message = messageOf(err);
        if (/authentication methods failed|authentication failed/i.test(message)) {
          throw new StrongroomError('TRANSPORT_AUTH_FAILED', `${this.description}: the server refused our key (${message})`, { data: { retryable: false } });
        }
        throw new StrongroomError('TRANSPORT_CONNECT_FAILED', `cannot connect to ${this.description}: ${message}`, { cause: err, data: { retryable: true } });
      }
    })();
    this.connection = attempt;
    attempt.catch(() => {
      if (this.connection === attempt) this.connection = null;
    });
    return attempt;
  }

  /** Run one operation on a live connection, mapping errors (no retries here). */
  private async withConnection<T>(what: string, location: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
    const conn = await this.connect();
    try {
      return await live(conn, fn(conn));
    } catch (err) {
      const wrapped = this.wrap(err, what, location, conn);
      if (isRetryable(wrapped)) this.drop(conn);
      throw wrapped;
    }
  }

  private drop(conn: Connection): void {
    conn.lost = true;
    void this.connection?.then((current) => {
      if (current === conn) this.connection = null;
    });
    void conn.client.end().catch(() => undefined);
  }

  private async statRaw(sftp: SFTPWrapper, path: string): Promise<Stats | null> {
    try {
      return await call<Stats>((cb) => sftp.stat(path, cb));
    } catch (err) {
      if ((err as { code?: unknown }).code === SFTP_NO_SUCH_FILE) return null;
      throw err;
    }
  }

  private async mkdirs(conn: Connection, dir: string): Promise<void> {
    if (this.madeDirs.has(dir) || dir === '.' || dir === '/') return;
    const existing = await this.statRaw(conn.sftp, dir);
    if (!existing) {
      await this.mkdirs(conn, posix.dirname(dir));
      await call((cb) => conn.sftp.mkdir(dir, cb)).catch(async (err) => {
        // Created meanwhile by someone else is fine.
        if (!(await this.statRaw(conn.sftp, dir))?.isDirectory()) throw err;
      });
    } else if (!existing.isDirectory()) {
      throw new StrongroomError('TRANSPORT_IO', `${dir} on ${this.description} is not a directory`, { location: dir, data: { retryable: false } });
    }
    this.madeDirs.add(dir);
  }

  /** Write [watermark.at, size) of `source` to `handle`; `watermark.at` advances as writes are acknowledged in order. */
  private writeFrom(sftp: SFTPWrapper, handle: Buffer, source: RandomAccessSource, watermark: { at: number }, stats: SftpPutStats): Promise<void> {
    const chunk = this.chunkSize;
    return new Promise((resolve, reject) => {
      let next = watermark.at;
      let inFlight = 0;
      let failed = false;
      const acked = new Set<number>();
      const pump = () => {
        if (failed) return;
        if (next >= source.size && inFlight === 0) {
          resolve();
          return;
        }
        while (!failed && inFlight < this.concurrency && next < source.size) {
          const position = next;
          const length = Math.min(chunk, source.size - position);
          next += length;
          inFlight += 1;
          source
            .read(position, length)
            .then(
              (data) =>
                new Promise<void>((done, fail) => {
                  stats.bytesSent += data.length;
                  sftp.write(handle, data, 0, data.length, position, (err) => (err ? fail(err) : done()));
                }),
            )
            .then(
              () => {
                inFlight -= 1;
                acked.add(position);
                while (acked.has(watermark.at)) {
                  acked.delete(watermark.at);
                  watermark.at = Math.min(source.size, watermark.at + chunk);
                }
                pump();
              },
              (err: unknown) => {
                inFlight -= 1;
                if (!failed) {
                  failed = true;
                  reject(err);
                }
              },
            );
        }
      };
      pump();
    });
  }

  /** SHA-256 of a remote file by parallel reads hashed in order. */
  private async remoteSha256(sftp: SFTPWrapper, path: string, size: number): Promise<string> {
    const handle = await call<Buffer>((cb) => sftp.open(path, 'r', cb));
    const hash = createHash('sha256');
    try {
      const chunk = this.chunkSize;
      const pending: Array<Promise<Buffer>> = [];
      let next = 0;
      const readAt = async (position: number, length: number): Promise<Buffer> => {
        const buffer = Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const got = await call<number>((cb) => sftp.read(handle, buffer, filled, length - filled, position + filled, (err, bytesRead) => cb(err, bytesRead)));
          if (!got) throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${path}: read back ended at ${position + filled} of ${size} bytes`, { location: path });
          filled += got;
        }
        return buffer;
      };
      const issue = () => {
        while (pending.length < this.concurrency && next < size) {
          const length = Math.min(chunk, size - next);
          const promise = readAt(next, length);
          promise.catch(() => undefined);
          pending.push(promise);
          next += length;
        }
      };
      issue();
      while (pending.length > 0) {
        hash.update(await pending.shift()!);
        issue();
      }
    } finally {
      await call((cb) => sftp.close(handle, cb)).catch(() => undefined);
    }
    return hash.digest('hex');
  }

  async put(name: string, body: Body, options: PutOptions = {}): Promise<PutResult> {
    const target = this.remotePath(name);
    const dir = posix.dirname(target);
    const temp = posix.join(dir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const stats: SftpPutStats = { connections: 0, resumes: 0, resumedFrom: [], bytesSent: 0, size: 0 };
    this.lastPut = stats;
    if (!options.overwrite && (await this.stat(name))) {
      throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`, { location: target });
    }
    let source: RandomAccessSource;
    try {
      source = body.path ? await openLocalFile(body.path) : await spoolEncrypted(await body.open(), this.options.spoolDir);
    } catch (err) {
      if (isStrongroomError(err)) throw err;
      throw new StrongroomError('TRANSPORT_IO', `cannot read the body of ${name}: ${messageOf(err)}`, { cause: err, data: { retryable: true } });
    }
    try {
      stats.size = source.size;
      if (body.size !== undefined && body.size !== source.size) {
        throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: the body has ${source.size} bytes, expected ${body.size}`, { location: target });
      }
      const expected = body.sha256 ?? source.sha256 ?? (await sha256OfSource(source));
      if (source.sha256 !== undefined && body.sha256 !== undefined && source.sha256 !== body.sha256) {
        throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: SHA-256 ${source.sha256} does not match the expected ${body.sha256}`, { location: target });
      }
      return await this.upload(name, target, temp, source, expected, options, stats);
    } finally {
      await source.close();
    }
  }

  private async upload(name: string, target: string, temp: string, source: RandomAccessSource, expected: string, options: PutOptions, stats: SftpPutStats): Promise<PutResult> {
    const policy: RetryPolicy = { attempts: 6, baseDelayMs: 500, maxDelayMs: 30000, ...this.options.resume };
    const wait = policy.sleep ?? ((ms: number) => sleep(ms).then(() => undefined));
    const watermark = { at: 0 };
    let tempCreated = false;
    let lastConn: Connection | undefined;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const conn = await this.connect();
        if (conn !== lastConn) stats.connections += 1;
        lastConn = conn;
        try {
          const once = async (): Promise<PutResult> => {
            if (attempt > 1) stats.resumes += 1;
            await this.mkdirs(conn, posix.dirname(target));
            let tempInfo = tempCreated ? await this.statRaw(conn.sftp, temp) : null;
            if (tempCreated && !tempInfo) {
              // The temporary is gone: either our rename went through before the drop, or it was removed.
              const done = await this.statRaw(conn.sftp, target);
              if (done && done.size === source.size && (this.options.verify === 'size' || (await this.remoteSha256(conn.sftp, target, source.size)) === expected)) {
                return { name, size: source.size, sha256: expected };
              }
              watermark.at = 0;
            }
            if (tempInfo && tempInfo.size < watermark.at) watermark.at = 0;
            if (attempt > 1) stats.resumedFrom.push(tempInfo ? watermark.at : 0);
            const handle = await call<Buffer>((cb) => conn.sftp.open(temp, tempInfo ? 'r+' : 'w', cb));
            tempCreated = true;
            try {
              await this.writeFrom(conn.sftp, handle, source, watermark, stats);
              await call((cb) => conn.sftp.ext_openssh_fsync(handle, cb)).catch((err: { code?: unknown }) => {
                if (err.code !== SFTP_OP_UNSUPPORTED && !/not support/i.test(messageOf(err))) throw err;
              });
            } finally {
              await call((cb) => conn.sftp.close(handle, cb)).catch(() => undefined);
            }
            tempInfo = await this.statRaw(conn.sftp, temp);
            if (!tempInfo || tempInfo.size !== source.size) {
              watermark.at = 0;
              throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: the server holds ${tempInfo?.size ?? 'no'} bytes, expected ${source.size}`, { location: temp });
            }
            if (this.options.verify !== 'size') {
              const actual = await this.remoteSha256(conn.sftp, temp, source.size);
              if (actual !== expected) {
                throw new StrongroomError('TRANSPORT_VERIFY_FAILED', `${name}: the server's copy has SHA-256 ${actual}, expected ${expected}`, { location: temp });
              }
            }
            if (options.overwrite) {
              await call((cb) => conn.sftp.ext_openssh_rename(temp, target, cb));
            } else {
              await call((cb) => conn.sftp.rename(temp, target, cb)).catch(async (err) => {
                if (!conn.lost && (await this.statRaw(conn.sftp, target))) {
                  throw new StrongroomError('TRANSPORT_EXISTS', `${name} already exists in ${this.description}`, { location: target });
                }
                throw err;
              });
            }
            tempCreated = false;
            return { name, size: source.size, sha256: expected };
          };
          return await live(conn, once());
        } catch (err) {
          const wrapped = this.wrap(err, `upload of ${name}`, target, conn);
          if (isRetryable(wrapped)) this.drop(conn);
          throw wrapped;
        }
      } catch (err) {
        if (!isRetryable(err) || attempt >= (policy.attempts ?? 6)) {
          if (tempCreated) await this.removeQuietly(temp);
          if (isRetryable(err)) {
            throw new StrongroomError('TRANSPORT_RETRIES_EXHAUSTED', `upload of ${name} to ${this.description}: gave up after ${attempt} connection attempts: ${err.message}`, {
              cause: err,
              location: target,
              data: { retryable: true, attempts: attempt },
            });
          }
          throw err;
        }
        const delayMs = backoffDelay(attempt, policy);
        policy.onRetry?.({ operation: 'put', name, attempt, delayMs, error: err });
        await wait(delayMs);
      }
    }
  }

  private async removeQuietly(path: string): Promise<void> {
    try {
      const conn = await this.connect();
      await call((cb) => conn.sftp.unlink(path, cb));
    } catch {
      // Best effort: a leftover temporary is never listed and never taken for a deposit.
    }
  }

  async get(name: string): Promise<Readable> {
    const path = this.remotePath(name);
    return this.withConnection(`get ${name}`, path, async (conn) => {
      const info = await this.statRaw(conn.sftp, path);
      if (!info?.isFile()) throw new StrongroomError('TRANSPORT_NOT_FOUND', `${name} not found in ${this.description}`, { location: path, data: { retryable: false } });
      const size = info.size;
      const handle = await call<Buffer>((cb) => conn.sftp.open(path, 'r', cb));
      const chunk = this.chunkSize;
      const window = Math.min(this.concurrency, 16);
      const readAt = async (position: number, length: number): Promise<Buffer> => {
        const buffer = Buffer.allocUnsafe(length);
        let filled = 0;
        while (filled < length) {
          const got = await call<number>((cb) => conn.sftp.read(handle, buffer, filled, length - filled, position + filled, (err, bytesRead) => cb(err, bytesRead)));
          if (!got) throw new StrongroomError('TRANSPORT_IO', `${name}: ended at ${position + filled} of ${size} bytes`, { location: path, data: { retryable: true } });
          filled += got;
        }
        return buffer;
      };
      const transport = this;
      return Readable.from(
        (async function* () {
          const pending: Array<Promise<Buffer>> = [];
          let next = 0;
          try {
            while (next < size || pending.length > 0) {
              while (pending.length < window && next < size) {
                const promise = readAt(next, Math.min(chunk, size - next));
                promise.catch(() => undefined);
                pending.push(promise);
                next += Math.min(chunk, size - next);
              }
              yield await pending.shift()!;
            }
          } catch (err) {
            throw transport.wrap(err, `get ${name}`, path, conn);
          } finally {
            await call((cb) => conn.sftp.close(handle, cb)).catch(() => undefined);
          }
        })(),
      );
    });
  }

  async stat(name: string): Promise<ObjectInfo | null> {
    const path = this.remotePath(name);
    return this.withConnection(`stat ${name}`, path, async (conn) => {
      const info = await this.statRaw(conn.sftp, path);
      return info?.isFile() ? { name, size: info.size, modified: new Date(info.mtime * 1000) } : null;
    });
  }

  async *list(prefix = ''): AsyncIterable<ObjectInfo> {
    // Walk from the deepest directory the prefix names, so a prefix does not scan the whole tree.
    const slash = prefix.lastIndexOf('/');
    const start = slash >= 0 ? prefix.slice(0, slash) : '';
    if (start) validateName(start);
    const transport = this;
    const walk = async function* (relative: string): AsyncGenerator<ObjectInfo> {
      const dir = relative ? posix.join(transport.root, relative) : transport.root;
      const entries = await transport.withConnection(`list ${relative || '/'}`, dir, async (conn) => {
        try {
          return await call<Array<{ filename: string; attrs: Stats }>>((cb) => conn.sftp.readdir(dir, cb));
        } catch (err) {
          if ((err as { code?: unknown }).code === SFTP_NO_SUCH_FILE) return [];
          throw err;
        }
      });
      entries.sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0));
      for (const entry of entries) {
        if (entry.filename === '.' || entry.filename === '..' || entry.filename.startsWith(TEMP_PREFIX)) continue;
        const name = relative ? `${relative}/${entry.filename}` : entry.filename;
        if (entry.attrs.isDirectory()) {
          if (prefix.startsWith(`${name}/`) || name.startsWith(prefix) || `${name}/`.startsWith(prefix)) yield* walk(name);
        } else if (entry.attrs.isFile() && name.startsWith(prefix)) {
          yield { name, size: entry.attrs.size, modified: new Date(entry.attrs.mtime * 1000) };
        }
      }
    };
    yield* walk(start);
  }

  async remove(name: string): Promise<void> {
    const path = this.remotePath(name);
    await this.withConnection(`remove ${name}`, path, async (conn) => {
      await call((cb) => conn.sftp.unlink(path, cb)).catch((err: { code?: unknown }) => {
        if (err.code !== SFTP_NO_SUCH_FILE) throw err;
      });
    });
  }

  async close(): Promise<void> {
    const pending = this.connection;
    this.connection = null;
    if (!pending) return;
    const conn = await pending.catch(() => null);
    if (conn) await conn.client.end().catch(() => undefined);
  }
}
