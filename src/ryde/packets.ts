/**
 * OpenPGP packet framing (RFC 4880 §4.2, RFC 9580 §4.2): the constants and the two halves every
 * streaming layer shares.
 *
 * - Writing: `frameFixed` for packets whose length is known, `framePartial` for the data packets
 *   whose length is not (compressed, SEIPD) using Partial Body Lengths, which keeps memory at one
 *   chunk whatever the message size.
 * - Reading: `readPacketHeader` accepts both header formats (gpg 2.2 still writes old-format
 *   headers, including the indeterminate length for compressed packets) and `packetBody` yields
 *   a packet's body across partial chunks without ever holding more than one source chunk.
 *
 * Every malformation is a StrongroomError with a specific code and the byte offset.
 */
import { StrongroomError } from '../common/errors.js';
import type { ByteReader } from './byte-reader.js';

/** Packet tags (RFC 9580 §5). */
export const TAG = {
  PKESK: 1,
  SIGNATURE: 2,
  SKESK: 3,
  ONE_PASS_SIGNATURE: 4,
  COMPRESSED: 8,
  SED: 9,
  MARKER: 10,
  LITERAL: 11,
  SEIPD: 18,
  MDC: 19,
  PADDING: 21,
} as const;

/** Symmetric algorithm ids (RFC 9580 §9.3). */
export const SYM = { AES128: 7, AES192: 8, AES256: 9 } as const;
/** AEAD algorithm ids (RFC 9580 §9.6). */
export const AEAD = { EAX: 1, OCB: 2, GCM: 3 } as const;
/** Compression ids (RFC 9580 §9.4). */
export const COMPRESSION = { NONE: 0, ZIP: 1, ZLIB: 2, BZIP2: 3 } as const;
/** Hash ids (RFC 9580 §9.5) with their node:crypto names. */
export const HASH = { SHA256: 8, SHA384: 9, SHA512: 10, SHA224: 11 } as const;
export const HASH_NAMES: Readonly<Record<number, string>> = { 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };
/** Public-key algorithm ids (RFC 9580 §9.1). */
export const PK = { RSA: 1, RSA_ENCRYPT: 2, RSA_SIGN: 3, ELGAMAL: 16, DSA: 17, ECDH: 18, ECDSA: 19, EDDSA_LEGACY: 22, X25519: 25, X448: 26, ED25519: 27, ED448: 28 } as const;

export const SYM_KEY_SIZE: Readonly<Record<number, number>> = { 7: 16, 8: 24, 9: 32 };
export const SYM_CIPHER_NAME: Readonly<Record<number, string>> = { 7: 'aes-128', 8: 'aes-192', 9: 'aes-256' };

/**
 * The Partial Body Length chunk we write: 2^20 bytes (RFC 9580 §4.2.1.4 allows 2^0..2^30). Large
 * chunks mean few pieces for every reader layer to pass along (gpg itself writes 8 KiB ones).
 */
export const PARTIAL_CHUNK_LOG2 = 20;

export function malformed(message: string, position: number, where: string): StrongroomError {
  return new StrongroomError('RYDE_PACKET_MALFORMED', message, { location: `${where} at byte ${position}` });
}

export function truncated(what: string, position: number, where: string): StrongroomError {
  return new StrongroomError('RYDE_TRUNCATED', `${what} ends early`, { location: `${where} at byte ${position}` });
}

/** Encode a new-format body length (RFC 9580 §4.2.1.1–3). */
export function encodeLength(length: number): Buffer {
  if (length < 192) return Buffer.from([length]);
  if (length < 8384) {
    const v = length - 192;
    return Buffer.from([(v >> 8) + 192, v & 0xff]);
  }
  const out = Buffer.alloc(5);
  out[0] = 0xff;
  out.writeUInt32BE(length, 1);
  return out;
}

/** A whole packet with a known body: new-format header + body. */
export function frameFixed(tag: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xc0 | tag]), encodeLength(body.length), body]);
}

/**
 * Frame a streamed body as one packet with Partial Body Lengths: full chunks of
 * 2^PARTIAL_CHUNK_LOG2 bytes, then a final chunk with an ordinary length (possibly zero).
 * The first chunk is ≥ 512 bytes as RFC 9580 §4.2.1.4 requires, because a body shorter than a
 * full chunk is written with an ordinary length.
 */
export async function* framePartial(tag: number, body: AsyncIterable<Buffer>, chunkLog2 = PARTIAL_CHUNK_LOG2): AsyncGenerator<Buffer> {
  const chunkSize = 2 ** chunkLog2;
  const partialOctet = Buffer.from([0xe0 | chunkLog2]);
  yield Buffer.from([0xc0 | tag]);
  let pending: Buffer[] = [];
  let pendingLength = 0;
  for await (const piece of body) {
    let data = piece;
    while (data.length > 0) {
      if (pendingLength === 0 && data.length >= chunkSize) {
        // Fast path: whole chunks straight from the input, no copy.
        yield partialOctet;
        yield data.subarray(0, chunkSize);
        data = data.subarray(chunkSize);
        continue;
      }
      const used = Math.min(chunkSize - pendingLength, data.length);
      pending.push(data.subarray(0, used));
      pendingLength += used;
      data = data.subarray(used);
      if (pendingLength === chunkSize) {
        yield partialOctet;
        yield Buffer.concat(pending, chunkSize);
        pending = [];
        pendingLength = 0;
      }
    }
  }
  yield encodeLength(pendingLength);
  if (pendingLength > 0) yield Buffer.concat(pending, pendingLength);
}

export type BodyLength = { kind: 'fixed'; length: number } | { kind: 'partial'; length: number } | { kind: 'indeterminate' };

