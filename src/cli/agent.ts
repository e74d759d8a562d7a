/**
 * `strongroom agent …`: the escrow agent's side. Every subcommand works on a repository
 * directory (`--repo`: deposits as received, reports, audit log) and a catalog database
 * (`--db`: embedded directory or postgres:// URL, schema `agent`).
 *
 *   ingest    inbox → repository (complete, stable deposits; strangers rejected)
 *   verify    Spec 2 §8 verification of files or stored deposits, with reports
 *   calendar  what is due, overdue or missing (seed 001 schedule)
 *   retain    retention: what goes and why (--dry-run), deletions audited
 *   hold      legal hold on a deposit
 *   approve   record an approver of a release
 *   release   export a TLD's kept deposits once two people approved
 *   audit     verify the hash-chained audit log
 */
import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT_STATUS, StrongroomError, messageOf } from '../common/errors.js';
import type { Finding } from '../common/findings.js';
import { verifyAudit } from '../agent/audit.js';
import { DEFAULT_CALENDAR, buildCalendar, checkCalendarPolicy, type CalendarEntry, type CalendarPolicy } from '../agent/calendar.js';
import { openAgent, type AgentContext } from '../agent/context.js';
import { ingestOnce, type IngestResult } from '../agent/intake.js';
import { approveRelease, exportRelease, requestRelease, setLegalHold } from '../agent/release.js';
import { DEFAULT_RETENTION, RETENTION_PRESETS, applyRetention, planRetention, type RetentionPolicy } from '../agent/retention.js';
import { DEFAULT_DEA_NAME, chainBaseOf, inputsFromFiles, verifyStored } from '../agent/verify-stored.js';
import { missingDepositNotificationXml } from '../reporting/notification.js';
import { reportText, verifyDeposit, type VerifyOptions, type VerifyReport } from '../agent/verify/verify.js';
import type { RegistryRuleConfig } from '../agent/rst/object-rules.js';
import type { DataModel, HostModel } from '../sources/source.js';
import { Keyring } from '../ryde/keyring.js';
import { loadUnsealKeys } from '../ryde/load.js';
import { parseProfileName } from '../ryde/profiles.js';
import { DirectoryTransport } from '../transports/directory.js';
import { action, positiveInt, printResult, progressFor, usageError, withCommon, type CommonOptions } from './command.js';
import { byteSize, collect, passphraseFrom } from './ryde-options.js';

interface AgentOptions extends CommonOptions {
  repo: string;
  db: string;
}

function repoAndDb(cmd: Command): Command {
  return cmd
    .requiredOption('--repo <dir>', "the agent's repository directory (created if missing)")
    .requiredOption('--db <db>', 'the catalog: postgres:// URL or a directory for the embedded database');
}

async function withAgent<T>(options: { repo: string; db: string }, fn: (agent: AgentContext) => Promise<T>): Promise<T> {
  const agent = await openAgent({ repo: resolve(options.repo), db: options.db });
  try {
    return await fn(agent);
  } finally {
    await agent.db.close();
  }
}

function nowFrom(value: string | undefined): Date {
  if (value === undefined) return new Date();
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw usageError(`--now must be an RFC 3339 time, got "${value}"`);
  return parsed;
}

// ingest ---------------------------------------------------------------------------------

interface IngestCliOptions extends AgentOptions {
  inbox: string;
  tld: string[];
  settle: number;
  watch?: boolean;
  interval: number;
}

function ingestText(result: IngestResult): string {
  const lines = [
    ...result.received.map((key) => `received  ${key}`),
    ...result.duplicates.map((key) => `duplicate ${key} (discarded)`),
    ...result.rejected.map((entry) => `rejected  ${entry.name}: ${entry.reason}`),
    ...result.waiting.map((entry) => `waiting   ${entry.deposit}: ${entry.reason}`),
    ...result.findings.filter((finding) => finding.code === 'AGENT_RESEND').map((finding) => `note      ${finding.message}`),
  ];
  return lines.length ? lines.join('\n') : 'nothing to take in';
}

