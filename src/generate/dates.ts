/**
 * Date arithmetic for the generator, in integer milliseconds since the epoch (UTC), with
 * calendar conversions done arithmetically (H. Hinnant's days-from-civil algorithms): the
 * generator formats millions of dates and `Date` objects are the slow path.
 * Output strings are the canonical RFC 3339 form of src/model/datetime.ts.
 */

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** [year, month 1–12, day 1–31] of a day number (days since 1970-01-01). */
export function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** Day number of a calendar date; days past the month's end roll over (like Date.UTC). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

/** Canonical RFC 3339 UTC text: seconds always, fraction only when non-zero. */
export function iso(ms: number): string {
  const days = Math.floor(ms / DAY);
  const [year, month, day] = civilFromDays(days);
  let rest = ms - days * DAY;
  const hours = Math.floor(rest / HOUR);
  rest -= hours * HOUR;
  const minutes = Math.floor(rest / MINUTE);
  rest -= minutes * MINUTE;
  const seconds = Math.floor(rest / SECOND);
  const millis = rest - seconds * SECOND;
  const head = `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}`;
  if (millis === 0) return `${head}Z`;
  return `${head}.${String(millis).padStart(3, '0').replace(/0+$/, '')}Z`;
}

/** The same wall-clock instant `years` calendar years later (29 February rolls to 1 March). */
export function addYears(ms: number, years: number): number {
  const days = Math.floor(ms / DAY);
  const [year, month, day] = civilFromDays(days);
  return daysFromCivil(year + years, month, day) * DAY + (ms - days * DAY);
}

/** Calendar year of an instant. */
export function yearOf(ms: number): number {
  return civilFromDays(Math.floor(ms / DAY))[0];
}

/** The first anniversary of `start` strictly after `after` (at least one year after start). */
export function anniversaryAfter(start: number, after: number): number {
  let years = Math.max(1, yearOf(after) - yearOf(start) - 1);
  let candidate = addYears(start, years);
  while (candidate <= after) candidate = addYears(start, ++years);
  return candidate;
}

/** Start of the UTC day containing `ms`. */
export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY) * DAY;
}

/** Truncate to whole seconds. */
export function wholeSeconds(ms: number): number {
  return Math.floor(ms / SECOND) * SECOND;
}
