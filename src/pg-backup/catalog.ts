/**
 * What the archive holds: backups (from their signed manifests), WAL segments, timeline
 * histories, drill reports; WAL ranges, gaps and each backup's chain (`pg info`, `pg expire`,
 * `pg restore`). Only public keys are needed: manifests and histories are signed in clear.
 */
import { StrongroomError, messageOf } from '../common/errors.js';
import type { VerificationKey } from '../ryde/keys.js';
import { BackupArchive, MANIFEST_FORMAT, type BackupKind, type BackupManifest } from './archive.js';
import { readSigned } from './sealed.js';
import { followChain, parseHistory, parseLsn, segmentNumber, segmentOfLsn, timelineOf, walFileKind, walNameOfObject, walRanges, type ChainCheck, type HistoryEntry, type WalGap, type WalRange } from './wal.js';

export interface BackupListing {
  backups: BackupManifest[];
  /** Backups whose manifest is missing (interrupted) : kind/id. */
  incomplete: string[];
  /** Manifests that failed verification. */
  invalid: Array<{ backup: string; error: string }>;
}

export async function listBackups(archive: BackupArchive, verificationKeys: readonly VerificationKey[], kinds: readonly BackupKind[] = ['base', 'logical']): Promise<BackupListing> {
  const out: BackupListing = { backups: [], incomplete: [], invalid: [] };
  for (const kind of kinds) {
    const ids = new Map<string, Set<string>>();
    for await (const info of archive.list(`${kind}/`)) {
      const match = /^(base|logical)\/([^/]+)\/(.+)$/.exec(info.relative);
      if (!match) continue;
      let files = ids.get(match[2]!);
      if (!files) ids.set(match[2]!, (files = new Set()));
      files.add(match[3]!);
    }
    for (const [id, files] of [...ids].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!files.has('manifest.json') || !files.has('manifest.json.sig')) {
        out.incomplete.push(`${kind}/${id}`);
        continue;
      }
      const path = BackupArchive.manifestPath(kind, id);
      try {
        const { data } = await readSigned(archive.transport, archive.name(path), path, verificationKeys);
        const manifest = JSON.parse(data.toString('utf8')) as BackupManifest;
        if (manifest.format !== MANIFEST_FORMAT || manifest.id !== id || manifest.kind !== kind) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${path} does not describe ${kind} backup ${id}`);
        out.backups.push(manifest);
      } catch (err) {
        out.invalid.push({ backup: `${kind}/${id}`, error: messageOf(err) });
      }
    }
  }
  return out;
}

export interface WalListing {
  /** Complete segment objects (object and signature present), by WAL file name. */
  segments: Set<string>;
  /** Sealed sizes of the segments. */
  size: number;
  /** Other WAL files (history, backup labels, partial segments). */
  others: string[];
  /** Objects without their signature: interrupted pushes. */
  incomplete: string[];
  histories: Map<number, HistoryEntry[]>;
  /** Newest segment number per timeline. */
  newest: Map<number, bigint>;
}

export async function listWal(archive: BackupArchive, verificationKeys: readonly VerificationKey[], segmentSize: number): Promise<WalListing> {
  const objects = new Map<string, { size: number; signed: boolean; present: boolean }>();
  for await (const info of archive.list('wal/')) {
    const base = info.relative.endsWith('.sig') ? info.relative.slice(0, -4) : info.relative;
    const entry = objects.get(base) ?? { size: 0, signed: false, present: false };
    if (info.relative.endsWith('.sig')) entry.signed = true;
    else {
      entry.size = info.size;
      entry.present = true;
    }
    objects.set(base, entry);
  }
  const listing: WalListing = { segments: new Set(), size: 0, others: [], incomplete: [], histories: new Map(), newest: new Map() };
  for (const [relative, entry] of objects) {
    const wal = walNameOfObject(relative);
    if (!wal) continue;
    if (!entry.signed || !entry.present) {
      // An object without its signature (interrupted push), or a signature without its object.
      listing.incomplete.push(wal);
      continue;
    }
    const kind = walFileKind(wal);
    if (kind === 'segment') {
      listing.segments.add(wal);
      listing.size += entry.size;
      const tli = timelineOf(wal);
      const n = segmentNumber(wal, segmentSize);
      if ((listing.newest.get(tli) ?? -1n) < n) listing.newest.set(tli, n);
    } else {
      listing.others.push(wal);
      if (kind === 'history') {
        const { data } = await readSigned(archive.transport, archive.name(relative), relative, verificationKeys, 1 << 20);
        listing.histories.set(timelineOf(wal), parseHistory(data.toString('utf8')));
      }
    }
  }
  listing.others.sort();
  listing.incomplete.sort();
  return listing;
}

export function backupChain(manifest: BackupManifest, wal: WalListing): ChainCheck | null {
  if (manifest.kind !== 'base' || !manifest.start || !manifest.stop) return null;
  const size = manifest.server.walSegmentSize;
  return followChain(
    { timeline: manifest.start.timeline, segment: segmentOfLsn(parseLsn(manifest.start.lsn), size) },
    segmentNumber(manifest.stop.walFile, size),
    (name) => wal.segments.has(name),
    wal.newest,
    wal.histories,
    size,
  );
}

export interface DrillSummary {
  id: string;
  backup: string;
  ok: boolean;
  finishedAt: string;
  rtoSeconds: number;
}

export async function lastDrill(archive: BackupArchive, verificationKeys: readonly VerificationKey[]): Promise<(DrillSummary & Record<string, unknown>) | null> {
  let newest: string | undefined;
  for await (const info of archive.list('drills/')) {
    if (info.relative.endsWith('.json') && (!newest || info.relative > newest)) newest = info.relative;
  }
  if (!newest) return null;
  const { data } = await readSigned(archive.transport, archive.name(newest), newest, verificationKeys, 16 << 20);
  return JSON.parse(data.toString('utf8')) as DrillSummary & Record<string, unknown>;
}

export interface ArchiveInfo {
  cluster: string;
  destination: string;
  backups: Array<{
    id: string;
    kind: BackupKind;
    startedAt: string;
    finishedAt: string;
    size: number;
    plaintextSize: number;
    files: number;
    server: string;
    start?: BackupManifest['start'];
    stop?: BackupManifest['stop'];
    chain: ChainCheck | null;
  }>;
  incompleteBackups: string[];
  invalidBackups: Array<{ backup: string; error: string }>;
  wal: { segments: number; size: number; ranges: WalRange[]; gaps: WalGap[]; others: string[]; incomplete: string[] };
  lastDrill: (DrillSummary & Record<string, unknown>) | null;
}

export async function archiveInfo(archive: BackupArchive, verificationKeys: readonly VerificationKey[], defaultSegmentSize = 16 << 20): Promise<ArchiveInfo> {
  const listing = await listBackups(archive, verificationKeys);
  const segmentSize = listing.backups.find((b) => b.kind === 'base')?.server.walSegmentSize ?? defaultSegmentSize;
  const wal = await listWal(archive, verificationKeys, segmentSize);
  const { ranges, gaps } = walRanges(wal.segments, segmentSize);
  return {
    cluster: archive.cluster,
    destination: archive.transport.description,
    backups: listing.backups.map((manifest) => ({
      id: manifest.id,
      kind: manifest.kind,
      startedAt: manifest.startedAt,
      finishedAt: manifest.finishedAt,
      size: manifest.archive.size,
      plaintextSize: manifest.archive.plaintextSize,
      files: manifest.files.length,
      server: manifest.server.version,
      ...(manifest.start ? { start: manifest.start } : {}),
      ...(manifest.stop ? { stop: manifest.stop } : {}),
      chain: backupChain(manifest, wal),
    })),
    incompleteBackups: listing.incomplete,
    invalidBackups: listing.invalid,
    wal: { segments: wal.segments.size, size: wal.size, ranges, gaps, others: wal.others, incomplete: wal.incomplete },
    lastDrill: await lastDrill(archive, verificationKeys),
  };
}
