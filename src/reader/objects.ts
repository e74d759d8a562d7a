/**
 * Element trees (./xml-stream.ts) → the typed objects of src/model/objects.ts, exactly the
 * values the deposit writer (src/deposit/serialize.ts) takes, so reading what Strongroom
 * wrote gives back what it was given.
 *
 * Matching is by namespace URI and local name, never by prefix. Children of an object may come
 * in any order (repeated ones keep their document order); an element this reader does not know
 * is an error (it could not be kept), as is a missing required one.
 *
 * Whitespace, following each field's XSD type (RFC 9022 and the EPP schemas it imports):
 * - token-like types (xs:token and types derived from it, anyURI, dateTime, numbers, booleans,
 *   enumerations, base64/hex binary): leading and trailing whitespace is dropped, so a
 *   pretty-printed `<rdeHost:addr>192.0.2.1\n   </rdeHost:addr>` reads as the address;
 * - string and normalizedString types (postal lines, names of people and registrars, status
 *   free text, recDesc): the value is kept exactly as the parser returns it. The writer escapes
 *   TAB/LF/CR as character references precisely so that such values come back unchanged.
 * Date-times are returned in the canonical form of src/model/datetime.ts.
 */
import { StrongroomError } from '../common/errors.js';
import { tryCanonicalDateTime } from '../model/datetime.js';
import {
  NS_CONTACT,
  NS_DOMAIN,
  NS_EPP,
  NS_EPP_CONTACT,
  NS_EPP_DOMAIN,
  NS_EPP_PARAMS,
  NS_HEADER,
  NS_HOST,
  NS_IDN,
  NS_NNDN,
  NS_POLICY,
  NS_REGISTRAR,
  NS_SECDNS,
} from '../model/namespaces.js';
import type {
  Address,
  Contact,
  ContactPostalInfo,
  ContactTransferData,
  Dcp,
  DcpAccess,
  DcpPurpose,
  DcpRetention,
  DcpStatement,
  Disclose,
  Domain,
  DomainContact,
  DomainContactType,
  DomainTransferData,
  DsData,
  EppParams,
  Header,
  HeaderCount,
  Host,
  HostAddr,
  HostAttr,
  IdnTableRef,
  IpVersion,
  KeyData,
  NameState,
  Nndn,
  Phone,
  Policy,
  PostalType,
  RdeDelete,
  RdeObject,
  Registrar,
  RegistrarPostalInfo,
  RegistrarRef,
  RegistrarStatus,
  SecDns,
  Status,
} from '../model/objects.js';
import { trimWs, type XmlNode } from './xml-stream.js';

/** What an error names: the object, the field, where. */
export interface ReaderErrorData {
  object: string;
  field: string;
  line: number;
  column: number;
}

export function readerError(file: string | undefined, object: string, field: string, node: { line: number; column: number }, message: string): StrongroomError {
  const data: ReaderErrorData = { object, field, line: node.line, column: node.column };
  return new StrongroomError('READER_INVALID_OBJECT', `${object}, ${field} (line ${node.line}, column ${node.column}): ${message}`, {
    location: `${file ? `${file}:` : ''}${node.line}:${node.column}`,
    data: { ...data },
  });
}

/** The object being converted: how it is named in messages, and the file. */
class Ctx {
  constructor(
    readonly file: string | undefined,
    public object: string,
  ) {}

  fail(node: XmlNode, field: string, message: string): never {
    throw readerError(this.file, this.object, field, node, message);
  }
}

/**
 * A view of one element that checks every child is used exactly as the schema allows. Its
 * path (for messages) is computed only when asked for: building it for every field of every
 * object cost a third of the reader's time.
 */
class El {
  /** Which children were asked for, by index (allocated on first use). */
  private used: Uint8Array | null = null;
  /** Which children were found by opt() (at most once allowed), by index. */
  private single: Uint8Array | null = null;
  /** Where opt() looks first: after its previous find. */
  private cursor = 0;
  private cachedPath: string | undefined;

