/**
 * `strongroom rebuild --into <db> <deposit.xml…> [--until <id|date>]`: a FULL deposit — and
 * the DIFFs after it, or the latest INCR on it — streamed into an empty reference database,
 * all or nothing (src/rebuild/rebuild.ts, src/rebuild/rebuild-chain.ts), ending with a
 * summary an operator can paste into an incident report. The chain is ordered and checked
 * (src/rebuild/chain.ts) before the target is opened.
 */
import type { Command } from 'commander';
import { rm, stat } from 'node:fs/promises';
import { EXIT_STATUS, StrongroomError } from '../common/errors.js';
import { openDb, parseDbSpec } from '../db/open.js';
import { planChain, type ChainPlan } from '../rebuild/chain.js';
import { rebuildChain, type ChainSummary } from '../rebuild/rebuild-chain.js';
import { rebuildFull, type RebuildSummary } from '../rebuild/rebuild.js';
import { formatBytes } from '../ui/progress.js';
import { action, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface RebuildOptions extends CommonOptions {
  into: string;
  until?: string;
}

/** The pasteable summary. */
export function rebuildSummary(r: RebuildSummary): string {
  const kinds = Object.entries(r.objects)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  const d = r.deposit;
  return [
    `rebuilt     ${r.file}`,
    `into        ${r.target}`,
    `deposit     ${d.type} ${d.id}${d.prevId ? ` (prevId ${d.prevId})` : ''}, resend ${d.resend}, watermark ${d.watermark}`,
    `tld         ${r.tld.name}: repository id ${r.tld.roidSuffix}, host ${r.tld.hostModel}, data model ${r.tld.dataModel}`,
    `objects     ${r.totalObjects} (${kinds})`,
    `checks      counts equal the header for ${r.checks.counts.length} object kind(s); ${r.checks.foreignKeys} foreign keys validated; ${r.checks.nameServers} name server link(s) resolved`,
    `size        ${formatBytes(r.bytes)} (${r.bytes} bytes)`,
    `time        ${r.seconds.toFixed(2)} s, ${Math.round(r.objectsPerSecond)} objects/s, ${formatBytes(r.bytesPerSecond)}/s`,
    ...(r.migrated.length > 0 ? [`schema      created (migrations ${r.migrated.join(', ')})`] : []),
  ].join('\n');
}

const kindList = (objects: Record<string, number | undefined>) =>
  Object.entries(objects)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');

/** The pasteable summary of a chain. */
export function chainSummary(r: ChainSummary): string {
  const deltas = r.deposits.slice(1);
  const types = [...new Set(deltas.map((d) => d.type))].map((type) => `${deltas.filter((d) => d.type === type).length} ${type}`);
  const lines = [
    `rebuilt     ${r.deposits.length} deposit(s): FULL ${r.deposits[0]!.id}${types.length > 0 ? ` + ${types.join(' + ')}` : ''} → the state of ${r.state.type} ${r.state.id}, watermark ${r.state.watermark}`,
    `into        ${r.target}`,
  ];
  for (const d of r.deposits) {
    const what =
      d.type === 'FULL'
        ? `${Object.values(d.objects).reduce((a, b) => a + (b ?? 0), 0)} objects`
        : `${Object.values(d.objects).reduce((a, b) => a + (b ?? 0), 0)} objects, ${d.deletes} delete(s); ${d.removed} object(s) removed or replaced` +
          (d.unmatchedDeletes > 0 ? `; ${d.unmatchedDeletes} delete(s) named no object (e.g. ${d.unmatchedExamples.join(', ')})` : '');
    lines.push(`deposit     ${d.type} ${d.id}${d.prevId ? ` (prevId ${d.prevId})` : ''}, resend ${d.resend}, watermark ${d.watermark}: ${what} — ${d.file}`);
  }
  for (const d of r.notApplied) lines.push(`not applied ${d.type} ${d.id}, watermark ${d.watermark} (after --until ${r.until ?? ''}) — ${d.file}`);
  lines.push(
    `tld         ${r.tld.name}: repository id ${r.tld.roidSuffix}, host ${r.tld.hostModel}, data model ${r.tld.dataModel}`,
    `objects     ${r.totalObjects} (${kindList(r.objects)})`,
    `checks      counts equal each deposit's header once applied (${r.checks.depositsCounted} deposit(s); the last: ${r.checks.counts.length} object kind(s)); ` +
      `${r.checks.foreignKeys} foreign keys validated over the final state; ${r.checks.nameServers} name server link(s) resolved`,
    `size        ${formatBytes(r.bytes)} (${r.bytes} bytes)`,
    `time        ${r.seconds.toFixed(2)} s, ${Math.round(r.objectsPerSecond)} objects/s, ${formatBytes(r.bytesPerSecond)}/s`,
    ...(r.migrated.length > 0 ? [`schema      created (migrations ${r.migrated.join(', ')})`] : []),
  );
  return lines.join('\n');
}

export async function runRebuild(files: string[], options: RebuildOptions): Promise<number> {
  const spec = parseDbSpec(options.into);
  // Before opening (or creating) anything: the deposits must be there, and a chain must hold.
  for (const file of files) {
    if (!(await stat(file).catch(() => null))?.isFile()) throw new StrongroomError('FILE_NOT_FOUND', `the deposit ${file} does not exist or is not a file`, { location: file });
  }
  const controller = new AbortController();
  // One FULL alone is the plain FULL rebuild (its summary and JSON unchanged); anything else a chain.
  const plan: ChainPlan | null = files.length === 1 && options.until === undefined ? null : await planChain(files, { ...(options.until !== undefined ? { until: options.until } : {}), signal: controller.signal });
  // An embedded database directory this run creates is removed again if the rebuild fails:
  // the target is left exactly as it was, down to its absence.
  const created = spec.kind === 'embedded' && spec.dir !== null && (await stat(spec.dir).catch(() => null)) === null ? spec.dir : null;
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let ok = false;
  try {
    const db = await openDb(spec);
    try {
      const run = { progress: progressFor(options), signal: controller.signal };
      if (plan) {
        const result = await rebuildChain(db, plan, run);
        ok = true;
        printResult(options, result, () => chainSummary(result));
      } else {
        const result = await rebuildFull(db, files[0]!, run);
        ok = true;
        printResult(options, result, () => rebuildSummary(result));
      }
      return EXIT_STATUS.ok;
    } finally {
      await db.close();
    }
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    if (!ok && created) await rm(created, { recursive: true, force: true });
  }
}

export function register(program: Command): void {
  withCommon(
    program
      .command('rebuild')
      .description(
        'Rebuild a working registry database from a FULL deposit (RFC 8909/9022 XML from any implementation) and the DIFF deposits after it ' +
          '(or the latest INCR on it): the chain is ordered and checked first (prevId continuity, watermark order, deposit types, one TLD, ' +
          'exactly one FULL at the base), then bulk loaded into an empty reference database; in the database every reference must resolve ' +
          'and the counts equal each deposit\'s header. All or nothing.',
      )
      .argument('<deposit...>', 'the FULL deposit XML file, and the DIFF/INCR XML files to apply on it (any order)')
      .requiredOption('--into <db>', 'the empty target: postgres:// URL or embedded database directory (schema created if absent)')
      .option('--until <id|date>', 'stop after this deposit: its id, a day (YYYY-MM-DD, that day\'s deposits included) or an RFC 3339 date-time'),
    [[EXIT_STATUS.findings, 'an in-database check failed (count differs from a header, reference does not resolve, duplicate key); target unchanged']],
  ).action(action(async (files: string[], options: RebuildOptions) => runRebuild(files, options)));
}
