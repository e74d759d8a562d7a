/**
 * The registry's statement to ICANN about a deposit: the `<rdeReport:report>` document of
 * draft-lozano-icann-registry-interfaces (schema ../shared/rde/report-schemas/rdeReport-1.0.xsd,
 * draft 26), required by ICANN Registry Agreement Specification 2 Part A §7 "along with the
 * delivery of each Deposit".
 *
 * A report is built from the facts of one deposit (`DepositFacts`): its id, resend, type,
 * watermark and a copy of its `<rdeHeader:header>`. Those facts come either from the deposit's
 * record in strongroom.deposit (`depositFactsFromDb`, the deposit writer's own bookkeeping) or
 * from the deposit XML itself (`depositFactsFromFile`, a streaming read that keeps only the root
 * attributes, the watermark and the header). The document is deterministic: same facts, same
 * bytes.
 */
import { createReadStream } from 'node:fs';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import type { Db } from '../db/adapter.js';
import { StrongroomError, messageOf } from '../common/errors.js';
import { tryCanonicalDateTime } from '../model/datetime.js';
import { NS_HEADER, NS_RDE, OBJECT_URI } from '../model/namespaces.js';
import type { DepositType, Header, HeaderCount } from '../model/objects.js';
import { DEPOSIT_ID_PATTERN, MAX_RESEND } from '../deposit/naming.js';
import { at, esc } from '../deposit/xml.js';

/** draft-lozano-icann-registry-interfaces §4 (rdeReport-1.0). */
export const NS_RDE_REPORT = 'urn:ietf:params:xml:ns:rdeReport-1.0';

/** rdeReport `version`: "1" is the only version the draft defines. */
export const RDE_REPORT_VERSION = 1;

/** rdeReport `rydeSpecEscrow` / `rydeSpecMapping`: the specifications the deposit follows (RFC 8909, RFC 9022). */
export const RYDE_SPEC_ESCROW = 'RFC8909';
export const RYDE_SPEC_MAPPING = 'RFC9022';

/** What a report says about one deposit. */
export interface DepositFacts {
  tld: string;
  /** RFC 8909 deposit `id` (`\w{1,13}`). */
  id: string;
  /** RFC 8909 `resend` (0 for the first sending). */
  resend: number;
  type: DepositType;
  /** RFC 3339 UTC. */
  watermark: string;
  /** A copy of the deposit's `<rdeHeader:header>`. */
  header: Header;
}

export interface ReportOptions {
  /**
   * rdeReport `crDate`, "when the deposit was created". Default: the watermark, as nomulus does
   * (rde-standards.md §3.10); it keeps the report a pure function of the deposit.
   */
  crDate?: string;
}

/** Object kind order of the header counts (the deposit writer's menu order, RFC 9022 examples). */
const COUNT_ORDER = ['domain', 'host', 'contact', 'registrar', 'idnTable', 'nndn', 'eppParams', 'policy'] as const;

function invalid(message: string, location?: string): StrongroomError {
  return new StrongroomError('REPORT_DEPOSIT_INVALID', message, location === undefined ? {} : { location });
}

function utc(value: string, what: string): string {
  const canonical = tryCanonicalDateTime(value);
  if (canonical === null) throw invalid(`${what} "${value}" is not an RFC 3339 date-time`);
  return canonical;
}

/** Check the facts against the report schema's types before anything is built or sent. */
export function checkFacts(facts: DepositFacts): void {
  if (!DEPOSIT_ID_PATTERN.test(facts.id)) throw invalid(`deposit id "${facts.id}" is not an RFC 8909 depositIdType (1 to 13 word characters)`);
  if (!Number.isInteger(facts.resend) || facts.resend < 0 || facts.resend > MAX_RESEND) throw invalid(`resend ${facts.resend} is not an unsignedShort`);
  if (!['FULL', 'DIFF', 'INCR'].includes(facts.type)) throw invalid(`deposit type "${String(facts.type)}" is not FULL, DIFF or INCR`);
  utc(facts.watermark, 'watermark');
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(facts.tld)) throw invalid(`TLD "${facts.tld}" is not a lower-case A-label`);
  if (facts.header.tld !== facts.tld) throw invalid(`the header names TLD "${facts.header.tld}" but the deposit is for "${facts.tld}"`);
  for (const c of facts.header.count) {
    if (!Number.isSafeInteger(c.count) || c.count < 0) throw invalid(`header count ${c.count} for ${c.uri} is not a non-negative integer`);
  }
}

