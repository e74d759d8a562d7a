/**
 * Glue addresses. Drawn from ordinary global unicast space (no private, documentation or
 * other special-purpose ranges, which validators reject as host addresses), written in
 * canonical text form (RFC 5952 for IPv6: lower case, no leading zeros, `::` for the longest
 * zero run).
 */
import type { HostAddr } from '../model/objects.js';
import { hash32, type SeedKey } from './random.js';

/** First octets of ordinary allocated unicast IPv4 space. */
const V4_FIRST = [5, 23, 31, 37, 45, 46, 62, 77, 78, 80, 81, 82, 85, 89, 91, 93, 94, 95, 103, 104, 141, 145, 151, 176, 178, 185, 188, 193, 194, 195, 212, 213, 217];
/** First hextets of allocated global unicast IPv6 space (RIR blocks). */
const V6_FIRST = ['2a00', '2a01', '2a02', '2a03', '2a05', '2a06', '2a0e', '2400', '2401', '2403', '2404', '2600', '2602', '2604', '2605', '2606', '2607', '2800', '2803', '2c0f'];

export function ipv4(key: SeedKey, stream: number, a: number, b: number): string {
  const h1 = hash32(key, stream, a, b);
  const h2 = hash32(key, stream ^ 0x5bd1e995, a, b);
  return `${V4_FIRST[h1 % V4_FIRST.length]}.${(h1 >>> 8) & 0xff}.${(h1 >>> 16) & 0xff}.${1 + (h2 % 254)}`;
}

export function ipv6(key: SeedKey, stream: number, a: number, b: number): string {
  const h1 = hash32(key, stream, a, b);
  const h2 = hash32(key, stream ^ 0x27d4eb2f, a, b);
  const hextet = (value: number) => (1 + ((value >>> 0) % 0xffff)).toString(16);
  // prefix:h2:h3:h4::last — hextets 2–4 and the last are non-zero, so the only zero run is the
  // three hextets `::` stands for: canonical per RFC 5952 §4.2.
  return `${V6_FIRST[h1 % V6_FIRST.length]}:${hextet(h1 >>> 8)}:${hextet(h2 & 0xffff)}:${hextet(h2 >>> 16)}::${hextet((h1 >>> 4) ^ h2)}`;
}

/** `v4` IPv4 and `v6` IPv6 addresses for one host, identified by (a, b). */
export function glue(key: SeedKey, stream: number, a: number, b: number, v4: number, v6: number): HostAddr[] {
  const out: HostAddr[] = [];
  for (let n = 0; n < v4; n++) out.push({ ip: 'v4', addr: ipv4(key, stream, a, b * 8 + n) });
  for (let n = 0; n < v6; n++) out.push({ ip: 'v6', addr: ipv6(key, stream, a, b * 8 + n) });
  return out;
}
