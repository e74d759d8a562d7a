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
 *
 * The rows are written as COPY text straight into the load's buffers (./load.ts RowWriter),
 * field by field as the walk reads them (each table has its own buffer, so a domain's status
 * lines and its domain line are written side by side): no line strings, no concatenations to
 * flatten, no escaped copies of values. Giving up undoes the object's writes (`discard`).
 */
import { tryCanonicalDateTime } from '../model/datetime.js';
import { NS_CONTACT, NS_DOMAIN, NS_EPP_CONTACT, NS_EPP_DOMAIN, NS_HOST, NS_SECDNS } from '../model/namespaces.js';
import { CONTACT_STATUS, DOMAIN_STATUS, HOST_STATUS, RGP_STATUS } from '../deposit/preflight.js';
import { arrayLiteral } from '../generate/rows.js';
import { DOMAIN_CONTACT_TYPES, IP_VERSIONS, POSTAL_TYPES, TR_STATUS } from '../reader/objects.js';
import { isBlank, trimWs, type XmlNode } from '../reader/xml-stream.js';
import { copyField } from '../sources/copy-text.js';
import { NS_STAGE, type LineBuffer, type RowWriter, type Target } from './load.js';

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

/** Thrown inside a converter to give up on the object (never escapes this module). */
const GIVE_UP = new Error('not on the fast path');

function giveUp(): never {
  throw GIVE_UP;
}

/** Whether `value` is one of `list` (the typed reader's value lists, src/reader/objects.ts). */
const among = (list: readonly string[], value: string | undefined): value is string => value !== undefined && list.includes(value);

