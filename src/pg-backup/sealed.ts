/**
 * Sealed objects: how every backup artefact (base backup tar, logical dump, WAL segment,
 * history file) is stored at a destination, built from the RyDE layers (src/ryde):
 *
 *     plaintext → zstd → OpenPGP Literal Data ('b', `<name>.zst`) → PKESK(s) + SEIPD
 *       (encrypt.ts: rfc4880 = SEIPD v1 / AES-256 + MDC, rfc9580 = SEIPD v2 / OCB)
 *     `<name>`      the OpenPGP message (binary)
 *     `<name>.sig`  a detached v4/v6 signature over the message bytes (signature.ts), whose
 *                   hashed notation `pg-object@strongroom.invalid` =
 *                   "<name> <plaintext SHA-256> <plaintext size> zstd"
 *                   binds it to the object's name and to the plaintext it must decrypt to.
 *
 * zstd is outside OpenPGP (not one of its compression algorithms), so stock tools open an
 * object too: `gpg --verify x.sig x && gpg -d x | zstd -d`.
 *
 * Writing: the plaintext streams through compression and encryption straight into the
 * transport's atomic put (a directory: temp file, fsync, rename, fsync dir) — nothing
 * plaintext touches the disk. Remote transports get the ciphertext spooled to a local temp
 * file first (so a retrying transport can re-open the body, and SFTP can use its parallel
 * upload); the spool is removed on every exit path. The signature is stored last: an object
 * without its `.sig` is incomplete and is never used.
 *
 * Reading (`openSealed`): signature parsed and its issuer checked; a first pass over the
 * ciphertext verifies the signature before anything is decrypted, recording a SHA-256 per
 * 4 MiB block; the notation must name this object; the second pass releases only blocks whose
 * digest matches, decrypts (MDC / AEAD checked), decompresses, and checks the plaintext's
 * SHA-256 and size against the notation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StrongroomError, isStrongroomError, messageOf } from '../common/errors.js';
import { openDecryptor, openEncryptor } from '../ryde/encrypt.js';
import type { DecryptionKey, RecipientKey, SigningKey, VerificationKey } from '../ryde/keys.js';
import { openLiteralReader, openLiteralWriter } from '../ryde/literal.js';
import type { Profile } from '../ryde/profiles.js';
import { finishSignature, issuerOf, parseSignature, startSignatureHash, verificationHash, verifySignature } from '../ryde/signature.js';
import { blocks } from '../ryde/streams.js';
import type { Transport } from '../transports/transport.js';
import { zstdCompress, zstdDecompress } from './process.js';
import { removeOnAbort } from '../common/exit-cleanup.js';

/** Signature notation binding a sealed object to its name and plaintext. */
export const OBJECT_NOTATION = 'pg-object@strongroom.invalid';
const VERIFY_BLOCK = 4 << 20;
const SIGNATURE_LIMIT = 64 * 1024;

export interface SealKeys {
  signingKey: SigningKey;
  recipients: readonly RecipientKey[];
  profile: Profile;
}

export interface OpenKeys {
  decryptionKeys: readonly DecryptionKey[];
  verificationKeys: readonly VerificationKey[];
}

export interface SealedObject {
  name: string;
  /** Ciphertext size and SHA-256 as stored. */
  size: number;
  sha256: string;
  plaintextSize: number;
  plaintextSha256: string;
  signer: string;
}

export interface PutSealedOptions {
  compressionLevel: number;
  /** Replace an existing object (never used for backups; the WAL helper decides itself). */
  overwrite?: boolean;
  /** Where remote transports spool ciphertext (default: the OS temp dir). */
  spoolDir?: string;
  onPlainBytes?: (n: number) => void;
  signedAt?: Date;
}

async function* measured(source: AsyncIterable<Buffer>, state: { hash: ReturnType<typeof createHash>; size: number }, onBytes?: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    state.hash.update(chunk);
    state.size += chunk.length;
    onBytes?.(chunk.length);
    yield chunk;
  }
}

/** The name in a sealed object's signature and literal packet: relative to the cluster prefix. */
function notationValue(name: string, sha256: string, size: number): string {
  return `${name} ${sha256} ${size} zstd`;
}

/**
 * Seal `source` into `<name>` + `<name>.sig` at `transport`. `boundName` is the name the
 * signature binds (the object's name relative to the cluster prefix).
 */
