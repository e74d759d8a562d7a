/**
 * Progress reporting. Stages take an optional `Progress` and report through it; they never
 * print. The CLI supplies a terminal bar or JSON-lines printer, the web UI its own listener.
 */

export type ProgressUnit = 'objects' | 'bytes' | 'rows' | 'files' | 'steps';

export interface ProgressTask {
  /** Add `n` units of work done. */
  add(n: number): void;
  /** Mark the task finished. */
  done(): void;
}

export interface Progress {
  /** Start a task; `total` when known. */
  task(name: string, unit: ProgressUnit, total?: number): ProgressTask;
  /** A notable event (not an error): shown on a terminal, recorded in JSON output. */
  note(message: string): void;
  /** A warning the operator should read (e.g. a key about to expire). */
  warn(message: string): void;
}

const noopTask: ProgressTask = { add() {}, done() {} };

export const noProgress: Progress = {
  task: () => noopTask,
  note() {},
  warn() {},
};

export function progressOrNoop(progress: Progress | undefined): Progress {
  return progress ?? noProgress;
}
