/**
 * A scripted SFTP server (ssh2 `Server`) over a real directory, for faults OpenSSH will not
 * produce on demand (pgBackRest's harness/libSsh2 idea): a connection cut after exactly N bytes
 * of WRITE data, a FAILURE status on the n-th write, slow replies, a server that acknowledges
 * writes but stores corrupted bytes, and a rename performed whose acknowledgement is lost.
 * It implements the requests the SFTP transport uses (STAT/LSTAT/FSTAT, MKDIR, OPEN, WRITE,
 * READ, CLOSE, RENAME, REMOVE, OPENDIR/READDIR, REALPATH).
 */
import { timingSafeEqual } from 'node:crypto';
import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readSync, readdirSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';

const { Server, utils } = ssh2;
const { STATUS_CODE, flagsToString } = utils.sftp;

export interface SftpFaults {
  /** Per connection, in order: cut it after this many bytes of WRITE data (undefined: no cut). */
  dropAfterWriteBytes?: Array<number | undefined>;
  /** Answer the n-th WRITE (1-based, over the server's life) with FAILURE. */
  failWrite?: number;
  /** Store every written chunk with its first byte flipped (while acknowledging success). */
  corrupt?: boolean;
  /** Delay of every WRITE reply in ms. */
  writeDelayMs?: number;
  /** Perform the n-th RENAME, then cut the connection without answering. */
  loseRenameAck?: number;
}

export interface FaultServer {
  port: number;
  /** known_hosts line for 127.0.0.1:port. */
  knownHosts: string;
  clientKey: string;
  root: string;
  faults: SftpFaults;
  counts: { connections: number; writes: number; renames: number; drops: number };
  close(): Promise<void>;
}

function attrsOf(stats: Stats) {
  return { mode: stats.mode, uid: stats.uid, gid: stats.gid, size: stats.size, atime: Math.floor(stats.atimeMs / 1000), mtime: Math.floor(stats.mtimeMs / 1000) };
}

function errnoStatus(err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return STATUS_CODE.NO_SUCH_FILE;
  if (code === 'EACCES' || code === 'EPERM') return STATUS_CODE.PERMISSION_DENIED;
  return STATUS_CODE.FAILURE;
}

