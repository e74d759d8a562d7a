/**
 * Push and pull: the two directions of a delivery.
 *
 * Push sends local files to a destination. Each file goes up with its size and SHA-256 (the
 * transport verifies them). To every destination that is not an escrow agent a sidecar
 * `<name>.sha256` (sha256sum format) follows the file: it is what pull verifies against, and
 * since it is written after the file, its presence means the file is complete.
 *
 * Pull is how a registry's own copy fetches from the operator's outbox without the operator
 * being able to reach it (seed 000: the registry's third copy): list the outbox, take every file
 * that has a sidecar, fetch it into the target directory (temporary name, size and SHA-256
 * checked, then renamed), and write the sidecar next to it. A file already fetched with the
 * same SHA-256 is skipped, so pulling again is idempotent; a local file that differs is never
 * overwritten (PULL_CONFLICT); a file without sidecar is not fetched (PULL_UNVERIFIABLE).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { StrongroomError, isStrongroomError } from '../common/errors.js';
import { FindingList, type Finding } from '../common/findings.js';
import { progressOrNoop, type Progress } from '../common/progress.js';
import type { PutResult, Transport } from './transport.js';

export const SIDECAR_SUFFIX = '.sha256';

/** Sidecars are one line; refuse anything larger than this rather than buffer it. */
const SIDECAR_MAX = 4096;

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > SIDECAR_MAX) {
      stream.destroy();
      return Buffer.alloc(0);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sidecarText(name: string, sha256: string): string {
  return `${sha256}  ${basename(name)}\n`;
}

/** The hex digest of a sha256sum-format sidecar, or null when it is not one. */
export function parseSidecar(text: string): string | null {
  return /^([0-9a-f]{64})\s/.exec(text.trim() + ' ')?.[1] ?? null;
}

export interface PushOptions {
  sidecars: boolean;
  overwrite?: boolean;
  retainUntil?: Date;
  progress?: Progress;
}

export async function pushFiles(transport: Transport, files: string[], options: PushOptions): Promise<PutResult[]> {
  const progress = progressOrNoop(options.progress);
  const results: PutResult[] = [];
  for (const file of files) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new StrongroomError('FILE_NOT_FOUND', `${file} is not a readable file`, { location: file });
    const name = basename(file);
    const task = progress.task(`push ${name}`, 'bytes', info.size);
    const sha256 = await sha256File(file);
    const putOptions = { ...(options.overwrite ? { overwrite: true } : {}), ...(options.retainUntil ? { retainUntil: options.retainUntil } : {}) };
    const result = await transport.put(name, { open: () => createReadStream(file), path: file, size: info.size, sha256 }, putOptions);
    task.add(info.size);
    task.done();
    results.push(result);
    if (options.sidecars) {
      const text = Buffer.from(sidecarText(name, sha256));
      await transport.put(`${name}${SIDECAR_SUFFIX}`, { open: () => Readable.from([text]), size: text.length }, putOptions);
    }
  }
  return results;
}

export interface PullResult {
  fetched: Array<{ name: string; size: number; sha256: string }>;
  alreadyPresent: string[];
  findings: Finding[];
}

export async function pullOutbox(outbox: Transport, target: Transport, options: { progress?: Progress } = {}): Promise<PullResult> {
  const progress = progressOrNoop(options.progress);
  const findings = new FindingList();
  const result: PullResult = { fetched: [], alreadyPresent: [], findings: findings.items };
  // Sorted names let a sidecar be paired with its file without holding the whole listing.
  const objects: Array<{ name: string; size: number }> = [];
  for await (const info of outbox.list()) objects.push({ name: info.name, size: info.size });
  objects.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const names = new Set(objects.map((object) => object.name));
  for (const object of objects) {
    if (object.name.endsWith(SIDECAR_SUFFIX)) {
      if (!names.has(object.name.slice(0, -SIDECAR_SUFFIX.length))) {
        findings.add({ code: 'PULL_SIDECAR_ORPHAN', severity: 'warning', location: object.name, message: `${object.name} has no file next to it in ${outbox.description}` });
      }
      continue;
    }
    const sidecarName = `${object.name}${SIDECAR_SUFFIX}`;
    if (!names.has(sidecarName)) {
      findings.add({ code: 'PULL_UNVERIFIABLE', severity: 'error', location: object.name, message: `${object.name} has no ${SIDECAR_SUFFIX} sidecar in ${outbox.description}: not fetched (cannot be verified, or still being written)` });
      continue;
    }
    const expected = parseSidecar((await readAll(await outbox.get(sidecarName))).toString('utf8'));
    if (!expected) {
      findings.add({ code: 'PULL_UNVERIFIABLE', severity: 'error', location: sidecarName, message: `${sidecarName} is not a sha256sum line: ${object.name} not fetched` });
      continue;
    }
    const local = await target.stat(object.name);
    if (local) {
      const localSidecar = await target.stat(sidecarName);
      const localSha = localSidecar ? parseSidecar((await readAll(await target.get(sidecarName))).toString('utf8')) : null;
      if (localSha === expected && local.size === object.size) {
        result.alreadyPresent.push(object.name);
      } else {
        findings.add({ code: 'PULL_CONFLICT', severity: 'error', location: object.name, message: `${object.name} already exists locally with different content (or without its sidecar): not overwritten; the outbox copy has SHA-256 ${expected}` });
      }
      continue;
    }
    const task = progress.task(`pull ${object.name}`, 'bytes', object.size);
    try {
      const put = await target.put(object.name, { open: () => outbox.get(object.name), size: object.size, sha256: expected });
      const text = Buffer.from(sidecarText(object.name, expected));
      await target.put(sidecarName, { open: () => Readable.from([text]), size: text.length }, { overwrite: true });
      result.fetched.push({ name: put.name, size: put.size, sha256: put.sha256 });
    } catch (err) {
      if (!isStrongroomError(err) || err.category === 'internal') throw err;
      findings.add({ code: err.code, severity: 'error', location: object.name, message: err.message });
    } finally {
      task.add(object.size);
      task.done();
    }
  }
  return result;
}
