/**
 * Micro-benchmark of the byte-level XML scanner (src/common/xml-scan.ts) and of its two
 * consumers on the escrow agent's structure worker (the structure checker and the
 * well-formedness scan), on a deposit XML held in memory, fed in chunks like
 * the verifier's decoder hands them over (1 MiB by default).
 *
 * To measure a change, build the tree before it into a directory of its own and name it as the
 * baseline: the two trees run alternately on the same bytes (each measurement in a child process), so the
 * ratio printed (this tree / baseline) is from the same machine state:
 *
 *   git stash && npm run build && cp -r dist /tmp/base-dist && git stash pop && npm run build
 *   ln -s "$PWD/node_modules" /tmp/node_modules; cp package.json /tmp/   # module resolution of the copy
 *   flock /tmp/strongroom-heavy.lock node dist/bench/xml-scan.js --file deposit.xml --baseline /tmp/base-dist
 *
 * Each measurement is a process of its own (one scenario of one tree: the type feedback V8
 * collects is that consumer's only, as on the worker), timed from after the file is read.
 * (a plain FULL deposit: `strongroom deposit --db <registry> --tld <tld> --type full --out <dir>`.
 * The script takes no lock itself: wrap it in flock as above.) Options: --runs N (default 3,
 * best of), --chunk BYTES, --only scan,text,structure,wellformed,worker.
 *
 * Scenarios, CPU seconds of the measuring process (best of the runs; GC helper threads included):
 *  - scan: the tokenizer alone (handlers that read nothing);
 *  - text: the tokenizer with every text and attribute value decoded to a string;
 *  - structure: StructureChecker (the schema check of the structure worker);
 *  - wellformed: WellFormedScan (the verifier's xml-wellformed summary, also on the worker);
 *  - worker: both, as the structure worker runs them (one scanner for both where the tree has
 *    WellFormedScan.handler, else a scanner each).
 * Results of both trees are compared (event counts, elements, findings): a difference fails the run.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
const file = opt('--file');
if (!file) {
  console.error('usage: node dist/bench/xml-scan.js --file <deposit.xml> [--baseline <dist dir>] [--runs N] [--chunk BYTES] [--only a,b]');
  process.exit(2);
}
const RUNS = Number(opt('--runs') ?? 3);
const CHUNK = Number(opt('--chunk') ?? 1 << 20);
const ONLY = opt('--only')?.split(',');

type Handler = object;
type Outcome = { summary?: unknown; finding?: unknown };

interface Impl {
  XmlScanner: new (handler: Handler) => { write(b: Uint8Array): void; end(): void; text(): string; attrCount: number; attrValue: string[] };
  StructureChecker: new (opts?: object) => Handler & { finish(): { findings: unknown[]; elements: number; errors: number } };
  WellFormedScan: new (where: string) => { write(b: Uint8Array): void; end(): Outcome; handler?: Handler; result?(): Outcome };
  /** The worker's tee of the structure checker and another handler (trees with one scanner for both). */
  both?: (checker: Handler, other: Handler) => Handler;
}

async function load(dist: string): Promise<Impl> {
  const url = (p: string) => pathToFileURL(resolve(dist, p)).href;
  const scan = (await import(url('src/common/xml-scan.js'))) as Pick<Impl, 'XmlScanner'>;
  const checker = (await import(url('src/agent/structure/checker.js'))) as Pick<Impl, 'StructureChecker'>;
  const xml = (await import(url('src/agent/verify/xml.js'))) as Pick<Impl, 'WellFormedScan'>;
  const worker = (await import(url('src/agent/structure/worker.js'))) as Pick<Impl, 'both'>;
  return { XmlScanner: scan.XmlScanner, StructureChecker: checker.StructureChecker, WellFormedScan: xml.WellFormedScan, both: worker.both };
}

const here = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const baseline = opt('--baseline');
const trees: Array<{ label: string; dist: string }> = [...(baseline ? [{ label: 'baseline', dist: baseline }] : []), { label: 'this tree', dist: here }];

const data = readFileSync(file);
const chunks: Buffer[] = [];
for (let i = 0; i < data.length; i += CHUNK) chunks.push(data.subarray(i, Math.min(data.length, i + CHUNK)));
const mib = data.length / 2 ** 20;