export async function putSealed(transport: Transport, name: string, boundName: string, source: AsyncIterable<Buffer>, keys: SealKeys, options: PutSealedOptions): Promise<SealedObject> {
  const plain = { hash: createHash('sha256'), size: 0 };
  const cipher = { hash: createHash('sha256'), size: 0 };
  const signatureHash = startSignatureHash(keys.signingKey.version);
  const message = async function* (): AsyncGenerator<Buffer> {
    const stages = [zstdCompress(options.compressionLevel), openLiteralWriter({ fileName: `${basename(boundName)}.zst`, date: new Date(0) }), openEncryptor({ profile: keys.profile, recipients: keys.recipients })];
    let stream: AsyncIterable<Buffer> = measured(source, plain, options.onPlainBytes);
    for (const stage of stages) stream = stage(stream);
    for await (const chunk of stream) {
      cipher.hash.update(chunk);
      signatureHash.hash.update(chunk);
      cipher.size += chunk.length;
      yield chunk;
    }
  };
  let spool: string | undefined;
  let releaseSpool = (): void => undefined;
  try {
    let opened = false;
    if (transport.kind === 'directory') {
      await transport.put(name, {
        open: () => {
          if (opened) throw new StrongroomError('TRANSPORT_IO', `${name}: a streamed backup cannot be sent twice`, { data: { retryable: false } });
          opened = true;
          return Readable.from(message());
        },
      }, options.overwrite ? { overwrite: true } : {});
    } else {
      spool = await mkdtemp(join(options.spoolDir ?? tmpdir(), 'strongroom-pg-spool-'));
      releaseSpool = removeOnAbort(spool);
      const path = join(spool, 'object.pgp');
      await pipeline(Readable.from(message()), createWriteStream(path, { flags: 'wx', mode: 0o600 }));
      await transport.put(name, { open: () => createReadStream(path), path, size: cipher.size, sha256: cipher.hash.copy().digest('hex') }, options.overwrite ? { overwrite: true } : {});
    }
    const plaintextSha256 = plain.hash.digest('hex');
    const signature = finishSignature(signatureHash, keys.signingKey, {
      created: options.signedAt ?? new Date(),
      notations: [{ name: OBJECT_NOTATION, value: notationValue(boundName, plaintextSha256, plain.size) }],
    });
    await transport.put(`${name}.sig`, { open: () => Readable.from([signature]), size: signature.length }, { overwrite: true });
    return { name, size: cipher.size, sha256: cipher.hash.digest('hex'), plaintextSize: plain.size, plaintextSha256, signer: keys.signingKey.fingerprint };
  } catch (err) {
    if (!isStrongroomError(err, 'TRANSPORT_EXISTS')) await transport.remove(name).catch(() => undefined);
    throw err;
  } finally {
    if (spool) await rm(spool, { recursive: true, force: true });
    releaseSpool();
  }
}

