/**
 * Benchmark: Strongroom's streaming structure checker (src/agent/structure) against the peer
 * validator escrow agents use, `xmllint --noout --stream --schema all-rde-deposit.xsd`, on the
 * same large FULL deposit, in the same run. Two parse-only runs (no validation) are shown too:
 * Strongroom's byte-level scanner (src/common/xml-scan.ts, the checker's floor) and saxes (the
 * string-based parser it replaced), so the tokenizer speed-up is measured in the same run; and
 * the deposit reader (src/reader, typed objects for rebuild) on the same file, against the
 * saxes-only parse, the floor of the saxes-based reader it replaced.
 *
 * The deposit: a FULL deposit of a generated registry (src/generate → src/deposit on embedded
 * PGlite, both host models' objects present), whose domain, host and contact objects are then
 * replicated with fresh names and roids until the file reaches STRUCTURE_BENCH_MB (default 512).
 * Header counts are not updated (neither validator checks them). Both validators must find
 * the file valid, otherwise the run is void.
 *
 * Prints MiB/s of wall time (process spawn to exit, best of STRUCTURE_BENCH_RUNS, default 2,
 * alternating) and peak RSS (ours: process.resourceUsage().maxRSS of the worker; xmllint:
 * /usr/bin/time -f %M), and the ratio ours/xmllint. Recorded in docs/benchmarks.md.
 *
 *   flock /tmp/strongroom-heavy.lock npm run bench -- verify-structure
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, mkdir, readFile, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { EmbeddedDb } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';
import { writeFullDeposit } from '../src/deposit/full-deposit.js';
import { generateRegistry } from '../src/generate/generate.js';
import { RDE_SCHEMA } from '../src/testing/paths.js';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'verify-structure-worker.js');
const TARGET_MB = Number(process.env.STRUCTURE_BENCH_MB ?? 512);
const RUNS = Number(process.env.STRUCTURE_BENCH_RUNS ?? 2);
const AS_OF = '2026-01-04T00:00:00Z';

/** Objects whose copies get fresh identifiers: [element, identifying child elements]. */
const REPLICATED = /<(rdeDomain:domain|rdeHost:host|rdeContact:contact)>[\s\S]*?<\/\1>/g;

async function buildDeposit(dir: string): Promise<string> {
  const dbDir = join(dir, 'db');
  await mkdir(dbDir);
  const db = await EmbeddedDb.open(dbDir);
  let seed: string;
  try {
    await migrate(db);
    await generateRegistry(db, { tld: 'bench', domains: 2000, seed: 'bench-structure', hostModel: 'objects', asOf: AS_OF });
    const out = join(dir, 'seed');
    await mkdir(out);
    const result = await writeFullDeposit(db, { tld: 'bench', outDir: out, watermark: AS_OF });
    seed = await readFile(result.file, 'utf8');
  } finally {
    await db.close();
  }
  const contentsEnd = seed.lastIndexOf('</rde:contents>');
  // Objects at the length limits (the generator's edge cases) cannot take a prefix: not copied.
  const objects = (seed.match(REPLICATED) ?? []).filter((o) => !/:name>[^<]{240,}<|:roid>[^<-]{70,}-/.test(o));
  if (objects.length === 0) throw new Error('the seed deposit has no objects to replicate');
  const file = join(dir, 'large.xml');
  const out = createWriteStream(file);
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write(seed.slice(0, contentsEnd));
  let bytes = contentsEnd;
  for (let copy = 1; bytes < TARGET_MB * 1024 * 1024; copy++) {
    // Fresh names, ids and roids per copy: labels get a prefix, roids a numeric infix.
    const tag = `c${copy}`;
    let block = '';
    for (const o of objects) {
      block += o
        .replace(/<(rdeDomain|rdeHost):name>([^<]+)</g, (_, p: string, n: string) => `<${p}:name>${tag}${n}<`)
        .replace(/<(rdeDomain|rdeHost|rdeContact):roid>([^<-]+)-/g, (_, p: string, r: string) => `<${p}:roid>${r}${tag}-`)
        .replace(/<rdeContact:id>([^<]{1,12})/g, (_, id: string) => `<rdeContact:id>${id.slice(0, 12)}`);
    }
    await write(block);
    bytes += Buffer.byteLength(block);
  }
  await write(seed.slice(contentsEnd));
  out.end();
  await once(out, 'finish');
  return file;
}

interface Run {
  /** Wall time, process spawn to exit. */
  seconds: number;
  /** CPU time (user + system): the fairer figure when the machine is shared. */
  cpu: number;
  rss: number;
  valid: boolean;
}

/** Run a command under /usr/bin/time: wall, CPU and peak RSS of the process. */
function timed(command: string, args: string[]): { status: number | null; stdout: string; stderr: string; seconds: number; cpu: number; rss: number } {
  const result = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', command, ...args], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = result.stderr.trim().split('\n').reverse().find((l) => l.startsWith('TIME '));
  if (!line) throw new Error(`no timing for ${command}: ${result.stderr}`);
  const [, wall, user, sys, rss] = line.split(' ').map(Number) as [number, number, number, number, number];
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, seconds: wall, cpu: user + sys, rss: rss * 1024 };
}