type X = { attrCount: number; attrValue: string[]; text(): string };
const fail = (e: { message: string }) => {
  throw new Error(e.message);
};
const scenarios: Record<string, (impl: Impl) => string> = {
  scan(impl) {
    let events = 0;
    const count = () => void events++;
    const s = new impl.XmlScanner({ open: count, close: count, text: count, cdata: count, error: fail });
    for (const c of chunks) s.write(c);
    s.end();
    return `events ${events}`;
  },
  text(impl) {
    let chars = 0;
    const s = new impl.XmlScanner({
      open(x: X) {
        for (let i = 0; i < x.attrCount; i++) chars += x.attrValue[i]!.length;
      },
      text(x: X) {
        chars += x.text().length;
      },
      cdata(x: X) {
        chars += x.text().length;
      },
      error: fail,
    });
    for (const c of chunks) s.write(c);
    s.end();
    return `chars ${chars}`;
  },
  structure(impl) {
    const checker = new impl.StructureChecker();
    const s = new impl.XmlScanner(checker);
    for (const c of chunks) s.write(c);
    s.end();
    const r = checker.finish();
    return `elements ${r.elements} errors ${r.errors} findings ${JSON.stringify(r.findings).length}`;
  },
  wellformed(impl) {
    const w = new impl.WellFormedScan('bench');
    for (const c of chunks) w.write(c);
    return JSON.stringify(w.end());
  },
  worker(impl) {
    // What the structure worker runs per chunk: this tree feeds both from one scanner, a tree
    // without WellFormedScan.handler ran a scanner for each.
    const checker = new impl.StructureChecker();
    const w = new impl.WellFormedScan('bench');
    const shared = w.handler !== undefined && impl.both !== undefined;
    const s = new impl.XmlScanner(shared ? impl.both!(checker, w.handler!) : checker);
    for (const c of chunks) {
      if (!shared) w.write(c);
      s.write(c);
    }
    s.end();
    const r = checker.finish();
    return `elements ${r.elements} errors ${r.errors} ${JSON.stringify(shared ? w.result!() : w.end())}`;
  },
};

const child = opt('--child');
if (child) {
  // One scenario of one tree in a process of its own: V8's type feedback is only this consumer's, as on the worker.
  const impl = await load(opt('--dist')!);
  const before = process.cpuUsage();
  const result = scenarios[child]!(impl);
  const used = process.cpuUsage(before);
  process.stdout.write(JSON.stringify({ cpu: (used.user + used.system) / 1e6, result }));
  process.exit(0);
}

const cpu = cpus();
console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`input: ${file}, ${mib.toFixed(1)} MiB in ${chunks.length} chunks of ${CHUNK} bytes; best of ${RUNS} runs, alternating, each run a process of its own`);

const best = new Map<string, number>();
const outcome = new Map<string, string>();
const names = Object.keys(scenarios).filter((n) => !ONLY || ONLY.includes(n));
for (let run = 0; run < RUNS; run++) {
  for (const name of names) {
    const order = run % 2 === 0 ? trees : [...trees].reverse();
    for (const tree of order) {
      const out = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--file', file, '--chunk', String(CHUNK), '--child', name, '--dist', tree.dist], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (out.status !== 0) throw new Error(`${name} (${tree.label}) failed: ${out.stderr.slice(-2000)}`);
      const { cpu: s, result } = JSON.parse(out.stdout) as { cpu: number; result: string };
      const key = `${name}\t${tree.label}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, s));
      const seen = outcome.get(name);
      if (seen !== undefined && seen !== result) throw new Error(`${name}: ${tree.label} disagrees with the other tree:\n${result.slice(0, 500)}\n${seen.slice(0, 500)}`);
      outcome.set(name, result);
    }
  }
}

const two = trees.length > 1;
console.log(`\n| scenario | ${trees.map((t) => `${t.label} CPU s (MiB/s)`).join(' | ')} |${two ? ' this tree / baseline |' : ''}`);
console.log(`|---|${trees.map(() => '---:').join('|')}|${two ? '---:|' : ''}`);
for (const name of names) {
  const t = trees.map((tree) => best.get(`${name}\t${tree.label}`)!);
  const cells = t.map((s) => `${s.toFixed(2)} (${(mib / s).toFixed(0)})`);
  console.log(`| ${name} | ${cells.join(' | ')} |${two ? ` **${(t[1]! / t[0]!).toFixed(2)}×** |` : ''}`);
}
console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
