/**
 * `strongroom pg backup`: a file-system-level base backup of the whole cluster, or a logical
 * one (pg_dumpall), streamed into one sealed object plus a signed manifest.
 *
 * Base backup pipeline (one pass, nothing plaintext on disk):
 *
 *     pg_basebackup -D - -Ft -X fetch -c fast     one tar on stdout, with the WAL needed for
 *                                                 consistency in pg_wal/ and PostgreSQL's own
 *                                                 backup_manifest appended (PG ≥ 13)
 *       → tar observer    per file: size, SHA-256; captures backup_label and backup_manifest
 *                         (start LSN, timeline, start time; end LSN from WAL-Ranges)
 *       → zstd -T0 → OpenPGP literal → encryption → the transport's atomic put   (sealed.ts)
 *     then the manifest (files, sizes, SHA-256, server version, system identifier, start/stop
 *     LSN, timeline, object counts per database) is signed and stored last.
 *
 * Limits: pg_basebackup can write only one tablespace to stdout, so clusters with extra
 * tablespaces are refused by it (PG_TOOL_FAILED with its message). `-X fetch` needs the WAL
 * written during the backup to still be on the server at its end: keep `wal_keep_size` above
 * the WAL written during a backup (or rely on the archive: PITR needs it anyway).
 */
import pg from 'pg';
import { createHash, type Hash } from 'node:crypto';
import { StrongroomError, messageOf } from '../common/errors.js';
import { type Progress, progressOrNoop } from '../common/progress.js';
import { BackupArchive, MANIFEST_FORMAT, backupId, type BackupKind, type BackupManifest, type DatabaseObjects, type ManifestFile } from './archive.js';
import type { PgBackupConfig } from './config.js';
import { programOutput } from './process.js';
import { putSealed, putSigned, type SealKeys } from './sealed.js';
import { TarScanner, normalizeEntryName, type TarEvent } from './tar-scan.js';
import { segmentName, segmentOfLsn, parseLsn } from './wal.js';

const CAPTURE_LIMIT = 256 << 20;

export interface ServerInfo {
  version: string;
  versionNum: number;
  systemIdentifier: string;
  walSegmentSize: number;
  dataChecksums: boolean;
}

export function clientFor(config: PgBackupConfig, database?: string, port?: number, host?: string): pg.Client {
  return new pg.Client({ host: host ?? config.connection.host, port: port ?? config.connection.port, user: config.connection.user, database: database ?? config.connection.database });
}

export async function withClient<T>(client: pg.Client, use: (client: pg.Client) => Promise<T>): Promise<T> {
  try {
    await client.connect();
  } catch (err) {
    throw new StrongroomError('DB_CONNECT_FAILED', `cannot connect to PostgreSQL: ${messageOf(err)}`, { cause: err });
  }
  try {
    return await use(client);
  } catch (err) {
    if (err instanceof StrongroomError) throw err;
    throw new StrongroomError('DB_QUERY_FAILED', `query failed: ${messageOf(err)}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function serverInfo(client: pg.Client): Promise<ServerInfo> {
  const row = (
    await client.query<{ version: string; num: string; sysid: string; seg: string; checksums: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num,
              (SELECT system_identifier::text FROM pg_control_system()) AS sysid,
              current_setting('wal_segment_size') AS seg, current_setting('data_checksums') AS checksums`,
    )
  ).rows[0]!;
  const seg = /^(\d+)(kB|MB|GB)?$/.exec(row.seg);
  const unit = seg?.[2] === 'GB' ? 1 << 30 : seg?.[2] === 'MB' ? 1 << 20 : seg?.[2] === 'kB' ? 1 << 10 : 1;
  return { version: row.version, versionNum: Number(row.num), systemIdentifier: row.sysid, walSegmentSize: Number(seg?.[1] ?? 16) * unit, dataChecksums: row.checksums === 'on' };
}

