/**
 * `strongroom pg drill`: prove a backup restores, and measure how long it takes (RTO).
 *
 *  1. restore the backup into a scratch directory (verify, decrypt, unpack, check every file
 *     against the signed manifest: restore.ts);
 *  2. run pg_verifybackup on it (PostgreSQL's own backup_manifest, with WAL parsing);
 *  3. fetch the WAL chain the drill replays (verified and decrypted by us into a private
 *     staging directory; the temporary server copies from there, so it never needs our keys);
 *  4. start a temporary PostgreSQL as the postgres user on a free loopback port, with its own
 *     pg_hba.conf (Unix socket in the private scratch directory only; TCP rejected) and
 *     archive_mode=off (a drill must never push WAL into the archive), and wait until
 *     recovery ends;
 *  5. checks: object counts per database against the manifest (errors when the drill stops
 *     at the backup's consistency point; warnings when later WAL was replayed, since DDL may
 *     have happened since), and a count(*) on every table of every database;
 *  6. stop the server, remove the scratch directory, store the signed report in the archive.
 *
 * RTO = from the start of the drill until the restored server accepts queries with recovery
 * finished (steps 1–4).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { StrongroomError, messageOf } from '../common/errors.js';
import { type Progress, progressOrNoop } from '../common/progress.js';
import { quoteIdent } from '../db/adapter.js';
import type { SigningKey } from '../ryde/keys.js';
import { BackupArchive, backupId, type DatabaseObjects } from './archive.js';
import { databaseObjects, withClient } from './backup.js';
import { backupChain, listWal } from './catalog.js';
import type { PgBackupConfig } from './config.js';
import { runProgram } from './process.js';
import { chooseBackup, configureRecovery, recoverySettings, unpackBackup } from './restore.js';
import { putSigned, type OpenKeys } from './sealed.js';
import { chownTree, freePort, serverUser, startServer, type ServerHandle } from './server.js';
import { onAbort, removeOnAbort } from '../common/exit-cleanup.js';
import { walFetch } from './wal-archive.js';
import { segmentName, segmentNumber } from './wal.js';

export interface DrillFinding {
  severity: 'error' | 'warning';
  check: string;
  message: string;
}

export interface DrillReport {
  id: string;
  backup: string;
  cluster: string;
  target: 'latest' | 'immediate';
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  rtoSeconds: number;
  durationSeconds: number;
  steps: Record<string, number>;
  restored: { files: number; bytes: number; walSegments: number; lastWal: string | null };
  verifybackup: 'passed' | 'failed' | 'skipped';
  tables: { checked: number; rows: number };
  databases: DatabaseObjects[];
  findings: DrillFinding[];
  port: number;
}

export interface DrillOptions {
  keys: OpenKeys;
  signingKey?: SigningKey;
  backupId?: string;
  target?: 'latest' | 'immediate';
  progress?: Progress;
  /** Keep the scratch directory (for inspection) instead of removing it. */
  keep?: boolean;
}

function seconds(ms: number): number {
  return Math.round(ms) / 1000;
}

