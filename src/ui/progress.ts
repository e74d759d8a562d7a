/**
 * Progress printers for the CLI: a bar per task on a terminal (stderr), JSON lines on stderr
 * in --json mode (restic-style `{"message_type":"status",…}`), nothing otherwise.
 */
import cliProgress from 'cli-progress';
import type { Progress, ProgressTask, ProgressUnit } from '../common/progress.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export class TerminalProgress implements Progress {
  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  task(name: string, unit: ProgressUnit, total?: number): ProgressTask {
    const bytes = unit === 'bytes';
    const bar = new cliProgress.SingleBar(
      {
        stream: this.stream,
        format: total === undefined ? `${name} | {done} ${unit} | {rate}/s` : `${name} [{bar}] {percentage}% | {done}/{all} ${unit} | ETA {eta_formatted}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    const started = Date.now();
    let done = 0;
    const fmt = (n: number) => (bytes ? formatBytes(n) : n.toLocaleString('en-US'));
    const payload = () => ({ done: fmt(done), all: total === undefined ? '?' : fmt(total), rate: fmt(Math.round(done / Math.max(0.001, (Date.now() - started) / 1000))) });
    bar.start(total ?? 0, 0, payload());
    return {
      add: (n) => {
        done += n;
        bar.update(done, payload());
      },
      done: () => {
        bar.update(total ?? done, payload());
        bar.stop();
      },
    };
  }

  note(message: string): void {
    this.stream.write(`${message}\n`);
  }

  warn(message: string): void {
    this.stream.write(`warning: ${message}\n`);
  }
}

/** JSON lines on stderr: one `status` line per task start/end and at most one per second. */
export class JsonLinesProgress implements Progress {
  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {}

  private emit(event: Record<string, unknown>): void {
    this.stream.write(`${JSON.stringify(event)}\n`);
  }

  task(name: string, unit: ProgressUnit, total?: number): ProgressTask {
    let done = 0;
    let last = 0;
    const started = Date.now();
    const status = (final: boolean) => {
      const elapsed = (Date.now() - started) / 1000;
      this.emit({
        message_type: final ? 'task_done' : 'status',
        task: name,
        unit,
        done,
        ...(total === undefined ? {} : { total, percent_done: total === 0 ? 1 : done / total }),
        seconds_elapsed: Math.round(elapsed * 10) / 10,
      });
    };
    return {
      add: (n) => {
        done += n;
        if (Date.now() - last >= 1000) {
          last = Date.now();
          status(false);
        }
      },
      done: () => status(true),
    };
  }

  note(message: string): void {
    this.emit({ message_type: 'note', message });
  }

  warn(message: string): void {
    this.emit({ message_type: 'warning', message });
  }
}

/** Notes and warnings only (non-terminal stderr without --json): no bars. */
export class PlainProgress implements Progress {
  constructor(private readonly stream: NodeJS.WritableStream = process.stderr) {}
  task(): ProgressTask {
    return { add() {}, done() {} };
  }
  note(message: string): void {
    this.stream.write(`${message}\n`);
  }
  warn(message: string): void {
    this.stream.write(`warning: ${message}\n`);
  }
}
