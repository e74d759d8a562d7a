/**
 * The `iirdea` envelope of draft-lozano-icann-registry-interfaces (schema
 * ../shared/rde/report-schemas/iirdea-1.0.xsd, draft 26): ICANN's answer to a report
 * (`<response><result code="NNNN"><msg/><description/>?</result></response>`), and the
 * `<iirdea:result>` elements an escrow agent puts in a failed-verification notification.
 */
import { SaxesParser } from 'saxes';
import { StrongroomError, messageOf } from '../common/errors.js';
import { esc } from '../deposit/xml.js';

/** draft-lozano-icann-registry-interfaces §4 (iirdea-1.0). */
export const NS_IIRDEA = 'urn:ietf:params:xml:ns:iirdea-1.0';

/** iirdea `codeType`: unsignedShort restricted to 1000..9999. */
export const MIN_RESULT_CODE = 1000;
export const MAX_RESULT_CODE = 9999;

/** The code of an accepted report. */
export const RESULT_ACCEPTED = 1000;

/**
 * Result codes ICANN returns to a registry's escrow report (registry-interfaces draft; the list
 * as icann-client cites it, rde-standards.md §3.10). Only 2007 (interface disabled for the TLD,
 * a temporary state) is worth retrying; every other 2xxx says the report itself is not acceptable.
 */
export const REPORT_RESULT_CODES: Readonly<Record<number, { msg: string; retryable: boolean }>> = {
  1000: { msg: 'Command completed successfully', retryable: false },
  2001: { msg: 'The report is not valid against its schema', retryable: false },
  2002: { msg: 'A report for this deposit already exists and its cut-off time has passed', retryable: false },
  2003: { msg: 'The report contains negative values', retryable: false },
  2004: { msg: 'A date in the report is in the future', retryable: false },
  2005: { msg: 'The report version is not supported', retryable: false },
  2006: { msg: 'The id in the URL differs from the id in the report', retryable: false },
  2007: { msg: 'The interface is disabled for this TLD', retryable: true },
  2008: { msg: 'A date in the report is before the TLD was created', retryable: false },
  2202: { msg: 'The TLD in the header differs from the TLD in the URL', retryable: false },
  2205: { msg: 'Unexpected DIFF deposit: a FULL deposit was expected', retryable: false },
  2206: { msg: 'The header has both csvDomain and rdeDomain counts', retryable: false },
  2209: { msg: 'The TLD is missing from the header', retryable: false },
  2210: { msg: 'Unexpected rcdn in the header', retryable: false },
  2211: { msg: 'Duplicate count in the header', retryable: false },
  2212: { msg: 'Invalid label', retryable: false },
};

/** Codes worth sending the same report again for (rde-standards.md §3.10: 2007 is retryable). */
export function isRetryableResult(code: number): boolean {
  return REPORT_RESULT_CODES[code]?.retryable === true;
}

export interface IirdeaResult {
  code: number;
  msg: string;
  description?: string;
  domainCount?: number;
}

function responseInvalid(message: string): StrongroomError {
  return new StrongroomError('REPORT_RESPONSE_INVALID', message);
}

/**
 * Parse an iirdea `<response>` (or a bare `<result>`): namespace-aware, any prefix. Anything else
 * (not XML, another root, a code outside 1000..9999, no msg) is REPORT_RESPONSE_INVALID.
 */
export function parseIirdeaResponse(xml: string): IirdeaResult {
  const parser = new SaxesParser({ xmlns: true });
  const path: string[] = [];
  let result: IirdeaResult | null = null;
  let text = '';
  let msg: string | null = null;
  let description: string | undefined;
  let failure: Error | null = null;
  parser.on('error', (err) => {
    failure ??= err;
  });
  parser.on('opentag', (tag) => {
    path.push(tag.local);
    text = '';
    const depth = path.length;
    if (depth === 1 && (tag.uri !== NS_IIRDEA || (tag.local !== 'response' && tag.local !== 'result'))) {
      throw responseInvalid(`the answer is not an iirdea response (root element {${tag.uri}}${tag.local})`);
    }
    if (tag.uri === NS_IIRDEA && tag.local === 'result') {
      if (result !== null) throw responseInvalid('the answer holds more than one iirdea result');
      const code = tag.attributes.code?.value ?? '';
      if (!/^\d{4}$/.test(code.trim())) throw responseInvalid(`the iirdea result code "${code}" is not a number from ${MIN_RESULT_CODE} to ${MAX_RESULT_CODE}`);
      result = { code: Number(code.trim()), msg: '' };
      const domainCount = tag.attributes.domainCount?.value;
      if (domainCount !== undefined && /^\d+$/.test(domainCount.trim())) result.domainCount = Number(domainCount.trim());
    }
  });
  parser.on('text', (t) => {
    text += t;
  });
  parser.on('closetag', (tag) => {
    if (tag.uri === NS_IIRDEA && tag.local === 'msg') msg = text.trim().replace(/\s+/g, ' ');
    if (tag.uri === NS_IIRDEA && tag.local === 'description') description = text.trim();
    path.pop();
  });
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof StrongroomError) throw err;
    failure ??= err as Error;
  }
  if (failure) throw responseInvalid(`the answer is not well-formed XML: ${messageOf(failure)}`);
  const found = result as IirdeaResult | null;
  if (found === null) throw responseInvalid('the answer holds no iirdea result');
  if (msg === null) throw responseInvalid(`the iirdea result ${found.code} has no msg`);
  found.msg = msg;
  if (description !== undefined && description !== '') found.description = description;
  return found;
}

/** An `<iirdea:result>` element (the iirdea prefix must be declared by the caller), indented. */
export function iirdeaResultElement(result: IirdeaResult, indent = ''): string {
  if (!Number.isInteger(result.code) || result.code < MIN_RESULT_CODE || result.code > MAX_RESULT_CODE) {
    throw new StrongroomError('INTERNAL', `iirdea result code ${result.code} is outside ${MIN_RESULT_CODE}..${MAX_RESULT_CODE}`);
  }
  // msg is an xs:token: no leading/trailing blanks, single spaces, no line breaks.
  const msg = result.msg.replace(/\s+/g, ' ').trim();
  const description = result.description === undefined ? '' : `\n${indent}  <iirdea:description>${esc(result.description)}</iirdea:description>`;
  const count = result.domainCount === undefined ? '' : ` domainCount="${result.domainCount}"`;
  return `${indent}<iirdea:result code="${result.code}"${count}>\n${indent}  <iirdea:msg>${esc(msg)}</iirdea:msg>${description}\n${indent}</iirdea:result>\n`;
}

/** A complete iirdea `<response>` document (what the ICANN interface answers; used by test peers). */
export function iirdeaResponseXml(result: IirdeaResult): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<iirdea:response xmlns:iirdea="${NS_IIRDEA}">\n${iirdeaResultElement(result, '  ')}</iirdea:response>\n`;
}
