/**
 * Benchmark: `registry generate` throughput, and loading with foreign keys checked row by
 * row (the baseline) against skipping the RI triggers and validating afterwards.
 *
 *   node dist/bench/generate.js [--domains N] [--server URL | --no-server] [--no-embedded] [--modes check,validate-after]
 *
 * Runs each mode on a fresh database (an embedded one in a temporary directory, and a new
 * database on the server), prints seconds, rows/s, the generator's share (the same rows
 * generated without a database) and peak RSS, and the ratio of each mode to the baseline.
 * Wrap it in `flock /tmp/strongroom-heavy.lock` on a shared machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Db } from '../src/db/adapter.js';
import { EmbeddedDb } from '../src/db/embedded.js';
import { ServerDb } from '../src/db/server.js';
import { generateRegistry, writeRegistry, type ForeignKeyMode } from '../src/generate/generate.js';
import { Plan, type GenerateOptions } from '../src/generate/plan.js';
import type { RowSink } from '../src/generate/rows.js';
import { withDatabase } from '../src/testing/databases.js';

const { values } = parseArgs({
  options: {
    domains: { type: 'string', default: '100000' },
    server: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    'no-server': { type: 'boolean', default: false },
    'no-embedded': { type: 'boolean', default: false },
    modes: { type: 'string', default: 'check,validate-after' },
  },
});

const options: GenerateOptions = { tld: 'example', domains: Number(values.domains), seed: 'bench', asOf: '2026-01-01T00:00:00Z' };
const modes = values.modes.split(',') as ForeignKeyMode[];

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

function mb(bytes: number): string {
  return `${Math.round(bytes / 1e6)} MB`;
}

async function generatorOnly(): Promise<{ seconds: number; rows: number }> {
  let rows = 0;
  const sink: RowSink = { row: () => void rows++ };
  const started = performance.now();
  await writeRegistry(new Plan(options), sink);
  return { seconds: (performance.now() - started) / 1000, rows };
}

async function onEmbedded(mode: ForeignKeyMode) {
  const dir = await mkdtemp(join(tmpdir(), 'sr-bench-'));
  const db = await EmbeddedDb.open(dir);
  try {
    return await measure(db, mode);
  } finally {
    await db.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function onServer(mode: ForeignKeyMode) {
  const admin = await ServerDb.open(values.server);
  const name = `sr_bench_${process.pid}_${mode.replace('-', '_')}`;
  await admin.exec(`CREATE DATABASE ${name}`);
  const db = await ServerDb.open(withDatabase(values.server, name));
  try {
    return await measure(db, mode);
  } finally {
    await db.close();
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}

async function measure(db: Db, mode: ForeignKeyMode) {
  peakRss = process.memoryUsage().rss;
  const summary = await generateRegistry(db, options, undefined, { foreignKeys: mode });
  if (summary.foreignKeys !== mode) throw new Error(`asked for ${mode}, the loader used ${summary.foreignKeys}`);
  return { seconds: summary.seconds, rows: summary.totalRows, rowsPerSecond: summary.rowsPerSecond, rss: peakRss };
}

const generated = await generatorOnly();
console.log(`generator alone: ${options.domains.toLocaleString('en-US')} domains, ${generated.rows.toLocaleString('en-US')} rows in ${generated.seconds.toFixed(1)} s (${Math.round(generated.rows / generated.seconds).toLocaleString('en-US')} rows/s)`);
const targets: Array<[string, (mode: ForeignKeyMode) => ReturnType<typeof onEmbedded>]> = [];
if (!values['no-embedded']) targets.push(['embedded', onEmbedded]);
if (!values['no-server']) targets.push(['server', onServer]);
for (const [where, run] of targets) {
  let baseline: number | undefined;
  for (const mode of modes) {
    const result = await run(mode);
    baseline ??= result.seconds;
    console.log(
      `${where.padEnd(8)} ${mode.padEnd(14)} ${result.seconds.toFixed(1).padStart(7)} s  ${result.rowsPerSecond.toLocaleString('en-US').padStart(9)} rows/s  ` +
        `${(baseline / result.seconds).toFixed(2)}× the ${modes[0]} baseline  peak RSS ${mb(result.rss)}`,
    );
  }
}
clearInterval(sampler);
