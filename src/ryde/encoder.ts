/**
 * The RyDE encoder: seals one deposit file into Spec 2 processed files and signatures.
 *
 * The order (Spec 2 Part A §4; Nomulus RydeEncoder: "data -> tar -> PgpFile -> compression ->
 * encryption", plus the signatures), each step one module:
 *
 *     deposit bytes (XML, `size` known)
 *       → tar.ts        one ustar entry `<base>.xml`                       (§4 step 2)
 *       → literal.ts    Literal Data packet 'b', `<base>.tar`, watermark date
 *       → compress.ts   Compressed Data packet, ZIP, parallel DEFLATE       (§4 step 3)
 *       → encrypt.ts    PKESK per recipient + SEIPD v1 / SED / SEIPD v2     (§4 step 3)
 *       → split.ts      parts S1..Sn of ≤ splitSize bytes, hashed as written (§4 step 4)
 *       → signature.ts  one detached signature per part, bound to its name  (§4 step 5)
 *                       and position, binary or armoured
 *
 * Everything streams: memory is a few MiB whatever the deposit size. Nothing plaintext is
 * written: the parts and signatures are ciphertext, written under temp names and moved to
 * their final names (never replacing a file) only after the last signature is written; on
 * any failure every temp file is removed (temp.ts covers signals and sweeps after SIGKILL).
 * The output is deterministic apart from the session key, the CFB prefix / AEAD salt, v6
 * signature salts and signature times.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StrongroomError } from '../common/errors.js';
import { type Progress, progressOrNoop } from '../common/progress.js';
import { openCompressor } from './compress.js';
import { openEncryptor } from './encrypt.js';
import type { RecipientKey, SigningKey } from './keys.js';
import { openLiteralWriter } from './literal.js';
import { type DepositName, depositKey, formatDepositName, nameDate, parseDepositName } from './naming.js';
import { NO_MDC_WARNING, type Profile } from './profiles.js';
import { PART_NOTATION, finishSignature } from './signature.js';
import { writeParts } from './split.js';
import { openTarWriter } from './tar.js';
import { publishTemp, removeTemp, sweepStaleTemps, tempPathFor } from './temp.js';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface SealOptions {
  outDir: string;
  signingKey: SigningKey;
  recipients: readonly RecipientKey[];
  profile: Profile;
  /** The escrow agent's file size limit in bytes: larger messages are split. */
  splitSize?: number;
  /** ASCII-armoured signatures (for ICANN's test system); binary by default (Spec 2 §4 step 5). */
  armorSignatures?: boolean;
  /** DEFLATE level 1–9 (default 6). */
  compressionLevel?: number;
  progress?: Progress;
  /** Signature creation time (default: now). */
  signedAt?: Date;
}

export interface SealInput {
  /** The deposit's Spec 2 name (the part number is ignored). */
  name: DepositName;
  /** Exact byte length of the deposit XML (the tar header needs it first). */
  size: number;
  /** The deposit XML bytes. */
  source: AsyncIterable<Buffer> | Iterable<Buffer> | (() => AsyncIterable<Buffer> | Iterable<Buffer>);
}

export interface SealedPart {
  part: number;
  ryde: string;
  sig: string;
  size: number;
  sha256: string;
}

export interface SealResult {
  deposit: string;
  profile: string;
  plaintextSize: number;
  sealedSize: number;
  signer: string;
  recipients: string[];
  parts: SealedPart[];
  warnings: string[];
}

