/**
 * Intake: what arrives in a registry's inbox becomes deposits in the repository.
 *
 * The inbox is any Transport (a directory now; SFTP and S3 inboxes through the same
 * interface). One pass (`ingestOnce`):
 *
 *   1. list the inbox's top-level files; names starting with '.' or ending in .part/.tmp/
 *      .filepart are uploads in progress and left alone;
 *   2. every other name must be a Spec 2 name (`{tld}_{date}_{type}_S{n}_R{rev}.{ryde|sig}`,
 *      Spec 2 Part A §5) of an expected TLD, else it is rejected (AGENT_UNEXPECTED_FILE) and moved
 *      to `rejected/` in the inbox;
 *   3. files are grouped by deposit (name without S{n}); a deposit is complete when parts
 *      S1..Sn and their signatures are all present — n is read from the part-binding notation
 *      of the signatures when they carry one, else the highest part seen — and stable: every
 *      file unchanged for `settleMs` (modification time) or, where the store gives no time,
 *      the same size in two passes;
 *   4. a complete deposit is stored as received (content-addressed, repository.ts), entered in
 *      the catalog, audited ('receive'), then removed from the inbox. A deposit whose name is
 *      already in the catalog is an exact duplicate when every file's hash matches (audited
 *      'duplicate', removed from the inbox) and a name reuse otherwise (AGENT_NAME_REUSED:
 *      a corrected deposit must come as a resend R{n+1}; moved to `rejected/`). A resend
 *      (R{n} > 0) is stored as its own deposit and noted (AGENT_RESEND).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { StrongroomError, messageOf } from '../common/errors.js';
import type { Finding } from '../common/findings.js';
import { noProgress, type Progress } from '../common/progress.js';
import { depositKey, formatDepositName, parseDepositName, type DepositName, type NameExtension } from '../ryde/naming.js';
import { PART_NOTATION, parseSignature } from '../ryde/signature.js';
import type { ObjectInfo, Transport } from '../transports/transport.js';
import type { AgentContext } from './context.js';

export interface IngestOptions {
  inbox: Transport;
  /** TLDs expected in this inbox; files of others are rejected. Empty: any TLD. */
  tlds?: readonly string[];
  /** A file must be unchanged this long before it is taken (default 60 s). */
  settleMs?: number;
  now?: Date;
  progress?: Progress;
  /** Sizes seen in the previous pass (watch mode), for stores without modification times. */
  previous?: Map<string, number>;
}

export interface IngestResult {
  received: string[];
  duplicates: string[];
  rejected: Array<{ name: string; reason: string }>;
  waiting: Array<{ deposit: string; reason: string }>;
  findings: Finding[];
  /** Sizes seen in this pass (give them to the next pass as `previous`). */
  seen: Map<string, number>;
}

export const DEFAULT_SETTLE_MS = 60_000;
export const REJECTED_PREFIX = 'rejected/';

function inProgress(name: string): boolean {
  return name.startsWith('.') || /\.(part|tmp|filepart|partial)$/i.test(name);
}

interface Pending {
  name: DepositName;
  key: string;
  files: Map<string, { info: ObjectInfo; part: number; ext: NameExtension }>;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > 1 << 20) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'a signature file larger than 1 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The total number of parts a (not yet verified) signature claims, if it says. */
async function claimedParts(inbox: Transport, sigName: string): Promise<number | undefined> {
  try {
    const signature = await parseSignature(await readAll(await inbox.get(sigName)), sigName);
    const value = signature.notations.get(PART_NOTATION);
    const match = value ? /^\S+ \d+\/(\d+) [0-9a-f]{32}$/.exec(value) : null;
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // verification judges the signature; intake only groups
  }
}

async function moveToRejected(inbox: Transport, name: string, now: Date): Promise<string> {
  const target = `${REJECTED_PREFIX}${now.toISOString().replace(/[:.]/g, '-')}_${name}`;
  await inbox.put(target, { open: () => inbox.get(name) });
  await inbox.remove(name);
  return target;
}

