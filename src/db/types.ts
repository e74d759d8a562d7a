/**
 * Type parsers shared by both database implementations so the same SQL gives the same
 * JavaScript values. Keyed by PostgreSQL type OID.
 */
import pg from 'pg';

const textArrayParser = (pg.types.getTypeParser as (oid: number, format: string) => unknown)(1009, 'text') as (value: string) => unknown;

/** `2026-11-21 15:31:24.199+00` (TimeZone=UTC, DateStyle=ISO) → `2026-11-21T15:31:24.199Z`. */
export function pgTimestampToIso(value: string): string {
  const match = /^(\d{4,}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)(?:\+00(?::?00)?)?$/.exec(value);
  if (!match) throw new Error(`unexpected timestamp text from PostgreSQL: ${value} (is the session TimeZone UTC?)`);
  return `${match[1]}T${match[2]}Z`;
}

function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`bigint ${value} does not fit a JavaScript number; cast it to text in SQL`);
  return n;
}

function parseBytea(value: string): Buffer {
  if (value.startsWith('\\x')) return Buffer.from(value.slice(2), 'hex');
  throw new Error('bytea in escape format is not supported; set bytea_output = hex');
}

export const TYPE_PARSERS: Readonly<Record<number, (value: string) => unknown>> = {
  16: (v) => v === 't', // bool
  17: parseBytea, // bytea
  20: parseInt8, // int8
  21: (v) => Number(v), // int2
  23: (v) => Number(v), // int4
  26: (v) => Number(v), // oid
  700: (v) => Number(v), // float4
  701: (v) => Number(v), // float8
  1700: (v) => v, // numeric stays exact
  114: (v) => JSON.parse(v), // json
  3802: (v) => JSON.parse(v), // jsonb
  1082: (v) => v, // date
  1114: pgTimestampToIso, // timestamp (treated as UTC)
  1184: pgTimestampToIso, // timestamptz
  1009: textArrayParser, // text[]
  1015: textArrayParser, // varchar[]
  25: (v) => v,
  1043: (v) => v,
};

/** Statements every session runs first, on both implementations. */
export const SESSION_SETUP = "SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex'; SET IntervalStyle = 'postgres'";
