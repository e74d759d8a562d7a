/**
 * The lean converter: an `<rde:contents>` domain, host or contact typed straight from its
 * scanner events (./xml-stream.ts ObjectLog), without an element tree and the checked views of
 * ./objects.ts. It takes only the common shape — children in schema order (the order every
 * writer uses), every value well-formed — and gives exactly the object readObject() gives for
 * it. Anything else (another kind, another order, an unknown, repeated or missing element,
 * text between elements, a value readObject() would refuse) it declines (null), and the object
 * goes through the element tree and readObject() as before, which also explains what is wrong.
 * Equivalence is the test's (lean.test.ts: every object of generated registries, the RFC
 * samples and systematically mutated objects, lean vs readObject()).
 *
 * Values follow ./objects.ts to the letter: token-like values trimmed of XML whitespace,
 * string values kept as read, dates canonical (src/model/datetime.ts), integers checked to
 * the same ranges, attributes without a namespace trimmed, enumerations checked.
 */
import { tryCanonicalDateTime } from '../model/datetime.js';
import { xname, type XName } from '../common/xml-scan.js';
import { NS_CONTACT, NS_DOMAIN, NS_EPP_CONTACT, NS_EPP_DOMAIN, NS_HOST, NS_SECDNS } from '../model/namespaces.js';
import type {
  Address,
  Contact,
  ContactPostalInfo,
  ContactTransferData,
  Disclose,
  Domain,
  DomainContact,
  DomainTransferData,
  DsData,
  Host,
  HostAddr,
  HostAttr,
  KeyData,
  Phone,
  PostalType,
  RdeObject,
  RegistrarRef,
  SecDns,
  Status,
} from '../model/objects.js';
import { DOMAIN_CONTACT_TYPES, IP_VERSIONS, POSTAL_TYPES, TR_STATUS } from './objects.js';
import { trimWs, type ObjectLog } from './xml-stream.js';

/** Thrown inside the converter when it declines; caught by leanObject(). */
const DECLINE = new Error('lean converter declined');

/** The log being converted and the entry under the cursor. */
let log: ObjectLog;
let at = 0;

const decline = (): never => {
  throw DECLINE;
};

/** Whitespace-only text between elements is skipped; other text (or CDATA) declines. */
function skipWs(): void {
  while (log.isChars(at)) {
    if (!log.ws[at]) decline();
    at++;
  }
}

/** The child element at the cursor (after whitespace) is `name`. */
function next(name: XName): boolean {
  skipWs();
  return log.isOpen(at) && log.xname[at] === name;
}

/** The text of the leaf element opening at the cursor (declines if it holds elements); the cursor moves past it. */
function leaf(): string {
  let j = at + 1;
  let text = '';
  while (log.isChars(j)) text += log.text[j++];
  if (!log.isClose(j)) decline();
  at = j + 1;
  return text;
}

/** `el.tok()` */
const tok = (): string => trimWs(leaf());

/** `el.tokNonEmpty()` */
function tokNonEmpty(): string {
  const value = trimWs(leaf());
  if (value === '') decline();
  return value;
}

/** `el.date()` / optDate */
function date(): string {
  const canonical = tryCanonicalDateTime(trimWs(leaf()));
  if (canonical === null) decline();
  return canonical!;
}

/** `el.int(min, max)` */
function int(min: number, max: number): number {
  const raw = tok();
  if (!/^[+-]?\d+$/.test(raw)) decline();
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) decline();
  return value;
}

/** `el.attr(name)`: the attribute of the element opening at the cursor, trimmed. */
function attr(name: string): string | undefined {
  const value = log.attr(at, name);
  return value === undefined ? undefined : trimWs(value);
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[]): T {
  if (value === undefined || !(allowed as readonly string[]).includes(value)) decline();
  return value as T;
}

/** Enter the container element opening at the cursor. */
function enter(): void {
  at++;
}

/** The container's end: only whitespace left before its end tag. */
function leave(): void {
  skipWs();
  if (!log.isClose(at)) decline();
  at++;
}

/** `statuses(parent, ns, 'status')`: consecutive status elements. */
function statuses(name: XName): Status[] {
  const out: Status[] = [];
  while (next(name)) {
    const s = attr('s');
    if (s === undefined) decline();
    const status: Status = { s: s! };
    const lang = attr('lang');
    if (lang !== undefined) status.lang = lang;
    const selfClosing = log.selfClosing[at]!;
    const text = leaf();
    if (!selfClosing) status.text = text;
    out.push(status);
  }
  return out;
}

