/**
 * `strongroom pg …`: self-hosted PostgreSQL backups (src/pg-backup, docs/pg-backup.md).
 *
 *   pg backup [--logical]     base backup (pg_basebackup) or logical (pg_dumpall), sealed
 *   pg wal-push <path> [name] archive_command helper
 *   pg wal-fetch <name> <path> restore_command helper
 *   pg restore --to <dir>     restore a base backup, configure recovery (PITR with --target-time)
 *   pg drill                  restore into scratch, start a temporary server, check, report RTO
 *   pg info                   backups, WAL ranges and gaps, chains, last drill
 *   pg expire [--dry-run]     retention over backup + WAL chains
 *   pg schedule               the configured schedules: last fired, last done, due, next
 *   pg run-due                run the jobs that are due (one tick; cron, timers, the scheduler)
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { DaemonLock } from '../scheduler/lock.js';
import { openArchive, type BackupArchive } from '../pg-backup/archive.js';
import { runBackup } from '../pg-backup/backup.js';
import { archiveInfo, lastDrill, listBackups } from '../pg-backup/catalog.js';
import { loadPgBackupConfig, type LoadedPgBackupConfig } from '../pg-backup/config.js';
import { runDrill, type DrillReport } from '../pg-backup/drill.js';
import { loadOpenKeysFor, loadSealKeysFor, loadVerificationKeysFor } from '../pg-backup/keys.js';
import { restoreBackup, restoreLogical, shellWord } from '../pg-backup/restore.js';
import { applyExpire, planExpire } from '../pg-backup/retention.js';
import { jobStatuses, lastExpire, pgStateDir, recordExpire, type JobStatus, type PgJob } from '../pg-backup/schedule.js';
import { serverUser } from '../pg-backup/server.js';
import { walFetch, walPush } from '../pg-backup/wal-archive.js';
import { action, printResult, progressFor, reportError, usageError, withCommon, type CommonOptions } from './command.js';

interface ConfigOption extends CommonOptions {
  config?: string;
}

/** wal-fetch's status for failures other than "not archived": PostgreSQL aborts recovery on 126/127 (as for a shell error). */
const WAL_FETCH_ABORT = 126;

/** The light `pg`-only entry (pg-main.ts): restore_command starts once per WAL file. */
const BIN = fileURLToPath(new URL('../../../bin/strongroom-pg.js', import.meta.url));

async function loadConfig(options: ConfigOption): Promise<LoadedPgBackupConfig> {
  const file = options.config ?? process.env.STRONGROOM_PG_CONFIG;
  if (!file) throw usageError('give --config <file> (or set $STRONGROOM_PG_CONFIG)');
  return loadPgBackupConfig(file);
}

async function withArchive<T>(loaded: LoadedPgBackupConfig, use: (archive: BackupArchive) => Promise<T>): Promise<T> {
  const archive = await openArchive(loaded.config);
  try {
    return await use(archive);
  } finally {
    await archive.close();
  }
}

function configured(cmd: Command): Command {
  return cmd.option('--config <file>', 'pg backup configuration (YAML; default $STRONGROOM_PG_CONFIG)');
}

function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}

/** An ISO 8601 date-time with an explicit zone (fractions up to microseconds kept in the text). */
const TIME_RE = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

/**
 * The time as PostgreSQL's recovery_target_time accepts it: a space instead of "T", a numeric
 * offset instead of "Z" (zone abbreviations are refused there), every digit kept.
 */
function postgresTime(value: string): string {
  return value.trim().replace('T', ' ').replace(/Z$/, '+00');
}

function parseTime(value: string, option = '--target-time'): Date {
  const text = value.trim();
  const date = new Date(text.replace(' ', 'T').replace(/(\.\d{3})\d+/, '$1'));
  if (!TIME_RE.test(text) || Number.isNaN(date.getTime())) throw usageError(`${option} must be an ISO 8601 date and time with a zone (Z or ±HH:MM), e.g. 2026-11-21T20:15:00.123456Z; got "${value}"`);
  return date;
}

