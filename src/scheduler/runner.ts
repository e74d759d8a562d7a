/**
 * The scheduler: runs each TLD's deposit calendar (./calendar.ts) through the steps
 * stage → seal → deliver → report → notify, each exactly once per deposit (./state.ts), in
 * watermark order, catching up missed days in order after downtime.
 *
 * Rules:
 * - A TLD's FULL/DIFF jobs form a chain (each DIFF's prevId is the deposit before it): a job
 *   runs only when every earlier chain job of that TLD is complete, so deposits are generated,
 *   delivered and reported in order. BRDA (thin) jobs stand alone.
 * - A failed step is retried with exponential backoff (`retry.baseMs` doubling up to
 *   `retry.maxMs`); an interruption (shutdown) is not a failure and costs no attempt. A step
 *   that must wait (an escrow agent's cooldown, TRANSPORT_COOLDOWN with `nextAllowed`) is
 *   deferred to that moment, also without costing an attempt.
 * - A failure that `permanent` says no retry can mend abandons the job (one failure event);
 *   the DIFFs after an abandoned chain job are abandoned too (SCHEDULER_CHAIN_BROKEN) up to the
 *   next FULL, which starts a new chain. `resend` reopens an abandoned job.
 * - A job not complete at its deadline raises one `overdue` event; each failure raises one
 *   `failure` event per attempt; each completed job one `complete` event (notifications hang
 *   off these through `onEvent`).
 * - Time comes from a `Clock`, so tests drive weeks of schedule with a simulated clock.
 */
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import { noProgress, type Progress } from '../common/progress.js';
import { dueJobs, lastFullDate, nextJob, validateSchedule, type DepositSchedule, type PlannedJob } from './calendar.js';
import { STEP_ORDER, isAbandoned, isComplete, newJobRecord, nextStep, type JobError, type JobRecord, type StateStore, type StepName } from './state.js';

export interface Clock {
  now(): Date;
  /** Resolve after `ms` or when `signal` aborts, whichever comes first. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, Math.min(ms, 2 ** 31 - 1)));
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    }),
};

export interface StepContext {
  /** The job as recorded so far (results of earlier steps are in `record.steps`). */
  record: Readonly<JobRecord>;
  signal: AbortSignal;
  progress: Progress;
  /** The scheduler's clock (steps use it for file times, cooldowns, events). */
  now(): Date;
  /** Record `data` durably as this step's checkpoint (read back as `record.checkpoints[step]`). */
  checkpoint(data: Record<string, unknown>): Promise<void>;
}

/** A step returns a small JSON-able result that is recorded with it (paths, ids, hashes…). */
export type StepFunction = (ctx: StepContext) => Promise<Record<string, unknown>>;
export type JobSteps = Record<StepName, StepFunction>;

export type SchedulerEvent =
  | { kind: 'step'; key: string; step: StepName; result: Record<string, unknown> }
  | { kind: 'complete'; key: string }
  | { kind: 'failure'; key: string; step: StepName; code: string; message: string; attempt: number; abandoned: boolean }
  | { kind: 'overdue'; key: string; deadline: string };

export interface TldPlan {
  tld: string;
  schedule: DepositSchedule;
  /** First watermark date to consider when no state exists yet (default: the last FULL day). */
  since?: string;
}

export interface SchedulerOptions {
  tlds: readonly TldPlan[];
  store: StateStore;
  steps: JobSteps;
  clock?: Clock;
  onEvent?: (event: SchedulerEvent, record: Readonly<JobRecord>) => void | Promise<void>;
  retry?: { baseMs: number; maxMs: number };
  progress?: Progress;
  /** Whether a step's error is permanent (the job is abandoned instead of retried). */
  permanent?: (err: unknown) => boolean;
}

export interface TickSummary {
  /** Steps run to completion in this tick, as `key:step`. */
  ran: string[];
  failed: string[];
  complete: number;
  pending: number;
  abandoned: number;
}

const DEFAULT_RETRY = { baseMs: 60_000, maxMs: 3_600_000 };

