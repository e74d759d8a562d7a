/**
 * Keys: reading, generating and checking the registry's signing key and the escrow agents'
 * encryption keys.
 *
 * openpgp.js parses and generates keys and verifies their self-signatures (expiry,
 * revocation, binding signatures); this module turns a key into the one (sub)key a use needs
 * and refuses, with a specific code, anything unfit *before every use*:
 *
 *   KEY_EXPIRED, KEY_REVOKED        the (sub)key is not valid at `now`
 *   KEY_WRONG_PURPOSE              no (sub)key carries the key flag for the use (sign vs
 *                                  encrypt-communications/storage, RFC 9580 §5.2.3.29)
 *   KEY_WEAK                       RSA below 3072 bits
 *   KEY_PROFILE_MISMATCH           key version or algorithm outside the profile (a v6 key
 *                                  under rfc4880, a v4 key under rfc9580, DSA, NIST curves …)
 *   KEY_NOT_PINNED                 pinning is configured and the primary fingerprint is not
 *                                  in the pin list
 *   KEY_NOT_SECRET, KEY_LOCKED     a secret key is needed, or its passphrase is missing/wrong
 *
 * A key that expires within `warnDays` (default 30) is accepted with a warning.
 *
 * The secret parameters are handed to node:crypto as KeyObjects for signing (signature.ts)
 * and stay in openpgp.js packets for session-key decryption (encrypt.ts).
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import { StrongroomError, messageOf } from '../common/errors.js';
import { looksArmored } from './armor.js';
import { PK } from './packets.js';
import type { ProfileName } from './profiles.js';

export const DEFAULT_WARN_DAYS = 30;
const MIN_RSA_BITS = 3072;

/** Key flags (RFC 9580 §5.2.3.29). */
const FLAG_CERTIFY = 0x01;
const FLAG_SIGN = 0x02;
const FLAG_ENCRYPT = 0x04 | 0x08;

export type KeyPurpose = 'sign' | 'encrypt';

export interface KeyPolicy {
  /** Profile whose version/algorithm rules apply; omit to accept any profile's keys. */
  profile?: ProfileName;
  /** Check validity at this time (default: now). */
  now?: Date;
  /** Warn when the key expires within this many days (default 30). */
  warnDays?: number;
  /** Primary-key fingerprints allowed (upper-case hex); empty or undefined = no pinning. */
  pinned?: readonly string[];
}

/** What a use of a key reports besides the key itself. */
export interface KeyCheck {
  warnings: string[];
}

export type AnyKey = openpgp.PublicKey | openpgp.PrivateKey;
type KeyOrSubkey = AnyKey | openpgp.Subkey;
// openpgp.js keeps the algorithm parameters on key packets without typing them.
interface ParamPacket {
  algorithm: number;
  version: number;
  publicParams: Record<string, Uint8Array | { getName?: () => string; toHex?: () => string }>;
  privateParams?: Record<string, Uint8Array> | null;
  getFingerprintBytes(): Uint8Array;
  getKeyID(): openpgp.KeyID;
  isDecrypted?(): boolean | null;
}

/** The signing half the encoder needs. */
export interface SigningKey {
  /** Fingerprint of the primary key (what pins name). */
  fingerprint: string;
  /** Fingerprint of the (sub)key that signs (the signature's issuer). */
  signerFingerprint: Buffer;
  keyId: Buffer;
  version: 4 | 6;
  algorithm: number;
  privateKey: KeyObject;
}

/** One signature-verifying (sub)key of the registry's public key. */
export interface VerificationKey {
  fingerprint: string;
  signerFingerprint: Buffer;
  keyId: Buffer;
  version: 4 | 6;
  algorithm: number;
  publicKey: KeyObject;
}

/** An escrow agent's encryption (sub)key. */
export interface RecipientKey {
  fingerprint: string;
  subkeyFingerprint: string;
  version: 4 | 6;
  keyPacket: openpgp.PublicKeyPacket | openpgp.PublicSubkeyPacket;
}

/** The agent's decryption (sub)keys (secret), for unsealing. */
export interface DecryptionKey {
  fingerprint: string;
  packets: Array<{ keyId: Buffer; fingerprint: Buffer; version: number; packet: openpgp.SecretKeyPacket | openpgp.SecretSubkeyPacket }>;
}