  constructor(
    readonly node: XmlNode,
    readonly ctx: Ctx,
    /** The element this one was found in, or null for an object (path = `local`). */
    private readonly parent: El | null = null,
    private readonly local = '',
    /** 1-based position among the parent's children of the same name. */
    private readonly nth = 1,
  ) {}

  /** Path of this element inside the object, for messages (e.g. `postalInfo[1]/addr`). */
  get path(): string {
    if (this.cachedPath === undefined) {
      if (!this.parent) this.cachedPath = this.local;
      else {
        const base = this.parent.field(this.local);
        this.cachedPath = this.nth > 1 || this.parent.countOf(this.node.ns, this.local) > 1 ? `${base}[${this.nth}]` : base;
      }
    }
    return this.cachedPath;
  }

  private field(local: string): string {
    return this.path === '' ? local : `${this.path}/${local}`;
  }

  fail(message: string, field = this.path || this.node.local): never {
    this.ctx.fail(this.node, field, message);
  }

  /** Children with this namespace and local name, in document order. */
  many(ns: string, local: string): El[] {
    let out: El[] | undefined;
    const children = this.node.children;
    for (let index = 0; index < children.length; index++) {
      const child = children[index]!;
      if (child.ns === ns && child.local === local) {
        (this.used ??= new Uint8Array(children.length))[index] = 1;
        (out ??= []).push(new El(child, this.ctx, this, local, out.length + 1));
      }
    }
    return out ?? [];
  }

  private countOf(ns: string, local: string): number {
    let n = 0;
    for (const child of this.node.children) if (child.ns === ns && child.local === local) n++;
    return n;
  }

  /**
   * The child of this name if there is one; more than one is an error (reported by done(),
   * which finds the second one unused). The search starts after the previous find: children
   * usually come in schema order, which is the order the converters ask for them, so a present
   * element is found in one step instead of a walk over all children per field.
   */
  opt(ns: string, local: string): El | undefined {
    const index = this.find(ns, local);
    return index < 0 ? undefined : this.child(index, local);
  }

  /** Index of the child opt() would return (marked as used), or -1. */
  private find(ns: string, local: string): number {
    const children = this.node.children;
    const n = children.length;
    let index = this.cursor;
    for (let step = 0; step < n; step++, index++) {
      if (index >= n) index = 0;
      const child = children[index]!;
      if (child.local !== local || child.ns !== ns) continue;
      if (this.used?.[index] === 1) continue;
      (this.used ??= new Uint8Array(n))[index] = 1;
      (this.single ??= new Uint8Array(n))[index] = 1;
      this.cursor = index + 1;
      return index;
    }
    return -1;
  }

  private child(index: number, local: string): El {
    return new El(this.node.children[index]!, this.ctx, this, local, 1);
  }

  /**
   * Shorthands for the commonest fields, without a view object per value (one is made only
   * to report an error): `optTok(ns, l)` is `opt(ns, l)?.tok()`, and so on.
   */
  optTok(ns: string, local: string): string | undefined {
    const index = this.find(ns, local);
    if (index < 0) return undefined;
    const node = this.node.children[index]!;
    return node.children.length > 0 ? this.child(index, local).tok() : trimWs(node.text);
  }

  optDate(ns: string, local: string): string | undefined {
    const index = this.find(ns, local);
    if (index < 0) return undefined;
    const node = this.node.children[index]!;
    const canonical = node.children.length > 0 ? null : tryCanonicalDateTime(trimWs(node.text));
    return canonical ?? this.child(index, local).date();
  }

  reqTokNonEmpty(ns: string, local: string): string {
    const index = this.find(ns, local);
    if (index < 0) this.ctx.fail(this.node, this.field(local), `required element <${local}> is missing`);
    const node = this.node.children[index]!;
    const value = node.children.length > 0 ? '' : trimWs(node.text);
    return value !== '' ? value : this.child(index, local).tokNonEmpty();
  }

  req(ns: string, local: string): El {
    const found = this.opt(ns, local);
    if (!found) this.ctx.fail(this.node, this.field(local), `required element <${local}> is missing`);
    return found;
  }