async function* counted(source: AsyncIterable<Buffer> | Iterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** Seal one deposit (library entry point for `strongroom seal` and `deposit --seal`). */
export async function sealDeposit(input: SealInput, options: SealOptions): Promise<SealResult> {
  const progress = progressOrNoop(options.progress);
  const warnings: string[] = [];
  if (options.profile.encryption === 0) {
    warnings.push(NO_MDC_WARNING);
    progress.warn(NO_MDC_WARNING);
  }
  if (options.signingKey.version !== options.profile.keyVersion) {
    throw new StrongroomError('KEY_PROFILE_MISMATCH', `profile ${options.profile.name} needs a v${options.profile.keyVersion} signing key; ${options.signingKey.fingerprint} is v${options.signingKey.version}`);
  }
  for (const recipient of options.recipients) {
    if (recipient.version !== options.profile.keyVersion) {
      throw new StrongroomError('KEY_PROFILE_MISMATCH', `profile ${options.profile.name} needs v${options.profile.keyVersion} recipient keys; ${recipient.fingerprint} is v${recipient.version}`);
    }
  }
  if (!Number.isSafeInteger(input.size) || input.size < 0) throw new StrongroomError('RYDE_INVALID_ARGUMENT', `invalid deposit size ${input.size}`);
  const name: DepositName = { ...input.name, part: 1 };
  await mkdir(options.outDir, { recursive: true });
  sweepStaleTemps(options.outDir);
  for (const ext of ['ryde', 'sig'] as const) {
    const existing = join(options.outDir, formatDepositName(name, ext));
    // Checked again, atomically, when each file is published (temp.ts publishTemp).
    if (existsSync(existing)) throw new StrongroomError('RYDE_TARGET_EXISTS', `${existing} already exists; a resend needs the next revision (R${name.rev + 1})`, { location: existing });
  }
  const xmlName = formatDepositName(name, 'xml');
  const tarName = formatDepositName(name, 'tar');
  const date = nameDate(name);
  const source = typeof input.source === 'function' ? input.source() : input.source;
  const plainTask = progress.task(`seal ${depositKey(name)}`, 'bytes', input.size);

  const parts = await (async () => {
    let collected: Awaited<ReturnType<typeof writeParts>> | undefined;
    await pipeline(
      counted(source, (n) => plainTask.add(n)),
      openTarWriter({ name: xmlName, size: input.size, mtime: date }),
      openLiteralWriter({ fileName: tarName, date }),
      openCompressor({ ...(options.compressionLevel !== undefined ? { level: options.compressionLevel } : {}) }),
      openEncryptor({ profile: options.profile, recipients: options.recipients }),
      async (message: AsyncIterable<Buffer>) => {
        collected = await writeParts(message, {
          outDir: options.outDir,
          name,
          ...(options.splitSize !== undefined ? { splitSize: options.splitSize } : {}),
          signatureVersion: options.signingKey.version,
        });
      },
    );
    plainTask.done();
    return collected!;
  })();

  const signedAt = options.signedAt ?? new Date();
  const sealId = randomBytes(16).toString('hex');
  const signatures: Array<{ temp: string; final: string }> = [];
  try {
    for (const part of parts) {
      const sigName = formatDepositName({ ...name, part: part.part }, 'sig');
      const final = join(options.outDir, sigName);
      const temp = tempPathFor(final);
      signatures.push({ temp, final });
      const signature = finishSignature(part.signatureHash, options.signingKey, {
        created: signedAt,
        notations: [{ name: PART_NOTATION, value: `${part.fileName} ${part.part}/${parts.length} ${sealId}` }],
        ...(options.armorSignatures ? { armored: true } : {}),
      });
      await writeFile(temp, signature, { flag: 'wx', mode: 0o644 });
    }
    // Parts first, signatures last: a watcher that waits for the .sig finds a complete part.
    for (const part of parts) await publishTemp(part.tempPath, part.finalPath);
    for (const signature of signatures) await publishTemp(signature.temp, signature.final);
  } catch (err) {
    for (const part of parts) await removeTemp(part.tempPath);
    for (const signature of signatures) await removeTemp(signature.temp);
    throw err;
  }
  return {
    deposit: depositKey(name),
    profile: options.profile.name,
    plaintextSize: input.size,
    sealedSize: parts.reduce((sum, part) => sum + part.size, 0),
    signer: options.signingKey.fingerprint,
    recipients: options.recipients.map((recipient) => recipient.fingerprint),
    parts: parts.map((part, index) => ({ part: part.part, ryde: part.finalPath, sig: signatures[index]!.final, size: part.size, sha256: part.sha256 })),
    warnings,
  };
}

/** Seal a deposit XML file named `{tld}_{date}_{type}_S1_R{rev}.xml`. */
export async function sealFile(path: string, options: SealOptions): Promise<SealResult> {
  const parsed = parseDepositName(basename(path));
  if (parsed.ext !== 'xml') throw new StrongroomError('RYDE_NAME_INVALID', `${basename(path)}: a deposit file to seal ends in .xml`, { location: path });
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    throw new StrongroomError('FILE_NOT_FOUND', `cannot read ${path}`, { location: path });
  }
  return sealDeposit({ name: parsed, size, source: () => createReadStream(path, { highWaterMark: 1 << 20 }) }, options);
}

