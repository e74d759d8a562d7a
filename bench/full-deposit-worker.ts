/**
 * Child process of bench/full-deposit.ts, so that each measured run has a fresh heap and its
 * own peak RSS (`process.resourceUsage().maxRSS`). Modes:
 *
 *   deposit <db-url> <tld> <out-dir> <watermark> [jobs]   a FULL deposit (jobs: worker threads, default
 *                                      one per CPU, 0 = in-process); prints the result, CPU time and maxRSS as JSON
 *   copy <db-url>                      COPY (SELECT * FROM rde.<view>) TO STDOUT of every view a
 *                                      deposit reads, drained; prints rows, bytes, seconds
 */
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

async function copyAll(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("SET TIME ZONE 'UTC'");
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
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
  await client.query('COMMIT');
  await client.end();
  process.stdout.write(`${JSON.stringify({ rows, bytes, seconds, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
}

async function deposit(url: string, tld: string, outDir: string, watermark: string, jobs: number | undefined): Promise<void> {
  const db = await ServerDb.open(url);
  try {
    const cpu = process.cpuUsage();
    const result = await writeFullDeposit(db, { tld, outDir, watermark, ...(jobs === undefined ? {} : { jobs }) });
    const used = process.cpuUsage(cpu);
    const { findings, quarantined, ...rest } = result;
    // CPU time of the whole process: the main thread and the worker threads.
    process.stdout.write(
      `${JSON.stringify({ ...rest, errors: findings.errors, warnings: findings.warnings, quarantined: quarantined.length, cpuSeconds: (used.user + used.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
    );
  } finally {
    await db.close();
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'copy') await copyAll(args[0]!);
else if (mode === 'deposit') await deposit(args[0]!, args[1]!, args[2]!, args[3]!, args[4] === undefined ? undefined : Number(args[4]));
else {
  process.stderr.write('usage: full-deposit-worker copy <url> | deposit <url> <tld> <out-dir> <watermark> [jobs]\n');
  process.exit(2);
}