  /** Refuse children nobody asked for, repeated ones allowed once, and text between child elements. */
  done(): void {
    const children = this.node.children;
    for (let index = 0; index < children.length; index++) {
      const child = children[index]!;
      if (this.used?.[index] === 1) continue;
      const first = this.single ? children.findIndex((c, i) => this.single![i] === 1 && c.ns === child.ns && c.local === child.local) : -1;
      if (first >= 0) {
        const count = this.countOf(child.ns, child.local);
        new El(child, this.ctx, this, child.local, 2).fail(`appears ${count} times; at most once is allowed`, this.field(child.local));
      }
      this.ctx.fail(child, this.field(child.local), `unexpected element <${child.qname}> (namespace "${child.ns}")`);
    }
    if (this.node.children.length > 0 && this.node.text.trim() !== '') this.fail(`unexpected text "${this.node.text.trim().slice(0, 40)}" between elements`);
  }

  /** Simple content kept exactly (string / normalizedString types). */
  str(): string {
    if (this.node.children.length > 0) this.ctx.fail(this.node.children[0]!, this.path, 'a simple value cannot contain elements');
    return this.node.text;
  }

  /** Simple content of a token-like type: surrounding whitespace dropped. */
  tok(): string {
    return trimWs(this.str());
  }

  /** A required non-empty token. */
  tokNonEmpty(): string {
    const value = this.tok();
    if (value === '') this.fail('is empty');
    return value;
  }

  date(): string {
    const raw = this.tok();
    const canonical = tryCanonicalDateTime(raw);
    if (canonical === null) this.fail(`"${raw.slice(0, 40)}" is not an RFC 3339 date-time`);
    return canonical;
  }

  int(min: number, max: number): number {
    const raw = this.tok();
    if (!/^[+-]?\d+$/.test(raw)) this.fail(`"${raw.slice(0, 40)}" is not an integer`);
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < min || value > max) this.fail(`${raw} is outside ${min}..${max}`);
    return value;
  }

  attr(name: string): string | undefined {
    const value = this.node.attrs[name];
    return value === undefined ? undefined : trimWs(value);
  }

  reqAttr(name: string): string {
    const value = this.attr(name);
    if (value === undefined) this.fail(`required attribute "${name}" is missing`, `${this.path || this.node.local}/@${name}`);
    return value;
  }

  /** Flags like `<contact:voice/>`: must be empty. */
  empty(): void {
    if (this.node.children.length > 0 || this.node.text.trim() !== '') this.fail('must be empty');
  }
}

function oneOf<T extends string>(el: El, value: string, allowed: readonly T[], field?: string): T {
  if (!(allowed as readonly string[]).includes(value)) el.fail(`"${value.slice(0, 40)}" is not one of ${allowed.join(', ')}`, field);
  return value as T;
}

function bool(el: El, value: string, field?: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  el.fail(`"${value.slice(0, 20)}" is not a boolean (true, false, 1 or 0)`, field);
}

/** Set an optional property only when present (objects never carry `undefined` properties). */
function opt<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

function statuses(parent: El, ns: string, local: string): Status[] {
  return parent.many(ns, local).map((el) => {
    const status: Status = { s: el.reqAttr('s') };
    opt(status, 'lang', el.attr('lang'));
    // A status with no content is "no free text"; `<status s="ok"></status>` is an empty text.
    if (!el.node.selfClosing) status.text = el.str();
    return status;
  });
}

function rr(el: El | undefined): RegistrarRef | undefined {
  if (el === undefined) return undefined;
  const ref: RegistrarRef = { id: el.tokNonEmpty() };
  opt(ref, 'client', el.attr('client'));
  return ref;
}

function phone(el: El | undefined): Phone | undefined {
  if (el === undefined) return undefined;
  const p: Phone = { number: el.tok() };
  opt(p, 'ext', el.attr('x'));
  return p;
}

export const IP_VERSIONS: readonly IpVersion[] = ['v4', 'v6'];

function hostAddr(el: El): HostAddr {
  // host:addrType: `ip` defaults to v4 (RFC 5732 §4); the model always materialises it.
  const ip = oneOf(el, el.attr('ip') ?? 'v4', IP_VERSIONS, `${el.path}/@ip`);
  return { ip, addr: el.tokNonEmpty() };
}