export function fingerprintOf(key: AnyKey): string {
  return key.getFingerprint().toUpperCase();
}

function keyError(code: 'KEY_UNREADABLE', message: string, where: string, cause?: unknown): StrongroomError {
  return new StrongroomError(code, message, { location: where, ...(cause === undefined ? {} : { cause }) });
}

/** Read exactly one key (armoured or binary) from bytes. */
export async function parseKey(data: Buffer, where: string): Promise<AnyKey> {
  let keys: AnyKey[];
  try {
    keys = looksArmored(data) ? await openpgp.readKeys({ armoredKeys: data.toString('utf8') }) : await openpgp.readKeys({ binaryKeys: data });
  } catch (err) {
    throw keyError('KEY_UNREADABLE', `not an OpenPGP key: ${messageOf(err)}`, where, err);
  }
  if (keys.length !== 1) throw keyError('KEY_UNREADABLE', `expected one key, found ${keys.length}`, where);
  return keys[0]!;
}

/** Read a key file; with `passphrase`, unlock a protected secret key. */
export async function readKeyFile(path: string, options: { passphrase?: string } = {}): Promise<AnyKey> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    throw new StrongroomError('FILE_NOT_FOUND', `cannot read key file: ${messageOf(err)}`, { location: path, cause: err });
  }
  const key = await parseKey(data, path);
  if (key.isPrivate() && !key.isDecrypted()) {
    if (options.passphrase === undefined) return key;
    try {
      return await openpgp.decryptKey({ privateKey: key, passphrase: options.passphrase });
    } catch (err) {
      throw new StrongroomError('KEY_LOCKED', `cannot unlock the secret key: ${messageOf(err)}`, { location: path, cause: err });
    }
  }
  return key;
}

function packetOf(key: KeyOrSubkey): ParamPacket {
  return key.keyPacket as unknown as ParamPacket;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex').toUpperCase();
}

/** Human name of a key's algorithm, e.g. "rsa3072", "ed25519", "x25519", "cv25519". */
export function algorithmName(key: KeyOrSubkey): string {
  const info = key.getAlgorithmInfo();
  switch (info.algorithm) {
    case 'rsaEncryptSign':
    case 'rsaSign':
    case 'rsaEncrypt':
      return `rsa${info.bits}`;
    case 'eddsaLegacy':
      return 'ed25519 (legacy)';
    case 'ecdh':
      return info.curve === 'curve25519Legacy' ? 'cv25519 (legacy)' : `ecdh-${info.curve}`;
    default:
      return info.curve ? `${info.algorithm}-${info.curve}` : info.algorithm;
  }
}

/** Refuse algorithms and versions the profile does not allow (or that are weak anywhere). */
function checkAlgorithm(key: KeyOrSubkey, purpose: KeyPurpose, profile: ProfileName | undefined, where: string): void {
  const packet = packetOf(key);
  const info = key.getAlgorithmInfo();
  const name = algorithmName(key);
  const isRsa = packet.algorithm === PK.RSA || packet.algorithm === PK.RSA_SIGN || packet.algorithm === PK.RSA_ENCRYPT;
  if (isRsa && (info.bits ?? 0) < MIN_RSA_BITS) {
    throw new StrongroomError('KEY_WEAK', `${name} key ${hex(packet.getFingerprintBytes())} is too weak: RSA keys need at least ${MIN_RSA_BITS} bits`, { location: where });
  }
  const version = packet.version;
  const v4Ok = isRsa || packet.algorithm === PK.EDDSA_LEGACY || (packet.algorithm === PK.ECDH && info.curve === 'curve25519Legacy');
  const v6Ok = packet.algorithm === (purpose === 'sign' ? PK.ED25519 : PK.X25519);
  const supported = version === 4 ? v4Ok : version === 6 ? v6Ok : false;
  if (!supported) {
    throw new StrongroomError('KEY_PROFILE_MISMATCH', `v${version} ${name} key ${hex(packet.getFingerprintBytes())} is not supported (v4: RSA ≥ ${MIN_RSA_BITS} or Ed25519/Cv25519; v6: Ed25519/X25519)`, { location: where });
  }
  if (profile !== undefined) {
    const wanted = profile === 'rfc9580' ? 6 : 4;
    if (version !== wanted) {
      throw new StrongroomError('KEY_PROFILE_MISMATCH', `profile ${profile} needs v${wanted} keys; ${hex(packet.getFingerprintBytes())} is a v${version} key`, { location: where });
    }
  }
}

