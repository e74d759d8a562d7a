/**
 * Test rig for the daemon: a generated registry, throwaway registry and agent keys, a local
 * ICANN interface, an SMTP sink, an agent inbox directory and the configuration file tying them
 * together, plus the day-by-day registry changes and the agent's side (intake + verify).
 */
import type { TestContext } from 'node:test';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queryable } from '../db/adapter.js';
import type { Db } from '../db/adapter.js';
import { generateRegistry } from '../generate/generate.js';
import { generateKeyPair, loadUnsealKeys } from '../ryde/index.js';
import { openAgent, type AgentContext } from '../agent/context.js';
import { ingestOnce } from '../agent/intake.js';
import { verifyStored } from '../agent/verify-stored.js';
import { DirectoryTransport } from '../transports/directory.js';
import { IcannTestServer } from './icann-server.js';
import { startSmtpSink, type SmtpSink } from './smtp.js';
import { embeddedTestDb } from './databases.js';
import type { TestSshd } from './sshd.js';
import assert from 'node:assert/strict';
import { depositId } from '../deposit/naming.js';
import type { Daemon } from '../scheduler/daemon.js';
import type { Clock } from '../scheduler/runner.js';

export const RIG_TLD = 'example';
export const ICANN_PASSWORD = 'icann-test-password';
export const SMTP_PASSWORD = 'smtp-test-password';

export interface RigKeys {
  registrySecret: string;
  registryPublic: string;
  agentSecret: string;
  agentPublic: string;
}

export interface DaemonRig {
  dir: string;
  configPath: string;
  state: string;
  inbox: string;
  keys: RigKeys;
  icann: IcannTestServer;
  smtp: SmtpSink | null;
  env: NodeJS.ProcessEnv;
}

export interface RigOptions {
  /** The deposits.schedule value as YAML (default: FULL every day). */
  schedule?: string;
  /** The deposits.db value (a URL or directory); the in-process tests inject their database instead. */
  db: string;
  since: string;
  smtp?: boolean;
  jobs?: number;
  /** deposits.brda (Spec 4 BRDA weekday). */
  brda?: string;
  /** Deliver to the agent over SFTP to this sshd (its inbox is then the agent's inbox). */
  sftp?: TestSshd;
  /** The agent key expires this many seconds after its creation (default: never). */
  agentKeyExpiresIn?: number;
  /** deposits.sealing.keyWarnDays. */
  keyWarnDays?: number;
}

async function keyPair(dir: string, name: string, uid: string, expiresIn = 0): Promise<{ secret: string; pub: string }> {
  const pair = await generateKeyPair({ profile: 'rfc4880', uid, algorithm: 'ed25519', expiresIn });
  const secret = join(dir, `${name}.key.asc`);
  const pub = join(dir, `${name}.pub.asc`);
  await writeFile(secret, pair.privateKey, { mode: 0o600 });
  await writeFile(pub, pair.publicKey);
  return { secret, pub };
}

