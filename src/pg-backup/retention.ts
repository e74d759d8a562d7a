/**
 * Retention (`strongroom pg expire [--dry-run]`): which backups and WAL segments may go.
 *
 * Backups are kept when ANY rule keeps them (the union, as restic's `forget`):
 *   keepLast N     the newest N;
 *   keepWithin D   every backup finished within D, plus the newest one finished before the
 *                  window (so every moment of the window stays recoverable: PITR to a time
 *                  needs a base backup from before it);
 *   keepHourly/Daily/Weekly/Monthly/Yearly N   grandfather-father-son: the newest backup of
 *                  each of the last N hours / days / ISO weeks / months / years that have one.
 * The newest backup is always kept; with no rule at all nothing is removed. Base and logical
 * backups are counted separately.
 *
 * Chains: WAL is removed only below the start segment of the oldest base backup that is
 * kept, so every kept base backup keeps its whole chain to the newest WAL (PITR from it to
 * any later moment stays possible). Timeline history files are never removed. Interrupted
 * backups (no manifest) older than a day and older than the newest complete backup go too.
 */
import type { BackupArchive, BackupKind, BackupManifest } from './archive.js';
import { idTime } from './archive.js';
import { durationMs, type RetentionPolicy } from './config.js';
import { parseLsn, segmentNumber, segmentOfLsn, walFileKind, walNameOfObject } from './wal.js';

export interface RetentionDecision {
  id: string;
  kind: BackupKind;
  finishedAt: string;
  keep: boolean;
  reasons: string[];
}