async function waitForRecoveryEnd(connect: () => pg.Client, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const inRecovery = await withClient(connect(), async (client) => (await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]!.r);
    if (!inRecovery) return;
    if (Date.now() > deadline) throw new StrongroomError('PG_DRILL_FAILED', 'the restored server did not finish recovery in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function runDrill(config: PgBackupConfig, archive: BackupArchive, options: DrillOptions): Promise<DrillReport> {
  const progress = progressOrNoop(options.progress);
  const started = Date.now();
  const startedAt = new Date(started);
  const target = options.target ?? 'latest';
  const findings: DrillFinding[] = [];
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    progress.note(`drill: ${name}`);
    try {
      return await run();
    } finally {
      steps[name] = seconds(Date.now() - t0);
    }
  };
  const manifest = await chooseBackup(archive, options.keys, options.backupId, undefined);
  const user = serverUser();
  const scratchRoot = config.scratchDir ?? tmpdir();
  await mkdir(scratchRoot, { recursive: true });
  const scratch = await mkdtemp(join(scratchRoot, 'strongroom-drill-'));
  // On a signal: stop the temporary server (immediate) and remove the plaintext cluster.
  const releaseScratch = options.keep ? () => undefined : removeOnAbort(scratch);
  let releaseServer = (): void => undefined;
  const dataDir = join(scratch, 'data');
  const walDir = join(scratch, 'wal');
  const socketDir = join(scratch, 'run');
  let server: ServerHandle | undefined;
  let report: DrillReport | undefined;
  try {
    await mkdir(dataDir, { mode: 0o700 });
    await mkdir(walDir, { mode: 0o700 });
    await mkdir(socketDir, { mode: 0o700 });
    const unpacked = await step('restore', () => unpackBackup(archive, manifest, dataDir, options.keys, undefined, progress));

    let verifybackup: DrillReport['verifybackup'] = 'skipped';
    await step('pg_verifybackup', async () => {
      try {
        await runProgram(`${config.binDir}/pg_verifybackup`, ['-q', dataDir]);
        verifybackup = 'passed';
      } catch (err) {
        verifybackup = 'failed';
        findings.push({ severity: 'error', check: 'pg_verifybackup', message: messageOf(err) });
      }
    });

    let walSegments = 0;
    let lastWal: string | null = null;
    await step('fetch WAL', async () => {
      const wal = await listWal(archive, options.keys.verificationKeys, manifest.server.walSegmentSize);
      for (const other of wal.others) {
        if (other.endsWith('.history')) await walFetch(archive, other, join(walDir, other), options.keys);
      }
      if (target === 'immediate') return;
      const chain = backupChain(manifest, wal);
      if (!chain) return;
      if (!chain.complete) findings.push({ severity: 'warning', check: 'wal chain', message: `the WAL chain stops before ${chain.missing}: the drill replays up to ${chain.lastSegment ?? 'the backup end'}` });
      // Fetch the chain: every segment from the backup's start along its timelines.
      const size = manifest.server.walSegmentSize;
      let segNo = segmentNumber(manifest.start!.walFile, size);
      const lastNo = chain.lastSegment ? segmentNumber(chain.lastSegment, size) : segNo - 1n;
      for (; segNo <= lastNo; segNo++) {
        for (const tli of chain.timelines) {
          const candidate = segmentName(tli, segNo, size);
          if (!wal.segments.has(candidate)) continue;
          await walFetch(archive, candidate, join(walDir, candidate), options.keys);
          walSegments++;
          lastWal = candidate;
        }
      }
    });

    const port = await freePort();
    const rto = await step('start and recover', async () => {
      const hba = join(scratch, 'pg_hba.conf');
      await writeFile(hba, 'local all all trust\nhost all all 0.0.0.0/0 reject\nhost all all ::/0 reject\n', { mode: 0o600 });
      await configureRecovery(dataDir, recoverySettings({ target, targetAction: 'promote', restoreCommand: `cp ${join(walDir, '%f')} %p` }), undefined);
      // Settings that could make a drill touch anything outside: off.
      await rm(join(dataDir, 'postmaster.pid'), { force: true });
      await chownTree(scratch, user);
      // Registered before the start: a signal during pg_ctl start must stop the server too.
      releaseServer = onAbort(() => {
        spawnSync(`${config.binDir}/pg_ctl`, ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], { stdio: 'ignore', ...(user ? { uid: user.uid, gid: user.gid } : {}), cwd: '/' });
      });
      server = await startServer({
        binDir: config.binDir,
        dataDir,
        socketDir,
        logFile: join(scratch, 'server.log'),
        port,
        user,
        settings: { archive_mode: 'off', hba_file: hba },
      });
      await waitForRecoveryEnd(() => new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres' }), 3_600_000);
      return Date.now() - started;
    });

    const connect = (database: string): pg.Client => new pg.Client({ host: socketDir, port, user: 'postgres', database });
    const restoredObjects = await step('object counts', () => databaseObjects(connect, 'postgres'));
    for (const expected of manifest.databases) {
      const found = restoredObjects.find((db) => db.name === expected.name);
      const severity = target === 'immediate' ? 'error' : 'warning';
      if (!found) {
        findings.push({ severity, check: 'object counts', message: `database ${expected.name} is missing` });
        continue;
      }
      for (const kind of new Set([...Object.keys(expected.objects), ...Object.keys(found.objects)])) {
        const want = expected.objects[kind] ?? 0;
        const got = found.objects[kind] ?? 0;
        if (want !== got) findings.push({ severity, check: 'object counts', message: `${expected.name}: ${got} ${kind}, the manifest says ${want}` });
      }
    }
    const tables = { checked: 0, rows: 0 };
    await step('query every table', async () => {
      for (const db of restoredObjects) {
        await withClient(connect(db.name), async (client) => {
          const list = await client.query<{ schema: string; name: string }>(
            `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%'
                AND c.relpersistence = 'p' AND (c.relkind <> 'm' OR c.relispopulated) ORDER BY 1, 2`,
          );
          for (const table of list.rows) {
            try {
              const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${quoteIdent(table.schema)}.${quoteIdent(table.name)}`);
              tables.checked++;
              tables.rows += Number(result.rows[0]!.n);
            } catch (err) {
              findings.push({ severity: 'error', check: 'table query', message: `${db.name}.${table.schema}.${table.name}: ${messageOf(err)}` });
            }
          }
        });
      }
    });
    await step('stop', async () => {
      await server!.stop();
      server = undefined;
    });
    const finished = Date.now();
    report = {
      id: backupId(startedAt),
      backup: manifest.id,
      cluster: config.cluster,
      target,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(finished).toISOString(),
      ok: !findings.some((finding) => finding.severity === 'error'),
      rtoSeconds: seconds(rto),
      durationSeconds: seconds(finished - started),
      steps,
      restored: { files: unpacked.files, bytes: unpacked.bytes, walSegments, lastWal },
      verifybackup,
      tables,
      databases: restoredObjects,
      findings,
      port,
    };
  } finally {
    if (server) await (server as ServerHandle).stop().catch(() => undefined);
    releaseServer();
    if (!options.keep) await rm(scratch, { recursive: true, force: true });
    releaseScratch();
  }
  if (options.signingKey) {
    const path = `drills/${report.id}.json`;
    await putSigned(archive.transport, archive.name(path), path, Buffer.from(`${JSON.stringify(report, null, 1)}\n`), options.signingKey, { overwrite: true });
  }
  return report;
}
