/**
 * Benchmark: sealing and opening a ~1 GB deposit, ours against GnuPG in the same run.
 *
 *   seal:   strongroom (tar → literal → parallel ZIP -6 → SEIPD v1 AES-256 → detached sig)
 *           vs  tar | gpg --compress-algo zip -z 6 -e  +  gpg --detach-sign
 *   unseal: strongroom (verify every signature, then decrypt → inflate → untar)
 *           vs  gpg --verify  +  gpg -d | tar -x        (both on the same .ryde/.sig)
 *
 * Each side runs as child processes timed from spawn to exit (ours via bench/ryde-worker.ts,
 * which reports its own peak RSS; gpg under /usr/bin/time -f %M), best of RYDE_BENCH_RUNS
 * (default 2) runs each, alternating. Keys: RSA-3072 for both parties (the common escrow setup).
 * Size: RYDE_BENCH_MB (default 1024). The XML is generated once into
 * $TMPDIR/strongroom-bench-ryde and reused. Run heavy: flock /tmp/strongroom-heavy.lock npm run bench -- ryde
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeyPair } from '../src/ryde/keys.js';

const MB = 1024 * 1024;
const SIZE = Number(process.env.RYDE_BENCH_MB ?? 1024) * MB;
const RUNS = Number(process.env.RYDE_BENCH_RUNS ?? 2);
const WORK = join(tmpdir(), 'strongroom-bench-ryde');
const NAME = 'bench_2024-01-07_full_S1_R0.xml';
const WORKER = fileURLToPath(new URL('./ryde-worker.js', import.meta.url));

/** Deposit-like XML: compressible like real RDE, but every record differs (xorshift PRNG). */
async function generate(path: string, size: number): Promise<void> {
  let state = 0x2545f491;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const words = ['alpha', 'bravo', 'delta', 'echo', 'kilo', 'lima', 'nova', 'orbit', 'pixel', 'quartz', 'river', 'solar', 'terra', 'ultra', 'vector', 'zenith'];
  const out = createWriteStream(path, { highWaterMark: 4 * MB });
  let written = 0;
  const head = '<?xml version="1.0" encoding="UTF-8"?>\n<rde:deposit type="FULL" id="BENCH1" xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" xmlns:rdeDom="urn:ietf:params:xml:ns:rdeDomain-1.0">\n<rde:watermark>2024-01-07T00:00:00Z</rde:watermark>\n<rde:contents>\n';
  out.write(head);
  written += head.length;
  let batch: string[] = [];
  let index = 0;
  while (written < size - 64) {
    const a = next();
    const b = next();
    const c = next();
    const name = `${words[a & 15]}${words[(a >>> 4) & 15]}${(a >>> 8).toString(36)}`;
    const record = `<rdeDom:domain><rdeDom:name>${name}.example</rdeDom:name><rdeDom:roid>D${index}-EX</rdeDom:roid><rdeDom:uName>${name}.example</rdeDom:uName><rdeDom:status s="${b & 1 ? 'ok' : 'clientTransferProhibited'}"/><rdeDom:registrant>C${b.toString(36)}</rdeDom:registrant><rdeDom:contact type="admin">C${c.toString(36)}</rdeDom:contact><rdeDom:ns><domain:hostObj>ns${b & 7}.${words[(c >>> 3) & 15]}.net</domain:hostObj></rdeDom:ns><rdeDom:clID>registrar${c % 500}</rdeDom:clID><rdeDom:crDate>20${10 + (a % 14)}-0${1 + (b % 9)}-1${c % 10}T0${a % 10}:${10 + (b % 50)}:00Z</rdeDom:crDate><rdeDom:exDate>20${25 + (c % 5)}-0${1 + (a % 9)}-2${b % 8}T00:00:00Z</rdeDom:exDate></rdeDom:domain>\n`;
    batch.push(record);
    written += record.length;
    index++;
    if (batch.length === 4096) {
      if (!out.write(batch.join(''))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      batch = [];
    }
  }
  const tail = `${batch.join('')}</rde:contents>\n</rde:deposit>\n`;
  await new Promise<void>((resolve, reject) => out.end(tail, (err?: Error | null) => (err ? reject(err) : resolve())));
}

interface Measure {
  seconds: number;
  maxRssBytes: number;
}

function fresh(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Our side: wall time of the whole child process (Node start-up and module loading included, as gpg's start-up is). */
function worker(args: string[]): Measure {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [WORKER, ...args], { encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`worker ${args[0]} failed: ${result.stderr}`);
  return { seconds, maxRssBytes: (JSON.parse(result.stdout) as Measure).maxRssBytes };
}

function timed(script: string, env: NodeJS.ProcessEnv): Measure {
  const started = process.hrtime.bigint();
  const result = spawnSync('/usr/bin/time', ['-f', '%M', 'sh', '-c', `set -e; ${script}`], { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
  const kb = Number(result.stderr.trim().split('\n').pop());
  return { seconds, maxRssBytes: kb * 1024 };
}

function best(runs: Measure[]): Measure {
  return runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
}

function mbps(bytes: number, measure: Measure): number {
  return bytes / MB / measure.seconds;
}

async function main(): Promise<void> {
  mkdirSync(WORK, { recursive: true });
  const xmlDir = join(WORK, 'xml');
  mkdirSync(xmlDir, { recursive: true });
  const xml = join(xmlDir, NAME);
  if (!existsSync(xml) || Math.abs(statSync(xml).size - SIZE) > MB) {
    const started = Date.now();
    await generate(xml, SIZE);
    console.log(`generated ${(statSync(xml).size / MB).toFixed(0)} MiB of deposit XML in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  const size = statSync(xml).size;

  const keysDir = fresh(join(WORK, 'keys'));
  const registry = await generateKeyPair({ profile: 'rfc4880', uid: 'Bench Registry <registry@example.test>' });
  const agent = await generateKeyPair({ profile: 'rfc4880', uid: 'Bench Agent <agent@example.test>' });
  const files = {
    registryKey: join(keysDir, 'registry.key.asc'),
    registryPub: join(keysDir, 'registry.pub.asc'),
    agentKey: join(keysDir, 'agent.key.asc'),
    agentPub: join(keysDir, 'agent.pub.asc'),
  };
  writeFileSync(files.registryKey, registry.privateKey);
  writeFileSync(files.registryPub, registry.publicKey);
  writeFileSync(files.agentKey, agent.privateKey);
  writeFileSync(files.agentPub, agent.publicKey);
  const gnupg = fresh(join(WORK, 'gnupg'));
  const env = { ...process.env, GNUPGHOME: gnupg };
  const gpg = 'gpg --batch --no-tty --quiet --trust-model always';
  timed(`${gpg} --import ${files.registryKey} ${files.agentKey} 2>/dev/null`, env);

  const ours = { seal: [] as Measure[], unseal: [] as Measure[] };
  const theirs = { seal: [] as Measure[], unseal: [] as Measure[] };
  const oursOut = join(WORK, 'ours');
  let sealedSize = 0;
  let gpgSealedSize = 0;
  for (let run = 0; run < RUNS; run++) {
    ours.seal.push(worker(['seal', xml, fresh(oursOut), files.registryKey, files.agentPub]));
    sealedSize = readdirSync(oursOut).filter((file) => file.endsWith('.ryde')).reduce((sum, file) => sum + statSync(join(oursOut, file)).size, 0);
    const gpgOut = fresh(join(WORK, 'gpg'));
    theirs.seal.push(
      timed(
        `tar -cf - -C ${xmlDir} ${NAME} | ${gpg} --compress-algo zip -z 6 --recipient ${agent.fingerprint} --encrypt --output ${gpgOut}/x.ryde && ${gpg} --local-user ${registry.fingerprint} --detach-sign --output ${gpgOut}/x.sig ${gpgOut}/x.ryde`,
        env,
      ),
    );
    gpgSealedSize = statSync(join(gpgOut, 'x.ryde')).size;
    ours.unseal.push(worker(['unseal', fresh(join(WORK, 'back-ours')), oursOut, files.agentKey, files.registryPub]));
    const ryde = join(oursOut, NAME.replace('.xml', '.ryde'));
    const backGpg = fresh(join(WORK, 'back-gpg'));
    theirs.unseal.push(timed(`${gpg} --verify ${ryde.replace('.ryde', '.sig')} ${ryde} 2>/dev/null && ${gpg} --decrypt ${ryde} 2>/dev/null | tar -xf - -C ${backGpg}`, env));
    if (statSync(join(backGpg, NAME)).size !== size || statSync(join(WORK, 'back-ours', NAME)).size !== size) throw new Error('an unseal produced the wrong size');
  }
  const rows = [
    ['seal', best(ours.seal), best(theirs.seal)],
    ['unseal', best(ours.unseal), best(theirs.unseal)],
  ] as const;
  console.log(`deposit ${(size / MB).toFixed(0)} MiB; sealed: ours ${(sealedSize / MB).toFixed(1)} MiB, gpg ${(gpgSealedSize / MB).toFixed(1)} MiB; best of ${RUNS}`);
  console.log('step     ours MB/s   gpg MB/s   ratio   ours peak RSS   gpg peak RSS');
  const summary: Record<string, unknown> = { sizeBytes: size, sealedBytes: sealedSize, gpgSealedBytes: gpgSealedSize, runs: RUNS };
  for (const [step, mine, baseline] of rows) {
    const ratio = mbps(size, mine) / mbps(size, baseline);
    console.log(
      `${step.padEnd(8)} ${mbps(size, mine).toFixed(1).padStart(9)}  ${mbps(size, baseline).toFixed(1).padStart(9)}  ${ratio.toFixed(2).padStart(5)}x  ${(mine.maxRssBytes / MB).toFixed(0).padStart(10)} MiB  ${(baseline.maxRssBytes / MB).toFixed(0).padStart(10)} MiB`,
    );
    summary[step] = { oursMBps: mbps(size, mine), gpgMBps: mbps(size, baseline), ratio, oursMaxRssMiB: mine.maxRssBytes / MB, gpgMaxRssMiB: baseline.maxRssBytes / MB };
  }
  console.log(JSON.stringify(summary));
  spawnSync('gpgconf', ['--kill', 'all'], { env });
  for (const dir of ['back-ours', 'back-gpg', 'ours', 'gpg', 'gnupg', 'keys']) rmSync(join(WORK, dir), { recursive: true, force: true });
}

await main();
