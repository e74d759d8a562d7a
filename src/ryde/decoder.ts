/**
 * The RyDE decoder: opens processed files back into the deposit, as the escrow agent's
 * verification procedure orders it (Spec 2 Part A §8 steps 1–3):
 *
 *   1. group the given files by deposit; every part S1..Sn present exactly once, each with
 *      its signature (RYDE_PART_MISSING / RYDE_PART_DUPLICATE / RYDE_SIGNATURE_MISSING);
 *   2. parse every signature and check its issuer is the expected registry key
 *      (RYDE_SIGNATURE_MALFORMED / RYDE_SIGNATURE_WRONG_KEY);
 *   3. a hashing pass over every part verifies every signature (RYDE_SIGNATURE_BAD) before
 *      a single byte is decrypted, recording block digests (split.ts); then, the notations
 *      being authenticated, each signature's part binding (`ryde-part@strongroom.invalid` =
 *      "<file> <n>/<total> <seal id>") must name this file, this position, this number of
 *      parts and one seal ID for all parts (RYDE_PART_MISPLACED / RYDE_PART_FOREIGN /
 *      RYDE_PART_MISSING);
 *   4. the decode pass joins the parts (each block re-checked: RYDE_PART_CHANGED), decrypts
 *      (encrypt.ts: RYDE_NOT_A_RECIPIENT, RYDE_MDC_MISMATCH, RYDE_AEAD_FAILED …), decompresses,
 *      unwraps the literal packet and extracts the single tar entry (tar.ts, safe by
 *      construction) into a temp file in the output directory;
 *   5. only when every check passed is the temp file moved to its final name (never
 *      replacing a file); on any failure it is removed.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { close, createWriteStream, fdatasync, fsync, open as openCallback, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import { type Progress, progressOrNoop } from '../common/progress.js';
import { openDecompressor } from './compress.js';
import { openDecryptor } from './encrypt.js';
import type { DecryptionKey, VerificationKey } from './keys.js';
import { openLiteralReader } from './literal.js';
import { type DepositName, depositKey, formatDepositName, parseDepositName } from './naming.js';
import { NO_MDC_WARNING } from './profiles.js';
import { PART_NOTATION, issuerOf, parseSignature, verificationHash, verifySignature, type ParsedSignature } from './signature.js';
import { type PartHandle, hashPart, openPart, readVerifiedParts } from './split.js';
import { openTarReader } from './tar.js';
import { publishTemp, removeTemp, sweepStaleTemps, tempPathFor } from './temp.js';

const openFd = promisify(openCallback);
const fsyncFd = promisify(fsync);
const fdatasyncFd = promisify(fdatasync);
const FLUSH_EVERY = 64 << 20;
const closeFd = promisify(close);

export interface UnsealOptions {
  outDir: string;
  decryptionKeys: readonly DecryptionKey[];
  /** The registry's signing (sub)keys. */
  verificationKeys: readonly VerificationKey[];
  /** Accept messages without MDC (profile rfc4880-no-mdc). */
  allowNoMdc?: boolean;
  progress?: Progress;
  now?: Date;
}

export interface UnsealResult {
  deposit: string;
  file: string;
  size: number;
  parts: number;
  signer: string;
  recipient: string;
  encryption: string;
  compression: number;
  /** True when every signature named its part (notation); false for foreign signers. */
  partsBound: boolean;
  warnings: string[];
}

export interface DepositFiles {
  name: DepositName;
  parts: Map<number, string>;
  sigs: Map<number, string>;
}

/** Group file arguments by deposit; refuse duplicates and non-Spec-2 names. */
export function groupDepositFiles(files: readonly string[]): DepositFiles[] {
  const groups = new Map<string, DepositFiles>();
  const seen = new Set<string>();
  for (const file of files) {
    const parsed = parseDepositName(basename(file));
    if (parsed.ext !== 'ryde' && parsed.ext !== 'sig') throw new StrongroomError('RYDE_NAME_INVALID', `${basename(file)}: expected .ryde and .sig files`, { location: file });
    const absolute = resolve(file);
    if (seen.has(absolute)) throw new StrongroomError('RYDE_PART_DUPLICATE', `${file} is given twice`, { location: file });
    seen.add(absolute);
    const key = depositKey(parsed);
    let group = groups.get(key);
    if (!group) {
      group = { name: { tld: parsed.tld, date: parsed.date, type: parsed.type, rev: parsed.rev, part: 1 }, parts: new Map(), sigs: new Map() };
      groups.set(key, group);
    }
    const target = parsed.ext === 'ryde' ? group.parts : group.sigs;
    if (target.has(parsed.part)) throw new StrongroomError('RYDE_PART_DUPLICATE', `two files for ${basename(file)} (${target.get(parsed.part)} and ${file})`, { location: file });
    target.set(parsed.part, file);
  }
  for (const group of groups.values()) {
    const count = Math.max(0, ...group.parts.keys(), ...group.sigs.keys());
    for (let part = 1; part <= count; part++) {
      const rydeName = formatDepositName({ ...group.name, part }, 'ryde');
      if (!group.parts.has(part)) throw new StrongroomError('RYDE_PART_MISSING', `part ${rydeName} is missing (parts S1..S${count} are needed)`, { location: rydeName });
      if (!group.sigs.has(part)) throw new StrongroomError('RYDE_SIGNATURE_MISSING', `the signature of ${rydeName} is missing`, { location: formatDepositName({ ...group.name, part }, 'sig') });
    }
  }
  return [...groups.values()];
}