/** The `<rdeHeader:header>` element of a report, indented by `indent`. */
function headerXml(h: Header, indent: string): string {
  let out = `${indent}<rdeHeader:header>\n${indent}  <rdeHeader:tld>${esc(h.tld)}</rdeHeader:tld>\n`;
  for (const c of h.count) {
    out += `${indent}  <rdeHeader:count uri="${esc(c.uri)}"${at('rcdn', c.rcdn)}${at('registrarId', c.registrarId)}>${c.count}</rdeHeader:count>\n`;
  }
  if (h.contentTag !== undefined) out += `${indent}  <rdeHeader:contentTag>${esc(h.contentTag)}</rdeHeader:contentTag>\n`;
  return `${out}${indent}</rdeHeader:header>\n`;
}

/**
 * The `<rdeReport:report>` element (no prolog), indented by `indent`, declaring its namespaces
 * itself unless `declare` is false (when embedded in a notification that declares them).
 */
export function reportElement(facts: DepositFacts, options: ReportOptions = {}, indent = '', declare = true): string {
  checkFacts(facts);
  const crDate = utc(options.crDate ?? facts.watermark, 'crDate');
  const xmlns = declare ? ` xmlns:rdeReport="${NS_RDE_REPORT}" xmlns:rdeHeader="${NS_HEADER}"` : '';
  const i = `${indent}  `;
  return (
    `${indent}<rdeReport:report${xmlns}>\n` +
    `${i}<rdeReport:id>${esc(facts.id)}</rdeReport:id>\n` +
    `${i}<rdeReport:version>${RDE_REPORT_VERSION}</rdeReport:version>\n` +
    `${i}<rdeReport:rydeSpecEscrow>${RYDE_SPEC_ESCROW}</rdeReport:rydeSpecEscrow>\n` +
    // Optional in draft 26 but required by older copies of the schema: always sent (§3.10).
    `${i}<rdeReport:rydeSpecMapping>${RYDE_SPEC_MAPPING}</rdeReport:rydeSpecMapping>\n` +
    `${i}<rdeReport:resend>${facts.resend}</rdeReport:resend>\n` +
    `${i}<rdeReport:crDate>${crDate}</rdeReport:crDate>\n` +
    `${i}<rdeReport:kind>${facts.type}</rdeReport:kind>\n` +
    `${i}<rdeReport:watermark>${utc(facts.watermark, 'watermark')}</rdeReport:watermark>\n` +
    headerXml(facts.header, i) +
    `${indent}</rdeReport:report>\n`
  );
}