function registerIngest(agent: Command): void {
  withCommon(
    repoAndDb(
      agent
        .command('ingest')
        .description(
          "Take complete deposits from a registry's inbox into the repository: files grouped by Spec 2 name, all parts and signatures present and unchanged for --settle seconds; stored as received (SHA-256 addressed), catalogued, audited, then removed from the inbox. Unexpected files are moved to rejected/ with a finding.",
        )
        .requiredOption('--inbox <dir>', "the registry's inbox directory")
        .option('--tld <tld>', 'a TLD expected in this inbox (repeat); files of others are rejected', collect, [])
        .option('--settle <seconds>', 'a file must be unchanged this long before it is taken', (value) => Number(positiveInt('--settle')(value)), 60)
        .option('--watch', 'keep watching the inbox until interrupted')
        .option('--interval <seconds>', 'seconds between passes with --watch', positiveInt('--interval'), 30),
    ),
    [[EXIT_STATUS.findings, 'files were rejected']],
  ).action(
    action(async (options: IngestCliOptions) => {
      const progress = progressFor(options);
      return withAgent(options, async (context) => {
        const inbox = new DirectoryTransport(resolve(options.inbox));
        const run = (previous?: Map<string, number>) => ingestOnce(context, { inbox, tlds: options.tld, settleMs: options.settle * 1000, progress, ...(previous ? { previous } : {}) });
        if (!options.watch) {
          const result = await run();
          printResult(options, { ...result, seen: undefined }, () => ingestText(result));
          return result.rejected.length > 0 ? EXIT_STATUS.findings : EXIT_STATUS.ok;
        }
        const stop = new AbortController();
        const onSignal = (): void => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        let previous: Map<string, number> | undefined;
        try {
          while (!stop.signal.aborted) {
            const result = await run(previous);
            previous = result.seen;
            if (result.received.length || result.rejected.length || result.duplicates.length) printResult(options, { ...result, seen: undefined }, () => ingestText(result));
            await sleep(options.interval * 1000, undefined, { signal: stop.signal }).catch(() => undefined);
          }
        } finally {
          process.removeListener('SIGINT', onSignal);
          process.removeListener('SIGTERM', onSignal);
        }
        return EXIT_STATUS.ok;
      });
    }),
  );
}

// verify ---------------------------------------------------------------------------------

interface VerifyCliOptions extends CommonOptions {
  key: string;
  signer: string[];
  keyring?: string;
  repo?: string;
  db?: string;
  schema?: string;
  chain: boolean;
  profile?: string;
  passphraseFile?: string;
  maxSize?: number;
  maxRatio?: number;
  deaName: string;
  hostModel?: string;
  dataModel?: string;
  roidSuffix: string[];
  idnTable: string[];
}

/** The registry configuration for the RST object rules, from the verify options. */
function ruleConfig(options: VerifyCliOptions): RegistryRuleConfig {
  const pick = <T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined => {
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) throw usageError(`${flag} must be one of ${allowed.join(', ')}`);
    return value as T;
  };
  const hostModel = pick<HostModel>(options.hostModel, ['objects', 'attributes'], '--host-model');
  const dataModel = pick<DataModel>(options.dataModel, ['minimum', 'maximum', 'per-registrar'], '--data-model');
  const [roidSuffix, ...others] = options.roidSuffix;
  return {
    ...(hostModel ? { hostModel } : {}),
    ...(dataModel ? { dataModel } : {}),
    ...(roidSuffix ? { roidSuffix, roidSuffixes: others } : {}),
    ...(options.idnTable.length > 0 ? { idnTables: options.idnTable } : {}),
  };
}

const KEY_RE = /^[a-z0-9-]+_\d{4}-\d{2}-\d{2}_(full|diff|thin)_R\d+$/;

/** The verification exit status: 0 only on PASS. */
export function verifyExit(status: VerifyReport['status']): number {
  return status === 'PASS' ? EXIT_STATUS.ok : status === 'FAIL' ? EXIT_STATUS.findings : EXIT_STATUS.config;
}

function worst(reports: readonly VerifyReport[]): VerifyReport['status'] {
  if (reports.some((report) => report.status === 'FAIL')) return 'FAIL';
  if (reports.some((report) => report.status === 'ERROR')) return 'ERROR';
  return 'PASS';
}

/** Signer keys for a TLD: --signer files, else the TLD's keyring (`<keyring>/tlds/<tld>`), else the keyring's registry key. */
function tldKeyring(base: string | undefined, tld: string): Keyring | undefined {
  if (!base) return undefined;
  const perTld = join(base, 'tlds', tld);
  return new Keyring(existsSync(perTld) ? perTld : base);
}