export async function startFaultServer(root: string): Promise<FaultServer> {
  const hostKey = utils.generateKeyPairSync('ed25519');
  const clientKey = utils.generateKeyPairSync('ed25519');
  const allowed = utils.parseKey(clientKey.public);
  const hostPublic = utils.parseKey(hostKey.public);
  if (allowed instanceof Error || hostPublic instanceof Error) throw new Error('cannot parse generated keys');
  const state: FaultServer = {
    port: 0,
    knownHosts: '',
    clientKey: clientKey.private,
    root,
    faults: {},
    counts: { connections: 0, writes: 0, renames: 0, drops: 0 },
    close: async () => undefined,
  };
  const local = (path: string) => join(root, path.replace(/^\/+/, ''));
  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    const connection = state.counts.connections++;
    const dropAfter = state.faults.dropAfterWriteBytes?.[connection];
    let written = 0;
    let cutDone = false;
    const cut = () => {
      if (cutDone) return;
      cutDone = true;
      state.counts.drops += 1;
      client.end();
      (client as unknown as { _sock?: { destroy(): void } })._sock?.destroy();
    };
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey' || ctx.key.algo !== allowed.type || !timingSafeEqual(ctx.key.data, allowed.getPublicSSH())) return ctx.reject(['publickey']);
      if (ctx.signature && ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) return ctx.reject(['publickey']);
      ctx.accept();
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          const handles = new Map<number, { fd?: number; dir?: string[]; path: string }>();
          let nextHandle = 0;
          const handleOf = (buffer: Buffer) => handles.get(buffer.readUInt32BE(0));
          const newHandle = (entry: { fd?: number; dir?: string[]; path: string }) => {
            const id = nextHandle++;
            handles.set(id, entry);
            const buffer = Buffer.alloc(4);
            buffer.writeUInt32BE(id);
            return buffer;
          };
          const statRequest = (reqid: number, path: string) => {
            try {
              sftp.attrs(reqid, attrsOf(statSync(local(path))));
            } catch (err) {
              sftp.status(reqid, errnoStatus(err));
            }
          };
          sftp.on('STAT', statRequest);
          sftp.on('LSTAT', statRequest);
          sftp.on('REALPATH', (reqid, path) => sftp.name(reqid, [{ filename: path === '.' ? '/' : path, longname: path, attrs: {} as never }]));
          sftp.on('MKDIR', (reqid, path) => {
            try {
              mkdirSync(local(path));
              sftp.status(reqid, STATUS_CODE.OK);
            } catch (err) {
              sftp.status(reqid, errnoStatus(err));
            }
          });
          sftp.on('OPEN', (reqid, filename, flags) => {
            try {
              const mode = flagsToString(flags) ?? 'r';
              sftp.handle(reqid, newHandle({ fd: openSync(local(filename), mode), path: filename }));
            } catch (err) {
              sftp.status(reqid, errnoStatus(err));
            }
          });
          sftp.on('WRITE', (reqid, handle, offset, data) => {
            const entry = handleOf(handle);
            const count = ++state.counts.writes;
            if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
            if (cutDone) return;
            if (dropAfter !== undefined && written + data.length > dropAfter) {
              // Store the part that "arrived", then cut without acknowledging.
              writeSync(entry.fd, data.subarray(0, Math.max(0, dropAfter - written)), 0, Math.max(0, dropAfter - written), offset);
              return cut();
            }
            written += data.length;
            if (state.faults.failWrite === count) return sftp.status(reqid, STATUS_CODE.FAILURE, 'injected write failure');
            const stored = state.faults.corrupt ? Buffer.from(data) : data;
            if (state.faults.corrupt && stored.length > 0) stored[0] = stored[0]! ^ 0xff;
            writeSync(entry.fd, stored, 0, stored.length, offset);
            const reply = () => sftp.status(reqid, STATUS_CODE.OK);
            if (state.faults.writeDelayMs) setTimeout(reply, state.faults.writeDelayMs);
            else reply();
          });
          sftp.on('READ', (reqid, handle, offset, length) => {
            const entry = handleOf(handle);
            if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
            const buffer = Buffer.alloc(length);
            const got = readSync(entry.fd, buffer, 0, length, offset);
            if (got === 0) return sftp.status(reqid, STATUS_CODE.EOF);
            sftp.data(reqid, buffer.subarray(0, got));
          });
          sftp.on('FSTAT', (reqid, handle) => {
            const entry = handleOf(handle);
            if (entry?.fd === undefined) return sftp.status(reqid, STATUS_CODE.FAILURE);
            sftp.attrs(reqid, attrsOf(fstatSync(entry.fd)));
          });
          sftp.on('CLOSE', (reqid, handle) => {
            const entry = handleOf(handle);
            if (entry?.fd !== undefined) closeSync(entry.fd);
            handles.delete(handle.readUInt32BE(0));
            sftp.status(reqid, STATUS_CODE.OK);
          });
          sftp.on('RENAME', (reqid, from, to) => {
            const count = ++state.counts.renames;
            try {
              // Like OpenSSH: link + unlink, so an existing target is never replaced.
              linkSync(local(from), local(to));
              unlinkSync(local(from));
            } catch (err) {
              return sftp.status(reqid, errnoStatus(err));
            }
            if (state.faults.loseRenameAck === count) return cut();
            sftp.status(reqid, STATUS_CODE.OK);
          });
          sftp.on('REMOVE', (reqid, path) => {
            try {
              unlinkSync(local(path));
              sftp.status(reqid, STATUS_CODE.OK);
            } catch (err) {
              sftp.status(reqid, errnoStatus(err));
            }
          });
          sftp.on('OPENDIR', (reqid, path) => {
            try {
              sftp.handle(reqid, newHandle({ dir: readdirSync(local(path)), path }));
            } catch (err) {
              sftp.status(reqid, errnoStatus(err));
            }
          });
          sftp.on('READDIR', (reqid, handle) => {
            const entry = handleOf(handle);
            if (!entry?.dir || entry.dir.length === 0) return sftp.status(reqid, STATUS_CODE.EOF);
            const names = entry.dir.splice(0, entry.dir.length).map((filename) => {
              const stats = statSync(join(local(entry.path), filename));
              return { filename, longname: filename, attrs: attrsOf(stats) };
            });
            sftp.name(reqid, names);
          });
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.port = (server.address() as AddressInfo).port;
  state.knownHosts = `[127.0.0.1]:${state.port} ${hostPublic.type} ${hostPublic.getPublicSSH().toString('base64')}\n`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