function ours(mode: 'check' | 'scan' | 'parse' | 'read', file: string): Run {
  const r = timed(process.execPath, [WORKER, mode, file]);
  if (r.status !== 0) throw new Error(`worker failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { errors: number };
  return { seconds: r.seconds, cpu: r.cpu, rss: r.rss, valid: report.errors === 0 };
}

function xmllint(file: string): Run {
  const r = timed('xmllint', ['--noout', '--stream', '--schema', RDE_SCHEMA, file]);
  return { seconds: r.seconds, cpu: r.cpu, rss: r.rss, valid: r.status === 0 };
}

const dir = await mkdtemp(join(tmpdir(), 'sr-bench-structure-'));
try {
  const file = await buildDeposit(dir);
  const size = (await stat(file)).size;
  const mib = size / (1 << 20);
  console.log(`deposit: ${mib.toFixed(0)} MiB; ${cpus().length} cores; load average ${loadavg()[0]!.toFixed(1)}`);
  const best = { check: Infinity, scan: Infinity, parse: Infinity, read: Infinity, xmllint: Infinity };
  const cpu = { check: Infinity, scan: Infinity, parse: Infinity, read: Infinity, xmllint: Infinity };
  const rss = { check: 0, scan: 0, parse: 0, read: 0, xmllint: 0 };
  for (let run = 0; run < RUNS; run++) {
    const x = xmllint(file);
    const c = ours('check', file);
    const sc = ours('scan', file);
    const p = ours('parse', file);
    const rd = ours('read', file);
    cpu.read = Math.min(cpu.read, rd.cpu);
    best.read = Math.min(best.read, rd.seconds);
    rss.read = Math.max(rss.read, rd.rss);
    if (!x.valid || !c.valid) {
      if (process.env.STRUCTURE_BENCH_KEEP) console.log(file);
      throw new Error(`the deposit must be valid for both (xmllint ${x.valid}, strongroom ${c.valid})`);
    }
    cpu.xmllint = Math.min(cpu.xmllint, x.cpu);
    cpu.check = Math.min(cpu.check, c.cpu);
    cpu.parse = Math.min(cpu.parse, p.cpu);
    cpu.scan = Math.min(cpu.scan, sc.cpu);
    best.scan = Math.min(best.scan, sc.seconds);
    rss.scan = Math.max(rss.scan, sc.rss);
    best.xmllint = Math.min(best.xmllint, x.seconds);
    best.check = Math.min(best.check, c.seconds);
    best.parse = Math.min(best.parse, p.seconds);
    rss.xmllint = Math.max(rss.xmllint, x.rss);
    rss.check = Math.max(rss.check, c.rss);
    rss.parse = Math.max(rss.parse, p.rss);
    console.log(`run ${run + 1}: wall (cpu) xmllint ${x.seconds.toFixed(2)} (${x.cpu.toFixed(2)}) s, strongroom ${c.seconds.toFixed(2)} (${c.cpu.toFixed(2)}) s, scanner only ${sc.seconds.toFixed(2)} (${sc.cpu.toFixed(2)}) s, saxes only ${p.seconds.toFixed(2)} (${p.cpu.toFixed(2)}) s, reader ${rd.seconds.toFixed(2)} (${rd.cpu.toFixed(2)}) s`);
  }
  const rate = (s: number) => `${(mib / s).toFixed(1)} MiB/s`;
  const mb = (b: number) => `${(b / (1 << 20)).toFixed(0)} MiB`;
  console.log(`xmllint --stream --schema:  ${rate(best.xmllint)} wall, ${rate(cpu.xmllint)} CPU, peak RSS ${mb(rss.xmllint)}`);
  console.log(`strongroom structure check: ${rate(best.check)} wall, ${rate(cpu.check)} CPU, peak RSS ${mb(rss.check)}`);
  console.log(`scanner parse only:         ${rate(best.scan)} wall, ${rate(cpu.scan)} CPU, peak RSS ${mb(rss.scan)}`);
  console.log(`saxes parse only:           ${rate(best.parse)} wall, ${rate(cpu.parse)} CPU, peak RSS ${mb(rss.parse)}`);
  console.log(`deposit reader (objects):   ${rate(best.read)} wall, ${rate(cpu.read)} CPU, peak RSS ${mb(rss.read)}; CPU ${(cpu.read / cpu.parse).toFixed(2)}x the saxes-only parse`);
  console.log(`ratio scanner / saxes (parse only): CPU ${(cpu.scan / cpu.parse).toFixed(2)}x (${(cpu.parse / cpu.scan).toFixed(1)} times faster)`);
  console.log(
    `ratio strongroom / xmllint: wall ${(best.check / best.xmllint).toFixed(2)}x, CPU ${(cpu.check / cpu.xmllint).toFixed(2)}x (< 1 is faster); validation over the scanner alone: CPU ${(cpu.check / cpu.scan).toFixed(2)}x; load average now ${loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  if (!process.env.STRUCTURE_BENCH_KEEP) await rm(dir, { recursive: true, force: true });
}
