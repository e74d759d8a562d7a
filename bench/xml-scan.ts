/**
 * Micro-benchmark of the byte-level XML scanner (src/common/xml-scan.ts) and of its two
 * consumers on the escrow agent's structure worker (the structure checker and the
 * well-formedness scan), in one process on a deposit XML held in memory, fed in chunks like
 * the verifier's decoder hands them over (1 MiB by default).
 *
 * To measure a change, build the tree before it into a directory of its own and name it as the
 * baseline: both are loaded into this process and run alternately on the same bytes, so the
 * ratio printed (this tree / baseline) is from the same machine state:
 *
 *   git stash && npm run build && cp -r dist /tmp/base-dist && git stash pop && npm run build
 *   ln -s "$PWD/node_modules" /tmp/node_modules; cp package.json /tmp/   # module resolution of the copy
 *   flock /tmp/strongroom-heavy.lock node --expose-gc dist/bench/xml-scan.js --file deposit.xml --baseline /tmp/base-dist
 *
 * (a plain FULL deposit: `strongroom deposit --db <registry> --tld <tld> --type full --out <dir>`.
 * The script takes no lock itself: wrap it in flock as above.) Options: --runs N (default 3,
 * best of), --chunk BYTES, --only scan,text,structure,wellformed.
 *
 * Scenarios, CPU seconds of this thread (best of the runs):
 *  - scan: the tokenizer alone (handlers that read nothing);
 *  - text: the tokenizer with every text and attribute value decoded to a string;
 *  - structure: StructureChecker (the schema check of the structure worker);
 *  - wellformed: WellFormedScan (the verifier's xml-wellformed summary, also on the worker).
 * Results of both trees are compared (event counts, elements, findings): a difference fails the run.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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

interface Impl {
  label: string;
  XmlScanner: new (handler: object) => { write(b: Uint8Array): void; end(): void; text(): string; attrCount: number; attrValue: string[] };
  StructureChecker: new (opts?: object) => object & { finish(): { findings: unknown[]; elements: number; errors: number } };
  WellFormedScan: new (where: string) => { write(b: Uint8Array): void; end(): { summary?: unknown; finding?: unknown } };
}

async function load(label: string, dist: string): Promise<Impl> {
  const url = (p: string) => pathToFileURL(resolve(dist, p)).href;
  const scan = (await import(url('src/common/xml-scan.js'))) as Pick<Impl, 'XmlScanner'>;
  const checker = (await import(url('src/agent/structure/checker.js'))) as Pick<Impl, 'StructureChecker'>;
  const xml = (await import(url('src/agent/verify/xml.js'))) as Pick<Impl, 'WellFormedScan'>;
  return { label, XmlScanner: scan.XmlScanner, StructureChecker: checker.StructureChecker, WellFormedScan: xml.WellFormedScan };
}

const here = resolve(new URL('.', import.meta.url).pathname, '..');
const impls: Impl[] = [];
const baseline = opt('--baseline');
if (baseline) impls.push(await load('baseline', baseline));
impls.push(await load('this tree', here));

const data = readFileSync(file);
const chunks: Buffer[] = [];
for (let i = 0; i < data.length; i += CHUNK) chunks.push(data.subarray(i, Math.min(data.length, i + CHUNK)));
const mib = data.length / 2 ** 20;

type Scenario = (impl: Impl) => string;
const scenarios: Record<string, Scenario> = {
  scan(impl) {
    let events = 0;
    const s = new impl.XmlScanner({ open() { events++; }, close() { events++; }, text() { events++; }, cdata() { events++; }, error(e: { message: string }) { throw new Error(e.message); } });
    for (const c of chunks) s.write(c);
    s.end();
    return `events ${events}`;
  },
  text(impl) {
    let chars = 0;
    const s = new impl.XmlScanner({
      open(x: Impl['XmlScanner']['prototype']) {
        for (let i = 0; i < x.attrCount; i++) chars += x.attrValue[i]!.length;
      },
      text(x: Impl['XmlScanner']['prototype']) { chars += x.text().length; },
      cdata(x: Impl['XmlScanner']['prototype']) { chars += x.text().length; },
      error(e: { message: string }) { throw new Error(e.message); },
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
};

const gc = (globalThis as { gc?: () => void }).gc;
const cpu = cpus();
console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`input: ${file}, ${mib.toFixed(1)} MiB in ${chunks.length} chunks of ${CHUNK} bytes; best of ${RUNS} runs, alternating${gc ? '' : ' (run with --expose-gc for a GC between runs)'}`);

const best = new Map<string, number>();
const outcome = new Map<string, string>();
const names = Object.keys(scenarios).filter((n) => !ONLY || ONLY.includes(n));
for (let run = 0; run < RUNS; run++) {
  for (const name of names) {
    const order = run % 2 === 0 ? impls : [...impls].reverse();
    for (const impl of order) {
      gc?.();
      const before = process.cpuUsage();
      const result = scenarios[name]!(impl);
      const used = process.cpuUsage(before);
      const s = (used.user + used.system) / 1e6;
      const key = `${name}\t${impl.label}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, s));
      const seen = outcome.get(name);
      if (seen !== undefined && seen !== result) throw new Error(`${name}: ${impl.label} disagrees with the other tree:\n${result.slice(0, 500)}\n${seen.slice(0, 500)}`);
      outcome.set(name, result);
    }
  }
}

console.log(`\n| scenario | ${impls.map((i) => `${i.label} CPU s (MiB/s)`).join(' | ')} |${impls.length > 1 ? ' this tree / baseline |' : ''}`);
console.log(`|---|${impls.map(() => '---:').join('|')}|${impls.length > 1 ? '---:|' : ''}`);
for (const name of names) {
  const t = impls.map((i) => best.get(`${name}\t${i.label}`)!);
  const cells = t.map((s) => `${s.toFixed(2)} (${(mib / s).toFixed(0)})`);
  console.log(`| ${name} | ${cells.join(' | ')} |${impls.length > 1 ? ` **${(t[1]! / t[0]!).toFixed(2)}×** |` : ''}`);
}
console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
