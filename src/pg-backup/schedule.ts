/**
 * Running the configured schedules (`strongroom pg run-due`, started every few minutes by cron,
 * a systemd timer or the scheduler daemon): which jobs are due, from what the archive holds.
 *
 * A job is due when its schedule fired (the latest firing at or before now) after the job was
 * last done:
 *   full     the newest base backup's start (its manifest in the archive),
 *   logical  the newest logical backup's start,
 *   drill    the newest drill report's start (a failed drill counts as done: it is reported,
 *            not repeated every tick),
 *   expire   the last run recorded in the state directory (`<stateDir>/pg-<cluster>/expire.json`).
 * The archive is the record, so a backup taken by hand, or by another host writing to the same
 * archive, counts; a backup that failed leaves no manifest and is tried again at the next tick.
 * Missed firings (downtime) collapse into one run. Jobs run in the order full, logical, expire,
 * drill, so a drill due together with a backup drills the new backup.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { StrongroomError, messageOf } from '../common/errors.js';
import { nextRun, type PgBackupConfig } from './config.js';

export type PgJob = 'full' | 'logical' | 'expire' | 'drill';

/** Run order within one tick. */
export const JOB_ORDER: readonly PgJob[] = ['full', 'logical', 'expire', 'drill'];

export const JOB_COMMANDS: Readonly<Record<PgJob, string>> = { full: 'pg backup', logical: 'pg backup --logical', expire: 'pg expire', drill: 'pg drill' };

/** The latest time at or before `now` at which `spec` fires (UTC). */
export function previousRun(spec: string, now: Date): Date {
  // Every schedule form fires at least once in any 32 days (monthly days are 1–28).
  let cursor = new Date(now.getTime() - 32 * 86_400_000);
  let previous: Date | null = null;
  for (;;) {
    const next = nextRun(spec, cursor);
    if (next.getTime() > now.getTime()) break;
    previous = next;
    cursor = next;
  }
  if (!previous) throw new StrongroomError('CONFIG_INVALID', `schedule "${spec}" never fires`);
  return previous;
}

export interface JobStatus {
  job: PgJob;
  schedule: string;
  command: string;
  /** The latest firing at or before now. */
  previous: string;
  next: string;
  /** When the job was last done (null: never). */
  lastDone: string | null;
  due: boolean;
}

/** Status of every configured job, in run order. */
export function jobStatuses(schedules: PgBackupConfig['schedules'], lastDone: Partial<Record<PgJob, Date | null>>, now: Date): JobStatus[] {
  const out: JobStatus[] = [];
  for (const job of JOB_ORDER) {
    const spec = schedules[job];
    if (spec === undefined) continue;
    const previous = previousRun(spec, now);
    const done = lastDone[job] ?? null;
    out.push({
      job,
      schedule: spec,
      command: JOB_COMMANDS[job],
      previous: previous.toISOString(),
      next: nextRun(spec, now).toISOString(),
      lastDone: done ? done.toISOString() : null,
      due: done === null || done.getTime() < previous.getTime(),
    });
  }
  return out;
}

/** Where run-due keeps its lock and the expire record. */
export function pgStateDir(config: PgBackupConfig, configFile: string): string {
  return join(config.stateDir ?? join(configFile, '..', '.strongroom-state'), `pg-${config.cluster}`);
}

interface ExpireRecord {
  lastRun: string;
}

export async function lastExpire(stateDir: string): Promise<Date | null> {
  let text: string;
  try {
    text = await readFile(join(stateDir, 'expire.json'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StrongroomError('PG_STATE_UNREADABLE', `cannot read ${join(stateDir, 'expire.json')}: ${messageOf(err)}`, { location: stateDir });
  }
  try {
    const at = new Date((JSON.parse(text) as ExpireRecord).lastRun);
    if (Number.isNaN(at.getTime())) throw new Error('no lastRun');
    return at;
  } catch (err) {
    throw new StrongroomError('PG_STATE_UNREADABLE', `${join(stateDir, 'expire.json')} is damaged (${messageOf(err)}): remove it to have expire run at the next tick`, { location: stateDir });
  }
}

/** Record an expire run: temp file, fsync, rename. */
export async function recordExpire(stateDir: string, at: Date): Promise<void> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const path = join(stateDir, 'expire.json');
  const temp = `${path}.tmp-${process.pid}`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify({ lastRun: at.toISOString() } satisfies ExpireRecord)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}
