/**
 * The container stages, Spec 2 Part A §8 steps 1–3:
 *
 *   signature  every part's detached signature parsed, issued by the registry key pinned for
 *              the TLD, and verified over the part's bytes (block digests recorded so the
 *              decode pass reads exactly the verified bytes); part bindings checked.
 *   decode     parts joined → decrypted → decompressed → literal packet → safe untar
 *              (tar.ts: one regular file named `<deposit>.xml`, no paths, no links, at most
 *              MAX_TAR_HEADERS headers) with limits on the XML size and the compression ratio,
 *              into the encrypted spool (spool.ts): the XML stages re-read it from there, so
 *              decrypted registry data never reaches the disk in clear.
 */
import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { StrongroomError, isStrongroomError, messageOf } from '../../common/errors.js';
import { openDecompressor } from '../../ryde/compress.js';
import { checkBinding } from '../../ryde/decoder.js';
import { openDecryptor } from '../../ryde/encrypt.js';
import { openLiteralReader } from '../../ryde/literal.js';
import { depositKey, formatDepositName, parseDepositName } from '../../ryde/naming.js';
import { issuerOf, parseSignature, verificationHash, verifySignature, type ParsedSignature } from '../../ryde/signature.js';
import { openEncryptedSpool, type EncryptedSpool } from '../../ryde/spool.js';
import { hashPart, openPart, readVerifiedParts, type PartHandle } from '../../ryde/split.js';
import { openTarReader } from '../../ryde/tar.js';
import type { CheckStage, StageFinding, VerifyContext } from './stage.js';

/** ICANN RST error names (rst-test-specs inc/rde/errors.yaml) for the RyDE failures they cover. */
export function rstCodeFor(code: string): string {
  if (code.startsWith('RYDE_SIGNATURE_')) return 'RDE_INVALID_SIGNATURE'; // rde-02
  if (['RYDE_NOT_A_RECIPIENT', 'RYDE_SESSION_KEY_FAILED', 'RYDE_MDC_MISMATCH', 'RYDE_AEAD_FAILED', 'RYDE_PROFILE_VIOLATION'].includes(code)) return 'RDE_DECRYPTION_FAILED'; // rde-03
  if (code === 'RYDE_PART_MISSING') return 'RDE_MISSING_FILES'; // rde-04
  if (code === 'RYDE_NAME_INVALID') return 'RDE_INVALID_FILENAME'; // rde-01
  return code;
}

export function findingFromError(err: unknown, fallbackLocation?: string): StageFinding {
  if (isStrongroomError(err)) {
    return { code: rstCodeFor(err.code), severity: 'error', location: err.location ?? fallbackLocation, message: `${err.code}: ${err.message}` };
  }
  return { code: 'AGENT_CHECK_CRASHED', severity: 'error', location: fallbackLocation, message: messageOf(err) };
}

/** Errors that are a verdict on the deposit (FAIL), not a failure to check it (ERROR). */
export function isVerdict(err: unknown): boolean {
  return isStrongroomError(err) && (err.category === 'integrity' || err.category === 'input');
}

/** Per-verification resources the container stages open and the runner closes. */
export interface ContainerState {
  handles: PartHandle[];
  spool?: EncryptedSpool;
}

export function signatureStage(state: ContainerState): CheckStage {
  return {
    id: 'signature',
    title: 'Signature of every part (Spec 2 Part A §8 step 1)',
    kind: 'container',
    needs: [],
    async run(ctx, emit) {
      const { input } = ctx;
      const count = input.parts.length;
      const signatures: Array<ParsedSignature | undefined> = [];
      let ok = true;
      for (const part of input.parts) {
        const where = formatDepositName({ ...input.name, part: part.part }, 'sig');
        try {
          const data = await readFile(part.sig).catch((err: unknown) => {
            throw new StrongroomError('FILE_NOT_FOUND', `cannot read ${where}: ${messageOf(err)}`, { location: where });
          });
          const signature = await parseSignature(data, where);
          issuerOf(signature, ctx.verificationKeys, where);
          signatures.push(signature);
        } catch (err) {
          ok = false;
          signatures.push(undefined);
          emit({ ...findingFromError(err, where), object: input.key });
        }
      }
      const sealedTask = ctx.progress.task(`verify signatures of ${input.key}`, 'bytes');
      let signer: string | undefined;
      for (const [index, part] of input.parts.entries()) {
        const handle = await openPart(part.ryde);
        state.handles.push(handle);
        const signature = signatures[index];
        if (!signature) continue;
        const where = formatDepositName({ ...input.name, part: part.part }, 'ryde');
        try {
          const hash = verificationHash(signature);
          await hashPart(handle, hash, (n) => sealedTask.add(n));
          signer = verifySignature(signature, hash, ctx.verificationKeys, where, ctx.now).fingerprint;
        } catch (err) {
          ok = false;
          signatures[index] = undefined;
          emit({ ...findingFromError(err, where), object: input.key });
        }
      }
      sealedTask.done();
      if (!ok) return;
      // The notations are authenticated now: each part must be where its signature says.
      let bound = 0;
      const sealIds = new Set<string>();
      for (const part of input.parts) {
        try {
          const sealId = checkBinding(signatures[part.part - 1]!, input.name, part.part, count, formatDepositName({ ...input.name, part: part.part }, 'sig'));
          if (sealId !== undefined) {
            bound++;
            sealIds.add(sealId);
          }
        } catch (err) {
          ok = false;
          emit({ ...findingFromError(err), object: input.key });
        }
      }
      if ((bound !== 0 && bound !== count) || sealIds.size > 1) {
        ok = false;
        emit({ code: 'RYDE_PART_FOREIGN', severity: 'error', object: input.key, message: 'the parts come from different seals (their signatures name different seal IDs)' });
      }
      if (ok && bound === 0 && count > 1) {
        emit({ code: 'AGENT_PARTS_UNBOUND', severity: 'warning', object: input.key, message: 'the signatures do not name their parts (not sealed by Strongroom): part order rests on the file names' });
      }
      ctx.facts.signer = signer;
      ctx.facts.sealedBytes = state.handles.reduce((sum, handle) => sum + handle.size, 0);
      ctx.signaturesOk = ok;
    },
  };
}

