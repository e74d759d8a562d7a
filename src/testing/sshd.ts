/**
 * A real OpenSSH sshd for tests: its own sshd_config, host key, client key and authorized_keys
 * in a temporary directory, listening on a free loopback port, `Subsystem sftp internal-sftp`.
 * Runs as the current user (root works here: ../shared/docs/stack.md §4.8). `stop()` kills it
 * and removes the directory.
 *
 * Also `dropProxy`: a TCP proxy in front of a server that cuts connections after a chosen number
 * of client→server bytes — a dropped connection at a chosen offset, for fault tests.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { whichTool } from './tools.js';

export interface TestSshd {
  host: string;
  port: number;
  username: string;
  /** The directory the tests upload into (absolute path on this machine). */
  inbox: string;
  clientKey: Buffer;
  /** known_hosts line for 127.0.0.1:port. */
  knownHosts: string;
  /** `SHA256:…` fingerprint of the host key, as ssh-keygen -l prints it. */
  fingerprint: string;
  /** A second, unrelated host key's known_hosts line (for "changed key" tests). */
  otherKnownHosts: string;
  dir: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function keygen(path: string): void {
  const result = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'strongroom-test', '-f', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ssh-keygen failed: ${result.stderr}`);
}

async function waitForPort(port: number, child: ChildProcess, log: () => string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`sshd did not listen on ${port}: ${log()}`);
}

/** Start sshd; null when sshd or ssh-keygen is missing. */
export async function startSshd(): Promise<TestSshd | null> {
  const sshd = whichTool('sshd');
  if (!sshd || !whichTool('ssh-keygen')) return null;
  const dir = await mkdtemp(join(tmpdir(), 'sr-sshd-'));
  keygen(join(dir, 'host_ed25519'));
  keygen(join(dir, 'other_host_ed25519'));
  keygen(join(dir, 'client_ed25519'));
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_ed25519.pub')), { mode: 0o600 });
  const inbox = join(dir, 'inbox');
  await mkdir(inbox);
  // sshd needs its privilege-separation directory.
  await mkdir('/run/sshd', { recursive: true }).catch(() => undefined);
  const port = await freePort();
  const username = userInfo().username;
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    `AllowUsers ${username}`,
    'Subsystem sftp internal-sftp',
    'LogLevel ERROR',
    '',
  ].join('\n');
  await writeFile(join(dir, 'sshd_config'), config);
  let log = '';
  const child = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (log.length < 10000) log += chunk.toString();
  });
  try {
    await waitForPort(port, child, () => log);
  } catch (err) {
    child.kill();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const hostPub = (await readFile(join(dir, 'host_ed25519.pub'), 'utf8')).trim().split(/\s+/);
  const otherPub = (await readFile(join(dir, 'other_host_ed25519.pub'), 'utf8')).trim().split(/\s+/);
  const fingerprint = spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_ed25519.pub')], { encoding: 'utf8' }).stdout.split(/\s+/)[1] ?? '';
  return {
    host: '127.0.0.1',
    port,
    username,
    inbox,
    clientKey: await readFile(join(dir, 'client_ed25519')),
    knownHosts: `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`,
    otherKnownHosts: `[127.0.0.1]:${port} ${otherPub[0]} ${otherPub[1]}\n`,
    fingerprint,
    dir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface DropProxy {
  port: number;
  /** Cut the next connection(s) after this many client→server bytes; undefined: pass through. */
  dropAfter: number[];
  /** Connections cut so far. */
  drops: number;
  connections: number;
  close(): Promise<void>;
}

/** A TCP proxy to 127.0.0.1:targetPort whose connections are cut at chosen byte offsets. */
export async function dropProxy(targetPort: number): Promise<DropProxy> {
  const sockets = new Set<Socket>();
  const proxy: DropProxy = {
    port: 0,
    dropAfter: [],
    drops: 0,
    connections: 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    proxy.connections += 1;
    const limit = proxy.dropAfter.shift();
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    let forwarded = 0;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (limit !== undefined && forwarded + chunk.length >= limit) {
        upstream.write(chunk.subarray(0, Math.max(0, limit - forwarded)));
        proxy.drops += 1;
        cut();
        return;
      }
      forwarded += chunk.length;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', () => {
      upstream.end();
      sockets.delete(client);
    });
    upstream.on('close', () => {
      client.destroy();
      sockets.delete(upstream);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  return proxy;
}
