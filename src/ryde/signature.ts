/**
 * RyDE layer 5: the detached signature over each processed file (Spec 2 Part A §4 step 5):
 * an OpenPGP signature packet of type 0x00 (binary document), SHA-256, made with the
 * registry's key; binary by default, ASCII-armoured on request.
 *
 * Why in-house packets on node:crypto rather than openpgp.js' `sign`/`verify`: the detached
 * signature must cover a part that is being written at encryption speed. Here the SHA-256 of
 * the part is computed while the part is written (the same bytes, one pass, native code), and
 * the signature packet is completed from a copy of that hash state when the part is done.
 * openpgp.js' detached `sign` on a stream keeps memory proportional to the input (stack.md §1.2),
 * and its verification would hash every part a second time in JavaScript streams.
 * The packet format is small (RFC 9580 §5.2.3, §5.2.4) and is checked against gpg and
 * openpgp.js in the tests, in both directions.
 *
 * What we write (v4 for v4 keys, v6 for v6 keys; RFC 9580 §5.2.3):
 * - hashed subpackets only (the unhashed area is empty, so every byte of the packet except
 *   the header is covered by the signature or checked against it): creation time
 *   (critical), issuer fingerprint, issuer key ID (v4 only), and the notation
 *   `ryde-part@strongroom.invalid` = "<file name> <n>/<total> <seal id>", which binds each
 *   signature to its part's name, position, the number of parts and the seal run (a random
 *   128-bit ID shared by the parts of one seal), so a renamed, reordered, missing or foreign
 *   part is caught before any decryption (gpg shows and ignores the notation; it is not
 *   critical). The `.invalid` domain (RFC 2606) keeps the name out of anyone else's namespace.
 * - v6: a 16-byte random salt hashed first (RFC 9580 §5.2.4).
 *
 * What we read: one signature packet, v4 or v6, type 0x00, SHA-2 (224/256/384/512), RSA,
 * EdDSA (legacy) or Ed25519, with the unhashed area holding at most issuer key IDs (gpg writes
 * one there) that must agree with the hashed issuer fingerprint; MPIs must be minimal. Anything
 * else is RYDE_SIGNATURE_MALFORMED, so a flipped byte anywhere is either a parse error, a
 * different issuer (RYDE_SIGNATURE_WRONG_KEY) or a bad signature (RYDE_SIGNATURE_BAD).
 */
import { constants, createHash, privateEncrypt, publicDecrypt, randomBytes, sign as cryptoSign, verify as cryptoVerify, type Hash } from 'node:crypto';
import { StrongroomError } from '../common/errors.js';
import { armor, dearmor, looksArmored } from './armor.js';
import { ByteReader } from './byte-reader.js';
import type { SigningKey, VerificationKey } from './keys.js';
import { HASH, HASH_NAMES, PK, TAG, decodeMpi, encodeLength, encodeMpi, frameFixed, readPacketHeader, readSmallBody } from './packets.js';

/** Notation naming the part a signature covers. */
export const PART_NOTATION = 'ryde-part@strongroom.invalid';

const SUBPACKET = { CREATED: 2, EXPIRES: 3, ISSUER_KEY_ID: 16, NOTATION: 20, ISSUER_FINGERPRINT: 33, SIGNERS_USER_ID: 28, KEY_FLAGS: 27 } as const;
const SALT_LENGTH: Readonly<Record<number, number>> = { 8: 16, 9: 24, 10: 32, 11: 16 };
const DIGEST_INFO: Readonly<Record<number, Buffer>> = {
  8: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  9: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  10: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
  11: Buffer.from('302d300d06096086480165030402040500041c', 'hex'),
};
/** Clock skew tolerated for a signature's creation time. */
const FUTURE_SKEW_MS = 5 * 60_000;

/** The running hash of one part, started the way its signature needs (salted for v6). */
export interface SignatureHash {
  version: 4 | 6;
  hashAlgorithm: number;
  salt?: Buffer;
  hash: Hash;
}

export function startSignatureHash(version: 4 | 6, hashAlgorithm: number = HASH.SHA256): SignatureHash {
  const hash = createHash(HASH_NAMES[hashAlgorithm]!);
  if (version === 6) {
    const salt = randomBytes(SALT_LENGTH[hashAlgorithm]!);
    hash.update(salt);
    return { version, hashAlgorithm, salt, hash };
  }
  return { version, hashAlgorithm, hash };
}

