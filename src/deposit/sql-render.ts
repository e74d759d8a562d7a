/**
 * The FULL deposit's big kinds (contacts, hosts, domains) rendered by PostgreSQL: one query per
 * key range over the rde.* views (the operator-mappable read contract, docs/schema-mapping.md),
 * each row one object as (key, clean, xml, ident). For a clean object (below) the XML is exactly what
 * serialize.ts writes — same elements, order, indentation and escaping — so the deposit stays
 * byte-identical; src/deposit/sql-render.test.ts compares the two on every edge case. Values the
 * clean predicate confines to markup-free patterns are not escaped, and TAB/CR not at all: the
 * XML of an object that is not clean is not used.
 *
 * Node no longer decodes rows or builds objects for these kinds: it reads the binary COPY
 * output (`parseBinaryCopy`), counts, hashes and writes the bytes.
 *
 * The per-object pre-flight (preflight.ts `ObjectChecker`) stays the one definition of the
 * rules and findings. The query computes `clean`, a conservative predicate: true only when the
 * object certainly passes every per-object rule (ASCII forms of the patterns, lengths in bytes
 * as an upper bound of UTF-16 units, dates within the watermark rules, no character XML cannot
 * carry) and has no cross-object finding and no reference to a quarantined object. An object
 * that is not clean — rare: the edge cases — is read again by its key through the source's
 * object reader and goes through `stepObject` exactly as before, which reports its findings,
 * quarantines it or fails the run; if it passes, the JS serializer's XML is written.
 */
import { sqlLiteral, type Queryable } from '../db/adapter.js';
import type { KeyRange, RangedKind } from '../sources/postgres-source.js';
import type { TldInfo } from '../sources/source.js';
import { ISO3166_ALPHA2 } from './iso3166.js';
import { CONTACT_STATUS, DOMAIN_STATUS, HOST_STATUS, LANGUAGE as PREFLIGHT_LANGUAGE, RGP_STATUS } from './preflight.js';

/** What the clean predicate needs to know besides the rows. */
export interface RenderContext {
  tld: TldInfo;
  watermark: string;
  repositoryTlds: readonly string[];
  roidSuffixes: readonly string[];
}

/** Keys that must take the checked path whatever their data (cross-object findings, quarantine). */
export interface RenderExclusions {
  /** Keys of this kind with cross-object findings. */
  crossed: readonly string[];
  /** Quarantined registrar ids, contact ids, host names, IDN table ids. */
  registrars: readonly string[];
  contacts: readonly string[];
  hosts: readonly string[];
  idnTables: readonly string[];
  /** References the cross-object checks vouch for (`vouchedReferences`). */
  vouched: VouchedReferences;
}

/**
 * Referenced kinds whose references need no per-object check in the query. True for a kind when
 * (1) the deposit's cross-object checks (preflight.ts `referenceChecks`) ran completely, so every
 * object with a reference that resolves to no object of the kind is among `crossed` and never
 * clean, and (2) every key of the kind is "plain" (`vouchedReferences`). A reference of a clean
 * object then equals, byte for byte, a plain key: it passes the checker's rule for it (clIDType
 * for registrar and contact ids, a host name for name servers — the rule the referenced object's
 * own key is held to, and a plain key passes it) and needs no escaping. Saves the server a
 * check and five `replace()` per reference (~3.5 µs of ~17 per domain).
 */
export interface VouchedReferences {
  /** clID, crRr, upRr, reRr, acRr of contacts, hosts and domains (not their client attributes). */
  registrars: boolean;
  /** A domain's registrant and contacts. */
  contacts: boolean;
  /** A domain's name servers (host objects). */
  hosts: boolean;
}

export const NOT_VOUCHED: VouchedReferences = { registrars: false, contacts: false, hosts: false };

export const NO_EXCLUSIONS: RenderExclusions = { crossed: [], registrars: [], contacts: [], hosts: [], idnTables: [], vouched: NOT_VOUCHED };

// ---------------------------------------------------------------------------------------------
// SQL building blocks (expressions over columns; markup as constant literals)