const NOTATION_RE = /^(\S+) (\d+)\/(\d+) ([0-9a-f]{32})$/;

/**
 * Check the (verified) part-binding notation of a signature against where the part was found.
 * Returns the seal ID, or undefined when the signature carries no binding.
 */
export function checkBinding(signature: ParsedSignature, name: DepositName, part: number, count: number, where: string): string | undefined {
  const value = signature.notations.get(PART_NOTATION);
  if (value === undefined) return undefined;
  const match = NOTATION_RE.exec(value);
  if (!match) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', `unreadable part notation "${value}"`, { location: where });
  const [, fileName, position, total, sealId] = match;
  const expected = formatDepositName({ ...name, part }, 'ryde');
  let signed: DepositName;
  try {
    signed = parseDepositName(fileName!);
  } catch {
    throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', `unreadable part notation "${value}"`, { location: where });
  }
  if (depositKey(signed) !== depositKey(name)) throw new StrongroomError('RYDE_PART_FOREIGN', `${expected} is signed as part of another deposit (${fileName})`, { location: where });
  if (fileName !== expected || Number(position) !== part) throw new StrongroomError('RYDE_PART_MISPLACED', `${expected} holds the bytes signed as ${fileName} (part ${position}): parts are out of order or renamed`, { location: where });
  if (Number(total) !== count) {
    throw new StrongroomError(Number(total) > count ? 'RYDE_PART_MISSING' : 'RYDE_PART_FOREIGN', `the deposit was sealed in ${total} parts, ${count} were given`, { location: where });
  }
  return sealId!;
}

/** Decrypt the verified parts again, discarding the output; throw only an MDC failure. */
async function preferMdcFailure(handles: readonly PartHandle[], options: UnsealOptions, where: string): Promise<void> {
  try {
    await pipeline(readVerifiedParts(handles), openDecryptor({ where, keys: options.decryptionKeys }), async (plain: AsyncIterable<Buffer>) => {
      for await (const chunk of plain) void chunk;
    });
  } catch (err) {
    if (isStrongroomError(err, 'RYDE_MDC_MISMATCH')) throw err;
  }
}