export class Scheduler {
  private readonly clock: Clock;
  private readonly retry: { baseMs: number; maxMs: number };
  private readonly progress: Progress;

  constructor(private readonly options: SchedulerOptions) {
    for (const plan of options.tlds) validateSchedule(plan.schedule);
    const seen = new Set<string>();
    for (const plan of options.tlds) {
      if (seen.has(plan.tld)) throw new StrongroomError('CONFIG_INVALID', `TLD ${plan.tld} is scheduled twice`);
      seen.add(plan.tld);
    }
    this.clock = options.clock ?? systemClock;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.progress = options.progress ?? noProgress;
  }

  /** Run everything that is due now; returns when nothing more can run at this moment. */
  async tick(signal: AbortSignal = new AbortController().signal): Promise<TickSummary> {
    const summary: TickSummary = { ran: [], failed: [], complete: 0, pending: 0, abandoned: 0 };
    for (const plan of this.options.tlds) {
      if (signal.aborted) break;
      await this.tickTld(plan, signal, summary);
    }
    return summary;
  }

  private async startDate(plan: TldPlan): Promise<string> {
    const cursor = await this.options.store.getCursor(plan.tld);
    if (cursor) return cursor.from;
    const from = plan.since ?? lastFullDate(plan.schedule, this.clock.now());
    await this.options.store.putCursor({ tld: plan.tld, from });
    return from;
  }

  private async tickTld(plan: TldPlan, signal: AbortSignal, summary: TickSummary): Promise<void> {
    const { store } = this.options;
    const jobs = dueJobs(plan.tld, plan.schedule, await this.startDate(plan), this.clock.now());
    let chainBlocked = false;
    /** The chain job abandoned last, while no FULL has started a new chain since. */
    let brokenBy: string | null = null;
    let firstIncomplete: string | null = null;
    for (const job of jobs) {
      const chained = job.type !== 'thin';
      if (job.type === 'full' && !chainBlocked) brokenBy = null;
      let record = (await store.getJob(job.key)) ?? newJobRecord(job);
      if (!isComplete(record) && !isAbandoned(record)) {
        if (chained && brokenBy !== null && job.type === 'diff' && !chainBlocked) {
          record = await this.abandon(record, {
            step: nextStep(record) ?? 'stage',
            code: 'SCHEDULER_CHAIN_BROKEN',
            message: `the deposit before it in the chain (${brokenBy}) was abandoned; DIFFs resume after the next FULL (or resend ${brokenBy})`,
            at: this.clock.now().toISOString(),
          }, summary);
        } else {
          await this.checkOverdue(record);
          record = (await store.getJob(job.key)) ?? record;
          if (!(chained && chainBlocked) && !signal.aborted) record = await this.runJob(record, signal, summary);
        }
      }
      if (isComplete(record)) summary.complete++;
      else if (isAbandoned(record)) {
        summary.abandoned++;
        if (chained) brokenBy = record.key;
      } else {
        summary.pending++;
        firstIncomplete ??= job.date;
        if (chained) chainBlocked = true;
      }
    }
    // Advance the catch-up start past finished days (never past an incomplete job).
    const from = firstIncomplete ?? jobs.at(-1)?.date;
    if (from !== undefined) {
      const cursor = await store.getCursor(plan.tld);
      if (cursor && cursor.from < from) await store.putCursor({ tld: plan.tld, from });
    }
  }

  private async checkOverdue(record: JobRecord): Promise<void> {
    if (this.clock.now().getTime() <= Date.parse(record.deadline) || record.announced.includes('overdue')) return;
    const updated: JobRecord = { ...record, announced: [...record.announced, 'overdue'] };
    await this.options.store.putJob(updated);
    this.progress.warn(`${record.key}: overdue (deadline ${record.deadline})`);
    await this.emit({ kind: 'overdue', key: record.key, deadline: record.deadline }, updated);
  }

