/**
 * The chain a rebuild applies: a FULL deposit, then the DIFFs after it (or the latest INCR on
 * it, and DIFFs after that), put in order and checked BEFORE any database is opened.
 *
 * RFC 8909 §2 / Spec 2 Part A §1.1–1.2 (docs: rde-standards.md §1.2–1.3): a DIFF holds what
 * changed since the previous deposit of any type and its `prevId` names that deposit; an INCR
 * holds what changed since the last FULL and its `prevId` names that FULL. State at a deposit
 * = the FULL, then each deposit of the chain in order (deletes, then contents).
 *
 * `planChain(files, { until })`:
 *   1. reads each file's envelope (type, id, prevId, resend, watermark: the first few KiB);
 *   2. orders them by following `prevId` from the FULL (watermarks only break no ties: the
 *      links decide), and cuts the chain after `--until` (a deposit id, a day, or an instant);
 *   3. checks the chain it will apply: exactly one FULL, at the base; every later deposit a
 *      DIFF or INCR whose `prevId` names the deposit before it (an INCR: the FULL) — no gap,
 *      no fork, no deposit given twice; watermarks never go back; one INCR at most, with no
 *      DIFF between the FULL and it (the INCR already holds those changes);
 *   4. reads every DIFF/INCR to apply in full (they are small): the XML must be a well-formed,
 *      typed deposit, and its header's TLD must be the same in all of them.
 * The FULL is read only once, by the load itself (it can be gigabytes, and Strongroom writes
 * its header last): its TLD is compared with the chain's as soon as its header has been read,
 * before any DIFF is applied, inside the rebuild's transaction — a mismatch rolls it back.
 *
 * Each refusal is a StrongroomError whose code names the rule (REBUILD_CHAIN_*) and whose
 * message and `data` name the file(s) and deposit id(s); `location` is the offending file.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { StrongroomError, type ErrorCode } from '../common/errors.js';
import { tryCanonicalDateTime } from '../model/datetime.js';
import type { DepositEnvelope, Header } from '../model/objects.js';
import { readDeposit } from '../reader/index.js';

/** One deposit file of a chain. */
export interface ChainDeposit {
  file: string;
  envelope: DepositEnvelope;
  bytes: number;
  /** DIFF/INCR only (read in full while planning): the header, and what the file holds. */
  header?: Header;
  objects?: number;
  deletes?: number;
}

export interface ChainPlan {
  /** The deposits to apply, in order: the FULL first. */
  apply: ChainDeposit[];
  /** Deposits given but after `--until`, in chain order (not read beyond their envelope). */
  after: ChainDeposit[];
  /** The TLD of the DIFF/INCR headers (null when only the FULL is applied). */
  tld: string | null;
  until?: string;
}

export interface PlanOptions {
  /** Stop after this deposit: its id, a day (YYYY-MM-DD: the deposits of that day included) or an RFC 3339 instant. */
  until?: string;
  signal?: AbortSignal;
}

function broken(code: ErrorCode, rule: string, message: string, files: ChainDeposit[], extra: Record<string, unknown> = {}): StrongroomError {
  return new StrongroomError(code, message, {
    location: files[0]?.file,
    data: { rule, deposits: files.map((d) => ({ file: d.file, type: d.envelope.type, id: d.envelope.id, watermark: d.envelope.watermark })), ...extra },
  });
}

const describe = (d: ChainDeposit) => `${d.envelope.type} ${d.envelope.id} (${d.file})`;

/** The envelope of a deposit: reading stops right after `<rde:rdeMenu>`. */
async function readEnvelope(file: string, signal?: AbortSignal): Promise<ChainDeposit> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new StrongroomError('FILE_NOT_FOUND', `the deposit ${file} does not exist or is not a file`, { location: file });
  // Small reads: the envelope comes first, and what follows it is not parsed (nor judged).
  const input = createReadStream(file, { highWaterMark: 4 * 1024 });
  try {
    for await (const event of readDeposit(input, { file, ...(signal ? { signal } : {}) })) {
      if (event.type === 'deposit') return { file, envelope: event.envelope, bytes: info.size };
    }
  } finally {
    input.destroy();
  }
  throw new StrongroomError('INTERNAL', `the reader ended ${file} without an envelope`, { location: file });
}