function checkPinned(key: AnyKey, policy: KeyPolicy, where: string): void {
  if (!policy.pinned || policy.pinned.length === 0) return;
  const fingerprint = fingerprintOf(key);
  if (!policy.pinned.includes(fingerprint)) {
    throw new StrongroomError('KEY_NOT_PINNED', `key ${fingerprint} is not among the pinned fingerprints (${policy.pinned.join(', ')})`, { location: where });
  }
}

function mapValidityError(err: unknown, what: string, where: string): StrongroomError {
  const message = messageOf(err);
  if (/revoked/i.test(message)) return new StrongroomError('KEY_REVOKED', `${what} is revoked`, { location: where, cause: err });
  if (/expired/i.test(message)) return new StrongroomError('KEY_EXPIRED', `${what} has expired`, { location: where, cause: err });
  return new StrongroomError('KEY_UNREADABLE', `${what} has no valid self-signature: ${message}`, { location: where, cause: err });
}

async function flagsOf(key: AnyKey, candidate: KeyOrSubkey, now: Date): Promise<number> {
  let signature: openpgp.SignaturePacket | undefined;
  if (candidate === key) {
    signature = await (key as unknown as { getPrimarySelfSignature(date: Date | null): Promise<openpgp.SignaturePacket> }).getPrimarySelfSignature(null).catch(() => undefined);
  } else {
    const subkey = candidate as openpgp.Subkey;
    signature = [...subkey.bindingSignatures].sort((a, b) => (b.created?.getTime() ?? 0) - (a.created?.getTime() ?? 0))[0];
  }
  void now;
  const flags = signature?.keyFlags?.[0];
  if (flags !== undefined) return flags;
  // No key-flags subpacket: fall back to what the algorithm can do.
  const algorithm = packetOf(candidate).algorithm;
  if (algorithm === PK.RSA) return FLAG_SIGN | FLAG_ENCRYPT | FLAG_CERTIFY;
  if (algorithm === PK.ECDH || algorithm === PK.X25519 || algorithm === PK.RSA_ENCRYPT) return FLAG_ENCRYPT;
  return FLAG_SIGN | FLAG_CERTIFY;
}

function expiryWarning(expires: Date | typeof Infinity | null, what: string, policy: KeyPolicy, now: Date): string | undefined {
  if (!(expires instanceof Date)) return undefined;
  const days = (expires.getTime() - now.getTime()) / 86_400_000;
  const warnDays = policy.warnDays ?? DEFAULT_WARN_DAYS;
  if (days <= warnDays) return `${what} expires on ${expires.toISOString().slice(0, 10)} (in ${Math.max(0, Math.floor(days))} days): renew or replace it and send the new public key`;
  return undefined;
}

/**
 * The (sub)keys of `key` usable for `purpose` at `policy.now`, with warnings. Throws the most
 * specific error when there is none.
 */