function bucket(date: Date, unit: 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly'): string {
  const iso = date.toISOString();
  switch (unit) {
    case 'hourly':
      return iso.slice(0, 13);
    case 'daily':
      return iso.slice(0, 10);
    case 'monthly':
      return iso.slice(0, 7);
    case 'yearly':
      return iso.slice(0, 4);
    case 'weekly': {
      // ISO 8601 week: the Thursday of the date's week decides the year.
      const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
      const weekday = day.getUTCDay() || 7;
      day.setUTCDate(day.getUTCDate() + 4 - weekday);
      const yearStart = new Date(Date.UTC(day.getUTCFullYear(), 0, 1));
      const week = Math.ceil(((day.getTime() - yearStart.getTime()) / 86_400_000 + 1) / 7);
      return `${day.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
    }
  }
}

const GFS = [
  ['keepHourly', 'hourly'],
  ['keepDaily', 'daily'],
  ['keepWeekly', 'weekly'],
  ['keepMonthly', 'monthly'],
  ['keepYearly', 'yearly'],
] as const;

/** Decide per backup (one kind), newest first in the result. */
export function decideRetention(backups: ReadonlyArray<Pick<BackupManifest, 'id' | 'kind' | 'finishedAt'>>, policy: RetentionPolicy, now: Date): RetentionDecision[] {
  const sorted = [...backups].sort((a, b) => (a.finishedAt < b.finishedAt ? 1 : a.finishedAt > b.finishedAt ? -1 : a.id < b.id ? 1 : -1));
  const decisions = sorted.map((b) => ({ id: b.id, kind: b.kind, finishedAt: b.finishedAt, keep: false, reasons: [] as string[] }));
  const keep = (decision: RetentionDecision, reason: string): void => {
    decision.keep = true;
    decision.reasons.push(reason);
  };
  const anyRule = Object.values(policy).some((value) => value !== undefined);
  if (!anyRule) {
    for (const decision of decisions) keep(decision, 'no retention rule');
    return decisions;
  }
  if (decisions[0]) keep(decisions[0], 'newest');
  if (policy.keepLast) decisions.slice(0, policy.keepLast).forEach((decision, i) => keep(decision, `last ${i + 1}/${policy.keepLast}`));
  if (policy.keepWithin) {
    const since = now.getTime() - durationMs(policy.keepWithin);
    let before: RetentionDecision | undefined;
    for (const decision of decisions) {
      if (new Date(decision.finishedAt).getTime() >= since) keep(decision, `within ${policy.keepWithin}`);
      else if (!before) before = decision;
    }
    if (before) keep(before, `base of the ${policy.keepWithin} window`);
  }
  for (const [rule, unit] of GFS) {
    const count = policy[rule];
    if (!count) continue;
    let last: string | undefined;
    let kept = 0;
    for (const decision of decisions) {
      if (kept >= count) break;
      const key = bucket(new Date(decision.finishedAt), unit);
      if (key === last) continue;
      last = key;
      kept++;
      keep(decision, `${unit} ${key}`);
    }
  }
  return decisions;
}

export interface ExpirePlan {
  decisions: RetentionDecision[];
  /** Objects to remove (full names), signatures first. */
  removeObjects: string[];
  removeBackups: string[];
  removeIncomplete: string[];
  wal: { removeSegments: number; removeBytes: number; keepFrom: string | null };
}

export interface ExpireInput {
  archive: BackupArchive;
  backups: BackupManifest[];
  incomplete: string[];
  policy: RetentionPolicy;
  now: Date;
}

export async function planExpire(input: ExpireInput): Promise<ExpirePlan> {
  const { archive } = input;
  const decisions: RetentionDecision[] = [];
  for (const kind of ['base', 'logical'] as const) decisions.push(...decideRetention(input.backups.filter((b) => b.kind === kind), input.policy, input.now));
  const removeBackups = decisions.filter((d) => !d.keep).map((d) => `${d.kind}/${d.id}`);
  const newestComplete = input.backups.reduce<string | undefined>((max, b) => (!max || b.id > max ? b.id : max), undefined);
  const removeIncomplete = input.incomplete.filter((entry) => {
    const id = entry.split('/')[1]!;
    try {
      return newestComplete !== undefined && id < newestComplete && input.now.getTime() - idTime(id).getTime() > 86_400_000;
    } catch {
      return false;
    }
  });
  const removeObjects: string[] = [];
  for (const entry of [...removeBackups, ...removeIncomplete]) {
    const objects: string[] = [];
    for await (const info of archive.list(`${entry}/`)) objects.push(info.name);
    // Signatures of the manifest first: from then on the backup is "incomplete", never half-valid.
    objects.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : 1));
    removeObjects.push(...objects);
  }
  // WAL below the oldest kept base backup's start segment.
  const keptBase = input.backups.filter((b) => b.kind === 'base' && decisions.some((d) => d.kind === 'base' && d.id === b.id && d.keep) && b.start);
  let threshold: bigint | null = null;
  let keepFrom: string | null = null;
  let segmentSize = 0;
  for (const b of keptBase) {
    segmentSize = b.server.walSegmentSize;
    const n = segmentOfLsn(parseLsn(b.start!.lsn), segmentSize);
    if (threshold === null || n < threshold) {
      threshold = n;
      keepFrom = b.start!.walFile;
    }
  }
  let removeSegments = 0;
  let removeBytes = 0;
  if (threshold !== null) {
    const walObjects: Array<{ name: string; size: number }> = [];
    for await (const info of archive.list('wal/')) {
      const base = info.relative.endsWith('.sig') ? info.relative.slice(0, -4) : info.relative;
      const wal = walNameOfObject(base);
      if (!wal) continue;
      const kind = walFileKind(wal);
      if (kind === 'history') continue;
      if (segmentNumber(wal, segmentSize) >= threshold) continue;
      walObjects.push({ name: info.name, size: info.size });
      if (!info.relative.endsWith('.sig')) {
        if (kind === 'segment') removeSegments++;
        removeBytes += info.size;
      }
    }
    walObjects.sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : 1));
    removeObjects.push(...walObjects.map((o) => o.name));
  }
  return { decisions, removeObjects, removeBackups, removeIncomplete, wal: { removeSegments, removeBytes, keepFrom } };
}

/** Removal order: manifest signature, manifest, other signatures, data. */
function rank(name: string): number {
  if (name.endsWith('manifest.json.sig')) return 0;
  if (name.endsWith('manifest.json')) return 1;
  if (name.endsWith('.sig')) return 2;
  return 3;
}

export async function applyExpire(archive: BackupArchive, plan: ExpirePlan): Promise<number> {
  let removed = 0;
  for (const name of plan.removeObjects) {
    await archive.transport.remove(name);
    removed++;
  }
  return removed;
}
