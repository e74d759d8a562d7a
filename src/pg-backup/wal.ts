/**
 * WAL file names, LSN arithmetic, the archive layout of WAL objects, and gap detection.
 *
 * PostgreSQL names a WAL segment TTTTTTTTXXXXXXXXYYYYYYYY: timeline, then the segment number
 * split in "log id" (high) and segment within it (low), with 2^32 / segment size segments per
 * log id (src/include/access/xlog_internal.h, XLogFileName). Timeline history files are
 * TTTTTTTT.history, backup history files TTTTTTTTXXXXXXXXYYYYYYYY.OOOOOOOO.backup, and a
 * promoted standby archives its last partial segment as <segment>.partial.
 */
import { StrongroomError } from '../common/errors.js';

export const SEGMENT_RE = /^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$/;
const HISTORY_RE = /^([0-9A-F]{8})\.history$/;
const BACKUP_FILE_RE = /^[0-9A-F]{24}\.[0-9A-F]{8}\.backup$/;
const PARTIAL_RE = /^[0-9A-F]{24}\.partial$/;

export type WalFileKind = 'segment' | 'history' | 'backup' | 'partial';

export function walFileKind(name: string): WalFileKind {
  if (SEGMENT_RE.test(name)) return 'segment';
  if (HISTORY_RE.test(name)) return 'history';
  if (BACKUP_FILE_RE.test(name)) return 'backup';
  if (PARTIAL_RE.test(name)) return 'partial';
  throw new StrongroomError('PG_WAL_NAME_INVALID', `"${name}" is not a WAL file name`, { location: name });
}

/** Segments, sealed (zstd + OpenPGP); the small text files (history, backup labels) are signed in clear. */
export function walObjectName(name: string): string {
  const kind = walFileKind(name);
  if (kind === 'segment' || kind === 'partial') return `wal/${name.slice(0, 16)}/${name}.pgp`;
  return `wal/meta/${name}`;
}

export function isSealedWal(name: string): boolean {
  const kind = walFileKind(name);
  return kind === 'segment' || kind === 'partial';
}

/** The WAL file name an archive object holds, or null for other objects. */
export function walNameOfObject(objectName: string): string | null {
  const match = /^wal\/(?:[0-9A-F]{16}\/([0-9A-F]{24}(?:\.partial)?)\.pgp|meta\/([0-9A-F.a-z]+))$/.exec(objectName);
  if (!match) return null;
  return match[1] ?? match[2] ?? null;
}

export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text.trim());
  if (!match) throw new StrongroomError('PG_BACKUP_INTEGRITY', `"${text}" is not an LSN`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}

export function segmentsPerLogId(segmentSize: number): bigint {
  return 0x100000000n / BigInt(segmentSize);
}

export function segmentNumber(name: string, segmentSize: number): bigint {
  const match = SEGMENT_RE.exec(name.slice(0, 24));
  if (!match) throw new StrongroomError('PG_WAL_NAME_INVALID', `"${name}" is not a WAL segment name`);
  return BigInt(`0x${match[2]}`) * segmentsPerLogId(segmentSize) + BigInt(`0x${match[3]}`);
}

export function timelineOf(name: string): number {
  return parseInt(name.slice(0, 8), 16);
}

export function segmentName(timeline: number, segNo: bigint, segmentSize: number): string {
  const per = segmentsPerLogId(segmentSize);
  const hex = (value: bigint | number): string => value.toString(16).toUpperCase().padStart(8, '0');
  return `${hex(timeline)}${hex(segNo / per)}${hex(segNo % per)}`;
}

/** The segment holding `lsn`. */
export function segmentOfLsn(lsn: bigint, segmentSize: number): bigint {
  return lsn / BigInt(segmentSize);
}

/** One line of a timeline history file: this timeline's parent and where it branched off. */
export interface HistoryEntry {
  parent: number;
  /** First LSN not on the parent any more. */
  switchpoint: bigint;
}

export function parseHistory(text: string): HistoryEntry[] {
  const out: HistoryEntry[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [parent, switchpoint] = trimmed.split(/\s+/);
    if (!parent || !switchpoint || !/^\d+$/.test(parent)) throw new StrongroomError('PG_WAL_NAME_INVALID', `malformed timeline history line "${trimmed}"`);
    out.push({ parent: Number(parent), switchpoint: parseLsn(switchpoint) });
  }
  return out;
}