export const POSTAL_TYPES: readonly PostalType[] = ['int', 'loc'];

function address(el: El, ns: string): Address {
  const addr: Address = { street: el.many(ns, 'street').map((s) => s.str()), city: el.req(ns, 'city').str(), cc: '' };
  opt(addr, 'sp', el.opt(ns, 'sp')?.str());
  opt(addr, 'pc', el.optTok(ns, 'pc'));
  addr.cc = el.req(ns, 'cc').tok();
  el.done();
  return addr;
}

function transfer(el: El, ns: string): ContactTransferData {
  const t: ContactTransferData = {
    trStatus: el.reqTokNonEmpty(ns, 'trStatus'),
    reRr: rr(el.req(ns, 'reRr'))!,
    reDate: el.req(ns, 'reDate').date(),
    acRr: rr(el.req(ns, 'acRr'))!,
    acDate: el.req(ns, 'acDate').date(),
  };
  return t;
}

export const TR_STATUS = ['clientApproved', 'clientCancelled', 'clientRejected', 'pending', 'serverApproved', 'serverCancelled'] as const;

export const DOMAIN_CONTACT_TYPES: readonly DomainContactType[] = ['admin', 'billing', 'tech'];

// ---------------------------------------------------------------------------------------------
// Objects

function domain(o: El): Domain {
  const ns = NS_DOMAIN;
  const d = { name: o.reqTokNonEmpty(ns, 'name'), roid: o.reqTokNonEmpty(ns, 'roid') } as Domain;
  o.ctx.object = `domain ${d.name}`;
  opt(d, 'uName', o.optTok(ns, 'uName'));
  opt(d, 'idnTableId', o.optTok(ns, 'idnTableId'));
  opt(d, 'originalName', o.optTok(ns, 'originalName'));
  d.status = statuses(o, ns, 'status');
  if (d.status.length === 0) o.fail('required element <status> is missing', 'status');
  d.rgpStatus = statuses(o, ns, 'rgpStatus');
  opt(d, 'registrant', o.opt(ns, 'registrant')?.tokNonEmpty());
  d.contact = o.many(ns, 'contact').map((c): DomainContact => ({
    type: oneOf(c, c.reqAttr('type'), DOMAIN_CONTACT_TYPES, `${c.path}/@type`),
    id: c.tokNonEmpty(),
  }));
  const nsEl = o.opt(ns, 'ns');
  if (nsEl) {
    const objs = nsEl.many(NS_EPP_DOMAIN, 'hostObj');
    const attrs = nsEl.many(NS_EPP_DOMAIN, 'hostAttr');
    if (objs.length > 0 && attrs.length > 0) nsEl.fail('mixes hostObj and hostAttr name servers (domain:nsType is a choice)');
    if (attrs.length > 0) {
      d.ns = {
        hostAttr: attrs.map((a): HostAttr => {
          const attr: HostAttr = { hostName: a.reqTokNonEmpty(NS_EPP_DOMAIN, 'hostName'), hostAddr: a.many(NS_EPP_DOMAIN, 'hostAddr').map(hostAddr) };
          a.done();
          return attr;
        }),
      };
    } else d.ns = { hostObj: objs.map((h) => h.tokNonEmpty()) };
    nsEl.done();
  }
  d.clID = o.reqTokNonEmpty(ns, 'clID');
  opt(d, 'crRr', rr(o.opt(ns, 'crRr')));
  opt(d, 'crDate', o.optDate(ns, 'crDate'));
  opt(d, 'exDate', o.optDate(ns, 'exDate'));
  opt(d, 'upRr', rr(o.opt(ns, 'upRr')));
  opt(d, 'upDate', o.optDate(ns, 'upDate'));
  const sec = o.opt(ns, 'secDNS');
  if (sec) d.secDNS = secDns(sec);
  opt(d, 'trDate', o.optDate(ns, 'trDate'));
  const trn = o.opt(ns, 'trnData');
  if (trn) {
    const t: DomainTransferData = transfer(trn, ns);
    oneOf(trn, t.trStatus, TR_STATUS, `${trn.path}/trStatus`);
    opt(t, 'exDate', trn.optDate(ns, 'exDate'));
    trn.done();
    d.trnData = t;
  }
  o.done();
  return d;
}

