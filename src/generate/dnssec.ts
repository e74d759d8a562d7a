/**
 * DNSSEC material for generated domains (RFC 5910 secDNS): DNSKEY-shaped keys of the right
 * size per algorithm, their real key tags (RFC 4034 Appendix B) and real DS digests over the
 * owner name and DNSKEY RDATA (RFC 4034 §5.1.4), so DS and key data agree with each other.
 */
import { createHash } from 'node:crypto';
import type { DsData, KeyData } from '../model/objects.js';
import type { Rng } from './random.js';

/** DNSKEY protocol field: always 3 (RFC 4034 §2.1.2). */
export const DNSKEY_PROTOCOL = 3;
/** Flags: 257 = zone key + secure entry point (KSK), 256 = zone key (ZSK). */
export const FLAGS_KSK = 257;
export const FLAGS_ZSK = 256;

/** Algorithm numbers (IANA DNSSEC algorithm registry) with public key sizes in bytes. */
const KEY_BYTES: Readonly<Record<number, number>> = {
  8: 260, // RSASHA256, 2048-bit modulus + 4-byte exponent header
  13: 64, // ECDSAP256SHA256
  14: 96, // ECDSAP384SHA384
  15: 32, // ED25519
  16: 57, // ED448
};

/** Digest types (RFC 4034, RFC 4509, RFC 6605): 1 SHA-1, 2 SHA-256, 4 SHA-384. */
const DIGESTS: Readonly<Record<number, string>> = { 1: 'sha1', 2: 'sha256', 4: 'sha384' };

/** A public key of the algorithm's size (random bytes; RSA keys get the usual e = 65537 header). */
export function makeKey(rng: Rng, flags: number, alg: number): KeyData {
  const size = KEY_BYTES[alg];
  if (size === undefined) throw new RangeError(`unsupported DNSSEC algorithm ${alg}`);
  const key = rng.bytes(size);
  if (alg === 8) {
    key[0] = 3; // exponent length
    key[1] = 1;
    key[2] = 0;
    key[3] = 1; // 65537
    key[4] = (key[4] as number) | 0x80; // full-length modulus
  }
  return { flags, protocol: DNSKEY_PROTOCOL, alg, pubKey: key.toString('base64') };
}

function rdata(key: KeyData): Buffer {
  const pub = Buffer.from(key.pubKey, 'base64');
  const out = Buffer.allocUnsafe(4 + pub.length);
  out.writeUInt16BE(key.flags, 0);
  out[2] = key.protocol;
  out[3] = key.alg;
  pub.copy(out, 4);
  return out;
}

/** RFC 4034 Appendix B key tag (not algorithm 1). */
export function keyTag(key: KeyData): number {
  const data = rdata(key);
  let acc = 0;
  for (let index = 0; index < data.length; index++) acc += index & 1 ? (data[index] as number) : (data[index] as number) << 8;
  acc += (acc >>> 16) & 0xffff;
  return acc & 0xffff;
}

/** Owner name in canonical wire format (lower case, length-prefixed labels, root). */
function wireName(name: string): Buffer {
  const parts: Buffer[] = [];
  for (const label of name.toLowerCase().split('.')) {
    if (label === '') continue;
    const bytes = Buffer.from(label, 'ascii');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** The DS record for `key` at `owner` (A-label FQDN) with the given digest type. */
export function dsFor(owner: string, key: KeyData, digestType: number, withKeyData: boolean): DsData {
  const algorithm = DIGESTS[digestType];
  if (algorithm === undefined) throw new RangeError(`unsupported DS digest type ${digestType}`);
  const digest = createHash(algorithm).update(wireName(owner)).update(rdata(key)).digest('hex').toUpperCase();
  return { keyTag: keyTag(key), alg: key.alg, digestType, digest, ...(withKeyData ? { keyData: key } : {}) };
}
