/**
 * `strongroom compare <db-a> <db-b>`: logical equality of two registry databases
 * (src/rebuild/compare.ts). Exit 0 when equal, 1 when they differ.
 */
import type { Command } from 'commander';
import { EXIT_STATUS } from '../common/errors.js';
import { openDb } from '../db/open.js';
import { compareDatabases, type CompareResult } from '../rebuild/compare.js';
import { action, positiveInt, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface CompareOptions extends CommonOptions {
  tld?: string;
  maxDifferences: number;
}

export function compareSummary(r: CompareResult): string {
  const kinds = Object.entries(r.objects)
    .map(([kind, n]) => (n.a === n.b ? `${kind} ${n.a}` : `${kind} ${n.a}/${n.b}`))
    .join(', ');
  const lines = [
    `a           ${r.a}`,
    `b           ${r.b}`,
    `tlds        ${r.tlds.join(', ') || '(none)'}`,
    `objects     ${kinds || '(none)'}`,
    `verdict     ${r.equal ? 'EQUAL' : `DIFFERENT: ${r.differenceCount} difference(s)`}`,
  ];
  for (const d of r.differences) {
    lines.push(`  ${d.kind} ${d.object} ${d.field}`);
    lines.push(`    a: ${d.a ?? '(absent)'}`);
    lines.push(`    b: ${d.b ?? '(absent)'}`);
  }
  if (r.differenceCount > r.differences.length) lines.push(`  … and ${r.differenceCount - r.differences.length} more (raise --max-differences)`);
  return lines.join('\n');
}

export async function runCompare(specA: string, specB: string, options: CompareOptions): Promise<number> {
  const a = await openDb(specA);
  try {
    const b = await openDb(specB);
    try {
      const result = await compareDatabases(a, b, {
        ...(options.tld ? { tld: options.tld } : {}),
        maxDifferences: options.maxDifferences,
        progress: progressFor(options),
      });
      printResult(options, result, () => compareSummary(result));
      return result.equal ? EXIT_STATUS.ok : EXIT_STATUS.findings;
    } finally {
      await b.close();
    }
  } finally {
    await a.close();
  }
}

export function register(program: Command): void {
  withCommon(
    program
      .command('compare')
      .description(
        'Compare two registry databases object by object, field by field, as an escrow deposit sees them (sets compared as sets); ' +
          'prints a bounded list of differences.',
      )
      .argument('<db-a>', 'postgres:// URL or embedded database directory')
      .argument('<db-b>', 'postgres:// URL or embedded database directory')
      .option('--tld <tld>', 'compare this TLD only (with the registrars, contacts and hosts its deposit holds)')
      .option('--max-differences <n>', 'differences shown in detail (all are counted)', positiveInt('--max-differences'), 20),
    [[EXIT_STATUS.findings, 'the databases differ']],
  ).action(action(async (a: string, b: string, options: CompareOptions) => runCompare(a, b, options)));
}
