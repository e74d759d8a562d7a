/**
 * Deposit identity: the RFC 8909 `id` attribute and the ICANN Spec 2 file name.
 *
 * Deposit id (RFC 8909 §4 XSD `depositIdType`: token, pattern `\w{1,13}`):
 *
 *     YYYYMMDD T ssss        e.g. 20240107F0000 = FULL for 2024-01-07T00:00:00Z
 *
 * the watermark's UTC date, one letter for the type (F = FULL, D = DIFF, I = INCR, T = THIN) and the
 * watermark's second of the day in base 36, upper case, four digits (86399 = "1UNZ"). Exactly
 * 13 word characters; derived only from watermark and type, so the same snapshot/watermark gives
 * the same id and a resend keeps its id (only `resend` changes, as Nomulus does). Lexical order
 * is chronological within a type. Two watermarks within the same second share an id; Spec 2
 * names allow one deposit per type and day anyway (the name carries only the date).
 *
 * File name (Spec 2 Part A §5, rde-standards.md §3.4):
 *
 *     {tld}_{YYYY-MM-DD}_{type}_S{seq}_R{rev}.{ext}     e.g. example_2024-01-07_full_S1_R0.xml
 *
 * `{tld}` is the A-label, `{YYYY-MM-DD}` the watermark's UTC date, `{rev}` the resend count.
 */
import { StrongroomError } from '../common/errors.js';
import { canonicalDateTime, tryCanonicalDateTime } from '../model/datetime.js';
import type { DepositType } from '../model/objects.js';

/** THIN (BRDA, RFC 8909 type FULL) gets a letter of its own so it never shares a FULL's id. */
const TYPE_LETTER: Readonly<Record<DepositType | 'THIN', string>> = { FULL: 'F', DIFF: 'D', INCR: 'I', THIN: 'T' };

/** RFC 8909 `depositIdType`. */
export const DEPOSIT_ID_PATTERN = /^\w{1,13}$/;

/** RFC 8909 `resend` is an xs:unsignedShort. */
export const MAX_RESEND = 65535;

export function depositId(watermark: string, type: DepositType | 'THIN'): string {
  const canonical = canonicalDateTime(watermark);
  const date = canonical.slice(0, 10).replace(/-/g, '');
  const seconds = Number(canonical.slice(11, 13)) * 3600 + Number(canonical.slice(14, 16)) * 60 + Number(canonical.slice(17, 19));
  return `${date}${TYPE_LETTER[type]}${seconds.toString(36).toUpperCase().padStart(4, '0')}`;
}

/** The watermark second and type an id stands for (inverse of depositId, to the second). */
export function parseDepositId(id: string): { watermark: string; type: DepositType } | null {
  const m = /^(\d{4})(\d{2})(\d{2})([FDI])([0-9A-Z]{4})$/.exec(id);
  if (!m) return null;
  const seconds = parseInt(m[5]!, 36);
  if (seconds >= 86400) return null;
  const type = (Object.entries(TYPE_LETTER).find(([, letter]) => letter === m[4])![0]) as DepositType;
  const hh = String(Math.floor(seconds / 3600)).padStart(2, '0');
  const mm = String(Math.floor((seconds % 3600) / 60)).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  const watermark = `${m[1]}-${m[2]}-${m[3]}T${hh}:${mm}:${ss}Z`;
  return tryCanonicalDateTime(watermark) === watermark ? { watermark, type } : null;
}

export type FileType = 'full' | 'diff' | 'thin';

export interface FileNameParts {
  tld: string;
  watermark: string;
  type: FileType;
  resend: number;
  /** Position in a split series, from 1 (Spec 2 §5 `S{#}`). */
  seq?: number;
  ext: 'xml' | 'tar' | 'ryde' | 'sig';
}

export function depositFileName(parts: FileNameParts): string {
  if (!/^[a-z0-9-]+$/.test(parts.tld)) {
    throw new StrongroomError('DEPOSIT_INVALID_ARGUMENT', `TLD "${parts.tld}" is not a lower-case A-label (Spec 2 names use the A-label)`);
  }
  if (!Number.isInteger(parts.resend) || parts.resend < 0 || parts.resend > MAX_RESEND) {
    throw new StrongroomError('DEPOSIT_INVALID_ARGUMENT', `resend must be an integer from 0 to ${MAX_RESEND}, got ${parts.resend}`);
  }
  const date = canonicalDateTime(parts.watermark).slice(0, 10);
  return `${parts.tld}_${date}_${parts.type}_S${parts.seq ?? 1}_R${parts.resend}.${parts.ext}`;
}
