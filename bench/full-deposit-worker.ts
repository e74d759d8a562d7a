/**
 * Child process of bench/full-deposit.ts, so that each measured run has a fresh heap and its
 * own peak RSS (`process.resourceUsage().maxRSS`). Modes:
 *
 *   deposit <db-url> <tld> <out-dir> <watermark> [jobs|default] [sql|js]   a FULL deposit (jobs: connections
 *                                      or worker threads, default one per CPU, 0 = one; js: serialised in Node, the
 *                                      writer before sql-render.ts); prints the result, CPU time of this process and
 *                                      of its PostgreSQL backends, and maxRSS as JSON
 *   copy <db-url>                      COPY (SELECT * FROM rde.<view>) TO STDOUT of every view a
 *                                      deposit reads, drained; prints rows, bytes, seconds
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { ServerDb } from '../src/db/server.js';
import { writeFullDeposit } from '../src/deposit/full-deposit.js';

/** Every view of the read contract (migrations/001), children included. */
export const RDE_VIEWS = [
  'tld', 'registrar', 'registrar_postal', 'idn_table', 'contact', 'contact_status', 'contact_postal', 'host', 'host_status', 'host_addr',
  'domain', 'domain_status', 'domain_rgp_status', 'domain_contact', 'domain_ns', 'domain_ns_attr', 'domain_ns_attr_addr', 'domain_ds',
  'domain_key', 'nndn', 'epp_params', 'policy',
];

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 where there is no /proc. */
function processCpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

const TICKS = Number(process.env.CLK_TCK ?? 100);

/**
 * CPU seconds of the PostgreSQL backends serving a run: every `interval` ms the backends of
 * `application_name = 'strongroom'` on the database are looked up and their /proc CPU read;
 * each backend counts with its last reading (a backend's CPU after the last poll before it
 * exits is missed: at most one interval's worth).
 */
function watchBackends(url: string, interval = 100): { stop: () => Promise<number> } {
  const client = new pg.Client({ connectionString: url });
  const seen = new Map<number, number>();
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'strongroom'");
      for (const { pid } of rows) {
        const cpu = processCpuSeconds(pid);
        if (cpu > 0) seen.set(pid, cpu);
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
    await client.end();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return [...seen.values()].reduce((a, b) => a + b, 0);
    },
  };
}

async function copyAll(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("SET TIME ZONE 'UTC'");
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const { rows: [backend] } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const backendCpu = processCpuSeconds(backend!.pid);
  const ownCpu = process.cpuUsage();
  let rows = 0;
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (const view of RDE_VIEWS) {
    const stream = client.query(copyTo(`COPY (SELECT * FROM rde.${view}) TO STDOUT`));
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      for (let index = chunk.indexOf(10); index !== -1; index = chunk.indexOf(10, index + 1)) rows++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const serverCpuSeconds = processCpuSeconds(backend!.pid) - backendCpu;
  const used = process.cpuUsage(ownCpu);
  await client.query('COMMIT');
  await client.end();
  process.stdout.write(`${JSON.stringify({ rows, bytes, seconds, cpuSeconds: (used.user + used.system) / 1e6, serverCpuSeconds, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

async function deposit(url: string, tld: string, outDir: string, watermark: string, jobs: number | undefined, render: string | undefined): Promise<void> {
  const db = await ServerDb.open(url);
  try {
    const cpu = process.cpuUsage();
    const backends = watchBackends(url);
    const result = await writeFullDeposit(db, { tld, outDir, watermark, ...(jobs === undefined ? {} : { jobs }), ...(render === 'js' ? { renderInDatabase: false } : {}) });
    const used = process.cpuUsage(cpu);
    const serverCpuSeconds = await backends.stop();
    const { findings, quarantined, ...rest } = result;
    // CPU time of the whole process: the main thread and the worker threads.
    process.stdout.write(
      `${JSON.stringify({ ...rest, errors: findings.errors, warnings: findings.warnings, quarantined: quarantined.length, cpuSeconds: (used.user + used.system) / 1e6, serverCpuSeconds, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
    );
  } finally {
    await db.close();
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'copy') await copyAll(args[0]!);
else if (mode === 'deposit') await deposit(args[0]!, args[1]!, args[2]!, args[3]!, args[4] === undefined || args[4] === 'default' ? undefined : Number(args[4]), args[5]);
else {
  process.stderr.write('usage: full-deposit-worker copy <url> | deposit <url> <tld> <out-dir> <watermark> [jobs|default] [sql|js]\n');
  process.exit(2);
}
