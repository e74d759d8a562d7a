/**
 * The daemon's durable state: one JSON record per deposit job (its cursors: which of
 * stage → seal → deliver → report → notify are done, with their results) and one per TLD (where
 * the catch-up starts). Records are replaced atomically (temporary file, fsync, rename, fsync of
 * the directory), so a crash leaves either the old or the new record, never half of one.
 *
 * A step is recorded done only after its effect is durable; a crash between the effect and the
 * record makes the daemon run the step again, so every step is idempotent (a deposit already
 * written for the snapshot is reused, an upload already present with the same SHA-256 counts as
 * delivered, …). Together this gives each step exactly once per deposit.
 */
import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StrongroomError } from '../common/errors.js';
import type { PlannedJob, ScheduledType } from './calendar.js';

/** Spec 2 pipeline order (§4 sealing, §6 delivery, §7 reporting), then the notification. */
export const STEP_ORDER = ['stage', 'seal', 'deliver', 'report', 'notify'] as const;
export type StepName = (typeof STEP_ORDER)[number];

export interface StepRecord {
  at: string;
  result: Record<string, unknown>;
}

export interface JobError {
  step: StepName;
  code: string;
  message: string;
  at: string;
}

export interface JobRecord {
  key: string;
  tld: string;
  type: ScheduledType;
  date: string;
  watermark: string;
  deadline: string;
  /** Spec 2 §5 `R{rev}` / RFC 8909 `resend`. */
  resend: number;
  steps: Partial<Record<StepName, StepRecord>>;
  /** Failed attempts since the last success of a step (drives the backoff). */
  attempts: number;
  nextAttempt?: string;
  lastError?: JobError;
  /** Events already announced (failure:<step>:<attempt>, overdue), so none is sent twice. */
  announced: string[];
  /**
   * Set when a step failed in a way no retry can mend (an unhonourable watermark, a deposit type
   * this version cannot write, a broken chain): the job is not tried again until `resend`.
   */
  abandoned?: JobError;
  /**
   * What a step recorded durably before an effect it cannot undo (e.g. "about to PUT the
   * report"), so that a resumed step can find out whether the effect already happened.
   */
  checkpoints?: Partial<Record<StepName, Record<string, unknown>>>;
}

export interface TldCursor {
  tld: string;
  /** The first watermark date the daemon considers (older jobs are done or out of scope). */
  from: string;
}

export function newJobRecord(job: PlannedJob): JobRecord {
  return {
    key: job.key,
    tld: job.tld,
    type: job.type,
    date: job.date,
    watermark: job.watermark,
    deadline: job.deadline.toISOString(),
    resend: 0,
    steps: {},
    attempts: 0,
    announced: [],
  };
}

export function isComplete(record: JobRecord): boolean {
  return STEP_ORDER.every((s) => record.steps[s] !== undefined);
}

export function isAbandoned(record: JobRecord): boolean {
  return record.abandoned !== undefined && !isComplete(record);
}

export function nextStep(record: JobRecord): StepName | null {
  return STEP_ORDER.find((s) => record.steps[s] === undefined) ?? null;
}

const KEY = /^[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*_\d{4}-\d{2}-\d{2}_(full|diff|thin)$/;
const TLD = /^[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*$/;

async function writeJsonAtomically(dir: string, name: string, value: unknown): Promise<void> {
  const temp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, join(dir, name));
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

async function readJson<T>(path: string): Promise<T | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StrongroomError('FILE_NOT_FOUND', `cannot read scheduler state ${path}: ${(err as Error).message}`, { location: path });
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new StrongroomError('SCHEDULER_STATE_INVALID', `scheduler state ${path} is not valid JSON: ${(err as Error).message}`, { location: path });
  }
}

/** The state directory: `jobs/<key>.json` and `tlds/<tld>.json`. */
export class StateStore {
  constructor(readonly dir: string) {}

  private get jobsDir(): string {
    return join(this.dir, 'jobs');
  }

  private get tldsDir(): string {
    return join(this.dir, 'tlds');
  }

  async init(): Promise<this> {
    await mkdir(this.jobsDir, { recursive: true });
    await mkdir(this.tldsDir, { recursive: true });
    return this;
  }

  async getJob(key: string): Promise<JobRecord | null> {
    if (!KEY.test(key)) throw new StrongroomError('USAGE', `not a job key ({tld}_{YYYY-MM-DD}_{full|diff|thin}): "${key}"`);
    return readJson<JobRecord>(join(this.jobsDir, `${key}.json`));
  }

  async putJob(record: JobRecord): Promise<void> {
    if (!KEY.test(record.key)) throw new StrongroomError('INTERNAL', `bad job key "${record.key}"`);
    await writeJsonAtomically(this.jobsDir, `${record.key}.json`, record);
  }

  /** Every job record of a TLD (or all), in watermark order. */
  async listJobs(tld?: string): Promise<JobRecord[]> {
    const names = (await readdir(this.jobsDir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    const out: JobRecord[] = [];
    for (const name of names) {
      const record = await readJson<JobRecord>(join(this.jobsDir, name));
      if (record && (tld === undefined || record.tld === tld)) out.push(record);
    }
    return out.sort((a, b) => a.watermark.localeCompare(b.watermark) || typeOrder(a.type) - typeOrder(b.type));
  }

  async getCursor(tld: string): Promise<TldCursor | null> {
    if (!TLD.test(tld)) throw new StrongroomError('USAGE', `not a TLD (A-label): "${tld}"`);
    return readJson<TldCursor>(join(this.tldsDir, `${tld}.json`));
  }

  async putCursor(cursor: TldCursor): Promise<void> {
    await writeJsonAtomically(this.tldsDir, `${cursor.tld}.json`, cursor);
  }
}

function typeOrder(t: ScheduledType): number {
  return t === 'full' ? 0 : t === 'diff' ? 1 : 2;
}
