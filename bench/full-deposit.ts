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
 *   npm run bench -- full-deposit            (sizes 100000 and 1000000)
 *   node dist/bench/full-deposit.js --domains 100000 --keep
 *
 * Heavy phases (populating, COPY, deposit, gzip) each run under `flock /tmp/strongroom-heavy.lock`
 * so that helpers sharing the machine do not measure each other. Databases are named
 * sr_bench_deposit_<n> and reused when already populated by the same fill version (--fresh
 * rebuilds them; --drop removes them at the end). Environment: STRONGROOM_BENCH_PG_URL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpus, totalmem, release, tmpdir } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServerDb } from '../src/db/server.js';
import { migrate } from '../src/db/migrate.js';
import { withDatabase } from '../src/testing/databases.js';

const ADMIN_URL = process.env.STRONGROOM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCK = '/tmp/strongroom-heavy.lock';
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'full-deposit-worker.js');
const TLD = 'bench';
const FILL_VERSION = 'sql-fill-1';

interface Args {
  domains: number[];
  fresh: boolean;
  drop: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { domains: [100_000, 1_000_000], fresh: false, drop: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--domains') args.domains = argv[++i]!.split(',').map(Number);
    else if (a === '--fresh') args.fresh = true;
    else if (a === '--drop') args.drop = true;
    else if (a === '--keep') args.keep = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

/** Run a command under the shared heavy-work lock; resolves with stdout. */
function heavy(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', [LOCK, command, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

/**
 * A synthetic registry of `n` domains (until the deterministic generator is on main): 200
 * registrars; ~1.1 contacts per domain with 1–2 postal infos; n/5 hosts; per domain 1–2
 * statuses, a registrant, admin and tech contacts, 2 name servers, DS data on 20%.
 */
function fillSql(n: number): string {
  const hosts = Math.max(10, Math.floor(n / 5));
  const contacts = Math.floor(n * 1.1);
  return `
INSERT INTO registry.tld VALUES ('${TLD}', 'BENCH', 'objects', 'maximum', now());
INSERT INTO registry.registrar (id, name, gurid, status, voice, email, url, whois_name, cr_date, up_date)
  SELECT 'rar-' || g, 'Registrar number ' || g || ' & Co.', 1000 + g, 'ok', '+1.55555' || lpad(g::text, 5, '0'), 'ops@rar' || g || '.example',
         'https://rar' || g || '.example/', 'whois.rar' || g || '.example', '2010-01-01Z'::timestamptz + (g || ' days')::interval, '2020-01-01Z'
  FROM generate_series(1, 200) g;
INSERT INTO registry.registrar_postal SELECT 'rar-' || g, 1, 'int', ARRAY[g || ' Main Street'], 'Springfield', 'IL', '62701', 'US' FROM generate_series(1, 200) g;
INSERT INTO registry.contact (id, roid, voice, email, cl_id, cr_rr, cr_date, up_date)
  SELECT 'con' || g, 'C' || g || '-BENCH', '+44.20' || lpad(g::text, 8, '0'), 'person' || g || '@mail' || (g % 97) || '.example', 'rar-' || (1 + g % 200), 'rar-' || (1 + g % 200),
         '2015-01-01Z'::timestamptz + (g || ' minutes')::interval, '2020-01-01Z'::timestamptz + (g || ' seconds')::interval
  FROM generate_series(1, ${contacts}) g;
INSERT INTO registry.contact_status SELECT 'con' || g, 1, 'linked', NULL, NULL FROM generate_series(1, ${contacts}) g;
INSERT INTO registry.contact_postal SELECT 'con' || g, 1, 'int', 'Person Number ' || g, CASE WHEN g % 3 = 0 THEN 'Company ' || g END,
         ARRAY[g || ' High Street', 'Flat ' || (g % 50)], 'London', NULL, 'SW1A ' || (g % 9) || 'AA', 'GB' FROM generate_series(1, ${contacts}) g;
INSERT INTO registry.contact_postal SELECT 'con' || g, 2, 'loc', 'Persönlich ' || g, NULL, ARRAY['Straße ' || g], 'München', NULL, '80331', 'DE'
  FROM generate_series(1, ${contacts}) g WHERE g % 4 = 0;
INSERT INTO registry.host (roid, name, cl_id, cr_rr, cr_date)
  SELECT 'H' || g || '-BENCH', 'ns' || (g % 2 + 1) || '.dns' || (g / 2) || '.example.net', 'rar-' || (1 + g % 200), 'rar-' || (1 + g % 200), '2012-01-01Z'
  FROM generate_series(1, ${hosts}) g;
INSERT INTO registry.host_status SELECT 'H' || g || '-BENCH', 1, 'linked', NULL, NULL FROM generate_series(1, ${hosts}) g;
INSERT INTO registry.domain (roid, name, tld, registrant, cl_id, cr_rr, cr_date, ex_date, up_rr, up_date)
  SELECT 'D' || g || '-BENCH', 'domain-' || g || '.${TLD}', '${TLD}', 'con' || g, 'rar-' || (1 + g % 200), 'rar-' || (1 + g % 200),
         '2015-01-01Z'::timestamptz + (g || ' minutes')::interval, '2030-01-01Z'::timestamptz + (g || ' minutes')::interval,
         'rar-' || (1 + g % 200), '2021-01-01Z'::timestamptz + (g || ' seconds')::interval
  FROM generate_series(1, ${n}) g;
INSERT INTO registry.domain_status SELECT 'D' || g || '-BENCH', 1, CASE WHEN g % 5 = 0 THEN 'clientTransferProhibited' ELSE 'ok' END, NULL, NULL FROM generate_series(1, ${n}) g;
INSERT INTO registry.domain_status SELECT 'D' || g || '-BENCH', 2, 'clientDeleteProhibited', NULL, NULL FROM generate_series(1, ${n}) g WHERE g % 5 = 0;
INSERT INTO registry.domain_contact SELECT 'D' || g || '-BENCH', 1, 'admin', 'con' || g FROM generate_series(1, ${n}) g;
INSERT INTO registry.domain_contact SELECT 'D' || g || '-BENCH', 2, 'tech', 'con' || (1 + (g * 7) % ${n}) FROM generate_series(1, ${n}) g;
INSERT INTO registry.domain_ns SELECT 'D' || g || '-BENCH', 1, 'H' || (1 + (g % (${hosts} / 2)) * 2) || '-BENCH' FROM generate_series(1, ${n}) g;
INSERT INTO registry.domain_ns SELECT 'D' || g || '-BENCH', 2, 'H' || (2 + (g % (${hosts} / 2)) * 2) || '-BENCH' FROM generate_series(1, ${n}) g;
INSERT INTO registry.domain_ds SELECT 'D' || g || '-BENCH', 1, g % 65536, 13, 2, upper(md5(g::text) || md5((g + 1)::text)), NULL, NULL, NULL, NULL
  FROM generate_series(1, ${n}) g WHERE g % 5 = 0;
INSERT INTO registry.epp_params VALUES ('${TLD}', '{1.0}', '{en}', '{urn:ietf:params:xml:ns:domain-1.0,urn:ietf:params:xml:ns:host-1.0,urn:ietf:params:xml:ns:contact-1.0}',
  '{urn:ietf:params:xml:ns:secDNS-1.1,urn:ietf:params:xml:ns:rgp-1.0}',
  '{"access":"all","statement":[{"purpose":["admin","prov"],"recipient":{"other":false,"ours":[],"public":true,"same":false,"unrelated":false},"retention":"stated"}]}');
INSERT INTO registry.policy VALUES ('${TLD}', 1, '//rde:deposit/rde:contents/rdeDomain:domain', 'rdeDomain:registrant');
CREATE TABLE strongroom.bench_meta (fill text, domains integer);
INSERT INTO strongroom.bench_meta VALUES ('${FILL_VERSION}', ${n});
`;
}

async function prepare(n: number, fresh: boolean): Promise<string> {
  const name = `sr_bench_deposit_${n}`;
  const url = withDatabase(ADMIN_URL, name);
  const admin = await ServerDb.open(ADMIN_URL);
  try {
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0;
    if (exists && !fresh) {
      const db = await ServerDb.open(url);
      const meta = await db
        .query<{ fill: string; domains: number }>("SELECT fill, domains FROM strongroom.bench_meta")
        .catch(() => []);
      await db.close();
      if (meta[0]?.fill === FILL_VERSION && meta[0].domains === n) return url;
    }
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const db = await ServerDb.open(url);
  await migrate(db);
  await db.close();
  const started = Date.now();
  await heavy('psql', [url, '-q', '-v', 'ON_ERROR_STOP=1', '-c', fillSql(n)]);
  await heavy('psql', [url, '-q', '-c', 'VACUUM ANALYZE']);
  console.log(`  populated ${name} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return url;
}

interface DepositRun {
  file: string;
  bytes: number;
  objects: number;
  seconds: number;
  /** CPU time of the deposit process (user + system), to tell CPU-bound from waiting. */
  cpuSeconds: number;
  objectsPerSecond: number;
  errors: number;
  maxRssKiB: number;
  counts: Record<string, number>;
}

interface Row {
  domains: number;
  deposit: DepositRun;
  copy: { rows: number; bytes: number; seconds: number };
  gzip: { seconds: number; bytes: number };
}

async function measure(n: number, fresh: boolean, keep: boolean): Promise<Row> {
  console.log(`\n# ${n.toLocaleString('en-US')} domains`);
  const url = await prepare(n, fresh);
  const db = await ServerDb.open(url);
  await db.exec('DELETE FROM strongroom.deposit');
  await db.close();
  const copy = JSON.parse(await heavy(process.execPath, [WORKER, 'copy', url])) as Row['copy'];
  const out = await mkdtemp(join(tmpdir(), 'sr-bench-deposit-'));
  try {
    const deposit = JSON.parse(await heavy(process.execPath, [WORKER, 'deposit', url, TLD, out])) as DepositRun;
    if (deposit.errors > 0) throw new Error(`the benchmark deposit had ${deposit.errors} pre-flight errors`);
    const started = process.hrtime.bigint();
    const gz = await heavy('sh', ['-c', `gzip -6 -c '${deposit.file}' | wc -c`]);
    const gzip = { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes: Number(gz.trim()) };
    return { domains: n, deposit, copy, gzip };
  } finally {
    if (!keep) await rm(out, { recursive: true, force: true });
    else console.log(`  kept ${out}`);
  }
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
for (const n of args.domains) rows.push(await measure(n, args.fresh, args.keep));

console.log('\n| domains | objects | XML MB | deposit s | deposit CPU s | objects/s | XML MB/s | peak RSS MiB | COPY rows | COPY s | COPY rows/s | deposit rows/s | deposit/COPY | gzip -6 MB/s | gzip ratio |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const d = r.deposit;
  const rowRate = r.copy.rows / d.seconds;
  console.log(
    `| ${fmt(r.domains)} | ${fmt(d.objects)} | ${fmt(d.bytes / MB, 1)} | ${fmt(d.seconds, 1)} | ${fmt(d.cpuSeconds, 1)} | ${fmt(d.objectsPerSecond)} | ${fmt(d.bytes / MB / d.seconds, 1)} | ` +
      `${fmt(d.maxRssKiB / 1024)} | ${fmt(r.copy.rows)} | ${fmt(r.copy.seconds, 1)} | ${fmt(r.copy.rows / r.copy.seconds)} | ${fmt(rowRate)} | ` +
      `${fmt((100 * rowRate) / (r.copy.rows / r.copy.seconds), 1)}% | ${fmt(d.bytes / MB / r.gzip.seconds, 1)} | ${fmt(d.bytes / r.gzip.bytes, 1)}× |`,
  );
}
const verdicts: string[] = [];
for (const r of rows) {
  const ratio = r.copy.seconds / r.deposit.seconds;
  verdicts.push(`${fmt(r.domains)} domains: deposit row rate ${fmt(100 * ratio, 1)}% of COPY (target ≥ 50%): ${ratio >= 0.5 ? 'met' : 'MISSED'}`);
}
const large = rows.find((r) => r.domains === 1_000_000);
const small = rows.find((r) => r.domains === 100_000);
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
