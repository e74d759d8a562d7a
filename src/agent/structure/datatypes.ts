/**
 * Simple-type validation (XSD 1.0 Part 2): whitespace normalisation, the lexical spaces of the
 * primitive datatypes, and the constraining facets. `SimpleValidator` compiles one closure per
 * type of a SchemaModel on first use.
 */
import type { Facets, SchemaModel, SimpleTypeDef } from './model-types.js';
import { daysInMonth, plainFields } from '../../model/datetime.js';

/** Returns null when the value is valid, otherwise a message saying why not. */
export type ValueCheck = (raw: string) => string | null;

/** whiteSpace facet (XSD 1.0 Part 2 §4.3.6). */
export function normalizeWhitespace(value: string, ws: SimpleTypeDef['ws']): string {
  if (ws === 'preserve') return value;
  // Most values are already normal: one pass over the characters tells, without a copy.
  const collapse = ws === 'collapse';
  const n = value.length;
  let space = true; // the previous character was a space (or this is the start)
  let i = 0;
  for (; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x20) {
      if (space && collapse) break;
      space = true;
    } else if (c === 0x09 || c === 0x0a || c === 0x0d) break;
    else space = false;
  }
  if (i === n && !(collapse && space && n > 0)) return value;
  const replaced = /[\t\n\r]/.test(value) ? value.replace(/[\t\n\r]/g, ' ') : value;
  if (ws === 'replace') return replaced;
  if (!/^ |  | $/.test(replaced)) return replaced;
  return replaced.replace(/ +/g, ' ').replace(/^ | $/g, '');
}

/** Length in characters (code points), as XSD counts it. */
function charLength(value: string): number {
  let n = value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) n--;
  }
  return n;
}

