/**
 * `strongroom report`: the registry's statement to ICANN about a deposit (ICANN RA Spec 2
 * Part A §7): build the rdeReport of a deposit recorded in strongroom.deposit (or read from a
 * deposit XML file), PUT it to the registry-interfaces API and confirm it through the status
 * endpoint.
 */
import type { Command } from 'commander';
import { basename, dirname, resolve } from 'node:path';
import { EXIT_STATUS } from '../common/errors.js';
import { readSecret } from '../common/secret.js';
import { openDb } from '../db/open.js';
import { writeFileAtomically } from '../deposit/output.js';
import { ICANN_PRODUCTION_BASE, ICANN_TEST_BASE, parseBaseUrl, submitReport, type SubmitResult } from '../reporting/icann-client.js';
import { depositFactsFromDb, depositFactsFromFile, rdeReportXml, type DepositFacts } from '../reporting/report.js';
import { tryCanonicalDateTime } from '../model/datetime.js';
import { action, positiveInt, printResult, progressFor, usageError, withCommon, type CommonOptions } from './command.js';

/** Default environment variable of the ICANN password. */
export const PASSWORD_ENV = 'STRONGROOM_ICANN_PASSWORD';

interface ReportCliOptions extends CommonOptions {
  db?: string;
  tld?: string;
  id?: string;
  resend?: number;
  file?: string;
  icannUrl: string;
  user?: string;
  passwordFile?: string;
  passwordEnv?: string;
  write?: string;
  dryRun?: boolean;
  confirm: boolean;
  attempts: number;
  crDate?: string;
}

function nonNegativeInt(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw usageError(`${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

function baseUrl(value: string): string {
  if (value === 'production') return ICANN_PRODUCTION_BASE;
  if (value === 'test') return ICANN_TEST_BASE;
  parseBaseUrl(value);
  return value;
}

async function facts(options: ReportCliOptions): Promise<DepositFacts> {
  if (options.file !== undefined) {
    if (options.db !== undefined || options.id !== undefined) throw usageError('give either --file or --db with --tld and --id, not both');
    const found = await depositFactsFromFile(resolve(options.file));
    if (options.tld !== undefined && options.tld !== found.tld) throw usageError(`--tld ${options.tld} differs from the deposit's TLD ${found.tld}`);
    return found;
  }
  if (options.db === undefined || options.tld === undefined || options.id === undefined) throw usageError('give --db, --tld and --id of a recorded deposit, or --file with a deposit XML file');
  const db = await openDb(options.db);
  try {
    return await depositFactsFromDb(db, options.tld, options.id, options.resend);
  } finally {
    await db.close();
  }
}

export interface ReportOutcome {
  tld: string;
  id: string;
  resend: number;
  type: string;
  watermark: string;
  written?: string;
  sent: boolean;
  submission?: SubmitResult;
}

function summary(o: ReportOutcome): string {
  const lines = [`report      ${o.id} of ${o.tld} (${o.type}, resend ${o.resend}, watermark ${o.watermark})`];
  if (o.written) lines.push(`written     ${o.written}`);
  const s = o.submission;
  if (!o.sent || s === undefined) lines.push('sent        no (--dry-run)');
  else {
    lines.push(`sent        ${s.url}`, `accepted    code ${s.code} ${s.msg} after ${s.attempts} attempt(s), ${s.seconds.toFixed(2)} s`);
    lines.push(`confirmed   ${s.confirmed ? `yes (${s.statusUrl})` : 'not asked (--no-confirm)'}`);
  }
  return lines.join('\n');
}

export async function runReport(options: ReportCliOptions): Promise<number> {
  if (options.passwordFile !== undefined && options.passwordEnv !== undefined) throw usageError('give either --password-file or --password-env');
  if (options.crDate !== undefined && tryCanonicalDateTime(options.crDate) === null) throw usageError(`--cr-date "${options.crDate}" is not an RFC 3339 date-time`);
  const base = baseUrl(options.icannUrl);
  const deposit = await facts(options);
  const reportOptions = options.crDate === undefined ? {} : { crDate: options.crDate };
  const xml = rdeReportXml(deposit, reportOptions);
  const outcome: ReportOutcome = { tld: deposit.tld, id: deposit.id, resend: deposit.resend, type: deposit.type, watermark: deposit.watermark, sent: false };
  if (options.write !== undefined) {
    const target = resolve(options.write);
    outcome.written = await writeFileAtomically(dirname(target), basename(target), xml);
  }
  if (!options.dryRun) {
    const password = await readSecret(options.passwordFile !== undefined ? { file: options.passwordFile } : { env: options.passwordEnv ?? PASSWORD_ENV }, 'ICANN password', 'REPORT_CREDENTIALS_MISSING');
    outcome.submission = await submitReport(
      deposit,
      { baseUrl: base, password, ...(options.user === undefined ? {} : { username: options.user }) },
      { ...reportOptions, confirm: options.confirm, backoff: { attempts: options.attempts, initialMs: 2000, maxMs: 120_000 }, progress: progressFor(options) },
    );
    outcome.sent = true;
  }
  printResult(options, outcome, () => summary(outcome));
  return EXIT_STATUS.ok;
}

export function register(program: Command): void {
  withCommon(
    program
      .command('report')
      .description(
        "Send ICANN the registry's report of a deposit (rdeReport, ICANN RA Spec 2 Part A §7): built from the deposit recorded in strongroom.deposit " +
          '(--db --tld --id) or from a deposit XML file (--file), PUT to {base}/report/registry-escrow-report/{tld}/{id} with HTTP Basic authentication, ' +
          'retried on transport errors, 5xx and code 2007, then confirmed through the status endpoint. The password comes from a file or the environment.',
      )
      .option('--db <db>', 'registry database holding strongroom.deposit: postgres:// URL or embedded database directory')
      .option('--tld <tld>', 'the TLD of the deposit')
      .option('--id <id>', 'the deposit id (RFC 8909 id)')
      .option('--resend <n>', 'which resend of that id (default: the latest recorded)', nonNegativeInt('--resend'))
      .option('--file <deposit.xml>', 'read the deposit facts from a deposit XML file instead of the database')
      .option('--icann-url <url>', `base URL of the ICANN interface, or "production" (${ICANN_PRODUCTION_BASE}) or "test" (${ICANN_TEST_BASE})`, 'production')
      .option('--user <name>', 'HTTP Basic user (default {tld}_ry)')
      .option('--password-file <file>', 'file holding the ICANN password')
      .option('--password-env <var>', `environment variable holding the ICANN password (default ${PASSWORD_ENV})`)
      .option('--write <file>', 'also write the report XML to this file (never replaced)')
      .option('--dry-run', 'build (and --write) the report, send nothing')
      .option('--no-confirm', 'do not ask the status endpoint afterwards')
      .option('--attempts <n>', 'attempts in all for the PUT and for the confirmation', positiveInt('--attempts'), 5)
      .option('--cr-date <time>', 'rdeReport crDate (default: the watermark)'),
    [
      [EXIT_STATUS.config, 'credentials missing or refused (HTTP 401/403), or the ICANN URL is not an escrow-report endpoint'],
      [EXIT_STATUS.input, 'the deposit is not recorded, or its file has no usable header'],
      [EXIT_STATUS.io, 'ICANN unreachable or failing after every retry, an answer without an iirdea result, or the report not confirmed'],
      [EXIT_STATUS.refused, 'ICANN refused the report (iirdea code other than 1000; the code and message are printed)'],
    ],
  ).action(action(async (options: ReportCliOptions) => runReport(options)));
}
