/**
 * The daemon: one Scheduler (./runner.ts) per registry with a `deposits` section, driven by the
 * real steps (./deposit-steps.ts), under a lock per registry so two daemons never run the same
 * job.
 *
 *     {state}/scheduler/          job records and TLD cursors (./state.ts), shared by all registries
 *     {state}/deposits/<registry>/daemon.lock, staging/, outbox/
 *
 * `tick` runs what is due now in every registry; `run` ticks, closes the registry databases it
 * opened (an embedded database is then free for others), and sleeps until the next job or retry,
 * until its signal aborts (SIGTERM/SIGINT in the CLI: the step under way is interrupted, nothing
 * half-done is published, and the next start resumes it).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StrongroomError } from '../common/errors.js';
import { noProgress, type Progress } from '../common/progress.js';
import { depositSchedule, requireDeposits } from '../config/deposits.js';
import type { LoadedConfig } from '../config/load.js';
import type { Db } from '../db/adapter.js';
import { stateDir } from '../transports/destinations.js';
import { DaemonLock } from './lock.js';
import { depositSteps, type DepositSteps, type DepositStepsOptions } from './deposit-steps.js';
import { Scheduler, systemClock, tldStatus, type Clock, type TickSummary, type TldPlan, type TldStatus } from './runner.js';
import { StateStore } from './state.js';

export interface DaemonOptions {
  loaded: LoadedConfig;
  /** Only this registry (default: every registry with a deposits section). */
  registry?: string;
  clock?: Clock;
  env?: NodeJS.ProcessEnv;
  progress?: Progress;
  /** Tests: an open registry database, and client settings (see DepositStepsOptions). */
  db?: Db;
  transportRetry?: DepositStepsOptions['transportRetry'];
  report?: DepositStepsOptions['report'];
}

interface RegistryRun {
  registry: string;
  plans: TldPlan[];
  scheduler: Scheduler;
  steps: DepositSteps;
  lock: DaemonLock;
}

/** The registries a command works on, each with its TLD plans. */
export function registryPlans(loaded: LoadedConfig, only?: string): Array<{ registry: string; plans: TldPlan[] }> {
  const ids = only !== undefined ? [only] : Object.keys(loaded.config.registries).filter((id) => loaded.config.registries[id]!.deposits !== undefined);
  if (only !== undefined && !loaded.config.registries[only]) {
    throw new StrongroomError('CONFIG_INVALID', `no registry "${only}" in ${loaded.path} (registries: ${Object.keys(loaded.config.registries).join(', ') || 'none'})`, { location: loaded.path });
  }
  if (ids.length === 0) throw new StrongroomError('CONFIG_INVALID', `no registry in ${loaded.path} has a deposits section: nothing to schedule`, { location: loaded.path });
  return ids.map((registry) => {
    const config = loaded.config.registries[registry]!;
    const deposits = requireDeposits(registry, config.deposits, loaded.path);
    const schedule = depositSchedule(deposits);
    return { registry, plans: config.tlds.map((tld) => ({ tld, schedule, ...(deposits.since ? { since: deposits.since } : {}) })) };
  });
}

export function schedulerStateDir(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(loaded, env), 'scheduler');
}

export function registryLockDir(loaded: LoadedConfig, registry: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(loaded, env), 'deposits', registry);
}

export interface DaemonTick {
  registry: string;
  summary: TickSummary;
}

export class Daemon {
  private constructor(
    private readonly runs: RegistryRun[],
    private readonly clock: Clock,
    readonly store: StateStore,
  ) {}

  /** Take the locks, load the keys and build the schedulers; fails before any job runs. */
  static async open(options: DaemonOptions): Promise<Daemon> {
    const env = options.env ?? process.env;
    const clock = options.clock ?? systemClock;
    const progress = options.progress ?? noProgress;
    const store = await new StateStore(schedulerStateDir(options.loaded, env)).init();
    const runs: RegistryRun[] = [];
    try {
      for (const { registry, plans } of registryPlans(options.loaded, options.registry)) {
        const deposits = options.loaded.config.registries[registry]!.deposits!;
        const lockDir = registryLockDir(options.loaded, registry, env);
        await mkdir(lockDir, { recursive: true });
        const lock = await DaemonLock.acquire(lockDir, clock.now());
        try {
          const steps = await depositSteps({
            loaded: options.loaded,
            registry,
            deposits,
            now: () => clock.now(),
            env,
            ...(options.db ? { db: options.db } : {}),
            ...(options.transportRetry ? { transportRetry: options.transportRetry } : {}),
            ...(options.report ? { report: options.report } : {}),
          });
          const scheduler = new Scheduler({
            tlds: plans,
            store,
            steps: steps.steps,
            clock,
            progress,
            permanent: steps.permanent,
            onEvent: steps.onEvent,
            retry: { baseMs: deposits.retry.base, maxMs: deposits.retry.max },
          });
          runs.push({ registry, plans, scheduler, steps, lock });
        } catch (err) {
          await lock.release();
          throw err;
        }
      }
    } catch (err) {
      for (const run of runs) await run.lock.release();
      throw err;
    }
    return new Daemon(runs, clock, store);
  }

  get registries(): string[] {
    return this.runs.map((run) => run.registry);
  }

  /** Run what is due now in every registry; registry databases the steps opened are closed after. */
  async tick(signal: AbortSignal = new AbortController().signal): Promise<DaemonTick[]> {
    const out: DaemonTick[] = [];
    for (const run of this.runs) {
      if (signal.aborted) break;
      try {
        out.push({ registry: run.registry, summary: await run.scheduler.tick(signal) });
      } finally {
        await run.steps.close();
      }
    }
    return out;
  }

  async nextWake(): Promise<Date> {
    let wake = Number.POSITIVE_INFINITY;
    for (const run of this.runs) wake = Math.min(wake, (await run.scheduler.nextWake()).getTime());
    return new Date(wake);
  }

  /** Tick, sleep until the next job or retry, again, until `signal` aborts. */
  async run(signal: AbortSignal, onTick?: (ticks: DaemonTick[], next: Date) => void): Promise<void> {
    while (!signal.aborted) {
      const ticks = await this.tick(signal);
      if (signal.aborted) break;
      const wake = await this.nextWake();
      onTick?.(ticks, wake);
      await this.clock.sleep(wake.getTime() - this.clock.now().getTime(), signal);
    }
  }

  async resend(key: string): Promise<ReturnType<Scheduler['resend']>> {
    const run = this.runs.find((r) => r.plans.some((p) => key.startsWith(`${p.tld}_`)));
    if (!run) throw new StrongroomError('SCHEDULER_JOB_UNKNOWN', `no configured TLD owns job ${key}`, { location: key });
    return run.scheduler.resend(key);
  }

  async close(): Promise<void> {
    for (const run of this.runs) {
      await run.steps.close().catch(() => undefined);
      await run.lock.release();
    }
  }
}

/** `strongroom status`: per TLD, next run, last result, pending jobs and lag; no lock needed. */
export async function daemonStatus(loaded: LoadedConfig, now: Date, registry?: string, env: NodeJS.ProcessEnv = process.env): Promise<Array<{ registry: string; tlds: TldStatus[] }>> {
  const store = await new StateStore(schedulerStateDir(loaded, env)).init();
  const out: Array<{ registry: string; tlds: TldStatus[] }> = [];
  for (const { registry: id, plans } of registryPlans(loaded, registry)) {
    const tlds: TldStatus[] = [];
    for (const plan of plans) tlds.push(await tldStatus(plan, store, now));
    out.push({ registry: id, tlds });
  }
  return out;
}
