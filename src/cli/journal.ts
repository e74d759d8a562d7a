/**
 * `strongroom journal status|prune|delivered`: housekeeping of the change journal that DIFF and
 * INCR deposits are computed from (src/journal, migration 002).
 */
import type { Command } from 'commander';
import { EXIT_STATUS } from '../common/errors.js';
import { openDb } from '../db/open.js';
import { journalStatus, markDelivered, pruneJournal, type JournalStatus, type PruneResult } from '../journal/journal.js';
import { action, printResult, usageError, withCommon, type CommonOptions } from './command.js';

interface JournalOptions extends CommonOptions {
  db: string;
}

function statusText(s: JournalStatus): string {
  const lines = [
    `entries     ${s.entries}${s.oldest ? ` (oldest ${s.oldest}, newest ${s.newest})` : ''}`,
    `complete    since ${s.since} (${s.sinceReason})${s.pruned > 0 ? ` (${s.pruned} entries pruned so far)` : ''}`,
  ];
  for (const t of s.tlds) {
    const full = t.lastDeliveredFull;
    lines.push(`tld ${t.tld.padEnd(8)} last delivered FULL ${full ? `${full.id} (resend ${full.resend}, snapshot ${full.snapshotTime})` : 'none'}; ${t.pendingDeposits} deposit(s) not confirmed delivered`);
  }
  lines.push(s.blockedBy ? `prunable    0: ${s.blockedBy}` : `prunable    ${s.prunable}`);
  return lines.join('\n');
}

function pruneText(r: PruneResult, dryRun: boolean): string {
  if (!r.cut) return `nothing pruned: ${r.blockedBy ?? 'no cut'}`;
  return `${dryRun ? 'would remove' : 'removed'} ${r.removed} journal entr${r.removed === 1 ? 'y' : 'ies'} seen by FULL ${r.cut.id} of ${r.cut.tld} (delivered); the journal is complete since ${r.since}`;
}

export function register(program: Command): void {
  const group = program.command('journal').description('the change journal DIFF and INCR deposits are computed from');
  withCommon(
    group
      .command('status')
      .description('entries held, since when the journal is complete, the last FULL confirmed delivered per TLD, and what prune would remove')
      .requiredOption('--db <db>', 'registry database: postgres:// URL or embedded database directory'),
  ).action(
    action(async (_options: unknown, cmd: Command) => {
      const options = cmd.optsWithGlobals<JournalOptions>();
      const db = await openDb(options.db);
      try {
        const status = await journalStatus(db);
        printResult(options, status, () => statusText(status));
      } finally {
        await db.close();
      }
    }),
  );
  withCommon(
    group
      .command('prune')
      .description(
        'remove the entries every TLD\'s last FULL deposit confirmed delivered already reflects (no DIFF or INCR to come can need them); ' +
          'a TLD without a delivered FULL prunes nothing',
      )
      .requiredOption('--db <db>', 'registry database: postgres:// URL or embedded database directory')
      .option('--dry-run', 'only count what would be removed'),
  ).action(
    action(async (_options: unknown, cmd: Command) => {
      const options = cmd.optsWithGlobals<JournalOptions & { dryRun?: boolean }>();
      const db = await openDb(options.db);
      try {
        const result = await pruneJournal(db, { dryRun: options.dryRun === true });
        printResult(options, { dryRun: options.dryRun === true, ...result }, () => pruneText(result, options.dryRun === true));
      } finally {
        await db.close();
      }
    }),
  );
  withCommon(
    group
      .command('delivered')
      .description('record that a deposit was delivered and its receipt confirmed (pruning may then cut at it, if it is a FULL); idempotent')
      .requiredOption('--db <db>', 'registry database: postgres:// URL or embedded database directory')
      .requiredOption('--tld <tld>', 'the TLD')
      .requiredOption('--id <id>', 'the deposit id (RFC 8909 id, e.g. 20250105F0000)')
      .option('--resend <n>', 'the resend (default: the highest recorded for the id)'),
    [[EXIT_STATUS.input, 'no such deposit recorded']],
  ).action(
    action(async (_options: unknown, cmd: Command) => {
      const options = cmd.optsWithGlobals<JournalOptions & { tld: string; id: string; resend?: string }>();
      if (options.resend !== undefined && !/^\d+$/.test(options.resend)) throw usageError(`--resend must be a non-negative integer, got "${options.resend}"`);
      const db = await openDb(options.db);
      try {
        const result = await markDelivered(db, options.tld, options.id, options.resend === undefined ? undefined : Number(options.resend));
        printResult(options, result, () => `deposit ${result.id} (${result.type}, resend ${result.resend}) of ${result.tld} delivered at ${result.deliveredAt}`);
      } finally {
        await db.close();
      }
    }),
  );
}
