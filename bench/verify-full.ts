/**
 * Benchmark (issue 6 item 9): `strongroom agent verify` of a sealed 1M-domain FULL deposit —
 * every stage: signatures, decrypt/decompress/safe untar into the encrypted spool,
 * well-formedness, Strongroom's structure checker, container rules, RST object rules,
 * references through the catalog, chain — against the peer pipeline escrow agents run,
 *
 *   gpg --decrypt <parts> | tar -xO | xmllint --noout --stream --schema all-rde-deposit.xsd -
 *
 * on the same .ryde files, in the same run. Target: ours ≤ 1.0 × the pipeline's wall time;
 * memory bounded (peak RSS printed: ours from /usr/bin/time of the CLI process, the
 * pipeline's the largest of its processes).
 *
 *   flock /tmp/strongroom-heavy.lock node dist/bench/verify-full.js [--domains N] [--runs R] [--keep]
 *
 * (the whole run under the heavy-work lock: the script takes no lock itself, so that the
 * deposit, the baseline and ours run back to back on the same machine state).
 *
 * The registry: the same generated source as bench/rebuild.ts (reader_bench_source_<n>, seed
 * "bench", as-of 2026-01-04; generated here when missing). The deposit is written sealed
 * (`strongroom deposit --seal`, RSA-3072 keys made for the run) so no plaintext is on disk;
 * the catalog is a database of its own (agent_bench_catalog_<n>), dropped afterwards.
 * PostgreSQL's CPU for the catalog's reference table is not in our CPU figure (another
 * process); its wall time is.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { ServerDb } from '../src/db/server.js';
import { withDatabase } from '../src/testing/databases.js';
import { CLI, RDE_SCHEMA } from '../src/testing/paths.js';

const ADMIN_URL = process.env.STRONGROOM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TLD = 'bench';
const SEED = 'bench';
const AS_OF = '2026-01-04T00:00:00Z';
/** Same fill marker as bench/rebuild.ts and bench/full-deposit.ts: the source is shared. */
const FILL_VERSION = `generator ${SEED} ${AS_OF}`;

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string, fallback: number) => {
  const at = argv.indexOf(name);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
const DOMAINS = value('--domains', 1_000_000);
const RUNS = value('--runs', 1);

interface Timed {
  status: number | null;
  stdout: string;
  stderr: string;
  wall: number;
  cpu: number;
  rssMiB: number;
}

/** Under /usr/bin/time: wall, CPU (user + system of all processes) and peak RSS. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env });
  const line = result.stderr.trim().split('\n').reverse().find((l) => l.startsWith('TIME '));
  if (!line) throw new Error(`no timing for ${command}: ${result.stderr.slice(-2000)}`);
  const [, wall, user, sys, rss] = line.split(' ').map(Number) as [number, number, number, number, number];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, wall, cpu: user + sys, rssMiB: rss / 1024 };
}

/** A setup step; fails loudly. */
function step(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function sourceRegistry(admin: ServerDb): Promise<string> {
  const name = `reader_bench_source_${DOMAINS}`;
  const url = withDatabase(ADMIN_URL, name);
  if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).length > 0) {
    const db = await ServerDb.open(url);
    const meta = await db.query<{ fill: string; domains: number }>('SELECT fill, domains FROM strongroom.bench_meta').catch(() => []);
    await db.close();
    if (meta[0]?.fill === FILL_VERSION && meta[0].domains === DOMAINS) return url;
  }
  await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.exec(`CREATE DATABASE ${name}`);
  await step(process.execPath, [CLI, 'registry', 'generate', '--db', url, '--tld', TLD, '--domains', String(DOMAINS), '--seed', SEED, '--as-of', AS_OF, '--quiet']);
  const db = await ServerDb.open(url);
  await db.exec(`CREATE TABLE strongroom.bench_meta (fill text, domains integer); INSERT INTO strongroom.bench_meta VALUES ('${FILL_VERSION}', ${DOMAINS})`);
  await db.close();
  return url;
}

const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const cpu = cpus();
console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`tools: ${spawnSync('gpg', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}; ${spawnSync('xmllint', ['--version'], { encoding: 'utf8' }).stderr.split('\n')[0]}`);

