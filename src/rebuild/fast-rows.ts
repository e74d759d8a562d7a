/**
 * The rebuild's fast path for the three kinds that make up nearly every deposit (domains,
 * contacts, hosts): an object's element tree (src/reader/xml-stream.ts) → its reference-schema
 * COPY lines directly, without the typed object (src/reader/objects.ts) and the row writer
 * (src/generate/rows.ts) in between — on a 1M-domain deposit those two steps were most of the
 * rebuild's Node CPU after the XML scanner.
 *
 * It accepts only the plain shape: children in schema order (RFC 9022 and the EPP schemas it
 * imports), each element where the schema puts it, leaves without child elements, every value
 * valid (statuses, enumerations, integers in range, RFC 3339 date-times). Anything else — an
 * unknown, repeated or reordered element, a bad value, text between elements — makes it give
 * up on the object before writing a line (`fastObjectRows` returns false), and the caller takes
 * the typed reader's path, which accepts what it accepts and reports every error with the
 * object, the field and the line/column as before. So the typed reader stays the single
 * definition of what a deposit may hold; this path only has to give the same rows for the
 * objects it takes, which src/rebuild/fast-rows.test.ts checks against it.
 */
import { tryCanonicalDateTime } from '../model/datetime.js';
import { NS_CONTACT, NS_DOMAIN, NS_EPP_CONTACT, NS_EPP_DOMAIN, NS_HOST, NS_SECDNS } from '../model/namespaces.js';
import { CONTACT_STATUS, DOMAIN_STATUS, HOST_STATUS, RGP_STATUS } from '../deposit/preflight.js';
import { arrayLiteral } from '../generate/rows.js';
import { DOMAIN_CONTACT_TYPES, IP_VERSIONS, POSTAL_TYPES, TR_STATUS } from '../reader/objects.js';
import { isBlank, trimWs, type XmlNode } from '../reader/xml-stream.js';
import { copyField } from '../sources/copy-text.js';
import { DOMAIN_TLD_LATER, NS_STAGE, type Target } from './load.js';

/** What the fast path records about the deposit (the fields of rebuild.ts `ObjectState` it touches). */
export interface FastState {
  counts: Partial<Record<'domain' | 'contact' | 'host', number>>;
  hostObjects: boolean;
  hostAttributes: boolean;
}

/** What the rebuild decides for the rows (./rebuild.ts), the same for both paths. */
export interface FastHooks {
  /** A domain's roid (the repository id is the commonest suffix). */
  tallyRoid(roid: string): void;
}

/** Where lines go (ChunkedCopy). */
export interface LineSink {
  row(table: Target, line: string): void;
}

/** Thrown inside a converter to give up on the object (never escapes this module). */
const GIVE_UP = new Error('not on the fast path');

function giveUp(): never {
  throw GIVE_UP;
}

/** Whether `value` is one of `list` (the typed reader's value lists, src/reader/objects.ts). */
const among = (list: readonly string[], value: string | undefined): value is string => value !== undefined && list.includes(value);

/** One COPY field (`undefined` → `\N`). */
const f = copyField;


/** An attribute, trimmed (the typed reader's `El.attr`). */
function attr(node: XmlNode, name: string): string | undefined {
  const value = node.attrs[name];
  return value === undefined ? undefined : trimWs(value);
}

/**
 * A walk over an element's children in document order. `at(ns, local)` says whether the next
 * child is that element; the readers take it and move on. Leaves must have no child elements.
 */
class Walk {
  private kids: XmlNode[];
  private i = 0;

  constructor(node: XmlNode) {
    this.kids = node.children;
    // Text between child elements is refused by the typed reader (El.done).
    if (this.kids.length > 0 && !isBlank(node.text)) giveUp();
  }

  at(ns: string, local: string): boolean {
    const k = this.kids[this.i];
    return k !== undefined && k.local === local && k.ns === ns;
  }

  /** The next child, which must be (ns, local). */
  take(ns: string, local: string): XmlNode {
    const k = this.kids[this.i];
    if (k === undefined || k.local !== local || k.ns !== ns) giveUp();
    this.i++;
    return k;
  }

  /** The next child as a leaf (no child elements). */
  leaf(ns: string, local: string): XmlNode {
    const k = this.take(ns, local);
    if (k.children.length > 0) giveUp();
    return k;
  }

  /** Required token, non-empty. */
  tok1(ns: string, local: string): string {
    const v = trimWs(this.leaf(ns, local).text);
    if (v === '') giveUp();
    return v;
  }

  /** Required token (may be empty). */
  tok(ns: string, local: string): string {
    return trimWs(this.leaf(ns, local).text);
  }

  optTok(ns: string, local: string): string | undefined {
    return this.at(ns, local) ? this.tok(ns, local) : undefined;
  }

