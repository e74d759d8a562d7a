/**
 * The daemon's real steps for one registry: stage → seal → deliver → report → notify.
 *
 * Files live under `{state}/deposits/<registry>/`:
 *
 *     staging/<job key>_R<n>/   the sealed deposit as the writer published it (.ryde/.sig, findings)
 *     outbox/                   every deposit's .ryde/.sig, hard-linked from staging once re-hashed
 *
 * Every step is idempotent, because a crash between a step's effect and its record makes the
 * scheduler run it again (./state.ts):
 * - stage: a deposit already recorded in strongroom.deposit for this id and resend, with its
 *   files complete in the staging directory, is taken as it is; otherwise the staging
 *   directory is emptied (ciphertext only: the writer never leaves plaintext) and the FULL
 *   writer seals the deposit into it again. `resend` (Spec 2 §5 R{n}) makes a new directory.
 * - seal: re-hashes every staged file against what stage recorded, then links it into the
 *   outbox (a link is atomic, and an outbox file with the same SHA-256 is already done).
 * - deliver: to every destination of `deliverTo` (consent checked by openDestination); a file
 *   already at the destination with the same SHA-256 counts as delivered, a different one is a
 *   conflict (SCHEDULER_DELIVERY_CONFLICT) that only a resend resolves.
 * - report: the rdeReport PUT (src/reporting). Before the PUT a checkpoint is recorded; a resumed
 *   step that finds it asks ICANN's status endpoint first and does not PUT again when the report
 *   of that date is there (for R0; a resend's report cannot be told apart from R0's by the status
 *   endpoint, so an interrupted resend report is PUT again, which ICANN treats as a replacement).
 * - notify: deposit.succeeded to the configured channels (at least once: a crash after sending
 *   and before the record sends it again).
 *
 * The writer follows the job's type: FULL (src/deposit/full-deposit.ts), DIFF (the changes since
 * the previous FULL or DIFF recorded for the TLD, from the change journal: prevId is that
 * deposit; src/deposit/diff-deposit.ts) and thin (BRDA, Spec 4 §3.1; delivered like the others
 * but not reported to ICANN's escrow-report interface, which is for Spec 2 deposits).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { StrongroomError, isStrongroomError, messageOf, type ErrorCode } from '../common/errors.js';
import type { LoadedConfig } from '../config/load.js';
import type { DepositsConfig } from '../config/deposits.js';
import { readSecretText } from '../config/secrets.js';
import type { Db } from '../db/adapter.js';
import { openDb } from '../db/open.js';
import { markDelivered } from '../journal/journal.js';
import { writeFullDeposit, type DepositResult, type FullDepositOptions, type WrittenType } from '../deposit/full-deposit.js';
import { writeDiffDeposit, writeThinDeposit } from '../deposit/diff-deposit.js';
import type { DepositSealOptions } from '../deposit/sealed-output.js';
import { depositId } from '../deposit/naming.js';
import type { DepositType } from '../model/objects.js';
import type { NotifyConfig } from '../notify/config.js';
import type { DepositNotice, NotifyEvent } from '../notify/events.js';
import { assertDelivered, notify } from '../notify/notifier.js';
import { reportStatusUrl, submitReport, type SubmitOptions } from '../reporting/icann-client.js';
import { depositFactsFromDb } from '../reporting/report.js';
import { keyExpiryEvents, type KeyInUse } from '../notify/producers.js';
import { groupDepositFiles, loadSealKeys, profile as sealProfile } from '../ryde/index.js';
import { readKeyFile, summarizeKey } from '../ryde/keys.js';
import { SIDECAR_SUFFIX, sha256File, sidecarText } from '../transports/deliver.js';
import { openDestination, stateDir } from '../transports/destinations.js';
import type { RetryPolicy } from '../transports/retry.js';
import type { Body, Transport } from '../transports/transport.js';
import type { JobSteps, SchedulerEvent, StepContext } from './runner.js';
import type { JobRecord } from './state.js';

/** A file of a staged deposit. */
export interface StagedFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** What `stage` records (and later steps read back from the job record). */
export interface StageResult {
  id: string;
  type: WrittenType;
  /** RFC 8909 prevId: the deposit a DIFF follows. */
  prevId?: string;
  resend: number;
  watermark: string;
  snapshot: string;
  snapshotTime: string;
  /** The deposit XML's name inside the tar, its size and SHA-256 (as the writer hashed it). */
  xml: StagedFile;
  counts: Record<string, number>;
  dir: string;
  files: StagedFile[];
  reused: boolean;
  seconds: number;
}

