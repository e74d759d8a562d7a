/**
 * Benchmark: FULL deposits (`writeFullDeposit`) of a 100k- and a 1M-domain registry on the
 * PostgreSQL server, against baselines measured in the same run on the same data:
 *
 * - the raw `COPY (SELECT * FROM rde.<view>) TO STDOUT` of every view the deposit reads (the
 *   fastest way PostgreSQL can hand those rows to a client);
 * - `gzip -6` of the produced XML (what any later byte-stream stage costs per MB).
 *
 * Prints objects/s, MB/s, peak RSS, and the ratios the targets are stated in (issue 2 item 9):
 * deposit row rate ≥ 50% of the COPY row rate; peak RSS ≤ 256 MB at 1M domains and within 20%
 * of the 100k run. Results are recorded in docs/benchmarks.md.
 *
 *   npm run bench -- full-deposit            (sizes 100000 and 1000000; jobs 0 and the default)
 *   node dist/bench/full-deposit.js --domains 100000 --jobs 0,2 --render sql,js --keep
 *
 * `--jobs` lists the deposit writer's parallelism to measure (connections rendering in
 * PostgreSQL; worker threads with `--render js`; 0 = one); `--render` the writers: sql (the
 * default writer, src/deposit/sql-writer.ts) and js (objects serialised in Node, the writer
 * before it). Every run of one registry must give the same SHA-256. Besides wall time, each
 * run reports the CPU seconds of Node and of its PostgreSQL backends (read from /proc).
 *
 * The registries come from `strongroom registry generate` (seed "bench", a fixed as-of, which is
 * also the deposit's watermark). Heavy phases (generating, COPY, deposit, gzip) each run under
 * `flock /tmp/strongroom-heavy.lock` so that helpers sharing the machine do not measure each
 * other. Databases are named sr_bench_deposit_<n> and reused when already generated with the
 * same seed and as-of (--fresh regenerates them; --drop removes them at the end).
 * Environment: STRONGROOM_BENCH_PG_URL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus, totalmem, release, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerDb } from '../src/db/server.js';
import { withDatabase } from '../src/testing/databases.js';
import { CLI } from '../src/testing/paths.js';

const ADMIN_URL = process.env.STRONGROOM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCK = '/tmp/strongroom-heavy.lock';
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'full-deposit-worker.js');
const TLD = 'bench';
const SEED = 'bench';
/** The registry's moment, and the deposit's watermark. */
const AS_OF = '2026-01-04T00:00:00Z';
const FILL_VERSION = `generator ${SEED} ${AS_OF}`;

