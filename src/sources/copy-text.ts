/**
 * PostgreSQL's COPY text format: decoding it (the output of `Tx.copyTo`) into rows of fields,
 * and encoding one field for `Tx.copyFrom` (the generator, the rebuild loader, the agent's
 * reference rows).
 *
 * Format (PostgreSQL docs, "COPY … File Formats / Text Format"): one row per line ending in
 * "\n", fields separated by "\t", NULL written as `\N`, and backslash escapes for backslash,
 * the delimiter and control characters (`\b \f \n \r \t \v`, plus `\digits` octal and `\xhex`
 * on input). Reading the text format and converting it ourselves is several times faster than
 * row objects from a cursor (stack.md §4.5: COPY TO 614k rows/s, cursor 144–237k rows/s).
 *
 * Conversions of field text to values match what the adapter's type parsers give for the same
 * columns (db/types.ts), so a source reads the same values on either path.
 */
import { StringDecoder } from 'node:string_decoder';
import { pgTimestampToIso, TYPE_PARSERS } from '../db/types.js';

/** A value COPY text can carry as one field. */
export type CopyField = string | number | boolean | null | undefined;

/** One COPY text-format field: `\N` for null, backslash escapes for \ \n \r \t. */
export function copyField(value: CopyField): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'boolean') return value ? 't' : 'f';
  if (typeof value === 'number') return String(value);
  // Most values are short and need no escape: a loop over the code units is cheaper than a regular expression there.
  const n = value.length;
  if (n <= 64) {
    let i = 0;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c === 92 || c === 10 || c === 13 || c === 9) break;
    }
    if (i === n) return value;
  } else if (!/[\\\n\r\t]/.test(value)) return value;
  return value.replace(/[\\\n\r\t]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\\t'));
}

/** One row: the field texts in column order, `null` for SQL NULL. */
export type CopyRow = (string | null)[];

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

function unescapeField(field: string): string {
  return field.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, esc: string) => {
    const simple = ESCAPES[esc];
    if (simple !== undefined) return simple;
    if (esc.length > 1 || /[0-7]/.test(esc)) {
      const code = esc[0] === 'x' ? parseInt(esc.slice(1), 16) : parseInt(esc, 8);
      return String.fromCharCode(code);
    }
    return esc; // "\\" → "\", "\." etc.
  });
}

/** Split one line of COPY text into fields. */
export function parseCopyLine(line: string): CopyRow {
  // The array split() returns becomes the row (no second array per row).
  const row: CopyRow = line.split('\t');
  for (let index = 0; index < row.length; index++) {
    const field = row[index]!;
    if (field.charCodeAt(0) === 92 /* \ */ && field === '\\N') row[index] = null;
    else if (field.includes('\\')) row[index] = unescapeField(field);
  }
  return row;
}

/**
 * Rows of a COPY text stream, in batches (one batch per input chunk that completes rows).
 * Handles rows and UTF-8 sequences cut across chunk boundaries.
 */
export async function* copyRows(chunks: AsyncIterable<Buffer>): AsyncGenerator<CopyRow[]> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk);
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      rest = text;
      continue;
    }
    rest = text.slice(end + 1);
    const lines = text.slice(0, end).split('\n');
    const rows: CopyRow[] = new Array(lines.length);
    for (let index = 0; index < lines.length; index++) rows[index] = parseCopyLine(lines[index]!);
    yield rows;
  }
  rest += decoder.end();
  if (rest !== '') throw new Error(`COPY output ended inside a row (${rest.length} characters without a newline)`);
}

/** All rows of a (small, paged) COPY output in one array. */
export async function collectCopyRows(chunks: AsyncIterable<Buffer>): Promise<CopyRow[]> {
  const all: CopyRow[] = [];
  for await (const rows of copyRows(chunks)) for (const row of rows) all.push(row);
  return all;
}

// Field conversions (text → value), the same results as db/types.ts gives on the query path.

const textArray = TYPE_PARSERS[1009] as (value: string) => string[];

export function textOrUndefined(field: string | null): string | undefined {
  return field === null ? undefined : field;
}

/**
 * timestamptz text in a UTC session (`YYYY-MM-DD HH:MM:SS[.ffffff]+00`) → canonical RFC 3339
 * (model/datetime.ts), the same as pgTimestampToIso but without a regular expression on the
 * common shape. A value that is no date-time of the RFC (`infinity`, a BC date) is returned
 * as it is: the deposit pre-flight reports it; one bad row must not stop the reading.
 */
export function timestampOrUndefined(field: string | null): string | undefined {
  if (field === null) return undefined;
  const n = field.length;
  if (n >= 22 && n <= 29 && field.charCodeAt(4) === 45 && field.charCodeAt(10) === 32 && field.endsWith('+00')) {
    return `${field.slice(0, 10)}T${field.slice(11, n - 3)}Z`;
  }
  try {
    return pgTimestampToIso(field);
  } catch {
    return field;
  }
}

export function intOrUndefined(field: string | null): number | undefined {
  return field === null ? undefined : Number(field);
}

export function boolOrUndefined(field: string | null): boolean | undefined {
  return field === null ? undefined : field === 't';
}

export function textArrayOf(field: string | null): string[] {
  return field === null ? [] : textArray(field);
}

export function jsonOf(field: string | null): unknown {
  return field === null ? undefined : JSON.parse(field);
}
