/**
 * RyDE layer 4: encryption to the escrow agent's key(s) (Spec 2 Part A §4 step 3).
 *
 * A fresh random session key is encrypted to every recipient in a Public-Key Encrypted Session
 * Key packet (openpgp.js builds and opens those: RSA, ECDH and X25519 key wrapping is its job),
 * then the compressed packet is encrypted, streaming, with node:crypto (AES-NI, native code):
 *
 * - SEIPD v1 (RFC 4880 §5.13; profile rfc4880): AES-CFB with a zero IV over
 *   prefix(16 random bytes + 2 repeated) ‖ data ‖ MDC packet (0xD3 0x14 ‖ SHA-1 of everything
 *   before it, RFC 4880 §5.14). PKESK v3.
 * - SED (RFC 4880 §5.7; profile rfc4880-no-mdc): OpenPGP CFB with the resynchronisation after
 *   the 18-byte prefix (RFC 4880 §13.9), no MDC. PKESK v3.
 * - SEIPD v2 (RFC 9580 §5.13.2; profile rfc9580): HKDF-SHA256(session key, 32-byte salt,
 *   info = 0xD2 ‖ 2 ‖ cipher ‖ aead ‖ chunk octet) gives the message key and nonce prefix;
 *   each 2^(c+6)-byte chunk is sealed with AES-OCB (nonce = prefix ‖ chunk index), and a final
 *   tag over the empty string with the total length as extra associated data ends the packet.
 *   PKESK v6.
 *
 * Decryption never releases unauthenticated plaintext of SEIPD v2 (each chunk is yielded
 * after its tag checked). For SEIPD v1 the MDC is only known at the end; the decoder
 * therefore verifies the registry's signatures over every byte first (decoder.ts), and the
 * MDC mismatch, if any, still fails the whole run before the output is renamed into place.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, type CipherGCM, type DecipherGCM } from 'node:crypto';
import * as openpgp from 'openpgp';
import { StrongroomError, messageOf } from '../common/errors.js';
import { ByteReader } from './byte-reader.js';
import type { DecryptionKey, RecipientKey } from './keys.js';
import { AEAD, SYM_CIPHER_NAME, SYM_KEY_SIZE, TAG, frameFixed, framePartial, malformed, packetBody, readPacketHeader, readSmallBody, truncated } from './packets.js';
import type { Profile } from './profiles.js';
import { blocks } from './streams.js';

const BLOCK_SIZE = 16;
const MDC_LENGTH = 22;
const AEAD_TAG_LENGTH = 16;
const AEAD_NONCE_LENGTH: Readonly<Record<number, number>> = { [AEAD.OCB]: 15, [AEAD.GCM]: 12 };
const AEAD_MODE_NAME: Readonly<Record<number, string>> = { [AEAD.OCB]: 'ocb', [AEAD.GCM]: 'gcm' };

// openpgp.js' PKESK packet has `fromObject`, `encrypt`, `decrypt` and fields its typings mark private.
interface PkeskPacket {
  version: number;
  publicKeyID: openpgp.KeyID & { isWildcard(): boolean };
  publicKeyFingerprint: Uint8Array | null;
  sessionKey: Uint8Array | null;
  sessionKeyAlgorithm: number | null;
  encrypt(key: unknown): Promise<void>;
  decrypt(key: unknown): Promise<void>;
  read(bytes: Uint8Array): void;
  write(): Uint8Array;
}
const Pkesk = openpgp.PublicKeyEncryptedSessionKeyPacket as unknown as {
  new (): PkeskPacket;
  fromObject(options: { version: number; encryptionKeyPacket: unknown; anonymousRecipient: boolean; sessionKey: Uint8Array; sessionKeyAlgorithm: number }): PkeskPacket;
};

async function sessionKeyPackets(profile: Profile, recipients: readonly RecipientKey[], sessionKey: Buffer): Promise<Buffer> {
  if (recipients.length === 0) throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'at least one recipient (escrow agent key) is needed');
  const packets: Buffer[] = [];
  for (const recipient of recipients) {
    const pkesk = Pkesk.fromObject({
      version: profile.encryption === 2 ? 6 : 3,
      encryptionKeyPacket: recipient.keyPacket,
      anonymousRecipient: false,
      sessionKey,
      sessionKeyAlgorithm: profile.cipher,
    });
    try {
      await pkesk.encrypt(recipient.keyPacket);
    } catch (err) {
      throw new StrongroomError('KEY_UNREADABLE', `cannot encrypt to key ${recipient.subkeyFingerprint}: ${messageOf(err)}`, { cause: err });
    }
    packets.push(frameFixed(TAG.PKESK, Buffer.from(pkesk.write())));
  }
  return Buffer.concat(packets);
}

function cfbName(cipher: number): string {
  return `${SYM_CIPHER_NAME[cipher]}-cfb`;
}

async function* seipdV1Body(source: AsyncIterable<Buffer>, cipher: number, key: Buffer): AsyncGenerator<Buffer> {
  const encryptor = createCipheriv(cfbName(cipher), key, Buffer.alloc(BLOCK_SIZE));
  const mdc = createHash('sha1');
  const prefix = randomBytes(BLOCK_SIZE + 2);
  prefix.copy(prefix, BLOCK_SIZE, BLOCK_SIZE - 2, BLOCK_SIZE);
  yield Buffer.from([1]);
  mdc.update(prefix);
  yield encryptor.update(prefix);
  for await (const chunk of source) {
    mdc.update(chunk);
    yield encryptor.update(chunk);
  }
  const mdcHeader = Buffer.from([0xd3, 0x14]);
  mdc.update(mdcHeader);
  yield encryptor.update(Buffer.concat([mdcHeader, mdc.digest()]));
  const rest = encryptor.final();
  if (rest.length > 0) yield rest;
}

async function* sedBody(source: AsyncIterable<Buffer>, cipher: number, key: Buffer): AsyncGenerator<Buffer> {
  const prefix = randomBytes(BLOCK_SIZE + 2);
  prefix.copy(prefix, BLOCK_SIZE, BLOCK_SIZE - 2, BLOCK_SIZE);
  const first = createCipheriv(cfbName(cipher), key, Buffer.alloc(BLOCK_SIZE)).update(prefix);
  yield first;
  // RFC 4880 §13.9 step 7: resynchronise on the last block-size bytes of the ciphertext so far.
  const encryptor = createCipheriv(cfbName(cipher), key, first.subarray(2, BLOCK_SIZE + 2));
  for await (const chunk of source) yield encryptor.update(chunk);
  const rest = encryptor.final();
  if (rest.length > 0) yield rest;
}

interface AeadContext {
  key: Buffer;
  noncePrefix: Buffer;
  info: Buffer;
  modeName: string;
  chunkSize: number;
}

function aeadContext(cipher: number, aead: number, chunkSizeOctet: number, sessionKey: Buffer, salt: Buffer): AeadContext {
  const keySize = SYM_KEY_SIZE[cipher]!;
  const nonceLength = AEAD_NONCE_LENGTH[aead]!;
  const info = Buffer.from([0xc0 | TAG.SEIPD, 2, cipher, aead, chunkSizeOctet]);
  const derived = Buffer.from(hkdfSync('sha256', sessionKey, salt, info, keySize + nonceLength - 8));
  return {
    key: derived.subarray(0, keySize),
    noncePrefix: derived.subarray(keySize),
    info,
    modeName: `${SYM_CIPHER_NAME[cipher]}-${AEAD_MODE_NAME[aead]}`,
    chunkSize: 2 ** (chunkSizeOctet + 6),
  };
}

function nonce(context: AeadContext, index: number): Buffer {
  const out = Buffer.alloc(context.noncePrefix.length + 8);
  context.noncePrefix.copy(out);
  out.writeBigUInt64BE(BigInt(index), context.noncePrefix.length);
  return out;
}

function finalAd(context: AeadContext, total: number): Buffer {
  const out = Buffer.alloc(context.info.length + 8);
  context.info.copy(out);
  out.writeBigUInt64BE(BigInt(total), context.info.length);
  return out;
}

function aeadCipher(context: AeadContext, index: number): CipherGCM {
  return createCipheriv(context.modeName as 'aes-256-gcm', context.key, nonce(context, index), { authTagLength: AEAD_TAG_LENGTH });
}

function aeadDecipher(context: AeadContext, index: number): DecipherGCM {
  return createDecipheriv(context.modeName as 'aes-256-gcm', context.key, nonce(context, index), { authTagLength: AEAD_TAG_LENGTH });
}

async function* seipdV2Body(source: AsyncIterable<Buffer>, profile: Profile, sessionKey: Buffer): AsyncGenerator<Buffer> {
  const salt = randomBytes(32);
  const chunkSizeOctet = profile.chunkSizeOctet!;
  const context = aeadContext(profile.cipher, profile.aead!, chunkSizeOctet, sessionKey, salt);
  yield Buffer.concat([Buffer.from([2, profile.cipher, profile.aead!, chunkSizeOctet]), salt]);
  let index = 0;
  let total = 0;
  const seal = (chunk: Buffer): Buffer => {
    const cipher = aeadCipher(context, index);
    cipher.setAAD(context.info);
    const out = Buffer.concat([cipher.update(chunk), cipher.final(), cipher.getAuthTag()]);
    index++;
    total += chunk.length;
    return out;
  };
  for await (const chunk of blocks(source, context.chunkSize)) yield seal(chunk);
  if (index === 0) yield seal(Buffer.alloc(0)); // RFC 9580 §5.13.2: an empty message still has one chunk.
  const final = aeadCipher(context, index);
  final.setAAD(finalAd(context, total));
  final.final();
  yield final.getAuthTag();
}

export interface EncryptorOptions {
  profile: Profile;
  recipients: readonly RecipientKey[];
}

/** The encryptor: yields PKESK packet(s) then the encrypted data packet. */
export function openEncryptor(options: EncryptorOptions): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const { profile } = options;
  return async function* encryptor(source) {
    const sessionKey = randomBytes(SYM_KEY_SIZE[profile.cipher]!);
    yield await sessionKeyPackets(profile, options.recipients, sessionKey);
    if (profile.encryption === 1) yield* framePartial(TAG.SEIPD, seipdV1Body(source, profile.cipher, sessionKey));
    else if (profile.encryption === 0) yield* framePartial(TAG.SED, sedBody(source, profile.cipher, sessionKey));
    else yield* framePartial(TAG.SEIPD, seipdV2Body(source, profile, sessionKey));
  };
}