  /** Required string kept exactly. */
  str(ns: string, local: string): string {
    return this.leaf(ns, local).text;
  }

  optStr(ns: string, local: string): string | undefined {
    return this.at(ns, local) ? this.leaf(ns, local).text : undefined;
  }

  date(ns: string, local: string): string {
    const v = tryCanonicalDateTime(trimWs(this.leaf(ns, local).text));
    if (v === null) giveUp();
    return v;
  }

  optDate(ns: string, local: string): string | undefined {
    return this.at(ns, local) ? this.date(ns, local) : undefined;
  }

  /** An integer in min..max, as the typed reader gives it (Number of the token). */
  int(ns: string, local: string, min: number, max: number): string {
    const raw = this.tok(ns, local);
    if (!/^[+-]?\d+$/.test(raw)) giveUp();
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) giveUp();
    return String(value);
  }

  /** A registrar reference: id, client (COPY fields, tab-joined). */
  rr(ns: string, local: string): string {
    const node = this.leaf(ns, local);
    const id = trimWs(node.text);
    if (id === '') giveUp();
    return `${f(id)}\t${f(attr(node, 'client'))}`;
  }

  optRr(ns: string, local: string): string {
    return this.at(ns, local) ? this.rr(ns, local) : '\\N\t\\N';
  }

  /** Every child taken. */
  end(): void {
    if (this.i !== this.kids.length) giveUp();
  }
}

/** A flag element (`<contact:voice/>`): present, empty. */
function emptyFlag(w: Walk, ns: string, local: string): boolean {
  if (!w.at(ns, local)) return false;
  if (!isBlank(w.leaf(ns, local).text)) giveUp();
  return true;
}

/** Lines of the object being converted, written only once the whole object has been read. */
class Lines {
  private tables: Target[] = [];
  private lines: string[] = [];
  private n = 0;

  add(table: Target, line: string): void {
    this.tables[this.n] = table;
    this.lines[this.n++] = line;
  }

  commit(sink: LineSink): void {
    for (let i = 0; i < this.n; i++) sink.row(this.tables[i]!, this.lines[i]!);
    this.reset();
  }

  reset(): void {
    this.n = 0;
  }
}

/** Status rows (`s`, lang, free text), checked against the kind's allowed values. */
function statuses(w: Walk, ns: string, local: string, allowed: ReadonlySet<string>, table: Target, key: string, out: Lines, required: boolean): void {
  let ord = 0;
  while (w.at(ns, local)) {
    const node = w.leaf(ns, local);
    const s = attr(node, 's');
    if (s === undefined || !allowed.has(s)) giveUp();
    out.add(table, `${key}\t${ord++}\t${f(s)}\t${f(attr(node, 'lang'))}\t${node.selfClosing ? '\\N' : f(node.text)}\n`);
  }
  if (required && ord === 0) giveUp();
}

/** trnData's common part: trStatus, reRr, reDate, acRr, acDate (COPY fields, tab-joined). */
function transfer(w: Walk, ns: string): string {
  const trStatus = w.tok1(ns, 'trStatus');
  if (!among(TR_STATUS, trStatus)) giveUp();
  return `${f(trStatus)}\t${w.rr(ns, 'reRr')}\t${w.date(ns, 'reDate')}\t${w.rr(ns, 'acRr')}\t${w.date(ns, 'acDate')}`;
}

function keyDataFields(k: XmlNode): string {
  const w = new Walk(k);
  const flags = w.int(NS_SECDNS, 'flags', 0, 65535);
  const protocol = w.int(NS_SECDNS, 'protocol', 0, 255);
  const alg = w.int(NS_SECDNS, 'alg', 0, 255);
  const pubKey = w.tok(NS_SECDNS, 'pubKey');
  w.end();
  return `${flags}\t${protocol}\t${alg}\t${f(pubKey)}`;
}