function registerVerify(agent: Command): void {
  withCommon(
    agent
      .command('verify')
      .description(
        "Verify deposits in Spec 2 Part A §8 order: every part's signature against the registry key pinned for the TLD, join, decrypt, decompress, safe untar (limits on size and compression ratio), well-formed XML without DOCTYPE, schema (--schema), name/header/menu/count rules, and the chain rules against the catalog. Decrypted data stays in an encrypted spool. A check that did not run is reported NOT RUN and keeps the result from PASS. Stored deposits (by key) get their reports saved in the repository.",
      )
      .argument('<deposits...>', '.ryde and .sig files (all parts, any order), or keys of stored deposits ({tld}_{date}_{type}_R{rev})')
      .requiredOption('--key <file>', "the escrow agent's secret key")
      .option('--signer <file>', "the registry's public key (repeat); default: the keyring's key for the TLD", collect, [])
      .option('--keyring <dir>', 'keyring whose pins apply: <dir>/tlds/<tld> per TLD when present, else <dir> (role "registry")')
      .option('--repo <dir>', 'the repository (for stored deposits and the chain rules)')
      .option('--db <db>', 'the catalog (for stored deposits and the chain rules)')
      .option('--schema <xsd>', 'the RFC 8909/9022 schema set to validate against (all-rde-deposit.xsd), with xmllint')
      .option('--no-chain', 'skip the chain rules (reported NOT RUN, not blocking)')
      .option('--profile <profile>', 'rfc4880-no-mdc also accepts messages without MDC')
      .option('--passphrase-file <file>', 'passphrase of the secret key (or $STRONGROOM_KEY_PASSPHRASE)')
      .option('--max-size <bytes>', 'largest deposit XML accepted (default 256G)', byteSize('--max-size'))
      .option('--max-ratio <n>', 'largest decompressed/sealed size ratio past 64 MiB (default 300)', positiveInt('--max-ratio'))
      .option('--dea-name <name>', 'the escrow agent name in the rdeNotification stored with each verification', DEFAULT_DEA_NAME)
      .option('--host-model <model>', 'RST epp.hostModel: objects | attributes (default: objects when the menu lists rdeHost-1.0)')
      .option('--data-model <model>', 'RST general.registryDataModel: minimum | maximum | per-registrar (without it the registrant and rde-14 rules are NOT RUN)')
      .option('--roid-suffix <id>', "the TLD's repository identifier (repeat for the registry's others; without it roid suffixes are NOT RUN)", collect, [])
      .option('--idn-table <tag>', 'an IDN table registered for the TLD (repeat; without it the rde-11 list check is NOT RUN)', collect, []),
    [
      [EXIT_STATUS.findings, 'verification FAIL'],
      [EXIT_STATUS.config, 'verification ERROR: a check could not run (no schema, no xmllint, no catalog), or key material unusable'],
    ],
  ).action(
    action(async (args: string[], options: VerifyCliOptions) => {
      const progress = progressFor(options);
      if ((options.repo === undefined) !== (options.db === undefined)) throw usageError('--repo and --db go together');
      const stored = args.filter((arg) => KEY_RE.test(arg) && !existsSync(arg));
      const files = args.filter((arg) => !stored.includes(arg));
      if (stored.length > 0 && !options.repo) throw usageError('stored deposits need --repo and --db');
      const passphrase = passphraseFrom(options.passphraseFile);
      const profileName = options.profile === undefined ? undefined : parseProfileName(options.profile);
      const rules = ruleConfig(options);
      const keysFor = async (tld: string) => {
        const keyring = tldKeyring(options.keyring, tld);
        const keys = await loadUnsealKeys({
          keyFile: options.key,
          signerFiles: options.signer,
          ...(keyring ? { keyring } : {}),
          ...(passphrase !== undefined ? { passphrase } : {}),
          ...(profileName ? { profile: profileName } : {}),
        });
        for (const warning of keys.warnings) progress.warn(warning);
        return keys;
      };
      const base = (keys: Awaited<ReturnType<typeof keysFor>>): Omit<VerifyOptions, 'catalog'> => ({
        decryptionKeys: keys.decryptionKeys,
        verificationKeys: keys.verificationKeys,
        ...(profileName === 'rfc4880-no-mdc' ? { allowNoMdc: true } : {}),
        ...(options.schema ? { schema: resolve(options.schema) } : {}),
        ...(options.chain === false ? { skipChain: true } : {}),
        limits: { ...(options.maxSize ? { maxXmlBytes: options.maxSize } : {}), ...(options.maxRatio ? { maxRatio: options.maxRatio } : {}) },
        rules,
        progress,
      });
      const run = async (context: AgentContext | undefined): Promise<VerifyReport[]> => {
        const reports: VerifyReport[] = [];
        if (files.length > 0) {
          for (const input of inputsFromFiles(files)) {
            reports.push(await verifyDeposit(input, { ...base(await keysFor(input.name.tld)), ...(context ? { catalog: context.catalog, chainBase: chainBaseOf(context) } : {}) }));
          }
        }
        for (const key of stored) {
          const tld = key.split('_')[0]!;
          reports.push((await verifyStored(context!, key, { ...base(await keysFor(tld)), deaName: options.deaName })).report);
        }
        return reports;
      };
      const reports = options.repo && options.db ? await withAgent({ repo: options.repo, db: options.db }, run) : await run(undefined);
      const status = worst(reports);
      const findings = reports.flatMap((report) => report.findings);
      printResult(options, reports.length === 1 ? reports[0] : { status, findings, reports }, () => reports.map(reportText).join('\n'));
      return verifyExit(status);
    }),
  );
}