/** `rr(el)` of the element at the cursor. */
function rr(): RegistrarRef {
  const client = attr('client');
  const ref: RegistrarRef = { id: tokNonEmpty() };
  if (client !== undefined) ref.client = client;
  return ref;
}

/** `phone(el)` of the element at the cursor. */
function phone(): Phone {
  const x = attr('x');
  const p: Phone = { number: tok() };
  if (x !== undefined) p.ext = x;
  return p;
}

/** `hostAddr(el)` of the element at the cursor. */
function hostAddr(): HostAddr {
  const ip = oneOf(attr('ip') ?? 'v4', IP_VERSIONS);
  return { ip, addr: tokNonEmpty() };
}

// ---------------------------------------------------------------------------------------------

const D = (local: string) => xname(NS_DOMAIN, local);
const DOMAIN = {
  domain: D('domain'), name: D('name'), roid: D('roid'), uName: D('uName'), idnTableId: D('idnTableId'), originalName: D('originalName'),
  status: D('status'), rgpStatus: D('rgpStatus'), registrant: D('registrant'), contact: D('contact'), ns: D('ns'), clID: D('clID'),
  crRr: D('crRr'), crDate: D('crDate'), exDate: D('exDate'), upRr: D('upRr'), upDate: D('upDate'), secDNS: D('secDNS'), trDate: D('trDate'),
  trnData: D('trnData'), trStatus: D('trStatus'), reRr: D('reRr'), reDate: D('reDate'), acRr: D('acRr'), acDate: D('acDate'),
};
const HOST_OBJ = xname(NS_EPP_DOMAIN, 'hostObj');
const HOST_ATTR = xname(NS_EPP_DOMAIN, 'hostAttr');
const HOST_NAME = xname(NS_EPP_DOMAIN, 'hostName');
const HOST_ADDR = xname(NS_EPP_DOMAIN, 'hostAddr');
const S = (local: string) => xname(NS_SECDNS, local);
const SEC = {
  maxSigLife: S('maxSigLife'), dsData: S('dsData'), keyData: S('keyData'), keyTag: S('keyTag'), alg: S('alg'), digestType: S('digestType'),
  digest: S('digest'), flags: S('flags'), protocol: S('protocol'), pubKey: S('pubKey'),
};
const H = (local: string) => xname(NS_HOST, local);
const HOST = {
  host: H('host'), name: H('name'), roid: H('roid'), status: H('status'), addr: H('addr'), clID: H('clID'), crRr: H('crRr'), crDate: H('crDate'),
  upRr: H('upRr'), upDate: H('upDate'), trDate: H('trDate'),
};
const C = (local: string) => xname(NS_CONTACT, local);
const CONTACT = {
  contact: C('contact'), id: C('id'), roid: C('roid'), status: C('status'), postalInfo: C('postalInfo'), voice: C('voice'), fax: C('fax'),
  email: C('email'), clID: C('clID'), crRr: C('crRr'), crDate: C('crDate'), upRr: C('upRr'), upDate: C('upDate'), trDate: C('trDate'),
  trnData: C('trnData'), trStatus: C('trStatus'), reRr: C('reRr'), reDate: C('reDate'), acRr: C('acRr'), acDate: C('acDate'), disclose: C('disclose'),
};
const E = (local: string) => xname(NS_EPP_CONTACT, local);
const EPP_CONTACT = { name: E('name'), org: E('org'), addr: E('addr'), street: E('street'), city: E('city'), sp: E('sp'), pc: E('pc'), cc: E('cc'), voice: E('voice'), fax: E('fax'), email: E('email') };

/** `keyData(el)` of the element at the cursor. */
function keyData(): KeyData {
  enter();
  if (!next(SEC.flags)) decline();
  const flags = int(0, 65535);
  if (!next(SEC.protocol)) decline();
  const protocol = int(0, 255);
  if (!next(SEC.alg)) decline();
  const alg = int(0, 255);
  if (!next(SEC.pubKey)) decline();
  const k: KeyData = { flags, protocol, alg, pubKey: tok() };
  leave();
  return k;
}