/** A constant (markup) as a standard SQL literal; raw newlines are fine inside it. */
function k(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Line starts by depth, as in serialize.ts. */
const N1 = '\n    ';
const N2 = '\n      ';
const N3 = '\n        ';
const N4 = '\n          ';
const N5 = '\n            ';

/**
 * xml.ts `esc()` for a clean object: & < > " and LF as references. TAB and CR stay raw: the
 * writer finds them as control characters (`needsCheckedPath`) and the object then takes the
 * checked path, whose XML is the JS serializer's. Values the clean predicate confines to a
 * pattern without markup characters are not escaped at all (`raw`).
 */
function esc(x: string): string {
  return `replace(replace(replace(replace(replace(${x}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;'), E'\\n', '&#10;')`;
}

/** A value written as it is: the object's clean predicate admits only characters that need no escaping. */
const RAW = false;

/** `<name>value</name>` on its line, or '' when the value is NULL. */
function line(indent: string, name: string, x: string, escape = true): string {
  return `coalesce(${k(`${indent}<${name}>`)} || ${escape ? esc(x) : x} || ${k(`</${name}>`)}, '')`;
}

/** A timestamptz as model/datetime.ts writes it (the session is UTC: `2026-01-04 00:00:00.5+00`). */
function ts(x: string): string {
  return `(replace(left((${x})::text, -3), ' ', 'T') || 'Z')`;
}

function dateLine(indent: string, name: string, x: string): string {
  return line(indent, name, ts(x), false);
}

/** A registrar reference with its optional client attribute; the id raw when vouched for (`VouchedReferences`). */
function rr(indent: string, name: string, id: string, client: string, vouched = false): string {
  return `coalesce(${k(`${indent}<${name}`)} || coalesce(' client="' || ${esc(client)} || '"', '') || '>' || ${vouched ? id : esc(id)} || ${k(`</${name}>`)}, '')`;
}

/** A phone with its optional extension (the number is raw: `phoneClean`). */
function phone(name: string, number: string, ext: string): string {
  return `coalesce(${k(`${N2}<${name}`)} || coalesce(' x="' || ${esc(ext)} || '"', '') || '>' || ${number} || ${k(`</${name}>`)}, '')`;
}

/** One status element of a status row (columns s, lang, msg; s and lang raw: `statusChild` checks them). */
function statusXml(name: string): string {
  return `${k(`${N2}<${name} s="`)} || coalesce(s, '') || '"' || coalesce(' lang="' || lang || '"', '') || coalesce('>' || ${esc('msg')} || ${k(`</${name}>`)}, '/>')`;
}

/** A text array rendered as one element per item (`<open>item</close>` each on its line). */
function eachItem(indent: string, name: string, array: string): string {
  const open = `${indent}<${name}>`;
  const close = `</${name}>`;
  // Items joined with U+0001 (never clean: see arrayClean), escaped once, then split into elements.
  return `CASE WHEN cardinality(${array}) > 0 THEN ${k(open)} || replace(${esc(`array_to_string(${array}, chr(1))`)}, chr(1), ${k(close + open)}) || ${k(close)} ELSE '' END`;
}

// ---------------------------------------------------------------------------------------------
// Clean predicates (conservative: true ⇒ the JS checker finds nothing)

function ok(condition: string): string {
  return `coalesce((${condition}), false)`;
}

function all(...conditions: string[]): string {
  return conditions.map(ok).join(' AND ');
}

function textList(values: Iterable<string>): string {
  return `ARRAY[${[...values].map(sqlLiteral).join(', ')}]::text[]`;
}

/**
 * An eppcom clIDType: a token of 3..16 characters, here ASCII without spaces. Without regular
 * expressions (they cost PostgreSQL about a microsecond each): controls, TAB, LF and CR are
 * found in the rendered XML by `needsCheckedPath`.
 */
function clId(x: string): string {
  return `(char_length(${x}) BETWEEN 3 AND 16 AND octet_length(${x}) = char_length(${x}) AND strpos(${x}, ' ') = 0)`;
}

/** A reference's id: a clIDType, or only present when the cross-object checks vouch for it (`VouchedReferences`). */
function refId(x: string, vouched: boolean): string {
  return vouched ? `${x} IS NOT NULL` : clId(x);
}

/** An optional registrar reference (id and client attribute). */
function optionalRr(id: string, client: string, vouched: boolean): string {
  return `(${id} IS NULL OR (${refId(id, vouched)} AND (${client} IS NULL OR ${clId(client)})))`;
}

function requiredRr(id: string, client: string, vouched: boolean): string {
  return `(${id} IS NOT NULL AND ${refId(id, vouched)} AND (${client} IS NULL OR ${clId(client)}))`;
}

/** A plain key: 3..16 printable ASCII characters without space or `" & < >` (a clIDType that needs no escaping). */
function plainId(x: string): string {
  return `(octet_length(${x}) BETWEEN 3 AND 16 AND ${x} !~ '[^!#-%''-;=?-~]')`;
}

/** White space as JavaScript's \s knows it (xs:token's rules are checked with it), controls left to `needsCheckedPath`. */
const WS = `E' \\u00a0\\u1680\\u2000\\u2001\\u2002\\u2003\\u2004\\u2005\\u2006\\u2007\\u2008\\u2009\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff'`;

/** xs:token of 1..max UTF-16 units (octet length bounds the units from above); TAB, LF, CR: see `needsCheckedPath`. */
function token(x: string, max: number): string {
  return `(char_length(${x}) >= 1 AND octet_length(${x}) <= ${max} AND strpos(${WS}, left(${x}, 1)) = 0 AND strpos(${WS}, right(${x}, 1)) = 0 AND strpos(${x}, '  ') = 0)`;
}

/** An ASCII token (postal codes, phone extensions). */
function asciiToken(x: string, max: number): string {
  return `(octet_length(${x}) <= ${max} AND octet_length(${x}) = char_length(${x}) AND ${token(x, max)})`;
}

/** A date-time the checker accepts (a year from 1 to 9999). */
function validDate(x: string): string {
  return `(${x} >= '0001-01-01T00:00:00Z'::timestamptz AND ${x} < '10000-01-01T00:00:00Z'::timestamptz)`;
}

function notAfter(x: string, wm: string): string {
  return `(${x} IS NULL OR (${validDate(x)} AND ${x} <= ${wm}))`;
}

/** A host name in LDH form with at least two labels. */
function dnsName(x: string): string {
  const label = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
  return `(octet_length(${x}) <= 253 AND ${x} ~ '^${label}(?:\\.${label})+$' AND (octet_length(${x}) <= 63 OR ${x} !~ '[^.]{64}'))`;
}

const V4 = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const H = '[0-9a-f]{1,4}';
const V6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?:(?::${H}){1,7}|:)`,
].join('|');

/** An address row (ip, addr) whose address is what `ip` says (node:net isIP agrees). */
function address(ip: string, addr: string): string {
  return `((${ip} = 'v4' AND ${addr} ~ '^${V4}(?:\\.${V4}){3}$') OR (${ip} = 'v6' AND ${addr} ~* '^(?:${V6})$'))`;
}

/** The checker's xs:language pattern (preflight.ts), as an SQL literal for `~`. */
const LANGUAGE = sqlLiteral(PREFLIGHT_LANGUAGE.source);


/** RFC 5322 addr-spec in its ASCII dot-atom form. */
const ATEXT = "[A-Za-z0-9!#$%&''*+/=?^_`{|}~-]";
const EMAIL = `'^${ATEXT}+(?:\\.${ATEXT}+)*@(?:[A-Za-z0-9-]+\\.)*[A-Za-z0-9-]+$'`;

/** `+CC.NUMBER`; the digit counts (1..3, 1..14) from the dot's position, bounded repetitions being slow. */
const PHONE = `'^\\+[0-9]+\\.[0-9]+$'`;

function phoneClean(number: string, ext: string): string {
  const dot = `strpos(${number}, '.')`;
  return `(${number} IS NULL OR (octet_length(${number}) <= 17 AND ${number} ~ ${PHONE} AND ${dot} BETWEEN 3 AND 5 AND octet_length(${number}) - ${dot} <= 14 AND (${ext} IS NULL OR ${asciiToken(ext, 1000)})))`;
}

