/**
 * Canonical date-time form used across Strongroom: RFC 3339 in UTC with a `Z` suffix, seconds
 * always present, the fraction kept to at most 6 digits (PostgreSQL's microsecond precision)
 * with trailing zeros removed — exactly what PostgreSQL prints for a timestamptz in a UTC
 * session (see db/types.ts). RFC 8909 §4.1 requires UTC date-times in deposits.
 *
 *   canonicalDateTime('1999-04-03T22:00:00.0Z')        → '1999-04-03T22:00:00Z'
 *   canonicalDateTime('2010-10-17T02:30:00.25+02:30')  → '2010-10-17T00:00:00.25Z'
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** A value already in canonical form (UTC `Z`, 0 to 6 fraction digits without trailing zeros). */
const CANONICAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{0,5}[1-9])?Z$/;

/** Days in each month of a common year; February of a leap year has 29. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Two decimal digits at `i`, or -1. */
function twoDigits(v: string, i: number): number {
  const a = v.charCodeAt(i) - 48;
  const b = v.charCodeAt(i + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

/** Whether year/month/day/hour/minute/second are in range (the day within its month). */
function inRange(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return false;
  return day <= daysInMonth(year, month);
}

/** Days of `month` (1–12) in `year` of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return MONTH_DAYS[month - 1]! + (month === 2 && leap ? 1 : 0);
}

/**
 * The fields of `YYYY-MM-DDTHH:MM:SSZ` (20 characters, ASCII digits) into `out` (year, month,
 * day, hour, minute, second), ranges not checked: false when `v` is not of that form.
 */
export function plainFields(v: string, out: number[]): boolean {
  if (v.length !== 20 || v.charCodeAt(4) !== 45 || v.charCodeAt(7) !== 45 || v.charCodeAt(10) !== 84 || v.charCodeAt(13) !== 58 || v.charCodeAt(16) !== 58 || v.charCodeAt(19) !== 90) {
    return false;
  }
  const century = twoDigits(v, 0);
  const yy = twoDigits(v, 2);
  const month = twoDigits(v, 5);
  const day = twoDigits(v, 8);
  const hour = twoDigits(v, 11);
  const minute = twoDigits(v, 14);
  const second = twoDigits(v, 17);
  if (century < 0 || yy < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return false;
  out[0] = century * 100 + yy;
  out[1] = month;
  out[2] = day;
  out[3] = hour;
  out[4] = minute;
  out[5] = second;
  return true;
}

const fields = [0, 0, 0, 0, 0, 0];

/**
 * `YYYY-MM-DDTHH:MM:SSZ`, the form of nearly every value (every one a Strongroom deposit holds
 * without a fraction), checked by character codes: the value, null when out of range, or
 * undefined when it is not of that form (the regular expressions decide).
 */
function plainCanonical(v: string): string | null | undefined {
  if (!plainFields(v, fields)) return undefined;
  return inRange(fields[0]!, fields[1]!, fields[2]!, fields[3]!, fields[4]!, fields[5]!) ? v : null;
}

/** Returns the canonical form, or null when `value` is not an RFC 3339 date-time. */
export function tryCanonicalDateTime(value: string): string | null {
  const plain = plainCanonical(value);
  if (plain !== undefined) return plain;
  // Most other values are canonical already too (with a fraction): only the fields' ranges
  // need checking, without building Dates and strings.
  const c = CANONICAL.exec(value);
  if (c) {
    return inRange(Number(c[1]), Number(c[2]), Number(c[3]), Number(c[4]), Number(c[5]), Number(c[6])) ? value : null;
  }
  const m = RFC3339.exec(value.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  let offsetMinutes = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offsetMinutes = sign * (oh * 60 + om);
  }
  const base = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCDate() !== day) return null; // 2021-02-30 and friends
  // Round the fraction to microseconds like PostgreSQL does, carrying into the seconds.
  let micros = frac === '' ? 0 : Math.round(Number(`0.${frac}`) * 1e6);
  let utc = base - offsetMinutes * 60_000;
  if (micros >= 1e6) {
    utc += 1000;
    micros -= 1e6;
  }
  const iso = new Date(utc).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  if (year < 1 || year > 9999) return null;
  const fraction = micros === 0 ? '' : `.${String(micros).padStart(6, '0').replace(/0+$/, '')}`;
  return `${iso.slice(0, 19)}${fraction}Z`;
}

/** Canonical form; throws a RangeError naming the value when it is not RFC 3339. */
export function canonicalDateTime(value: string): string {
  const canonical = tryCanonicalDateTime(value);
  if (canonical === null) throw new RangeError(`not an RFC 3339 date-time: "${value}"`);
  return canonical;
}

/** Milliseconds since the epoch of a canonical (or any RFC 3339) date-time; sub-ms dropped. */
export function dateTimeMillis(value: string): number {
  return Date.parse(canonicalDateTime(value));
}

/** Compare two RFC 3339 date-times at microsecond precision: negative, zero or positive. */
export function compareDateTime(a: string, b: string): number {
  const ca = canonicalDateTime(a);
  const cb = canonicalDateTime(b);
  const ma = Date.parse(ca);
  const mb = Date.parse(cb);
  if (ma !== mb) return ma - mb;
  const fa = Number(`0${ca.slice(19, -1) || '.0'}`);
  const fb = Number(`0${cb.slice(19, -1) || '.0'}`);
  return fa - fb;
}