const OBJECTS_SQL = `
  SELECT kind, count(*)::int AS n FROM (
    SELECT CASE c.relkind WHEN 'r' THEN 'tables' WHEN 'p' THEN 'partitioned tables' WHEN 'i' THEN 'indexes' WHEN 'I' THEN 'partitioned indexes'
             WHEN 'S' THEN 'sequences' WHEN 'v' THEN 'views' WHEN 'm' THEN 'materialized views' WHEN 'f' THEN 'foreign tables' ELSE 'other' END AS kind
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'
       AND c.relkind <> 't' AND c.relpersistence <> 't'
    UNION ALL
    SELECT 'functions' FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
  ) o GROUP BY kind ORDER BY kind`;

/** Object counts per connectable database (what a drill compares the restored cluster to). */
export async function databaseObjects(connect: (database: string) => pg.Client, adminDatabase: string): Promise<DatabaseObjects[]> {
  const names = await withClient(connect(adminDatabase), async (client) => (await client.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname')).rows.map((row) => row.datname));
  const out: DatabaseObjects[] = [];
  for (const name of names) {
    const rows = await withClient(connect(name), async (client) => (await client.query<{ kind: string; n: number }>(OBJECTS_SQL)).rows);
    out.push({ name, objects: Object.fromEntries(rows.map((row) => [row.kind, row.n])) });
  }
  return out;
}

interface TarObservation {
  files: ManifestFile[];
  captured: Map<string, Buffer>;
}

/** Pass bytes through while recording every tar entry's size and SHA-256. */
async function* observeTar(source: AsyncIterable<Buffer>, observation: TarObservation, capture: ReadonlySet<string>): AsyncGenerator<Buffer> {
  const scanner = new TarScanner('pg_basebackup output');
  let current: { file: ManifestFile; hash?: Hash; captured?: Buffer[]; capturedSize: number } | undefined;
  const handle = (event: TarEvent): void => {
    if (event.kind === 'entry') {
      const { header } = event;
      const type = header.type === '5' ? 'dir' : header.type === '2' ? 'symlink' : header.type === '0' || header.type === '7' ? 'file' : null;
      if (type === null) throw new StrongroomError('PG_TAR_INVALID', `unexpected tar entry type '${header.type}' for ${header.name}`, { location: header.name });
      const file: ManifestFile = { path: normalizeEntryName(header.name), type, size: type === 'file' ? header.size : 0, ...(type === 'symlink' ? { linkTarget: header.linkName } : {}) };
      current = { file, ...(type === 'file' ? { hash: createHash('sha256') } : {}), ...(capture.has(file.path) ? { captured: [] } : {}), capturedSize: 0 };
    } else if (event.kind === 'data') {
      current!.hash!.update(event.data);
      if (current!.captured && current!.capturedSize < CAPTURE_LIMIT) {
        current!.captured.push(Buffer.from(event.data));
        current!.capturedSize += event.data.length;
      }
    } else if (event.kind === 'entry-end') {
      const done = current!;
      if (done.hash) done.file.sha256 = done.hash.digest('hex');
      if (done.captured) observation.captured.set(done.file.path, Buffer.concat(done.captured));
      observation.files.push(done.file);
      current = undefined;
    }
  };
  for await (const chunk of source) {
    for (const event of scanner.push(chunk)) handle(event);
    yield chunk;
  }
  scanner.finish();
}

function labelField(label: string, field: string): string {
  const match = new RegExp(`^${field}: (.*)$`, 'm').exec(label);
  if (!match) throw new StrongroomError('PG_BACKUP_INTEGRITY', `backup_label has no ${field}`);
  return match[1]!.trim();
}

export interface BackupOptions {
  kind: BackupKind;
  keys: SealKeys;
  progress?: Progress;
  now?: () => Date;
}

export interface BackupResult {
  manifest: BackupManifest;
  manifestObject: string;
}

/** Run one backup (base or logical) of the configured cluster into the archive. */
export async function runBackup(config: PgBackupConfig, archive: BackupArchive, options: BackupOptions): Promise<BackupResult> {
  const progress = progressOrNoop(options.progress);
  const now = options.now ?? (() => new Date());
  const started = now();
  const id = backupId(started);
  const kind = options.kind;
  const label = `strongroom ${config.cluster} ${kind} ${id}`;
  const server = await withClient(clientFor(config), serverInfo);
  const dataPath = BackupArchive.dataPath(kind, id);
  if (await archive.transport.stat(archive.name(BackupArchive.manifestPath(kind, id)))) {
    throw new StrongroomError('TRANSPORT_EXISTS', `backup ${kind}/${id} already exists`, { location: archive.name(dataPath) });
  }
  const connection = ['-h', config.connection.host, '-p', String(config.connection.port), '-U', config.connection.user, '-w'];
  const task = progress.task(`${kind} backup ${id}`, 'bytes');
  const observation: TarObservation = { files: [], captured: new Map() };
  let source: AsyncIterable<Buffer>;
  if (kind === 'base') {
    const args = [...connection, '-D', '-', '-F', 't', '-X', 'fetch', '-c', 'fast', '-l', label];
    source = observeTar(programOutput(`${config.binDir}/pg_basebackup`, args), observation, new Set(['backup_label', 'backup_manifest']));
  } else {
    source = programOutput(`${config.binDir}/pg_dumpall`, [...connection, '-l', config.connection.database]);
  }
  const sealed = await putSealed(archive.transport, archive.name(dataPath), dataPath, source, options.keys, { compressionLevel: config.compressionLevel, onPlainBytes: (n) => task.add(n), ...(config.spoolDir ? { spoolDir: config.spoolDir } : {}) });
  task.done();
  const finished = now();

  let start: BackupManifest['start'];
  let stop: BackupManifest['stop'];
  if (kind === 'base') {
    const backupLabel = observation.captured.get('backup_label')?.toString('utf8');
    const pgManifest = observation.captured.get('backup_manifest')?.toString('utf8');
    if (!backupLabel || !pgManifest) {
      await archive.transport.remove(archive.name(dataPath)).catch(() => undefined);
      throw new StrongroomError('PG_BACKUP_INTEGRITY', 'the base backup has no backup_label or backup_manifest (PostgreSQL ≥ 13 with manifests is needed)');
    }
    const startLocation = /^(\S+) \(file ([0-9A-F]{24})\)$/.exec(labelField(backupLabel, 'START WAL LOCATION'));
    if (!startLocation) throw new StrongroomError('PG_BACKUP_INTEGRITY', 'backup_label: unreadable START WAL LOCATION');
    const timeline = Number(labelField(backupLabel, 'START TIMELINE'));
    const ranges = (JSON.parse(pgManifest) as { 'WAL-Ranges'?: Array<{ Timeline: number; 'Start-LSN': string; 'End-LSN': string }> })['WAL-Ranges'] ?? [];
    const last = ranges[ranges.length - 1];
    if (!last) throw new StrongroomError('PG_BACKUP_INTEGRITY', 'backup_manifest has no WAL-Ranges');
    const endLsn = parseLsn(last['End-LSN']);
    start = { lsn: startLocation[1]!, timeline, walFile: startLocation[2]!, time: labelField(backupLabel, 'START TIME') };
    // The end LSN points just past the last record: its segment is the last one needed.
    stop = { lsn: last['End-LSN'], timeline: last.Timeline, walFile: segmentName(last.Timeline, segmentOfLsn(endLsn - 1n, server.walSegmentSize), server.walSegmentSize) };
  }
  const databases = await databaseObjects((database) => clientFor(config, database), config.connection.database);
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    id,
    kind,
    cluster: config.cluster,
    label,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    server,
    ...(start ? { start } : {}),
    ...(stop ? { stop } : {}),
    archive: {
      object: dataPath,
      size: sealed.size,
      sha256: sealed.sha256,
      plaintextSize: sealed.plaintextSize,
      plaintextSha256: sealed.plaintextSha256,
      compression: 'zstd',
      profile: options.keys.profile.name,
      signer: options.keys.signingKey.fingerprint,
      recipients: options.keys.recipients.map((recipient) => recipient.fingerprint),
    },
    files: observation.files,
    databases,
  };
  const manifestPath = BackupArchive.manifestPath(kind, id);
  await putSigned(archive.transport, archive.name(manifestPath), manifestPath, Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`), options.keys.signingKey);
  return { manifest, manifestObject: archive.name(manifestPath) };
}