async function usableKeys(key: AnyKey, purpose: KeyPurpose, policy: KeyPolicy, where: string): Promise<{ keys: KeyOrSubkey[]; warnings: string[] }> {
  const now = policy.now ?? new Date();
  const warnings: string[] = [];
  checkPinned(key, policy, where);
  const fingerprint = fingerprintOf(key);
  try {
    await key.verifyPrimaryKey(now);
  } catch (err) {
    throw mapValidityError(err, `key ${fingerprint}`, where);
  }
  const primaryExpires = await key.getExpirationTime();
  const primaryWarning = expiryWarning(primaryExpires, `key ${fingerprint}`, policy, now);
  if (primaryWarning) warnings.push(primaryWarning);
  const wanted = purpose === 'sign' ? FLAG_SIGN : FLAG_ENCRYPT;
  const candidates: KeyOrSubkey[] = [];
  for (const candidate of [key, ...key.subkeys]) {
    if ((await flagsOf(key, candidate, now)) & wanted) candidates.push(candidate);
  }
  if (candidates.length === 0) {
    throw new StrongroomError('KEY_WRONG_PURPOSE', `key ${fingerprint} has no ${purpose === 'sign' ? 'signing' : 'encryption'}-capable (sub)key`, { location: where });
  }
  const usable: KeyOrSubkey[] = [];
  let firstError: StrongroomError | undefined;
  for (const candidate of candidates) {
    try {
      if (candidate !== key) await (candidate as openpgp.Subkey).verify(now);
      checkAlgorithm(candidate, purpose, policy.profile, where);
      usable.push(candidate);
      if (candidate !== key) {
        // A subkey expiring with (or after) its primary key is covered by the primary's warning.
        const subkeyExpires = await (candidate as openpgp.Subkey).getExpirationTime(now);
        const earlier = subkeyExpires instanceof Date && (!(primaryExpires instanceof Date) || subkeyExpires < primaryExpires);
        const warning = earlier ? expiryWarning(subkeyExpires, `subkey ${candidate.getFingerprint().toUpperCase()} of ${fingerprint}`, policy, now) : undefined;
        if (warning) warnings.push(warning);
      }
    } catch (err) {
      const mapped = err instanceof StrongroomError ? err : mapValidityError(err, `subkey ${candidate.getFingerprint().toUpperCase()} of ${fingerprint}`, where);
      firstError ??= mapped;
    }
  }
  if (usable.length === 0) throw firstError!;
  return { keys: usable, warnings };
}

function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

function bigOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function bytesOf(value: bigint): Buffer {
  let text = value.toString(16);
  if (text.length % 2) text = `0${text}`;
  return Buffer.from(text, 'hex');
}

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

function publicKeyObject(packet: ParamPacket): KeyObject {
  const params = packet.publicParams as Record<string, Uint8Array>;
  switch (packet.algorithm) {
    case PK.RSA:
    case PK.RSA_SIGN:
      return createPublicKey({ key: { kty: 'RSA', n: b64url(params.n!), e: b64url(params.e!) }, format: 'jwk' });
    case PK.EDDSA_LEGACY:
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(params.Q!.subarray(1)) }, format: 'jwk' });
    case PK.ED25519:
      return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(params.A!) }, format: 'jwk' });
    default:
      throw new StrongroomError('KEY_PROFILE_MISMATCH', `signing algorithm ${packet.algorithm} is not supported`);
  }
}

function privateKeyObject(packet: ParamPacket): KeyObject {
  const pub = packet.publicParams as Record<string, Uint8Array>;
  const priv = packet.privateParams;
  if (!priv) throw new StrongroomError('KEY_LOCKED', 'the secret key is locked');
  switch (packet.algorithm) {
    case PK.RSA:
    case PK.RSA_SIGN: {
      // OpenPGP stores p < q and u = p⁻¹ mod q; PKCS#1/JWK wants qi = q⁻¹ mod p, so swap p and q.
      const d = bigOf(priv.d!);
      const p = bigOf(priv.q!);
      const q = bigOf(priv.p!);
      const jwk = {
        kty: 'RSA',
        n: b64url(pub.n!),
        e: b64url(pub.e!),
        d: b64url(priv.d!),
        p: b64url(bytesOf(p)),
        q: b64url(bytesOf(q)),
        dp: b64url(bytesOf(d % (p - 1n))),
        dq: b64url(bytesOf(d % (q - 1n))),
        qi: b64url(bytesOf(modInverse(q, p))),
      };
      return createPrivateKey({ key: jwk, format: 'jwk' });
    }
    case PK.EDDSA_LEGACY:
      return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub.Q!.subarray(1)), d: b64url(priv.seed!) }, format: 'jwk' });
    case PK.ED25519:
      return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pub.A!), d: b64url(priv.seed!) }, format: 'jwk' });
    default:
      throw new StrongroomError('KEY_PROFILE_MISMATCH', `signing algorithm ${packet.algorithm} is not supported`);
  }
}

function requireUnlockedSecret(key: AnyKey, where: string): openpgp.PrivateKey {
  if (!key.isPrivate()) throw new StrongroomError('KEY_NOT_SECRET', `key ${fingerprintOf(key)} is a public key; a secret key is needed here`, { location: where });
  if (!key.isDecrypted()) throw new StrongroomError('KEY_LOCKED', `secret key ${fingerprintOf(key)} is passphrase-protected: give the passphrase`, { location: where });
  return key;
}