function subpacket(type: number, body: Buffer, critical = false): Buffer {
  return Buffer.concat([encodeLength(body.length + 1), Buffer.from([critical ? type | 0x80 : type]), body]);
}

function notationBody(name: string, value: string): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const valueBytes = Buffer.from(value, 'utf8');
  const head = Buffer.alloc(8);
  head[0] = 0x80; // human-readable
  head.writeUInt16BE(nameBytes.length, 4);
  head.writeUInt16BE(valueBytes.length, 6);
  return Buffer.concat([head, nameBytes, valueBytes]);
}

function trailer(version: number, signatureDataLength: number): Buffer {
  const out = Buffer.alloc(6);
  out[0] = version;
  out[1] = 0xff;
  out.writeUInt32BE(signatureDataLength, 2);
  return out;
}

function signatureMaterial(key: SigningKey, hashAlgorithm: number, digest: Buffer): Buffer {
  switch (key.algorithm) {
    case PK.RSA:
    case PK.RSA_SIGN: {
      const signature = privateEncrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[hashAlgorithm]!, digest]));
      return encodeMpi(signature);
    }
    case PK.EDDSA_LEGACY: {
      const signature = cryptoSign(null, digest, key.privateKey);
      return Buffer.concat([encodeMpi(signature.subarray(0, 32)), encodeMpi(signature.subarray(32))]);
    }
    case PK.ED25519:
      return cryptoSign(null, digest, key.privateKey);
    default:
      throw new StrongroomError('KEY_PROFILE_MISMATCH', `cannot sign with public-key algorithm ${key.algorithm}`);
  }
}

export interface SignOptions {
  created: Date;
  notations?: Array<{ name: string; value: string }>;
  armored?: boolean;
}

/**
 * Complete the signature over the bytes already fed to `state.hash` (which is consumed).
 * Returns the packet, binary or armoured.
 */
export function finishSignature(state: SignatureHash, key: SigningKey, options: SignOptions): Buffer {
  if (state.version !== key.version) throw new StrongroomError('INTERNAL', `v${state.version} hash state for a v${key.version} key`);
  const created = Buffer.alloc(4);
  created.writeUInt32BE(Math.floor(options.created.getTime() / 1000));
  const hashed = Buffer.concat([
    subpacket(SUBPACKET.CREATED, created, true),
    subpacket(SUBPACKET.ISSUER_FINGERPRINT, Buffer.concat([Buffer.from([key.version]), key.signerFingerprint])),
    ...(key.version === 4 ? [subpacket(SUBPACKET.ISSUER_KEY_ID, key.keyId)] : []),
    ...(options.notations ?? []).map((notation) => subpacket(SUBPACKET.NOTATION, notationBody(notation.name, notation.value))),
  ]);
  const lengthField = Buffer.alloc(key.version === 6 ? 4 : 2);
  if (key.version === 6) lengthField.writeUInt32BE(hashed.length);
  else lengthField.writeUInt16BE(hashed.length);
  const signatureData = Buffer.concat([Buffer.from([key.version, 0x00, key.algorithm, state.hashAlgorithm]), lengthField, hashed]);
  state.hash.update(signatureData);
  state.hash.update(trailer(key.version, signatureData.length));
  const digest = state.hash.digest();
  const body = Buffer.concat([
    signatureData,
    Buffer.alloc(key.version === 6 ? 4 : 2), // empty unhashed area
    digest.subarray(0, 2),
    ...(key.version === 6 ? [Buffer.from([state.salt!.length]), state.salt!] : []),
    signatureMaterial(key, state.hashAlgorithm, digest),
  ]);
  const packet = frameFixed(TAG.SIGNATURE, body);
  return options.armored ? Buffer.from(armor('SIGNATURE', packet, key.version === 4), 'utf8') : packet;
}

export interface ParsedSignature {
  version: 4 | 6;
  publicKeyAlgorithm: number;
  hashAlgorithm: number;
  created: Date;
  expires?: Date;
  issuerFingerprint?: Buffer;
  issuerKeyId?: Buffer;
  notations: Map<string, string>;
  signatureData: Buffer;
  left16: Buffer;
  salt?: Buffer;
  /** RSA: [s]; EdDSA legacy: [r, s]; Ed25519: [64-byte signature]. */
  material: Buffer[];
  armored: boolean;
}