export interface DecryptorOptions {
  where: string;
  keys: readonly DecryptionKey[];
  /** Accept a SED packet (no MDC): profile rfc4880-no-mdc only. */
  allowNoMdc?: boolean;
  /** Report what the message used (for the result and profile checks). */
  onInfo?: (info: { packet: 'SED' | 'SEIPDv1' | 'SEIPDv2'; cipher: number; aead?: number; recipient: string }) => void;
}

async function openSessionKey(pkesks: PkeskPacket[], keys: readonly DecryptionKey[], where: string): Promise<{ sessionKey: Buffer; algorithm: number | null; recipient: string }> {
  const candidates = keys.flatMap((key) => key.packets.map((packet) => ({ key, packet })));
  let failure: unknown;
  let matched = false;
  for (const pkesk of pkesks) {
    for (const { key, packet } of candidates) {
      const addressed = pkesk.publicKeyFingerprint
        ? Buffer.from(pkesk.publicKeyFingerprint).equals(packet.fingerprint)
        : pkesk.publicKeyID.isWildcard() || Buffer.from(pkesk.publicKeyID.bytes, 'binary').equals(packet.keyId);
      if (!addressed) continue;
      matched = true;
      try {
        await pkesk.decrypt(packet.packet);
        if (!pkesk.sessionKey) throw new Error('no session key');
        return { sessionKey: Buffer.from(pkesk.sessionKey), algorithm: pkesk.sessionKeyAlgorithm, recipient: key.fingerprint };
      } catch (err) {
        failure = err;
      }
    }
  }
  if (!matched) {
    const ids = pkesks.map((pkesk) => (pkesk.publicKeyFingerprint ? Buffer.from(pkesk.publicKeyFingerprint).toString('hex') : Buffer.from(pkesk.publicKeyID.bytes, 'binary').toString('hex')).toUpperCase());
    throw new StrongroomError('RYDE_NOT_A_RECIPIENT', `the message is encrypted to ${ids.join(', ') || 'no public key'}, not to the given key ${keys.map((key) => key.fingerprint).join(', ')}`, { location: where });
  }
  throw new StrongroomError('RYDE_SESSION_KEY_FAILED', `cannot decrypt the session key: ${messageOf(failure)}`, { location: where, cause: failure });
}