/** The identity a signature names for a (sub)key: issuer fingerprint, key ID, version, algorithm. */
function signerIdentity(packet: ParamPacket): Pick<SigningKey, 'signerFingerprint' | 'keyId' | 'version' | 'algorithm'> {
  return {
    signerFingerprint: Buffer.from(packet.getFingerprintBytes()),
    keyId: Buffer.from(packet.getKeyID().bytes, 'binary'),
    version: packet.version as 4 | 6,
    algorithm: packet.algorithm,
  };
}

/** The registry's signing key, checked for signing under `policy`. */
export async function signingKeyFrom(key: AnyKey, policy: KeyPolicy, where: string): Promise<SigningKey & KeyCheck> {
  const secret = requireUnlockedSecret(key, where);
  const { keys, warnings } = await usableKeys(secret, 'sign', policy, where);
  // Prefer a signing subkey (as gpg does), else the primary key; newest first.
  const chosen = [...keys].sort((a, b) => Number(a === secret) - Number(b === secret) || b.getCreationTime().getTime() - a.getCreationTime().getTime())[0]!;
  const packet = packetOf(chosen);
  return {
    fingerprint: fingerprintOf(secret),
    ...signerIdentity(packet),
    privateKey: privateKeyObject(packet),
    warnings,
  };
}

/** Every signing-capable (sub)key of the registry's public key, checked under `policy`. */
export async function verificationKeysFrom(key: AnyKey, policy: KeyPolicy, where: string): Promise<{ keys: VerificationKey[] } & KeyCheck> {
  const { keys, warnings } = await usableKeys(key, 'sign', policy, where);
  return {
    keys: keys.map((candidate) => {
      const packet = packetOf(candidate);
      return {
        fingerprint: fingerprintOf(key),
        ...signerIdentity(packet),
        publicKey: publicKeyObject(packet),
      };
    }),
    warnings,
  };
}

/** The agent's encryption (sub)key to seal to (the newest usable one), checked under `policy`. */
export async function recipientKeyFrom(key: AnyKey, policy: KeyPolicy, where: string): Promise<RecipientKey & KeyCheck> {
  const { keys, warnings } = await usableKeys(key, 'encrypt', policy, where);
  const chosen = [...keys].sort((a, b) => b.getCreationTime().getTime() - a.getCreationTime().getTime())[0]!;
  const packet = packetOf(chosen);
  return {
    fingerprint: fingerprintOf(key),
    subkeyFingerprint: hex(packet.getFingerprintBytes()),
    version: packet.version as 4 | 6,
    keyPacket: chosen.keyPacket as openpgp.PublicKeyPacket,
    warnings,
  };
}

/** The agent's decryption (sub)keys (secret), checked under `policy`. */
export async function decryptionKeyFrom(key: AnyKey, policy: KeyPolicy, where: string): Promise<DecryptionKey & KeyCheck> {
  const secret = requireUnlockedSecret(key, where);
  const { keys, warnings } = await usableKeys(secret, 'encrypt', policy, where);
  return {
    fingerprint: fingerprintOf(secret),
    packets: keys.map((candidate) => {
      const packet = packetOf(candidate);
      return {
        keyId: Buffer.from(packet.getKeyID().bytes, 'binary'),
        fingerprint: Buffer.from(packet.getFingerprintBytes()),
        version: packet.version,
        packet: candidate.keyPacket as openpgp.SecretKeyPacket,
      };
    }),
    warnings,
  };
}

export type KeyAlgorithmChoice = 'rsa3072' | 'rsa4096' | 'ed25519';

export interface GenerateOptions {
  profile: ProfileName;
  uid: string;
  algorithm?: KeyAlgorithmChoice;
  /** Seconds until expiry; 0 = never. */
  expiresIn?: number;
  passphrase?: string;
  date?: Date;
}

function parseUid(uid: string): openpgp.UserID {
  const match = /^\s*(.*?)\s*<([^<>\s]+@[^<>\s]+)>\s*$/.exec(uid);
  if (match) return { name: match[1] ?? '', email: match[2]! };
  if (/^[^\s@]+@[^\s@]+$/.test(uid)) return { email: uid };
  if (uid.trim() === '') throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'the user ID must not be empty');
  return { name: uid.trim() };
}

