/**
 * One daemon per state directory: an exclusive lock file holding the owner's pid and host.
 * A lock left by a process that no longer exists (on this host) is taken over; a live owner makes
 * the second daemon fail with SCHEDULER_LOCKED (exit status "refused"), so two daemons never run
 * the same job.
 */
import { hostname } from 'node:os';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StrongroomError } from '../common/errors.js';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DaemonLock {
  private constructor(
    readonly path: string,
    private readonly token: string,
  ) {}

  static async acquire(dir: string, now: Date = new Date()): Promise<DaemonLock> {
    const path = join(dir, 'daemon.lock');
    const owner: LockOwner = { pid: process.pid, host: hostname(), since: now.toISOString() };
    const token = JSON.stringify(owner);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(path, 'wx');
        try {
          await handle.writeFile(token);
          await handle.sync();
        } finally {
          await handle.close();
        }
        return new DaemonLock(path, token);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const held = await readFile(path, 'utf8').catch(() => '');
      let other: LockOwner | null = null;
      try {
        other = JSON.parse(held) as LockOwner;
      } catch {
        other = null;
      }
      if (other && (other.host !== hostname() || alive(other.pid))) {
        throw new StrongroomError('SCHEDULER_LOCKED', `another daemon holds ${path} (pid ${other.pid} on ${other.host} since ${other.since})`, { location: path });
      }
      // Stale (owner gone) or unreadable: move it aside atomically, then retry once.
      await rename(path, `${path}.stale`).catch(() => undefined);
      await unlink(`${path}.stale`).catch(() => undefined);
    }
    throw new StrongroomError('SCHEDULER_LOCKED', `could not take ${path}`, { location: path });
  }

  async release(): Promise<void> {
    const held = await readFile(this.path, 'utf8').catch(() => null);
    if (held === this.token) await unlink(this.path).catch(() => undefined);
  }
}