function keyData(el: El): KeyData {
  const k: KeyData = {
    flags: el.req(NS_SECDNS, 'flags').int(0, 65535),
    protocol: el.req(NS_SECDNS, 'protocol').int(0, 255),
    alg: el.req(NS_SECDNS, 'alg').int(0, 255),
    pubKey: el.req(NS_SECDNS, 'pubKey').tok(),
  };
  el.done();
  return k;
}

function secDns(el: El): SecDns {
  const maxSigLife = el.opt(NS_SECDNS, 'maxSigLife')?.int(1, 2147483647);
  const ds = el.many(NS_SECDNS, 'dsData');
  const keys = el.many(NS_SECDNS, 'keyData');
  if (ds.length > 0 && keys.length > 0) el.fail('mixes dsData and keyData (secDNS:dsOrKeyType is a choice)');
  const sec = {} as SecDns;
  opt(sec, 'maxSigLife', maxSigLife);
  if (keys.length > 0) (sec as { keyData: KeyData[] }).keyData = keys.map(keyData);
  else {
    (sec as { dsData: DsData[] }).dsData = ds.map((x): DsData => {
      const data: DsData = {
        keyTag: x.req(NS_SECDNS, 'keyTag').int(0, 65535),
        alg: x.req(NS_SECDNS, 'alg').int(0, 255),
        digestType: x.req(NS_SECDNS, 'digestType').int(0, 255),
        digest: x.req(NS_SECDNS, 'digest').tok(),
      };
      const k = x.opt(NS_SECDNS, 'keyData');
      if (k) data.keyData = keyData(k);
      x.done();
      return data;
    });
  }
  el.done();
  return sec;
}

function host(o: El): Host {
  const ns = NS_HOST;
  const name = o.reqTokNonEmpty(ns, 'name');
  o.ctx.object = `host ${name}`;
  const h: Host = { name, roid: o.reqTokNonEmpty(ns, 'roid'), status: statuses(o, ns, 'status'), addr: o.many(ns, 'addr').map(hostAddr), clID: '' };
  if (h.status.length === 0) o.fail('required element <status> is missing', 'status');
  h.clID = o.reqTokNonEmpty(ns, 'clID');
  opt(h, 'crRr', rr(o.opt(ns, 'crRr')));
  opt(h, 'crDate', o.optDate(ns, 'crDate'));
  opt(h, 'upRr', rr(o.opt(ns, 'upRr')));
  opt(h, 'upDate', o.optDate(ns, 'upDate'));
  opt(h, 'trDate', o.optDate(ns, 'trDate'));
  o.done();
  return h;
}

function contactPostal(p: El): ContactPostalInfo {
  const type = oneOf(p, p.reqAttr('type'), POSTAL_TYPES, `${p.path}/@type`);
  const name = p.req(NS_EPP_CONTACT, 'name').str();
  const org = p.opt(NS_EPP_CONTACT, 'org')?.str();
  const addr = address(p.req(NS_EPP_CONTACT, 'addr'), NS_EPP_CONTACT);
  p.done();
  return org === undefined ? { type, name, addr } : { type, name, org, addr };
}

function disclose(el: El): Disclose {
  const types = (local: string) =>
    el.many(NS_EPP_CONTACT, local).map((x) => {
      x.empty();
      return oneOf(x, x.reqAttr('type'), POSTAL_TYPES, `${x.path}/@type`);
    });
  const flag = (local: string) => {
    const x = el.opt(NS_EPP_CONTACT, local);
    x?.empty();
    return x !== undefined;
  };
  const d: Disclose = {
    flag: bool(el, el.reqAttr('flag'), `${el.path}/@flag`),
    name: types('name'),
    org: types('org'),
    addr: types('addr'),
    voice: flag('voice'),
    fax: flag('fax'),
    email: flag('email'),
  };
  el.done();
  return d;
}

