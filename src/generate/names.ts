/**
 * Domain labels: an injective map from the regular domain number r to a realistic label, so
 * names are unique without remembering which were issued.
 *
 * r is split into a style (r mod 20) and a number q within the style; q is scrambled by an
 * affine bijection of [0, W^k) and written in base W with words from a prefix-free list:
 *
 *   slot 0        IDN (5%): words of the `de`, `ja` or `zh-Hans` IDN table (rotating)
 *   slots 1–2     words joined by hyphens (10%, always at least two words)
 *   slots 3–5     words followed by a number (15%)
 *   slots 6–19    words run together (70%)
 *
 * The styles produce disjoint sets (IDN labels are non-ASCII, hyphenated ones contain '-',
 * numbered ones a digit, plain ones letters only) and each style is injective because a
 * concatenation of prefix-free words decodes uniquely. Edge-case labels start with a digit
 * or are not concatenations of words, so they never collide with regular ones.
 */
import { domainToASCII } from 'node:url';
import { hash32, stringHash, type SeedKey } from './random.js';
import { ASCII_WORDS, IDN_WORDS, NAME_NUMBERS } from './vocabulary.js';

export type IdnTableId = keyof typeof IDN_WORDS;
export const IDN_TABLE_ROTATION: readonly IdnTableId[] = ['de', 'ja', 'zh-Hans'];

export interface Label {
  /** The A-label (LDH form). */
  label: string;
  /** The U-label when the label is an IDN. */
  uLabel?: string;
  idnTable?: IdnTableId;
}

const STYLE_SLOTS = 20;
/** Multipliers of the scrambles: primes below 2^20 that divide none of the word-list sizes,
 * so q·a stays below 2^53 (exact) for every modulus W^k < 2^33 the supported N needs. */
const MULTIPLIERS = [7919, 104729, 130363, 611953, 746773, 882377, 999983, 1000003];

class WordScramble {
  private readonly words: readonly string[];
  private readonly wordCount: number;
  readonly k: number;
  private readonly modulus: number;
  private readonly a: number;
  private readonly b: number;

  constructor(words: readonly string[], maxValues: number, minWords: number, key: SeedKey, stream: number) {
    this.words = words;
    this.wordCount = words.length;
    let k = minWords;
    while (this.wordCount ** k < maxValues) k++;
    this.k = k;
    this.modulus = this.wordCount ** k;
    let a = (MULTIPLIERS[hash32(key, stream, 3) % MULTIPLIERS.length] as number) % this.modulus;
    while (a === 0 || gcdSmall(a, this.modulus) !== 1) a++;
    this.a = a;
    this.b = hash32(key, stream, 4) % this.modulus;
  }

  /** The k words of value q (q < W^k). */
  wordsOf(q: number): string[] {
    let x = ((q * this.a) % this.modulus + this.b) % this.modulus;
    const out: string[] = [];
    for (let n = 0; n < this.k; n++) {
      out.push(this.words[x % this.wordCount] as string);
      x = Math.floor(x / this.wordCount);
    }
    return out;
  }
}

function gcdSmall(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/** Generates the label of regular domain r; one instance per plan. */
export class LabelMaker {
  private readonly plain: WordScramble;
  private readonly hyphen: WordScramble;
  private readonly numbered: WordScramble;
  private readonly idn: Record<IdnTableId, WordScramble>;
  private readonly numberStream: number;
  private readonly key: SeedKey;

  constructor(regularCount: number, key: SeedKey) {
    const rounds = Math.floor(Math.max(0, regularCount - 1) / STYLE_SLOTS) + 1;
    this.key = key;
    this.plain = new WordScramble(ASCII_WORDS, rounds * 14, 1, key, stringHash('names/plain'));
    this.hyphen = new WordScramble(ASCII_WORDS, rounds * 2, 2, key, stringHash('names/hyphen'));
    this.numbered = new WordScramble(ASCII_WORDS, rounds * 3, 1, key, stringHash('names/numbered'));
    const perTable = Math.floor((rounds - 1) / IDN_TABLE_ROTATION.length) + 1;
    this.idn = {
      de: new WordScramble(IDN_WORDS.de, perTable, 1, key, stringHash('names/idn/de')),
      ja: new WordScramble(IDN_WORDS.ja, perTable, 1, key, stringHash('names/idn/ja')),
      'zh-Hans': new WordScramble(IDN_WORDS['zh-Hans'], perTable, 1, key, stringHash('names/idn/zh-Hans')),
    };
    this.numberStream = stringHash('names/number');
  }

  label(r: number): Label {
    const slot = r % STYLE_SLOTS;
    const q = Math.floor(r / STYLE_SLOTS);
    if (slot === 0) {
      const table = IDN_TABLE_ROTATION[q % IDN_TABLE_ROTATION.length] as IdnTableId;
      const uLabel = this.idn[table].wordsOf(Math.floor(q / IDN_TABLE_ROTATION.length)).join('');
      return { label: toALabel(uLabel), uLabel, idnTable: table };
    }
    if (slot <= 2) return { label: this.hyphen.wordsOf(q * 2 + slot - 1).join('-') };
    if (slot <= 5) {
      const value = q * 3 + slot - 3;
      const suffix = NAME_NUMBERS[hash32(this.key, this.numberStream, value) % NAME_NUMBERS.length] as string;
      return { label: this.numbered.wordsOf(value).join('') + suffix };
    }
    return { label: this.plain.wordsOf(q * 14 + slot - 6).join('') };
  }
}

/** The A-label of one U-label (UTS #46 non-transitional, as WHATWG URL does it). */
export function toALabel(uLabel: string): string {
  const ascii = domainToASCII(uLabel);
  if (ascii === '' || ascii.includes('.')) throw new Error(`not a valid IDN label: ${uLabel}`);
  return ascii;
}

/** True when `label` splits into words of `words` (used by tests to prove disjointness). */
export function isWordConcatenation(label: string, words: readonly string[]): boolean {
  const reachable = new Array<boolean>(label.length + 1).fill(false);
  reachable[0] = true;
  for (let end = 1; end <= label.length; end++) {
    for (const word of words) {
      const start = end - word.length;
      if (start >= 0 && reachable[start] && label.startsWith(word, start)) {
        reachable[end] = true;
        break;
      }
    }
  }
  return reachable[label.length] as boolean;
}