/** A DIFF/INCR read in full: its header, objects and deletes (the reader validates the XML). */
async function scanDelta(deposit: ChainDeposit, signal?: AbortSignal): Promise<void> {
  const input = createReadStream(deposit.file, { highWaterMark: 256 * 1024 });
  let header: Header | undefined;
  let objects = 0;
  let deletes = 0;
  try {
    for await (const event of readDeposit(input, { file: deposit.file, ...(signal ? { signal } : {}) })) {
      if (event.type === 'object') {
        if (event.object.kind === 'header') {
          if (header) throw broken('READER_INVALID_OBJECT', 'header', `${describe(deposit)} has a second <rdeHeader:header> (line ${event.line})`, [deposit]);
          header = event.object.value;
        } else objects++;
      } else if (event.type === 'delete') deletes++;
    }
  } finally {
    input.destroy();
  }
  if (!header) {
    throw broken('REBUILD_CHECK_FAILED', 'header', `${describe(deposit)} has no <rdeHeader:header>: its TLD and counts cannot be checked`, [deposit]);
  }
  deposit.header = header;
  deposit.objects = objects;
  deposit.deletes = deletes;
}

/** `--until`: an id, or a time (a day includes its deposits; an instant is inclusive). */
export function parseUntil(until: string): { id: string } | { before: number; text: string } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(until)) {
    const start = Date.parse(`${until}T00:00:00Z`);
    if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== until) throw new StrongroomError('REBUILD_INVALID_ARGUMENT', `--until ${until} is not a valid date`);
    return { before: start + 86_400_000, text: until };
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(until)) {
    const canonical = tryCanonicalDateTime(until);
    if (canonical === null) throw new StrongroomError('REBUILD_INVALID_ARGUMENT', `--until ${until} is not an RFC 3339 date-time`);
    return { before: Date.parse(canonical) + 1, text: canonical };
  }
  // rde:depositIdType (RFC 8909 §4.2 XSD): 1 to 13 word characters.
  if (/^[\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]{1,13}$/u.test(until)) return { id: until };
  throw new StrongroomError('REBUILD_INVALID_ARGUMENT', `--until "${until.slice(0, 40)}" is neither a deposit id, a date (YYYY-MM-DD) nor an RFC 3339 date-time`);
}