/** A text array whose items are all present, free of U+0001, at most `maxItems`, each within `maxBytes`. */
function arrayClean(array: string, maxItems: number, maxBytes: number): string {
  return `(coalesce(array_length(${array}, 1), 0) <= ${maxItems} AND array_position(${array}, NULL) IS NULL AND strpos(array_to_string(${array}, ''), chr(1)) = 0 AND octet_length(array_to_string(${array}, '')) <= ${maxBytes})`;
}

/** Sponsoring, creating and updating registrar, and the dates every object kind has. */
function sponsorClean(wm: string, v: VouchedReferences): string[] {
  const r = v.registrars;
  return [refId('o.cl_id', r), optionalRr('o.cr_rr', 'o.cr_rr_client', r), optionalRr('o.up_rr', 'o.up_rr_client', r), notAfter('o.cr_date', wm), notAfter('o.up_date', wm), notAfter('o.tr_date', wm)];
}

/** Transfer data of contacts and domains. */
function transferClean(wm: string, v: VouchedReferences): string {
  return `o.tr_status IN ('clientApproved', 'clientCancelled', 'clientRejected', 'pending', 'serverApproved', 'serverCancelled')
      AND ${requiredRr('o.re_rr', 'o.re_rr_client', v.registrars)} AND ${requiredRr('o.ac_rr', 'o.ac_rr_client', v.registrars)}
      AND o.re_date IS NOT NULL AND ${notAfter('o.re_date', wm)} AND o.ac_date IS NOT NULL AND ${validDate('o.ac_date')}`;
}

/**
 * The second condition of `VouchedReferences` per referenced kind: every registrar and contact
 * id is `plainId`, every host name `dnsName` (one scan of each view; a kind the TLD's models do
 * not reference is not vouched for). The caller supplies the first (the cross-object checks ran
 * completely).
 */
export async function plainKeys(tx: Queryable, tld: TldInfo): Promise<VouchedReferences> {
  const none = (view: string, condition: string) => `NOT EXISTS (SELECT 1 FROM ${view} WHERE NOT ${ok(condition)})`;
  const [row] = await tx.query<{ registrars: boolean; contacts: boolean; hosts: boolean }>(
    `SELECT ${none('rde.registrar', plainId('id'))} AS registrars,
            ${tld.dataModel === 'minimum' ? 'false' : none('rde.contact', plainId('id'))} AS contacts,
            ${tld.hostModel === 'objects' ? none('rde.host', dnsName('name')) : 'false'} AS hosts`,
  );
  return { registrars: row?.registrars === true, contacts: row?.contacts === true, hosts: row?.hosts === true };
}

// ---------------------------------------------------------------------------------------------
// Queries

/**
 * The parents one rendering query covers: a key range (FULL), or — with `changes`, the change
 * journal's window of the kind inside that range (PostgresRegistrySource.journalWindow) — only
 * the keys of the range with a journal entry in the window (DIFF, INCR).
 */
export interface RenderRange extends KeyRange {
  changes?: string;
}

/**
 * The rows of `column` in the range. With `changes`, by the changed keys as one array (the
 * `changed` CTE of `finish`): `= ANY` of an array the planner does not know yet makes it probe
 * the key indexes, where a key range (or a long IN list) of scattered keys would scan tables.
 */
function rangeOf(column: string, range: RenderRange): string {
  if (range.changes !== undefined) return `${column} = ANY((SELECT keys FROM changed)::text[])`;
  const conditions = [`${column} COLLATE "C" <= ${sqlLiteral(range.last)}`];
  if (range.after !== null) conditions.unshift(`${column} COLLATE "C" > ${sqlLiteral(range.after)}`);
  return conditions.join(' AND ');
}

function anyOf(x: string, keys: readonly string[]): string {
  return keys.length === 0 ? 'false' : `(${x} = ANY(${textList(keys)}))`;
}

/**
 * Children of the range's parents aggregated per parent (`key`), joined to the parent `o`. The
 * rows reach the aggregates in (key, order) order from a sorted subquery, so `string_agg` needs
 * no ORDER BY of its own (an ordered aggregate sorts every group apart: several times slower).
 */
function child(view: string, parent: string, range: RenderRange, alias: string, aggregates: string, order = 'ord', columns = '*'): string {
  return `LEFT JOIN (SELECT key, ${aggregates}
      FROM (SELECT ${parent} AS key, ${columns} FROM ${view} WHERE ${rangeOf(parent, range)} ORDER BY ${parent} COLLATE "C", ${order}) c GROUP BY key) ${alias} ON ${alias}.key = o.key`;
}

/**
 * Status children: XML, count, and `ok` (every value allowed, none twice — the sum of the
 * values' bits equals their OR only without repeats — and every lang a language tag).
 */
function statusChild(view: string, parent: string, name: string, allowed: ReadonlySet<string>, range: RenderRange, alias: string, extra = ''): string {
  // As float8: a bigint sum() is computed in numeric, several times slower; sums of distinct
  // powers of two up to 2^17 are exact (an unknown value, 2^62, makes `ok` false anyway).
  // The value's position in the list is looked up once per row, in the sorted subquery.
  const bit = '(1::bigint << coalesce(pos, 62))';
  return child(
    view,
    parent,
    range,
    alias,
    `string_agg(${statusXml(name)}, '') AS xml, count(*) AS n, sum(${bit}::float8) = bit_or(${bit})::float8 AND bool_and(${ok(`pos IS NOT NULL AND (lang IS NULL OR lang ~ ${LANGUAGE})`)}) AS ok${extra}`,
    'ord',
    `*, array_position(${textList(allowed)}, s) AS pos`,
  );
}

/** Wrap the rendering: one row per object in key order (characters XML cannot carry are looked for by the writer). */
function finish(inner: string, range: RenderRange): string {
  // The changed keys are read from the journal once per query (MATERIALIZED: not per use).
  const changed = range.changes === undefined ? '' : `WITH changed AS MATERIALIZED (SELECT array_agg(DISTINCT j.key) AS keys FROM strongroom.journal j WHERE ${range.changes}) `;
  return `${changed}SELECT key, clean, xml, ident FROM (${inner}) r ORDER BY key COLLATE "C"`;
}

function wmOf(ctx: RenderContext): string {
  return `${sqlLiteral(ctx.watermark)}::timestamptz`;
}