  private async runJob(record: JobRecord, signal: AbortSignal, summary: TickSummary): Promise<JobRecord> {
    const { store, steps } = this.options;
    if (record.nextAttempt !== undefined && Date.parse(record.nextAttempt) > this.clock.now().getTime()) return record;
    if ((await store.getJob(record.key)) === null) await store.putJob(record);
    for (let step = nextStep(record); step !== null; step = nextStep(record)) {
      if (signal.aborted) return record;
      let result: Record<string, unknown>;
      const current = step;
      const ctx: StepContext = {
        record,
        signal,
        progress: this.progress,
        now: () => this.clock.now(),
        checkpoint: async (data) => {
          record = { ...record, checkpoints: { ...record.checkpoints, [current]: data } };
          ctx.record = record;
          await store.putJob(record);
        },
      };
      this.progress.note(`${record.key}: ${step} (R${record.resend})`);
      try {
        result = await steps[step](ctx);
      } catch (err) {
        if (signal.aborted || isStrongroomError(err, 'INTERRUPTED')) return record;
        const error: JobError = {
          step,
          code: isStrongroomError(err) ? err.code : 'INTERNAL',
          message: messageOf(err),
          at: this.clock.now().toISOString(),
        };
        const deferTo = isStrongroomError(err, 'TRANSPORT_COOLDOWN') ? Date.parse(String(err.data?.nextAllowed)) : Number.NaN;
        if (Number.isFinite(deferTo) && deferTo > this.clock.now().getTime()) {
          record = { ...record, nextAttempt: new Date(deferTo).toISOString() };
          await store.putJob(record);
          this.progress.note(`${record.key}: ${step} waits until ${record.nextAttempt} (${error.code})`);
          return record;
        }
        if (this.options.permanent?.(err)) return this.abandon(record, error, summary);
        const attempts = record.attempts + 1;
        const delay = Math.min(this.retry.maxMs, this.retry.baseMs * 2 ** (attempts - 1));
        record = {
          ...record,
          attempts,
          lastError: error,
          nextAttempt: new Date(this.clock.now().getTime() + delay).toISOString(),
          announced: [...record.announced, `failure:${step}:${attempts}`],
        };
        await store.putJob(record);
        summary.failed.push(`${record.key}:${step}`);
        this.progress.warn(`${record.key}: ${step} failed (${error.code}), attempt ${attempts}; next try ${record.nextAttempt}`);
        await this.emit({ kind: 'failure', key: record.key, step, code: error.code, message: error.message, attempt: attempts, abandoned: false }, record);
        return record;
      }
      const { nextAttempt: _n, lastError: _e, ...rest } = record;
      record = { ...rest, attempts: 0, steps: { ...record.steps, [step]: { at: this.clock.now().toISOString(), result } } };
      await store.putJob(record);
      summary.ran.push(`${record.key}:${step}`);
      this.progress.note(`${record.key}: ${step} done`);
      await this.emit({ kind: 'step', key: record.key, step, result }, record);
    }
    await this.emit({ kind: 'complete', key: record.key }, record);
    return record;
  }

  private async abandon(record: JobRecord, error: JobError, summary: TickSummary): Promise<JobRecord> {
    const { nextAttempt: _n, ...rest } = record;
    const attempt = record.attempts + 1;
    const updated: JobRecord = { ...rest, attempts: attempt, lastError: error, abandoned: error, announced: [...record.announced, `failure:${error.step}:${attempt}`] };
    await this.options.store.putJob(updated);
    summary.failed.push(`${record.key}:${error.step}`);
    this.progress.warn(`${record.key}: ${error.step} failed (${error.code}) for good; abandoned until resent`);
    await this.emit({ kind: 'failure', key: record.key, step: error.step, code: error.code, message: error.message, attempt, abandoned: true }, updated);
    return updated;
  }

  private async emit(event: SchedulerEvent, record: JobRecord): Promise<void> {
    try {
      await this.options.onEvent?.(event, record);
    } catch (err) {
      // A notification hook must never break the job it reports on.
      this.progress.warn(`event hook failed for ${event.kind} ${event.key}: ${messageOf(err)}`);
    }
  }

