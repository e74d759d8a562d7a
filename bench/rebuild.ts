/**
 * Benchmark: `rebuild` of a 1M-domain FULL deposit into the PostgreSQL server against, in the
 * same run and on the same registry, `pg_restore` of a `pg_dump -Fc` of the source registry
 * tables (schema `registry`: the same tables, keys and indexes the rebuild creates and loads).
 *
 * Target (issue 3 item 6): rebuild wall time ≤ 1.5 × pg_restore; memory bounded (peak RSS of
 * the rebuild process is printed). Results are recorded in docs/benchmarks.md.
 *
 *   flock /tmp/strongroom-heavy.lock npm run bench -- rebuild         (1,000,000 domains)
 *   node dist/bench/rebuild.js --domains 100000 --keep [--tag <name>]   (targets named …_<name>)
 *
 * The source registry is generated like the FULL-deposit benchmark's (seed "bench", same as-of)
 * into a database of its own, reader_bench_source_<n> (reused when present with the same fill,
 * so that this benchmark never touches another benchmark's databases or deposit records).
 * The measured phases (deposit, rebuild, pg_dump, pg_restore) each run under
 * `flock /tmp/strongroom-heavy.lock`. Both targets (reader_bench_rebuild_<n>,
 * reader_bench_restore_<n>) are created empty for the run and dropped after it (--keep keeps
 * them and the files; --drop-source drops the source too).
 * Environment: STRONGROOM_BENCH_PG_URL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerDb } from '../src/db/server.js';
import { withDatabase } from '../src/testing/databases.js';
import { CLI } from '../src/testing/paths.js';

const ADMIN_URL = process.env.STRONGROOM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCK = '/tmp/strongroom-heavy.lock';
const HERE = dirname(fileURLToPath(import.meta.url));
const TLD = 'bench';
const SEED = 'bench';
const AS_OF = '2026-01-04T00:00:00Z';
/** Same fill marker as bench/full-deposit.ts. */
const FILL_VERSION = `generator ${SEED} ${AS_OF}`;

interface Args {
  domains: number;
  keep: boolean;
  dropSource: boolean;
  /** Suffix of the target databases' names, so that two runs (two helpers) never share a target. */
  tag: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { domains: 1_000_000, keep: false, dropSource: false, tag: '' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--domains') args.domains = Number(argv[++i]);
    else if (a === '--keep') args.keep = true;
    else if (a === '--drop-source') args.dropSource = true;
    else if (a === '--tag') args.tag = String(argv[++i]);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isInteger(args.domains) || args.domains < 26) throw new Error('--domains must be an integer ≥ 26');
  if (!/^[a-z0-9_]*$/.test(args.tag)) throw new Error('--tag must be lower-case letters, digits or _');
  return args;
}

/** Run a command under the heavy-work lock; resolves with stdout and the wall time of the command itself. */
function heavy(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ out: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    // The lock is taken first; the timer starts inside it (sh prints the start time).
    const child = spawn('flock', [LOCK, 'sh', '-c', 'date +%s.%N >&2; exec "$@"', 'sh', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    let start: number | null = null;
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      if (start === null) {
        const line = (err + text).split('\n')[0]!;
        if ((err + text).includes('\n')) {
          start = Number(line) * 1000;
          err = (err + text).slice(line.length + 1);
          process.stderr.write(err);
          return;
        }
      }
      err += text;
      if (start !== null) process.stderr.write(text);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = start === null ? NaN : (Date.now() - start) / 1000;
      if (code === 0) resolve({ out, seconds });
      else reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
    });
  });
}

async function recreate(admin: ServerDb, name: string): Promise<string> {
  await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.exec(`CREATE DATABASE ${name}`);
  return withDatabase(ADMIN_URL, name);
}

/** The source registry, generated here if missing. */
async function source(admin: ServerDb, n: number): Promise<string> {
  const name = `reader_bench_source_${n}`;
  const url = withDatabase(ADMIN_URL, name);
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0) {
    const db = await ServerDb.open(url);
    const meta = await db.query<{ fill: string; domains: number }>('SELECT fill, domains FROM strongroom.bench_meta').catch(() => []);
    await db.close();
    if (meta[0]?.fill === FILL_VERSION && meta[0].domains === n) return url;
  }
  await recreate(admin, name);
  const generated = await heavy(process.execPath, [CLI, 'registry', 'generate', '--db', url, '--tld', TLD, '--domains', String(n), '--seed', SEED, '--as-of', AS_OF, '--quiet']);
  await heavy('psql', [url, '-q', '-c', 'VACUUM ANALYZE']);
  const db = await ServerDb.open(url);
  await db.exec(`CREATE TABLE strongroom.bench_meta (fill text, domains integer); INSERT INTO strongroom.bench_meta VALUES ('${FILL_VERSION}', ${n})`);
  await db.close();
  console.log(`  generated ${name} in ${generated.seconds.toFixed(0)} s`);
  return url;
}

interface RebuildRun {
  totalObjects: number;
  bytes: number;
  seconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  objectsPerSecond: number;
  maxRssKiB: number;
  rows: Record<string, number>;
  phases?: Record<string, number>;
}