function contact(o: El): Contact {
  const ns = NS_CONTACT;
  const id = o.reqTokNonEmpty(ns, 'id');
  o.ctx.object = `contact ${id}`;
  const c: Contact = { id, roid: o.reqTokNonEmpty(ns, 'roid'), status: statuses(o, ns, 'status'), postalInfo: o.many(ns, 'postalInfo').map(contactPostal), email: '', clID: '' };
  if (c.status.length === 0) o.fail('required element <status> is missing', 'status');
  opt(c, 'voice', phone(o.opt(ns, 'voice')));
  opt(c, 'fax', phone(o.opt(ns, 'fax')));
  c.email = o.req(ns, 'email').tok();
  c.clID = o.reqTokNonEmpty(ns, 'clID');
  opt(c, 'crRr', rr(o.opt(ns, 'crRr')));
  opt(c, 'crDate', o.optDate(ns, 'crDate'));
  opt(c, 'upRr', rr(o.opt(ns, 'upRr')));
  opt(c, 'upDate', o.optDate(ns, 'upDate'));
  opt(c, 'trDate', o.optDate(ns, 'trDate'));
  const trn = o.opt(ns, 'trnData');
  if (trn) {
    c.trnData = transfer(trn, ns);
    oneOf(trn, c.trnData.trStatus, TR_STATUS, `${trn.path}/trStatus`);
    trn.done();
  }
  const dis = o.opt(ns, 'disclose');
  if (dis) c.disclose = disclose(dis);
  o.done();
  return c;
}

function registrar(o: El): Registrar {
  const ns = NS_REGISTRAR;
  const id = o.reqTokNonEmpty(ns, 'id');
  o.ctx.object = `registrar ${id}`;
  const r: Registrar = { id, name: o.req(ns, 'name').str(), postalInfo: [] };
  opt(r, 'gurid', o.optTok(ns, 'gurid'));
  const status = o.opt(ns, 'status');
  if (status) r.status = oneOf<RegistrarStatus>(status, status.tok(), ['ok', 'readonly', 'terminated']);
  r.postalInfo = o.many(ns, 'postalInfo').map((p): RegistrarPostalInfo => {
    const info: RegistrarPostalInfo = { type: oneOf(p, p.reqAttr('type'), POSTAL_TYPES, `${p.path}/@type`), addr: address(p.req(ns, 'addr'), ns) };
    p.done();
    return info;
  });
  opt(r, 'voice', phone(o.opt(ns, 'voice')));
  opt(r, 'fax', phone(o.opt(ns, 'fax')));
  opt(r, 'email', o.optTok(ns, 'email'));
  opt(r, 'url', o.optTok(ns, 'url'));
  const whois = o.opt(ns, 'whoisInfo');
  if (whois) {
    const w: { name?: string; url?: string } = {};
    opt(w, 'name', whois.optTok(ns, 'name'));
    opt(w, 'url', whois.optTok(ns, 'url'));
    whois.done();
    r.whoisInfo = w;
  }
  opt(r, 'crDate', o.optDate(ns, 'crDate'));
  opt(r, 'upDate', o.optDate(ns, 'upDate'));
  o.done();
  return r;
}

function idnTable(o: El): IdnTableRef {
  const id = o.reqAttr('id');
  o.ctx.object = `idnTableRef ${id}`;
  const t: IdnTableRef = { id, url: o.req(NS_IDN, 'url').tok(), urlPolicy: o.req(NS_IDN, 'urlPolicy').tok() };
  o.done();
  return t;
}

function nndn(o: El): Nndn {
  const ns = NS_NNDN;
  const n = { aName: o.reqTokNonEmpty(ns, 'aName') } as Nndn;
  o.ctx.object = `NNDN ${n.aName}`;
  opt(n, 'uName', o.optTok(ns, 'uName'));
  opt(n, 'idnTableId', o.optTok(ns, 'idnTableId'));
  opt(n, 'originalName', o.optTok(ns, 'originalName'));
  const state = o.req(ns, 'nameState');
  n.nameState = oneOf<NameState>(state, state.tok(), ['withheld', 'blocked', 'mirrored']);
  const mirroring = state.attr('mirroringNS');
  if (mirroring !== undefined) n.mirroringNS = bool(state, mirroring, `${state.path}/@mirroringNS`);
  opt(n, 'crDate', o.optDate(ns, 'crDate'));
  o.done();
  return n;
}