/** Counts decompressed bytes against the size and ratio limits. */
function limiter(ctx: VerifyContext, sealedRead: () => number, where: string): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const { maxXmlBytes, maxRatio, ratioGraceBytes } = ctx.limits;
  // The tar wrapping adds a few KiB; the XML limit applies to the archive's content.
  const maxArchive = maxXmlBytes + 64 * 1024;
  return async function* limit(source) {
    let out = 0;
    for await (const chunk of source) {
      out += chunk.length;
      if (out > maxArchive) throw new StrongroomError('AGENT_LIMIT_EXCEEDED', `the decompressed deposit exceeds the limit of ${maxXmlBytes} bytes`, { location: where });
      if (out > ratioGraceBytes && out > maxRatio * Math.max(1, sealedRead())) {
        throw new StrongroomError('AGENT_LIMIT_EXCEEDED', `the deposit decompresses more than ${maxRatio} times its sealed size (compression bomb?)`, { location: where });
      }
      yield chunk;
    }
  };
}

/**
 * The decode pipeline of a deposit whose signatures were verified (`state.handles` hold the
 * verified block digests): parts joined → decrypted → decompressed → literal packet → safe
 * untar, with the size and ratio limits. Yields the deposit XML's bytes, in memory only; the
 * stream is authenticated when it ends (MDC/AEAD): a consumer must not trust what it read
 * before the end. Facts go to `ctx.facts`; a message without MDC is reported through `emit`.
 */
export function decodedXml(ctx: VerifyContext, state: ContainerState, emit: (finding: StageFinding) => void, onSealed?: (n: number) => void): AsyncGenerator<Buffer> {
  const { input } = ctx;
  const where = formatDepositName(input.name, 'ryde');
  let sealedRead = 0;
  const decrypt = openDecryptor({
    where,
    keys: ctx.decryptionKeys,
    ...(ctx.allowNoMdc ? { allowNoMdc: true } : {}),
    onInfo: (info) => {
      ctx.facts.encryption = info.packet;
      ctx.facts.recipient = info.recipient;
      if (info.packet === 'SED') emit({ code: 'AGENT_NO_MDC', severity: 'warning', object: input.key, message: 'the message has no integrity protection (SED, no MDC)' });
    },
  });
  const decompress = openDecompressor({ where, onAlgorithm: (algorithm) => (ctx.facts.compression = algorithm) });
  const limit = limiter(ctx, () => sealedRead, where);
  const literal = openLiteralReader({ where });
  const untar = openTarReader({
    where,
    maxEntrySize: ctx.limits.maxXmlBytes,
    onEntry: (entry) => {
      let ok = false;
      try {
        const parsed = parseDepositName(entry.name);
        ok = parsed.ext === 'xml' && depositKey(parsed) === input.key;
      } catch {
        ok = false;
      }
      if (!ok) throw new StrongroomError('RYDE_TAR_INVALID', `the archive holds "${entry.name}", not this deposit's XML file (${formatDepositName(input.name, 'xml')})`, { location: where });
      ctx.facts.xmlName = entry.name;
    },
  });
  const sealed = readVerifiedParts(state.handles, (n) => {
    sealedRead += n;
    onSealed?.(n);
  });
  return untar(literal(limit(decompress(decrypt(sealed)))));
}

export function decodeStage(state: ContainerState): CheckStage {
  return {
    id: 'decode',
    title: 'Join, decrypt, decompress and safe untar (Spec 2 Part A §8 steps 2-3)',
    kind: 'container',
    needs: ['signatures'],
    async run(ctx, emit) {
      const { input } = ctx;
      const where = formatDepositName(input.name, 'ryde');
      const spool = await openEncryptedSpool();
      state.spool = spool;
      const task = ctx.progress.task(`decrypt ${input.key}`, 'bytes', state.handles.reduce((sum, handle) => sum + handle.size, 0));
      try {
        await pipeline(decodedXml(ctx, state, emit, (n) => task.add(n)), spool.writable);
      } catch (err) {
        task.done();
        if (!isVerdict(err)) throw err;
        emit({ ...findingFromError(err, where), object: input.key });
        return;
      }
      task.done();
      ctx.xmlSize = spool.size;
      ctx.facts.xmlBytes = spool.size;
      ctx.plaintext = () => spool.read();
    },
  };
}
