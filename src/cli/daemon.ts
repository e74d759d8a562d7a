/**
 * `strongroom daemon`, `strongroom status` and `strongroom resend`: the scheduled deposit job
 * (src/scheduler/daemon.ts), what it has done and will do, and a deposit sent again as R{n+1}.
 */
import type { Command } from 'commander';
import { EXIT_STATUS, StrongroomError } from '../common/errors.js';
import { loadConfig } from '../config/load.js';
import { Daemon, daemonStatus, type DaemonTick } from '../scheduler/daemon.js';
import { systemClock, type Clock, type TldStatus } from '../scheduler/runner.js';
import { action, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface DaemonCliOptions extends CommonOptions {
  config?: string;
  registry?: string;
  once?: boolean;
}

/**
 * The clock: the system's, or (drills and tests) one that starts at $STRONGROOM_NOW and runs at
 * the real pace from there, so a daemon can be run "as of" a past day.
 */
export function cliClock(env: NodeJS.ProcessEnv = process.env): Clock {
  const start = env.STRONGROOM_NOW;
  if (start === undefined || start === '') return systemClock;
  const base = Date.parse(start);
  if (!Number.isFinite(base)) throw new StrongroomError('USAGE', `STRONGROOM_NOW is not a date-time: "${start}"`);
  const origin = Date.now();
  return { now: () => new Date(base + (Date.now() - origin)), sleep: systemClock.sleep };
}

function tickText(ticks: DaemonTick[]): string {
  return ticks
    .map(({ registry, summary }) => {
      const lines = [`${registry}: ${summary.complete} complete, ${summary.pending} pending, ${summary.abandoned} abandoned`];
      for (const ran of summary.ran) lines.push(`  done    ${ran}`);
      for (const failed of summary.failed) lines.push(`  FAILED  ${failed}`);
      return lines.join('\n');
    })
    .join('\n');
}

async function runDaemon(options: DaemonCliOptions): Promise<number> {
  const progress = progressFor(options);
  const loaded = await loadConfig(options.config);
  const clock = cliClock();
  const daemon = await Daemon.open({ loaded, clock, progress, ...(options.registry ? { registry: options.registry } : {}) });
  const controller = new AbortController();
  const stop = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) progress.note(`stopping (${signal}): the step under way is interrupted and resumes at the next start`);
    controller.abort();
  };
  // `on`, not `once`: a second signal while shutting down must not fall back to the default
  // action (killing the process halfway through its cleanup).
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    if (options.once) {
      const ticks = await daemon.tick(controller.signal);
      printResult(options, { registries: ticks }, () => tickText(ticks));
      const failed = ticks.some((t) => t.summary.failed.length > 0);
      return failed ? EXIT_STATUS.findings : EXIT_STATUS.ok;
    }
    progress.note(`daemon running for ${daemon.registries.join(', ')}`);
    await daemon.run(controller.signal, (ticks, next) => {
      if (!options.json) progress.note(`${tickText(ticks)}\nnext wake ${next.toISOString()}`);
      else process.stdout.write(`${JSON.stringify({ registries: ticks, nextWake: next.toISOString() })}\n`);
    });
    return EXIT_STATUS.ok;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await daemon.close();
  }
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export function statusText(registries: Array<{ registry: string; tlds: TldStatus[] }>): string {
  const lines: string[] = [];
  for (const { registry, tlds } of registries) {
    lines.push(`registry ${registry}`);
    for (const s of tlds) {
      lines.push(`  .${s.tld}`);
      lines.push(`    next       ${s.next.key} due ${s.next.due}, deadline ${s.next.deadline}`);
      lines.push(`    last done  ${s.lastComplete ? `${s.lastComplete.key} R${s.lastComplete.resend} at ${s.lastComplete.at}` : 'none yet'}`);
      lines.push(`    lag        ${s.lagSeconds === 0 ? 'none (nothing past its deadline)' : `${age(s.lagSeconds)} past the oldest missed deadline`}`);
      for (const p of s.pending) {
        const state = p.abandoned ? 'ABANDONED' : p.overdue ? 'OVERDUE' : 'pending';
        const error = p.lastError ? `; last error ${p.lastError.code} in ${p.lastError.step}: ${p.lastError.message}` : '';
        lines.push(`    ${state.padEnd(10)} ${p.key} R${p.resend} next step ${p.nextStep ?? '-'}, deadline ${p.deadline}${p.nextAttempt ? `, retry at ${p.nextAttempt}` : ''}${error}`);
      }
    }
  }
  return lines.join('\n');
}

/** The options every daemon command takes: which configuration file, which registry. */
function configOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'configuration file (default $STRONGROOM_CONFIG or ./strongroom.yaml)')
    .option('--registry <id>', 'only this registry');
}

export function register(program: Command): void {
  withCommon(
    configOptions(
      program
        .command('daemon')
        .description(
          'Run the deposit calendar of every registry with a deposits section (Spec 2: FULL on Sunday, DIFF the other days, 00:00 UTC, due 23:59 UTC; BRDA weekly; or the registry\'s own schedule): ' +
            'stage (a sealed deposit from one snapshot) → seal (re-hash, into the outbox) → deliver (to each consented destination) → report (rdeReport to ICANN) → notify, each step exactly once per deposit, ' +
            'resuming after a crash and catching up missed days in order. One daemon per registry (a lock); SIGTERM/SIGINT stop it cleanly. Secrets come from files or the environment only.',
        ),
    ).option('--once', 'run what is due now, then exit (for cron or systemd timers)'),
    [[EXIT_STATUS.findings, '--once: a step failed or a deposit was abandoned in this run (see strongroom status)']],
  ).action(action(async (options: DaemonCliOptions) => runDaemon(options)));

  withCommon(
    configOptions(
      program
        .command('status')
        .description("Show each TLD's next deposit, the last one completed, the pending ones (next step, retries, errors, abandoned) and the lag against deadlines."),
    ),
    [[EXIT_STATUS.findings, 'a deposit is past its deadline or abandoned']],
  ).action(
    action(async (options: DaemonCliOptions) => {
      const loaded = await loadConfig(options.config);
      const now = cliClock().now();
      const registries = await daemonStatus(loaded, now, options.registry);
      printResult(options, { at: now.toISOString(), registries }, () => statusText(registries));
      const late = registries.some((r) => r.tlds.some((t) => t.lagSeconds > 0 || t.pending.some((p) => p.abandoned)));
      return late ? EXIT_STATUS.findings : EXIT_STATUS.ok;
    }),
  );

  withCommon(
    configOptions(
      program
        .command('resend')
        .description(
          'Send a deposit again as R{n+1} (Spec 2 §5): every step runs again for the same watermark at the daemon\'s next run, and the chain reopens from it. ' +
            'An abandoned job is reopened (a job that never produced a deposit keeps its number). Refused while a daemon of the registry runs (stop it first).',
        )
        .argument('<job>', 'the job key: {tld}_{YYYY-MM-DD}_{full|diff|thin}'),
    ),
    [[EXIT_STATUS.refused, 'nothing to resend (never staged), or a daemon holds the registry\'s lock']],
  ).action(
    action(async (key: string, options: DaemonCliOptions) => {
      const loaded = await loadConfig(options.config);
      const daemon = await Daemon.open({ loaded, clock: cliClock(), ...(options.registry ? { registry: options.registry } : {}) });
      try {
        const record = await daemon.resend(key);
        printResult(options, record, () => `${record.key} will be sent again as R${record.resend} at the daemon's next run`);
        return EXIT_STATUS.ok;
      } finally {
        await daemon.close();
      }
    }),
  );
}