/** Contacts of one key range (rdeContact:contact, RFC 9022 §5.3). */
export function contactQuery(ctx: RenderContext, range: RenderRange, ex: RenderExclusions): string {
  const wm = wmOf(ctx);
  const v = ex.vouched;
  const cc = textList(ISO3166_ALPHA2);
  const postal =
    `${k(`${N2}<rdeContact:postalInfo type="`)} || coalesce(type, '') || '">' || ${line(N3, 'contact:name', "coalesce(name, '')")} || ${line(N3, 'contact:org', 'org')} || ${k(`${N3}<contact:addr>`)}` +
    ` || ${eachItem(N4, 'contact:street', 'street')} || ${line(N4, 'contact:city', "coalesce(city, '')")} || ${line(N4, 'contact:sp', 'sp')} || ${line(N4, 'contact:pc', 'pc')} || ${line(N4, 'contact:cc', "coalesce(cc, '')", RAW)}` +
    ` || ${k(`${N3}</contact:addr>${N2}</rdeContact:postalInfo>`)}`;
  const postalOk = all(
    "type IN ('int', 'loc')",
    'char_length(name) >= 1 AND octet_length(name) <= 255',
    'org IS NULL OR octet_length(org) <= 255',
    arrayClean('street', 3, 255),
    'char_length(city) >= 1 AND octet_length(city) <= 255',
    'sp IS NULL OR octet_length(sp) <= 255',
    `pc IS NULL OR ${asciiToken('pc', 16)}`,
    `cc = ANY(${cc})`,
  );
  const disclose = (name: string, column: string) =>
    `CASE WHEN cardinality(${column}) > 0 THEN ${k(`${N3}<contact:${name} type="`)} || array_to_string(${column}, ${k(`"/>${N3}<contact:${name} type="`)}) || '"/>' ELSE '' END`;
  const xml =
    `${k(`${N1}<rdeContact:contact>`)} || ${line(N2, 'rdeContact:id', 'o.key')} || ${line(N2, 'rdeContact:roid', "coalesce(o.roid, '')", RAW)} || coalesce(st.xml, '') || coalesce(pi.xml, '')` +
    ` || ${phone('rdeContact:voice', 'o.voice', 'o.voice_x')} || ${phone('rdeContact:fax', 'o.fax', 'o.fax_x')} || ${line(N2, 'rdeContact:email', "coalesce(o.email, '')")} || ${line(N2, 'rdeContact:clID', "coalesce(o.cl_id, '')", !v.registrars)}` +
    ` || ${rr(N2, 'rdeContact:crRr', 'o.cr_rr', 'o.cr_rr_client', v.registrars)} || ${dateLine(N2, 'rdeContact:crDate', 'o.cr_date')} || ${rr(N2, 'rdeContact:upRr', 'o.up_rr', 'o.up_rr_client', v.registrars)} || ${dateLine(N2, 'rdeContact:upDate', 'o.up_date')}` +
    ` || ${dateLine(N2, 'rdeContact:trDate', 'o.tr_date')}` +
    ` || CASE WHEN o.tr_status IS NULL THEN '' ELSE ${k(`${N2}<rdeContact:trnData>`)} || ${line(N3, 'rdeContact:trStatus', 'o.tr_status', RAW)} || ${rr(N3, 'rdeContact:reRr', "coalesce(o.re_rr, '')", 'o.re_rr_client', v.registrars)}` +
    ` || ${line(N3, 'rdeContact:reDate', `coalesce(${ts('o.re_date')}, '')`, false)} || ${rr(N3, 'rdeContact:acRr', "coalesce(o.ac_rr, '')", 'o.ac_rr_client', v.registrars)} || ${line(N3, 'rdeContact:acDate', `coalesce(${ts('o.ac_date')}, '')`, false)} || ${k(`${N2}</rdeContact:trnData>`)} END` +
    ` || CASE WHEN o.disclose_flag IS NULL THEN '' ELSE ${k(`${N2}<rdeContact:disclose flag="`)} || CASE WHEN o.disclose_flag THEN '1' ELSE '0' END || '">'` +
    ` || ${disclose('name', 'o.disclose_name')} || ${disclose('org', 'o.disclose_org')} || ${disclose('addr', 'o.disclose_addr')}` +
    ` || CASE WHEN o.disclose_voice THEN ${k(`${N3}<contact:voice/>`)} ELSE '' END || CASE WHEN o.disclose_fax THEN ${k(`${N3}<contact:fax/>`)} ELSE '' END || CASE WHEN o.disclose_email THEN ${k(`${N3}<contact:email/>`)} ELSE '' END` +
    ` || ${k(`${N2}</rdeContact:disclose>`)} END || ${k(`${N1}</rdeContact:contact>`)}`;
  const clean = all(
    clId('o.key'),
    'st.n BETWEEN 1 AND 7 AND st.ok',
    'pi.n BETWEEN 1 AND 2 AND pi.ok',
    phoneClean('o.voice', 'o.voice_x'),
    phoneClean('o.fax', 'o.fax_x'),
    `o.email ~ ${EMAIL}`,
    ...sponsorClean(wm, v),
    `o.tr_status IS NULL OR (${transferClean(wm, v)})`,
    `o.disclose_flag IS NULL OR (o.disclose_name <@ '{int,loc}'::text[] AND o.disclose_org <@ '{int,loc}'::text[] AND o.disclose_addr <@ '{int,loc}'::text[]
      AND coalesce(array_length(o.disclose_name, 1), 0) <= 2 AND coalesce(array_length(o.disclose_org, 1), 0) <= 2 AND coalesce(array_length(o.disclose_addr, 1), 0) <= 2)`,
    `NOT ${anyOf('o.key', ex.crossed)}`,
    `NOT (${anyOf('o.cl_id', ex.registrars)} OR ${anyOf('o.cr_rr', ex.registrars)} OR ${anyOf('o.up_rr', ex.registrars)} OR ${anyOf('o.re_rr', ex.registrars)} OR ${anyOf('o.ac_rr', ex.registrars)})`,
  );
  return finish(
    `SELECT o.key, ${clean} AS clean, ${xml} AS xml, o.roid AS ident
     FROM (SELECT id AS key, * FROM rde.contact WHERE ${rangeOf('id', range)}) o
     ${statusChild('rde.contact_status', 'contact_id', 'rdeContact:status', CONTACT_STATUS, range, 'st')}
     ${child('rde.contact_postal', 'contact_id', range, 'pi', `string_agg(${postal}, '') AS xml, count(*) AS n, count(*) FILTER (WHERE type = 'int') <= 1 AND count(*) FILTER (WHERE type = 'loc') <= 1 AND bool_and(${postalOk}) AS ok`)}`,
    range,
  );
}