/** The single empty child of an epp choice element (`<epp:access><epp:all/></epp:access>`). */
function choice<T extends string>(el: El, allowed: readonly T[]): T {
  const kids = el.node.children;
  if (kids.length !== 1 || kids[0]!.ns !== NS_EPP) el.fail(`must hold exactly one of ${allowed.join(', ')}`);
  const value = oneOf(el, kids[0]!.local, allowed);
  const child = el.req(NS_EPP, value);
  child.empty();
  el.done();
  return value;
}

const PURPOSES: readonly DcpPurpose[] = ['admin', 'contact', 'other', 'prov'];

function dcp(el: El): Dcp {
  const access = choice<DcpAccess>(el.req(NS_EPP, 'access'), ['all', 'none', 'null', 'other', 'personal', 'personalAndOther']);
  const statement = el.many(NS_EPP, 'statement').map((st): DcpStatement => {
    const purposeEl = st.req(NS_EPP, 'purpose');
    const purpose: DcpPurpose[] = [];
    for (const p of PURPOSES) {
      const x = purposeEl.opt(NS_EPP, p);
      if (x) {
        x.empty();
        purpose.push(p);
      }
    }
    purposeEl.done();
    const recEl = st.req(NS_EPP, 'recipient');
    const flag = (local: string) => {
      const x = recEl.opt(NS_EPP, local);
      x?.empty();
      return x !== undefined;
    };
    const recipient: DcpStatement['recipient'] = {
      other: flag('other'),
      ours: recEl.many(NS_EPP, 'ours').map((o) => {
        const desc = o.opt(NS_EPP, 'recDesc');
        o.done();
        return desc === undefined ? null : desc.str();
      }),
      public: flag('public'),
      same: flag('same'),
      unrelated: flag('unrelated'),
    };
    recEl.done();
    const retention = choice<DcpRetention>(st.req(NS_EPP, 'retention'), ['business', 'indefinite', 'legal', 'none', 'stated']);
    st.done();
    return { purpose, recipient, retention };
  });
  const value: Dcp = { access, statement };
  const expiry = el.opt(NS_EPP, 'expiry');
  if (expiry) {
    const absolute = expiry.opt(NS_EPP, 'absolute');
    const relative = expiry.opt(NS_EPP, 'relative');
    if ((absolute === undefined) === (relative === undefined)) expiry.fail('must hold exactly one of absolute, relative');
    value.expiry = absolute ? { absolute: absolute.tok() } : { relative: relative!.tok() };
    expiry.done();
  }
  el.done();
  return value;
}

function eppParams(o: El): EppParams {
  const ns = NS_EPP_PARAMS;
  o.ctx.object = 'eppParams';
  const svc = o.opt(ns, 'svcExtension');
  const e: EppParams = {
    version: o.many(ns, 'version').map((v) => v.tok()),
    lang: o.many(ns, 'lang').map((v) => v.tok()),
    objURI: o.many(ns, 'objURI').map((v) => v.tok()),
    extURI: svc ? svc.many(NS_EPP, 'extURI').map((v) => v.tok()) : [],
    dcp: dcp(o.req(ns, 'dcp')),
  };
  svc?.done();
  o.done();
  return e;
}

function policy(o: El): Policy {
  o.ctx.object = 'policy';
  const p: Policy = { scope: o.reqAttr('scope'), element: o.reqAttr('element') };
  o.ctx.object = `policy ${p.element}`;
  o.done();
  return p;
}

