/**
 * Shared command plumbing: every command gets --json and --quiet, documented exit statuses,
 * a Progress suited to where its output goes, and one error path that maps error codes to
 * exit statuses.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_STATUS, StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { noProgress } from '../common/progress.js';
import { JsonLinesProgress, PlainProgress, TerminalProgress } from '../ui/progress.js';

export interface CommonOptions {
  json?: boolean;
  quiet?: boolean;
}

/** The exit-status block appended to every command's --help (restic style). */
export function exitStatusHelp(extra: Array<[number, string]> = []): string {
  const rows: Array<[number, string]> = [
    [EXIT_STATUS.ok, 'success'],
    ...extra,
    [EXIT_STATUS.usage, 'bad command line'],
    [EXIT_STATUS.config, 'configuration or key material unusable, or a required tool is missing'],
    [EXIT_STATUS.input, 'bad input data'],
    [EXIT_STATUS.integrity, 'integrity failure (signature, hash, decryption, tampering)'],
    [EXIT_STATUS.database, 'database error'],
    [EXIT_STATUS.io, 'file system or network error'],
    [EXIT_STATUS.refused, 'refused by a safety rule (existing target, missing consent, lock held)'],
    [EXIT_STATUS.internal, 'internal error (a bug: please report it)'],
  ];
  const seen = new Set<number>();
  const lines = rows.filter(([code]) => (seen.has(code) ? false : (seen.add(code), true))).map(([code, text]) => `  ${String(code).padEnd(4)}${text}`);
  return `\nExit status:\n${lines.join('\n')}\n`;
}

/** Add --json/--quiet and the exit-status help to a command. */
export function withCommon(cmd: Command, extraExit: Array<[number, string]> = []): Command {
  return cmd
    .option('--json', 'print the result as JSON on stdout (progress as JSON lines on stderr)')
    .option('-q, --quiet', 'print no progress')
    .addHelpText('after', exitStatusHelp(extraExit));
}

export function progressFor(options: CommonOptions): Progress {
  if (options.quiet) return noProgress;
  if (options.json) return new JsonLinesProgress();
  return process.stderr.isTTY ? new TerminalProgress() : new PlainProgress();
}

/** Print a command's result: JSON document, or the human text. */
export function printResult(options: CommonOptions, data: unknown, text: () => string): void {
  if (options.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else process.stdout.write(`${text()}\n`);
}

/**
 * Runs a commander program and maps how it ended to the process exit status (both entry points:
 * main.ts and the light pg-main.ts): --help and --version exit 0, any other commander error is
 * a usage error, everything else goes through reportError.
 */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_STATUS.usage;
      return;
    }
    process.exitCode = reportError(err, argv.includes('--json'));
  }
}

/** Report an error the way every command does and return the exit status. */
export function reportError(err: unknown, json: boolean): number {
  const known = isStrongroomError(err);
  const status = known ? err.exitStatus : EXIT_STATUS.internal;
  if (json) {
    const body = known ? err.toJSON() : { code: 'INTERNAL', message: messageOf(err) };
    process.stdout.write(`${JSON.stringify({ error: body }, null, 2)}\n`);
  } else if (known) {
    process.stderr.write(`strongroom: ${err.code}: ${err.message}${err.location ? ` (at ${err.location})` : ''}\n`);
  } else {
    process.stderr.write(`strongroom: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  return status;
}

/** Wrap an action so errors map to exit statuses; the action returns its own exit status. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const opts = (cmd.optsWithGlobals?.() ?? {}) as CommonOptions;
    try {
      const status = await fn(...args);
      process.exitCode = status ?? 0;
    } catch (err) {
      process.exitCode = reportError(err, Boolean(opts.json));
    }
  };
}

export function usageError(message: string): StrongroomError {
  return new StrongroomError('USAGE', message);
}

/** Parse a positive integer option with a precise error. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value) || Number(value) <= 0) throw usageError(`${name} must be a positive integer, got "${value}"`);
    return Number(value);
  };
}
