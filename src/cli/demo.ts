/**
 * `strongroom demo`: the whole loop on a sample registry, needing nothing installed:
 * generate a registry into an embedded database; generate throwaway keys for the registry and
 * an escrow agent; write a FULL deposit of it sealed for the agent (`deposit --seal`: no
 * plaintext XML on disk); unseal it as the agent would and check it is the deposit that was
 * written; then run the daemon's loop once over that deposit with a configuration file of its
 * own (stage → seal → deliver to a directory standing for the agent's inbox → report → notify)
 * and let the agent take the delivery in and verify it.
 */
import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT_STATUS, StrongroomError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { EmbeddedDb } from '../db/embedded.js';
import { writeFullDeposit, type DepositResult } from '../deposit/full-deposit.js';
import { generateRegistry, type GenerateSummary } from '../generate/generate.js';
import { generateKeyPair, loadSealKeys, loadUnsealKeys, profile, unsealFiles, type ProfileName, type UnsealResult } from '../ryde/index.js';
import { Plan, type GenerateOptions } from '../generate/plan.js';
import { depositSummary } from './deposit.js';
import { openAgent } from '../agent/context.js';
import { DEFAULT_SETTLE_MS, ingestOnce } from '../agent/intake.js';
import { verifyStored } from '../agent/verify-stored.js';
import { loadConfig } from '../config/load.js';
import { rdeReportXml, depositFactsFromDb } from '../reporting/report.js';
import { reportUrl } from '../reporting/icann-client.js';
import { Daemon } from '../scheduler/daemon.js';
import type { Clock } from '../scheduler/runner.js';
import type { JobRecord } from '../scheduler/state.js';
import { DirectoryTransport } from '../transports/directory.js';
import { action, positiveInt, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface DemoOptions extends CommonOptions {
  dir?: string;
  tld: string;
  domains: number;
  seed: string;
  asOf?: string;
}

/** The demo's throwaway key files (ASCII-armoured OpenPGP, usable by gpg). */
export interface DemoKeys {
  profile: ProfileName;
  registry: { fingerprint: string; secretKey: string; publicKey: string };
  agent: { fingerprint: string; secretKey: string; publicKey: string };
}

export interface DemoResult {
  dir: string;
  registry: { database: string } & GenerateSummary;
  keys: DemoKeys;
  /** The FULL deposit, sealed (`deposit.sealed` lists the .ryde/.sig files). */
  deposit: DepositResult;
  /** The sealed deposit opened again with the agent's key, and the comparison with what was written. */
  unsealed: UnsealResult & { sha256: string; identical: boolean };
  /** The daemon's loop run once over the deposit, and the agent's intake and verification of the delivery. */
  loop: DemoLoop;
}

export interface DemoLoop {
  config: string;
  state: string;
  inbox: string;
  /** The job as the daemon recorded it: every step with its result. */
  job: JobRecord;
  /** The rdeReport the report step would PUT with an ICANN account (the demo has none). */
  report: { file: string; url: string };
  agent: { repository: string; received: string[]; status: string; findings: string[] };
}

const DEMO_PROFILE: ProfileName = 'rfc4880';

/** Throwaway Ed25519/Cv25519 keys (profile rfc4880) for the registry and the escrow agent. */
async function demoKeys(dir: string): Promise<DemoKeys> {
  await mkdir(dir);
  const write = async (name: string, uid: string) => {
    const pair = await generateKeyPair({ profile: DEMO_PROFILE, uid, algorithm: 'ed25519' });
    const secretKey = join(dir, `${name}.key.asc`);
    const publicKey = join(dir, `${name}.pub.asc`);
    await writeFile(secretKey, pair.privateKey, { mode: 0o600, flag: 'wx' });
    await writeFile(publicKey, pair.publicKey, { flag: 'wx' });
    return { fingerprint: pair.fingerprint, secretKey, publicKey };
  };
  return {
    profile: DEMO_PROFILE,
    registry: await write('registry', 'Strongroom demo registry <registry@demo.invalid>'),
    agent: await write('escrow-agent', 'Strongroom demo escrow agent <agent@demo.invalid>'),
  };
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A fresh directory for the demo: the one given (which must be empty) or a new temporary one. */
async function demoDirectory(dir: string | undefined): Promise<string> {
  if (dir === undefined) return mkdtemp(join(tmpdir(), 'strongroom-demo-'));
  const path = resolve(dir);
  await mkdir(path, { recursive: true });
  if ((await readdir(path)).length > 0) {
    throw new StrongroomError('DEMO_DIR_NOT_EMPTY', `${path} is not empty; the demo writes into a new or empty directory only`, { location: path });
  }
  return path;
}

/**
 * Run the demo: generate a registry into `dir/registry` and keys into `dir/keys`, deposit it
 * sealed into `dir/deposits`, unseal that into `dir/unsealed` and compare.
 */
export async function runDemo(options: { dir?: string; generate: GenerateOptions; progress?: Progress }): Promise<DemoResult> {
  new Plan(options.generate); // bad arguments fail before anything is created
  const dir = await demoDirectory(options.dir);
  const db = await EmbeddedDb.open(join(dir, 'registry'));
  try {
    options.progress?.note(`demo: generating a registry of ${options.generate.domains} domains of .${options.generate.tld} into ${join(dir, 'registry')}`);
    const registry = await generateRegistry(db, options.generate, options.progress);
    options.progress?.note(`demo: generating throwaway OpenPGP keys for the registry and an escrow agent into ${join(dir, 'keys')}`);
    const keys = await demoKeys(join(dir, 'keys'));
    const sealKeys = await loadSealKeys({ profile: keys.profile, keyFile: keys.registry.secretKey, recipientFiles: [keys.agent.publicKey] });
    const deposits = join(dir, 'deposits');
    await mkdir(deposits);
    options.progress?.note(`demo: writing a FULL deposit at the registry's moment ${registry.asOf}, sealed for the escrow agent as it is written`);
    const deposit = await writeFullDeposit(db, {
      tld: registry.tld,
      outDir: deposits,
      watermark: registry.asOf,
      ...(options.progress ? { progress: options.progress } : {}),
      seal: { signingKey: sealKeys.signingKey, recipients: sealKeys.recipients, profile: profile(keys.profile) },
    });
    options.progress?.note(`demo: unsealing it with the escrow agent's key into ${join(dir, 'unsealed')} and comparing`);
    const unsealKeys = await loadUnsealKeys({ profile: keys.profile, keyFile: keys.agent.secretKey, signerFiles: [keys.registry.publicKey] });
    const sealedFiles = (deposit.sealed?.parts ?? []).flatMap((part) => [part.ryde, part.sig]);
    const [opened] = await unsealFiles(sealedFiles, { outDir: join(dir, 'unsealed'), decryptionKeys: unsealKeys.decryptionKeys, verificationKeys: unsealKeys.verificationKeys, ...(options.progress ? { progress: options.progress } : {}) });
    if (!opened) throw new StrongroomError('INTERNAL', 'unsealing the demo deposit gave no file');
    const sha256 = await sha256File(opened.file);
    const identical = sha256 === deposit.sha256 && opened.size === deposit.bytes;
    if (!identical) {
      throw new StrongroomError('DEMO_ROUNDTRIP_MISMATCH', `the unsealed deposit ${opened.file} (${opened.size} bytes, SHA-256 ${sha256}) differs from the deposit written (${deposit.bytes} bytes, SHA-256 ${deposit.sha256})`, { location: opened.file });
    }
    const loop = await demoLoop(dir, db, registry.tld, deposit, keys, options.progress);
    return { dir, registry: { database: db.description, ...registry }, keys, deposit, unsealed: { ...opened, sha256, identical }, loop };
  } finally {
    await db.close();
  }
}

/** A clock standing still at `at` (the demo's loop runs once, at the deposit's moment). */
function fixedClock(at: Date): Clock {
  return { now: () => at, sleep: async () => undefined };
}

/**
 * The daemon's loop once, over the deposit of step 3: a configuration file with the agent's
 * inbox as a consented directory destination and a daily FULL schedule whose watermark time is
 * the deposit's; the sealed files are placed where the daemon stages that job, so its stage step
 * takes them as they are (as after a crash) and the other steps run for real.
 */
async function demoLoop(dir: string, db: EmbeddedDb, tld: string, deposit: DepositResult, keys: DemoKeys, progress?: Progress): Promise<DemoLoop> {
  const watermark = new Date(deposit.watermark);
  const date = deposit.watermark.slice(0, 10);
  const time = deposit.watermark.slice(11, 16);
  const inbox = join(dir, 'agent-inbox');
  const state = join(dir, 'state');
  await mkdir(inbox);
  const configPath = join(dir, 'strongroom.yaml');
  await writeFile(
    configPath,
    [
      'version: 1',
      `state: state`,
      'registries:',
      '  demo:',
      `    tlds: [${tld}]`,
      '    destinations:',
      '      agent:',
      '        kind: directory',
      '        url: agent-inbox',
      '        purpose: escrow-agent',
      '        consent: { granted: true, by: "the demo", date: ' + date + ', reference: "strongroom demo" }',
      '    deposits:',
      '      db: registry',
      `      schedule: { full: [sun, mon, tue, wed, thu, fri, sat], watermarkTime: "${time}" }`,
      `      since: ${date}`,
      '      sealing:',
      `        key: keys/registry.key.asc`,
      `        recipients: [keys/escrow-agent.pub.asc]`,
      '      deliverTo: [agent]',
      '',
    ].join('\n'),
  );
  const key = `${tld}_${date}_full`;
  // Step 3's deposit is this job's R0: place it where the daemon stages it.
  const staging = join(state, 'deposits', 'demo', 'staging', `${key}_R0`);
  await mkdir(staging, { recursive: true });
  for (const part of deposit.sealed?.parts ?? []) for (const file of [part.ryde, part.sig]) await link(file, join(staging, file.slice(file.lastIndexOf('/') + 1)));
  progress?.note(`demo: running the daemon's loop once with ${configPath}`);
  const loaded = await loadConfig(configPath);
  const daemon = await Daemon.open({ loaded, clock: fixedClock(new Date(watermark.getTime() + 60_000)), db, ...(progress ? { progress } : {}) });
  let job: JobRecord | null;
  try {
    await daemon.tick();
    job = await daemon.store.getJob(key);
  } finally {
    await daemon.close();
  }
  if (!job || job.steps.notify === undefined) {
    throw new StrongroomError('INTERNAL', `the demo's daemon run did not complete ${key}: ${job?.lastError ? `${job.lastError.code} in ${job.lastError.step}: ${job.lastError.message}` : 'no record'}`);
  }
  // No ICANN account in a demo: write the rdeReport the report step would PUT.
  const facts = await depositFactsFromDb(db, tld, deposit.id, 0);
  const reportDir = join(dir, 'icann');
  await mkdir(reportDir);
  const reportFile = join(reportDir, `${deposit.id}.rdeReport.xml`);
  await writeFile(reportFile, rdeReportXml(facts), { flag: 'wx' });

  progress?.note(`demo: the escrow agent takes the delivery from ${inbox} and verifies it`);
  // The agent's catalog shares the embedded database (its own schema, agent) to keep the demo quick.
  const agent = await openAgent({ repo: join(dir, 'agent', 'repository'), db });
  const taken = await ingestOnce(agent, { inbox: new DirectoryTransport(inbox), tlds: [tld], now: new Date(Date.now() + DEFAULT_SETTLE_MS + 1000) });
  const received = taken.received;
  const unsealKeys = await loadUnsealKeys({ profile: keys.profile, keyFile: keys.agent.secretKey, signerFiles: [keys.registry.publicKey] });
  const stored = received[0] ? await verifyStored(agent, received[0], { decryptionKeys: unsealKeys.decryptionKeys, verificationKeys: unsealKeys.verificationKeys }) : null;
  return {
    config: configPath,
    state,
    inbox,
    job,
    report: { file: reportFile, url: reportUrl('https://ry-api.icann.org', tld, deposit.id) },
    agent: {
      repository: join(dir, 'agent', 'repository'),
      received,
      status: stored?.report.status ?? 'NOT RECEIVED',
      findings: stored ? stored.report.findings.map((f) => `${f.severity} ${f.code}`) : [],
    },
  };
}

function loopText(loop: DemoLoop): string[] {
  const step = (name: keyof JobRecord['steps']) => loop.job.steps[name]!.result as Record<string, unknown>;
  const stage = step('stage') as { dir: string; files: Array<{ name: string }>; reused: boolean };
  const deliver = step('deliver') as { destinations: Array<{ destination: string; sent: string[]; present: string[] }> };
  const notify = step('notify') as { skipped?: string; channels?: string[] };
  return [
    `5. The daemon's loop, once (strongroom daemon --once --config ${loop.config}), job ${loop.job.key} R${loop.job.resend}:`,
    `   stage    ${stage.reused ? "took the sealed deposit of step 3 (recorded, every part present), as after a crash" : 'wrote the sealed deposit'} in ${stage.dir}`,
    `   seal     re-hashed ${stage.files.length} file(s) and linked them into ${join(loop.state, 'deposits', 'demo', 'outbox')}`,
    ...deliver.destinations.map((d) => `   deliver  to "${d.destination}" (directory ${loop.inbox}, consent recorded): ${d.sent.length} sent, ${d.present.length} already there`),
    `   report   no ICANN account in the demo: the rdeReport it would PUT to ${loop.report.url} is ${loop.report.file}`,
    `   notify   ${notify.skipped ?? `sent to ${(notify.channels ?? []).join(', ')}`}`,
    '',
    `6. The escrow agent took ${loop.agent.received.join(', ') || 'nothing'} from its inbox into ${loop.agent.repository} and verified it: ${loop.agent.status}` +
      (loop.agent.findings.length > 0 ? ` (${loop.agent.findings.join(', ')})` : ''),
  ];
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   ${line}`)
    .join('\n');
}

function demoText(r: DemoResult): string {
  const registryDir = join(r.dir, 'registry');
  return [
    `Strongroom demo in ${r.dir}`,
    '',
    `1. A sample registry: .${r.registry.tld} with ${r.registry.objects.domain} domains, ${r.registry.objects.contact} contacts, ` +
      `${r.registry.objects.host} hosts and ${r.registry.objects.registrar} registrars (seed "${r.registry.seed}", as of ${r.registry.asOf}),`,
    `   in an embedded PostgreSQL database: ${registryDir}`,
    '',
    `2. Throwaway OpenPGP keys (profile ${r.keys.profile}, Ed25519/Cv25519):`,
    `   registry      ${r.keys.registry.fingerprint}  ${r.keys.registry.secretKey} (+ .pub.asc)`,
    `   escrow agent  ${r.keys.agent.fingerprint}  ${r.keys.agent.secretKey} (+ .pub.asc)`,
    '',
    `3. A FULL escrow deposit of it (RFC 8909/9022 XML, ICANN Spec 2 name), from one snapshot, sealed as it was written`,
    `   (tar → OpenPGP ZIP → encrypted to the agent → signed by the registry; the XML never touched the disk in the clear):`,
    indent(depositSummary(r.deposit)),
    '',
    `4. Unsealed with the agent's key, every signature checked first:`,
    `   ${r.unsealed.file} (${r.unsealed.size} bytes, SHA-256 ${r.unsealed.sha256.slice(0, 16)}…)`,
    `   identical to the deposit written: ${r.unsealed.identical ? 'yes' : 'NO'}`,
    '',
    ...loopText(r.loop),
    '',
    'Try next:',
    `   strongroom status --config ${r.loop.config}`,
    `   xmllint --noout --stream --schema <RFC 9022 schemas>/all-rde-deposit.xsd ${r.unsealed.file}`,
    `   strongroom unseal --key ${r.keys.agent.secretKey} --signer ${r.keys.registry.publicKey} --out <dir> ${join(r.dir, 'deposits')}/*.ryde ${join(r.dir, 'deposits')}/*.sig`,
    `   strongroom deposit --db ${registryDir} --tld ${r.registry.tld} --type full --out ${join(r.dir, 'deposits')} --watermark ${r.registry.asOf} --resend 1 \\`,
    `       --seal --key ${r.keys.registry.secretKey} --recipient ${r.keys.agent.publicKey}`,
    `   (the same seed and --as-of give byte-identical XML: SHA-256 ${r.deposit.sha256.slice(0, 16)}…)`,
  ].join('\n');
}

export function register(program: Command): void {
  withCommon(
    program
      .command('demo')
      .description(
        'Generate a sample registry in an embedded database and throwaway registry and escrow-agent keys, write a FULL deposit of it sealed for the agent, ' +
          'unseal it again and check it is identical, then run the daemon\'s loop once (stage, seal, deliver to a directory standing for the agent\'s inbox, report, notify) ' +
          'and let the agent take the delivery in and verify it, printing where everything is. Needs nothing installed.',
      )
      .option('--dir <dir>', 'a new or empty directory to work in (default: a new temporary directory)')
      .option('--tld <tld>', 'the sample TLD', 'example')
      .option('--domains <n>', 'number of domains in the sample registry', positiveInt('--domains'), 1000)
      .option('--seed <seed>', 'generator seed: the same seed and --as-of give the same files', 'strongroom-demo')
      .option('--as-of <time>', 'the moment the registry is at and the deposit represents (default: the start of the current UTC day)'),
  ).action(
    action(async (options: DemoOptions) => {
      const generate: GenerateOptions = { tld: options.tld, domains: options.domains, seed: options.seed, ...(options.asOf ? { asOf: options.asOf } : {}) };
      const result = await runDemo({ ...(options.dir ? { dir: options.dir } : {}), generate, progress: progressFor(options) });
      printResult(options, result, () => demoText(result));
      return EXIT_STATUS.ok;
    }),
  );
}