/** Unseal one deposit's parts (already grouped) into `options.outDir`. */
export async function unsealDeposit(files: DepositFiles, options: UnsealOptions): Promise<UnsealResult> {
  const progress = progressOrNoop(options.progress);
  const now = options.now ?? new Date();
  const warnings: string[] = [];
  const count = files.parts.size;
  const key = depositKey(files.name);
  const handles: PartHandle[] = [];
  let tempPath: string | undefined;
  let output: number | undefined; // fd of the temp output file
  try {
    // Step 2: signatures parsed and their issuers checked (cheap, before hashing).
    const signatures: ParsedSignature[] = [];
    for (let part = 1; part <= count; part++) {
      const sigPath = files.sigs.get(part)!;
      let data: Buffer;
      try {
        data = await readFile(sigPath);
      } catch (err) {
        throw new StrongroomError('FILE_NOT_FOUND', `cannot read ${sigPath}: ${messageOf(err)}`, { location: sigPath, cause: err });
      }
      const signature = await parseSignature(data, sigPath);
      issuerOf(signature, options.verificationKeys, sigPath);
      signatures.push(signature);
    }

    // Step 3: the hashing pass verifies every signature before anything is decrypted.
    for (let part = 1; part <= count; part++) handles.push(await openPart(files.parts.get(part)!));
    const sealedSize = handles.reduce((sum, handle) => sum + handle.size, 0);
    const verifyTask = progress.task(`verify ${key}`, 'bytes', sealedSize);
    let signer = '';
    for (let index = 0; index < count; index++) {
      const hash = verificationHash(signatures[index]!);
      await hashPart(handles[index]!, hash, (n) => verifyTask.add(n));
      signer = verifySignature(signatures[index]!, hash, options.verificationKeys, files.sigs.get(index + 1)!, now).fingerprint;
    }
    verifyTask.done();

    // Only now, with the notations authenticated, check each part is where its signature says.
    const sealIds = new Set<string>();
    let bound = 0;
    for (let part = 1; part <= count; part++) {
      const sealId = checkBinding(signatures[part - 1]!, files.name, part, count, files.sigs.get(part)!);
      if (sealId !== undefined) {
        bound++;
        sealIds.add(sealId);
      }
    }
    if ((bound !== 0 && bound !== count) || sealIds.size > 1) {
      throw new StrongroomError('RYDE_PART_FOREIGN', 'the parts come from different seals (their signatures name different seal IDs)', { location: key });
    }
    if (bound === 0) warnings.push(`the signatures of ${key} do not name their parts (not sealed by Strongroom): part order rests on the file names`);

    // Step 4: decode into a temp file.
    await mkdir(options.outDir, { recursive: true });
    sweepStaleTemps(options.outDir);
    const where = formatDepositName(files.name, 'ryde');
    const decodeTask = progress.task(`unseal ${key}`, 'bytes', sealedSize);
    let info: { packet: string; recipient: string } | undefined;
    let compression = -1;
    let finalPath = '';
    let size = 0;
    try {
      await pipeline(
        readVerifiedParts(handles, (n) => decodeTask.add(n)),
        openDecryptor({
          where,
          keys: options.decryptionKeys,
          ...(options.allowNoMdc ? { allowNoMdc: true } : {}),
          onInfo: (found) => {
            info = found;
            if (found.packet === 'SED') {
              warnings.push(NO_MDC_WARNING);
              progress.warn(NO_MDC_WARNING);
            }
          },
        }),
        openDecompressor({ where, onAlgorithm: (algorithm) => (compression = algorithm) }),
        openLiteralReader({ where }),
        openTarReader({
          where,
          onEntry: async (entry) => {
            let entryName: DepositName & { ext: string };
            try {
              entryName = parseDepositName(entry.name);
            } catch {
              throw new StrongroomError('RYDE_TAR_INVALID', `the archive holds "${entry.name}", not this deposit's XML file`, { location: where });
            }
            if (entryName.ext !== 'xml' || depositKey(entryName) !== key) {
              throw new StrongroomError('RYDE_TAR_INVALID', `the archive holds "${entry.name}", not this deposit's XML file`, { location: where });
            }
            finalPath = join(options.outDir, entry.name);
            tempPath = tempPathFor(finalPath);
            output = await openFd(tempPath, 'wx', 0o600);
          },
        }),
        async (data: AsyncIterable<Buffer>) => {
          // A write stream queues up to 4 MiB, so disk writes overlap inflating. It is made at
          // the first byte: the tar reader's onEntry (which opens the file) runs before that.
          let stream: WriteStream | undefined;
          let finished: Promise<void> | undefined;
          const start = (): WriteStream => {
            const made = createWriteStream('', { fd: output!, autoClose: false, highWaterMark: 4 << 20 });
            finished = new Promise<void>((resolve, reject) => {
              made.on('finish', resolve);
              made.on('error', reject);
            });
            return made;
          };
          // Write-back is started every 64 MiB (fdatasync in the background, one at a time) so
          // the final fsync before the rename has little left to flush.
          let flushedAt = 0;
          let flushing: Promise<void> | undefined;
          for await (const chunk of data) {
            stream ??= start();
            size += chunk.length;
            if (size - flushedAt >= FLUSH_EVERY && !flushing) {
              flushedAt = size;
              flushing = fdatasyncFd(output!).catch(() => undefined).finally(() => (flushing = undefined));
            }
            if (!stream.write(chunk)) await Promise.race([once(stream, "drain"), finished]);
          }
          if (output !== undefined) {
            stream ??= start();
            stream.end();
            await finished;
          }
          await flushing;
        },
      );
    } catch (err) {
      // A garbled plaintext can break a later layer before the MDC at the end is reached; the
      // MDC verdict is the one that explains it (as in openpgp.js), so check it and prefer it.
      if (info?.packet === 'SEIPDv1' && !isStrongroomError(err, 'RYDE_MDC_MISMATCH')) await preferMdcFailure(handles, options, where);
      throw err;
    }
    decodeTask.done();
    if (output === undefined || !tempPath) throw new StrongroomError('RYDE_TAR_INVALID', 'the archive holds no file', { location: where });
    await fsyncFd(output);
    await closeFd(output);
    output = undefined;
    // Step 5: every check passed.
    await publishTemp(tempPath, finalPath);
    tempPath = undefined;
    return {
      deposit: key,
      file: finalPath,
      size,
      parts: count,
      signer,
      recipient: info?.recipient ?? '',
      encryption: info?.packet ?? '',
      compression,
      partsBound: bound === count,
      warnings,
    };
  } finally {
    if (output !== undefined) await closeFd(output).catch(() => undefined);
    if (tempPath) await removeTemp(tempPath);
    for (const handle of handles) await handle.handle.close().catch(() => undefined);
  }
}

/** Unseal every deposit among `files` (.ryde and .sig files, any order). */
export async function unsealFiles(files: readonly string[], options: UnsealOptions): Promise<UnsealResult[]> {
  if (files.length === 0) throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'no .ryde/.sig files given');
  const results: UnsealResult[] = [];
  for (const group of groupDepositFiles(files)) results.push(await unsealDeposit(group, options));
  return results;
}