interface Args {
  domains: number[];
  /** Parallelism (connections, or worker threads for js) to measure; undefined = the writer's default. */
  jobs: Array<number | undefined>;
  /** Writers to measure: sql (PostgreSQL renders, the default writer), js (serialised in Node). */
  render: string[];
  fresh: boolean;
  drop: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { domains: [100_000, 1_000_000], jobs: [0, undefined], render: ['sql'], fresh: false, drop: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--domains') args.domains = argv[++i]!.split(',').map(Number);
    else if (a === '--jobs') args.jobs = argv[++i]!.split(',').map((j) => (j === 'default' ? undefined : Number(j)));
    else if (a === '--render') args.render = argv[++i]!.split(',');
    else if (a === '--fresh') args.fresh = true;
    else if (a === '--drop') args.drop = true;
    else if (a === '--keep') args.keep = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/**
 * Run a command under the shared heavy-work lock; resolves with stdout. With
 * STRONGROOM_BENCH_LOCKED=1 the whole benchmark already runs under the lock
 * (`flock /tmp/strongroom-heavy.lock env STRONGROOM_BENCH_LOCKED=1 node …`), so that the runs
 * being compared follow each other without other work in between.
 */
function heavy(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const locked = process.env.STRONGROOM_BENCH_LOCKED === '1';
    const child = spawn(locked ? command : 'flock', locked ? args : [LOCK, command, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function prepare(n: number, fresh: boolean): Promise<string> {
  const name = `sr_bench_deposit_${n}`;
  const url = withDatabase(ADMIN_URL, name);
  const admin = await ServerDb.open(ADMIN_URL);
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
    if (exists && !fresh) {
      const db = await ServerDb.open(url);
      const meta = await db.query<{ fill: string; domains: number }>('SELECT fill, domains FROM strongroom.bench_meta').catch(() => []);
      await db.close();
      if (meta[0]?.fill === FILL_VERSION && meta[0].domains === n) return url;
    }
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const started = Date.now();
  await heavy(process.execPath, [CLI, 'registry', 'generate', '--db', url, '--tld', TLD, '--domains', String(n), '--seed', SEED, '--as-of', AS_OF, '--quiet']);
  await heavy('psql', [url, '-q', '-c', 'VACUUM ANALYZE']);
  const db = await ServerDb.open(url);
  await db.exec(`CREATE TABLE strongroom.bench_meta (fill text, domains integer); INSERT INTO strongroom.bench_meta VALUES ('${FILL_VERSION}', ${n})`);
  await db.close();
  console.log(`  generated ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return url;
}

interface DepositRun {
  file: string;
  sha256: string;
  bytes: number;
  objects: number;
  seconds: number;
  /** CPU time of the deposit process (user + system), to tell CPU-bound from waiting. */
  cpuSeconds: number;
  /** CPU time of its PostgreSQL backends (/proc, sampled). */
  serverCpuSeconds: number;
  objectsPerSecond: number;
  errors: number;
  maxRssKiB: number;
  counts: Record<string, number>;
}

interface Row {
  domains: number;
  jobs: string;
  render: string;
  deposit: DepositRun;
  copy: { rows: number; bytes: number; seconds: number; cpuSeconds: number; serverCpuSeconds: number };
  gzip: { seconds: number; bytes: number };
}

async function measure(n: number, args: Args): Promise<Row[]> {
  console.log(`\n# ${n.toLocaleString('en-US')} domains`);
  const url = await prepare(n, args.fresh);
  const copy = JSON.parse(await heavy(process.execPath, [WORKER, 'copy', url])) as Row['copy'];
  const rows: Row[] = [];
  for (const render of args.render) for (const jobs of args.jobs) {
    const db = await ServerDb.open(url);
    await db.exec('DELETE FROM strongroom.deposit');
    await db.close();
    const out = await mkdtemp(join(tmpdir(), 'sr-bench-deposit-'));
    try {
      const deposit = JSON.parse(await heavy(process.execPath, [WORKER, 'deposit', url, TLD, out, AS_OF, jobs === undefined ? 'default' : String(jobs), render])) as DepositRun;
      if (deposit.errors > 0) throw new Error(`the benchmark deposit had ${deposit.errors} pre-flight errors`);
      if (rows[0] && rows[0].deposit.sha256 !== deposit.sha256) throw new Error(`${render} jobs ${jobs ?? 'default'} wrote other bytes than ${rows[0].render} jobs ${rows[0].jobs}`);
      // Timed inside the lock: waiting for other helpers' heavy work must not count.
      const gz = (await heavy('sh', ['-c', `s=$(date +%s%N); n=$(gzip -6 -c '${deposit.file}' | wc -c); e=$(date +%s%N); echo "$n $((e - s))"`])).trim().split(' ');
      const gzip = { seconds: Number(gz[1]) / 1e9, bytes: Number(gz[0]) };
      rows.push({ domains: n, jobs: jobs === undefined ? 'default' : String(jobs), render, deposit, copy, gzip });
      console.log(`  ${render} jobs ${jobs ?? 'default'}: ${deposit.seconds.toFixed(1)} s, CPU ${deposit.cpuSeconds.toFixed(1)} s + server ${deposit.serverCpuSeconds.toFixed(1)} s, sha256 ${deposit.sha256.slice(0, 16)}…`);
    } finally {
      if (!args.keep) await rm(out, { recursive: true, force: true });
      else console.log(`  kept ${out}`);
    }
  }
  return rows;
}

function machine(): string {
  const cpu = cpus();
  const pgVersion = spawnSync('psql', [ADMIN_URL, '-Atc', 'SHOW server_version'], { encoding: 'utf8' }).stdout.trim();
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}, PostgreSQL ${pgVersion} (loopback), load average at start ${load}`;
}

const MB = 1e6;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const args = parseArgs(process.argv.slice(2));
console.log(`machine: ${machine()}`);
const rows: Row[] = [];
for (const n of args.domains) rows.push(...(await measure(n, args)));

console.log(
  '\n| domains | writer | jobs | objects | XML MB | deposit s | Node CPU s | server CPU s | objects/s | XML MB/s | peak RSS MiB | COPY rows | COPY s | COPY Node + server CPU s | COPY rows/s | deposit rows/s | deposit/COPY | gzip -6 MB/s | gzip ratio |',
);
console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const d = r.deposit;
  const rowRate = r.copy.rows / d.seconds;
  console.log(
    `| ${fmt(r.domains)} | ${r.render} | ${r.jobs} | ${fmt(d.objects)} | ${fmt(d.bytes / MB, 1)} | ${fmt(d.seconds, 1)} | ${fmt(d.cpuSeconds, 1)} | ${fmt(d.serverCpuSeconds, 1)} | ${fmt(d.objectsPerSecond)} | ${fmt(d.bytes / MB / d.seconds, 1)} | ` +
      `${fmt(d.maxRssKiB / 1024)} | ${fmt(r.copy.rows)} | ${fmt(r.copy.seconds, 1)} | ${fmt(r.copy.cpuSeconds, 1)} + ${fmt(r.copy.serverCpuSeconds, 1)} | ${fmt(r.copy.rows / r.copy.seconds)} | ${fmt(rowRate)} | ` +
      `${fmt((100 * rowRate) / (r.copy.rows / r.copy.seconds), 1)}% | ${fmt(d.bytes / MB / r.gzip.seconds, 1)} | ${fmt(d.bytes / r.gzip.bytes, 1)}× |`,
  );
}
const verdicts: string[] = [];
for (const r of rows) {
  const ratio = r.copy.seconds / r.deposit.seconds;
  verdicts.push(`${fmt(r.domains)} domains, ${r.render} jobs ${r.jobs}: deposit row rate ${fmt(100 * ratio, 1)}% of COPY (target ≥ 50%): ${ratio >= 0.5 ? 'met' : 'MISSED'}`);
}
const large = rows.findLast((r) => r.domains === 1_000_000);
const small = rows.findLast((r) => r.domains === 100_000);
if (large) verdicts.push(`peak RSS at 1M: ${fmt(large.deposit.maxRssKiB / 1024)} MiB (target ≤ 256 MB): ${large.deposit.maxRssKiB * 1024 <= 256e6 ? 'met' : 'MISSED'}`);
if (large && small) {
  const growth = large.deposit.maxRssKiB / small.deposit.maxRssKiB;
  verdicts.push(`peak RSS 1M / 100k: ${fmt(growth, 2)} (target ≤ 1.20): ${growth <= 1.2 ? 'met' : 'MISSED'}`);
}
console.log(`\n${verdicts.join('\n')}`);
if (args.drop) {
  const admin = await ServerDb.open(ADMIN_URL);
  for (const n of args.domains) await admin.exec(`DROP DATABASE IF EXISTS sr_bench_deposit_${n} WITH (FORCE)`);
  await admin.close();
}
