/**
 * The agent's audit log: every action on the repository (receive, verify, delete, release,
 * approve, hold …) appended as one JSON line, hash-chained:
 *
 *     {"seq":N,"at":"<RFC 3339>","action":"…","subject":"…","details":{…},"prev":"<hex>","hash":"<hex>"}
 *
 * `hash` = SHA-256 of the canonical JSON of [seq, at, action, subject, details, prev] (object
 * keys sorted), `prev` = the previous line's hash (64 zeros for the first line). Changing,
 * removing, inserting or reordering any line breaks the chain from that line on. Removing
 * lines at the end leaves a valid chain, so the head (last seq and hash) is also kept in the
 * catalog and `verifyAudit` compares the two.
 *
 * Appends are serialised in this process and across processes by an exclusive lock file next
 * to the log; each append is written with O_APPEND and fsynced before it is acknowledged.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { StrongroomError, messageOf } from '../common/errors.js';
import type { Finding } from '../common/findings.js';

export const GENESIS = '0'.repeat(64);

export type AuditAction = 'receive' | 'duplicate' | 'reject' | 'verify' | 'delete' | 'hold' | 'release-request' | 'approve' | 'release';

export interface AuditEntry {
  seq: number;
  at: string;
  action: AuditAction;
  subject: string;
  details: Record<string, unknown>;
  prev: string;
  hash: string;
}

/** Where the head of the chain is kept apart from the file (the catalog). */
export interface AuditHeadStore {
  getAuditHead(): Promise<{ seq: number; hash: string } | null>;
  setAuditHead(seq: number, hash: string): Promise<void>;
}

/** JSON with object keys sorted at every level: one byte string per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalJson([entry.seq, entry.at, entry.action, entry.subject, entry.details, entry.prev])).digest('hex');
}

const TAIL_BYTES = 1 << 16;

async function lastLine(path: string): Promise<string | null> {
  const info = await stat(path).catch(() => null);
  if (!info || info.size === 0) return null;
  const handle = await open(path, 'r');
  try {
    const length = Math.min(info.size, TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, info.size - length);
    const text = buffer.toString('utf8').replace(/\n+$/, '');
    const cut = text.lastIndexOf('\n');
    if (cut === -1 && length < info.size) throw new StrongroomError('AGENT_AUDIT_BROKEN', 'the last audit line is longer than 64 KiB', { location: path });
    return text.slice(cut + 1);
  } finally {
    await handle.close();
  }
}

let queue: Promise<unknown> = Promise.resolve();

async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600);
      await handle.write(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock whose process is gone is stale.
      const holder = Number(await readFile(lock, 'utf8').catch(() => 'NaN'));
      let alive = true;
      if (Number.isInteger(holder)) {
        try {
          process.kill(holder, 0);
        } catch (killErr) {
          alive = (killErr as NodeJS.ErrnoException).code === 'EPERM';
        }
      }
      if (!alive) await unlink(lock).catch(() => undefined);
      else if (attempt > 600) throw new StrongroomError('AGENT_LOCKED', `the audit log is locked by process ${holder}`, { location: lock });
      else await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

export class AuditLog {
  constructor(
    readonly path: string,
    private readonly head?: AuditHeadStore,
  ) {}

  /** Append one action; returns the entry as written. */
  append(action: AuditAction, subject: string, details: Record<string, unknown> = {}, now = new Date()): Promise<AuditEntry> {
    const run = queue.then(() =>
      withLock(this.path, async () => {
        const last = await lastLine(this.path);
        let prevSeq = 0;
        let prev = GENESIS;
        if (last !== null) {
          try {
            const parsed = JSON.parse(last) as AuditEntry;
            prevSeq = parsed.seq;
            prev = parsed.hash;
          } catch (err) {
            throw new StrongroomError('AGENT_AUDIT_BROKEN', `the last audit line is not JSON (${messageOf(err)}): run \`strongroom agent audit verify\``, { location: this.path });
          }
        }
        const body = { seq: prevSeq + 1, at: now.toISOString(), action, subject, details: JSON.parse(JSON.stringify(details)) as Record<string, unknown>, prev };
        const entry: AuditEntry = { ...body, hash: entryHash(body) };
        const handle = await open(this.path, 'a', 0o600);
        try {
          await handle.write(`${JSON.stringify(entry)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await this.head?.setAuditHead(entry.seq, entry.hash);
        return entry;
      }),
    );
    queue = run.catch(() => undefined);
    return run;
  }

  /** Every entry in order (streams the file). */
  async *entries(): AsyncGenerator<{ line: number; text: string }> {
    const exists = await stat(this.path).catch(() => null);
    if (!exists) return;
    const lines = createInterface({ input: createReadStream(this.path, 'utf8'), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      yield { line, text };
    }
  }
}

export interface AuditVerdict {
  ok: boolean;
  entries: number;
  findings: Finding[];
}

/**
 * Check the whole chain: every line parses, seq counts up from 1, each `prev` is the previous
 * hash, each `hash` recomputes, and the last entry is the head recorded in the catalog.
 */
export async function verifyAudit(log: AuditLog, head?: AuditHeadStore): Promise<AuditVerdict> {
  const findings: Finding[] = [];
  let prev = GENESIS;
  let expectedSeq = 1;
  let count = 0;
  let lastHash: string | null = null;
  let lastSeq = 0;
  for await (const { line, text } of log.entries()) {
    count++;
    const location = `${log.path}:${line}`;
    let entry: AuditEntry;
    try {
      entry = JSON.parse(text) as AuditEntry;
    } catch {
      findings.push({ code: 'AUDIT_LINE_UNREADABLE', severity: 'error', location, message: `line ${line} is not a JSON audit entry` });
      continue;
    }
    if (entry.seq !== expectedSeq) {
      findings.push({ code: 'AUDIT_SEQUENCE_BROKEN', severity: 'error', location, message: `line ${line} has seq ${entry.seq}, expected ${expectedSeq} (a line was removed, inserted or moved)` });
    }
    if (entry.prev !== prev) {
      findings.push({ code: 'AUDIT_CHAIN_BROKEN', severity: 'error', location, message: `line ${line} does not follow the line before it (prev hash differs)` });
    }
    const { hash, ...body } = entry;
    if (entryHash(body) !== hash) {
      findings.push({ code: 'AUDIT_ENTRY_ALTERED', severity: 'error', location, message: `line ${line} was altered (its hash does not match its content)` });
    }
    prev = hash;
    lastHash = hash;
    lastSeq = entry.seq;
    expectedSeq = (Number.isInteger(entry.seq) ? entry.seq : expectedSeq) + 1;
  }
  if (head) {
    const recorded = await head.getAuditHead();
    if (recorded && (recorded.seq !== lastSeq || recorded.hash !== lastHash)) {
      findings.push({
        code: 'AUDIT_HEAD_MISMATCH',
        severity: 'error',
        location: log.path,
        message: `the log ends at seq ${lastSeq} but the catalog recorded seq ${recorded.seq} as the last entry (lines removed at the end, or the log replaced)`,
      });
    } else if (!recorded && count > 0) {
      findings.push({ code: 'AUDIT_HEAD_MISMATCH', severity: 'error', location: log.path, message: 'the catalog has no record of this audit log' });
    }
  }
  return { ok: findings.length === 0, entries: count, findings };
}
