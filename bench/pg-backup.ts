/**
 * Benchmark: `strongroom pg backup` of a ≥ 1 GB cluster against
 * `pg_basebackup -D - -Ft -X fetch -z -c fast | gpg -e` in the same run (issue 8: target ≤ 1.0×).
 *
 * A dedicated cluster (initdb as postgres, free loopback port, archive_mode off) is created
 * once in $TMPDIR/strongroom-bench-pgbackup and reused: pgbench tables (scale PG_BENCH_SCALE,
 * default 40, very compressible filler) plus a registry-like table of hashed text
 * (PG_BENCH_ROWS, default 5M rows), ≥ 1 GB on disk together. Both sides run as child
 * processes timed from spawn to exit, alternating, best of PG_BENCH_RUNS (default 2), to the
 * same RSA-3072 key, under /usr/bin/time (CPU of the whole process tree, peak RSS of its largest
 * process). Ours also signs and writes the manifest (SHA-256 of every file).
 * Run heavy: flock /tmp/strongroom-heavy.lock npm run bench -- pg-backup
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { generateKeyPair } from '../src/ryde/keys.js';
import { runProgram } from '../src/pg-backup/process.js';
import { chownTree, freePort, serverUser, startServer } from '../src/pg-backup/server.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const WORK = join(tmpdir(), 'strongroom-bench-pgbackup');
const RUNS = Number(process.env.PG_BENCH_RUNS ?? 2);
const SCALE = Number(process.env.PG_BENCH_SCALE ?? 40);
const ROWS = Number(process.env.PG_BENCH_ROWS ?? 5_000_000);
const BIN = fileURLToPath(new URL('../../bin/strongroom.js', import.meta.url));
const MB = 1024 * 1024;

function dirSize(path: string): number {
  let total = 0;
  for (const entry of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name)).size;
  }
  return total;
}

interface Timed {
  seconds: number;
  /** User + system CPU of the process and every child it waited for (pg_basebackup, zstd, gzip, gpg). */
  cpuSeconds: number;
  /** Peak RSS of the largest process of the tree (getrusage's children maxrss), KiB. */
  maxRssKiB: number;
}