async function* decryptSeipdV1(body: ByteReader, cipher: number, key: Buffer, where: string): AsyncGenerator<Buffer> {
  const decipher = createDecipheriv(cfbName(cipher), key, Buffer.alloc(BLOCK_SIZE));
  const mdc = createHash('sha1');
  const prefixCipher = await body.readExact(BLOCK_SIZE + 2);
  if (prefixCipher === null) throw truncated('the encrypted data', body.position, where);
  const prefix = decipher.update(prefixCipher);
  if (prefix[BLOCK_SIZE] !== prefix[BLOCK_SIZE - 2] || prefix[BLOCK_SIZE + 1] !== prefix[BLOCK_SIZE - 1]) {
    throw new StrongroomError('RYDE_SESSION_KEY_FAILED', 'the session key does not decrypt the data (prefix check failed)', { location: where });
  }
  mdc.update(prefix);
  let tail = Buffer.alloc(0);
  for await (const chunk of body.rest()) {
    const plain = decipher.update(chunk);
    let emit: Buffer;
    if (plain.length >= MDC_LENGTH) {
      if (tail.length > 0) {
        mdc.update(tail);
        yield tail;
      }
      emit = plain.subarray(0, plain.length - MDC_LENGTH);
      tail = plain.subarray(plain.length - MDC_LENGTH);
    } else {
      const joined = Buffer.concat([tail, plain]);
      emit = joined.subarray(0, Math.max(0, joined.length - MDC_LENGTH));
      tail = joined.subarray(emit.length);
    }
    if (emit.length > 0) {
      mdc.update(emit);
      yield emit;
    }
  }
  if (tail.length < MDC_LENGTH) throw truncated('the encrypted data (no modification detection code)', body.position, where);
  if (tail[0] !== 0xd3 || tail[1] !== 0x14) throw new StrongroomError('RYDE_MDC_MISMATCH', 'the modification detection code packet is missing or damaged', { location: where });
  mdc.update(tail.subarray(0, 2));
  if (!mdc.digest().equals(tail.subarray(2))) throw new StrongroomError('RYDE_MDC_MISMATCH', 'modification detected: the MDC (SHA-1) does not match the decrypted data', { location: where });
}

