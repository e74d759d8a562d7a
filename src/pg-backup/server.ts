/**
 * Temporary PostgreSQL servers (drills, and the dedicated test clusters of the tests): run as
 * the `postgres` OS user when we are root (postgres refuses to run as root), on a free
 * loopback port, with the Unix socket in a private directory.
 */
import { readFileSync } from 'node:fs';
import { chown, readdir, lstat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { StrongroomError } from '../common/errors.js';
import { runProgram } from './process.js';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
}

/** The account the PostgreSQL programs run as: `postgres` when we are root, else ourselves. */
export function serverUser(name = 'postgres'): OsUser | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith(`${name}:`));
  if (!line) throw new StrongroomError('TOOL_MISSING', `running as root, but there is no "${name}" user to run PostgreSQL as`);
  const fields = line.split(':');
  return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** A free TCP port on 127.0.0.1 (asked of the kernel; released just before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** chown -R without following symlinks. */
export async function chownTree(path: string, user: OsUser | undefined): Promise<void> {
  if (!user) return;
  await chown(path, user.uid, user.gid);
  const info = await lstat(path);
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path)) {
    const child = join(path, entry);
    const childInfo = await lstat(child);
    if (childInfo.isSymbolicLink()) continue;
    if (childInfo.isDirectory()) await chownTree(child, user);
    else await chown(child, user.uid, user.gid);
  }
}

export interface ServerHandle {
  dataDir: string;
  port: number;
  socketDir: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  binDir: string;
  dataDir: string;
  socketDir: string;
  logFile: string;
  port: number;
  /** `-c name=value` settings on the command line (they override the configuration files). */
  settings?: Record<string, string>;
  user?: OsUser | undefined;
  /** Seconds pg_ctl waits for the server to accept connections. */
  timeoutSeconds?: number;
}

function quoteOption(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

export async function startServer(options: StartOptions): Promise<ServerHandle> {
  const settings = { listen_addresses: '127.0.0.1', port: String(options.port), unix_socket_directories: options.socketDir, ...options.settings };
  const serverOptions = Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${quoteOption(value)}`)
    .join(' ');
  const run = { ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}), cwd: '/' };
  await runProgram(`${options.binDir}/pg_ctl`, ['-D', options.dataDir, '-l', options.logFile, '-o', serverOptions, '-w', '-t', String(options.timeoutSeconds ?? 600), 'start'], run).catch((err: unknown) => {
    let log = '';
    try {
      log = readFileSync(options.logFile, 'utf8').split('\n').slice(-15).join('\n');
    } catch {
      /* no log */
    }
    throw new StrongroomError('PG_SERVER_FAILED', `the PostgreSQL server in ${options.dataDir} did not start: ${err instanceof Error ? err.message : String(err)}\n${log}`, { location: options.dataDir, cause: err });
  });
  let stopped = false;
  return {
    dataDir: options.dataDir,
    port: options.port,
    socketDir: options.socketDir,
    logFile: options.logFile,
    async stop() {
      if (stopped) return;
      stopped = true;
      await runProgram(`${options.binDir}/pg_ctl`, ['-D', options.dataDir, '-m', 'fast', '-w', 'stop'], run);
    },
  };
}