function bad(message: string, where: string): StrongroomError {
  return new StrongroomError('RYDE_SIGNATURE_MALFORMED', message, { location: where });
}

interface Subpacket {
  type: number;
  critical: boolean;
  body: Buffer;
}

function readSubpackets(area: Buffer, where: string): Subpacket[] {
  const out: Subpacket[] = [];
  let offset = 0;
  while (offset < area.length) {
    const first = area[offset]!;
    let length: number;
    if (first < 192) {
      length = first;
      offset += 1;
    } else if (first < 255) {
      if (offset + 1 >= area.length) throw bad('truncated subpacket length', where);
      length = ((first - 192) << 8) + area[offset + 1]! + 192;
      offset += 2;
    } else {
      if (offset + 5 > area.length) throw bad('truncated subpacket length', where);
      length = area.readUInt32BE(offset + 1);
      offset += 5;
    }
    if (length < 1 || offset + length > area.length) throw bad('subpacket overruns its area', where);
    const typeByte = area[offset]!;
    out.push({ type: typeByte & 0x7f, critical: (typeByte & 0x80) !== 0, body: area.subarray(offset + 1, offset + length) });
    offset += length;
  }
  return out;
}

function parseNotation(body: Buffer, where: string): [string, string] {
  if (body.length < 8) throw bad('truncated notation', where);
  const nameLength = body.readUInt16BE(4);
  const valueLength = body.readUInt16BE(6);
  if (8 + nameLength + valueLength !== body.length) throw bad('notation lengths do not add up', where);
  return [body.subarray(8, 8 + nameLength).toString('utf8'), body.subarray(8 + nameLength).toString('utf8')];
}