export interface DepositStepsOptions {
  loaded: LoadedConfig;
  registry: string;
  deposits: DepositsConfig;
  /** The scheduler's clock. */
  now?: () => Date;
  env?: NodeJS.ProcessEnv;
  /** An open registry database to use instead of opening `deposits.db` (the embedded database of the caller). */
  db?: Db;
  /** Overrides for tests: transport retries, ICANN client backoff and sleeps, signature times. */
  transportRetry?: RetryPolicy;
  report?: Pick<SubmitOptions, 'backoff' | 'sleep' | 'timeoutMs'>;
  /** Signature creation time (default: the clock's now). */
  signedAt?: () => Date;
}

export interface DepositSteps {
  steps: JobSteps;
  /** Errors no retry can mend: the scheduler abandons the job. */
  permanent(err: unknown): boolean;
  /** deposit.failed / deposit.overdue notifications for the scheduler's events. */
  onEvent(event: SchedulerEvent, record: Readonly<JobRecord>): Promise<void>;
  /** Where this registry's staging and outbox directories are. */
  paths: { root: string; staging: string; outbox: string };
  /** Close the registry database if the steps opened it. */
  close(): Promise<void>;
}

/** Codes after which trying the same job again gives the same answer. */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'SCHEDULER_TYPE_UNAVAILABLE',
  'DEPOSIT_NO_BASE',
  'JOURNAL_INCOMPLETE',
  'SCHEDULER_STAGE_LOST',
  'SCHEDULER_DELIVERY_CONFLICT',
  'DEPOSIT_WATERMARK_UNHONOURABLE',
  'DEPOSIT_PREFLIGHT_FAILED',
  'DEPOSIT_QUARANTINE_CAP_EXCEEDED',
  'DEPOSIT_NO_SUCH_TLD',
  'REPORT_REFUSED',
  'REPORT_DEPOSIT_INVALID',
]);

const SEALED = /\.(ryde|sig)$/;

