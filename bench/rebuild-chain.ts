/**
 * Benchmark: rebuilding from a chain (`rebuildChain`: FULL d0 + DIFF d1…d6) against the FULL
 * rebuild of d0 alone (`rebuildFull`), on the PostgreSQL server, same data, same run.
 *
 * A registry of `--domains` domains (seed "bench-chain") gets a FULL deposit, then six days of
 * `registry churn` (`--churn` percent of the domains per day, default 1%; what would expire
 * before the next deposit is auto-renewed) each followed by a DIFF deposit (the real writer).
 * Prints the time of each deposit's application, the chain's total next to the FULL rebuild's,
 * and checks that the rebuilt chain compares equal to the source.
 *
 *   flock /tmp/strongroom-heavy.lock node dist/bench/rebuild-chain.js --domains 100000
 *
 * Databases sr_bench_chain_{source,full,chain} are created and dropped. Environment:
 * STRONGROOM_BENCH_PG_URL.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerDb } from '../src/db/server.js';
import { migrate } from '../src/db/migrate.js';
import { writeDiffDeposit } from '../src/deposit/diff-deposit.js';
import { writeFullDeposit } from '../src/deposit/full-deposit.js';
import { churnRegistry } from '../src/generate/churn.js';
import { generateRegistry } from '../src/generate/generate.js';
import { planChain } from '../src/rebuild/chain.js';
import { compareDatabases } from '../src/rebuild/compare.js';
import { rebuildChain } from '../src/rebuild/rebuild-chain.js';
import { rebuildFull } from '../src/rebuild/rebuild.js';
import { withDatabase } from '../src/testing/databases.js';

const ADMIN_URL = process.env.STRONGROOM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TLD = 'bench';
const DAYS = 6;
const at = (day: number, hours = 0) => new Date(Date.UTC(2026, 0, 4 + day, hours)).toISOString().replace('.000Z', 'Z');

function parseArgs(argv: string[]): { domains: number; churn: number } {
  const args = { domains: 100_000, churn: 1 };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--domains') args.domains = Number(argv[++i]);
    else if (argv[i] === '--churn') args.churn = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

async function main(): Promise<void> {
  const { domains, churn } = parseArgs(process.argv.slice(2));
  const admin = await ServerDb.open(ADMIN_URL);
  const names = ['sr_bench_chain_source', 'sr_bench_chain_full', 'sr_bench_chain_chain'] as const;
  const dir = await mkdtemp(join(tmpdir(), 'sr-bench-chain-'));
  const open: ServerDb[] = [];
  try {
    for (const name of names) {
      await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.exec(`CREATE DATABASE ${name}`);
    }
    const [source, fullTarget, chainTarget] = await Promise.all(names.map((name) => ServerDb.open(withDatabase(ADMIN_URL, name))));
    open.push(source!, fullTarget!, chainTarget!);
    await migrate(source!);
    let started = performance.now();
    await generateRegistry(source!, { tld: TLD, domains, seed: 'bench-chain', hostModel: 'objects', asOf: at(0) });
    console.log(`generated ${domains} domains in ${seconds(started).toFixed(1)} s`);
    await mkdir(join(dir, 'full'));
    await mkdir(join(dir, 'diff'));
    started = performance.now();
    const full = await writeFullDeposit(source!, { tld: TLD, outDir: join(dir, 'full'), watermark: at(0), jobs: 0 });
    console.log(`FULL deposit: ${seconds(started).toFixed(2)} s`);
    const files = [full.file];
    const changes = Math.max(1, Math.round((domains * churn) / 100));
    for (let day = 1; day <= DAYS; day++) {
      await churnRegistry(source!, { tld: TLD, changes, seed: `bench-chain-${day}`, at: at(day - 1, 12) });
      await source!.query(
        `UPDATE registry.domain d SET ex_date = ex_date + interval '1 year', up_date = $1
         WHERE ex_date <= $1::timestamptz + interval '1 day' AND NOT EXISTS (SELECT 1 FROM registry.domain_status s WHERE s.domain_roid = d.roid AND s.s = 'pendingDelete')`,
        [at(day - 1, 13)],
      );
      started = performance.now();
      const diff = await writeDiffDeposit(source!, { tld: TLD, outDir: join(dir, 'diff'), watermark: at(day), jobs: 0 });
      console.log(`DIFF deposit d${day} (${changes} changes): ${seconds(started).toFixed(2)} s`);
      files.push(diff.file);
    }

    started = performance.now();
    await rebuildFull(fullTarget!, full.file);
    const fullSeconds = seconds(started);
    started = performance.now();
    const summary = await rebuildChain(chainTarget!, await planChain(files));
    const chainSeconds = seconds(started);
    for (const d of summary.deposits) {
      const objects = Object.values(d.objects).reduce((a, b) => a + (b ?? 0), 0);
      console.log(`  applied ${d.type} ${d.id}: ${objects} objects, ${d.deletes} deletes, ${d.seconds.toFixed(2)} s`);
    }
    const applied = summary.deposits.slice(1).reduce((sum, d) => sum + d.seconds, 0);
    console.log(`rebuild FULL d0: ${fullSeconds.toFixed(2)} s; FULL d0 + ${DAYS} DIFF: ${chainSeconds.toFixed(2)} s (the DIFFs ${applied.toFixed(2)} s, ${((100 * applied) / fullSeconds).toFixed(1)}% of the FULL rebuild)`);
    const compared = await compareDatabases(source!, chainTarget!);
    console.log(`rebuilt chain equals the source: ${compared.equal}`);
    if (!compared.equal) process.exitCode = 1;
  } finally {
    for (const db of open) await db.close();
    for (const name of names) await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