async function* decryptSed(body: ByteReader, cipher: number, key: Buffer, where: string): AsyncGenerator<Buffer> {
  const prefixCipher = await body.readExact(BLOCK_SIZE + 2);
  if (prefixCipher === null) throw truncated('the encrypted data', body.position, where);
  const prefix = createDecipheriv(cfbName(cipher), key, Buffer.alloc(BLOCK_SIZE)).update(prefixCipher);
  if (prefix[BLOCK_SIZE] !== prefix[BLOCK_SIZE - 2] || prefix[BLOCK_SIZE + 1] !== prefix[BLOCK_SIZE - 1]) {
    throw new StrongroomError('RYDE_SESSION_KEY_FAILED', 'the session key does not decrypt the data (prefix check failed)', { location: where });
  }
  const decipher = createDecipheriv(cfbName(cipher), key, prefixCipher.subarray(2, BLOCK_SIZE + 2));
  for await (const chunk of body.rest()) yield decipher.update(chunk);
}

async function* decryptSeipdV2(body: ByteReader, sessionKey: Buffer, sessionAlgorithm: number | null, where: string, onCipher: (cipher: number, aead: number) => void): AsyncGenerator<Buffer> {
  // The version octet (2) was read by the caller.
  const head = await body.readExact(3 + 32);
  if (head === null) throw truncated('the SEIPD v2 header', body.position, where);
  const [cipher, aead, chunkSizeOctet] = head;
  if (!SYM_KEY_SIZE[cipher!] || !AEAD_NONCE_LENGTH[aead!]) throw new StrongroomError('RYDE_UNSUPPORTED', `SEIPD v2 with cipher ${cipher} / AEAD ${aead} is not supported (AES with OCB or GCM)`, { location: where });
  if (chunkSizeOctet! > 16) throw malformed(`AEAD chunk size octet ${chunkSizeOctet} exceeds 16`, body.position, where);
  if (sessionAlgorithm !== null && sessionAlgorithm !== cipher) throw new StrongroomError('RYDE_SESSION_KEY_FAILED', 'the session key algorithm does not match the data', { location: where });
  if (sessionKey.length !== SYM_KEY_SIZE[cipher!]) throw new StrongroomError('RYDE_SESSION_KEY_FAILED', 'the session key has the wrong size for the cipher', { location: where });
  onCipher(cipher!, aead!);
  const context = aeadContext(cipher!, aead!, chunkSizeOctet!, sessionKey, head.subarray(3));
  const sealedChunk = context.chunkSize + AEAD_TAG_LENGTH;
  let index = 0;
  let total = 0;
  const open = (sealed: Buffer, ad: Buffer, at: number): Buffer => {
    const decipher = aeadDecipher(context, at);
    decipher.setAAD(ad);
    decipher.setAuthTag(sealed.subarray(sealed.length - AEAD_TAG_LENGTH));
    const plain = decipher.update(sealed.subarray(0, sealed.length - AEAD_TAG_LENGTH));
    let last: Buffer;
    try {
      // OCB hands out a trailing partial block only from final().
      last = decipher.final();
    } catch {
      throw new StrongroomError('RYDE_AEAD_FAILED', `authentication failed for AEAD chunk ${at}: the data was modified or the key is wrong`, { location: where });
    }
    return last.length > 0 ? Buffer.concat([plain, last]) : plain;
  };
  // Keep one sealed chunk plus the final tag in hand: a chunk is only known not to be the
  // last when more than a final tag follows it.
  while ((await body.lookahead(sealedChunk + AEAD_TAG_LENGTH + 1)) > sealedChunk + AEAD_TAG_LENGTH) {
    const plain = open((await body.readExact(sealedChunk))!, context.info, index);
    index++;
    total += plain.length;
    yield plain;
  }
  const rest: Buffer[] = [];
  for await (const chunk of body.rest()) rest.push(chunk);
  const remaining = Buffer.concat(rest);
  if (remaining.length < AEAD_TAG_LENGTH + (index === 0 ? AEAD_TAG_LENGTH : 0)) throw truncated('the AEAD-encrypted data', body.position, where);
  if (remaining.length > AEAD_TAG_LENGTH) {
    const plain = open(remaining.subarray(0, remaining.length - AEAD_TAG_LENGTH), context.info, index);
    index++;
    total += plain.length;
    yield plain;
  }
  const finalTag = remaining.subarray(remaining.length - AEAD_TAG_LENGTH);
  open(finalTag, finalAd(context, total), index);
}

