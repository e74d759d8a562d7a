/**
 * Child processes as stream stages: the PostgreSQL programs (pg_basebackup, pg_dumpall, …) as
 * byte sources, and the `zstd` CLI (Debian `zstd`; multi-threaded, ~0.8 GB/s at level 3 on this
 * machine) as a compress/decompress stage. Node 20 has no zstd in node:zlib.
 *
 * A stage's failure (non-zero exit, signal, missing program) is an error of the pipeline, and
 * a child is killed when the pipeline stops early, so nothing keeps running behind our back.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StrongroomError, messageOf } from '../common/errors.js';

const STDERR_LIMIT = 8192;

function spawnChecked(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(command, args, { ...options, stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'] });
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

function watch(child: ChildProcess, program: string): { exited: Promise<Exit>; stderr: () => string } {
  let stderr = '';
  child.stderr?.on('data', (data: Buffer) => {
    if (stderr.length < STDERR_LIMIT) stderr += data.toString('utf8');
  });
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new StrongroomError('TOOL_MISSING', `${program} is not installed (not found on PATH)`, { cause: err }));
      else reject(new StrongroomError('PG_TOOL_FAILED', `cannot run ${program}: ${messageOf(err)}`, { cause: err }));
    });
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  exited.catch(() => undefined);
  return { exited, stderr: () => stderr.trim() };
}

function failure(program: string, exit: Exit, stderr: string): StrongroomError {
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with status ${exit.code}`;
  return new StrongroomError('PG_TOOL_FAILED', `${program} ${how}${stderr ? `: ${stderr.split('\n').slice(-5).join(' | ')}` : ''}`, { data: { program, status: exit.code, signal: exit.signal } });
}

/** A program's stdout as a byte source; throws (at the end) when it fails. */
export async function* programOutput(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; name?: string } = {}): AsyncGenerator<Buffer> {
  const program = options.name ?? command.split('/').pop()!;
  const child = spawnChecked(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.env ? { env: options.env } : {}) });
  const { exited, stderr } = watch(child, program);
  let finished = false;
  try {
    const errorFirst = exited.then((exit) => exit);
    for await (const chunk of child.stdout!) yield chunk as Buffer;
    const exit = await errorFirst;
    if (exit.code !== 0) throw failure(program, exit, stderr());
    finished = true;
  } finally {
    if (!finished && child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}

/** Run a program to completion, returning stdout (small outputs only). */
export async function runProgram(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; name?: string; uid?: number; gid?: number; cwd?: string } = {}): Promise<string> {
  const program = options.name ?? command.split('/').pop()!;
  const child = spawnChecked(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
    ...(options.uid !== undefined ? { uid: options.uid } : {}),
    ...(options.gid !== undefined ? { gid: options.gid } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  const { exited, stderr } = watch(child, program);
  let out = '';
  child.stdout!.on('data', (data: Buffer) => {
    if (out.length < 1 << 20) out += data.toString('utf8');
  });
  const exit = await exited;
  if (exit.code !== 0) throw failure(program, exit, stderr());
  return out;
}

/** A byte stage through a filter program (stdin → stdout), with backpressure both ways. */
export function throughProgram(command: string, args: readonly string[], name?: string): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const program = name ?? command.split('/').pop()!;
  return async function* filter(source) {
    const child = spawnChecked(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const { exited, stderr } = watch(child, program);
    // EPIPE when the program dies early is reported through its exit status instead.
    child.stdin!.on('error', () => undefined);
    const feeding = pipeline(Readable.from(source, { objectMode: false }), child.stdin!).then(
      () => undefined,
      (err: unknown) => err,
    );
    let finished = false;
    try {
      for await (const chunk of child.stdout!) yield chunk as Buffer;
      const fed = await feeding;
      const exit = await exited;
      // A failing source ends the program's input early: its (valid-looking) output must not count.
      if (fed !== undefined) throw fed;
      if (exit.code !== 0) throw failure(program, exit, stderr());
      finished = true;
    } finally {
      if (!finished && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  };
}

/** zstd compression stage (multi-threaded; `--no-check` omitted: the frame checksum stays). */
export function zstdCompress(level: number): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return throughProgram('zstd', [`-${level}`, '-T0', '-q', '-c', '-'], 'zstd');
}

export function zstdDecompress(): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return throughProgram('zstd', ['-d', '-q', '-c', '-'], 'zstd');
}