/**
 * Generate a key pair for a profile: a primary key that certifies and signs plus an
 * encryption subkey. rfc4880 family: v4 RSA-3072 (default), RSA-4096 or Ed25519/Cv25519;
 * rfc9580: v6 Ed25519/X25519. Returns ASCII-armoured keys gpg can import.
 */
export async function generateKeyPair(options: GenerateOptions): Promise<{ publicKey: string; privateKey: string; fingerprint: string }> {
  const v6 = options.profile === 'rfc9580';
  const algorithm = options.algorithm ?? (v6 ? 'ed25519' : 'rsa3072');
  if (v6 && algorithm !== 'ed25519') throw new StrongroomError('RYDE_INVALID_ARGUMENT', 'profile rfc9580 keys are Ed25519/X25519 (--algorithm ed25519)');
  const common = {
    userIDs: [parseUid(options.uid)],
    keyExpirationTime: options.expiresIn ?? 0,
    format: 'armored' as const,
    // aeadProtect: a v6 key advertises SEIPD v2 (features) and AEAD preferences, so senders use it.
    config: { v6Keys: v6, aeadProtect: v6 },
    ...(options.date ? { date: options.date } : {}),
    ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
  };
  const generated =
    algorithm === 'ed25519'
      ? await openpgp.generateKey({ ...common, type: v6 ? 'curve25519' : 'ecc', ...(v6 ? {} : { curve: 'curve25519Legacy' as const }) })
      : await openpgp.generateKey({ ...common, type: 'rsa', rsaBits: algorithm === 'rsa4096' ? 4096 : 3072 });
  const parsed = await openpgp.readKey({ armoredKey: generated.publicKey });
  return { publicKey: generated.publicKey, privateKey: generated.privateKey, fingerprint: fingerprintOf(parsed) };
}

export interface KeySummary {
  fingerprint: string;
  version: number;
  algorithm: string;
  userIds: string[];
  secret: boolean;
  created: string;
  expires: string | null;
  status: 'valid' | 'expiring' | 'expired' | 'revoked' | 'invalid';
  subkeys: Array<{ fingerprint: string; algorithm: string; purposes: KeyPurpose[]; expires: string | null; status: 'valid' | 'expired' | 'revoked' | 'invalid' }>;
}

/** A listing of a key for `keys list` (never secret material). */
export async function summarizeKey(key: AnyKey, options: { now?: Date; warnDays?: number } = {}): Promise<KeySummary> {
  const now = options.now ?? new Date();
  let status: KeySummary['status'] = 'valid';
  try {
    await key.verifyPrimaryKey(now);
  } catch (err) {
    const message = messageOf(err);
    status = /revoked/i.test(message) ? 'revoked' : /expired/i.test(message) ? 'expired' : 'invalid';
  }
  const expires = await key.getExpirationTime();
  if (status === 'valid' && expiryWarning(expires, '', { warnDays: options.warnDays ?? DEFAULT_WARN_DAYS }, now)) status = 'expiring';
  const subkeys: KeySummary['subkeys'] = [];
  for (const subkey of key.subkeys) {
    let subStatus: KeySummary['subkeys'][number]['status'] = 'valid';
    try {
      await subkey.verify(now);
    } catch (err) {
      const message = messageOf(err);
      subStatus = /revoked/i.test(message) ? 'revoked' : /expired/i.test(message) ? 'expired' : 'invalid';
    }
    const flags = await flagsOf(key, subkey, now);
    const subExpires = await subkey.getExpirationTime(now);
    subkeys.push({
      fingerprint: subkey.getFingerprint().toUpperCase(),
      algorithm: algorithmName(subkey),
      purposes: [...(flags & FLAG_SIGN ? (['sign'] as const) : []), ...(flags & FLAG_ENCRYPT ? (['encrypt'] as const) : [])],
      expires: subExpires instanceof Date ? subExpires.toISOString() : null,
      status: subStatus,
    });
  }
  return {
    fingerprint: fingerprintOf(key),
    version: packetOf(key).version,
    algorithm: algorithmName(key),
    userIds: key.getUserIDs(),
    secret: key.isPrivate(),
    created: key.getCreationTime().toISOString(),
    expires: expires instanceof Date ? expires.toISOString() : null,
    status,
    subkeys,
  };
}
