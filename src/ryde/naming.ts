/**
 * Spec 2 Part A §5 file names: `{gTLD}_{YYYY-MM-DD}_{type}_S{#}_R{rev}.{ext}`.
 *
 * - `{gTLD}` is the TLD in A-label form (lower case letters, digits, hyphens; IDN TLDs as
 *   `xn--…`).
 * - `{YYYY-MM-DD}` is the watermark's date.
 * - `{type}` is `full`, `diff` (Spec 2) or `thin` (BRDA, Spec 4 §3.1).
 * - `S{#}` is the part number starting at 1 (1 for a lone file), `R{rev}` the resend number
 *   starting at 0.
 * - `{ext}`: `ryde` for a processed file, `sig` for its signature; Spec 2 §4 steps 1–2 name
 *   the XML (`xml`) and the tarball (`tar`) the same way.
 *
 * One deposit is identified by (tld, date, type, rev); its parts differ only in S.
 */
import { StrongroomError } from '../common/errors.js';

export type DepositKind = 'full' | 'diff' | 'thin';
export type NameExtension = 'ryde' | 'sig' | 'xml' | 'tar';

export interface DepositName {
  tld: string;
  /** YYYY-MM-DD (the watermark's date, UTC). */
  date: string;
  type: DepositKind;
  /** Part number, ≥ 1. */
  part: number;
  /** Resend number, ≥ 0. */
  rev: number;
}

const NAME_RE = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)_(\d{4}-\d{2}-\d{2})_(full|diff|thin)_S([1-9]\d{0,5})_R(0|[1-9]\d{0,5})\.(ryde|sig|xml|tar)$/;

function validDate(date: string): boolean {
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === date;
}

/** Parse a base file name (no directory). Throws RYDE_NAME_INVALID with the reason. */
export function parseDepositName(fileName: string): DepositName & { ext: NameExtension } {
  const match = NAME_RE.exec(fileName);
  if (!match) {
    throw new StrongroomError('RYDE_NAME_INVALID', `"${fileName}" is not a Spec 2 file name ({tld}_{YYYY-MM-DD}_{full|diff|thin}_S{n}_R{rev}.{ryde|sig|xml|tar})`, { location: fileName });
  }
  const [, tld, date, type, part, rev, ext] = match;
  if (!validDate(date!)) throw new StrongroomError('RYDE_NAME_INVALID', `"${fileName}" has an impossible date ${date}`, { location: fileName });
  return { tld: tld!, date: date!, type: type as DepositKind, part: Number(part), rev: Number(rev), ext: ext as NameExtension };
}

/** Format a file name; validates every field so a bad name can never be written. */
export function formatDepositName(name: DepositName, ext: NameExtension): string {
  const text = `${name.tld}_${name.date}_${name.type}_S${name.part}_R${name.rev}.${ext}`;
  const parsed = parseDepositName(text);
  if (parsed.tld !== name.tld || parsed.part !== name.part || parsed.rev !== name.rev) {
    throw new StrongroomError('RYDE_NAME_INVALID', `cannot form a Spec 2 name from ${JSON.stringify(name)}`);
  }
  return text;
}

/** The deposit's identity without the part number: `{tld}_{date}_{type}_R{rev}`. */
export function depositKey(name: DepositName): string {
  return `${name.tld}_${name.date}_${name.type}_R${name.rev}`;
}

/** The watermark date as a Date at 00:00:00Z (used for the tar and literal timestamps). */
export function nameDate(name: DepositName): Date {
  return new Date(`${name.date}T00:00:00Z`);
}