function machine(): string {
  const cpu = cpus();
  const pgVersion = spawnSync('psql', [ADMIN_URL, '-Atc', 'SHOW server_version'], { encoding: 'utf8' }).stdout.trim();
  const load = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim();
  return `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}, PostgreSQL ${pgVersion} (loopback), load average at start ${load}`;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const args = parseArgs(process.argv.slice(2));
const n = args.domains;
console.log(`machine: ${machine()}`);
const admin = await ServerDb.open(ADMIN_URL);
const work = await mkdtemp(join(tmpdir(), 'sr-bench-rebuild-'));
const suffix = args.tag ? `_${args.tag}` : '';
const rebuildDb = `reader_bench_rebuild_${n}${suffix}`;
const restoreDb = `reader_bench_restore_${n}${suffix}`;
try {
  console.log(`\n# ${fmt(n)} domains`);
  const sourceUrl = await source(admin, n);
  const db = await ServerDb.open(sourceUrl);
  await db.exec('DELETE FROM strongroom.deposit');
  await db.close();

  const deposited = await heavy(process.execPath, [join(HERE, 'full-deposit-worker.js'), 'deposit', sourceUrl, TLD, work, AS_OF]);
  const deposit = JSON.parse(deposited.out) as { file: string; bytes: number; objects: number; seconds: number };
  console.log(`  FULL deposit: ${fmt(deposit.objects)} objects, ${fmt(deposit.bytes / 1e6, 1)} MB in ${fmt(deposit.seconds, 1)} s`);

  const rebuildUrl = await recreate(admin, rebuildDb);
  const rebuilt = await heavy(process.execPath, [join(HERE, 'rebuild-worker.js'), 'rebuild', rebuildUrl, deposit.file]);
  const rebuild = JSON.parse(rebuilt.out) as RebuildRun;
  console.log(`  rebuild: ${fmt(rebuilt.seconds, 1)} s (in-process ${fmt(rebuild.seconds, 1)} s), ${fmt(rebuild.objectsPerSecond)} objects/s, peak RSS ${fmt(rebuild.maxRssKiB / 1024)} MiB`);
  if (rebuild.phases) console.log(`  rebuild phases (s): ${Object.entries(rebuild.phases).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}`);

  const dumpFile = join(work, 'registry.dump');
  const dumped = await heavy('pg_dump', ['-Fc', '-n', 'registry', '-f', dumpFile, sourceUrl]);
  const dumpBytes = (await stat(dumpFile)).size;
  const restoreUrl = await recreate(admin, restoreDb);
  // The registry tables' triggers call the change journal's functions (schema strongroom,
  // migration 002): the restore target gets the Strongroom schema first, as the rebuild target
  // does, then loses the empty registry schema that pg_restore recreates (not timed).
  await heavy(process.execPath, [CLI, 'db', 'migrate', '--db', restoreUrl]);
  await heavy('psql', [restoreUrl, '-q', '-c', 'DROP SCHEMA registry CASCADE']);
  const restored = await heavy('pg_restore', ['--no-owner', '-d', restoreUrl, dumpFile]);
  const [rows] = await (async () => {
    const r = await ServerDb.open(restoreUrl);
    try {
      return await r.query<{ n: number }>('SELECT (SELECT count(*) FROM registry.domain)::int AS n');
    } finally {
      await r.close();
    }
  })();
  if (rows?.n !== n) throw new Error(`pg_restore restored ${rows?.n} domains, expected ${n}`);
  console.log(`  pg_dump -Fc: ${fmt(dumped.seconds, 1)} s, ${fmt(dumpBytes / 1e6, 1)} MB; pg_restore: ${fmt(restored.seconds, 1)} s`);

  const totalRows = Object.values(rebuild.rows).reduce((a, b) => a + b, 0);
  const ratio = rebuilt.seconds / restored.seconds;
  console.log('\n| domains | objects | XML MB | rows | rebuild s | rebuild CPU s | objects/s | rows/s | peak RSS MiB | pg_restore s | rebuild / pg_restore |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  console.log(
    `| ${fmt(n)} | ${fmt(rebuild.totalObjects)} | ${fmt(rebuild.bytes / 1e6, 1)} | ${fmt(totalRows)} | ${fmt(rebuilt.seconds, 1)} | ${fmt(rebuild.cpuSeconds, 1)} | ` +
      `${fmt(rebuild.totalObjects / rebuilt.seconds)} | ${fmt(totalRows / rebuilt.seconds)} | ${fmt(rebuild.maxRssKiB / 1024)} | ${fmt(restored.seconds, 1)} | ${fmt(ratio, 2)}× |`,
  );
  console.log(`\nrebuild / pg_restore: ${fmt(ratio, 2)}× (target ≤ 1.5×): ${ratio <= 1.5 ? 'met' : 'MISSED'}`);
  console.log(`peak RSS of the rebuild: ${fmt(rebuild.maxRssKiB / 1024)} MiB`);
} finally {
  if (!args.keep) {
    await admin.exec(`DROP DATABASE IF EXISTS ${rebuildDb} WITH (FORCE)`);
    await admin.exec(`DROP DATABASE IF EXISTS ${restoreDb} WITH (FORCE)`);
    await rm(work, { recursive: true, force: true });
  } else console.log(`  kept ${work}, ${rebuildDb}, ${restoreDb}`);
  if (args.dropSource) await admin.exec(`DROP DATABASE IF EXISTS reader_bench_source_${n} WITH (FORCE)`);
  await admin.close();
}
