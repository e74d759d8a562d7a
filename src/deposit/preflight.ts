/**
 * Deposit pre-flight: what must hold for a deposit to be accepted by the escrow agent and ICANN
 * RST, checked on what is written, before the file gets its final name.
 *
 * Two halves:
 * - `ObjectChecker`: per-object rules, in JS, on every object as it is written: identifiers,
 *   patterns and lengths of the XSD types (eppcom clIDType 3..16, roidType, labelType, e164Type,
 *   cc length 2 …), cardinalities (status 1..11 / 1..7, postalInfo 1..2 and one per type),
 *   enumerations, date rules (crDate < watermark < exDate unless pendingDelete) and the RST
 *   data-quality rules (rde-07 … rde-14: ISO 3166 cc, RFC 5322 email, gurid, roid suffix,
 *   glue for subordinate hosts).
 * - `referenceChecks`: cross-object rules as set-based SQL anti-joins inside the deposit's own
 *   snapshot, before writing: every registrar/contact/host/IDN-table reference resolves, NNDN
 *   names do not collide with domains, names are unique, name servers follow the host model.
 *
 * Findings carry stable codes: ICANN RST's error names (icann/rst-test-specs inc/rde/errors.yaml)
 * where RST defines one, `SR_*` where it does not. Messages name the object by its identifier
 * and the field by its element, never by a personal value (no names, addresses, e-mails or
 * phone numbers). docs/commands/deposit.md lists every code.
 */
import { isIP } from 'node:net';
import type { Queryable } from '../db/adapter.js';
import type { Finding, Severity } from '../common/findings.js';
import { canonicalDateTime, tryCanonicalDateTime } from '../model/datetime.js';
import type { Contact, Domain, EppParams, Host, IdnTableRef, Nndn, Phone, Policy, Registrar, RegistrarRef, Status } from '../model/objects.js';
import type { TldInfo } from '../sources/source.js';
import { ISO3166_ALPHA2 } from './iso3166.js';

/** The kinds findings can be about (also the quarantine's keys). */
export type CheckedKind = 'registrar' | 'idnTable' | 'contact' | 'host' | 'domain' | 'nndn' | 'eppParams' | 'policy' | 'deposit';

export interface PreflightContext {
  tld: TldInfo;
  watermark: string;
  /** All TLDs of the repository: a host under any of them needs glue addresses. */
  repositoryTlds: readonly string[];
  /** Repository identifiers registered for this repository (roid suffixes). */
  roidSuffixes: readonly string[];
  /**
   * Repository-identifier rules to leave out (the roid pattern is always checked): `domain`,
   * a domain roid's suffix against `tld.roidSuffix`; `others`, a contact or host roid's suffix
   * against `roidSuffixes`. For a checker that is not told them (the escrow agent without
   * --roid-suffix), rather than reporting every roid and dropping the findings.
   */
  skipRoidSuffix?: { domain?: boolean; others?: boolean };
}

// ---------------------------------------------------------------------------------------------
// Value rules (XSD types of eppcom-1.0, contact-1.0, host-1.0, domain-1.0, rde*.xsd)

/** xs:token lexical form: no leading/trailing space, no TAB/CR/LF, no double spaces. */
function isToken(value: string): boolean {
  return !/^\s|\s$|[\t\n\r]| {2}/.test(value);
}

/** eppcom:clIDType (ids of registrars and contacts, registrant): token of 3..16 characters. */
export function isClId(value: string): boolean {
  return value.length >= 3 && value.length <= 16 && isToken(value);
}

/** eppcom:labelType: token of 1..255 characters. */
function isLabel(value: string): boolean {
  return value.length >= 1 && value.length <= 255 && isToken(value);
}

/** eppcom:roidType `(\w|_){1,80}-\w{1,8}` with XSD's \w (not punctuation, separator or other). */
const ROID = /^(?:[^\p{P}\p{Z}\p{C}]|_){1,80}-([^\p{P}\p{Z}\p{C}]{1,8})$/u;

/** contact:e164Type: `(\+[0-9]{1,3}\.[0-9]{1,14})?`, at most 17 characters. */
const E164 = /^(?:\+[0-9]{1,3}\.[0-9]{1,14})?$/;