/** Order `files` into a chain, cut it at `until` and check it; reads no database. */
export async function planChain(files: readonly string[], options: PlanOptions = {}): Promise<ChainPlan> {
  if (files.length === 0) throw new StrongroomError('REBUILD_INVALID_ARGUMENT', 'no deposit file given');
  const until = options.until === undefined ? undefined : parseUntil(options.until);
  const deposits: ChainDeposit[] = [];
  const seenFiles = new Set<string>();
  for (const file of files) {
    if (seenFiles.has(file)) throw new StrongroomError('REBUILD_INVALID_ARGUMENT', `${file} is given twice`, { location: file });
    seenFiles.add(file);
    deposits.push(await readEnvelope(file, options.signal));
  }

  // The same deposit twice (e.g. a resend next to the original) is ambiguous: refuse.
  const byId = new Map<string, ChainDeposit>();
  for (const d of deposits) {
    const other = byId.get(d.envelope.id);
    if (other) {
      throw broken('REBUILD_CHAIN_DUPLICATE', 'duplicate', `deposit id ${d.envelope.id} is given twice: ${other.file} (resend ${other.envelope.resend}) and ${d.file} (resend ${d.envelope.resend}); pass one of them`, [other, d]);
    }
    byId.set(d.envelope.id, d);
  }

  // Exactly one FULL: the base.
  const fulls = deposits.filter((d) => d.envelope.type === 'FULL');
  if (fulls.length === 0) {
    throw broken('REBUILD_CHAIN_BASE', 'base', `none of the ${deposits.length} deposit(s) is a FULL deposit: a rebuild starts from one FULL (${deposits.map(describe).join(', ')})`, deposits);
  }
  if (fulls.length > 1) {
    throw broken('REBUILD_CHAIN_BASE', 'base', `${fulls.length} FULL deposits given (${fulls.map(describe).join(', ')}): a chain has exactly one FULL, at its base — pass the latest FULL and what follows it`, fulls);
  }
  const full = fulls[0]!;

  // Follow prevId from the FULL. An INCR links to the FULL, a DIFF to the deposit before it.
  const followers = new Map<string, ChainDeposit[]>();
  for (const d of deposits) {
    if (d === full) continue;
    if (d.envelope.prevId === undefined) {
      throw broken('REBUILD_CHAIN_BROKEN', 'prevId', `${describe(d)} has no prevId: a ${d.envelope.type} must name the deposit it follows (RFC 8909 §5.1)`, [d]);
    }
    const list = followers.get(d.envelope.prevId) ?? [];
    list.push(d);
    followers.set(d.envelope.prevId, list);
  }
  const incrs = deposits.filter((d) => d.envelope.type === 'INCR');
  if (incrs.length > 1) {
    throw broken('REBUILD_CHAIN_TYPE', 'type', `${incrs.length} INCR deposits given (${incrs.map(describe).join(', ')}): each holds every change since the FULL — pass only the latest`, incrs);
  }
  const chain: ChainDeposit[] = [full];
  let current = full;
  const incr = incrs[0];
  if (incr) {
    if (incr.envelope.prevId !== full.envelope.id) {
      throw broken('REBUILD_CHAIN_BROKEN', 'prevId', `${describe(incr)} names prevId ${incr.envelope.prevId}, not the FULL ${full.envelope.id} (${full.file}): an INCR applies on the FULL it names (RFC 8909 §5.1)`, [incr, full], {
        expected: full.envelope.id,
        found: incr.envelope.prevId,
      });
    }
    const skipped = (followers.get(full.envelope.id) ?? []).filter((d) => d !== incr);
    if (skipped.length > 0) {
      throw broken('REBUILD_CHAIN_TYPE', 'type', `${describe(skipped[0]!)} follows the FULL ${full.envelope.id} like the INCR ${incr.envelope.id} (${incr.file}): the INCR already holds its changes — pass the FULL, the INCR and the DIFFs after the INCR`, [skipped[0]!, incr]);
    }
  }
  const placed = new Set<ChainDeposit>([full]);
  for (;;) {
    const next = (followers.get(current.envelope.id) ?? []).filter((d) => !placed.has(d));
    if (next.length === 0) break;
    if (next.length > 1) {
      throw broken('REBUILD_CHAIN_BROKEN', 'fork', `${next.map(describe).join(' and ')} all name prevId ${current.envelope.id}: the chain forks after ${describe(current)}`, next);
    }
    const d = next[0]!;
    if (d.envelope.type === 'INCR' && current !== full) throw new StrongroomError('INTERNAL', 'an INCR after a non-FULL');
    chain.push(d);
    placed.add(d);
    current = d;
  }
  const left = deposits.filter((d) => !placed.has(d));
  if (left.length > 0) {
    // Name the earliest deposit that does not link and the id it is missing.
    left.sort((a, b) => Date.parse(a.envelope.watermark) - Date.parse(b.envelope.watermark) || a.envelope.id.localeCompare(b.envelope.id));
    const d = left[0]!;
    const prev = d.envelope.prevId!;
    const known = byId.get(prev);
    const message = known
      ? `${describe(d)} names prevId ${prev} (${known.file}), which is not in the chain from the FULL ${full.envelope.id}: ${known.envelope.type === 'FULL' ? 'it is another FULL' : 'that deposit does not link to the FULL either'}`
      : `${describe(d)} names prevId ${prev}, which is none of the given deposits: the chain from the FULL ${full.envelope.id} stops at ${describe(current)} — a deposit is missing (gap) between them`;
    throw broken('REBUILD_CHAIN_BROKEN', known ? 'prevId' : 'gap', message, [d], { prevId: prev, chainEnd: current.envelope.id, notLinked: left.map((x) => x.file) });
  }

  // Watermarks never go back along the chain (RFC 8909 §5.1: each deposit is later state).
  for (let at = 1; at < chain.length; at++) {
    const before = chain[at - 1]!;
    const d = chain[at]!;
    if (Date.parse(d.envelope.watermark) < Date.parse(before.envelope.watermark)) {
      throw broken('REBUILD_CHAIN_ORDER', 'watermark', `${describe(d)} has watermark ${d.envelope.watermark}, earlier than ${before.envelope.watermark} of ${describe(before)} that it follows`, [d, before]);
    }
  }

  // --until: cut the chain.
  let cut = chain.length;
  if (until && 'id' in until) {
    const index = chain.findIndex((d) => d.envelope.id === until.id);
    if (index < 0) throw new StrongroomError('REBUILD_INVALID_ARGUMENT', `--until ${until.id}: no deposit of the chain has that id (${chain.map((d) => d.envelope.id).join(', ')})`);
    cut = index + 1;
  } else if (until) {
    cut = chain.filter((d) => Date.parse(d.envelope.watermark) < until.before).length;
    if (cut === 0) {
      throw new StrongroomError('REBUILD_INVALID_ARGUMENT', `--until ${until.text} is before the FULL ${full.envelope.id}'s watermark ${full.envelope.watermark}: nothing to rebuild`, { location: full.file });
    }
  }
  const apply = chain.slice(0, cut);
  const after = chain.slice(cut);

  // Read the deltas to apply in full: valid XML and typed objects, and one TLD.
  let tld: string | null = null;
  let tldFrom: ChainDeposit | null = null;
  for (const d of apply.slice(1)) {
    await scanDelta(d, options.signal);
    const t = d.header!.tld;
    if (tld === null) {
      tld = t;
      tldFrom = d;
    } else if (t !== tld) {
      throw broken('REBUILD_CHAIN_TLD', 'tld', `${describe(d)} is a deposit of .${t}, ${describe(tldFrom!)} of .${tld}: a chain holds one TLD`, [d, tldFrom!], { tlds: [tld, t] });
    }
  }
  return { apply, after, tld, ...(options.until !== undefined ? { until: options.until } : {}) };
}
