/**
 * The backup archive of one cluster at a destination: object layout, manifests, listing.
 *
 *     <cluster>/base/<id>/base.tar.pgp        (+ .sig)  pg_basebackup tar, zstd, sealed
 *     <cluster>/base/<id>/manifest.json       (+ .sig)  signed in clear; written last
 *     <cluster>/logical/<id>/dumpall.sql.pgp  (+ .sig)  pg_dumpall, zstd, sealed
 *     <cluster>/logical/<id>/manifest.json    (+ .sig)
 *     <cluster>/wal/<TLI+log id>/<segment>.pgp (+ .sig) WAL segments, sealed
 *     <cluster>/wal/meta/<name>               (+ .sig)  history and backup-label files, signed
 *     <cluster>/drills/<id>.json              (+ .sig)  drill reports, signed
 *
 * A backup exists once its manifest and the manifest's signature are stored; anything else
 * under base/<id>/ without them is an interrupted backup (shown by `pg info`, removed by
 * `pg expire`).
 */
import { readFileSync } from 'node:fs';
import { StrongroomError, messageOf } from '../common/errors.js';
import { DirectoryTransport } from '../transports/directory.js';
import { retrying } from '../transports/retry.js';
import { SftpTransport } from '../transports/sftp.js';
import type { ObjectInfo, Transport } from '../transports/transport.js';
import type { PgBackupConfig } from './config.js';

export const MANIFEST_FORMAT = 'strongroom-pg-backup/1';

export type BackupKind = 'base' | 'logical';

export interface ManifestFile {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  sha256?: string;
  linkTarget?: string;
}

export interface DatabaseObjects {
  name: string;
  /** Relations by kind (tables, indexes, sequences, views, materialized views, …) and functions. */
  objects: Record<string, number>;
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  id: string;
  kind: BackupKind;
  cluster: string;
  label: string;
  startedAt: string;
  finishedAt: string;
  server: { version: string; versionNum: number; systemIdentifier: string; walSegmentSize: number; dataChecksums: boolean };
  /** Base backups: WAL position and timeline at start and stop (backup_label, backup_manifest). */
  start?: { lsn: string; timeline: number; walFile: string; time: string };
  stop?: { lsn: string; timeline: number; walFile: string };
  archive: {
    object: string;
    size: number;
    sha256: string;
    plaintextSize: number;
    plaintextSha256: string;
    compression: 'zstd';
    profile: string;
    signer: string;
    recipients: string[];
  };
  files: ManifestFile[];
  databases: DatabaseObjects[];
}

export class BackupArchive {
  constructor(
    readonly transport: Transport,
    readonly cluster: string,
  ) {}

  /** Full object name of a path relative to the cluster. */
  name(relative: string): string {
    return `${this.cluster}/${relative}`;
  }

  async *list(relativePrefix: string): AsyncIterable<ObjectInfo & { relative: string }> {
    const prefix = this.name(relativePrefix);
    for await (const info of this.transport.list(prefix)) yield { ...info, relative: info.name.slice(this.cluster.length + 1) };
  }

  static manifestPath(kind: BackupKind, id: string): string {
    return `${kind}/${id}/manifest.json`;
  }

  static dataPath(kind: BackupKind, id: string): string {
    return kind === 'base' ? `base/${id}/base.tar.pgp` : `logical/${id}/dumpall.sql.pgp`;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}

function readConfigFile(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new StrongroomError('CONFIG_INVALID', `cannot read the ${what}: ${messageOf(err)}`, { location: path, cause: err });
  }
}

/**
 * The destination's transport: a directory, SFTP (pinned host key, key authentication), or a
 * destination of the project-wide configuration (directory, SFTP or S3), opened only when the
 * registry's consent to it is recorded (DESTINATION_NOT_CONSENTED otherwise).
 */
export async function openArchive(config: PgBackupConfig): Promise<BackupArchive> {
  const destination = config.destination;
  if (destination.kind === 'directory') return new BackupArchive(new DirectoryTransport(destination.path), config.cluster);
  if (destination.kind === 'configured') {
    // Loaded on demand: the S3 client is heavy, and wal-push starts once per WAL segment.
    const [{ loadConfig }, { openDestination }] = await Promise.all([import('../config/load.js'), import('../transports/destinations.js')]);
    const loaded = await loadConfig(destination.config!);
    const opened = await openDestination(loaded, destination.name, destination.registry ? { registry: destination.registry } : {});
    if (opened.config.purpose !== 'own-offsite') {
      await opened.transport.close().catch(() => undefined);
      throw new StrongroomError(
        'CONFIG_INVALID',
        `destination "${opened.name}" of registry ${opened.registry} is for ${opened.config.purpose}: PostgreSQL backups go only to own-offsite destinations`,
        { location: loaded.where(['registries', opened.registry, 'destinations', opened.name, 'purpose']) },
      );
    }
    return new BackupArchive(opened.transport, config.cluster);
  }
  const sftp = new SftpTransport({
    host: destination.host,
    port: destination.port,
    username: destination.username,
    privateKey: readConfigFile(destination.privateKeyFile, 'SSH private key'),
    hostKey: {
      ...(destination.knownHostsFile ? { knownHosts: readConfigFile(destination.knownHostsFile, 'known_hosts file').toString('utf8') } : {}),
      fingerprints: destination.hostKeyFingerprints,
    },
    root: destination.root,
    ...(config.spoolDir ? { spoolDir: config.spoolDir } : {}),
  });
  // Whole-operation retries for get/stat/list/remove; the put resumes by itself.
  return new BackupArchive(retrying(sftp), config.cluster);
}

/** Backup IDs sort by time: YYYYMMDDTHHMMSSZ. */
export function backupId(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

export function idTime(id: string): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(id);
  if (!match) throw new StrongroomError('PG_NO_BACKUP', `"${id}" is not a backup ID (YYYYMMDDTHHMMSSZ)`);
  return new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]), Number(match[5]), Number(match[6])));
}