/** Parse a detached signature file (binary or armoured): exactly one signature packet. */
export async function parseSignature(data: Buffer, where: string): Promise<ParsedSignature> {
  const armored = looksArmored(data);
  const binary = armored ? dearmor(data.toString('utf8'), 'SIGNATURE', where) : data;
  const reader = new ByteReader([binary]);
  let header;
  let body: Buffer;
  try {
    header = await readPacketHeader(reader, where);
    if (header === null) throw bad('empty signature file', where);
    if (header.tag !== TAG.SIGNATURE) throw bad(`expected a signature packet, found packet tag ${header.tag}`, where);
    body = await readSmallBody(reader, header, where, 1 << 16);
  } catch (err) {
    if (err instanceof StrongroomError && err.code !== 'RYDE_SIGNATURE_MALFORMED') throw bad(`not a signature packet: ${err.message}`, where);
    throw err;
  }
  if (!(await reader.atEnd())) throw bad('data after the signature packet (one signature per file)', where);
  if (body.length < 4) throw bad('truncated signature packet', where);
  const version = body[0]!;
  if (version !== 4 && version !== 6) throw bad(`signature version ${version} is not supported (4 or 6)`, where);
  const type = body[1]!;
  if (type !== 0x00) throw bad(`signature type 0x${type.toString(16).padStart(2, '0')} is not a binary-document signature (0x00)`, where);
  const publicKeyAlgorithm = body[2]!;
  const hashAlgorithm = body[3]!;
  if (!HASH_NAMES[hashAlgorithm]) throw bad(`hash algorithm ${hashAlgorithm} is refused (SHA-224/256/384/512 only)`, where);
  const lengthSize = version === 6 ? 4 : 2;
  let offset = 4;
  const readLength = (): number => {
    if (offset + lengthSize > body.length) throw bad('truncated signature packet', where);
    const value = lengthSize === 4 ? body.readUInt32BE(offset) : body.readUInt16BE(offset);
    offset += lengthSize;
    return value;
  };
  const hashedLength = readLength();
  if (offset + hashedLength > body.length) throw bad('hashed area overruns the packet', where);
  const hashedArea = body.subarray(offset, offset + hashedLength);
  offset += hashedLength;
  const signatureData = body.subarray(0, offset);
  const unhashedLength = readLength();
  if (offset + unhashedLength > body.length) throw bad('unhashed area overruns the packet', where);
  const unhashedArea = body.subarray(offset, offset + unhashedLength);
  offset += unhashedLength;
  if (offset + 2 > body.length) throw bad('truncated signature packet', where);
  const left16 = body.subarray(offset, offset + 2);
  offset += 2;
  let salt: Buffer | undefined;
  if (version === 6) {
    const saltLength = body[offset] ?? -1;
    if (saltLength !== SALT_LENGTH[hashAlgorithm]) throw bad('v6 signature salt has the wrong length for its hash', where);
    salt = body.subarray(offset + 1, offset + 1 + saltLength);
    offset += 1 + saltLength;
    if (salt.length !== saltLength) throw bad('truncated signature salt', where);
  }
  const materialBytes = body.subarray(offset);
  const material: Buffer[] = [];
  if (publicKeyAlgorithm === PK.RSA || publicKeyAlgorithm === PK.RSA_SIGN) {
    const s = decodeMpi(materialBytes, 0);
    if (!s || s.next !== materialBytes.length) throw bad('malformed RSA signature value', where);
    material.push(s.value);
  } else if (publicKeyAlgorithm === PK.EDDSA_LEGACY) {
    const r = decodeMpi(materialBytes, 0);
    const s = r && decodeMpi(materialBytes, r.next);
    if (!r || !s || s.next !== materialBytes.length || r.value.length > 32 || s.value.length > 32) throw bad('malformed EdDSA signature value', where);
    material.push(r.value, s.value);
  } else if (publicKeyAlgorithm === PK.ED25519) {
    if (materialBytes.length !== 64) throw bad('malformed Ed25519 signature value', where);
    material.push(materialBytes);
  } else {
    throw bad(`public-key algorithm ${publicKeyAlgorithm} is not supported for signatures`, where);
  }

  let created: Date | undefined;
  let expiresAfter: number | undefined;
  let issuerFingerprint: Buffer | undefined;
  let issuerKeyId: Buffer | undefined;
  const notations = new Map<string, string>();
  for (const sub of readSubpackets(hashedArea, where)) {
    switch (sub.type) {
      case SUBPACKET.CREATED:
        if (sub.body.length !== 4 || created) throw bad('malformed creation time', where);
        created = new Date(sub.body.readUInt32BE(0) * 1000);
        break;
      case SUBPACKET.EXPIRES:
        if (sub.body.length !== 4) throw bad('malformed signature expiration', where);
        expiresAfter = sub.body.readUInt32BE(0);
        break;
      case SUBPACKET.ISSUER_FINGERPRINT:
        if (sub.body.length !== (sub.body[0] === 6 ? 33 : 21) || sub.body[0] !== version || issuerFingerprint) throw bad('malformed issuer fingerprint', where);
        issuerFingerprint = sub.body.subarray(1);
        break;
      case SUBPACKET.ISSUER_KEY_ID:
        if (sub.body.length !== 8 || issuerKeyId) throw bad('malformed issuer key ID', where);
        issuerKeyId = sub.body;
        break;
      case SUBPACKET.NOTATION: {
        const [name, value] = parseNotation(sub.body, where);
        if (notations.has(name)) throw bad(`notation ${name} appears twice`, where);
        if (sub.critical && name !== PART_NOTATION) throw bad(`unknown critical notation ${name}`, where);
        notations.set(name, value);
        break;
      }
      default:
        if (sub.critical) throw bad(`unknown critical subpacket type ${sub.type}`, where);
    }
  }
  for (const sub of readSubpackets(unhashedArea, where)) {
    // gpg puts the issuer key ID in the unhashed area; nothing else is accepted there.
    if (sub.type !== SUBPACKET.ISSUER_KEY_ID || sub.body.length !== 8 || sub.critical) throw bad(`unhashed subpacket type ${sub.type} is not accepted`, where);
    if (issuerKeyId && !issuerKeyId.equals(sub.body)) throw bad('conflicting issuer key IDs', where);
    issuerKeyId = sub.body;
  }
  if (!created) throw bad('signature has no hashed creation time', where);
  if (!issuerFingerprint && !issuerKeyId) throw bad('signature names no issuer', where);
  if (issuerFingerprint && issuerKeyId) {
    const expected = version === 4 ? issuerFingerprint.subarray(12) : issuerFingerprint.subarray(0, 8);
    if (!expected.equals(issuerKeyId)) throw bad('issuer key ID does not match the issuer fingerprint', where);
  }
  return {
    version,
    publicKeyAlgorithm,
    hashAlgorithm,
    created,
    ...(expiresAfter ? { expires: new Date(created.getTime() + expiresAfter * 1000) } : {}),
    ...(issuerFingerprint ? { issuerFingerprint } : {}),
    ...(issuerKeyId ? { issuerKeyId } : {}),
    notations,
    signatureData,
    left16,
    ...(salt ? { salt } : {}),
    material,
    armored,
  };
}

