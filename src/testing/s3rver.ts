/**
 * A real S3-compatible server for tests: s3rver (npm) spawned as its own process on a free
 * loopback port, with a fresh data directory and one bucket. `stop()` kills it and removes
 * the directory. s3rver's fixed credentials are S3RVER / S3RVER.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from './paths.js';
import { freePort } from './sshd.js';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

export const S3RVER_BIN = resolve(PROJECT_ROOT, 'node_modules/s3rver/bin/s3rver.js');

/** Start s3rver; null when the package is not installed. */
export async function startS3rver(bucket = 'strongroom-test'): Promise<TestS3 | null> {
  if (!existsSync(S3RVER_BIN)) return null;
  const dir = await mkdtemp(join(tmpdir(), 'sr-s3rver-'));
  const port = await freePort();
  let log = '';
  const child = spawn(process.execPath, [S3RVER_BIN, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '-s', '--configure-bucket', bucket], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => void (log.length < 10000 && (log += chunk.toString())));
  child.stderr?.on('data', (chunk: Buffer) => void (log.length < 10000 && (log += chunk.toString())));
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt += 1) {
    if (child.exitCode !== null || attempt > 200) {
      await stop();
      throw new Error(`s3rver did not start on ${port}: ${log}`);
    }
    const up = await new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (up) break;
    await sleep(50);
  }
  return { endpoint: `http://127.0.0.1:${port}`, bucket, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, stop };
}