/** A host or domain name in A-label (LDH) form: labels of 1..63, 253 characters at most. */
const LDH_NAME_1 = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;
const LDH_NAME_2 = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(?:\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$/;
export function isDnsName(name: string, minLabels: 1 | 2): boolean {
  return name.length <= 253 && (minLabels === 1 ? LDH_NAME_1 : LDH_NAME_2).test(name);
}

/** RFC 5322 §3.4.1 addr-spec (dot-atom or quoted local part, dot-atom domain); UTF-8 allowed (RFC 6531). */
const ATEXT = "[\\p{L}\\p{N}!#$%&'*+/=?^_`{|}~-]";
const EMAIL = new RegExp(`^(?:${ATEXT}+(?:\\.${ATEXT}+)*|"(?:[^"\\\\\\r\\n]|\\\\.)+")@(?:[\\p{L}\\p{N}-]+\\.)*[\\p{L}\\p{N}-]+$`, 'u');

export const DOMAIN_STATUS = new Set([
  'clientDeleteProhibited', 'clientHold', 'clientRenewProhibited', 'clientTransferProhibited', 'clientUpdateProhibited',
  'inactive', 'ok', 'pendingCreate', 'pendingDelete', 'pendingRenew', 'pendingTransfer', 'pendingUpdate',
  'serverDeleteProhibited', 'serverHold', 'serverRenewProhibited', 'serverTransferProhibited', 'serverUpdateProhibited',
]);
export const RGP_STATUS = new Set(['addPeriod', 'autoRenewPeriod', 'renewPeriod', 'transferPeriod', 'pendingDelete', 'pendingRestore', 'redemptionPeriod']);
export const HOST_STATUS = new Set([
  'clientDeleteProhibited', 'clientUpdateProhibited', 'linked', 'ok', 'pendingCreate', 'pendingDelete', 'pendingTransfer',
  'pendingUpdate', 'serverDeleteProhibited', 'serverUpdateProhibited',
]);
export const CONTACT_STATUS = new Set([
  'clientDeleteProhibited', 'clientTransferProhibited', 'clientUpdateProhibited', 'linked', 'ok', 'pendingCreate',
  'pendingDelete', 'pendingTransfer', 'pendingUpdate', 'serverDeleteProhibited', 'serverTransferProhibited', 'serverUpdateProhibited',
]);
const TR_STATUS = new Set(['clientApproved', 'clientCancelled', 'clientRejected', 'pending', 'serverApproved', 'serverCancelled']);
const POSTAL_TYPES = new Set(['int', 'loc']);
const CONTACT_TYPES = new Set(['admin', 'billing', 'tech']);
const NAME_STATES = new Set(['withheld', 'blocked', 'mirrored']);
const REGISTRAR_STATUS = new Set(['ok', 'readonly', 'terminated']);
const DCP_ACCESS = new Set(['all', 'none', 'null', 'other', 'personal', 'personalAndOther']);
const DCP_PURPOSE = new Set(['admin', 'contact', 'other', 'prov']);
const DCP_RETENTION = new Set(['business', 'indefinite', 'legal', 'none', 'stated']);
/** xs:language (RFC 3066 form of the XSD pattern); also the rendering query's (sql-render.ts). */
export const LANGUAGE = /^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$/;
/** xs:duration. */
const DURATION = /^-?P(?!$)(?:\d+Y)?(?:\d+M)?(?:\d+D)?(?:T(?!$)(?:\d+H)?(?:\d+M)?(?:\d+(?:\.\d+)?S)?)?$/;
const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

/**
 * xs:anyURI as libxml2 2.9 validates it (xmlschemastypes.c): characters that are common in
 * IRIs but not allowed in URIs (controls, space, non-ASCII, `<>"{}|\^\`'`) are first replaced,
 * then the result must parse as an RFC 3986 URI reference. So `rdeDomain:contact[@type='admin']`
 * (brackets outside an IP literal) is refused, as xmllint refuses it.
 */
export function isAnyUri(value: string): boolean {
  const replaced = value.replace(/[\u0000-\u0020\u007f-\uffff<>"{}|\\^`']/g, '_');
  const withoutIpLiteral = replaced.replace(/^([A-Za-z][A-Za-z0-9+.-]*:)?\/\/([^/?#@[\]]*@)?\[[0-9A-Fa-f:.vV]+\]/, '$1//$2h');
  return /^[A-Za-z0-9\-._~:/?#@!$&()*+,;=%]*$/.test(withoutIpLiteral) && !/%(?![0-9A-Fa-f]{2})/.test(withoutIpLiteral);
}

/** A required URI: non-empty and valid. */
function isUri(value: string): boolean {
  return value !== '' && isAnyUri(value);
}
const BASE64 = /^[A-Za-z0-9+/\s]+=*\s*$/;

function isUnsigned(value: number, max: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= max;
}

// ---------------------------------------------------------------------------------------------
// Per-object checks

/**
 * Per-object rules. Each `check*` appends findings for one object to `out` and returns nothing;
 * the caller decides (fail or quarantine) from the severities it finds there.
 */
export class ObjectChecker {
  private readonly suffixes: ReadonlySet<string>;
  private readonly tldSuffixes: readonly string[];

  private readonly watermarkKey: string;

  constructor(private readonly ctx: PreflightContext) {
    this.watermarkKey = dateKey(canonicalDateTime(ctx.watermark))!;
    this.suffixes = new Set(ctx.roidSuffixes);
    this.tldSuffixes = ctx.repositoryTlds.map((t) => `.${t.toLowerCase()}`);
  }

  private push(out: Finding[], code: string, object: string, location: string, message: string, severity: Severity = 'error'): void {
    out.push({ code, severity, object, location, message });
  }

  /** The sortable key of a date field, or null after reporting that it is no date-time. */
  private date(out: Finding[], object: string, location: string, value: string): string | null {
    const key = dateKey(value);
    if (key === null) this.push(out, 'SR_INVALID_DATE', object, location, `${location.split('/').pop()} is not an RFC 3339 date-time`);
    return key;
  }

  /** crDate/upDate/trDate… must not lie after the watermark: the deposit cannot hold the future. */
  private notAfterWatermark(out: Finding[], code: string, object: string, location: string, value: string | undefined): void {
    if (value === undefined || value === '') return;
    const key = this.date(out, object, location, value);
    if (key !== null && key > this.watermarkKey) {
      this.push(out, code, object, location, `${location.split('/').pop()} ${value} is after the watermark ${this.ctx.watermark}`);
    }
  }

  private roid(out: Finding[], code: string, object: string, location: string, roid: string, expectedSuffix?: string): void {
    const m = ROID.exec(roid);
    if (!m) this.push(out, code, object, location, `roid "${roid}" does not match the eppcom roidType pattern (\\w|_){1,80}-\\w{1,8}`);
    else if (expectedSuffix !== undefined) {
      if (m[1] !== expectedSuffix && !this.ctx.skipRoidSuffix?.domain) this.push(out, code, object, location, `roid "${roid}" does not end in the TLD's repository identifier -${expectedSuffix}`);
    } else if (!this.ctx.skipRoidSuffix?.others && !this.suffixes.has(m[1]!)) {
      this.push(out, code, object, location, `roid "${roid}" has repository identifier -${m[1]}, not one of this repository's (${[...this.suffixes].join(', ')})`);
    }
  }

  private statuses(out: Finding[], code: string, missing: string, object: string, location: string, list: readonly Status[], allowed: ReadonlySet<string>, max: number): void {
    if (list.length === 0) {
      this.push(out, missing, object, location, 'has no status (at least one is required)');
      return;
    }
    if (list.length > max) this.push(out, code, object, location, `has ${list.length} statuses; the schema allows at most ${max}`);
    // A handful of statuses are compared in place; a hostile list (up to the reader's bound) gets a Set, not a quadratic scan.
    const seen = list.length > 16 ? new Set<string>() : undefined;
    for (let index = 0; index < list.length; index++) {
      const s = list[index]!;
      if (!allowed.has(s.s)) this.push(out, code, object, location, `status "${s.s}" is not a valid value`);
      else if (seen ? seen.has(s.s) : seenBefore(list, index)) this.push(out, code, object, location, `status "${s.s}" appears twice`);
      seen?.add(s.s);
      if (s.lang !== undefined && !LANGUAGE.test(s.lang)) this.push(out, code, object, location, `status "${s.s}" has an invalid lang attribute`);
    }
  }

  private registrarRef(out: Finding[], code: string, object: string, location: string, ref: RegistrarRef | undefined, required = false): void {
    if (ref === undefined || ref.id === '') {
      if (required) this.push(out, code, object, location, `${location.split('/').pop()} is missing`);
      return;
    }
    if (!isClId(ref.id)) this.push(out, code, object, location, `registrar id "${ref.id}" is not a valid clIDType (token of 3 to 16 characters)`);
    if (ref.client !== undefined && !isClId(ref.client)) this.push(out, code, object, location, `the client attribute is not a valid clIDType (token of 3 to 16 characters)`);
  }

  private phone(out: Finding[], code: string, object: string, location: string, value: Phone | undefined): void {
    if (value === undefined) return;
    if (!E164.test(value.number) || value.number.length > 17) this.push(out, code, object, location, 'is not an E.164 number in EPP form (+CC.NUMBER)');
    if (value.ext !== undefined && !isToken(value.ext)) this.push(out, code, object, location, 'extension is not a token');
  }

  private address(
    out: Finding[],
    codes: { street: string; city: string; cc: string; other: string },
    object: string,
    location: string,
    addr: { street: string[]; city: string; sp?: string; pc?: string; cc: string },
  ): void {
    if (addr.street.length > 3) this.push(out, codes.street, object, `${location}/street`, `has ${addr.street.length} street lines; at most 3 are allowed`);
    for (const street of addr.street) if (street.length > 255) this.push(out, codes.street, object, `${location}/street`, 'a street line is longer than 255 characters');
    if (addr.city.length < 1 || addr.city.length > 255) this.push(out, codes.city, object, `${location}/city`, 'city must have 1 to 255 characters');
    if (addr.sp !== undefined && addr.sp.length > 255) this.push(out, codes.other, object, `${location}/sp`, 'sp is longer than 255 characters');
    if (addr.pc !== undefined && (addr.pc.length > 16 || !isToken(addr.pc))) this.push(out, codes.other, object, `${location}/pc`, 'pc must be a token of at most 16 characters');
    if (addr.cc.length !== 2) this.push(out, codes.cc, object, `${location}/cc`, 'cc must have exactly 2 characters');
    else if (!ISO3166_ALPHA2.has(addr.cc)) this.push(out, codes.cc, object, `${location}/cc`, 'cc is not an ISO 3166-1 alpha-2 code');
  }

  checkRegistrar(r: Registrar, out: Finding[]): void {
    const o = r.id;
    const p = 'rdeRegistrar:registrar';
    if (r.id === '') this.push(out, 'RDE_REGISTRAR_HAS_MISSING_ID', o, `${p}/id`, 'has no id');
    else if (!isClId(r.id)) this.push(out, 'RDE_REGISTRAR_HAS_INVALID_ID', o, `${p}/id`, 'id is not a valid clIDType (token of 3 to 16 characters)');
    if (r.name === '') this.push(out, 'RDE_REGISTRAR_HAS_MISSING_NAME', o, `${p}/name`, 'has no name');
    else if (r.name.length > 255 || /[\t\n\r]/.test(r.name)) this.push(out, 'RDE_REGISTRAR_HAS_INVALID_NAME', o, `${p}/name`, 'name must be 1 to 255 characters without TAB/CR/LF');
    if (r.gurid === undefined) this.push(out, 'RDE_REGISTRAR_HAS_MISSING_GURID', o, `${p}/gurid`, 'has no gurid (IANA Registrar ID), which ICANN RST rde-10 requires');
    else if (!/^0*[1-9]\d*$/.test(r.gurid)) this.push(out, 'RDE_REGISTRAR_HAS_INVALID_GURID', o, `${p}/gurid`, `gurid "${r.gurid}" is not a positive integer`);
    if (r.status !== undefined && !REGISTRAR_STATUS.has(r.status)) this.push(out, 'SR_REGISTRAR_HAS_INVALID_STATUS', o, `${p}/status`, `status "${r.status}" is not ok, readonly or terminated`);
    this.postalInfos(out, 'SR_REGISTRAR_HAS_INVALID_POSTALINFO', 'SR_REGISTRAR_HAS_INVALID_POSTALINFO', o, p, r.postalInfo, 0);
    r.postalInfo.forEach((info, index) =>
      this.address(out, { street: 'SR_REGISTRAR_HAS_INVALID_ADDRESS', city: 'SR_REGISTRAR_HAS_INVALID_ADDRESS', cc: 'SR_REGISTRAR_HAS_INVALID_CC', other: 'SR_REGISTRAR_HAS_INVALID_ADDRESS' }, o, `${p}/postalInfo[${index + 1}]/addr`, info.addr),
    );
    this.phone(out, 'SR_REGISTRAR_HAS_INVALID_VOICE', o, `${p}/voice`, r.voice);
    this.phone(out, 'SR_REGISTRAR_HAS_INVALID_FAX', o, `${p}/fax`, r.fax);
    if (r.email !== undefined && (r.email === '' || !isToken(r.email))) this.push(out, 'SR_REGISTRAR_HAS_INVALID_EMAIL', o, `${p}/email`, 'email must be a non-empty token');
    if (r.url !== undefined && !isUri(r.url)) this.push(out, 'SR_REGISTRAR_HAS_INVALID_URL', o, `${p}/url`, 'url is not a valid URI (xs:anyURI)');
    if (r.whoisInfo?.name !== undefined && !isLabel(r.whoisInfo.name)) this.push(out, 'SR_REGISTRAR_HAS_INVALID_WHOIS', o, `${p}/whoisInfo/name`, 'whois name must be a label of 1 to 255 characters');
    if (r.whoisInfo?.url !== undefined && !isUri(r.whoisInfo.url)) this.push(out, 'SR_REGISTRAR_HAS_INVALID_WHOIS', o, `${p}/whoisInfo/url`, 'whois url is not a valid URI (xs:anyURI)');
    this.notAfterWatermark(out, 'SR_REGISTRAR_HAS_INVALID_CRDATE', o, `${p}/crDate`, r.crDate);
    this.notAfterWatermark(out, 'SR_REGISTRAR_HAS_INVALID_UPDATE', o, `${p}/upDate`, r.upDate);
  }

  private postalInfos(out: Finding[], code: string, multiple: string, object: string, path: string, list: readonly { type: string }[], min: number): void {
    if (list.length < min) this.push(out, code, object, `${path}/postalInfo`, 'has no postalInfo (at least one is required)');
    if (list.length > 2) this.push(out, code, object, `${path}/postalInfo`, `has ${list.length} postalInfo elements; at most 2 are allowed`);
    const types = new Set<string>();
    for (const info of list) {
      if (!POSTAL_TYPES.has(info.type)) this.push(out, code, object, `${path}/postalInfo`, `postalInfo type "${info.type}" is not int or loc`);
      else if (types.has(info.type)) this.push(out, multiple, object, `${path}/postalInfo`, `has two postalInfo elements of type ${info.type}`);
      types.add(info.type);
    }
  }

  checkIdnTable(t: IdnTableRef, out: Finding[]): void {
    const p = 'rdeIDN:idnTableRef';
    if (t.id.length < 1 || t.id.length > 64 || !isToken(t.id)) this.push(out, 'RDE_IDN_OBJECT_INVALID', t.id, `${p}/@id`, 'id must be a token of 1 to 64 characters');
    if (!isUri(t.url)) this.push(out, 'RDE_IDN_OBJECT_INVALID', t.id, `${p}/url`, 'url is not a valid URI (xs:anyURI)');
    if (!isUri(t.urlPolicy)) this.push(out, 'RDE_IDN_OBJECT_INVALID', t.id, `${p}/urlPolicy`, 'urlPolicy is not a valid URI (xs:anyURI)');
  }

  checkContact(c: Contact, out: Finding[]): void {
    const o = c.id;
    const p = 'rdeContact:contact';
    if (c.id === '') this.push(out, 'RDE_CONTACT_HAS_MISSING_ID', o, `${p}/id`, 'has no id');
    else if (!isClId(c.id)) this.push(out, 'RDE_CONTACT_HAS_INVALID_ID', o, `${p}/id`, 'id is not a valid clIDType (token of 3 to 16 characters)');
    if (c.roid === '') this.push(out, 'RDE_CONTACT_HAS_MISSING_ROID', o, `${p}/roid`, 'has no roid');
    else this.roid(out, 'RDE_CONTACT_HAS_INVALID_ROID', o, `${p}/roid`, c.roid);
    this.statuses(out, 'RDE_CONTACT_HAS_INVALID_STATUS', 'RDE_CONTACT_HAS_MISSING_STATUS', o, `${p}/status`, c.status, CONTACT_STATUS, 7);
    if (c.postalInfo.length === 0) this.push(out, 'RDE_CONTACT_HAS_MISSING_POSTALINFO', o, `${p}/postalInfo`, 'has no postalInfo (at least one is required)');
    this.postalInfos(out, 'RDE_CONTACT_HAS_INVALID_POSTALINFO_TYPE', 'RDE_CONTACT_HAS_MULTIPLE_POSTALINFO_TYPES', o, p, c.postalInfo, 0);
    c.postalInfo.forEach((info, index) => {
      const at = `${p}/postalInfo[${index + 1}]`;
      if (info.name.length < 1 || info.name.length > 255) this.push(out, 'RDE_CONTACT_HAS_INVALID_NAME', o, `${at}/name`, 'name must have 1 to 255 characters');
      if (info.org !== undefined && info.org.length > 255) this.push(out, 'SR_CONTACT_HAS_INVALID_ORG', o, `${at}/org`, 'org is longer than 255 characters');
      this.address(out, { street: 'RDE_CONTACT_HAS_INVALID_STREET', city: 'RDE_CONTACT_HAS_INVALID_CITY', cc: 'RDE_CONTACT_HAS_INVALID_CC', other: 'SR_CONTACT_HAS_INVALID_ADDRESS' }, o, `${at}/addr`, info.addr);
    });
    this.phone(out, 'RDE_CONTACT_HAS_INVALID_VOICE', o, `${p}/voice`, c.voice);
    this.phone(out, 'SR_CONTACT_HAS_INVALID_FAX', o, `${p}/fax`, c.fax);
    if (c.email === '') this.push(out, 'RDE_CONTACT_HAS_MISSING_EMAIL', o, `${p}/email`, 'has no email');
    else if (!EMAIL.test(c.email)) this.push(out, 'RDE_CONTACT_HAS_INVALID_EMAIL', o, `${p}/email`, 'email is not an RFC 5322 mailbox (addr-spec)');
    if (c.clID === '') this.push(out, 'RDE_CONTACT_HAS_MISSING_CLID', o, `${p}/clID`, 'has no clID');
    else this.registrarRef(out, 'RDE_CONTACT_HAS_INVALID_CLID', o, `${p}/clID`, { id: c.clID });
    this.registrarRef(out, 'SR_CONTACT_HAS_INVALID_CRRR', o, `${p}/crRr`, c.crRr);
    this.registrarRef(out, 'SR_CONTACT_HAS_INVALID_UPRR', o, `${p}/upRr`, c.upRr);
    this.notAfterWatermark(out, 'SR_CONTACT_HAS_INVALID_CRDATE', o, `${p}/crDate`, c.crDate);
    this.notAfterWatermark(out, 'SR_CONTACT_HAS_INVALID_UPDATE', o, `${p}/upDate`, c.upDate);
    this.notAfterWatermark(out, 'SR_CONTACT_HAS_INVALID_TRDATE', o, `${p}/trDate`, c.trDate);
    if (c.trnData !== undefined) this.transfer(out, 'SR_CONTACT_HAS_INVALID_TRNDATA', o, `${p}/trnData`, c.trnData);
    if (c.disclose !== undefined) {
      for (const type of [...c.disclose.name, ...c.disclose.org, ...c.disclose.addr]) {
        if (!POSTAL_TYPES.has(type)) this.push(out, 'SR_CONTACT_HAS_INVALID_DISCLOSE', o, `${p}/disclose`, `disclose type "${type}" is not int or loc`);
      }
      for (const list of [c.disclose.name, c.disclose.org, c.disclose.addr]) {
        if (list.length > 2) this.push(out, 'SR_CONTACT_HAS_INVALID_DISCLOSE', o, `${p}/disclose`, 'names a postal type more than twice');
      }
    }
  }

  private transfer(out: Finding[], code: string, object: string, path: string, t: { trStatus: string; reRr: RegistrarRef; reDate: string; acRr: RegistrarRef; acDate: string }): void {
    if (!TR_STATUS.has(t.trStatus)) this.push(out, code, object, `${path}/trStatus`, `trStatus "${t.trStatus}" is not a valid transfer status`);
    this.registrarRef(out, code, object, `${path}/reRr`, t.reRr, true);
    this.registrarRef(out, code, object, `${path}/acRr`, t.acRr, true);
    if (t.reDate === '') this.push(out, code, object, `${path}/reDate`, 'reDate is missing');
    else this.notAfterWatermark(out, code, object, `${path}/reDate`, t.reDate);
    if (t.acDate === '') this.push(out, code, object, `${path}/acDate`, 'acDate is missing');
    else this.date(out, object, `${path}/acDate`, t.acDate);
  }

  private isSubordinate(name: string): boolean {
    const lower = name.toLowerCase();
    return this.tldSuffixes.some((suffix) => lower.endsWith(suffix));
  }

  private addresses(out: Finding[], code: string, object: string, location: string, list: readonly { ip: string; addr: string }[]): void {
    for (const a of list) {
      const version = isIP(a.addr);
      if ((a.ip !== 'v4' && a.ip !== 'v6') || version !== (a.ip === 'v4' ? 4 : 6)) {
        this.push(out, code, object, location, `address "${a.addr}" is not a valid IP${a.ip} address`);
      }
    }
  }

  checkHost(h: Host, out: Finding[]): void {
    const o = h.name || h.roid;
    const p = 'rdeHost:host';
    if (h.name === '' || !isDnsName(h.name, 2)) this.push(out, 'RDE_HOST_HAS_INVALID_NAME', o, `${p}/name`, 'name is not a valid host name');
    if (h.roid === '') this.push(out, 'RDE_HOST_HAS_MISSING_ROID', o, `${p}/roid`, 'has no roid');
    else this.roid(out, 'RDE_HOST_HAS_INVALID_ROID', o, `${p}/roid`, h.roid);
    this.statuses(out, 'RDE_HOST_HAS_INVALID_STATUS', 'RDE_HOST_HAS_MISSING_STATUS', o, `${p}/status`, h.status, HOST_STATUS, 7);
    this.addresses(out, 'RDE_HOST_HAS_INVALID_IP_ADDRESS', o, `${p}/addr`, h.addr);
    if (h.addr.length === 0 && this.isSubordinate(h.name)) {
      this.push(out, 'RDE_HOST_HAS_MISSING_IP_ADDRESS', o, `${p}/addr`, 'is subordinate to a TLD of this repository but has no address (glue)');
    }
    if (h.clID === '') this.push(out, 'RDE_HOST_HAS_MISSING_CLID', o, `${p}/clID`, 'has no clID');
    else this.registrarRef(out, 'RDE_HOST_HAS_INVALID_CLID', o, `${p}/clID`, { id: h.clID });
    this.registrarRef(out, 'SR_HOST_HAS_INVALID_CRRR', o, `${p}/crRr`, h.crRr);
    this.registrarRef(out, 'SR_HOST_HAS_INVALID_UPRR', o, `${p}/upRr`, h.upRr);
    this.notAfterWatermark(out, 'SR_HOST_HAS_INVALID_CRDATE', o, `${p}/crDate`, h.crDate);
    this.notAfterWatermark(out, 'SR_HOST_HAS_INVALID_UPDATE', o, `${p}/upDate`, h.upDate);
    this.notAfterWatermark(out, 'SR_HOST_HAS_INVALID_TRDATE', o, `${p}/trDate`, h.trDate);
  }

  checkDomain(d: Domain, out: Finding[]): void {
    const o = d.name || d.roid;
    const p = 'rdeDomain:domain';
    const tld = this.ctx.tld;
    if (d.name === '') this.push(out, 'RDE_DOMAIN_HAS_MISSING_NAME', o, `${p}/name`, 'has no name');
    else if (!isDnsName(d.name, 2) || !d.name.toLowerCase().endsWith(`.${tld.name}`)) {
      this.push(out, 'RDE_DOMAIN_HAS_INVALID_NAME', o, `${p}/name`, `name is not a valid A-label domain name under .${tld.name}`);
    }
    if (d.roid === '') this.push(out, 'RDE_DOMAIN_HAS_MISSING_ROID', o, `${p}/roid`, 'has no roid');
    else this.roid(out, 'RDE_DOMAIN_HAS_INVALID_ROID', o, `${p}/roid`, d.roid, tld.roidSuffix);
    if (d.uName !== undefined && !isLabel(d.uName)) this.push(out, 'SR_DOMAIN_HAS_INVALID_UNAME', o, `${p}/uName`, 'uName must be a label of 1 to 255 characters');
    if (d.originalName !== undefined && !isLabel(d.originalName)) this.push(out, 'SR_DOMAIN_HAS_INVALID_ORIGINALNAME', o, `${p}/originalName`, 'originalName must be a label of 1 to 255 characters');
    if (d.idnTableId !== undefined && (d.idnTableId.length < 1 || d.idnTableId.length > 64 || !isToken(d.idnTableId))) {
      this.push(out, 'SR_DOMAIN_HAS_INVALID_IDNTABLEID', o, `${p}/idnTableId`, 'idnTableId must be a token of 1 to 64 characters');
    }
    this.statuses(out, 'RDE_DOMAIN_HAS_INVALID_STATUS', 'RDE_DOMAIN_HAS_MISSING_STATUS', o, `${p}/status`, d.status, DOMAIN_STATUS, 11);
    for (const s of d.rgpStatus) {
      if (!RGP_STATUS.has(s.s)) this.push(out, 'SR_DOMAIN_HAS_INVALID_RGPSTATUS', o, `${p}/rgpStatus`, `rgpStatus "${s.s}" is not a valid value`);
      if (s.lang !== undefined && !LANGUAGE.test(s.lang)) this.push(out, 'SR_DOMAIN_HAS_INVALID_RGPSTATUS', o, `${p}/rgpStatus`, `rgpStatus "${s.s}" has an invalid lang attribute`);
    }
    if (d.registrant === undefined || d.registrant === '') {
      if (tld.dataModel === 'maximum') this.push(out, 'RDE_DOMAIN_HAS_MISSING_REGISTRANT', o, `${p}/registrant`, 'has no registrant, which the maximum data model requires');
    } else if (!isClId(d.registrant)) this.push(out, 'RDE_DOMAIN_HAS_INVALID_REGISTRANT', o, `${p}/registrant`, 'registrant is not a valid clIDType (token of 3 to 16 characters)');
    for (const c of d.contact) {
      if (!CONTACT_TYPES.has(c.type)) this.push(out, 'SR_DOMAIN_HAS_INVALID_CONTACT', o, `${p}/contact`, `contact type "${c.type}" is not admin, billing or tech`);
      if (!isClId(c.id)) this.push(out, 'SR_DOMAIN_HAS_INVALID_CONTACT', o, `${p}/contact`, 'a contact id is not a valid clIDType (token of 3 to 16 characters)');
    }
    if (d.ns !== undefined) {
      if ('hostObj' in d.ns) {
        for (const name of d.ns.hostObj) if (!isDnsName(name, 2)) this.push(out, 'SR_DOMAIN_HAS_INVALID_NAMESERVER', o, `${p}/ns/hostObj`, `name server "${name}" is not a valid host name`);
      } else {
        for (const attr of d.ns.hostAttr) {
          if (!isDnsName(attr.hostName, 2)) this.push(out, 'SR_DOMAIN_HAS_INVALID_NAMESERVER', o, `${p}/ns/hostAttr/hostName`, `name server "${attr.hostName}" is not a valid host name`);
          this.addresses(out, 'SR_DOMAIN_HAS_INVALID_NAMESERVER', o, `${p}/ns/hostAttr/hostAddr`, attr.hostAddr);
        }
      }
    }
    if (d.clID === '') this.push(out, 'RDE_DOMAIN_HAS_MISSING_CLID', o, `${p}/clID`, 'has no clID');
    else this.registrarRef(out, 'RDE_DOMAIN_HAS_INVALID_CLID', o, `${p}/clID`, { id: d.clID });
    this.registrarRef(out, 'RDE_DOMAIN_HAS_INVALID_CRRR', o, `${p}/crRr`, d.crRr);
    this.registrarRef(out, 'RDE_DOMAIN_HAS_INVALID_UPRR', o, `${p}/upRr`, d.upRr);
    // RST rde-07: crDate before the watermark, exDate after it (unless pending deletion).
    if (d.crDate === undefined) this.push(out, 'RDE_DOMAIN_HAS_MISSING_CRDATE', o, `${p}/crDate`, 'has no crDate');
    else {
      const key = this.date(out, o, `${p}/crDate`, d.crDate);
      if (key !== null && key >= this.watermarkKey) {
        this.push(out, 'RDE_DOMAIN_HAS_INVALID_CRDATE', o, `${p}/crDate`, `crDate ${d.crDate} is not before the watermark ${this.ctx.watermark}`);
      }
    }
    if (d.exDate === undefined) this.push(out, 'RDE_DOMAIN_HAS_MISSING_EXDATE', o, `${p}/exDate`, 'has no exDate');
    else {
      const key = this.date(out, o, `${p}/exDate`, d.exDate);
      if (key !== null && key <= this.watermarkKey && !d.status.some((s) => s.s === 'pendingDelete')) {
        this.push(out, 'RDE_DOMAIN_HAS_INVALID_EXDATE', o, `${p}/exDate`, `exDate ${d.exDate} is not after the watermark ${this.ctx.watermark} and the domain is not pendingDelete`);
      }
    }
    this.notAfterWatermark(out, 'SR_DOMAIN_HAS_INVALID_UPDATE', o, `${p}/upDate`, d.upDate);
    this.notAfterWatermark(out, 'SR_DOMAIN_HAS_INVALID_TRDATE', o, `${p}/trDate`, d.trDate);
    if (d.secDNS !== undefined) {
      const sec = d.secDNS;
      const code = 'SR_DOMAIN_HAS_INVALID_SECDNS';
      if (sec.maxSigLife !== undefined && !(Number.isInteger(sec.maxSigLife) && sec.maxSigLife >= 1 && sec.maxSigLife <= 2147483647)) {
        this.push(out, code, o, `${p}/secDNS/maxSigLife`, 'maxSigLife must be a positive 32-bit integer');
      }
      const keys = 'dsData' in sec ? sec.dsData.flatMap((ds) => (ds.keyData ? [ds.keyData] : [])) : sec.keyData;
      if ('dsData' in sec) {
        if (sec.dsData.length === 0) this.push(out, code, o, `${p}/secDNS`, 'has secDNS data (maxSigLife) but no DS or key data');
        for (const ds of sec.dsData) {
          if (!isUnsigned(ds.keyTag, 65535) || !isUnsigned(ds.alg, 255) || !isUnsigned(ds.digestType, 255)) this.push(out, code, o, `${p}/secDNS/dsData`, 'keyTag, alg or digestType is out of range');
          if (ds.digest === '' || !HEX.test(ds.digest)) this.push(out, code, o, `${p}/secDNS/dsData/digest`, 'digest is not hexadecimal');
        }
      }
      for (const k of keys) {
        if (!isUnsigned(k.flags, 65535) || !isUnsigned(k.protocol, 255) || !isUnsigned(k.alg, 255)) this.push(out, code, o, `${p}/secDNS/keyData`, 'flags, protocol or alg is out of range');
        if (!BASE64.test(k.pubKey)) this.push(out, code, o, `${p}/secDNS/keyData/pubKey`, 'pubKey is not base64');
      }
    }
    if (d.trnData !== undefined) {
      this.transfer(out, 'SR_DOMAIN_HAS_INVALID_TRNDATA', o, `${p}/trnData`, d.trnData);
      if (d.trnData.exDate !== undefined) this.date(out, o, `${p}/trnData/exDate`, d.trnData.exDate);
      this.registrarRef(out, 'RDE_DOMAIN_HAS_INVALID_RERR', o, `${p}/trnData/reRr`, d.trnData.reRr);
      this.registrarRef(out, 'RDE_DOMAIN_HAS_INVALID_ACRR', o, `${p}/trnData/acRr`, d.trnData.acRr);
    }
  }

  checkNndn(n: Nndn, out: Finding[]): void {
    const o = n.aName;
    const p = 'rdeNNDN:NNDN';
    if (!isLabel(n.aName) || !isDnsName(n.aName, 1)) this.push(out, 'SR_NNDN_HAS_INVALID_ANAME', o, `${p}/aName`, 'aName is not a valid A-label name');
    if (n.uName !== undefined && !isLabel(n.uName)) this.push(out, 'SR_NNDN_HAS_INVALID_UNAME', o, `${p}/uName`, 'uName must be a label of 1 to 255 characters');
    if (n.originalName !== undefined && !isLabel(n.originalName)) this.push(out, 'SR_NNDN_HAS_INVALID_ORIGINALNAME', o, `${p}/originalName`, 'originalName must be a label of 1 to 255 characters');
    if (n.idnTableId !== undefined && (n.idnTableId.length < 1 || n.idnTableId.length > 64)) this.push(out, 'SR_NNDN_HAS_INVALID_IDNTABLEID', o, `${p}/idnTableId`, 'idnTableId must have 1 to 64 characters');
    if (!NAME_STATES.has(n.nameState)) this.push(out, 'SR_NNDN_HAS_INVALID_NAMESTATE', o, `${p}/nameState`, `nameState "${n.nameState}" is not withheld, blocked or mirrored`);
    this.notAfterWatermark(out, 'SR_NNDN_HAS_INVALID_CRDATE', o, `${p}/crDate`, n.crDate);
  }

  checkEppParams(e: EppParams, out: Finding[]): void {
    const o = this.ctx.tld.name;
    const p = 'rdeEppParams:eppParams';
    const code = 'SR_EPP_PARAMS_INVALID';
    if (e.version.length === 0 || e.version.some((v) => v !== '1.0')) this.push(out, code, o, `${p}/version`, 'needs at least one version, each "1.0"');
    if (e.lang.length === 0 || e.lang.some((l) => !LANGUAGE.test(l))) this.push(out, code, o, `${p}/lang`, 'needs at least one lang, each a language tag');
    if (e.objURI.length === 0 || !e.objURI.every(isUri)) this.push(out, code, o, `${p}/objURI`, 'needs at least one objURI, each a valid URI');
    if (!e.extURI.every(isUri)) this.push(out, code, o, `${p}/svcExtension/extURI`, 'every extURI must be a valid URI');
    if (!e.objURI.includes('urn:ietf:params:xml:ns:domain-1.0')) this.push(out, 'SR_EPP_PARAMS_MISSING_OBJURI', o, `${p}/objURI`, 'objURI does not list urn:ietf:params:xml:ns:domain-1.0 (RST rde-13)', 'warning');
    for (const ext of ['urn:ietf:params:xml:ns:secDNS-1.1', 'urn:ietf:params:xml:ns:rgp-1.0']) {
      if (!e.extURI.includes(ext)) this.push(out, 'SR_EPP_PARAMS_MISSING_EXTURI', o, `${p}/svcExtension`, `extURI does not list ${ext} (RST rde-13 expects it)`, 'warning');
    }
    const problem = dcpProblem(e.dcp);
    if (problem !== null) this.push(out, code, o, `${p}/dcp`, `dcp ${problem}`);
  }

  checkPolicy(policy: Policy, out: Finding[]): void {
    const o = policy.scope;
    if (policy.scope === '' || !isToken(policy.scope)) this.push(out, 'RDE_POLICY_OBJECT_INVALID', o, 'rdePolicy:policy/@scope', 'scope must be a non-empty token (an XPath)');
    if (!isUri(policy.element)) this.push(out, 'RDE_POLICY_OBJECT_INVALID', o, 'rdePolicy:policy/@element', `element "${policy.element}" is not a valid xs:anyURI (brackets, for instance, are not allowed)`);
  }
}

/** Structural check of an epp:dcpType held as JSON (registry.epp_params.dcp); null when fine. */
export function dcpProblem(dcp: unknown): string | null {
  if (typeof dcp !== 'object' || dcp === null) return 'is not an object';
  const d = dcp as Record<string, unknown>;
  if (typeof d.access !== 'string' || !DCP_ACCESS.has(d.access)) return 'access is not one of all, none, null, other, personal, personalAndOther';
  if (!Array.isArray(d.statement) || d.statement.length === 0) return 'needs at least one statement';
  for (const st of d.statement as unknown[]) {
    if (typeof st !== 'object' || st === null) return 'has a statement that is not an object';
    const s = st as Record<string, unknown>;
    if (!Array.isArray(s.purpose) || !s.purpose.every((x) => typeof x === 'string' && DCP_PURPOSE.has(x))) return 'statement purpose must list admin, contact, other or prov';
    const r = s.recipient as Record<string, unknown> | undefined;
    if (typeof r !== 'object' || r === null) return 'statement has no recipient';
    for (const flag of ['other', 'public', 'same', 'unrelated']) if (typeof r[flag] !== 'boolean') return `statement recipient.${flag} must be true or false`;
    if (!Array.isArray(r.ours) || !r.ours.every((x) => x === null || (typeof x === 'string' && x.length >= 1 && x.length <= 255))) {
      return 'statement recipient.ours must list recDesc strings (1 to 255 characters) or null';
    }
    if (typeof s.retention !== 'string' || !DCP_RETENTION.has(s.retention)) return 'statement retention is not one of business, indefinite, legal, none, stated';
  }
  if (d.expiry !== undefined) {
    const x = d.expiry as Record<string, unknown>;
    const absolute = typeof x?.absolute === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(x.absolute);
    const relative = typeof x?.relative === 'string' && DURATION.test(x.relative);
    if (!absolute && !relative) return 'expiry must be {"absolute": date-time} or {"relative": duration}';
  }
  return null;
}

/** Whether list[index]'s value came earlier in the list (a handful of statuses: no Set per object). */
function seenBefore(list: readonly Status[], index: number): boolean {
  const value = list[index]!.s;
  for (let i = 0; i < index; i++) if (list[i]!.s === value) return true;
  return false;
}

/** Canonical UTC date-time as model/datetime.ts writes it, with a 4-digit year. */
const CANONICAL_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z$/;

/**
 * A fixed-width sortable key `YYYY-MM-DDTHH:MM:SS.ffffff` of a date-time, or null when the value
 * is not an RFC 3339 date-time. Canonical values (all that come from the database) take a fast
 * path without Date parsing: comparing keys as strings compares the instants.
 */
export function dateKey(value: string): string | null {
  let v = value;
  if (!CANONICAL_DATE.test(v)) {
    const canonical = tryCanonicalDateTime(v);
    if (canonical === null || !CANONICAL_DATE.test(canonical)) return null;
    v = canonical;
  }
  const n = v.length;
  return n === 20 ? `${v.slice(0, 19)}.000000` : v.slice(0, n - 1) + '000000'.slice(0, 27 - n);
}

/** Does a list of findings contain an error (the object cannot go into the deposit as it is)? */
export function hasError(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}

// ---------------------------------------------------------------------------------------------
// Cross-object checks (SQL, inside the deposit's snapshot)

/** One cross-object finding, with the key of the object it is about (for quarantine). */
export interface KeyedFinding extends Finding {
  kind: CheckedKind;
  /** The object's key in its view: registrar/contact id, host/domain roid, NNDN aName. */
  key: string;
}

interface CheckQuery {
  kind: CheckedKind;
  /** The codes the check reports. With more than one, the query returns the code in a `code` column. */
  codes: string[];
  /** SELECT returning key, object (display id), detail (and code), for the TLD in $1. */
  sql: string;
  message: (detail: string, code: string) => string;
  /** Run only when true for the TLD. */
  when?: (tld: TldInfo) => boolean;
  /** A cheaper query that returns no row when the check has nothing to report (run first). */
  probe?: string;
}

const REGISTRAR_REFS: Array<[CheckedKind, string, string, string, string]> = [
  // kind, view, key, display, code prefix
  ['domain', 'rde.domain', 'roid', 'name', 'RDE_DOMAIN_HAS_INVALID'],
  ['host', 'rde.host', 'roid', 'name', 'SR_HOST_HAS_UNKNOWN'],
  ['contact', 'rde.contact', 'id', 'id', 'RDE_CONTACT_HAS_UNKNOWN'],
];

/**
 * Registrar references (clID, crRr, upRr, reRr, acRr): one hash anti-join per column (measured
 * faster than one scan with a LATERAL list of the five columns at 1M domains).
 */
function registrarRefQueries(): CheckQuery[] {
  const queries: CheckQuery[] = [];
  for (const [kind, view, key, display, prefix] of REGISTRAR_REFS) {
    const fields: Array<[string, string]> = [['clID', 'cl_id'], ['crRr', 'cr_rr'], ['upRr', 'up_rr']];
    if (kind !== 'host') fields.push(['reRr', 're_rr'], ['acRr', 'ac_rr']);
    for (const [element, column] of fields) {
      // RST names the host clID check RDE_HOST_HAS_INVALID_CLID; the others follow the prefix.
      const code = kind === 'host' && element === 'clID' ? 'RDE_HOST_HAS_INVALID_CLID' : `${prefix}_${element.toUpperCase()}`;
      queries.push({
        kind,
        codes: [code],
        sql: `SELECT o.${key} AS key, o.${display} AS object, o.${column} AS detail FROM ${view} o
              WHERE ${kind === 'domain' ? 'o.tld = $1 AND ' : ''}o.${column} IS NOT NULL
                AND NOT EXISTS (SELECT 1 FROM rde.registrar r WHERE r.id = o.${column})`,
        message: (detail) => `${element} "${detail}" is not a registrar in the deposit`,
        ...(kind === 'host' ? { when: (tld: TldInfo) => tld.hostModel === 'objects' } : {}),
        ...(kind === 'contact' ? { when: (tld: TldInfo) => tld.dataModel !== 'minimum' } : {}),
      });
    }
  }
  return queries;
}

const withContacts = (tld: TldInfo) => tld.dataModel !== 'minimum';
const hostObjects = (tld: TldInfo) => tld.hostModel === 'objects';
const hostAttributes = (tld: TldInfo) => tld.hostModel === 'attributes';

const CHECK_QUERIES: CheckQuery[] = [
  ...registrarRefQueries(),
  {
    kind: 'domain',
    codes: ['RDE_DOMAIN_HAS_INVALID_REGISTRANT'],
    // Over every TLD (a superset): LIMIT 1 without the TLD lets the planner merge the two keys'
    // indexes (1M domains: 0.32 against 0.55 s of server CPU for the query below).
    probe: `SELECT 1 FROM rde.domain d WHERE d.registrant IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rde.contact c WHERE c.id = d.registrant) LIMIT 1`,
    sql: `SELECT d.roid AS key, d.name AS object, d.registrant AS detail FROM rde.domain d
          WHERE d.tld = $1 AND d.registrant IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rde.contact c WHERE c.id = d.registrant)`,
    message: (detail) => `registrant "${detail}" is not a contact in the deposit`,
    when: withContacts,
  },
  {
    kind: 'domain',
    codes: ['RDE_DOMAIN_HAS_MISSING_CONTACT'],
    sql: `SELECT d.roid AS key, d.name AS object, dc.contact_id AS detail FROM rde.domain d JOIN rde.domain_contact dc ON dc.domain_roid = d.roid
          WHERE d.tld = $1 AND NOT EXISTS (SELECT 1 FROM rde.contact c WHERE c.id = dc.contact_id)`,
    message: (detail) => `contact "${detail}" is not a contact in the deposit`,
    when: withContacts,
  },
  {
    kind: 'domain',
    codes: ['RDE_DOMAIN_HAS_MISSING_NAMESERVER'],
    sql: `SELECT d.roid AS key, d.name AS object, n.host_name AS detail FROM rde.domain d JOIN rde.domain_ns n ON n.domain_roid = d.roid
          WHERE d.tld = $1 AND NOT EXISTS (SELECT 1 FROM rde.host h WHERE h.name = n.host_name)`,
    message: (detail) => `name server "${detail}" is not a host object in the deposit`,
    when: hostObjects,
  },
  {
    kind: 'domain',
    codes: ['SR_DOMAIN_NS_MODEL_MISMATCH'],
    sql: `SELECT d.roid AS key, d.name AS object, 'hostAttr' AS detail FROM rde.domain d
          WHERE d.tld = $1 AND EXISTS (SELECT 1 FROM rde.domain_ns_attr a WHERE a.domain_roid = d.roid)`,
    message: () => 'has name servers as host attributes, but the TLD uses the host-object model',
    when: hostObjects,
  },
  {
    kind: 'domain',
    codes: ['SR_DOMAIN_NS_MODEL_MISMATCH'],
    sql: `SELECT d.roid AS key, d.name AS object, 'hostObj' AS detail FROM rde.domain d
          WHERE d.tld = $1 AND EXISTS (SELECT 1 FROM rde.domain_ns n WHERE n.domain_roid = d.roid)`,
    message: () => 'has name servers as host objects, but the TLD uses the host-attribute model',
    when: hostAttributes,
  },
  {
    kind: 'domain',
    codes: ['SR_DOMAIN_HAS_INVALID_SECDNS'],
    // From the smaller side (key data is rare) over every TLD: a few thousand index probes
    // instead of two semi-joins over every domain (1M domains: 0.27 s → a few ms).
    probe: `SELECT 1 FROM rde.domain_key k WHERE EXISTS (SELECT 1 FROM rde.domain_ds x WHERE x.domain_roid = k.domain_roid) LIMIT 1`,
    sql: `SELECT d.roid AS key, d.name AS object, '' AS detail FROM rde.domain d
          WHERE d.tld = $1 AND EXISTS (SELECT 1 FROM rde.domain_ds x WHERE x.domain_roid = d.roid)
            AND EXISTS (SELECT 1 FROM rde.domain_key k WHERE k.domain_roid = d.roid)`,
    message: () => 'has both DS data and key data; secDNS allows one interface only (RFC 5910)',
  },
  {
    kind: 'domain',
    codes: ['SR_DOMAIN_HAS_UNKNOWN_IDN_TABLE'],
    sql: `SELECT d.roid AS key, d.name AS object, d.idn_table_id AS detail FROM rde.domain d
          WHERE d.tld = $1 AND d.idn_table_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM rde.idn_table t WHERE t.tld = d.tld AND t.id = d.idn_table_id)`,
    message: (detail) => `idnTableId "${detail}" is not an IDN table of the TLD`,
  },
  {
    kind: 'domain',
    codes: ['RDE_DOMAIN_HAS_NON_UNIQUE_NAME'],
    // The probes of the uniqueness checks look at every TLD (a superset of the TLD's repeats:
    // the query below then filters): without the TLD, an index on the key alone is enough for
    // an ordered scan that touches no table row (1M domains: 1.54 → 0.2 s of server CPU).
    probe: `SELECT 1 FROM rde.domain GROUP BY name HAVING count(*) > 1 LIMIT 1`,
    sql: `SELECT d.roid AS key, d.name AS object, d.name AS detail FROM rde.domain d
          WHERE d.tld = $1 AND d.name IN (SELECT name FROM rde.domain WHERE tld = $1 GROUP BY name HAVING count(*) > 1)`,
    message: () => 'shares its name with another domain',
  },
  {
    kind: 'domain',
    codes: ['RDE_DOMAIN_HAS_NON_UNIQUE_ROID'],
    probe: `SELECT 1 FROM rde.domain GROUP BY roid HAVING count(*) > 1 LIMIT 1`,
    sql: `SELECT d.roid AS key, min(d.name) AS object, d.roid AS detail FROM rde.domain d WHERE d.tld = $1 GROUP BY d.roid HAVING count(*) > 1`,
    message: (detail) => `roid "${detail}" belongs to more than one domain`,
  },
  {
    kind: 'host',
    codes: ['RDE_HOST_HAS_NON_UNIQUE_ROID'],
    probe: `SELECT 1 FROM rde.host GROUP BY roid HAVING count(*) > 1 LIMIT 1`,
    sql: `SELECT h.roid AS key, min(h.name) AS object, h.roid AS detail FROM rde.host h GROUP BY h.roid HAVING count(*) > 1`,
    message: (detail) => `roid "${detail}" belongs to more than one host`,
    when: hostObjects,
  },
  {
    kind: 'contact',
    codes: ['RDE_CONTACT_HAS_NON_UNIQUE_ID'],
    probe: `SELECT 1 FROM rde.contact GROUP BY id HAVING count(*) > 1 LIMIT 1`,
    sql: `SELECT c.id AS key, c.id AS object, c.id AS detail FROM rde.contact c GROUP BY c.id HAVING count(*) > 1`,
    message: () => 'the id belongs to more than one contact',
    when: withContacts,
  },
  {
    kind: 'registrar',
    codes: ['SR_REGISTRAR_HAS_NON_UNIQUE_ID'],
    probe: `SELECT 1 FROM rde.registrar GROUP BY id HAVING count(*) > 1 LIMIT 1`,
    sql: `SELECT r.id AS key, r.id AS object, r.id AS detail FROM rde.registrar r GROUP BY r.id HAVING count(*) > 1`,
    message: () => 'the id belongs to more than one registrar',
  },
  {
    kind: 'host',
    codes: ['RDE_HOST_HAS_NON_UNIQUE_NAME'],
    probe: `SELECT 1 FROM rde.host GROUP BY name HAVING count(*) > 1 LIMIT 1`,
    sql: `SELECT h.roid AS key, h.name AS object, h.name AS detail FROM rde.host h
          WHERE h.name IN (SELECT name FROM rde.host GROUP BY name HAVING count(*) > 1)`,
    message: () => 'shares its name with another host',
    when: hostObjects,
  },
  {
    kind: 'contact',
    codes: ['RDE_CONTACT_HAS_NON_UNIQUE_ROID'],
    probe: `SELECT 1 FROM rde.contact GROUP BY roid HAVING count(*) > 1 LIMIT 1`,
    sql: `SELECT c.id AS key, c.id AS object, c.roid AS detail FROM rde.contact c
          WHERE c.roid IN (SELECT roid FROM rde.contact GROUP BY roid HAVING count(*) > 1)`,
    message: (detail) => `shares its roid "${detail}" with another contact`,
    when: withContacts,
  },
  {
    kind: 'nndn',
    codes: ['RDE_NNDN_CONFLICTS_WITH_DOMAIN'],
    sql: `SELECT n.a_name AS key, n.a_name AS object, n.a_name AS detail FROM rde.nndn n
          WHERE n.tld = $1 AND EXISTS (SELECT 1 FROM rde.domain d WHERE d.name = n.a_name)`,
    message: () => 'aName equals the name of a domain',
  },
  {
    kind: 'nndn',
    codes: ['SR_NNDN_HAS_UNKNOWN_IDN_TABLE'],
    sql: `SELECT n.a_name AS key, n.a_name AS object, n.idn_table_id AS detail FROM rde.nndn n
          WHERE n.tld = $1 AND n.idn_table_id IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM rde.idn_table t WHERE t.tld = n.tld AND t.id = n.idn_table_id)`,
    message: (detail) => `idnTableId "${detail}" is not an IDN table of the TLD`,
  },
];

/** The codes the cross-object checks can report (docs/commands/deposit.md lists them all). */
export function referenceCheckCodes(): string[] {
  return [...new Set(CHECK_QUERIES.flatMap((check) => check.codes))];
}

/** Result of the cross-object checks: findings by object, and whether the cap cut them short. */
export interface ReferenceFindings {
  /** `kind\u0000key` → findings about that object. */
  byObject: Map<string, KeyedFinding[]>;
  /** Number of findings (up to the cap per check). */
  total: number;
  /** True when some check had more problems than `cap`: the map is then incomplete. */
  truncated: boolean;
}

export function objectKey(kind: CheckedKind, key: string): string {
  return `${kind}\u0000${key}`;
}

/**
 * Run every cross-object check that applies to the TLD's models, each capped at `cap` rows so a
 * systematically broken mapping cannot exhaust memory. Results are in key order per check.
 * Given several connections reading the same snapshot (the FULL writer's lanes), each takes the
 * next check until none is left, so the checks use the server's cores at once (nothing else
 * runs meanwhile); the findings are taken in check order whoever ran them.
 */
export async function referenceChecks(txs: Queryable | readonly Queryable[], tld: TldInfo, cap: number): Promise<ReferenceFindings> {
  const byObject = new Map<string, KeyedFinding[]>();
  let total = 0;
  let truncated = false;
  const params = (sql: string) => (/\$1\b/.test(sql) ? [tld.name] : []);
  type CheckRow = { key: string; object: string; detail: string; code: string };
  const run = async (tx: Queryable, check: CheckQuery): Promise<CheckRow[]> => {
    if (check.probe && (await tx.query(check.probe, params(check.probe))).length === 0) return [];
    const code = check.codes.length > 1 ? 'code' : `'${check.codes[0]}'::text`;
    return tx.query<CheckRow>(`SELECT key, object, detail, ${code} AS code FROM (${check.sql}) x ORDER BY key COLLATE "C", detail COLLATE "C" LIMIT ${cap + 1}`, params(check.sql));
  };
  const checks = CHECK_QUERIES.filter((check) => !check.when || check.when(tld));
  const outcomes: Array<{ rows: CheckRow[] } | { error: unknown }> = [];
  let next = 0;
  await Promise.all(
    (Array.isArray(txs) ? (txs as readonly Queryable[]) : [txs as Queryable]).map(async (tx) => {
      while (next < checks.length) {
        const index = next++;
        try {
          outcomes[index] = { rows: await run(tx, checks[index]!) };
        } catch (error) {
          outcomes[index] = { error };
          next = checks.length;
        }
      }
    }),
  );
  for (const [index, check] of checks.entries()) {
    const outcome = outcomes[index]!;
    if ('error' in outcome) throw outcome.error;
    const rows = outcome.rows;
    if (rows.length > cap) {
      truncated = true;
      rows.length = cap;
    }
    for (const row of rows) {
      const finding: KeyedFinding = {
        kind: check.kind,
        key: row.key,
        code: row.code,
        severity: 'error',
        object: row.object,
        location: `${check.kind} ${row.object}`,
        message: check.message(row.detail, row.code),
      };
      const id = objectKey(check.kind, row.key);
      const list = byObject.get(id);
      if (list) list.push(finding);
      else byObject.set(id, [finding]);
      total++;
    }
  }
  return { byObject, total, truncated };
}