/** Field separators (LineBuffer.field's `end`). */
const TAB = 9;
const NL = 10;

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

  /** An integer in min..max, as the typed reader gives it (Number of the token), as text. */
  int(ns: string, local: string, min: number, max: number): string {
    const raw = this.tok(ns, local);
    if (!/^[+-]?\d+$/.test(raw)) giveUp();
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) giveUp();
    return String(value);
  }

  /** A registrar reference → its two fields (id, client), each followed by `end`'s tab except the last. */
  rr(ns: string, local: string, out: LineBuffer, end: number): void {
    const node = this.leaf(ns, local);
    const id = trimWs(node.text);
    if (id === '') giveUp();
    out.field(id, TAB);
    out.field(attr(node, 'client'), end);
  }

  optRr(ns: string, local: string, out: LineBuffer, end: number): void {
    if (this.at(ns, local)) this.rr(ns, local, out, end);
    else out.text('\\N\t\\N', end);
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

/** Status rows (`s`, lang, free text), checked against the kind's allowed values. */
function statuses(w: Walk, ns: string, local: string, allowed: ReadonlySet<string>, table: Target, key: string, out: RowWriter, required: boolean): void {
  let ord = 0;
  while (w.at(ns, local)) {
    const node = w.leaf(ns, local);
    const s = attr(node, 's');
    if (s === undefined || !allowed.has(s)) giveUp();
    const b = out.to(table);
    b.field(key, TAB);
    b.int(ord++, TAB);
    b.field(s, TAB);
    b.field(attr(node, 'lang'), TAB);
    if (node.selfClosing) b.text('\\N', NL);
    else b.field(node.text, NL);
  }
  if (required && ord === 0) giveUp();
}

/** trnData's common part: trStatus, reRr, reDate, acRr, acDate, then `end`. */
function transfer(w: Walk, ns: string, b: LineBuffer, end: number): void {
  const trStatus = w.tok1(ns, 'trStatus');
  if (!among(TR_STATUS, trStatus)) giveUp();
  b.field(trStatus, TAB);
  w.rr(ns, 'reRr', b, TAB);
  b.field(w.date(ns, 'reDate'), TAB);
  w.rr(ns, 'acRr', b, TAB);
  b.field(w.date(ns, 'acDate'), end);
}

/** A keyData's flags, protocol, alg, pubKey, then `end`. */
function keyDataFields(k: XmlNode, b: LineBuffer, end: number): void {
  const w = new Walk(k);
  b.text(w.int(NS_SECDNS, 'flags', 0, 65535), TAB);
  b.text(w.int(NS_SECDNS, 'protocol', 0, 255), TAB);
  b.text(w.int(NS_SECDNS, 'alg', 0, 255), TAB);
  b.field(w.tok(NS_SECDNS, 'pubKey'), end);
  w.end();
}

/** Returns the roid. */
function domain(node: XmlNode, state: FastState, out: RowWriter): string {
  const ns = NS_DOMAIN;
  const w = new Walk(node);
  const name = w.tok1(ns, 'name');
  const roid = w.tok1(ns, 'roid');
  const key = roid;
  // The domain line, written as its fields are read (they come in column order).
  const d = out.to('domain');
  d.field(roid, TAB);
  const nameField = copyField(name);
  d.text(nameField, TAB);
  d.text(out.domainTld(nameField), TAB);
  d.field(w.optTok(ns, 'uName'), TAB);
  d.field(w.optTok(ns, 'idnTableId'), TAB);
  d.field(w.optTok(ns, 'originalName'), TAB);
  statuses(w, ns, 'status', DOMAIN_STATUS, 'domain_status', key, out, true);
  statuses(w, ns, 'rgpStatus', RGP_STATUS, 'domain_rgp_status', key, out, false);
  d.field(w.at(ns, 'registrant') ? w.tok1(ns, 'registrant') : undefined, TAB);
  for (let ord = 0; w.at(ns, 'contact'); ord++) {
    const c = w.leaf(ns, 'contact');
    const type = attr(c, 'type');
    const id = trimWs(c.text);
    if (!among(DOMAIN_CONTACT_TYPES, type) || id === '') giveUp();
    const b = out.to('domain_contact');
    b.field(key, TAB);
    b.int(ord, TAB);
    b.text(type, TAB);
    b.field(id, NL);
  }
  let hostObjects = false;
  if (w.at(ns, 'ns')) {
    // Host objects only; hostAttr name servers take the typed path.
    const n = new Walk(w.take(ns, 'ns'));
    for (let ord = 0; n.at(NS_EPP_DOMAIN, 'hostObj'); ord++) {
      const hostField = copyField(n.tok1(NS_EPP_DOMAIN, 'hostObj'));
      const hostRoid = out.hostRoid(hostField);
      const b = out.to(hostRoid === undefined ? NS_STAGE : 'domain_ns');
      b.field(key, TAB);
      b.int(ord, TAB);
      if (hostRoid === undefined) b.text(hostField, NL);
      else {
        b.text(hostRoid, NL);
        out.resolvedNameServer();
      }
    }
    n.end();
    hostObjects = true;
  }
  d.field(w.tok1(ns, 'clID'), TAB);
  w.optRr(ns, 'crRr', d, TAB);
  d.field(w.optDate(ns, 'crDate'), TAB);
  d.field(w.optDate(ns, 'exDate'), TAB);
  w.optRr(ns, 'upRr', d, TAB);
  d.field(w.optDate(ns, 'upDate'), TAB);
  let maxSigLife = '\\N';
  if (w.at(ns, 'secDNS')) {
    const s = new Walk(w.take(ns, 'secDNS'));
    if (s.at(NS_SECDNS, 'maxSigLife')) maxSigLife = s.int(NS_SECDNS, 'maxSigLife', 1, 2147483647);
    if (s.at(NS_SECDNS, 'keyData')) {
      for (let ord = 0; s.at(NS_SECDNS, 'keyData'); ord++) {
        const b = out.to('domain_key');
        b.field(key, TAB);
        b.int(ord, TAB);
        keyDataFields(s.take(NS_SECDNS, 'keyData'), b, NL);
      }
    } else {
      for (let ord = 0; s.at(NS_SECDNS, 'dsData'); ord++) {
        const x = new Walk(s.take(NS_SECDNS, 'dsData'));
        const b = out.to('domain_ds');
        b.field(key, TAB);
        b.int(ord, TAB);
        b.text(x.int(NS_SECDNS, 'keyTag', 0, 65535), TAB);
        b.text(x.int(NS_SECDNS, 'alg', 0, 255), TAB);
        b.text(x.int(NS_SECDNS, 'digestType', 0, 255), TAB);
        b.field(x.tok(NS_SECDNS, 'digest'), TAB);
        if (x.at(NS_SECDNS, 'keyData')) keyDataFields(x.take(NS_SECDNS, 'keyData'), b, NL);
        else b.text('\\N\t\\N\t\\N\t\\N', NL);
        x.end();
      }
    }
    s.end();
  }
  d.text(maxSigLife, TAB);
  d.field(w.optDate(ns, 'trDate'), TAB);
  if (w.at(ns, 'trnData')) {
    const t = new Walk(w.take(ns, 'trnData'));
    transfer(t, ns, d, TAB);
    d.field(t.optDate(ns, 'exDate'), NL);
    t.end();
  } else d.text('\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N', NL);
  w.end();
  if (hostObjects) state.hostObjects = true;
  return roid;
}

/** clID, crRr, crDate, upRr, upDate, trDate of a host or contact, then `end`. */
function sponsorship(w: Walk, ns: string, b: LineBuffer, end: number): void {
  b.field(w.tok1(ns, 'clID'), TAB);
  w.optRr(ns, 'crRr', b, TAB);
  b.field(w.optDate(ns, 'crDate'), TAB);
  w.optRr(ns, 'upRr', b, TAB);
  b.field(w.optDate(ns, 'upDate'), TAB);
  b.field(w.optDate(ns, 'trDate'), end);
}

function host(node: XmlNode, out: RowWriter): void {
  const ns = NS_HOST;
  const w = new Walk(node);
  const name = w.tok1(ns, 'name');
  const roid = w.tok1(ns, 'roid');
  const key = roid;
  const h = out.to('host');
  h.field(roid, TAB);
  h.field(name, TAB);
  statuses(w, ns, 'status', HOST_STATUS, 'host_status', key, out, true);
  for (let ord = 0; w.at(ns, 'addr'); ord++) {
    const a = w.leaf(ns, 'addr');
    const ip = attr(a, 'ip') ?? 'v4'; // host:addrType: `ip` defaults to v4 (RFC 5732 §4)
    const addr = trimWs(a.text);
    if (!among(IP_VERSIONS, ip) || addr === '') giveUp();
    const b = out.to('host_addr');
    b.field(key, TAB);
    b.int(ord, TAB);
    b.text(ip, TAB);
    b.field(addr, NL);
  }
  sponsorship(w, ns, h, NL);
  w.end();
  out.hostObject(copyField(name), copyField(roid));
}

/** A phone element: number, extension, then `end`. */
function phone(w: Walk, ns: string, local: string, b: LineBuffer, end: number): void {
  if (!w.at(ns, local)) return b.text('\\N\t\\N', end);
  const node = w.leaf(ns, local);
  b.field(trimWs(node.text), TAB);
  b.field(attr(node, 'x'), end);
}

/** `int` / `loc`, from a `type` attribute. */
function postalType(node: XmlNode): string {
  const type = attr(node, 'type');
  if (!among(POSTAL_TYPES, type)) giveUp();
  return type;
}

function contact(node: XmlNode, out: RowWriter): void {
  const ns = NS_CONTACT;
  const c = NS_EPP_CONTACT;
  const w = new Walk(node);
  const id = w.tok1(ns, 'id');
  const roid = w.tok1(ns, 'roid');
  const key = id;
  const r = out.to('contact');
  r.field(id, TAB);
  r.field(roid, TAB);
  statuses(w, ns, 'status', CONTACT_STATUS, 'contact_status', key, out, true);
  for (let ord = 0; w.at(ns, 'postalInfo'); ord++) {
    const p = w.take(ns, 'postalInfo');
    const b = out.to('contact_postal');
    b.field(key, TAB);
    b.int(ord, TAB);
    b.text(postalType(p), TAB);
    const pw = new Walk(p);
    b.field(pw.str(c, 'name'), TAB);
    b.field(pw.optStr(c, 'org'), TAB);
    const a = new Walk(pw.take(c, 'addr'));
    pw.end();
    const street: string[] = [];
    while (a.at(c, 'street')) street.push(a.str(c, 'street'));
    b.field(arrayLiteral(street), TAB);
    b.field(a.str(c, 'city'), TAB);
    b.field(a.optStr(c, 'sp'), TAB);
    b.field(a.optTok(c, 'pc'), TAB);
    b.field(a.tok(c, 'cc'), NL);
    a.end();
  }
  phone(w, ns, 'voice', r, TAB);
  phone(w, ns, 'fax', r, TAB);
  r.field(w.tok(ns, 'email'), TAB);
  sponsorship(w, ns, r, TAB);
  if (w.at(ns, 'trnData')) {
    const t = new Walk(w.take(ns, 'trnData'));
    transfer(t, ns, r, TAB);
    t.end();
  } else r.text('\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N', TAB);
  if (w.at(ns, 'disclose')) {
    const d = w.take(ns, 'disclose');
    const flag = attr(d, 'flag');
    const value = flag === 'true' || flag === '1' ? 't' : flag === 'false' || flag === '0' ? 'f' : giveUp();
    r.text(value, TAB);
    const dw = new Walk(d);
    const types = (local: string): void => {
      const list: string[] = [];
      while (dw.at(c, local)) {
        const x = dw.leaf(c, local);
        if (!isBlank(x.text)) giveUp();
        list.push(postalType(x));
      }
      r.field(arrayLiteral(list), TAB);
    };
    types('name');
    types('org');
    types('addr');
    r.text(emptyFlag(dw, c, 'voice') ? 't' : 'f', TAB);
    r.text(emptyFlag(dw, c, 'fax') ? 't' : 'f', TAB);
    r.text(emptyFlag(dw, c, 'email') ? 't' : 'f', NL);
    dw.end();
  } else r.text('\\N\t{}\t{}\t{}\tf\tf\tf', NL);
  w.end();
}

/**
 * Write the rows of `node` (a `<rde:contents>` child) to `out` if it is a domain, contact or
 * host of the plain shape, recording it in `state` and through `hooks`; returns false (nothing
 * written — what was written is discarded —, nothing recorded) for anything else.
 */
export function fastObjectRows(node: XmlNode, state: FastState, out: RowWriter, hooks: FastHooks): boolean {
  let kind: 'domain' | 'contact' | 'host';
  let roid: string | null = null;
  try {
    if (node.ns === NS_DOMAIN && node.local === 'domain') {
      roid = domain(node, state, out);
      kind = 'domain';
    } else if (node.ns === NS_CONTACT && node.local === 'contact') {
      contact(node, out);
      kind = 'contact';
    } else if (node.ns === NS_HOST && node.local === 'host') {
      host(node, out);
      kind = 'host';
    } else return false;
  } catch (err) {
    out.discard();
    if (err === GIVE_UP) return false;
    throw err;
  }
  out.keep();
  if (roid !== null) hooks.tallyRoid(roid);
  state.counts[kind] = (state.counts[kind] ?? 0) + 1;
  return true;
}