/** A fresh hash to feed the signed file into (salted for v6 signatures). */
export function verificationHash(signature: ParsedSignature): Hash {
  const hash = createHash(HASH_NAMES[signature.hashAlgorithm]!);
  if (signature.salt) hash.update(signature.salt);
  return hash;
}

function leftPad(value: Buffer, length: number): Buffer | null {
  if (value.length > length) return null;
  return Buffer.concat([Buffer.alloc(length - value.length), value]);
}

/** The key among `keys` that issued `signature`, or RYDE_SIGNATURE_WRONG_KEY. */
export function issuerOf(signature: ParsedSignature, keys: readonly VerificationKey[], where: string): VerificationKey {
  const issuer = keys.find((key) =>
    signature.issuerFingerprint ? key.signerFingerprint.equals(signature.issuerFingerprint) : signature.issuerKeyId ? key.keyId.equals(signature.issuerKeyId) : false,
  );
  const named = signature.issuerFingerprint?.toString('hex').toUpperCase() ?? signature.issuerKeyId?.toString('hex').toUpperCase();
  if (!issuer || issuer.version !== signature.version || issuer.algorithm !== signature.publicKeyAlgorithm) {
    throw new StrongroomError('RYDE_SIGNATURE_WRONG_KEY', `signed by key ${named}, not by the expected signer ${keys[0]?.fingerprint ?? '(none)'}`, { location: where });
  }
  return issuer;
}

/**
 * Verify `signature` given the hash of the signed bytes (from `verificationHash`, consumed
 * here). Throws RYDE_SIGNATURE_WRONG_KEY or RYDE_SIGNATURE_BAD.
 */
export function verifySignature(signature: ParsedSignature, hash: Hash, keys: readonly VerificationKey[], where: string, now = new Date()): VerificationKey {
  const key = issuerOf(signature, keys, where);
  hash.update(signature.signatureData);
  hash.update(trailer(signature.version, signature.signatureData.length));
  const digest = hash.digest();
  const badSignature = (why: string): StrongroomError => new StrongroomError('RYDE_SIGNATURE_BAD', `BAD signature: ${why}`, { location: where });
  if (!digest.subarray(0, 2).equals(signature.left16)) throw badSignature('the signed data does not match');
  let valid = false;
  try {
    if (key.algorithm === PK.RSA || key.algorithm === PK.RSA_SIGN) {
      const modulusBytes = Math.ceil((key.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      const padded = leftPad(signature.material[0]!, modulusBytes);
      if (padded) {
        const recovered = publicDecrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_PADDING }, padded);
        valid = recovered.equals(Buffer.concat([DIGEST_INFO[signature.hashAlgorithm]!, digest]));
      }
    } else if (key.algorithm === PK.EDDSA_LEGACY) {
      const r = leftPad(signature.material[0]!, 32);
      const s = leftPad(signature.material[1]!, 32);
      valid = r !== null && s !== null && cryptoVerify(null, digest, key.publicKey, Buffer.concat([r, s]));
    } else if (key.algorithm === PK.ED25519) {
      valid = cryptoVerify(null, digest, key.publicKey, signature.material[0]!);
    }
  } catch {
    valid = false;
  }
  if (!valid) throw badSignature(`the signature by ${key.signerFingerprint.toString('hex').toUpperCase()} does not verify`);
  if (signature.created.getTime() > now.getTime() + FUTURE_SKEW_MS) throw badSignature(`created in the future (${signature.created.toISOString()})`);
  if (signature.expires && signature.expires.getTime() <= now.getTime()) throw badSignature(`expired on ${signature.expires.toISOString()}`);
  return key;
}