/** Hosts of one key range (rdeHost:host, RFC 9022 §5.2). */
export function hostQuery(ctx: RenderContext, range: RenderRange, ex: RenderExclusions): string {
  const wm = wmOf(ctx);
  const v = ex.vouched;
  const subordinate = ctx.repositoryTlds.length === 0 ? 'false' : `lower(o.name) LIKE ANY(${textList(ctx.repositoryTlds.map((t) => `%.${t.toLowerCase()}`))})`;
  const xml =
    `${k(`${N1}<rdeHost:host>`)} || ${line(N2, 'rdeHost:name', "coalesce(o.name, '')", RAW)} || ${line(N2, 'rdeHost:roid', 'o.key', RAW)} || coalesce(st.xml, '') || coalesce(ad.xml, '')` +
    ` || ${line(N2, 'rdeHost:clID', "coalesce(o.cl_id, '')", !v.registrars)} || ${rr(N2, 'rdeHost:crRr', 'o.cr_rr', 'o.cr_rr_client', v.registrars)} || ${dateLine(N2, 'rdeHost:crDate', 'o.cr_date')}` +
    ` || ${rr(N2, 'rdeHost:upRr', 'o.up_rr', 'o.up_rr_client', v.registrars)} || ${dateLine(N2, 'rdeHost:upDate', 'o.up_date')} || ${dateLine(N2, 'rdeHost:trDate', 'o.tr_date')} || ${k(`${N1}</rdeHost:host>`)}`;
  const clean = all(
    'st.n BETWEEN 1 AND 7 AND st.ok',
    `coalesce(ad.ok, true) AND (ad.n > 0 OR NOT (${subordinate}))`,
    ...sponsorClean(wm, v),
    `NOT ${anyOf('o.key', ex.crossed)}`,
    `NOT (${anyOf('o.cl_id', ex.registrars)} OR ${anyOf('o.cr_rr', ex.registrars)} OR ${anyOf('o.up_rr', ex.registrars)})`,
  );
  return finish(
    `SELECT o.key, ${clean} AS clean, ${xml} AS xml, o.name AS ident
     FROM (SELECT roid AS key, * FROM rde.host WHERE ${rangeOf('roid', range)}) o
     ${statusChild('rde.host_status', 'host_roid', 'rdeHost:status', HOST_STATUS, range, 'st')}
     ${child('rde.host_addr', 'host_roid', range, 'ad', `string_agg(${k(`${N2}<rdeHost:addr ip="`)} || coalesce(ip, '') || '">' || coalesce(addr, '') || '</rdeHost:addr>', '') AS xml,
         count(*) AS n, bool_and(${ok(address('ip', 'addr'))}) AS ok`)}`,
    range,
  );
}

function keyDataXml(indent: string, inner: string, flags: string, protocol: string, alg: string, pub: string): string {
  return (
    `${k(`${indent}<secDNS:keyData>${inner}<secDNS:flags>`)} || coalesce(${flags}, 0)::text || ${k(`</secDNS:flags>${inner}<secDNS:protocol>`)} || coalesce(${protocol}, 0)::text` +
    ` || ${k(`</secDNS:protocol>${inner}<secDNS:alg>`)} || coalesce(${alg}, 0)::text || ${k(`</secDNS:alg>${inner}<secDNS:pubKey>`)} || coalesce(${pub}, '') || ${k(`</secDNS:pubKey>${indent}</secDNS:keyData>`)}`
  );
}

const UNSIGNED = (x: string, max: number) => `(${x} BETWEEN 0 AND ${max})`;