/** The complete rdeReport document for a deposit (what is PUT to ICANN). */
export function rdeReportXml(facts: DepositFacts, options: ReportOptions = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${reportElement(facts, options)}`;
}

/** Header counts from the per-kind counts the deposit writer records (strongroom.deposit.counts). */
export function headerFromCounts(tld: string, counts: Record<string, unknown>): Header {
  const count: HeaderCount[] = [];
  for (const kind of COUNT_ORDER) {
    const n = counts[kind];
    if (n === undefined || n === null) continue;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid(`recorded count for ${kind} is not a non-negative integer: ${JSON.stringify(n)}`);
    count.push({ uri: OBJECT_URI[kind], count: n });
  }
  const unknown = Object.keys(counts).filter((k) => !(COUNT_ORDER as readonly string[]).includes(k));
  if (unknown.length > 0) throw invalid(`recorded counts name unknown object kinds: ${unknown.join(', ')}`);
  return { tld, count };
}

type DepositRow = {
  tld: string;
  id: string;
  resend: number;
  type: string;
  watermark: string;
  counts: Record<string, unknown> | string;
};

/**
 * The facts of a deposit recorded in strongroom.deposit. Without `resend`, the latest resend of
 * that id is taken.
 */
export async function depositFactsFromDb(db: Db, tld: string, id: string, resend?: number): Promise<DepositFacts> {
  let rows: DepositRow[];
  try {
    rows = await db.query<DepositRow>(
      // A DIFF's or INCR's header counts the registry, not the file: its recorded totals
      // (migration 004; to_jsonb: NULL, not an error, without the column), else the counts.
      `SELECT tld, id, resend, type, watermark,
              coalesce(CASE WHEN type IN ('DIFF', 'INCR') THEN nullif(to_jsonb(d) -> 'totals', 'null'::jsonb) END, counts) AS counts
         FROM strongroom.deposit d
        WHERE tld = $1 AND id = $2 AND ($3::integer IS NULL OR resend = $3::integer)
        ORDER BY resend DESC LIMIT 1`,
      [tld, id, resend ?? null],
    );
  } catch (err) {
    throw new StrongroomError('DB_QUERY_FAILED', `cannot read deposit ${id} of ${tld} from strongroom.deposit: ${messageOf(err)}`, { cause: err });
  }
  const row = rows[0];
  if (row === undefined) {
    throw new StrongroomError('REPORT_DEPOSIT_NOT_FOUND', `no deposit ${id}${resend === undefined ? '' : ` resend ${resend}`} of ${tld} is recorded in strongroom.deposit`);
  }
  if (row.type !== 'FULL' && row.type !== 'DIFF' && row.type !== 'INCR') {
    throw invalid(`deposit ${id} of ${tld} has type ${row.type}, which has no ICANN escrow report (thin BRDA files are not reported there)`);
  }
  const counts = typeof row.counts === 'string' ? (JSON.parse(row.counts) as Record<string, unknown>) : row.counts;
  const facts: DepositFacts = { tld: row.tld, id: row.id, resend: Number(row.resend), type: row.type, watermark: utc(String(row.watermark), 'watermark'), header: headerFromCounts(row.tld, counts) };
  checkFacts(facts);
  return facts;
}

/**
 * The facts of a deposit XML file, read as a stream: the root's type/id/resend, the watermark and
 * the `<rdeHeader:header>` (wherever it sits in `<rde:contents>`). Memory stays bounded: object
 * elements are skipped as they pass.
 */
export async function depositFactsFromFile(path: string): Promise<DepositFacts> {
  const parser = new SaxesParser({ xmlns: true, position: true });
  let root: Record<string, string> | null = null;
  let watermark: string | null = null;
  let header: Header | null = null;
  let current: Header | null = null;
  let countAttrs: Record<string, string> | null = null;
  let depth = 0;
  let text = '';
  let collecting = false;
  let failure: Error | null = null;

  parser.on('opentag', (tag: SaxesTagNS) => {
    depth++;
    if (depth === 1) {
      if (tag.uri !== NS_RDE || tag.local !== 'deposit') throw invalid(`${path} is not an RFC 8909 deposit (root element is {${tag.uri}}${tag.local})`, path);
      root = Object.fromEntries(Object.values(tag.attributes).filter((a) => a.uri === '').map((a) => [a.local, a.value]));
    } else if (depth === 2 && tag.uri === NS_RDE && tag.local === 'watermark') {
      collecting = true;
      text = '';
    } else if (depth === 3 && tag.uri === NS_HEADER && tag.local === 'header') {
      if (header !== null) throw invalid(`${path} holds more than one rdeHeader:header`, path);
      current = { tld: '', count: [] };
    } else if (depth === 4 && current !== null && tag.uri === NS_HEADER) {
      collecting = true;
      text = '';
      if (tag.local === 'count') countAttrs = Object.fromEntries(Object.values(tag.attributes).map((a) => [a.local, a.value]));
    }
  });
  parser.on('text', (t) => {
    if (collecting) text += t;
  });
  parser.on('closetag', (tag) => {
    if (depth === 2 && collecting) {
      watermark = text.trim();
      collecting = false;
    } else if (depth === 4 && current !== null && collecting) {
      const value = text.trim();
      if (tag.local === 'tld') current.tld = value;
      else if (tag.local === 'contentTag') current.contentTag = value;
      else if (tag.local === 'count' && countAttrs !== null) {
        if (!/^\d+$/.test(value)) throw invalid(`${path}: rdeHeader:count "${value}" is not a non-negative integer`, `${path}:${parser.line}`);
        const c: HeaderCount = { uri: countAttrs.uri ?? '', count: Number(value) };
        if (countAttrs.rcdn !== undefined) c.rcdn = countAttrs.rcdn;
        if (countAttrs.registrarId !== undefined) c.registrarId = countAttrs.registrarId;
        current.count.push(c);
        countAttrs = null;
      }
      collecting = false;
    } else if (depth === 3 && current !== null) {
      header = current;
      current = null;
    }
    depth--;
  });
  parser.on('error', (err) => {
    failure ??= err;
  });

  try {
    for await (const chunk of createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 })) {
      parser.write(chunk as string);
      if (failure) break;
    }
    if (!failure) parser.close();
  } catch (err) {
    if (err instanceof StrongroomError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new StrongroomError('FILE_NOT_FOUND', `deposit file ${path} does not exist`, { location: path });
    failure = err as Error;
  }
  if (failure) throw invalid(`${path} is not well-formed XML: ${messageOf(failure)}`, path);
  const attrs = root as Record<string, string> | null;
  if (attrs === null) throw invalid(`${path} has no root element`, path);
  if (watermark === null) throw invalid(`${path} has no rde:watermark`, path);
  if (header === null) throw invalid(`${path} has no rdeHeader:header: a report copies the deposit's header, so there is nothing to report`, path);
  const h = header as Header;
  const facts: DepositFacts = {
    tld: h.tld,
    id: attrs.id ?? '',
    resend: attrs.resend === undefined ? 0 : Number(attrs.resend),
    type: (attrs.type ?? '') as DepositType,
    watermark: utc(watermark, 'watermark'),
    header: h,
  };
  checkFacts(facts);
  return facts;
}