function within(baseDir: string, path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** The `--db`-style spec of the deposits section: a URL as given, a directory from the file's directory. */
export function registryDbSpec(loaded: LoadedConfig, deposits: DepositsConfig): string {
  return /^postgres(ql)?:\/\//.test(deposits.db) ? deposits.db : within(loaded.baseDir, deposits.db);
}

/** The notify section with its secret files made absolute (they are relative to the configuration file). */
function notifyWithPaths(config: NotifyConfig, baseDir: string): NotifyConfig {
  const fix = <T extends { file?: string | undefined }>(source: T): T => (source.file === undefined ? source : { ...source, file: within(baseDir, source.file) });
  return {
    ...config,
    ...(config.email ? { email: { ...config.email, ...(config.email.password ? { password: fix(config.email.password) } : {}), ...(config.email.caFile ? { caFile: within(baseDir, config.email.caFile) } : {}) } } : {}),
    webhooks: config.webhooks.map((hook) => ({ ...hook, secret: fix(hook.secret) })),
  };
}

async function hashStream(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Names, sizes and SHA-256 of staged files. */
async function describe(dir: string, files: readonly string[]): Promise<StagedFile[]> {
  const out: StagedFile[] = [];
  for (const file of files) out.push({ name: file.slice(dir.length + 1), bytes: (await stat(file)).size, sha256: await sha256File(file) });
  return out;
}

function stageOf(record: Readonly<JobRecord>): StageResult {
  const stage = record.steps.stage?.result as StageResult | undefined;
  if (!stage) throw new StrongroomError('INTERNAL', `${record.key}: no stage result recorded`);
  return stage;
}

/** RFC 8909 type of a job's deposit (a BRDA deposit is type FULL, Spec 4 §3.1). */
function depositTypeOf(record: Readonly<JobRecord>): DepositType {
  return record.type === 'diff' ? 'DIFF' : 'FULL';
}

/** What the writer calls the job's deposit (its id letter and file name follow it). */
function writtenTypeOf(record: Readonly<JobRecord>): WrittenType {
  return record.type === 'diff' ? 'DIFF' : record.type === 'thin' ? 'THIN' : 'FULL';
}

const WRITERS: Record<WrittenType, ((db: Db, options: FullDepositOptions) => Promise<DepositResult>) | undefined> = {
  FULL: writeFullDeposit,
  DIFF: writeDiffDeposit,
  THIN: writeThinDeposit,
  INCR: undefined,
};

/** The notice of a job: what stage recorded, plus the files and timings so far. */
export function jobNotice(record: Readonly<JobRecord>): DepositNotice {
  const stage = record.steps.stage?.result as StageResult | undefined;
  const type = depositTypeOf(record);
  const timings: DepositNotice['timings'] = [];
  for (const step of ['stage', 'seal', 'deliver', 'report'] as const) {
    const seconds = (record.steps[step]?.result as { seconds?: number } | undefined)?.seconds;
    if (typeof seconds === 'number') timings.push({ stage: step, seconds: Math.round(seconds * 1000) / 1000 });
  }
  return {
    tld: record.tld,
    id: stage?.id ?? depositId(record.watermark, writtenTypeOf(record) === 'THIN' ? 'THIN' : type),
    type,
    resend: record.resend,
    watermark: record.watermark,
    counts: stage?.counts ?? {},
    files: stage ? stage.files.map((f) => ({ name: f.name, bytes: f.bytes })) : [],
    timings,
    ...(record.steps.stage ? { startedAt: record.steps.stage.at } : {}),
    ...(record.steps.report ? { finishedAt: record.steps.report.at } : {}),
  };
}

/** Put one file unless the destination already has it with the same SHA-256. */
async function putOnce(transport: Transport, name: string, body: Body & { sha256: string }): Promise<'sent' | 'present'> {
  const existing = await transport.stat(name);
  if (existing) {
    const remote = existing.size === body.size ? await hashStream(await transport.get(name)) : null;
    if (remote === body.sha256) return 'present';
    throw new StrongroomError(
      'SCHEDULER_DELIVERY_CONFLICT',
      `${transport.description} already holds a different ${name} (${existing.size} bytes${remote ? `, SHA-256 ${remote}` : ''}); it is never overwritten: send the deposit again as a resend`,
      { location: name },
    );
  }
  await transport.put(name, body);
  return 'sent';
}

async function statusSays(url: string, user: string, password: string, signal: AbortSignal): Promise<boolean> {
  try {
    const answer = await fetch(url, { method: 'HEAD', headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }, signal });
    return answer.status === 200;
  } catch {
    return false;
  }
}

/** Build the steps of one registry's deposits section (keys are loaded and checked here, before any job). */
export async function depositSteps(options: DepositStepsOptions): Promise<DepositSteps> {
  const { loaded, registry, deposits } = options;
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const baseDir = loaded.baseDir;
  const root = join(stateDir(loaded, env), 'deposits', registry);
  const paths = { root, staging: join(root, 'staging'), outbox: join(root, 'outbox') };

  const sealing = deposits.sealing;
  const passphrase = sealing.passphrase ? await readSecretText(sealing.passphrase, baseDir, env) : undefined;
  // Each key file is read once: summarised for key.expiring warnings (issue 5: a warning N days
  // before expiry), then checked and loaded for sealing from the same keys.
  const keyFile = within(baseDir, sealing.key);
  const recipientFiles = sealing.recipients.map((file) => within(baseDir, file));
  const signing = await readKeyFile(keyFile, passphrase !== undefined ? { passphrase } : {});
  const recipientKeys = await Promise.all(recipientFiles.map((file) => readKeyFile(file)));
  const keysInUse: KeyInUse[] = [
    { summary: await summarizeKey(signing), role: 'registry signing key', tlds: [] },
    ...(await Promise.all(recipientKeys.map(async (key, index) => ({ summary: await summarizeKey(key), role: `escrow agent encryption key (${sealing.recipients[index]})`, tlds: [] })))),
  ];
  const keys = await loadSealKeys({
    profile: sealing.profile,
    keyFile,
    recipientFiles,
    ...(passphrase !== undefined ? { passphrase } : {}),
    read: { key: signing, recipients: recipientKeys },
  });
  const notifyConfig = deposits.notify ? notifyWithPaths(deposits.notify, baseDir) : undefined;

  let ownDb: Db | null = null;
  const registryDb = async (): Promise<Db> => {
    if (options.db) return options.db;
    ownDb ??= await openDb(registryDbSpec(loaded, deposits));
    return ownDb;
  };

  const stage = async (ctx: StepContext): Promise<Record<string, unknown>> => {
    const { record } = ctx;
    const type = writtenTypeOf(record);
    const writer = WRITERS[type];
    if (!writer) throw new StrongroomError('SCHEDULER_TYPE_UNAVAILABLE', `${record.key}: no writer for ${type} deposits`, { location: record.key });
    const started = process.hrtime.bigint();
    const dir = join(paths.staging, `${record.key}_R${record.resend}`);
    const db = await registryDb();
    const id = depositId(record.watermark, type);
    const rows = await db.query<{ watermark: unknown; snapshot: string; snapshot_time: unknown; file_name: string; bytes: unknown; sha256: string; counts: unknown; prev_id: string | null }>(
      `SELECT watermark, snapshot, snapshot_time, file_name, bytes, sha256, counts, prev_id FROM strongroom.deposit WHERE tld = $1 AND id = $2 AND resend = $3`,
      [record.tld, id, record.resend],
    );
    const recorded = rows[0];
    const sealedIn = async (): Promise<string[]> =>
      (await readdir(dir).catch(() => [] as string[])).filter((name) => SEALED.test(name)).sort().map((name) => join(dir, name));
    if (recorded) {
      // Written and recorded before a crash: take it if every part and signature is there.
      const files = await sealedIn();
      try {
        if (files.length === 0) throw new StrongroomError('RYDE_PART_MISSING', 'no sealed files');
        groupDepositFiles(files);
      } catch (err) {
        throw new StrongroomError('SCHEDULER_STAGE_LOST', `${record.key}: deposit ${id} R${record.resend} is recorded in strongroom.deposit but its sealed files in ${dir} are incomplete (${messageOf(err)}); send it again with strongroom resend ${record.key}`, { location: dir });
      }
      const staged = await describe(dir, files);
      const counts = typeof recorded.counts === 'string' ? (JSON.parse(recorded.counts) as Record<string, number>) : (recorded.counts as Record<string, number>);
      const result: StageResult = {
        id,
        type,
        ...(recorded.prev_id ? { prevId: recorded.prev_id } : {}),
        resend: record.resend,
        watermark: record.watermark,
        snapshot: recorded.snapshot,
        snapshotTime: new Date(String(recorded.snapshot_time)).toISOString(),
        xml: { name: recorded.file_name, bytes: Number(recorded.bytes), sha256: recorded.sha256 },
        counts,
        dir,
        files: staged,
        reused: true,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      };
      return { ...result };
    }
    // Not recorded: whatever a crash left here (ciphertext, temporaries) was never delivered.
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const seal: DepositSealOptions = {
      signingKey: keys.signingKey,
      recipients: keys.recipients,
      profile: sealProfile(sealing.profile, sealing.cipher),
      ...(sealing.splitSize !== undefined ? { splitSize: sealing.splitSize } : {}),
      ...(sealing.armor ? { armorSignatures: true } : {}),
      signedAt: (options.signedAt ?? now)(),
    };
    const written = await writer(db, {
      tld: record.tld,
      outDir: dir,
      watermark: record.watermark,
      resend: record.resend,
      seal,
      signal: ctx.signal,
      progress: ctx.progress,
      ...(deposits.jobs !== undefined ? { jobs: deposits.jobs } : {}),
    });
    const staged = await describe(dir, await sealedIn());
    const counts: Record<string, number> = {};
    for (const [kind, n] of Object.entries(written.counts)) if (n !== undefined) counts[kind] = n;
    const result: StageResult = {
      id: written.id,
      type,
      ...(written.prevId ? { prevId: written.prevId } : {}),
      resend: written.resend,
      watermark: written.watermark,
      snapshot: written.snapshot,
      snapshotTime: written.snapshotTime,
      xml: { name: written.fileName, bytes: written.bytes, sha256: written.sha256 },
      counts,
      dir,
      files: staged,
      reused: false,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
    };
    return { ...result };
  };

  const sealStep = async (ctx: StepContext): Promise<Record<string, unknown>> => {
    const started = process.hrtime.bigint();
    const staged = stageOf(ctx.record);
    await mkdir(paths.outbox, { recursive: true });
    for (const file of staged.files) {
      const source = join(staged.dir, file.name);
      const actual = await sha256File(source).catch((err: unknown) => {
        throw new StrongroomError('SCHEDULER_STAGE_LOST', `${ctx.record.key}: staged file ${source} is unreadable: ${messageOf(err)}`, { location: source });
      });
      if (actual !== file.sha256) {
        throw new StrongroomError('SCHEDULER_STAGE_LOST', `${ctx.record.key}: staged file ${source} changed since it was written (SHA-256 ${actual}, recorded ${file.sha256}); send it again with strongroom resend`, { location: source });
      }
      const target = join(paths.outbox, file.name);
      try {
        await link(source, target);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new StrongroomError('FILE_WRITE_FAILED', `cannot link ${source} into the outbox: ${messageOf(err)}`, { location: target });
        const there = await sha256File(target);
        if (there !== file.sha256) throw new StrongroomError('SCHEDULER_DELIVERY_CONFLICT', `the outbox already holds a different ${file.name} (SHA-256 ${there}); send the deposit again as a resend`, { location: target });
      }
    }
    return { outbox: paths.outbox, files: staged.files.map((f) => f.name), seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };

  const deliver = async (ctx: StepContext): Promise<Record<string, unknown>> => {
    const started = process.hrtime.bigint();
    const staged = stageOf(ctx.record);
    const out: Array<{ destination: string; sent: string[]; present: string[] }> = [];
    for (const name of deposits.deliverTo) {
      const opened = await openDestination(loaded, name, { registry, env, now, ...(options.transportRetry ? { retry: options.transportRetry } : {}) });
      const entry = { destination: name, sent: [] as string[], present: [] as string[] };
      try {
        // Parts first, then signatures: an agent's intake waits for both anyway.
        const ordered = [...staged.files].sort((a, b) => Number(a.name.endsWith('.sig')) - Number(b.name.endsWith('.sig')) || a.name.localeCompare(b.name));
        for (const file of ordered) {
          if (ctx.signal.aborted) throw new StrongroomError('INTERRUPTED', 'delivery interrupted');
          const path = join(paths.outbox, file.name);
          const outcome = await putOnce(opened.transport, file.name, { open: () => createReadStream(path), path, size: file.bytes, sha256: file.sha256 });
          entry[outcome].push(file.name);
          if (opened.config.purpose !== 'escrow-agent') {
            const text = Buffer.from(sidecarText(file.name, file.sha256));
            const sidecar = `${file.name}${SIDECAR_SUFFIX}`;
            entry[await putOnce(opened.transport, sidecar, { open: () => Readable.from([text]), size: text.length, sha256: createHash('sha256').update(text).digest('hex') })].push(sidecar);
          }
        }
      } finally {
        await opened.transport.close();
      }
      ctx.progress.note(`${ctx.record.key}: delivered to ${name} (${entry.sent.length} sent, ${entry.present.length} already there)`);
      out.push(entry);
    }
    // Every file is at every destination: the registry's journal may now be pruned up to this
    // deposit if it is a FULL (src/journal; `journal prune` never cuts past an unconfirmed one).
    const confirmed = await markDelivered(await registryDb(), ctx.record.tld, staged.id, ctx.record.resend);
    return { destinations: out, deliveredAt: confirmed.deliveredAt, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };

  const report = async (ctx: StepContext): Promise<Record<string, unknown>> => {
    const started = process.hrtime.bigint();
    const { record } = ctx;
    const icann = deposits.icann;
    if (!icann) return { skipped: 'no icann section in the configuration', seconds: 0 };
    // Spec 4 BRDA files are not Spec 2 escrow deposits: ICANN's escrow-report interface has no report for them.
    if (record.type === 'thin') return { skipped: 'a BRDA (thin) deposit has no ICANN escrow report', seconds: 0 };
    const staged = stageOf(record);
    const password = await readSecretText(icann.password, baseDir, env);
    const username = icann.username ?? `${record.tld}_ry`;
    const date = record.watermark.slice(0, 10);
    const mark = record.checkpoints?.report as { submitting?: number } | undefined;
    if (mark?.submitting === record.resend && record.resend === 0) {
      // A PUT may have reached ICANN before a crash: ask before sending it again.
      if (await statusSays(reportStatusUrl(icann.baseUrl, record.tld, date), username, password, ctx.signal)) {
        return { id: staged.id, resend: record.resend, recovered: 'the status endpoint already lists the report of this date; not sent again', seconds: Number(process.hrtime.bigint() - started) / 1e9 };
      }
    }
    const facts = await depositFactsFromDb(await registryDb(), record.tld, staged.id, record.resend);
    await ctx.checkpoint({ submitting: record.resend, at: ctx.now().toISOString() });
    let submitted;
    try {
      submitted = await submitReport(facts, { baseUrl: icann.baseUrl, username, password }, { signal: ctx.signal, progress: ctx.progress, ...options.report });
    } catch (err) {
      // Accepted (1000) but the status endpoint does not show it: sending again would report
      // twice; record it as accepted and unconfirmed, and say so (docs/reporting.md).
      if (!isStrongroomError(err, 'REPORT_NOT_CONFIRMED')) throw err;
      ctx.progress.warn(`${record.key}: ${err.message}`);
      return { id: staged.id, resend: record.resend, code: 1000, confirmed: false, unconfirmed: err.message, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
    }
    return { id: submitted.id, resend: submitted.resend, code: submitted.code, attempts: submitted.attempts, confirmed: submitted.confirmed, url: submitted.url, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };

  const send = async (event: NotifyEvent): Promise<Record<string, unknown>> => {
    if (!notifyConfig) return { skipped: 'no notify section in the configuration' };
    const result = await notify(event, notifyConfig, { env });
    assertDelivered(result);
    return { event: result.event, id: result.id, channels: result.deliveries.map((d) => d.channel) };
  };

  const notifyStep = async (ctx: StepContext): Promise<Record<string, unknown>> => {
    const sent = await send({ kind: 'deposit.succeeded', at: ctx.now().toISOString(), deposit: jobNotice(ctx.record), destinations: [...deposits.deliverTo] });
    // Every deposit re-checks the keys it was sealed with: a warning a day while one is close to expiry.
    const expiring = keyExpiryEvents(keysInUse.map((k) => ({ ...k, tlds: [ctx.record.tld] })), ctx.now(), sealing.keyWarnDays);
    for (const event of expiring) {
      ctx.progress.warn(`${ctx.record.key}: ${event.key.role} ${event.key.fingerprint} ${event.daysLeft < 0 ? 'has expired' : `expires in ${event.daysLeft} day(s)`}`);
      await send(event);
    }
    return { ...sent, keyWarnings: expiring.length };
  };

  const onEvent = async (event: SchedulerEvent, record: Readonly<JobRecord>): Promise<void> => {
    if (!notifyConfig || record.type === 'thin') return;
    if (event.kind === 'failure') {
      await send({ kind: 'deposit.failed', at: now().toISOString(), deposit: jobNotice(record), stage: event.step, error: { code: event.code, message: event.message } });
    } else if (event.kind === 'overdue') {
      await send({ kind: 'deposit.overdue', at: now().toISOString(), deposit: jobNotice(record), deadline: event.deadline });
    }
  };

  return {
    steps: { stage, seal: sealStep, deliver, report, notify: notifyStep },
    permanent: (err) => isStrongroomError(err) && PERMANENT.has(err.code),
    onEvent,
    paths,
    close: async () => {
      const db = ownDb as Db | null;
      ownDb = null;
      await db?.close();
    },
  };
}