/** Run under /usr/bin/time: wall from spawn to exit, CPU and peak RSS of the whole process tree. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Timed {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', 'SRTIME %U %S %M', command, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env, maxBuffer: 1 << 26 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stderr = result.stderr.toString();
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}): ${stderr.slice(-2000)}`);
  const match = /SRTIME (\S+) (\S+) (\d+)\s*$/.exec(stderr);
  if (!match) throw new Error(`no /usr/bin/time figures in: ${stderr.slice(-500)}`);
  return { seconds, cpuSeconds: Number(match[1]) + Number(match[2]), maxRssKiB: Number(match[3]) };
}

async function main(): Promise<void> {
  const user = serverUser();
  mkdirSync(WORK, { recursive: true, mode: 0o711 });
  const dataDir = join(WORK, 'data');
  const socketDir = join(WORK, 'run');
  mkdirSync(socketDir, { recursive: true, mode: 0o700 });
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  await chownTree(WORK, user);
  const run = user ? { uid: user.uid, gid: user.gid, cwd: '/' } : { cwd: '/' };
  if (fresh) await runProgram(`${PG_BIN}/initdb`, ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '--no-sync', '--no-instructions', '-E', 'UTF8', '--locale=C'], run);
  const port = await freePort();
  const server = await startServer({ binDir: PG_BIN, dataDir, socketDir, logFile: join(WORK, 'server.log'), port, user, settings: { archive_mode: 'off', max_wal_senders: '4', wal_level: 'replica', shared_buffers: '128MB' } });
  try {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await client.connect();
    if (fresh) {
      console.log(`generating: pgbench scale ${SCALE} + ${ROWS} registry-like rows …`);
      await runProgram(`${PG_BIN}/pgbench`, ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-i', '-q', '-s', String(SCALE), 'postgres']);
      await client.query(`CREATE TABLE domain AS SELECT g AS id, md5(g::text) || '.example' AS name, md5((g * 7)::text) AS registrant,
                                 now() - (g % 3650) * interval '1 day' AS created, (g % 500) AS registrar FROM generate_series(1, ${ROWS}) g`);
      await client.query('ALTER TABLE domain ADD PRIMARY KEY (id)');
      await client.query('CHECKPOINT');
    }
    const size = Number((await client.query<{ s: string }>('SELECT sum(pg_database_size(datname))::bigint AS s FROM pg_database')).rows[0]!.s);
    await client.end();
    console.log(`cluster: ${(size / MB).toFixed(0)} MiB on disk (port ${port})`);
    if (size < 1024 * MB) throw new Error('the benchmark cluster is smaller than 1 GiB: raise PG_BENCH_ROWS or PG_BENCH_SCALE and remove the work directory');

    const keysDir = join(WORK, 'keys');
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    const pair = await generateKeyPair({ profile: 'rfc4880', uid: 'bench <bench@example.test>' });
    writeFileSync(join(keysDir, 'key.asc'), pair.privateKey, { mode: 0o600 });
    writeFileSync(join(keysDir, 'pub.asc'), pair.publicKey, { mode: 0o600 });
    const dest = join(WORK, 'dest');
    const configFile = join(WORK, 'pg-backup.yaml');
    writeFileSync(
      configFile,
      stringify({ pgBackup: { cluster: 'bench', connection: { host: '127.0.0.1', port, user: 'postgres', database: 'postgres' }, binDir: PG_BIN, destination: { kind: 'directory', path: dest }, keys: { signingKey: join(keysDir, 'key.asc'), recipients: [join(keysDir, 'pub.asc')] } } }),
    );
    const gnupg = join(WORK, 'gnupg');
    rmSync(gnupg, { recursive: true, force: true });
    mkdirSync(gnupg, { mode: 0o700 });
    const gpgEnv = { ...process.env, GNUPGHOME: gnupg };
    if (spawnSync('gpg', ['--batch', '--import', join(keysDir, 'pub.asc')], { env: gpgEnv }).status !== 0) throw new Error('gpg --import failed');
    const baselineOut = join(WORK, 'baseline.tar.gz.gpg');
    const baseline = `${PG_BIN}/pg_basebackup -h 127.0.0.1 -p ${port} -U postgres -w -D - -Ft -X fetch -z -c fast | gpg --batch --no-tty --trust-model always -e -r ${pair.fingerprint} -o ${baselineOut}`;

    const ours: Timed[] = [];
    const theirs: Timed[] = [];
    let oursSize = 0;
    let theirsSize = 0;
    for (let i = 0; i < RUNS; i++) {
      rmSync(dest, { recursive: true, force: true });
      ours.push(timed(process.execPath, [BIN, 'pg', 'backup', '--config', configFile, '--quiet']));
      oursSize = dirSize(dest);
      rmSync(baselineOut, { force: true });
      theirs.push(timed('bash', ['-c', `set -o pipefail; ${baseline}`], gpgEnv));
      theirsSize = statSync(baselineOut).size;
      console.log(`run ${i + 1}: strongroom ${ours[i]!.seconds.toFixed(1)} s (CPU ${ours[i]!.cpuSeconds.toFixed(1)} s), pg_basebackup -z | gpg -e ${theirs[i]!.seconds.toFixed(1)} s (CPU ${theirs[i]!.cpuSeconds.toFixed(1)} s); load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
    }
    const best = (values: Timed[]): Timed => values.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const rows = [
      ['strongroom pg backup (zstd -3 -T0, SEIPD v1 AES-256, signed, manifest with SHA-256 per file)', best(ours), oursSize, Math.max(...ours.map((r) => r.maxRssKiB))],
      ['pg_basebackup -Ft -z | gpg -e (gzip, then gpg ZIP + AES-256, unsigned)', best(theirs), theirsSize, Math.max(...theirs.map((r) => r.maxRssKiB))],
    ] as const;
    console.log(`\n| | wall, best of ${RUNS} | CPU (that run) | MB/s | peak RSS | output |\n|---|---:|---:|---:|---:|---:|`);
    for (const [name, run, bytes, rss] of rows) console.log(`| ${name} | ${run.seconds.toFixed(1)} s | ${run.cpuSeconds.toFixed(1)} s | ${(size / MB / run.seconds).toFixed(0)} | ${(rss / 1024).toFixed(0)} MiB | ${(bytes / MB).toFixed(0)} MiB |`);
    console.log(`\nratio strongroom / baseline: wall ${(best(ours).seconds / best(theirs).seconds).toFixed(2)}× (target ≤ 1.0×), CPU ${(best(ours).cpuSeconds / best(theirs).cpuSeconds).toFixed(2)}×`);
  } finally {
    await server.stop();
    rmSync(join(WORK, 'dest'), { recursive: true, force: true });
    rmSync(join(WORK, 'baseline.tar.gz.gpg'), { force: true });
    rmSync(join(WORK, 'gnupg'), { recursive: true, force: true });
  }
}

await main();