// calendar -------------------------------------------------------------------------------

interface CalendarCliOptions extends AgentOptions {
  tld: string[];
  from?: string;
  to?: string;
  now?: string;
  tz: string;
  cutoff: string;
  windowEnd: string;
  holiday: string[];
  holidaysFile?: string;
  notifyDir?: string;
  deaName: string;
}

function calendarPolicy(options: CalendarCliOptions): CalendarPolicy {
  const holidays = [...options.holiday];
  if (options.holidaysFile) {
    let text: string;
    try {
      text = readFileSync(options.holidaysFile, 'utf8');
    } catch (err) {
      throw new StrongroomError('FILE_NOT_FOUND', `cannot read ${options.holidaysFile}: ${messageOf(err)}`, { location: options.holidaysFile });
    }
    for (const line of text.split('\n')) {
      const day = line.replace(/#.*/, '').trim();
      if (day) holidays.push(day);
    }
  }
  return checkCalendarPolicy({ ...DEFAULT_CALENDAR, timeZone: options.tz, cutoff: options.cutoff, windowEnd: options.windowEnd, holidays });
}

function registerCalendar(agent: Command): void {
  withCommon(
    repoAndDb(
      agent
        .command('calendar')
        .description(
          'Show which verifications are due, overdue or missing: business days only; a transfer window ending at or before the cutoff (agent time zone) is verified that day, otherwise the next business day. Overdue verifications and missing deposits are alerts (exit status 1).',
        )
        .option('--tld <tld>', 'only this TLD (repeat); default: every TLD in the catalog', collect, [])
        .option('--from <date>', 'first watermark day (default: the first deposit of the TLD)')
        .option('--to <date>', 'last watermark day (default: today, UTC)')
        .option('--now <time>', 'evaluate at this moment (RFC 3339) instead of now')
        .option('--tz <zone>', "the agent's IANA time zone", 'UTC')
        .option('--cutoff <HH:MM>', 'local cutoff for same-day verification', '16:00')
        .option('--window-end <HH:MM>', 'UTC time the transfer window ends on the watermark day (Spec 2 Part A §2: 23:59)', '23:59')
        .option('--holiday <date>', 'a holiday (YYYY-MM-DD, repeat)', collect, [])
        .option('--holidays-file <file>', 'holidays, one YYYY-MM-DD per line (# comments)')
        .option('--notify-dir <dir>', 'write a DRFN rdeNotification for every missing deposit here (<tld>_<date>_DRFN.xml, never replaced)')
        .option('--dea-name <name>', 'the escrow agent name in notifications', DEFAULT_DEA_NAME),
    ),
    [[EXIT_STATUS.findings, 'a verification is overdue or a deposit is missing']],
  ).action(
    action(async (options: CalendarCliOptions) => {
      const policy = calendarPolicy(options);
      const now = nowFrom(options.now);
      return withAgent(options, async (context) => {
        const tlds = options.tld.length ? options.tld : await context.catalog.tlds();
        const entries: CalendarEntry[] = [];
        const findings: Finding[] = [];
        const notified: string[] = [];
        for (const tld of tlds) {
          const deposits = await context.catalog.deposits({ tld });
          const from = options.from ?? deposits[0]?.name_date;
          if (!from) continue;
          const result = buildCalendar(tld, deposits, { from, to: options.to ?? now.toISOString().slice(0, 10), now, policy });
          entries.push(...result.entries);
          findings.push(...result.findings);
          if (options.notifyDir) {
            const lastFull = deposits.filter((row) => row.type === 'full' && row.status === 'verified').at(-1)?.name_date;
            for (const entry of result.entries.filter((item) => item.state === 'missing')) {
              const xml = missingDepositNotificationXml(
                { tld, type: entry.expected === 'full' ? 'FULL' : 'DIFF', watermark: `${entry.date}T00:00:00Z`, deadline: entry.windowEnd },
                { deaName: options.deaName, now, ...(lastFull ? { lastFullDate: lastFull } : {}) },
              );
              const target = join(resolve(options.notifyDir), `${tld}_${entry.date}_DRFN.xml`);
              if (existsSync(target)) continue;
              await context.repo.writeFile(target, xml);
              notified.push(target);
            }
          }
        }
        printResult(options, { now: now.toISOString(), timeZone: policy.timeZone, entries, findings, notified }, () =>
          [
            `${'TLD'.padEnd(12)} ${'day'.padEnd(10)} ${'type'.padEnd(4)} ${'verify on'.padEnd(10)} state`,
            ...entries.map((entry) => `${entry.tld.padEnd(12)} ${entry.date} ${entry.expected.padEnd(4)} ${entry.verifyOn} ${entry.state.toUpperCase()}${entry.deposits.length ? ` (${entry.deposits.join(', ')})` : ''}`),
            ...findings.map((finding) => `ALERT ${finding.code}: ${finding.object}: ${finding.message}`),
            ...notified.map((path) => `DRFN written: ${path}`),
          ].join('\n'),
        );
        return findings.length > 0 ? EXIT_STATUS.findings : EXIT_STATUS.ok;
      });
    }),
  );
}

// retain ---------------------------------------------------------------------------------

interface RetainCliOptions extends AgentOptions {
  tld?: string;
  preset?: string;
  keepFull?: number;
  keepIncrementals?: number;
  minAge?: number;
  dryRun?: boolean;
  now?: string;
}

function registerRetain(agent: Command): void {
  withCommon(
    repoAndDb(
      agent
        .command('retain')
        .description(
          `Apply retention: keep the N most recent verified FULL deposits (default ${DEFAULT_RETENTION.keepFull}) and every deposit after the oldest of them, plus whatever a kept deposit's prevId chain needs, anything under legal hold and anything younger than --min-age; delete the rest (objects, catalog entry marked), each deletion audited. --dry-run only lists what would go and why.`,
        )
        .option('--tld <tld>', 'only this TLD')
        .option('--preset <name>', `a rotation preset: ${Object.keys(RETENTION_PRESETS).join(', ')}`)
        .option('--keep-full <n>', 'verified FULL deposits to keep', positiveInt('--keep-full'))
        .option('--keep-incrementals <n>', 'keep only this many most recent DIFF/INCR deposits (plus their chains)', positiveInt('--keep-incrementals'))
        .option('--min-age <days>', 'never delete a deposit received less than this many days ago', positiveInt('--min-age'))
        .option('--dry-run', 'list what would be deleted and why; delete nothing')
        .option('--now <time>', 'evaluate at this moment (RFC 3339) instead of now'),
    ),
  ).action(
    action(async (options: RetainCliOptions) => {
      let policy: RetentionPolicy = DEFAULT_RETENTION;
      if (options.preset) {
        const preset = RETENTION_PRESETS[options.preset];
        if (!preset) throw usageError(`unknown --preset "${options.preset}" (${Object.keys(RETENTION_PRESETS).join(', ')})`);
        policy = preset;
      }
      policy = {
        ...policy,
        ...(options.keepFull ? { keepFull: options.keepFull } : {}),
        ...(options.keepIncrementals ? { keepIncrementals: options.keepIncrementals } : {}),
        ...(options.minAge ? { minAgeDays: options.minAge } : {}),
      };
      const now = nowFrom(options.now);
      return withAgent(options, async (context) => {
        const decisions = await planRetention(context, policy, { ...(options.tld ? { tld: options.tld } : {}), now });
        const deleted = options.dryRun ? [] : await applyRetention(context, decisions, now);
        printResult(options, { dryRun: Boolean(options.dryRun), policy, decisions, deleted: deleted.map((decision) => decision.key) }, () =>
          [
            ...decisions.map((decision) => `${decision.action === 'delete' ? (options.dryRun ? 'would delete' : 'deleted') : 'keep'} ${decision.key}: ${decision.reason}`),
            `${decisions.filter((decision) => decision.action === 'delete').length} deposit(s) ${options.dryRun ? 'would be' : 'were'} deleted, ${decisions.filter((decision) => decision.action === 'keep').length} kept`,
          ].join('\n'),
        );
      });
    }),
  );
}

// hold, approve, release, audit ----------------------------------------------------------

function registerHold(agent: Command): void {
  withCommon(
    repoAndDb(
      agent
        .command('hold')
        .description('Put a deposit under legal hold (retention never deletes it nor what its chain needs), or lift the hold.')
        .requiredOption('--deposit <key>', 'the stored deposit ({tld}_{date}_{type}_R{rev})')
        .option('--reason <text>', 'why (recorded in the catalog and the audit log)')
        .option('--lift', 'lift the hold instead'),
    ),
  ).action(
    action(async (options: AgentOptions & { deposit: string; reason?: string; lift?: boolean }) =>
      withAgent(options, async (context) => {
        await setLegalHold(context, options.deposit, !options.lift, options.reason ?? null);
        printResult(options, { deposit: options.deposit, hold: !options.lift }, () => `${options.deposit}: legal hold ${options.lift ? 'lifted' : 'set'}`);
      }),
    ),
  );
}

function registerApprove(agent: Command): void {
  withCommon(
    repoAndDb(
      agent
        .command('approve')
        .description('Record an approver of a release; a release is exported only with two distinct approvers.')
        .requiredOption('--release <id>', 'the release id (printed by `strongroom agent release`)')
        .requiredOption('--approver <name>', 'who approves (names compare case-insensitively)'),
    ),
  ).action(
    action(async (options: AgentOptions & { release: string; approver: string }) =>
      withAgent(options, async (context) => {
        const approvers = await approveRelease(context, options.release, options.approver);
        printResult(options, { release: options.release, approvers }, () => `release ${options.release} approved by ${approvers.join(', ')} (${approvers.length} of 2)`);
      }),
    ),
  );
}

function registerRelease(agent: Command): void {
  withCommon(
    repoAndDb(
      agent
        .command('release')
        .description(
          "Release a TLD's kept deposits (Spec 2 Part B §6), sealed as received, with their verification reports and a MANIFEST.json. The first call opens a release and prints its id; it is exported only once two distinct approvers are recorded (`strongroom agent approve`).",
        )
        .requiredOption('--tld <tld>', 'the TLD to release')
        .requiredOption('--to <dir>', 'where to export (a <tld> directory is made in it; existing files are never replaced)')
        .option('--reason <text>', 'why (recorded when the release is opened)'),
    ),
    [[EXIT_STATUS.refused, 'the release is not (yet) approved by two distinct people']],
  ).action(
    action(async (options: AgentOptions & { tld: string; to: string; reason?: string }) =>
      withAgent(options, async (context) => {
        let id = await context.catalog.openReleaseOf(options.tld);
        if (!id) {
          id = await requestRelease(context, options.tld, { ...(options.reason ? { reason: options.reason } : {}) });
          throw new StrongroomError('AGENT_RELEASE_NOT_APPROVED', `release ${id} of .${options.tld} is opened; it needs two distinct approvers: strongroom agent approve --release ${id} --approver <name>`, { data: { release: id } });
        }
        const result = await exportRelease(context, id, resolve(options.to));
        printResult(options, result, () => `release ${result.id}: ${result.deposits.length} deposit(s), ${result.files.length} file(s) exported to ${result.dir} (approved by ${result.approvers.join(', ')})`);
      }),
    ),
  );
}

function registerAudit(agent: Command): void {
  const audit = agent.command('audit').description("the agent's hash-chained audit log");
  withCommon(
    repoAndDb(audit.command('verify').description('Check the audit log: every line intact, in order, none removed (the head is kept in the catalog).')),
    [[EXIT_STATUS.integrity, 'the audit log was altered']],
  ).action(
    action(async (options: AgentOptions) =>
      withAgent(options, async (context) => {
        const verdict = await verifyAudit(context.audit, context.catalog);
        printResult(options, verdict, () =>
          verdict.ok ? `audit log intact: ${verdict.entries} entries` : [`audit log ALTERED (${verdict.entries} lines):`, ...verdict.findings.map((finding) => `  ${finding.code} at ${finding.location}: ${finding.message}`)].join('\n'),
        );
        return verdict.ok ? EXIT_STATUS.ok : EXIT_STATUS.integrity;
      }),
    ),
  );
}

export function register(program: Command): void {
  const agent = program.command('agent').description('the escrow agent: receive, verify, keep and release deposits');
  registerIngest(agent);
  registerVerify(agent);
  registerCalendar(agent);
  registerRetain(agent);
  registerHold(agent);
  registerApprove(agent);
  registerRelease(agent);
  registerAudit(agent);
}