/** Domains of the TLD in one key range (rdeDomain:domain, RFC 9022 §5.1). */
export function domainQuery(ctx: RenderContext, range: RenderRange, ex: RenderExclusions): string {
  const wm = wmOf(ctx);
  const v = ex.vouched;
  const tld = ctx.tld;
  const withContacts = tld.dataModel !== 'minimum';
  const objects = tld.hostModel === 'objects';
  const joins: string[] = [
    statusChild('rde.domain_status', 'domain_roid', 'rdeDomain:status', DOMAIN_STATUS, range, 'st', ", bool_or(s = 'pendingDelete') AS pending_delete"),
    child('rde.domain_rgp_status', 'domain_roid', range, 'rg', `string_agg(${statusXml('rdeDomain:rgpStatus')}, '') AS xml, bool_and(${ok(`s = ANY(${textList(RGP_STATUS)}) AND (lang IS NULL OR lang ~ ${LANGUAGE})`)}) AS ok`),
  ];
  if (withContacts) {
    joins.push(child('rde.domain_contact', 'domain_roid', range, 'dc', `string_agg(${k(`${N2}<rdeDomain:contact type="`)} || coalesce(type, '') || '">' || ${v.contacts ? "coalesce(contact_id, '')" : esc("coalesce(contact_id, '')")} || '</rdeDomain:contact>', '') AS xml,
         bool_and(${ok(`type IN ('admin', 'billing', 'tech') AND ${refId('contact_id', v.contacts)}`)}) AS ok, bool_or(${anyOf('contact_id', ex.contacts)}) AS quarantined`));
  }
  if (objects) {
    joins.push(child('rde.domain_ns', 'domain_roid', range, 'ns', `string_agg(${k(`${N3}<domain:hostObj>`)} || coalesce(host_name, '') || '</domain:hostObj>', '') AS xml,
         bool_and(${ok(v.hosts ? 'host_name IS NOT NULL' : dnsName('host_name'))}) AS ok, bool_or(${anyOf('host_name', ex.hosts)}) AS quarantined`));
  } else {
    const addrs = `(SELECT domain_roid, ns_ord, string_agg(${k(`${N4}<domain:hostAddr ip="`)} || coalesce(ip, '') || '">' || coalesce(addr, '') || '</domain:hostAddr>', '') AS xml,
         bool_and(${ok(address('ip', 'addr'))}) AS ok
       FROM (SELECT * FROM rde.domain_ns_attr_addr WHERE ${rangeOf('domain_roid', range)} ORDER BY domain_roid COLLATE "C", ns_ord, ord) x GROUP BY domain_roid, ns_ord)`;
    joins.push(`LEFT JOIN (SELECT key,
         string_agg(${k(`${N3}<domain:hostAttr>`)} || ${line(N4, 'domain:hostName', "coalesce(host_name, '')", RAW)} || coalesce(addr_xml, '') || ${k(`${N3}</domain:hostAttr>`)}, '') AS xml,
         bool_and(${ok(`${dnsName('host_name')} AND coalesce(addr_ok, true)`)}) AS ok, false AS quarantined
       FROM (SELECT a.domain_roid AS key, a.host_name, x.xml AS addr_xml, x.ok AS addr_ok FROM rde.domain_ns_attr a LEFT JOIN ${addrs} x ON x.domain_roid = a.domain_roid AND x.ns_ord = a.ord
         WHERE ${rangeOf('a.domain_roid', range)} ORDER BY a.domain_roid COLLATE "C", a.ord) c GROUP BY key) ns ON ns.key = o.key`);
  }
  joins.push(child('rde.domain_ds', 'domain_roid', range, 'ds', `string_agg(${k(`${N3}<secDNS:dsData>${N4}<secDNS:keyTag>`)} || coalesce(key_tag, 0)::text || ${k(`</secDNS:keyTag>${N4}<secDNS:alg>`)} || coalesce(alg, 0)::text
         || ${k(`</secDNS:alg>${N4}<secDNS:digestType>`)} || coalesce(digest_type, 0)::text || ${k(`</secDNS:digestType>${N4}<secDNS:digest>`)} || coalesce(digest, '') || '</secDNS:digest>'
         || CASE WHEN key_flags IS NULL THEN '' ELSE ${keyDataXml(N4, N5, 'key_flags', 'key_protocol', 'key_alg', 'key_pub')} END || ${k(`${N3}</secDNS:dsData>`)}, '') AS xml,
         bool_and(${ok(`${UNSIGNED('key_tag', 65535)} AND ${UNSIGNED('alg', 255)} AND ${UNSIGNED('digest_type', 255)} AND digest ~ '^(?:[0-9A-Fa-f][0-9A-Fa-f])+$'
           AND (key_flags IS NULL OR (${UNSIGNED('key_flags', 65535)} AND ${UNSIGNED('key_protocol', 255)} AND ${UNSIGNED('key_alg', 255)} AND key_pub ~ '^[A-Za-z0-9+/]+=*$'))`)}) AS ok`));
  joins.push(child('rde.domain_key', 'domain_roid', range, 'kd', `string_agg(${keyDataXml(N3, N4, 'flags', 'protocol', 'alg', 'pub_key')}, '') AS xml,
         bool_and(${ok(`${UNSIGNED('flags', 65535)} AND ${UNSIGNED('protocol', 255)} AND ${UNSIGNED('alg', 255)} AND pub_key ~ '^[A-Za-z0-9+/]+=*$'`)}) AS ok`));

  const secDns =
    `CASE WHEN o.max_sig_life IS NULL AND ds.key IS NULL AND kd.key IS NULL THEN '' ELSE ${k(`${N2}<rdeDomain:secDNS>`)} || ${line(N3, 'secDNS:maxSigLife', 'o.max_sig_life::text', false)}` +
    ` || CASE WHEN ds.key IS NOT NULL OR kd.key IS NULL THEN coalesce(ds.xml, '') ELSE kd.xml END || ${k(`${N2}</rdeDomain:secDNS>`)} END`;
  const xml =
    `${k(`${N1}<rdeDomain:domain>`)} || ${line(N2, 'rdeDomain:name', "coalesce(o.name, '')", RAW)} || ${line(N2, 'rdeDomain:roid', 'o.key', RAW)}` +
    ` || ${line(N2, 'rdeDomain:uName', 'o.u_name')} || ${line(N2, 'rdeDomain:idnTableId', 'o.idn_table_id')} || ${line(N2, 'rdeDomain:originalName', 'o.original_name')}` +
    ` || coalesce(st.xml, '') || coalesce(rg.xml, '')` +
    (withContacts ? ` || ${line(N2, 'rdeDomain:registrant', 'o.registrant', !v.contacts)} || coalesce(dc.xml, '')` : '') +
    ` || coalesce(${k(`${N2}<rdeDomain:ns>`)} || ns.xml || ${k(`${N2}</rdeDomain:ns>`)}, '')` +
    ` || ${line(N2, 'rdeDomain:clID', "coalesce(o.cl_id, '')", !v.registrars)} || ${rr(N2, 'rdeDomain:crRr', 'o.cr_rr', 'o.cr_rr_client', v.registrars)} || ${dateLine(N2, 'rdeDomain:crDate', 'o.cr_date')} || ${dateLine(N2, 'rdeDomain:exDate', 'o.ex_date')}` +
    ` || ${rr(N2, 'rdeDomain:upRr', 'o.up_rr', 'o.up_rr_client', v.registrars)} || ${dateLine(N2, 'rdeDomain:upDate', 'o.up_date')} || ${secDns} || ${dateLine(N2, 'rdeDomain:trDate', 'o.tr_date')}` +
    ` || CASE WHEN o.tr_status IS NULL THEN '' ELSE ${k(`${N2}<rdeDomain:trnData>`)} || ${line(N3, 'rdeDomain:trStatus', 'o.tr_status', RAW)} || ${rr(N3, 'rdeDomain:reRr', "coalesce(o.re_rr, '')", 'o.re_rr_client', v.registrars)}` +
    ` || ${line(N3, 'rdeDomain:reDate', `coalesce(${ts('o.re_date')}, '')`, false)} || ${rr(N3, 'rdeDomain:acRr', "coalesce(o.ac_rr, '')", 'o.ac_rr_client', v.registrars)} || ${line(N3, 'rdeDomain:acDate', `coalesce(${ts('o.ac_date')}, '')`, false)}` +
    ` || ${dateLine(N3, 'rdeDomain:exDate', 'o.tr_ex_date')} || ${k(`${N2}</rdeDomain:trnData>`)} END || ${k(`${N1}</rdeDomain:domain>`)}`;
  const clean = all(
    `o.u_name IS NULL OR ${token('o.u_name', 255)}`,
    `o.original_name IS NULL OR ${token('o.original_name', 255)}`,
    `o.idn_table_id IS NULL OR ${token('o.idn_table_id', 64)}`,
    'st.n BETWEEN 1 AND 11 AND st.ok',
    'coalesce(rg.ok, true)',
    withContacts ? `(o.registrant IS NULL ${tld.dataModel === 'maximum' ? 'AND false' : ''}) OR ${refId('o.registrant', v.contacts)}` : 'true',
    withContacts ? 'coalesce(dc.ok, true) AND NOT coalesce(dc.quarantined, false)' : 'true',
    'coalesce(ns.ok, true) AND NOT coalesce(ns.quarantined, false)',
    ...sponsorClean(wm, v),
    `o.cr_date IS NOT NULL AND o.cr_date < ${wm}`,
    `o.ex_date IS NOT NULL AND ${validDate('o.ex_date')} AND (o.ex_date > ${wm} OR coalesce(st.pending_delete, false))`,
    'o.max_sig_life IS NULL OR o.max_sig_life >= 1',
    'o.max_sig_life IS NULL OR ds.key IS NOT NULL OR kd.key IS NOT NULL',
    'coalesce(ds.ok, true) AND coalesce(kd.ok, true)',
    `o.tr_status IS NULL OR (${transferClean(wm, v)} AND (o.tr_ex_date IS NULL OR ${validDate('o.tr_ex_date')}))`,
    `NOT ${anyOf('o.key', ex.crossed)}`,
    `NOT (${anyOf('o.cl_id', ex.registrars)} OR ${anyOf('o.cr_rr', ex.registrars)} OR ${anyOf('o.up_rr', ex.registrars)} OR ${anyOf('o.re_rr', ex.registrars)} OR ${anyOf('o.ac_rr', ex.registrars)})`,
    withContacts ? `NOT ${anyOf('o.registrant', ex.contacts)}` : 'true',
    `NOT ${anyOf('o.idn_table_id', ex.idnTables)}`,
  );
  return finish(
    `SELECT o.key, ${clean} AS clean, ${xml} AS xml, o.name AS ident
     FROM (SELECT roid AS key, * FROM rde.domain WHERE tld = ${sqlLiteral(tld.name)} AND ${rangeOf('roid', range)}) o
     ${joins.join('\n     ')}`,
    range,
  );
}

/** The rendering query of a kind for one key range. */
export function renderQuery(kind: RangedKind, ctx: RenderContext, range: RenderRange, ex: RenderExclusions): string {
  switch (kind) {
    case 'contact':
      return contactQuery(ctx, range, ex);
    case 'host':
      return hostQuery(ctx, range, ex);
    case 'domain':
      return domainQuery(ctx, range, ex);
  }
}

/** The part of the clean predicate Node evaluates for a rendered row: `(key, ident) => clean`. */
export type IdentityCheck = (key: string, ident: Buffer | null) => boolean;

/** [A-Za-z0-9] by character code. */
const isAlnumAscii = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);

/**
 * preflight.ts `isDnsName(name, 2)` on a name's UTF-8 bytes, without decoding them: LDH labels
 * of 1..63 characters not starting or ending with a hyphen, at least two of them, 253 characters
 * at most (the bytes of an LDH name are its characters).
 */
export function isDnsNameBytes(name: Buffer): boolean {
  const n = name.length;
  if (n === 0 || n > 253) return false;
  let labels = 1;
  let length = 0;
  let previous = 0x2e;
  for (let i = 0; i < n; i++) {
    const c = name[i]!;
    if (c === 0x2e) {
      if (length === 0 || previous === 0x2d) return false;
      labels++;
      length = 0;
    } else if (c === 0x2d) {
      if (length === 0) return false;
      length++;
    } else if (isAlnumAscii(c)) length++;
    else return false;
    if (length > 63) return false;
    previous = c;
  }
  return length > 0 && previous !== 0x2d && labels >= 2;
}


/**
 * An eppcom roidType in the ASCII form the query writes raw (no markup): 1..80 of
 * [A-Za-z0-9_], a hyphen, 1..8 of [A-Za-z0-9] — which the checker's pattern accepts — ending in
 * one of `suffixes` (the checker's rule for the repository identifier).
 */
export function isPlainRoid(roid: string, suffixes: readonly string[]): boolean {
  const n = roid.length;
  let dash = -1;
  for (let i = 0; i < n; i++) {
    const c = roid.charCodeAt(i);
    if (c === 0x2d) {
      if (dash !== -1) return false;
      dash = i;
    } else if (!(isAlnumAscii(c) || (c === 0x5f && dash === -1))) return false;
  }
  const suffixLength = n - dash - 1;
  if (dash < 1 || dash > 80 || suffixLength < 1 || suffixLength > 8) return false;
  for (const suffix of suffixes) if (suffix.length === suffixLength && roid.endsWith(suffix)) return true;
  return false;
}

/**
 * The object's own identity, evaluated in Node instead of the query (PostgreSQL's regular
 * expressions cost it ~0.6 µs each): a domain's or host's name (the row's `ident`) and roid (its
 * key), a contact's roid (`ident`; its id is the key, checked in SQL). True only when the
 * checker's rules for them hold (preflight.ts `isDnsName`, the TLD suffix, roidType with the
 * repository's suffix) in forms that need no escaping: the query writes these values raw.
 */
export function identityCheck(kind: RangedKind, ctx: RenderContext): IdentityCheck {
  switch (kind) {
    case 'contact':
      return (_key, roid) => roid !== null && isPlainRoid(roid.toString('latin1'), ctx.roidSuffixes);
    case 'host':
      return (roid, name) => name !== null && isDnsNameBytes(name) && isPlainRoid(roid, ctx.roidSuffixes);
    case 'domain': {
      // The checker's `name.toLowerCase().endsWith('.' + tld)` on the bytes of an LDH name: the
      // name is lower-cased, the TLD is not (a TLD spelt with capitals matches no name).
      const suffix = Buffer.from(`.${ctx.tld.name}`, 'utf8');
      const endsWithTld = (name: Buffer) => {
        const at = name.length - suffix.length;
        if (at < 0) return false;
        for (let i = 0; i < suffix.length; i++) {
          const c = name[at + i]!;
          if ((c >= 0x41 && c <= 0x5a ? c | 0x20 : c) !== suffix[i]) return false;
        }
        return true;
      };
      const roidSuffix = [ctx.tld.roidSuffix];
      return (roid, name) => name !== null && isDnsNameBytes(name) && endsWithTld(name) && isPlainRoid(roid, roidSuffix);
    }
  }
}

/** U+FFFE and U+FFFF start with these bytes in UTF-8 (EF BF BE, EF BF BF). */
const EF_BF = Buffer.from([0xef, 0xbf]);

function isControl(byte: number): boolean {
  return byte < 0x20 && byte !== 0x0a;
}

/**
 * Whether rendered XML needs the checked path for its characters: one XML 1.0 cannot carry
 * (xml.ts refuses them) — a C0 control other than LF (the line break between elements), or
 * U+FFFE/U+FFFF (EF BF BE/BF in UTF-8); PostgreSQL text holds no NUL and no surrogates — or a
 * TAB or CR inside a value (`esc()` leaves them raw: they are controls here), or an LF inside a
 * value, which `esc()` writes as a character reference (`&#`): the clean predicate does not look
 * for those (xs:token and friends refuse them), this does. A regular expression in the query
 * costs the server several times what this scan costs.
 *
 * Four bytes at a time: with y = word XOR 0x0a0a0a0a an LF byte becomes 0 and every other byte
 * below 0x20 stays in 1..0x1f, which the classic "has a byte between 0 and n" test finds.
 */
export function needsCheckedPath(xml: Buffer): boolean {
  const n = xml.length;
  const offset = xml.byteOffset;
  let i = 0;
  const head = Math.min(n, (4 - (offset & 3)) & 3);
  for (; i < head; i++) if (isControl(xml[i]!)) return true;
  const count = (n - i) >>> 2;
  if (count > 0) {
    const words = new Uint32Array(xml.buffer, offset + i, count);
    for (let j = 0; j < count; j++) {
      const y = words[j]! ^ 0x0a0a0a0a;
      const low = y & 0x7f7f7f7f;
      if (((0x9f9f9f9f - low) & ~y & (low + 0x7f7f7f7f) & 0x80808080) !== 0) return true;
    }
    i += count * 4;
  }
  for (; i < n; i++) if (isControl(xml[i]!)) return true;
  if (xml.indexOf('&#') !== -1) return true;
  for (let at = xml.indexOf(EF_BF); at !== -1; at = xml.indexOf(EF_BF, at + 1)) {
    const third = xml[at + 2];
    if (third === 0xbe || third === 0xbf) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Binary COPY output (PostgreSQL docs, "COPY … Binary Format")

/** One rendered object: its key, whether it is certainly clean, its XML as UTF-8 bytes. */
export interface RenderedRow {
  key: string;
  clean: boolean;
  xml: Buffer;
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * Reads the COPY output where it lies: a field inside one chunk is a slice of it, and only what
 * straddles two chunks is copied (no concatenation of the whole range: fewer big allocations).
 */
class ChunkReader {
  private index = 0;
  private at = 0;

  constructor(private readonly chunks: readonly Buffer[]) {}

  /** The next `n` bytes. */
  take(n: number): Buffer {
    let chunk = this.chunks[this.index];
    while (chunk !== undefined && this.at === chunk.length) {
      chunk = this.chunks[++this.index];
      this.at = 0;
    }
    if (chunk !== undefined && this.at + n <= chunk.length) {
      const slice = chunk.subarray(this.at, this.at + n);
      this.at += n;
      return slice;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      chunk = this.chunks[this.index];
      if (chunk === undefined) throw new Error('COPY output ends inside a row');
      const copied = chunk.copy(out, filled, this.at, Math.min(chunk.length, this.at + n - filled));
      filled += copied;
      this.at += copied;
      if (this.at === chunk.length) {
        this.index++;
        this.at = 0;
      }
    }
    return out;
  }

  /** A big-endian signed integer of 2 or 4 bytes. */
  int(size: 2 | 4): number {
    const chunk = this.chunks[this.index];
    let from: Buffer;
    let at = 0;
    if (chunk !== undefined && this.at + size <= chunk.length) {
      from = chunk;
      at = this.at;
      this.at += size;
    } else from = this.take(size);
    return size === 2 ? from.readInt16BE(at) : from.readInt32BE(at);
  }

  get empty(): boolean {
    return this.chunks.every((chunk) => chunk.length === 0);
  }
}

/**
 * Rows of a binary COPY of (key text, clean boolean, xml text[, ident text]), from chunks that
 * may cut anywhere. The XML bytes are slices of the input wherever a row lies within one chunk.
 * A row with `ident` is clean only if `identity` (`identityCheck`) accepts it.
 */
export function parseBinaryCopy(chunks: readonly Buffer[], identity?: IdentityCheck): RenderedRow[] {
  const rows: RenderedRow[] = [];
  const input = new ChunkReader(chunks);
  if (input.empty) return rows;
  if (!input.take(11).equals(SIGNATURE)) throw new Error('COPY output is not in PostgreSQL binary format');
  input.int(4);
  input.take(input.int(4));
  for (;;) {
    const fields = input.int(2);
    if (fields === -1) break;
    if (fields !== (identity ? 4 : 3)) throw new Error(`expected ${identity ? 4 : 3} fields per rendered row, got ${fields}`);
    const key = input.take(input.int(4)).toString('utf8');
    const cleanLength = input.int(4);
    const cleanBytes = cleanLength > 0 ? input.take(cleanLength) : undefined;
    const clean = cleanLength === 1 && cleanBytes![0] === 1;
    const xmlLength = input.int(4);
    if (xmlLength < 0) throw new Error(`the rendering of ${key} is NULL`);
    const xml = input.take(xmlLength);
    let vouched = clean;
    if (identity) {
      const identLength = input.int(4);
      const ident = identLength < 0 ? null : input.take(identLength);
      vouched &&= identity(key, ident);
    }
    rows.push({ key, clean: vouched && !needsCheckedPath(xml), xml });
  }
  return rows;
}
