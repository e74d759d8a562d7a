/**
 * Release (Spec 2 Part B §6): the kept deposits of a TLD handed over — sealed, exactly as
 * received, with their verification reports — only when two distinct people approved.
 *
 * Flow: `requestRelease` opens a release for a TLD (an id like `test-20260105T101500Z`);
 * `approveRelease` records an approver (names compared case-insensitively, so one person
 * cannot approve twice under two spellings); `exportRelease` refuses (AGENT_RELEASE_NOT_APPROVED)
 * until two distinct approvers are recorded, then copies every live deposit's files and latest
 * reports into `<to>/<tld>/`, each file re-hashed against the catalog on the way, with a
 * MANIFEST.json of names, sizes and SHA-256 digests. Existing files are never replaced.
 * Every step is in the audit log.
 */
import { createHash } from 'node:crypto';
import { constants, createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import { StrongroomError } from '../common/errors.js';
import type { AgentContext } from './context.js';

/** Approvals a release needs (two-person rule). */
export const REQUIRED_APPROVERS = 2;

function normalizeApprover(name: string): string {
  const trimmed = name.trim().replace(/\s+/g, ' ');
  if (trimmed === '' || trimmed.length > 200) throw new StrongroomError('AGENT_INVALID_ARGUMENT', 'an approver name is required (at most 200 characters)');
  return trimmed.toLowerCase();
}

export async function requestRelease(agent: AgentContext, tld: string, options: { reason?: string; now?: Date } = {}): Promise<string> {
  const now = options.now ?? new Date();
  const id = `${tld}-${now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`;
  await agent.catalog.createRelease(id, tld, now, options.reason ?? null);
  await agent.audit.append('release-request', id, { tld, ...(options.reason ? { reason: options.reason } : {}) }, now);
  return id;
}

/** Record an approval; returns the distinct approvers so far. */
export async function approveRelease(agent: AgentContext, id: string, approver: string, now = new Date()): Promise<string[]> {
  const release = await agent.catalog.release(id);
  if (!release) throw new StrongroomError('AGENT_NOT_FOUND', `no release ${id}`);
  if (release.exported_at) throw new StrongroomError('AGENT_TARGET_EXISTS', `release ${id} was already exported on ${release.exported_at}`);
  const name = normalizeApprover(approver);
  const added = await agent.catalog.approve(id, name, now);
  if (added) await agent.audit.append('approve', id, { approver: name }, now);
  return agent.catalog.approvers(id);
}

export interface ReleaseResult {
  id: string;
  tld: string;
  dir: string;
  deposits: string[];
  files: Array<{ name: string; size: number; sha256: string }>;
  approvers: string[];
}

/** Copy a stored object to `target`, checking its hash on the way; never replaces a file. */
async function exportObject(agent: AgentContext, sha256: string, target: string): Promise<number> {
  const temp = `${target}.partial-${process.pid}`;
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      await agent.repo.open(sha256),
      new Transform({
        transform(chunk: Buffer, _encoding, done) {
          hash.update(chunk);
          size += chunk.length;
          done(null, chunk);
        },
      }),
      createWriteStream(temp, { flags: 'wx', mode: 0o444 }),
    );
    if (hash.digest('hex') !== sha256) throw new StrongroomError('AGENT_OBJECT_MISMATCH', `stored object ${sha256} no longer matches its hash: not released`, { location: agent.repo.objectPath(sha256) });
    const handle = await open(temp, 'r');
    await handle.sync().finally(() => handle.close());
    if (existsSync(target)) throw new StrongroomError('AGENT_TARGET_EXISTS', `${target} already exists; not replacing it`, { location: target });
    await rename(temp, target);
    return size;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Export the open, approved release of `tld` into `<to>/<tld>/`. */
export async function exportRelease(agent: AgentContext, id: string, to: string, now = new Date()): Promise<ReleaseResult> {
  const release = await agent.catalog.release(id);
  if (!release) throw new StrongroomError('AGENT_NOT_FOUND', `no release ${id}`);
  if (release.exported_at) throw new StrongroomError('AGENT_TARGET_EXISTS', `release ${id} was already exported on ${release.exported_at} to ${release.exported_to ?? '?'}`);
  const approvers = await agent.catalog.approvers(id);
  if (approvers.length < REQUIRED_APPROVERS) {
    throw new StrongroomError(
      'AGENT_RELEASE_NOT_APPROVED',
      `release ${id} has ${approvers.length} approver(s)${approvers.length ? ` (${approvers.join(', ')})` : ''}; ${REQUIRED_APPROVERS} distinct approvers are required: strongroom agent approve --release ${id} --approver <name>`,
    );
  }
  const dir = join(to, release.tld);
  await mkdir(dir, { recursive: true });
  const deposits = await agent.catalog.deposits({ tld: release.tld });
  const files: ReleaseResult['files'] = [];
  for (const deposit of deposits) {
    for (const file of await agent.catalog.files(deposit.key)) {
      const size = await exportObject(agent, file.sha256, join(dir, file.name));
      files.push({ name: file.name, size, sha256: file.sha256 });
    }
    if (deposit.report_json) {
      for (const report of [deposit.report_json, deposit.report_json.replace(/\.json$/, '.txt')]) {
        const source = join(agent.repo.root, report);
        if (!existsSync(source)) continue;
        const target = join(dir, `${deposit.key}.${basename(report)}`);
        await copyFile(source, target, constants.COPYFILE_EXCL).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'EEXIST') throw new StrongroomError('AGENT_TARGET_EXISTS', `${target} already exists; not replacing it`, { location: target });
          throw err;
        });
        const content = await readFile(target);
        files.push({ name: basename(target), size: content.length, sha256: createHash('sha256').update(content).digest('hex') });
      }
    }
  }
  const manifest = { release: id, tld: release.tld, approvers, exportedAt: now.toISOString(), deposits: deposits.map((deposit) => ({ key: deposit.key, status: deposit.status, id: deposit.deposit_id, watermark: deposit.watermark })), files };
  const manifestPath = join(dir, 'MANIFEST.json');
  const handle = await open(manifestPath, 'wx', 0o444);
  try {
    await handle.write(`${JSON.stringify(manifest, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await agent.catalog.markExported(id, now, dir);
  await agent.audit.append('release', id, { tld: release.tld, to: dir, approvers, deposits: deposits.map((deposit) => deposit.key), files: files.length }, now);
  return { id, tld: release.tld, dir, deposits: deposits.map((deposit) => deposit.key), files, approvers };
}

/** Put a deposit under legal hold (or lift it): retention never deletes a held deposit. */
export async function setLegalHold(agent: AgentContext, key: string, hold: boolean, reason: string | null, now = new Date()): Promise<void> {
  await agent.catalog.setHold(key, hold, reason);
  await agent.audit.append('hold', key, { hold, ...(reason ? { reason } : {}) }, now);
}
