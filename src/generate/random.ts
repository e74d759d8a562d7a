/**
 * Deterministic randomness for the generator: sfc32 (Chris Doty-Humphrey's Small Fast Counting
 * generator, 32-bit variant) seeded per object.
 *
 * Every object draws from its own stream, keyed by (seed, stream name, index): generating
 * object i never depends on objects 0..i-1, so a generator can start anywhere, run twice over
 * the same object (child tables, references) and stay bounded in memory. Only 32-bit integer
 * arithmetic and IEEE-exact operations (+ − × ÷ √) are used, so the same key gives the same
 * values on every platform and Node version. Math.random and the clock are never used.
 */
import { createHash } from 'node:crypto';

/** Four 32-bit words derived from the user's seed string (SHA-256, versioned). */
export type SeedKey = readonly [number, number, number, number];

/** Derive the seed key. The version tag changes if the derivation ever has to change. */
export function seedKey(seed: string): SeedKey {
  const digest = createHash('sha256').update(`strongroom/generate/v1\u0000${seed}`, 'utf8').digest();
  return [digest.readUInt32BE(0), digest.readUInt32BE(4), digest.readUInt32BE(8), digest.readUInt32BE(12)];
}

/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
export function mix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a short ASCII/UTF-16 string, for naming streams. */
export function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    h ^= text.charCodeAt(index);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A stateless hash of a key and up to three integers: a uniform 32-bit value. */
export function hash32(key: SeedKey, stream: number, a: number, b = 0): number {
  let h = mix32(key[0] ^ stream);
  h = mix32(h ^ Math.imul(a | 0, 0x9e3779b1));
  h = mix32(h ^ key[1] ^ Math.imul(b | 0, 0x7feb352d));
  return h;
}

/** Uniform float in [0, 1) from a stateless hash. */
export function hashFloat(key: SeedKey, stream: number, a: number, b = 0): number {
  return hash32(key, stream, a, b) / 4294967296;
}

/** sfc32 with helpers. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(a: number, b: number, c: number, d: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    this.d = d | 0;
    for (let round = 0; round < 12; round++) this.next();
  }

  /** The generator for object `index` of `stream` under `key`. */
  static forObject(key: SeedKey, stream: number, index: number): Rng {
    const lo = index >>> 0;
    const hi = Math.floor(index / 4294967296) >>> 0;
    return new Rng(mix32(key[0] ^ stream), mix32(key[1] ^ lo), mix32(key[2] ^ Math.imul(lo, 0x9e3779b1) ^ hi), key[3] ^ stream);
  }

  /** Next uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** Index drawn from cumulative weights (ascending, last = total). */
  weighted(cumulative: readonly number[]): number {
    return firstAbove(cumulative, this.float() * (cumulative[cumulative.length - 1] ?? 0));
  }

  /** `n` pseudo-random bytes. */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let offset = 0; offset < n; offset += 4) {
      const word = this.next();
      for (let k = 0; k < 4 && offset + k < n; k++) out[offset + k] = (word >>> (8 * k)) & 0xff;
    }
    return out;
  }

  /** `digits` decimal digits (leading zeros allowed). */
  digits(count: number): string {
    let out = '';
    for (let k = 0; k < count; k++) out += String(this.int(10));
    return out;
  }
}

/** Index of the first element of the ascending `sorted` greater than `value` (last index if none). */
export function firstAbove(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) > value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Cumulative sums of weights, for Rng.weighted. */
export function cumulate(weights: readonly number[]): number[] {
  const out: number[] = [];
  let total = 0;
  for (const weight of weights) {
    total += weight;
    out.push(total);
  }
  return out;
}

/** (a × b) mod m without leaving the exact double range, for a, b < m < 2^27. */
export function mulMod(a: number, b: number, m: number): number {
  return (((a * Math.floor(b / 16384)) % m) * 16384 + a * (b % 16384)) % m;
}

export function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Modular inverse of a mod m (gcd(a, m) = 1), by the extended Euclidean algorithm. */
export function modInverse(a: number, m: number): number {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1, 0];
  while (r !== 0) {
    const q = Math.floor(oldR / r);
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  return ((oldS % m) + m) % m;
}

/**
 * A bijection of [0, size) — `x ↦ (x·a + b) mod size` with gcd(a, size) = 1 — cheap to apply
 * both ways, so "which object sits at position p" needs no table.
 */
export class AffinePermutation {
  private readonly a: number;
  private readonly b: number;
  private readonly inverseA: number;

  constructor(readonly size: number, key: SeedKey, stream: number) {
    if (size < 1 || size >= 2 ** 27) throw new RangeError(`permutation size ${size} out of range`);
    let a = (hash32(key, stream, 1) % Math.max(1, size - 1)) + 1;
    while (gcd(a, size) !== 1) a++;
    this.a = a % size;
    this.b = hash32(key, stream, 2) % size;
    this.inverseA = size === 1 ? 0 : modInverse(this.a, size);
  }

  apply(x: number): number {
    return (mulMod(x, this.a, this.size) + this.b) % this.size;
  }

  invert(y: number): number {
    return mulMod((y - this.b + this.size) % this.size, this.inverseA, this.size);
  }
}