/** `secDns(el)` of the element at the cursor. */
function secDns(): SecDns {
  enter();
  const sec = {} as SecDns;
  if (next(SEC.maxSigLife)) sec.maxSigLife = int(1, 2147483647);
  if (next(SEC.keyData)) {
    const keys: KeyData[] = [];
    while (next(SEC.keyData)) keys.push(keyData());
    (sec as { keyData: KeyData[] }).keyData = keys;
  } else {
    const list: DsData[] = [];
    while (next(SEC.dsData)) {
      enter();
      if (!next(SEC.keyTag)) decline();
      const keyTag = int(0, 65535);
      if (!next(SEC.alg)) decline();
      const alg = int(0, 255);
      if (!next(SEC.digestType)) decline();
      const digestType = int(0, 255);
      if (!next(SEC.digest)) decline();
      const data: DsData = { keyTag, alg, digestType, digest: tok() };
      if (next(SEC.keyData)) data.keyData = keyData();
      leave();
      list.push(data);
    }
    (sec as { dsData: DsData[] }).dsData = list;
  }
  leave();
  return sec;
}

/** `transfer(el, ns)` (+ the trStatus check) of the element at the cursor; the cursor stays inside, before the end tag. */
function transfer(names: { trStatus: XName; reRr: XName; reDate: XName; acRr: XName; acDate: XName }): ContactTransferData {
  enter();
  if (!next(names.trStatus)) decline();
  const trStatus = oneOf(tokNonEmpty(), TR_STATUS);
  if (!next(names.reRr)) decline();
  const reRr = rr();
  if (!next(names.reDate)) decline();
  const reDate = date();
  if (!next(names.acRr)) decline();
  const acRr = rr();
  if (!next(names.acDate)) decline();
  return { trStatus, reRr, reDate, acRr, acDate: date() };
}

function domain(): Domain {
  enter();
  if (!next(DOMAIN.name)) decline();
  const name = tokNonEmpty();
  if (!next(DOMAIN.roid)) decline();
  const d = { name, roid: tokNonEmpty() } as Domain;
  if (next(DOMAIN.uName)) d.uName = tok();
  if (next(DOMAIN.idnTableId)) d.idnTableId = tok();
  if (next(DOMAIN.originalName)) d.originalName = tok();
  d.status = statuses(DOMAIN.status);
  if (d.status.length === 0) decline();
  d.rgpStatus = statuses(DOMAIN.rgpStatus);
  if (next(DOMAIN.registrant)) d.registrant = tokNonEmpty();
  const contacts: DomainContact[] = [];
  while (next(DOMAIN.contact)) {
    const type = oneOf(attr('type'), DOMAIN_CONTACT_TYPES);
    contacts.push({ type, id: tokNonEmpty() });
  }
  d.contact = contacts;
  if (next(DOMAIN.ns)) {
    enter();
    if (next(HOST_ATTR)) {
      const hostAttr: HostAttr[] = [];
      while (next(HOST_ATTR)) {
        enter();
        if (!next(HOST_NAME)) decline();
        const hostName = tokNonEmpty();
        const hostAddrs: HostAddr[] = [];
        while (next(HOST_ADDR)) hostAddrs.push(hostAddr());
        leave();
        hostAttr.push({ hostName, hostAddr: hostAddrs });
      }
      d.ns = { hostAttr };
    } else {
      const hostObj: string[] = [];
      while (next(HOST_OBJ)) hostObj.push(tokNonEmpty());
      d.ns = { hostObj };
    }
    leave();
  }
  if (!next(DOMAIN.clID)) decline();
  d.clID = tokNonEmpty();
  if (next(DOMAIN.crRr)) d.crRr = rr();
  if (next(DOMAIN.crDate)) d.crDate = date();
  if (next(DOMAIN.exDate)) d.exDate = date();
  if (next(DOMAIN.upRr)) d.upRr = rr();
  if (next(DOMAIN.upDate)) d.upDate = date();
  if (next(DOMAIN.secDNS)) d.secDNS = secDns();
  if (next(DOMAIN.trDate)) d.trDate = date();
  if (next(DOMAIN.trnData)) {
    const t: DomainTransferData = transfer(DOMAIN);
    if (next(DOMAIN.exDate)) t.exDate = date();
    leave();
    d.trnData = t;
  }
  leave();
  return d;
}