export interface PacketHeader {
  tag: number;
  /** True for the new (RFC 4880 §4.2.2) format. */
  newFormat: boolean;
  body: BodyLength;
  /** Offset of the header's first byte. */
  offset: number;
}

/** The data packets: the only ones that may use partial or indeterminate lengths. */
const STREAMABLE = new Set<number>([TAG.LITERAL, TAG.COMPRESSED, TAG.SED, TAG.SEIPD]);

async function readNewLength(reader: ByteReader, where: string): Promise<Exclude<BodyLength, { kind: 'indeterminate' }>> {
  const first = await reader.readByte();
  if (first === null) throw truncated('packet length', reader.position, where);
  if (first < 192) return { kind: 'fixed', length: first };
  if (first < 224) {
    const second = await reader.readByte();
    if (second === null) throw truncated('packet length', reader.position, where);
    return { kind: 'fixed', length: ((first - 192) << 8) + second + 192 };
  }
  if (first === 255) {
    const bytes = await reader.readExact(4);
    if (bytes === null) throw truncated('packet length', reader.position, where);
    return { kind: 'fixed', length: bytes.readUInt32BE(0) };
  }
  return { kind: 'partial', length: 2 ** (first & 0x1f) };
}

/** The packet tag a header's first octet announces (either format). */
export function packetTagOf(ctb: number): number {
  return ctb & 0x40 ? ctb & 0x3f : (ctb >> 2) & 0x0f;
}

/** The next packet header, or null at a clean end of input. */
export async function readPacketHeader(reader: ByteReader, where: string): Promise<PacketHeader | null> {
  const offset = reader.position;
  const ctb = await reader.readByte();
  if (ctb === null) return null;
  if ((ctb & 0x80) === 0) throw malformed(`not an OpenPGP packet header (0x${ctb.toString(16).padStart(2, '0')})`, offset, where);
  if (ctb & 0x40) {
    const tag = ctb & 0x3f;
    const body = await readNewLength(reader, where);
    if (body.kind === 'partial' && !STREAMABLE.has(tag)) throw malformed(`packet tag ${tag} may not use partial body lengths`, offset, where);
    return { tag, newFormat: true, body, offset };
  }
  const tag = (ctb >> 2) & 0x0f;
  const lengthType = ctb & 0x03;
  if (lengthType === 3) {
    if (!STREAMABLE.has(tag)) throw malformed(`packet tag ${tag} may not use an indeterminate length`, offset, where);
    return { tag, newFormat: false, body: { kind: 'indeterminate' }, offset };
  }
  const size = [1, 2, 4][lengthType]!;
  const bytes = await reader.readExact(size);
  if (bytes === null) throw truncated('packet length', reader.position, where);
  const length = size === 1 ? bytes[0]! : size === 2 ? bytes.readUInt16BE(0) : bytes.readUInt32BE(0);
  return { tag, newFormat: false, body: { kind: 'fixed', length }, offset };
}

/**
 * The body of the packet whose header was just read, as chunks of at most `maxChunk` bytes.
 * The caller must consume it completely before reading the next header.
 */
export async function* packetBody(reader: ByteReader, header: PacketHeader, where: string, maxChunk = 1 << 20): AsyncGenerator<Buffer> {
  if (header.body.kind === 'indeterminate') {
    for (;;) {
      const chunk = await reader.readSome(maxChunk);
      if (chunk === null) return;
      yield chunk;
    }
  }
  let current: Exclude<BodyLength, { kind: 'indeterminate' }> = header.body;
  for (;;) {
    let remaining = current.length;
    while (remaining > 0) {
      const chunk = await reader.readSome(Math.min(remaining, maxChunk));
      if (chunk === null) throw truncated(`packet (tag ${header.tag}) body`, reader.position, where);
      remaining -= chunk.length;
      yield chunk;
    }
    if (current.kind === 'fixed') return;
    current = await readNewLength(reader, where);
  }
}

/** A whole (small) packet body in memory, refusing bodies larger than `limit`. */
export async function readSmallBody(reader: ByteReader, header: PacketHeader, where: string, limit = 1 << 20): Promise<Buffer> {
  if (header.body.kind !== 'fixed') throw malformed(`packet tag ${header.tag} must have a fixed length`, header.offset, where);
  if (header.body.length > limit) throw malformed(`packet tag ${header.tag} is implausibly large (${header.body.length} bytes)`, header.offset, where);
  const body = await reader.readExact(header.body.length);
  if (body === null) throw truncated(`packet (tag ${header.tag})`, reader.position, where);
  return body;
}

/** Encode an unsigned big-endian integer as an MPI (RFC 9580 §3.2): bit count + minimal bytes. */
export function encodeMpi(value: Buffer): Buffer {
  let start = 0;
  while (start < value.length && value[start] === 0) start++;
  const bytes = value.subarray(start);
  const bits = bytes.length === 0 ? 0 : (bytes.length - 1) * 8 + (32 - Math.clz32(bytes[0]!));
  const header = Buffer.alloc(2);
  header.writeUInt16BE(bits, 0);
  return Buffer.concat([header, bytes]);
}

/**
 * Decode an MPI at `offset` strictly: the bit count must be exactly the value's bit length (no
 * leading zero bits), so no two encodings of one value exist and a flipped length bit is caught.
 */
export function decodeMpi(data: Buffer, offset: number): { value: Buffer; next: number } | null {
  if (offset + 2 > data.length) return null;
  const bits = data.readUInt16BE(offset);
  const length = Math.ceil(bits / 8);
  if (offset + 2 + length > data.length) return null;
  const value = data.subarray(offset + 2, offset + 2 + length);
  if (length > 0 && (value[0]! === 0 || (bits - 1) % 8 !== 31 - Math.clz32(value[0]!))) return null;
  return { value, next: offset + 2 + length };
}