/** The decryptor: reads PKESKs and the encrypted packet; yields the decrypted packet stream. */
export function openDecryptor(options: DecryptorOptions): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const { where } = options;
  return async function* decryptor(source) {
    const reader = new ByteReader(source);
    const pkesks: PkeskPacket[] = [];
    for (;;) {
      const header = await readPacketHeader(reader, where);
      if (header === null) throw truncated('the OpenPGP message (no encrypted data packet)', reader.position, where);
      if (header.tag === TAG.MARKER) {
        await readSmallBody(reader, header, where, 16);
        continue;
      }
      if (header.tag === TAG.PKESK) {
        const body = await readSmallBody(reader, header, where, 1 << 16);
        const pkesk = new Pkesk();
        try {
          pkesk.read(body);
        } catch (err) {
          throw malformed(`unreadable session key packet: ${messageOf(err)}`, header.offset, where);
        }
        pkesks.push(pkesk);
        continue;
      }
      if (header.tag === TAG.SKESK) {
        await readSmallBody(reader, header, where, 1 << 16); // passphrase-encrypted session keys: not ours
        continue;
      }
      if (header.tag !== TAG.SEIPD && header.tag !== TAG.SED) {
        throw malformed(`expected an encrypted message, found packet tag ${header.tag}`, header.offset, where);
      }
      const { sessionKey, algorithm, recipient } = await openSessionKey(pkesks, options.keys, where);
      const body = new ByteReader(packetBody(reader, header, where));
      if (header.tag === TAG.SED) {
        if (!options.allowNoMdc) {
          throw new StrongroomError('RYDE_PROFILE_VIOLATION', 'the message has no integrity protection (RFC 4880 tag 9, no MDC); only profile rfc4880-no-mdc accepts that', { location: where });
        }
        if (algorithm === null || !SYM_KEY_SIZE[algorithm]) throw new StrongroomError('RYDE_UNSUPPORTED', `cipher ${algorithm} is not supported (AES only)`, { location: where });
        options.onInfo?.({ packet: 'SED', cipher: algorithm, recipient });
        yield* decryptSed(body, algorithm, sessionKey, where);
      } else {
        const version = await body.readByte();
        if (version === 1) {
          if (algorithm === null || !SYM_KEY_SIZE[algorithm]) throw new StrongroomError('RYDE_UNSUPPORTED', `cipher ${algorithm} is not supported (AES only)`, { location: where });
          if (sessionKey.length !== SYM_KEY_SIZE[algorithm]) throw new StrongroomError('RYDE_SESSION_KEY_FAILED', 'the session key has the wrong size for the cipher', { location: where });
          options.onInfo?.({ packet: 'SEIPDv1', cipher: algorithm, recipient });
          yield* decryptSeipdV1(body, algorithm, sessionKey, where);
        } else if (version === 2) {
          yield* decryptSeipdV2(body, sessionKey, algorithm, where, (cipher, aead) => options.onInfo?.({ packet: 'SEIPDv2', cipher, aead, recipient }));
        } else {
          throw new StrongroomError('RYDE_UNSUPPORTED', `SEIPD version ${version} is not supported`, { location: where });
        }
      }
      const next = await readPacketHeader(reader, where);
      if (next !== null) throw new StrongroomError('RYDE_TRAILING_DATA', `packet tag ${next.tag} after the encrypted data`, { location: `${where} at byte ${next.offset}` });
      return;
    }
  };
}
