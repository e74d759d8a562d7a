/**
 * Temporary files of sealing and opening: named so they can be found, removed on every exit
 * path we can see, and swept on the next run for the one we cannot (SIGKILL, power loss).
 *
 * - Names: `.<final name>.<pid>.<random>.strongroom-tmp` next to the final file (so the
 *   final rename is atomic and on the same file system), or `spool.<pid>.<random>.strongroom-tmp`
 *   in the spool directory.
 * - Removal: explicitly by the code that created them (success and error paths); on process
 *   `exit`; on SIGINT, SIGTERM and SIGHUP (removed, then the signal is re-raised so the exit
 *   status still says "killed by a signal").
 * - Sweep: `sweepStaleTemps(dir)` removes temp files whose process is gone; seal, unseal and
 *   the spool call it on the directories they use.
 * - What is in them: sealing's temp files hold only ciphertext (parts, signatures) or the
 *   encrypted spool (spool.ts; its key lives only in the process's memory), so a file that
 *   survives a SIGKILL reveals nothing. Opening's temp file is the output on its way to its
 *   final name, in the output directory the operator chose for the plaintext.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { link, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { tmpdir } from 'node:os';
import { StrongroomError, messageOf } from '../common/errors.js';
import { onAbort } from '../common/exit-cleanup.js';

export const TEMP_SUFFIX = '.strongroom-tmp';
const TEMP_RE = /\.(\d+)\.[0-9a-f]{16}\.strongroom-tmp$/;

const live = new Set<string>();
let hooked = false;

function removeAllSync(): void {
  for (const path of live) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
  live.clear();
}

/** Removal on exit and on SIGINT/SIGTERM/SIGHUP, through the process-wide cleanup hooks. */
function hook(): void {
  if (hooked) return;
  hooked = true;
  onAbort(removeAllSync);
}

/** A temp path next to `finalPath`, registered for removal. */
export function tempPathFor(finalPath: string): string {
  hook();
  const path = join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
  live.add(path);
  return path;
}

/** A temp path in `dir` with a fixed stem, registered for removal. */
export function tempPathIn(dir: string, stem: string): string {
  hook();
  const path = join(dir, `${stem}.${process.pid}.${randomBytes(8).toString('hex')}${TEMP_SUFFIX}`);
  live.add(path);
  return path;
}

/** Remove a temp file (if present) and forget it. */
export async function removeTemp(path: string): Promise<void> {
  live.delete(path);
  await unlink(path).catch(() => undefined);
}

/**
 * Move a finished temp file to its final name without ever replacing an existing file
 * (link, then unlink the temp): RYDE_TARGET_EXISTS if the name is taken.
 */
export async function publishTemp(path: string, finalPath: string): Promise<void> {
  try {
    await link(path, finalPath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StrongroomError('RYDE_TARGET_EXISTS', `${finalPath} already exists; not replacing it`, { location: finalPath });
    throw new StrongroomError('FILE_WRITE_FAILED', `cannot create ${finalPath}: ${messageOf(err)}`, { location: finalPath, cause: err });
  }
  await removeTemp(path);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove temp files in `dir` left by processes that no longer run. Returns what was removed. */
export function sweepStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const match = TEMP_RE.exec(entry);
    if (!match || processAlive(Number(match[1]))) continue;
    const path = join(dir, entry);
    try {
      if (statSync(path).isFile()) {
        rmSync(path, { force: true });
        removed.push(path);
      }
    } catch {
      // raced with another sweeper
    }
  }
  return removed;
}

/** The spool directory: $STRONGROOM_SPOOL_DIR or <tmpdir>/strongroom-spool-<uid>, mode 0700. */
export function spoolDirectory(): string {
  const dir = process.env.STRONGROOM_SPOOL_DIR ?? join(tmpdir(), `strongroom-spool-${process.getuid?.() ?? 'user'}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
