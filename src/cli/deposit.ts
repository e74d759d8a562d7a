/**
 * `strongroom deposit`: write an escrow deposit of one TLD from one consistent snapshot,
 * as XML or (`--seal`) straight into RyDE files without plaintext at rest.
 * Types: full, diff (since the previous FULL or DIFF), incr (since the last FULL), thin (BRDA).
 */
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { EXIT_STATUS, StrongroomError, isStrongroomError } from '../common/errors.js';
import type { Finding } from '../common/findings.js';
import { openDb } from '../db/open.js';
import { DEFAULT_MAX_QUARANTINED, writeDeposit, type DepositResult, type OnInvalid, type WrittenType } from '../deposit/full-deposit.js';
import { formatBytes } from '../ui/progress.js';
import { action, printResult, progressFor, usageError, withCommon, type CommonOptions } from './command.js';
import { sealSetup, withSealOptions, type SealCliOptions } from './ryde-options.js';

/** `--type` → what the writer writes. */
const TYPES: Readonly<Record<string, WrittenType>> = { full: 'FULL', diff: 'DIFF', incr: 'INCR', thin: 'THIN' };

interface DepositOptions extends CommonOptions, SealCliOptions {
  db: string;
  tld: string;
  type: string;
  out: string;
  watermark?: string;
  resend: number;
  onInvalid: string;
  maxQuarantined: number;
  seal?: boolean;
  jobs?: number;
}

function nonNegativeInt(name: string): (value: string) => number {
  return (value: string) => {
    if (!/^\d+$/.test(value)) throw usageError(`${name} must be a non-negative integer, got "${value}"`);
    return Number(value);
  };
}

export function formatFinding(f: Finding): string {
  return `${f.severity.padEnd(7)} ${f.code}  ${f.object ?? ''}${f.location ? ` (${f.location})` : ''}: ${f.message}`;
}