export interface WalRange {
  timeline: number;
  first: string;
  last: string;
  segments: number;
}

export interface WalGap {
  timeline: number;
  /** First and last missing segment. */
  from: string;
  to: string;
}

/**
 * Contiguous ranges per timeline and the holes between them, from a sorted-or-not stream of
 * segment names. Memory: one entry per range, not per segment.
 */
export function walRanges(segments: Iterable<string>, segmentSize: number): { ranges: WalRange[]; gaps: WalGap[] } {
  const byTimeline = new Map<number, bigint[]>();
  for (const name of segments) {
    const tli = timelineOf(name);
    let list = byTimeline.get(tli);
    if (!list) byTimeline.set(tli, (list = []));
    list.push(segmentNumber(name, segmentSize));
  }
  const ranges: WalRange[] = [];
  const gaps: WalGap[] = [];
  for (const tli of [...byTimeline.keys()].sort((a, b) => a - b)) {
    const numbers = byTimeline.get(tli)!.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let start = numbers[0]!;
    let previous = start;
    const close = (end: bigint): void => {
      ranges.push({ timeline: tli, first: segmentName(tli, start, segmentSize), last: segmentName(tli, end, segmentSize), segments: Number(end - start + 1n) });
    };
    for (const n of numbers.slice(1)) {
      if (n === previous) continue;
      if (n !== previous + 1n) {
        close(previous);
        gaps.push({ timeline: tli, from: segmentName(tli, previous + 1n, segmentSize), to: segmentName(tli, n - 1n, segmentSize) });
        start = n;
      }
      previous = n;
    }
    close(previous);
  }
  return { ranges, gaps };
}

export interface ChainCheck {
  /** The segments the chain needs were all found, from the backup's start to `lastSegment`. */
  complete: boolean;
  /** Last segment reachable without a hole (the chain's end: point-in-time recovery stops there). */
  lastSegment: string | null;
  /** First missing segment when a hole stops the chain before the newest archived WAL. */
  missing: string | null;
  timelines: number[];
}

/**
 * Follow a backup's WAL chain: from its start segment on its timeline, through every later
 * timeline that branched off it (per the history files), up to the newest archived segment.
 * Reports the first hole. `has(name)` says whether a segment is archived.
 */
export function followChain(start: { timeline: number; segment: bigint }, stop: bigint, has: (name: string) => boolean, newest: Map<number, bigint>, histories: Map<number, HistoryEntry[]>, segmentSize: number): ChainCheck {
  // The newest timeline descending from the backup's timeline.
  let target = start.timeline;
  for (const [tli, history] of histories) {
    if (tli > target && history.some((entry) => entry.parent === start.timeline)) target = tli;
  }
  const path: Array<{ timeline: number; until: bigint | null }> = [];
  if (target === start.timeline) path.push({ timeline: start.timeline, until: null });
  else {
    const history = histories.get(target)!;
    const from = history.findIndex((entry) => entry.parent === start.timeline);
    for (let i = from; i < history.length; i++) {
      path.push({ timeline: history[i]!.parent, until: segmentOfLsn(history[i]!.switchpoint, segmentSize) - 1n });
    }
    path.push({ timeline: target, until: null });
  }
  let segNo = start.segment;
  let last: string | null = null;
  for (let i = 0; i < path.length; i++) {
    const { timeline, until } = path[i]!;
    const end = until ?? newest.get(timeline) ?? segNo - 1n;
    for (; segNo <= end; segNo++) {
      const name = segmentName(timeline, segNo, segmentSize);
      if (!has(name)) {
        return { complete: false, lastSegment: last, missing: name, timelines: path.map((p) => p.timeline) };
      }
      last = name;
    }
    if (i + 1 < path.length) segNo = until! + 1n;
  }
  // The backup's own WAL (start..stop) must be reachable even when nothing newer was archived.
  if (segNo <= stop) return { complete: false, lastSegment: last, missing: segmentName(start.timeline, segNo, segmentSize), timelines: path.map((p) => p.timeline) };
  return { complete: true, lastSegment: last, missing: null, timelines: path.map((p) => p.timeline) };
}
