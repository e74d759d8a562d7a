/**
 * `strongroom rebuild --into <db> <deposit.xml>`: a FULL deposit streamed into an empty
 * reference database, all or nothing (src/rebuild/rebuild.ts), ending with a summary an
 * operator can paste into an incident report.
 */
import type { Command } from 'commander';
import { rm, stat } from 'node:fs/promises';
import { EXIT_STATUS, StrongroomError } from '../common/errors.js';
import { openDb, parseDbSpec } from '../db/open.js';
import { rebuildFull, type RebuildSummary } from '../rebuild/rebuild.js';
import { formatBytes } from '../ui/progress.js';
import { action, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface RebuildOptions extends CommonOptions {
  into: string;
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

export async function runRebuild(file: string, options: RebuildOptions): Promise<number> {
  const spec = parseDbSpec(options.into);
  // Before opening (or creating) anything: the deposit must be there.
  if (!(await stat(file).catch(() => null))?.isFile()) throw new StrongroomError('FILE_NOT_FOUND', `the deposit ${file} does not exist or is not a file`, { location: file });
  // An embedded database directory this run creates is removed again if the rebuild fails:
  // the target is left exactly as it was, down to its absence.
  const created = spec.kind === 'embedded' && spec.dir !== null && (await stat(spec.dir).catch(() => null)) === null ? spec.dir : null;
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let ok = false;
  try {
    const db = await openDb(spec);
    try {
      const result = await rebuildFull(db, file, { progress: progressFor(options), signal: controller.signal });
      ok = true;
      printResult(options, result, () => rebuildSummary(result));
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
        'Rebuild a working registry database from a FULL deposit (RFC 8909/9022 XML from any implementation): bulk load into an empty ' +
          'reference database, then check in the database that every reference resolves and the counts equal the header. All or nothing.',
      )
      .argument('<deposit>', 'the FULL deposit XML file')
      .requiredOption('--into <db>', 'the empty target: postgres:// URL or embedded database directory (schema created if absent)'),
    [[EXIT_STATUS.findings, 'an in-database check failed (count differs from the header, reference does not resolve, duplicate key); target unchanged']],
  ).action(action(async (file: string, options: RebuildOptions) => runRebuild(file, options)));
}