function host(): Host {
  enter();
  if (!next(HOST.name)) decline();
  const name = tokNonEmpty();
  if (!next(HOST.roid)) decline();
  const roid = tokNonEmpty();
  const status = statuses(HOST.status);
  if (status.length === 0) decline();
  const addr: HostAddr[] = [];
  while (next(HOST.addr)) addr.push(hostAddr());
  const h: Host = { name, roid, status, addr, clID: '' };
  if (!next(HOST.clID)) decline();
  h.clID = tokNonEmpty();
  if (next(HOST.crRr)) h.crRr = rr();
  if (next(HOST.crDate)) h.crDate = date();
  if (next(HOST.upRr)) h.upRr = rr();
  if (next(HOST.upDate)) h.upDate = date();
  if (next(HOST.trDate)) h.trDate = date();
  leave();
  return h;
}

function contactPostal(): ContactPostalInfo {
  const type = oneOf(attr('type'), POSTAL_TYPES);
  enter();
  if (!next(EPP_CONTACT.name)) decline();
  const name = leaf();
  const org = next(EPP_CONTACT.org) ? leaf() : undefined;
  if (!next(EPP_CONTACT.addr)) decline();
  enter();
  const street: string[] = [];
  while (next(EPP_CONTACT.street)) street.push(leaf());
  if (!next(EPP_CONTACT.city)) decline();
  const addr: Address = { street, city: leaf(), cc: '' };
  if (next(EPP_CONTACT.sp)) addr.sp = leaf();
  if (next(EPP_CONTACT.pc)) addr.pc = tok();
  if (!next(EPP_CONTACT.cc)) decline();
  addr.cc = tok();
  leave();
  leave();
  return org === undefined ? { type, name, addr } : { type, name, org, addr };
}

/** An element that must be empty (`el.empty()`), by the stricter measure: nothing but XML whitespace in it. */
function empty(): void {
  enter();
  leave();
}

function disclose(): Disclose {
  const raw = attr('flag');
  const flag = raw === 'true' || raw === '1' ? true : raw === 'false' || raw === '0' ? false : decline();
  enter();
  const types = (name: XName): PostalType[] => {
    const out: PostalType[] = [];
    while (next(name)) {
      const type = oneOf(attr('type'), POSTAL_TYPES);
      empty();
      out.push(type);
    }
    return out;
  };
  const present = (name: XName): boolean => {
    if (!next(name)) return false;
    empty();
    return true;
  };
  const d: Disclose = { flag, name: types(EPP_CONTACT.name), org: types(EPP_CONTACT.org), addr: types(EPP_CONTACT.addr), voice: present(EPP_CONTACT.voice), fax: present(EPP_CONTACT.fax), email: present(EPP_CONTACT.email) };
  leave();
  return d;
}

function contact(): Contact {
  enter();
  if (!next(CONTACT.id)) decline();
  const id = tokNonEmpty();
  if (!next(CONTACT.roid)) decline();
  const roid = tokNonEmpty();
  const status = statuses(CONTACT.status);
  if (status.length === 0) decline();
  const postalInfo: ContactPostalInfo[] = [];
  while (next(CONTACT.postalInfo)) postalInfo.push(contactPostal());
  const c: Contact = { id, roid, status, postalInfo, email: '', clID: '' };
  if (next(CONTACT.voice)) c.voice = phone();
  if (next(CONTACT.fax)) c.fax = phone();
  if (!next(CONTACT.email)) decline();
  c.email = tok();
  if (!next(CONTACT.clID)) decline();
  c.clID = tokNonEmpty();
  if (next(CONTACT.crRr)) c.crRr = rr();
  if (next(CONTACT.crDate)) c.crDate = date();
  if (next(CONTACT.upRr)) c.upRr = rr();
  if (next(CONTACT.upDate)) c.upDate = date();
  if (next(CONTACT.trDate)) c.trDate = date();
  if (next(CONTACT.trnData)) {
    c.trnData = transfer(CONTACT);
    leave();
  }
  if (next(CONTACT.disclose)) c.disclose = disclose();
  leave();
  return c;
}

/**
 * The typed object of the logged `<rde:contents>` child, or null when the lean converter
 * declines it (see the module comment): the caller then builds the element tree.
 */
export function leanObject(events: ObjectLog): RdeObject | null {
  log = events;
  at = 0;
  const name = events.xname[0];
  try {
    let object: RdeObject;
    if (name === DOMAIN.domain) object = { kind: 'domain', value: domain() };
    else if (name === CONTACT.contact) object = { kind: 'contact', value: contact() };
    else if (name === HOST.host) object = { kind: 'host', value: host() };
    else return null;
    // Nothing may follow the object's end tag in the log.
    return at === events.n ? object : null;
  } catch (err) {
    if (err === DECLINE) return null;
    throw err;
  }
}