const admin = await ServerDb.open(ADMIN_URL);
const work = await mkdtemp(join(tmpdir(), 'sr-bench-verify-'));
const catalogName = `agent_bench_catalog_${DOMAINS}`;
try {
  const sourceUrl = await sourceRegistry(admin);
  const source = await ServerDb.open(sourceUrl);
  await source.exec('DELETE FROM strongroom.deposit');
  await source.close();

  // Keys: the registry signs, the agent decrypts (RSA-3072, Spec 2's usual profile).
  const keys = join(work, 'keys');
  await mkdir(keys);
  await step(process.execPath, [CLI, 'keys', 'generate', '--profile', 'rfc4880', '--uid', 'bench registry <registry@bench.invalid>', '--out', join(keys, 'registry'), '--quiet']);
  await step(process.execPath, [CLI, 'keys', 'generate', '--profile', 'rfc4880', '--uid', 'bench agent <agent@bench.invalid>', '--out', join(keys, 'agent'), '--quiet']);
  const sealedDir = join(work, 'sealed');
  await mkdir(sealedDir);
  await step(process.execPath, [CLI, 'deposit', '--db', sourceUrl, '--tld', TLD, '--type', 'full', '--watermark', AS_OF, '--out', sealedDir, '--seal', '--key', join(keys, 'registry.key.asc'), '--recipient', join(keys, 'agent.pub.asc'), '--quiet']);
  // The source is shared with bench/rebuild.ts and bench/full-deposit.ts: leave no deposit record behind.
  const recorded = await ServerDb.open(sourceUrl);
  await recorded.exec('DELETE FROM strongroom.deposit');
  await recorded.close();
  const files = (await readdir(sealedDir)).filter((f) => f.endsWith('.ryde') || f.endsWith('.sig')).sort().map((f) => join(sealedDir, f));
  const parts = files.filter((f) => f.endsWith('.ryde'));
  let sealedBytes = 0;
  for (const part of parts) sealedBytes += (await stat(part)).size;
  console.log(`deposit: ${DOMAINS.toLocaleString('en-US')} domains, ${parts.length} part(s), ${fmt(sealedBytes / 2 ** 20)} MiB sealed`);

  // The peer pipeline's keyring.
  const gnupg = join(work, 'gnupg');
  spawnSync('mkdir', ['-m', '700', gnupg]);
  const env = { ...process.env, GNUPGHOME: gnupg };
  const imported = spawnSync('gpg', ['--batch', '--import', join(keys, 'agent.key.asc'), join(keys, 'registry.pub.asc')], { env, encoding: 'utf8' });
  if (imported.status !== 0) throw new Error(`gpg --import: ${imported.stderr}`);
  const pipeline = `cat ${parts.map((p) => `'${p}'`).join(' ')} | gpg --batch --quiet --decrypt 2>/dev/null | tar -xO | xmllint --noout --stream --schema '${RDE_SCHEMA}' -`;

  const best = { ours: { wall: Infinity, cpu: Infinity, rss: 0 }, peer: { wall: Infinity, cpu: Infinity, rss: 0 } };
  let status = '';
  let xmlBytes = 0;
  let stages = '';
  for (let run = 1; run <= RUNS; run++) {
    const peer = timed('bash', ['-c', `set -o pipefail; ${pipeline}`], env);
    if (peer.status !== 0 || !/ validates/.test(peer.stderr)) throw new Error(`the peer pipeline did not validate the deposit: ${peer.stderr.slice(-2000)}`);
    await admin.exec(`DROP DATABASE IF EXISTS ${catalogName} WITH (FORCE)`);
    await admin.exec(`CREATE DATABASE ${catalogName}`);
    const repo = join(work, `repo-${run}`);
    const ours = timed(process.execPath, [CLI, 'agent', 'verify', '--json', '--quiet', '--key', join(keys, 'agent.key.asc'), '--signer', join(keys, 'registry.pub.asc'), '--repo', repo, '--db', withDatabase(ADMIN_URL, catalogName), ...files]);
    const report = JSON.parse(ours.stdout) as { status: string; stages: Array<{ id: string; status: string }>; findings: Array<{ code: string; severity: string }>; facts: { xmlBytes?: number } };
    status = report.status;
    xmlBytes = report.facts.xmlBytes ?? 0;
    stages = report.stages.map((s) => `${s.id} ${s.status}`).join(', ');
    const errors = report.findings.filter((f) => f.severity === 'error');
    if (errors.length > 0) console.log(`  findings: ${errors.slice(0, 5).map((f) => f.code).join(', ')}${errors.length > 5 ? ' …' : ''}`);
    console.log(`run ${run}: peer ${fmt(peer.wall)} s wall, ${fmt(peer.cpu)} s CPU, ${fmt(peer.rssMiB, 0)} MiB; strongroom ${fmt(ours.wall)} s wall, ${fmt(ours.cpu)} s CPU, ${fmt(ours.rssMiB, 0)} MiB (${report.status}); load ${loadavg()[0]!.toFixed(1)}`);
    best.peer = { wall: Math.min(best.peer.wall, peer.wall), cpu: Math.min(best.peer.cpu, peer.cpu), rss: Math.max(best.peer.rss, peer.rssMiB) };
    best.ours = { wall: Math.min(best.ours.wall, ours.wall), cpu: Math.min(best.ours.cpu, ours.cpu), rss: Math.max(best.ours.rss, ours.rssMiB) };
  }
  const mib = xmlBytes / 2 ** 20;
  console.log(`\nXML ${fmt(mib, 0)} MiB; stages: ${stages}`);
  console.log('| | wall s | CPU s | XML MiB/s (wall) | peak RSS MiB |');
  console.log('|---|---:|---:|---:|---:|');
  console.log(`| gpg --decrypt \\| tar -xO \\| xmllint --stream --schema | ${fmt(best.peer.wall)} | ${fmt(best.peer.cpu)} | ${fmt(mib / best.peer.wall)} | ${fmt(best.peer.rss, 0)} |`);
  console.log(`| strongroom agent verify (all stages, ${status}) | ${fmt(best.ours.wall)} | ${fmt(best.ours.cpu)} | ${fmt(mib / best.ours.wall)} | ${fmt(best.ours.rss, 0)} |`);
  const ratio = best.ours.wall / best.peer.wall;
  console.log(`\nratio strongroom / peer: wall ${ratio.toFixed(2)}×, CPU ${(best.ours.cpu / best.peer.cpu).toFixed(2)}× (target ≤ 1.0× wall: ${ratio <= 1 ? 'met' : 'MISSED'})`);
} finally {
  if (!flag('--keep')) {
    await admin.exec(`DROP DATABASE IF EXISTS ${catalogName} WITH (FORCE)`);
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: join(work, 'gnupg') } });
    await rm(work, { recursive: true, force: true });
  } else console.log(`kept ${work} and ${catalogName}`);
  await admin.close();
}