  /** When the next thing can happen: the earliest next job or retry across TLDs. */
  async nextWake(): Promise<Date> {
    const now = this.clock.now();
    let wake = Number.POSITIVE_INFINITY;
    for (const plan of this.options.tlds) {
      wake = Math.min(wake, nextJob(plan.tld, plan.schedule, now).due.getTime());
      for (const record of await this.options.store.listJobs(plan.tld)) {
        if (!isComplete(record) && !isAbandoned(record) && record.nextAttempt !== undefined) wake = Math.min(wake, Date.parse(record.nextAttempt));
      }
    }
    return new Date(Math.max(wake, now.getTime()));
  }

  /** Run until `signal` aborts: tick, then sleep until the next job or retry is due. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.tick(signal);
      if (signal.aborted) break;
      const wake = await this.nextWake();
      await this.clock.sleep(wake.getTime() - this.clock.now().getTime(), signal);
    }
  }

  /**
   * Send a deposit again as `R{resend+1}` (Spec 2 §5): every step runs again for the same
   * watermark. Refused while the job has never been staged (nothing to resend).
   */
  async resend(key: string): Promise<JobRecord> {
    const record = await this.options.store.getJob(key);
    if (record === null || (record.steps.stage === undefined && !isAbandoned(record))) {
      throw new StrongroomError('SCHEDULER_NOTHING_TO_RESEND', `no deposit ${key} has been staged yet; nothing to resend`, { location: key });
    }
    const { nextAttempt: _n, lastError: _e, abandoned: _a, checkpoints: _c, ...rest } = record;
    // An abandoned job that never got a deposit out keeps its number: nothing was sent to resend.
    const resend = record.steps.stage === undefined ? record.resend : record.resend + 1;
    const updated: JobRecord = { ...rest, resend, steps: {}, attempts: 0, announced: [] };
    await this.options.store.putJob(updated);
    // A resend reopens the TLD's chain from this job on.
    const cursor = await this.options.store.getCursor(record.tld);
    if (cursor && cursor.from > record.date) await this.options.store.putCursor({ tld: record.tld, from: record.date });
    return updated;
  }
}

/** Status of one TLD for `strongroom status`: next run, last results, lag against deadlines. */
export interface TldStatus {
  tld: string;
  next: { key: string; type: string; due: string; deadline: string };
  lastComplete: { key: string; resend: number; at: string } | null;
  pending: { key: string; resend: number; nextStep: StepName | null; deadline: string; overdue: boolean; abandoned: boolean; lastError?: JobRecord['lastError']; nextAttempt?: string }[];
  /** How far the oldest incomplete job is past its deadline, in seconds (0 if none). */
  lagSeconds: number;
}

export async function tldStatus(plan: TldPlan, store: StateStore, now: Date): Promise<TldStatus> {
  validateSchedule(plan.schedule);
  const next: PlannedJob = nextJob(plan.tld, plan.schedule, now);
  const records = await store.listJobs(plan.tld);
  let lastComplete: TldStatus['lastComplete'] = null;
  const pending: TldStatus['pending'] = [];
  let lag = 0;
  for (const r of records) {
    if (isComplete(r)) {
      const at = r.steps[STEP_ORDER.at(-1)!]!.at;
      if (lastComplete === null || at >= lastComplete.at) lastComplete = { key: r.key, resend: r.resend, at };
    } else {
      const overdue = now.getTime() > Date.parse(r.deadline);
      if (overdue) lag = Math.max(lag, Math.round((now.getTime() - Date.parse(r.deadline)) / 1000));
      pending.push({
        key: r.key,
        resend: r.resend,
        nextStep: nextStep(r),
        deadline: r.deadline,
        overdue,
        abandoned: isAbandoned(r),
        ...(r.lastError ? { lastError: r.lastError } : {}),
        ...(r.nextAttempt ? { nextAttempt: r.nextAttempt } : {}),
      });
    }
  }
  return {
    tld: plan.tld,
    next: { key: next.key, type: next.type, due: next.due.toISOString(), deadline: next.deadline.toISOString() },
    lastComplete,
    pending,
    lagSeconds: lag,
  };
}