export function register(program: Command): void {
  const pg = program.command('pg').description('Self-hosted PostgreSQL backups: encrypted base backups and WAL off-site, retention, restore drills (docs/pg-backup.md).');

  withCommon(
    configured(pg.command('backup').description('Back up the cluster: pg_basebackup (tar, with the WAL needed for consistency) or pg_dumpall with --logical, compressed (zstd), encrypted and signed, with a signed manifest.')).option(
      '--logical',
      'a logical backup (pg_dumpall) instead of a base backup',
    ),
  ).action(
    action(async (options: ConfigOption & { logical?: boolean }) => {
      const loaded = await loadConfig(options);
      const progress = progressFor(options);
      const result = await withArchive(loaded, (archive) => backupJob(loaded, archive, options.logical ? 'logical' : 'base', progress));
      const m = result.backup;
      printResult(options, result, () =>
        [
          `${m.kind} backup ${m.id} of ${m.cluster} (PostgreSQL ${m.server.version}, system ${m.server.systemIdentifier})`,
          m.start ? `  WAL ${m.start.lsn} .. ${m.stop!.lsn} on timeline ${m.start.timeline}` : '',
          `  ${m.files.length} files, ${mib(m.archive.plaintextSize)} → ${mib(m.archive.size)} sealed (${m.archive.object})`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    }),
  );

  withCommon(
    configured(
      pg
        .command('wal-push')
        .description("archive_command helper: seal one WAL file and store it; exit 0 only once it is durably stored. Use: archive_command = 'strongroom pg wal-push --config <file> %p'")
        .argument('<path>', 'the WAL file (%p)')
        .argument('[name]', 'its WAL file name (%f; default: the base name of <path>)'),
    ),
    [[8, 'the archive holds a different file under that name (PG_WAL_CONFLICT)']],
  ).action(
    action(async (path: string, name: string | undefined, options: ConfigOption) => {
      const loaded = await loadConfig(options);
      const keys = await loadSealKeysFor(loaded.config);
      const result = await withArchive(loaded, (archive) =>
        walPush(archive, path, name, keys, { compressionLevel: loaded.config.compressionLevel, ...(loaded.config.spoolDir ? { spoolDir: loaded.config.spoolDir } : {}) }),
      );
      if (options.json) printResult(options, result, () => '');
    }),
  );

  withCommon(
    configured(
      pg
        .command('wal-fetch')
        .description("restore_command helper: fetch, verify and decrypt one WAL file. Use: restore_command = 'strongroom pg wal-fetch --config <file> %f %p'")
        .argument('<name>', 'the WAL file name (%f)')
        .argument('<path>', 'where to write it (%p)'),
    ),
    [
      [7, 'the WAL file is not in the archive (PG_WAL_NOT_FOUND): the end of the archive for PostgreSQL'],
      [WAL_FETCH_ABORT, 'any other failure (integrity, keys, destination): PostgreSQL aborts recovery instead of taking it for the end of the archive'],
    ],
  ).action(
    action(async (name: string, path: string, options: ConfigOption) => {
      try {
        const loaded = await loadConfig(options);
        const keys = await loadOpenKeysFor(loaded.config);
        const result = await withArchive(loaded, (archive) => walFetch(archive, name, resolve(path), keys));
        if (options.json) printResult(options, result, () => '');
      } catch (err) {
        if (isStrongroomError(err, 'PG_WAL_NOT_FOUND')) throw err;
        // PostgreSQL treats exit statuses 1-125 as "not in the archive" and would end recovery
        // early (promoting a cluster that misses data); 126 makes it stop with a FATAL error.
        reportError(err, Boolean(options.json));
        return WAL_FETCH_ABORT;
      }
    }),
  );

  withCommon(
    configured(
      pg
        .command('restore')
        .description('Restore a base backup into a directory: verify, decrypt, unpack, check every file against the manifest, and configure recovery (recovery.signal, restore_command = wal-fetch).')
        .requiredOption('--to <dir>', 'the new data directory (absent or empty); with --logical: the SQL file, or - for stdout')
        .option('--logical', 'restore a logical backup (pg_dumpall SQL) instead: replay it with psql')
        .option('--backup <id>', 'the base backup (default: the newest, or the newest finished before --target-time)')
        .option('--target-time <time>', 'recover to this moment (ISO 8601 with zone), e.g. 2026-11-21T20:15:00Z')
        .option('--immediate', 'stop recovery as soon as the backup is consistent (no later WAL)')
        .option('--target-action <action>', 'at the target: promote (default), pause or shutdown', 'promote')
        .option('--owner <user>', 'owner of the restored files (default: postgres when run as root)')
        .option('--restore-command <cmd>', 'restore_command to configure (default: this strongroom with this config)'),
    ),
    [[8, 'the target directory is not empty']],
  ).action(
    action(async (options: ConfigOption & { to: string; backup?: string; targetTime?: string; immediate?: boolean; targetAction: string; owner?: string; restoreCommand?: string; logical?: boolean }) => {
      const loaded = await loadConfig(options);
      if (options.logical) {
        if (options.targetTime || options.immediate) throw usageError('--target-time and --immediate apply to base backups only');
        if (options.to === '-' && options.json) throw usageError('--json cannot share stdout with the SQL (--to -)');
        const keys = await loadOpenKeysFor(loaded.config);
        const result = await withArchive(loaded, (archive) => restoreLogical(archive, { keys, to: options.to, ...(options.backup ? { backupId: options.backup } : {}), progress: progressFor(options) }));
        if (options.to !== '-') printResult(options, result, () => `restored logical backup ${result.backup} into ${result.to} (${mib(result.bytes)}, signer ${result.signer}); replay it with psql -f`);
        return;
      }
      if (!['promote', 'pause', 'shutdown'].includes(options.targetAction)) throw usageError('--target-action must be promote, pause or shutdown');
      if (options.immediate && options.targetTime) throw usageError('--immediate and --target-time exclude each other');
      const progress = progressFor(options);
      const keys = await loadOpenKeysFor(loaded.config);
      const restoreCommand = options.restoreCommand ?? `${shellWord(process.execPath)} ${shellWord(BIN)} pg wal-fetch --config ${shellWord(loaded.file)} %f %p`;
      const result = await withArchive(loaded, (archive) =>
        restoreBackup(archive, {
          to: options.to,
          keys,
          restoreCommand,
          ...(options.backup ? { backupId: options.backup } : {}),
          ...(options.targetTime ? { targetTime: parseTime(options.targetTime), targetTimeText: postgresTime(options.targetTime) } : {}),
          target: options.immediate ? 'immediate' : 'latest',
          targetAction: options.targetAction as 'promote',
          owner: serverUser(options.owner ?? 'postgres'),
          progress,
        }),
      );
      printResult(options, result, () =>
        [
          `restored base backup ${result.backup} into ${result.to}: ${result.files} entries, ${mib(result.bytes)}, every file checked against the signed manifest (signer ${result.signer})`,
          `recovery: ${result.targetTime ? `to ${result.targetTime}` : result.target === 'immediate' ? 'to the end of the backup' : 'to the end of the archived WAL'}; start the server to recover`,
        ].join('\n'),
      );
    }),
  );

  withCommon(
    configured(
      pg
        .command('drill')
        .description('Restore drill: restore a backup into a scratch directory, pg_verifybackup, start a temporary PostgreSQL on a free loopback port, compare object counts with the manifest, query every table, stop, report the RTO.')
        .option('--backup <id>', 'the base backup (default: the newest)')
        .option('--immediate', 'recover only to the end of the backup (default: replay all archived WAL)')
        .option('--keep', 'keep the scratch directory'),
    ),
    [[1, 'the drill ran and found problems']],
  ).action(
    action(async (options: ConfigOption & { backup?: string; immediate?: boolean; keep?: boolean }) => {
      const loaded = await loadConfig(options);
      const progress = progressFor(options);
      const report = await withArchive(loaded, (archive) =>
        drillJob(loaded, archive, { ...(options.backup ? { backupId: options.backup } : {}), target: options.immediate ? 'immediate' : 'latest', ...(options.keep ? { keep: true } : {}), progress }),
      );
      printResult(options, report, () => drillText(report));
      return report.ok ? 0 : 1;
    }),
  );

  withCommon(configured(pg.command('info').description('Backups, WAL ranges and gaps, each backup\'s WAL chain, sizes, the last drill, and the schedules (due or not).')), [[1, 'the archive has WAL gaps or incomplete chains']]).action(
    action(async (options: ConfigOption) => {
      const loaded = await loadConfig(options);
      const verificationKeys = await loadVerificationKeysFor(loaded.config);
      const info = await withArchive(loaded, async (archive) => ({ ...(await archiveInfo(archive, verificationKeys)), schedules: await scheduleStatus(loaded, archive, new Date()) }));
      const broken = info.wal.gaps.length > 0 || info.backups.some((b) => b.chain && !b.chain.complete) || info.invalidBackups.length > 0;
      printResult(options, info, () => {
        const lines = [`cluster ${info.cluster} at ${info.destination}`, 'backups:'];
        for (const b of info.backups) {
          const chain = b.chain ? (b.chain.complete ? `chain OK to ${b.chain.lastSegment}` : `chain BROKEN at ${b.chain.missing}`) : '';
          lines.push(`  ${b.kind.padEnd(7)} ${b.id}  ${mib(b.size).padStart(12)}  ${b.start ? `${b.start.lsn}..${b.stop!.lsn} tl ${b.start.timeline}  ` : ''}${chain}`);
        }
        if (info.backups.length === 0) lines.push('  (none)');
        for (const entry of info.incompleteBackups) lines.push(`  incomplete: ${entry}`);
        for (const entry of info.invalidBackups) lines.push(`  INVALID: ${entry.backup}: ${entry.error}`);
        lines.push(`WAL: ${info.wal.segments} segments, ${mib(info.wal.size)}`);
        for (const range of info.wal.ranges) lines.push(`  timeline ${range.timeline}: ${range.first} .. ${range.last} (${range.segments})`);
        for (const gap of info.wal.gaps) lines.push(`  GAP on timeline ${gap.timeline}: ${gap.from} .. ${gap.to} missing`);
        const drill = info.lastDrill;
        lines.push(drill ? `last drill: ${drill.id} of ${drill.backup}: ${drill.ok ? 'OK' : 'FAILED'}, RTO ${drill.rtoSeconds} s` : 'last drill: none');
        if (info.schedules.length > 0) lines.push('schedules:', ...info.schedules.map((status) => `  ${statusLine(status)}`));
        return lines.join('\n');
      });
      return broken ? 1 : 0;
    }),
  );

  withCommon(configured(pg.command('expire').description('Apply the retention rules (count, age, GFS) over backup + WAL chains; --dry-run shows what would go.')).option('--dry-run', 'show what would be removed; remove nothing')).action(
    action(async (options: ConfigOption & { dryRun?: boolean }) => {
      const loaded = await loadConfig(options);
      const result = await withArchive(loaded, (archive) => expireJob(loaded, archive, Boolean(options.dryRun)));
      printResult(options, result, () =>
        [
          ...result.decisions.map((d) => `${d.keep ? 'keep  ' : 'remove'} ${d.kind.padEnd(7)} ${d.id}  ${d.reasons.join(', ')}`),
          ...result.removeIncomplete.map((entry) => `remove incomplete ${entry}`),
          `WAL: ${result.wal.removeSegments} segments (${mib(result.wal.removeBytes)}) ${result.dryRun ? 'would be' : 'were'} removed${result.wal.keepFrom ? `; kept from ${result.wal.keepFrom}` : ''}`,
          result.dryRun ? `dry run: ${result.removeObjects.length} objects would be removed` : `${result.removed} objects removed`,
        ].join('\n'),
      );
    }),
  );

  withCommon(
    configured(pg.command('schedule').description('The configured schedules (full, logical, expire, drill): when each fired last, when it was last done (from the archive), whether it is due, when it fires next (UTC).')).option(
      '--at <time>',
      'compute for this moment (default: now)',
    ),
  ).action(
    action(async (options: ConfigOption & { at?: string }) => {
      const loaded = await loadConfig(options);
      const now = options.at ? parseTime(options.at, '--at') : new Date();
      const statuses = await withArchive(loaded, (archive) => scheduleStatus(loaded, archive, now));
      printResult(options, { at: now.toISOString(), jobs: statuses }, () => statuses.map(statusLine).join('\n') || 'no schedules configured');
    }),
  );

  withCommon(
    configured(
      pg
        .command('run-due')
        .description('Run the jobs whose schedule fired since they were last done (full, logical, expire, drill, in that order), one tick at a time: start it every few minutes from cron, a systemd timer or the scheduler. Holds a lock so ticks never overlap.'),
    ),
    [[1, 'a due job failed, or a drill found problems (the others still ran)']],
  ).action(
    action(async (options: ConfigOption) => {
      const loaded = await loadConfig(options);
      const progress = progressFor(options);
      const stateDir = pgStateDir(loaded.config, loaded.file);
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const lock = await DaemonLock.acquire(stateDir);
      try {
        const ran = await withArchive(loaded, async (archive) => {
          const now = new Date();
          const statuses = await scheduleStatus(loaded, archive, now);
          const out: Array<{ job: PgJob; ok: boolean; result?: unknown; error?: { code: string; message: string } }> = [];
          for (const status of statuses.filter((s) => s.due)) {
            progress.note(`${status.job}: due since ${status.previous} (last done ${status.lastDone ?? 'never'}): strongroom ${status.command}`);
            try {
              if (status.job === 'full' || status.job === 'logical') {
                const result = await backupJob(loaded, archive, status.job === 'full' ? 'base' : 'logical', progress);
                out.push({ job: status.job, ok: true, result: { id: result.backup.id, kind: result.backup.kind, size: result.backup.archive.size } });
              } else if (status.job === 'expire') {
                const result = await expireJob(loaded, archive, false);
                await recordExpire(stateDir, now);
                out.push({ job: status.job, ok: true, result: { removeBackups: result.removeBackups, removeSegments: result.wal.removeSegments, removed: result.removed } });
              } else {
                const report = await drillJob(loaded, archive, { target: 'latest', progress });
                out.push({ job: status.job, ok: report.ok, result: { id: report.id, backup: report.backup, ok: report.ok, rtoSeconds: report.rtoSeconds, findings: report.findings } });
              }
            } catch (err) {
              const code = isStrongroomError(err) ? err.code : 'INTERNAL';
              progress.warn(`${status.job} failed: ${code}: ${messageOf(err)}`);
              out.push({ job: status.job, ok: false, error: { code, message: messageOf(err) } });
            }
          }
          return { at: now.toISOString(), ran: out, jobs: statuses };
        });
        printResult(options, ran, () =>
          ran.ran.length === 0
            ? `nothing due at ${ran.at}; ${ran.jobs.map((s) => `${s.job} next ${s.next}`).join(', ') || 'no schedules configured'}`
            : ran.ran.map((r) => `${r.job}: ${r.ok ? 'OK' : 'FAILED'}${r.error ? ` (${r.error.code}: ${r.error.message})` : ''}${r.result ? ` ${JSON.stringify(r.result)}` : ''}`).join('\n'),
        );
        return ran.ran.every((r) => r.ok) ? 0 : 1;
      } finally {
        await lock.release();
      }
    }),
  );
}

function statusLine(status: JobStatus): string {
  return `${status.job.padEnd(8)} ${status.schedule.padEnd(20)} ${status.due ? 'DUE' : 'ok '}  fired ${status.previous}  done ${status.lastDone ?? 'never'}  next ${status.next}  (strongroom ${status.command})`;
}

/** When each scheduled job was last done: backups and drills from the archive, expire from the state directory. */
async function scheduleStatus(loaded: LoadedPgBackupConfig, archive: BackupArchive, now: Date): Promise<JobStatus[]> {
  const schedules = loaded.config.schedules;
  const verificationKeys = await loadVerificationKeysFor(loaded.config);
  const lastDone: Partial<Record<PgJob, Date | null>> = {};
  if (schedules.full || schedules.logical) {
    const listing = await listBackups(archive, verificationKeys);
    const newest = (kind: 'base' | 'logical'): Date | null => {
      const times = listing.backups.filter((b) => b.kind === kind).map((b) => new Date(b.startedAt).getTime());
      return times.length > 0 ? new Date(Math.max(...times)) : null;
    };
    lastDone.full = newest('base');
    lastDone.logical = newest('logical');
  }
  if (schedules.drill) {
    const drill = await lastDrill(archive, verificationKeys);
    lastDone.drill = drill ? new Date(String(drill.startedAt ?? drill.finishedAt)) : null;
  }
  if (schedules.expire) lastDone.expire = await lastExpire(pgStateDir(loaded.config, loaded.file));
  return jobStatuses(schedules, lastDone, now);
}

async function backupJob(loaded: LoadedPgBackupConfig, archive: BackupArchive, kind: 'base' | 'logical', progress: Progress) {
  const keys = await loadSealKeysFor(loaded.config);
  for (const warning of keys.warnings) progress.warn(warning);
  const result = await runBackup(loaded.config, archive, { kind, keys, progress });
  return { backup: result.manifest, manifestObject: result.manifestObject, warnings: keys.warnings };
}

async function drillJob(loaded: LoadedPgBackupConfig, archive: BackupArchive, options: { backupId?: string; target: 'latest' | 'immediate'; keep?: boolean; progress: Progress }) {
  const keys = await loadOpenKeysFor(loaded.config);
  const signingKey = loaded.config.keys.signingKey ? (await loadSealKeysFor(loaded.config).catch(() => undefined))?.signingKey : undefined;
  return runDrill(loaded.config, archive, { keys, ...(signingKey ? { signingKey } : {}), ...options });
}

function drillText(report: DrillReport): string {
  return [
    `drill ${report.id} of base backup ${report.backup}: ${report.ok ? 'OK' : 'FAILED'}; RTO ${report.rtoSeconds} s (total ${report.durationSeconds} s)`,
    `  restored ${report.restored.files} entries, ${mib(report.restored.bytes)}, ${report.restored.walSegments} WAL segments${report.restored.lastWal ? ` up to ${report.restored.lastWal}` : ''}; pg_verifybackup ${report.verifybackup}`,
    `  ${report.tables.checked} tables queried (${report.tables.rows} rows) in ${report.databases.length} databases`,
    ...report.findings.map((finding) => `  ${finding.severity}: ${finding.check}: ${finding.message}`),
  ].join('\n');
}

async function expireJob(loaded: LoadedPgBackupConfig, archive: BackupArchive, dryRun: boolean) {
  const verificationKeys = await loadVerificationKeysFor(loaded.config);
  const listing = await listBackups(archive, verificationKeys);
  if (listing.invalid.length > 0) throw new StrongroomError('PG_BACKUP_INTEGRITY', `refusing to expire while manifests fail verification: ${listing.invalid.map((i) => i.backup).join(', ')}`);
  const plan = await planExpire({ archive, backups: listing.backups, incomplete: listing.incomplete, policy: loaded.config.retention, now: new Date() });
  const removed = dryRun ? 0 : await applyExpire(archive, plan);
  return { dryRun, ...plan, removed };
}