export async function tempDir(t: TestContext, prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every day of the week: a FULL deposit daily (the schedule used until DIFFs can be written). */
export const DAILY_FULL = '{ full: [sun, mon, tue, wed, thu, fri, sat], diff: [] }';

export async function startRig(t: TestContext, options: RigOptions): Promise<DaemonRig> {
  const dir = await tempDir(t, 'sr-daemon-');
  const keysDir = join(dir, 'keys');
  await mkdir(keysDir);
  const registry = await keyPair(keysDir, 'registry', 'Rig registry <registry@rig.invalid>');
  const agent = await keyPair(keysDir, 'agent', 'Rig agent <agent@rig.invalid>', options.agentKeyExpiresIn);
  const inbox = options.sftp ? options.sftp.inbox : join(dir, 'inbox');
  if (!options.sftp) await mkdir(inbox);
  let destination = `kind: directory
        url: ${inbox}`;
  if (options.sftp) {
    await writeFile(join(dir, 'agent_ed25519'), options.sftp.clientKey, { mode: 0o600 });
    destination = `kind: sftp
        url: sftp://${options.sftp.username}@${options.sftp.host}:${options.sftp.port}${inbox}
        hostKey: { fingerprints: ["${options.sftp.fingerprint}"] }
        credentials: { privateKey: { file: agent_ed25519 } }`;
  }
  const icann = new IcannTestServer({ credentials: { [RIG_TLD]: ICANN_PASSWORD } });
  await icann.start();
  t.after(() => icann.stop());
  const smtp = options.smtp === false ? null : await startSmtpSink(t, { user: 'escrow-bot', password: SMTP_PASSWORD });
  await writeFile(join(dir, 'smtp-password'), `${SMTP_PASSWORD}\n`, { mode: 0o600 });
  const state = join(dir, 'state');
  const notify = smtp
    ? `
      notify:
        email:
          host: 127.0.0.1
          port: ${smtp.port}
          tls: none
          user: escrow-bot
          password: { file: smtp-password }
          from: strongroom@registry.example
          to: [escrow-ops@registry.example]
          retry: { attempts: 2, initialSeconds: 0.05, maxSeconds: 0.1 }`
    : '';
  const config = `version: 1
state: ${state}
registries:
  example:
    tlds: [${RIG_TLD}]
    destinations:
      agent:
        ${destination}
        purpose: escrow-agent
        consent: { granted: true, by: "Rig CTO", date: 2024-12-01, reference: CCB-1 }
    deposits:
      db: ${options.db}
      schedule: ${options.schedule ?? DAILY_FULL}${options.brda ? `\n      brda: ${options.brda}` : ''}
      since: ${options.since}
      sealing:
        key: keys/registry.key.asc
        recipients: [keys/agent.pub.asc]
${options.keyWarnDays !== undefined ? `        keyWarnDays: ${options.keyWarnDays}\n` : ''}      deliverTo: [agent]
      icann:
        baseUrl: ${icann.baseUrl}
        password: { env: RIG_ICANN_PASSWORD }
      retry: { base: 1m, max: 30m }${options.jobs !== undefined ? `\n      jobs: ${options.jobs}` : ''}${notify}
`;
  const configPath = join(dir, 'strongroom.yaml');
  await writeFile(configPath, config);
  return {
    dir,
    configPath,
    state,
    inbox,
    keys: { registrySecret: registry.secret, registryPublic: registry.pub, agentSecret: agent.secret, agentPublic: agent.pub },
    icann,
    smtp,
    env: { ...process.env, RIG_ICANN_PASSWORD: ICANN_PASSWORD },
  };
}

/** A small generated registry as of `asOf`. */
export async function rigRegistry(db: Db, asOf: string, domains = 30): Promise<void> {
  await generateRegistry(db, { tld: RIG_TLD, domains, seed: 'daemon-rig', asOf });
}

/**
 * The registry's business of one day: `n` domains renewed at noon of `date` (their up_date and
 * ex_date move), so each day's deposit differs from the one before.
 */
export async function registryDay(db: Queryable, date: string, n = 2): Promise<void> {
  await db.query(
    `UPDATE registry.domain SET up_date = $1::timestamptz, up_rr = cl_id, ex_date = ex_date + interval '1 year'
      WHERE roid IN (SELECT roid FROM registry.domain WHERE tld = $2 ORDER BY md5(roid || $1) LIMIT $3)`,
    [`${date}T12:00:00Z`, RIG_TLD, n],
  );
}

/** The embedded registry database of a test (migrated, generated). */
export async function rigDb(t: TestContext, asOf: string): Promise<{ db: Db; spec: string }> {
  const { db, spec } = await embeddedTestDb(t);
  await rigRegistry(db, asOf);
  return { db, spec };
}

/**
 * The agent's side: take what is settled in the inbox, then verify every deposit received. The
 * catalog goes into `catalog` when given (a server database of the test: quicker than a new
 * embedded one), else into a new embedded database.
 */
export async function agentTakes(t: TestContext, rig: DaemonRig, catalog?: Db): Promise<{ agent: AgentContext; received: string[]; verified: Array<{ key: string; status: string; findings: string[] }> }> {
  let ctx: AgentContext;
  if (catalog) ctx = await openAgent({ repo: join(rig.dir, 'agent-repo'), db: catalog });
  else {
    const { spec } = await embeddedTestDb(t, { migrate: false });
    const opened = await openAgent({ repo: join(rig.dir, 'agent-repo'), db: spec });
    t.after(() => opened.db.close());
    ctx = opened;
  }
  const taken = await ingestOnce(ctx, { inbox: new DirectoryTransport(rig.inbox), tlds: [RIG_TLD], now: new Date(Date.now() + 3_600_000) });
  const keys = await loadUnsealKeys({ profile: 'rfc4880', keyFile: rig.keys.agentSecret, signerFiles: [rig.keys.registryPublic] });
  const verified: Array<{ key: string; status: string; findings: string[] }> = [];
  for (const key of taken.received) {
    const result = await verifyStored(ctx, key, { decryptionKeys: keys.decryptionKeys, verificationKeys: keys.verificationKeys });
    verified.push({ key, status: result.report.status, findings: result.report.findings.map((f) => f.code) });
  }
  return { agent: ctx, received: taken.received, verified };
}

/** Files under final Spec 2 names (.ryde/.sig) anywhere below `dir`. */
export async function finalNames(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (/\.(ryde|sig)$/.test(entry.name)) out.push(path);
    }
  };
  await walk(dir);
  return out.sort();
}

/** The RFC 8909 id of the FULL deposit of `day`. */
export const fullId = (day: string): string => depositId(`${day}T00:00:00Z`, 'FULL');

/** A simulated clock: sleeping moves time forward at once. */
export class SimClock implements Clock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string | Date): void {
    this.t = typeof iso === 'string' ? Date.parse(iso) : iso.getTime();
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
  }
}

/** PUTs the ICANN test server received, per path (one path per deposit id). */
export function puts(rig: DaemonRig): Map<string, number> {
  const out = new Map<string, number>();
  for (const entry of rig.icann.log) if (entry.method === 'PUT') out.set(entry.path, (out.get(entry.path) ?? 0) + 1);
  return out;
}

/** Tick, then follow the daemon's own wake-ups (retries, cooldowns) until nothing is pending before `until`. */
export async function runUntilIdle(daemon: Daemon, clock: SimClock, until: number): Promise<void> {
  for (let round = 0; round < 50; round++) {
    const ticks = await daemon.tick();
    if (ticks.every((t) => t.summary.pending === 0)) return;
    const wake = await daemon.nextWake();
    if (wake.getTime() > until) return;
    clock.set(wake);
  }
  assert.fail('the daemon did not settle');
}