function header(o: El): Header {
  const ns = NS_HEADER;
  o.ctx.object = 'header';
  const tld = o.opt(ns, 'tld');
  if (!tld) {
    const other = o.node.children.find((c) => c.ns === ns && ['registrar', 'ppsp', 'reseller'].includes(c.local));
    o.fail(other ? `a <${other.local}> repository header is not a registry (TLD) deposit; only TLD deposits can be rebuilt` : 'required element <tld> is missing', 'tld');
  }
  const h: Header = {
    tld: tld.tokNonEmpty(),
    count: o.many(ns, 'count').map((c): HeaderCount => {
      const count: HeaderCount = { uri: c.reqAttr('uri'), count: c.int(0, Number.MAX_SAFE_INTEGER) };
      opt(count, 'rcdn', c.attr('rcdn'));
      opt(count, 'registrarId', c.attr('registrarId'));
      return count;
    }),
  };
  if (h.count.length === 0) o.fail('required element <count> is missing', 'count');
  opt(h, 'contentTag', o.optTok(ns, 'contentTag'));
  o.done();
  return h;
}

/** Object element → converter, by namespace and local name. */
const OBJECTS: ReadonlyArray<{ ns: string; local: string; kind: RdeObject['kind']; read: (o: El) => unknown }> = [
  { ns: NS_DOMAIN, local: 'domain', kind: 'domain', read: domain },
  { ns: NS_HOST, local: 'host', kind: 'host', read: host },
  { ns: NS_CONTACT, local: 'contact', kind: 'contact', read: contact },
  { ns: NS_REGISTRAR, local: 'registrar', kind: 'registrar', read: registrar },
  { ns: NS_IDN, local: 'idnTableRef', kind: 'idnTable', read: idnTable },
  { ns: NS_NNDN, local: 'NNDN', kind: 'nndn', read: nndn },
  { ns: NS_EPP_PARAMS, local: 'eppParams', kind: 'eppParams', read: eppParams },
  { ns: NS_POLICY, local: 'policy', kind: 'policy', read: policy },
  { ns: NS_HEADER, local: 'header', kind: 'header', read: header },
];

/** One `<rde:contents>` child → a typed object. */
export function readObject(node: XmlNode, file: string | undefined): RdeObject {
  const spec = OBJECTS.find((o) => o.ns === node.ns && o.local === node.local);
  const ctx: Ctx = new Ctx(file, `<${node.qname}> at line ${node.line}`);
  if (!spec) ctx.fail(node, node.qname, `unknown object <${node.qname}> (namespace "${node.ns}") in <rde:contents>: it cannot be rebuilt`);
  ctx.object = `${spec.kind} at line ${node.line}`;
  return { kind: spec.kind, value: spec.read(new El(node, ctx)) } as RdeObject;
}

/** Delete element → the keys it names (RFC 9022 deleteType of each object kind). */
const DELETES: ReadonlyArray<{ ns: string; kind: RdeDelete['kind']; keys: readonly string[] }> = [
  { ns: NS_DOMAIN, kind: 'domain', keys: ['name'] },
  { ns: NS_HOST, kind: 'host', keys: ['roid', 'name'] },
  { ns: NS_CONTACT, kind: 'contact', keys: ['id'] },
  { ns: NS_REGISTRAR, kind: 'registrar', keys: ['id'] },
  { ns: NS_IDN, kind: 'idnTable', keys: ['id'] },
  { ns: NS_NNDN, kind: 'nndn', keys: ['aName'] },
];

/** One `<rde:deletes>` child (`<rdeDomain:delete>` …) → the deleted objects it names. */
export function readDeletes(node: XmlNode, file: string | undefined): RdeDelete[] {
  const spec = DELETES.find((d) => d.ns === node.ns && node.local === 'delete');
  const ctx: Ctx = new Ctx(file, `<${node.qname}> at line ${node.line}`);
  if (!spec) ctx.fail(node, node.qname, `unknown delete element <${node.qname}> (namespace "${node.ns}") in <rde:deletes>`);
  ctx.object = `${spec.kind} delete at line ${node.line}`;
  const el = new El(node, ctx);
  const out: RdeDelete[] = [];
  // The children are a choice of key elements in any number and order; keep document order.
  for (const child of node.children) {
    if (child.ns !== spec.ns || !spec.keys.includes(child.local)) continue;
    const value = new El(child, ctx, null, child.local).tokNonEmpty();
    out.push({ kind: spec.kind, [child.local]: value } as RdeDelete);
  }
  for (const key of spec.keys) el.many(spec.ns, key);
  el.done();
  return out;
}

export { El, Ctx };