function domain(node: XmlNode, state: FastState, out: Lines, hooks: FastHooks): string {
  const ns = NS_DOMAIN;
  const w = new Walk(node);
  const name = w.tok1(ns, 'name');
  const roid = w.tok1(ns, 'roid');
  const key = f(roid);
  const uName = w.optTok(ns, 'uName');
  const idnTableId = w.optTok(ns, 'idnTableId');
  const originalName = w.optTok(ns, 'originalName');
  statuses(w, ns, 'status', DOMAIN_STATUS, 'domain_status', key, out, true);
  statuses(w, ns, 'rgpStatus', RGP_STATUS, 'domain_rgp_status', key, out, false);
  let registrant: string | undefined;
  if (w.at(ns, 'registrant')) registrant = w.tok1(ns, 'registrant');
  for (let ord = 0; w.at(ns, 'contact'); ord++) {
    const c = w.leaf(ns, 'contact');
    const type = attr(c, 'type');
    const id = trimWs(c.text);
    if (!among(DOMAIN_CONTACT_TYPES, type) || id === '') giveUp();
    out.add('domain_contact', `${key}\t${ord}\t${type}\t${f(id)}\n`);
  }
  let hostObjects = false;
  if (w.at(ns, 'ns')) {
    // Host objects only; hostAttr name servers take the typed path.
    const n = new Walk(w.take(ns, 'ns'));
    for (let ord = 0; n.at(NS_EPP_DOMAIN, 'hostObj'); ord++) out.add(NS_STAGE, `${key}\t${ord}\t${f(n.tok1(NS_EPP_DOMAIN, 'hostObj'))}\n`);
    n.end();
    hostObjects = true;
  }
  const clID = w.tok1(ns, 'clID');
  const crRr = w.optRr(ns, 'crRr');
  const crDate = w.optDate(ns, 'crDate');
  const exDate = w.optDate(ns, 'exDate');
  const upRr = w.optRr(ns, 'upRr');
  const upDate = w.optDate(ns, 'upDate');
  let maxSigLife = '\\N';
  if (w.at(ns, 'secDNS')) {
    const s = new Walk(w.take(ns, 'secDNS'));
    if (s.at(NS_SECDNS, 'maxSigLife')) maxSigLife = s.int(NS_SECDNS, 'maxSigLife', 1, 2147483647);
    if (s.at(NS_SECDNS, 'keyData')) {
      for (let ord = 0; s.at(NS_SECDNS, 'keyData'); ord++) out.add('domain_key', `${key}\t${ord}\t${keyDataFields(s.take(NS_SECDNS, 'keyData'))}\n`);
    } else {
      for (let ord = 0; s.at(NS_SECDNS, 'dsData'); ord++) {
        const x = new Walk(s.take(NS_SECDNS, 'dsData'));
        const keyTag = x.int(NS_SECDNS, 'keyTag', 0, 65535);
        const alg = x.int(NS_SECDNS, 'alg', 0, 255);
        const digestType = x.int(NS_SECDNS, 'digestType', 0, 255);
        const digest = x.tok(NS_SECDNS, 'digest');
        const keyData = x.at(NS_SECDNS, 'keyData') ? keyDataFields(x.take(NS_SECDNS, 'keyData')) : '\\N\t\\N\t\\N\t\\N';
        x.end();
        out.add('domain_ds', `${key}\t${ord}\t${keyTag}\t${alg}\t${digestType}\t${f(digest)}\t${keyData}\n`);
      }
    }
    s.end();
  }
  const trDate = w.optDate(ns, 'trDate');
  let trn = '\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N';
  if (w.at(ns, 'trnData')) {
    const t = new Walk(w.take(ns, 'trnData'));
    trn = `${transfer(t, ns)}\t${f(t.optDate(ns, 'exDate'))}`;
    t.end();
  }
  w.end();
  out.add(
    'domain',
    `${key}\t${f(name)}\t${DOMAIN_TLD_LATER}\t${f(uName)}\t${f(idnTableId)}\t${f(originalName)}\t${f(registrant)}\t${f(clID)}\t${crRr}\t${f(crDate)}\t${f(exDate)}\t` +
      `${upRr}\t${f(upDate)}\t${maxSigLife}\t${f(trDate)}\t${trn}\n`,
  );
  if (hostObjects) state.hostObjects = true;
  return roid;
}

/** clID, crRr, crDate, upRr, upDate, trDate of a host or contact (COPY fields, tab-joined). */
function sponsorship(w: Walk, ns: string): string {
  const clID = w.tok1(ns, 'clID');
  const crRr = w.optRr(ns, 'crRr');
  const crDate = w.optDate(ns, 'crDate');
  const upRr = w.optRr(ns, 'upRr');
  const upDate = w.optDate(ns, 'upDate');
  const trDate = w.optDate(ns, 'trDate');
  return `${f(clID)}\t${crRr}\t${f(crDate)}\t${upRr}\t${f(upDate)}\t${f(trDate)}`;
}

function host(node: XmlNode, out: Lines): void {
  const ns = NS_HOST;
  const w = new Walk(node);
  const name = w.tok1(ns, 'name');
  const roid = w.tok1(ns, 'roid');
  const key = f(roid);
  statuses(w, ns, 'status', HOST_STATUS, 'host_status', key, out, true);
  for (let ord = 0; w.at(ns, 'addr'); ord++) {
    const a = w.leaf(ns, 'addr');
    const ip = attr(a, 'ip') ?? 'v4'; // host:addrType: `ip` defaults to v4 (RFC 5732 §4)
    const addr = trimWs(a.text);
    if (!among(IP_VERSIONS, ip) || addr === '') giveUp();
    out.add('host_addr', `${key}\t${ord}\t${ip}\t${f(addr)}\n`);
  }
  const sponsor = sponsorship(w, ns);
  w.end();
  out.add('host', `${key}\t${f(name)}\t${sponsor}\n`);
}