/** The human summary of a written deposit (also used by `strongroom demo`). */
export function depositSummary(r: DepositResult): string {
  const counts = Object.entries(r.counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const lines = r.sealed
    ? [
        `deposit     ${r.fileName} sealed (profile ${r.sealed.profile}, signer ${r.sealed.signer}, recipients ${r.sealed.recipients.join(', ')}):`,
        ...r.sealed.parts.map((part) => `              ${part.ryde} (${part.size} bytes) + ${part.sig}`),
      ]
    : [`deposit     ${r.file}`];
  lines.push(
    `id          ${r.id} (type ${r.type}, resend ${r.resend})${r.prevId === undefined ? '' : `, follows ${r.prevId}`}`,
    `watermark   ${r.watermark}`,
    `snapshot    ${r.snapshot} taken at ${r.snapshotTime}`,
    `objects     ${r.objects} (${counts})${r.deletes === undefined ? '' : `, deletes ${r.deletes}`}`,
    `size        ${formatBytes(r.bytes)} (${r.bytes} bytes), sha256 ${r.sha256}`,
    `time        ${r.seconds.toFixed(2)} s, ${Math.round(r.objectsPerSecond)} objects/s`,
    `findings    ${r.findings.errors} error(s), ${r.findings.warnings} warning(s)${r.findingsFile ? `, report ${r.findingsFile}` : ''}`,
  );
  if (r.quarantined.length > 0) lines.push(`quarantined ${r.quarantined.length} object(s) left out (listed in the findings report)`);
  for (const f of r.findings.items.slice(0, 20)) lines.push(`  ${formatFinding(f)}`);
  if (r.findings.items.length > 20) lines.push(`  … ${r.findings.items.length - 20 + r.findings.omitted} more in the findings report`);
  return lines.join('\n');
}

export async function runDeposit(options: DepositOptions): Promise<number> {
  const type = TYPES[options.type.toLowerCase()];
  if (type === undefined) throw usageError(`--type must be full, diff, incr or thin, got "${options.type}"`);
  if (options.onInvalid !== 'fail' && options.onInvalid !== 'quarantine') throw usageError(`--on-invalid must be fail or quarantine, got "${options.onInvalid}"`);
  if (!options.seal) {
    const stray = (
      [
        ['--key', options.key],
        ['--recipient', options.recipient.length > 0 ? true : undefined],
        ['--agent', options.agent],
        ['--split-size', options.splitSize],
        ['--armor', options.armor],
        ['--cipher', options.cipher],
        ['--compress-level', options.compressLevel],
      ] as const
    ).find(([, value]) => value !== undefined);
    if (stray) throw usageError(`${stray[0]} is a sealing option: add --seal`);
  }
  const progress = progressFor(options);
  // Keys are checked before any work: a bad key fails at once, not after the deposit is written.
  const sealing = options.seal ? await sealSetup(options, progress) : undefined;
  await mkdir(options.out, { recursive: true }).catch((err: unknown) => {
    throw new StrongroomError('FILE_WRITE_FAILED', `cannot create the output directory ${options.out}: ${(err as Error).message}`, { location: options.out });
  });
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const db = await openDb(options.db);
  try {
    const result = await writeDeposit(db, {
      tld: options.tld,
      outDir: options.out,
      ...(options.watermark === undefined ? {} : { watermark: options.watermark }),
      resend: options.resend,
      onInvalid: options.onInvalid as OnInvalid,
      maxQuarantined: options.maxQuarantined,
      progress,
      signal: controller.signal,
      ...(options.jobs !== undefined ? { jobs: options.jobs } : {}),
      ...(sealing ? { seal: sealing.seal } : {}),
    }, type);
    printResult(options, result, () => depositSummary(result));
    return EXIT_STATUS.ok;
  } catch (err) {
    if (!options.json && isStrongroomError(err, 'DEPOSIT_PREFLIGHT_FAILED')) {
      const items = (err.data?.findings ?? []) as Finding[];
      for (const f of items.slice(0, 50)) process.stderr.write(`${formatFinding(f)}\n`);
      if (items.length > 50) process.stderr.write(`… and ${items.length - 50} more (use --json for all)\n`);
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    await db.close();
  }
}

export function register(program: Command): void {
  withCommon(
    withSealOptions(
      program
        .command('deposit')
        .description(
          'Write an escrow deposit of one TLD (RFC 8909/9022 XML, ICANN Spec 2 name) from one consistent read-only snapshot; ' +
            'registrations continue meanwhile. Pre-flight checks run on what is written before the file gets its final name. ' +
            'With --seal the XML is written into RyDE sealing (through an encrypted spool) and never lands on disk in the clear.',
        )
        .requiredOption('--db <db>', 'registry database: postgres:// URL or embedded database directory')
        .requiredOption('--tld <tld>', 'the TLD (A-label, without dot)')
        .requiredOption('--type <type>', 'deposit type: full; diff (changes since the previous FULL or DIFF); incr (changes since the last FULL); thin (BRDA, Spec 4: domains and registrars, BRDA fields)')
        .requiredOption('--out <dir>', 'directory to write the deposit into (created if missing)')
        .option('--watermark <time>', 'RFC 3339 moment the deposit represents (default: the snapshot time); refused if the snapshot cannot honour it')
        .option('--resend <n>', 'resend number (RFC 8909 resend, Spec 2 R{n})', nonNegativeInt('--resend'), 0)
        .option('--on-invalid <mode>', 'a broken object fails the run (fail) or is left out and reported (quarantine)', 'fail')
        .option('--max-quarantined <n>', 'with quarantine: fail when more objects than this would be left out', nonNegativeInt('--max-quarantined'), DEFAULT_MAX_QUARANTINED)
        .option('--jobs <n>', 'parallelism for contacts, hosts and domains: connections rendering them in PostgreSQL (FULL, at most 4), worker threads checking and serialising them (DIFF, INCR) (PostgreSQL server only; default: one per CPU, one more for FULL; 0: one); same bytes either way', nonNegativeInt('--jobs'))
        .option('--seal', 'seal the deposit for the escrow agent (Spec 2 §4) as it is written: {tld}_{date}_{full|diff|thin}_S{n}_R{rev}.ryde + .sig, no plaintext XML on disk; the options below say how'),
    ),
    [
      [EXIT_STATUS.findings, 'pre-flight found errors (nothing published), or too many objects to quarantine'],
      [EXIT_STATUS.refused, 'diff/incr without a FULL (or DIFF) to follow, or one older than the change journal; deposit already recorded or being written'],
    ],
  ).action(action(async (options: DepositOptions) => runDeposit(options)));
}