const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const FLOAT = /^(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|INF|-INF|NaN)$/;
const DURATION = /^-?P(?!$)(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?(?:T(?!$)(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?$/;
const TZ = '(Z|[+-](?:(?:0[0-9]|1[0-3]):[0-5][0-9]|14:00))?';
const YEAR = '(-?(?:[1-9][0-9]{4,}|[0-9]{4}))';
const DATE_TIME = new RegExp(`^${YEAR}-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\\.[0-9]+)?)${TZ}$`);
const DATE = new RegExp(`^${YEAR}-([0-9]{2})-([0-9]{2})${TZ}$`);
const TIME = new RegExp(`^([0-9]{2}):([0-9]{2}):([0-9]{2}(?:\\.[0-9]+)?)${TZ}$`);
const G_YEAR_MONTH = new RegExp(`^${YEAR}-(0[1-9]|1[0-2])${TZ}$`);
const G_YEAR = new RegExp(`^${YEAR}${TZ}$`);
const G_MONTH_DAY = new RegExp(`^--(0[1-9]|1[0-2])-([0-9]{2})${TZ}$`);
const G_DAY = new RegExp(`^---(0[1-9]|[12][0-9]|3[01])${TZ}$`);
const G_MONTH = new RegExp(`^--(0[1-9]|1[0-2])${TZ}$`);
const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^(?:(?:[A-Za-z0-9+/] ?){4})*(?:(?:[A-Za-z0-9+/] ?){3}[A-Za-z0-9+/]|(?:[A-Za-z0-9+/] ?){2}[AEIMQUYcgkosw048] ?=|[A-Za-z0-9+/] ?[AQgw] ?= ?=)?$/;
const NCNAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nd}\p{Mn}\p{Mc}\p{Nl}._\-\u00B7]*$/u;

// RFC 3986 URI-reference, after the characters XML Schema lets anyURI carry unescaped (spaces,
// non-ASCII, `<>"{}|\^\`'`) are replaced, as XSD 1.0 Part 2 §3.2.17 describes.
const PCT = '%[0-9A-Fa-f]{2}';
const UNRESERVED_SUB = "A-Za-z0-9\\-._~!$&'()*+,;=";
const PCHAR = `(?:[${UNRESERVED_SUB}:@]|${PCT})`;
const SEGMENT = `${PCHAR}*`;
const SEGMENT_NZ_NC = `(?:[${UNRESERVED_SUB}@]|${PCT})+`;
const IP_LITERAL = '\\[(?:[0-9A-Fa-f:.]+|v[0-9A-Fa-f]+\\.[' + UNRESERVED_SUB + ':]+)\\]';
const REG_NAME = `(?:[${UNRESERVED_SUB}]|${PCT})*`;
const AUTHORITY = `(?:(?:[${UNRESERVED_SUB}:]|${PCT})*@)?(?:${IP_LITERAL}|${REG_NAME})(?::[0-9]*)?`;
const QUERY = `(?:${PCHAR}|[/?])*`;
const HIER = `(?://${AUTHORITY}(?:/${SEGMENT})*|/(?:${PCHAR}+(?:/${SEGMENT})*)?|${PCHAR}+(?:/${SEGMENT})*|)`;
const RELATIVE = `(?://${AUTHORITY}(?:/${SEGMENT})*|/(?:${PCHAR}+(?:/${SEGMENT})*)?|${SEGMENT_NZ_NC}(?:/${SEGMENT})*|)`;
const URI_REFERENCE = new RegExp(`^(?:[A-Za-z][A-Za-z0-9+\\-.]*:${HIER}|${RELATIVE})(?:\\?${QUERY})?(?:#${QUERY})?$`);

function validDate(yearText: string, monthText: string, dayText: string): boolean {
  const year = Number(yearText);
  const month = Number(monthText);
  const day = Number(dayText);
  if (year === 0) return false; // XSD 1.0: there is no year 0000
  if (month < 1 || month > 12) return false;
  // Leap years of the proleptic calendar, counting 1 BCE as -0001 (XSD 1.0 Part 2 §3.2.7).
  const astronomical = year < 0 ? year + 1 : year;
  return day >= 1 && day <= daysInMonth(Math.abs(astronomical), month);
}

function validTime(h: string, m: string, s: string): boolean {
  const hour = Number(h);
  const minute = Number(m);
  const second = Number(s);
  if (hour === 24) return minute === 0 && second === 0;
  return hour < 24 && minute < 60 && second < 60;
}

/**
 * The common dateTime of a deposit, `YYYY-MM-DDTHH:MM:SSZ` (20 characters, RFC 9022 §4.6), checked
 * without the regular expression: true/false when `v` has that shape, undefined when it has
 * another (the general check decides). Same verdict as DATE_TIME + validDate + validTime.
 */
export function dateTimeZ(v: string): boolean | undefined {
  if (!plainFields(v, fields)) return undefined;
  const year = fields[0]!;
  const month = fields[1]!;
  const day = fields[2]!;
  const hour = fields[3]!;
  const minute = fields[4]!;
  const second = fields[5]!;
  if (year === 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return hour === 24 ? minute === 0 && second === 0 : hour < 24 && minute < 60 && second < 60;
}

const fields = [0, 0, 0, 0, 0, 0];

/** Two ASCII digits at bytes[i], or -1. */
function digits2(bytes: Uint8Array, i: number): number {
  const a = bytes[i]! - 0x30;
  const b = bytes[i + 1]! - 0x30;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/**
 * dateTimeZ over the bytes of a value (UTF-8, `n` bytes at `start`): the same verdict as
 * `dateTimeZ` of the decoded string (differential test in datatypes.test.ts), without decoding it.
 */
export function dateTimeZBytes(bytes: Uint8Array, start: number, n: number): boolean | undefined {
  const s = start;
  if (n !== 20 || bytes[s + 4] !== 45 || bytes[s + 7] !== 45 || bytes[s + 10] !== 84 || bytes[s + 13] !== 58 || bytes[s + 16] !== 58 || bytes[s + 19] !== 90) return undefined;
  const century = digits2(bytes, s);
  const yy = digits2(bytes, s + 2);
  const month = digits2(bytes, s + 5);
  const day = digits2(bytes, s + 8);
  const hour = digits2(bytes, s + 11);
  const minute = digits2(bytes, s + 14);
  const second = digits2(bytes, s + 17);
  if (century < 0 || yy < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  const year = century * 100 + yy;
  if (year === 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  return hour === 24 ? minute === 0 && second === 0 : hour < 24 && minute < 60 && second < 60;
}

/** How the values of a simple type can be checked from the bytes of an ASCII value without whitespace or references. */
export const enum ByteCheck {
  /** Only by the general check on the string. */
  None = 0,
  /** A string type whose only facets are lengths: valid when the byte count is in [minLen, maxLen]. */
  Length = 1,
  /** A plain xs:dateTime (no facets): dateTimeZBytes. */
  DateTime = 2,
}

/** The byte check of a simple type and its length bounds (XSD lengths count characters: bytes, for ASCII). */
export function byteCheckOf(def: SimpleTypeDef): { check: ByteCheck; min: number; max: number } {
  const f = def.facets;
  const keys = Object.keys(f).filter((k) => f[k as keyof Facets] !== undefined && !(k === 'patterns' && f.patterns!.length === 0));
  if (def.primitive === 'dateTime' && keys.length === 0) return { check: ByteCheck.DateTime, min: 0, max: 0 };
  if (def.primitive !== 'string' || !keys.every((k) => k === 'length' || k === 'minLength' || k === 'maxLength')) return { check: ByteCheck.None, min: 0, max: 0 };
  let min = f.minLength ?? 0;
  let max = f.maxLength ?? Number.MAX_SAFE_INTEGER;
  if (f.length !== undefined) {
    min = Math.max(min, f.length);
    max = Math.min(max, f.length);
  }
  return { check: ByteCheck.Length, min, max };
}

/** The lexical-space check of a primitive (XSD 1.0 Part 2 §3.2). */
function lexical(primitive: SimpleTypeDef['primitive'], v: string, resolvePrefix?: (prefix: string) => string | undefined): string | null {
  let m: RegExpExecArray | null;
  switch (primitive) {
    case 'anySimpleType':
    case 'string':
      return null;
    case 'boolean':
      return v === 'true' || v === 'false' || v === '1' || v === '0' ? null : 'not a boolean';
    case 'decimal':
      return DECIMAL.test(v) ? null : 'not a decimal number';
    case 'float':
    case 'double':
      return FLOAT.test(v) ? null : `not a ${primitive}`;
    case 'duration':
      return DURATION.test(v) ? null : 'not a duration';
    case 'dateTime': {
      const fast = dateTimeZ(v);
      if (fast !== undefined) return fast ? null : 'not a dateTime';
      m = DATE_TIME.exec(v);
      return m && validDate(m[1]!, m[2]!, m[3]!) && validTime(m[4]!, m[5]!, m[6]!) ? null : 'not a dateTime';
    }
    case 'date':
      m = DATE.exec(v);
      return m && validDate(m[1]!, m[2]!, m[3]!) ? null : 'not a date';
    case 'time':
      m = TIME.exec(v);
      return m && validTime(m[1]!, m[2]!, m[3]!) ? null : 'not a time';
    case 'gYearMonth':
      m = G_YEAR_MONTH.exec(v);
      return m && Number(m[1]) !== 0 ? null : 'not a gYearMonth';
    case 'gYear':
      m = G_YEAR.exec(v);
      return m && Number(m[1]) !== 0 ? null : 'not a gYear';
    case 'gMonthDay':
      m = G_MONTH_DAY.exec(v);
      return m && Number(m[2]) >= 1 && Number(m[2]) <= daysInMonth(2000, Number(m[1])) ? null : 'not a gMonthDay';
    case 'gDay':
      return G_DAY.test(v) ? null : 'not a gDay';
    case 'gMonth':
      return G_MONTH.test(v) ? null : 'not a gMonth';
    case 'hexBinary':
      return HEX.test(v) ? null : 'not hexBinary';
    case 'base64Binary':
      return BASE64.test(v) ? null : 'not base64Binary';
    case 'anyURI':
      return URI_REFERENCE.test(v.replace(/[\u0000-\u0020\u007f-\u{10ffff}<>"{}|\\^`']/gu, '_')) ? null : 'not a URI';
    case 'QName': {
      const colon = v.indexOf(':');
      const prefix = colon < 0 ? '' : v.slice(0, colon);
      const local = colon < 0 ? v : v.slice(colon + 1);
      if (!NCNAME.test(local) || (colon >= 0 && !NCNAME.test(prefix))) return 'not a QName';
      if (colon >= 0 && resolvePrefix && resolvePrefix(prefix) === undefined) return `prefix ${prefix} is not bound`;
      return null;
    }
  }
}

/** 1 to 15 ASCII digits, nothing else. */
function smallDigits(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 15) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** Compare two decimal literals numerically (both valid per DECIMAL). */
export function compareDecimal(a: string, b: string): number {
  // Unsigned integers of up to 15 digits (nearly every value of a deposit: counts, ports, key
  // flags) are exact as numbers.
  if (smallDigits(a) && smallDigits(b)) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const parse = (s: string): { neg: boolean; int: string; frac: string } => {
    let neg = false;
    let t = s;
    if (t[0] === '+' || t[0] === '-') {
      neg = t[0] === '-';
      t = t.slice(1);
    }
    const dot = t.indexOf('.');
    const int = (dot < 0 ? t : t.slice(0, dot)).replace(/^0+/, '');
    const frac = (dot < 0 ? '' : t.slice(dot + 1)).replace(/0+$/, '');
    if (int === '' && frac === '') neg = false; // -0 = 0
    return { neg, int, frac };
  };
  const x = parse(a);
  const y = parse(b);
  if (x.neg !== y.neg) return x.neg ? -1 : 1;
  const sign = x.neg ? -1 : 1;
  if (x.int.length !== y.int.length) return sign * (x.int.length < y.int.length ? -1 : 1);
  if (x.int !== y.int) return sign * (x.int < y.int ? -1 : 1);
  const len = Math.max(x.frac.length, y.frac.length);
  const fx = x.frac.padEnd(len, '0');
  const fy = y.frac.padEnd(len, '0');
  return fx === fy ? 0 : sign * (fx < fy ? -1 : 1);
}

/** Length of a value for the length facets: octets for binary types, characters otherwise. */
function valueLength(primitive: SimpleTypeDef['primitive'], v: string): number {
  if (primitive === 'hexBinary') return v.length / 2;
  if (primitive === 'base64Binary') {
    const s = v.replace(/ /g, '');
    return (s.length / 4) * 3 - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);
  }
  return charLength(v);
}

function compileCheck(def: SimpleTypeDef): (v: string, resolvePrefix?: (p: string) => string | undefined) => string | null {
  // Facets are read into the closure once: Facets objects differ in shape from type to type,
  // and the check below runs for every simple value of a deposit.
  const f: Facets = def.facets;
  const primitive = def.primitive;
  const patterns = (f.patterns ?? []).map((group) => group.map((source) => new RegExp(source, 'u')));
  const enumeration = f.enumeration;
  const numeric = primitive === 'decimal';
  const enumSet = enumeration && !numeric ? new Set(enumeration) : null;
  const { length, minLength, maxLength, minInclusive, maxInclusive, minExclusive, maxExclusive, fractionDigits } = f;
  const hasLength = (length !== undefined || minLength !== undefined || maxLength !== undefined) && primitive !== 'QName';
  const hasRange = numeric && (minInclusive !== undefined || maxInclusive !== undefined || minExclusive !== undefined || maxExclusive !== undefined);
  const hasFraction = numeric && fractionDigits !== undefined;
  const quote = (v: string): string => JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}…` : v);
  return (v, resolvePrefix) => {
    const lexicalError = lexical(primitive, v, resolvePrefix);
    if (lexicalError) return `${quote(v)} is ${lexicalError}`;
    for (let g = 0; g < patterns.length; g++) {
      const group = patterns[g]!;
      let matched = false;
      for (let r = 0; r < group.length && !matched; r++) matched = group[r]!.test(v);
      if (!matched) return `${quote(v)} does not match the pattern of ${typeLabel(def)}`;
    }
    if (hasLength) {
      const n = valueLength(primitive, v);
      if (length !== undefined && n !== length) return `${quote(v)} has length ${n}, not ${length}`;
      if (minLength !== undefined && n < minLength) return `${quote(v)} is shorter than ${minLength}`;
      if (maxLength !== undefined && n > maxLength) return `${quote(v)} is longer than ${maxLength}`;
    }
    if (hasRange) {
      if (minInclusive !== undefined && compareDecimal(v, minInclusive) < 0) return `${quote(v)} is below ${minInclusive}`;
      if (maxInclusive !== undefined && compareDecimal(v, maxInclusive) > 0) return `${quote(v)} is above ${maxInclusive}`;
      if (minExclusive !== undefined && compareDecimal(v, minExclusive) <= 0) return `${quote(v)} is not above ${minExclusive}`;
      if (maxExclusive !== undefined && compareDecimal(v, maxExclusive) >= 0) return `${quote(v)} is not below ${maxExclusive}`;
    }
    if (hasFraction) {
      const dot = v.indexOf('.');
      if (dot >= 0 && v.slice(dot + 1).replace(/0+$/, '').length > fractionDigits!) return `${quote(v)} has too many fraction digits`;
    }
    if (enumeration) {
      const ok = enumSet ? enumSet.has(v) : enumeration.some((e) => compareDecimal(e, v) === 0);
      if (!ok) return `${quote(v)} is not one of the values of ${typeLabel(def)}`;
    }
    return null;
  };
}

function typeLabel(def: SimpleTypeDef): string {
  const name = def.chain[0] ?? 'an anonymous type';
  const m = /^\{(.*)\}(.*)$/.exec(name);
  return m ? `${m[2]} (${m[1]})` : name;
}

/** Simple-type checks of one model, compiled once per type on first use. */
export class SimpleValidator {
  /** By type index: the compiled check and the type's whiteSpace facet. */
  private readonly compiled: Array<{ fn: ReturnType<typeof compileCheck>; ws: SimpleTypeDef['ws'] } | undefined> = [];

  constructor(private readonly model: SchemaModel) {}

  /**
   * Check a raw (unnormalised) value against simple type `type`; null when valid. `noSpace`:
   * the caller knows the value has no whitespace character (normalisation is skipped).
   */
  check(type: number, raw: string, resolvePrefix?: (p: string) => string | undefined, noSpace = false): string | null {
    let c = this.compiled[type];
    if (c === undefined) {
      const def = this.model.types[type];
      if (!def || def.kind !== 'simple') throw new Error(`type ${type} is not a simple type`);
      c = { fn: compileCheck(def), ws: def.ws };
      this.compiled[type] = c;
    }
    return c.fn(noSpace ? raw : normalizeWhitespace(raw, c.ws), resolvePrefix);
  }

  /** The normalised form of a value (what facets and enumerations see). */
  normalize(type: number, raw: string): string {
    const def = this.model.types[type];
    if (!def || def.kind !== 'simple') return raw;
    return normalizeWhitespace(raw, def.ws);
  }
}