export async function readSmallObject(transport: Transport, name: string, limit: number): Promise<Buffer> {
  const stream = await transport.get(name);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} is larger than ${limit} bytes`, { location: name });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export interface VerifiedSeal {
  signer: string;
  signedAt: Date;
  plaintextSha256: string;
  plaintextSize: number;
  size: number;
  encoding: 'zstd' | 'plain';
}

/** Pass 1: check the signature over the stored ciphertext. Returns the block digests for pass 2. */
async function verifyPass(transport: Transport, name: string, boundName: string, keys: OpenKeys, now: Date): Promise<{ seal: VerifiedSeal; digests: Buffer[] }> {
  let sigBytes: Buffer;
  try {
    sigBytes = await readSmallObject(transport, `${name}.sig`, SIGNATURE_LIMIT);
  } catch (err) {
    if (isStrongroomError(err, 'TRANSPORT_NOT_FOUND')) throw new StrongroomError('PG_OBJECT_INCOMPLETE', `${name} has no signature (.sig): incomplete or tampered`, { location: name });
    throw err;
  }
  const signature = await parseSignature(sigBytes, `${name}.sig`);
  issuerOf(signature, keys.verificationKeys, `${name}.sig`);
  const hash = verificationHash(signature);
  const digests: Buffer[] = [];
  let size = 0;
  for await (const block of blocks(await transport.get(name), VERIFY_BLOCK)) {
    hash.update(block);
    digests.push(createHash('sha256').update(block).digest());
    size += block.length;
  }
  const key = verifySignature(signature, hash, keys.verificationKeys, `${name}.sig`, now);
  const notation = signature.notations.get(OBJECT_NOTATION);
  const match = notation ? /^(\S+) ([0-9a-f]{64}) (\d+) (zstd|plain)$/.exec(notation) : null;
  if (!match) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name}: the signature does not describe a Strongroom backup object`, { location: `${name}.sig` });
  if (match[1] !== boundName) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} holds the object signed as ${match[1]}: renamed or moved`, { location: name });
  return { seal: { signer: key.fingerprint, signedAt: signature.created, plaintextSha256: match[2]!, plaintextSize: Number(match[3]), size, encoding: match[4] as 'zstd' | 'plain' }, digests };
}

/** Only verify an object's signature and binding (no decryption key needed). */
export async function verifySealed(transport: Transport, name: string, boundName: string, verificationKeys: readonly VerificationKey[], now = new Date()): Promise<VerifiedSeal> {
  return (await verifyPass(transport, name, boundName, { decryptionKeys: [], verificationKeys }, now)).seal;
}

/**
 * Open a sealed object: the verified plaintext. The stream throws (and the consumer must discard
 * what it wrote) when anything does not check out, at the latest at its end.
 */
export async function openSealed(transport: Transport, name: string, boundName: string, keys: OpenKeys, onVerified?: (seal: VerifiedSeal) => void, now = new Date()): Promise<AsyncGenerator<Buffer>> {
  const { seal, digests } = await verifyPass(transport, name, boundName, keys, now);
  if (seal.encoding !== 'zstd') throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} is signed as a clear-text object, not a sealed one`, { location: name });
  onVerified?.(seal);
  const where = name;
  const verifiedBlocks = async function* (): AsyncGenerator<Buffer> {
    let index = 0;
    for await (const block of blocks(await transport.get(name), VERIFY_BLOCK)) {
      const expected = digests[index];
      if (!expected || !createHash('sha256').update(block).digest().equals(expected)) {
        throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} changed after its signature was verified (block ${index})`, { location: name });
      }
      index++;
      yield block;
    }
    if (index !== digests.length) throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} changed after its signature was verified`, { location: name });
  };
  return (async function* plaintext() {
    const hash = createHash('sha256');
    let size = 0;
    let stream: AsyncIterable<Buffer> = verifiedBlocks();
    stream = openDecryptor({ where, keys: keys.decryptionKeys })(stream);
    stream = openLiteralReader({ where })(stream);
    stream = zstdDecompress()(stream);
    try {
      for await (const chunk of stream) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    } catch (err) {
      if (err instanceof StrongroomError) throw err;
      throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name}: ${messageOf(err)}`, { location: name, cause: err });
    }
    const sha256 = hash.digest('hex');
    if (size !== seal.plaintextSize || sha256 !== seal.plaintextSha256) {
      throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} decrypted to ${size} bytes with SHA-256 ${sha256}, but was signed as ${seal.plaintextSize} bytes with ${seal.plaintextSha256}`, { location: name });
    }
  })();
}

/**
 * Store a small clear-text object (a manifest, a timeline history file, a drill report) with
 * its detached signature (notation "<name> <SHA-256> <size> plain"). These hold no registry
 * data: relation file names, sizes, LSNs, timings.
 */
export async function putSigned(transport: Transport, name: string, boundName: string, data: Buffer, signingKey: SigningKey, options: { overwrite?: boolean; signedAt?: Date } = {}): Promise<SealedObject> {
  const sha256 = createHash('sha256').update(data).digest('hex');
  const state = startSignatureHash(signingKey.version);
  state.hash.update(data);
  const signature = finishSignature(state, signingKey, { created: options.signedAt ?? new Date(), notations: [{ name: OBJECT_NOTATION, value: `${boundName} ${sha256} ${data.length} plain` }] });
  await transport.put(name, { open: () => Readable.from([data]), size: data.length, sha256 }, options.overwrite ? { overwrite: true } : {});
  try {
    await transport.put(`${name}.sig`, { open: () => Readable.from([signature]), size: signature.length }, { overwrite: true });
  } catch (err) {
    await transport.remove(name).catch(() => undefined);
    throw err;
  }
  return { name, size: data.length, sha256, plaintextSize: data.length, plaintextSha256: sha256, signer: signingKey.fingerprint };
}

/** Read a small clear-text object after checking its signature and binding. */
export async function readSigned(transport: Transport, name: string, boundName: string, verificationKeys: readonly VerificationKey[], limit = 256 << 20, now = new Date()): Promise<{ data: Buffer; seal: VerifiedSeal }> {
  const { seal } = await verifyPass(transport, name, boundName, { decryptionKeys: [], verificationKeys }, now);
  if (seal.encoding !== 'plain') throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} is a sealed object, not a clear-text one`, { location: name });
  const data = await readSmallObject(transport, name, limit);
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== seal.plaintextSha256 || data.length !== seal.plaintextSize) {
    throw new StrongroomError('PG_BACKUP_INTEGRITY', `${name} changed after its signature was verified`, { location: name });
  }
  return { data, seal };
}

/** A random, sortable-enough suffix for temp names. */
export function randomSuffix(): string {
  return randomBytes(6).toString('hex');
}