async function hashOf(inbox: Transport, name: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of await inbox.get(name)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** One pass over the inbox. */
export async function ingestOnce(agent: AgentContext, options: IngestOptions): Promise<IngestResult> {
  const { inbox } = options;
  const now = options.now ?? new Date();
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const progress = options.progress ?? noProgress;
  const tlds = new Set(options.tlds ?? []);
  const result: IngestResult = { received: [], duplicates: [], rejected: [], waiting: [], findings: [], seen: new Map() };
  const groups = new Map<string, Pending>();

  const reject = async (name: string, code: string, reason: string, subject = name): Promise<void> => {
    const moved = await moveToRejected(inbox, name, now);
    result.rejected.push({ name, reason });
    result.findings.push({ code, severity: 'error', object: subject, location: `${inbox.description}/${name}`, message: `${reason}; moved to ${moved}` });
    await agent.audit.append('reject', subject, { file: name, code, reason, movedTo: moved, inbox: inbox.description }, now);
  };

  for await (const info of inbox.list()) {
    if (info.name.includes('/') || inProgress(info.name)) continue; // rejected/…, uploads in progress
    result.seen.set(info.name, info.size);
    let parsed: DepositName & { ext: NameExtension };
    try {
      parsed = parseDepositName(info.name);
    } catch (err) {
      await reject(info.name, 'AGENT_UNEXPECTED_FILE', `not a Spec 2 deposit file name (${messageOf(err).replace(/^"[^"]*" /, '')})`);
      continue;
    }
    if (parsed.ext !== 'ryde' && parsed.ext !== 'sig') {
      await reject(info.name, 'AGENT_UNEXPECTED_FILE', `only .ryde and .sig files are delivered (Spec 2 Part A §4), not .${parsed.ext}`);
      continue;
    }
    if (tlds.size > 0 && !tlds.has(parsed.tld)) {
      await reject(info.name, 'AGENT_UNEXPECTED_FILE', `TLD "${parsed.tld}" is not expected in this inbox (expected: ${[...tlds].sort().join(', ')})`);
      continue;
    }
    const key = depositKey(parsed);
    let group = groups.get(key);
    if (!group) {
      group = { name: { tld: parsed.tld, date: parsed.date, type: parsed.type, rev: parsed.rev, part: 1 }, key, files: new Map() };
      groups.set(key, group);
    }
    group.files.set(info.name, { info, part: parsed.part, ext: parsed.ext });
  }

  for (const group of [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    const { key, name } = group;
    let count = Math.max(...[...group.files.values()].map((file) => file.part));
    const firstSig = formatDepositName({ ...name, part: 1 }, 'sig');
    if (group.files.has(firstSig)) count = Math.max(count, (await claimedParts(inbox, firstSig)) ?? 0);
    const missing: string[] = [];
    for (let part = 1; part <= count; part++) {
      for (const ext of ['ryde', 'sig'] as const) {
        const fileName = formatDepositName({ ...name, part }, ext);
        if (!group.files.has(fileName)) missing.push(fileName);
      }
    }
    if (missing.length > 0) {
      result.waiting.push({ deposit: key, reason: `waiting for ${missing.join(', ')}` });
      continue;
    }
    const unsettled = [...group.files.values()].filter(({ info }) =>
      info.modified ? now.getTime() - info.modified.getTime() < settleMs : options.previous?.get(info.name) !== info.size,
    );
    if (unsettled.length > 0) {
      result.waiting.push({ deposit: key, reason: `still changing: ${unsettled.map(({ info }) => info.name).sort().join(', ')}` });
      continue;
    }
    const files = [...group.files.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
    const existing = await agent.catalog.depositByKey(key);
    if (existing) {
      const stored = new Map((await agent.catalog.files(key)).map((row) => [row.name, row.sha256]));
      const hashes = new Map<string, string>();
      for (const [fileName] of files) hashes.set(fileName, await hashOf(inbox, fileName));
      const same = stored.size === hashes.size && [...hashes].every(([fileName, sha]) => stored.get(fileName) === sha);
      if (same) {
        for (const [fileName] of files) await inbox.remove(fileName);
        result.duplicates.push(key);
        result.findings.push({ code: 'AGENT_DUPLICATE', severity: 'info', object: key, message: `${key} was received again byte for byte; the copy was discarded` });
        await agent.audit.append('duplicate', key, { inbox: inbox.description }, now);
      } else {
        for (const [fileName] of files) await reject(fileName, 'AGENT_NAME_REUSED', `${key} is already stored with other content: a corrected deposit must be a resend (R${name.rev + 1})`, key);
      }
      continue;
    }
    const task = progress.task(`receive ${key}`, 'bytes', files.reduce((sum, [, file]) => sum + file.info.size, 0));
    const rows: Array<{ name: string; part: number; kind: 'ryde' | 'sig'; sha256: string; size: number }> = [];
    for (const [fileName, file] of files) {
      const stored = await agent.repo.put(await inbox.get(fileName));
      task.add(stored.size);
      rows.push({ name: fileName, part: file.part, kind: file.ext as 'ryde' | 'sig', sha256: stored.sha256, size: stored.size });
    }
    task.done();
    await agent.catalog.addDeposit({ key, tld: name.tld, date: name.date, type: name.type, rev: name.rev, parts: count, source: inbox.description, receivedAt: now, files: rows });
    await agent.audit.append('receive', key, { inbox: inbox.description, files: rows.map((row) => ({ name: row.name, sha256: row.sha256, size: row.size })) }, now);
    for (const [fileName] of files) await inbox.remove(fileName);
    result.received.push(key);
    if (name.rev > 0) {
      const earlier: string[] = [];
      for (let rev = name.rev - 1; rev >= 0; rev--) {
        const previousKey = depositKey({ ...name, rev });
        if (await agent.catalog.depositByKey(previousKey)) earlier.push(previousKey);
      }
      result.findings.push({
        code: 'AGENT_RESEND',
        severity: 'info',
        object: key,
        message: `resend R${name.rev} of ${depositKey({ ...name, rev: 0 })}${earlier.length ? ` (earlier revisions stored: ${earlier.join(', ')})` : ' (no earlier revision was received)'}`,
      });
    }
    progress.note(`received ${key} (${count} part(s))`);
  }
  return result;
}