/** A phone element: number, extension (COPY fields). */
function phone(w: Walk, ns: string, local: string): string {
  if (!w.at(ns, local)) return '\\N\t\\N';
  const node = w.leaf(ns, local);
  return `${f(trimWs(node.text))}\t${f(attr(node, 'x'))}`;
}

/** `int` / `loc`, from a `type` attribute. */
function postalType(node: XmlNode): string {
  const type = attr(node, 'type');
  if (!among(POSTAL_TYPES, type)) giveUp();
  return type;
}

function contact(node: XmlNode, out: Lines): void {
  const ns = NS_CONTACT;
  const c = NS_EPP_CONTACT;
  const w = new Walk(node);
  const id = w.tok1(ns, 'id');
  const roid = w.tok1(ns, 'roid');
  const key = f(id);
  statuses(w, ns, 'status', CONTACT_STATUS, 'contact_status', key, out, true);
  for (let ord = 0; w.at(ns, 'postalInfo'); ord++) {
    const p = w.take(ns, 'postalInfo');
    const type = postalType(p);
    const pw = new Walk(p);
    const name = pw.str(c, 'name');
    const org = pw.optStr(c, 'org');
    const a = new Walk(pw.take(c, 'addr'));
    pw.end();
    const street: string[] = [];
    while (a.at(c, 'street')) street.push(a.str(c, 'street'));
    const city = a.str(c, 'city');
    const sp = a.optStr(c, 'sp');
    const pc = a.optTok(c, 'pc');
    const cc = a.tok(c, 'cc');
    a.end();
    out.add('contact_postal', `${key}\t${ord}\t${type}\t${f(name)}\t${f(org)}\t${f(arrayLiteral(street))}\t${f(city)}\t${f(sp)}\t${f(pc)}\t${f(cc)}\n`);
  }
  const voice = phone(w, ns, 'voice');
  const fax = phone(w, ns, 'fax');
  const email = w.tok(ns, 'email');
  const sponsor = sponsorship(w, ns);
  let trn = '\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N';
  if (w.at(ns, 'trnData')) {
    const t = new Walk(w.take(ns, 'trnData'));
    trn = transfer(t, ns);
    t.end();
  }
  let disclose = '\\N\t{}\t{}\t{}\tf\tf\tf';
  if (w.at(ns, 'disclose')) {
    const d = w.take(ns, 'disclose');
    const flag = attr(d, 'flag');
    const value = flag === 'true' || flag === '1' ? 't' : flag === 'false' || flag === '0' ? 'f' : giveUp();
    const dw = new Walk(d);
    const types = (local: string): string => {
      const list: string[] = [];
      while (dw.at(c, local)) {
        const x = dw.leaf(c, local);
        if (!isBlank(x.text)) giveUp();
        list.push(postalType(x));
      }
      return f(arrayLiteral(list));
    };
    const names = types('name');
    const orgs = types('org');
    const addrs = types('addr');
    const voiceFlag = emptyFlag(dw, c, 'voice') ? 't' : 'f';
    const faxFlag = emptyFlag(dw, c, 'fax') ? 't' : 'f';
    const emailFlag = emptyFlag(dw, c, 'email') ? 't' : 'f';
    dw.end();
    disclose = `${value}\t${names}\t${orgs}\t${addrs}\t${voiceFlag}\t${faxFlag}\t${emailFlag}`;
  }
  w.end();
  out.add('contact', `${key}\t${f(roid)}\t${voice}\t${fax}\t${f(email)}\t${sponsor}\t${trn}\t${disclose}\n`);
}

const pending = new Lines();

/**
 * Write the rows of `node` (a `<rde:contents>` child) to `sink` if it is a domain, contact or
 * host of the plain shape, recording it in `state` and through `hooks`; returns false (nothing
 * written, nothing recorded) for anything else.
 */
export function fastObjectRows(node: XmlNode, state: FastState, sink: LineSink, hooks: FastHooks): boolean {
  let kind: 'domain' | 'contact' | 'host';
  try {
    if (node.ns === NS_DOMAIN && node.local === 'domain') {
      hooks.tallyRoid(domain(node, state, pending, hooks));
      kind = 'domain';
    } else if (node.ns === NS_CONTACT && node.local === 'contact') {
      contact(node, pending);
      kind = 'contact';
    } else if (node.ns === NS_HOST && node.local === 'host') {
      host(node, pending);
      kind = 'host';
    } else return false;
  } catch (err) {
    pending.reset();
    if (err === GIVE_UP) return false;
    throw err;
  }
  pending.commit(sink);
  state.counts[kind] = (state.counts[kind] ?? 0) + 1;
  return true;
}
