/**
 * RFC 9022 objects → XML text, one function per object kind, elements in the exact order of the
 * XSD sequences (shared/rde/schemas/rde*.xsd; the order of src/model/objects.ts follows them).
 *
 * Rules every function keeps:
 * - prefixes are the ones declared once on `<rde:deposit>` (model/namespaces.ts PREFIXES);
 *   EPP sub-elements keep their own namespaces (`domain:hostObj`, `contact:name`, `secDNS:*`,
 *   `epp:*`), as in the RFC 9022 examples;
 * - no whitespace inside simple content: libxml2 rejects e.g. an xs:long count with surrounding
 *   whitespace (rde-standards.md §6.3), so numbers, enumerations and dates are written bare;
 * - every string goes through `esc()` (./xml.ts), which throws `XmlCharacterError` for a value
 *   XML cannot carry; the writer turns that into a finding for the object;
 * - output depends only on the object: same object, same bytes.
 *
 * Each object is written on its own lines, indented under `<rde:contents>`.
 */
import type {
  Contact,
  ContactPostalInfo,
  Dcp,
  Domain,
  EppParams,
  Header,
  Host,
  HostAddr,
  IdnTableRef,
  KeyData,
  Nndn,
  Phone,
  Policy,
  Registrar,
  RegistrarRef,
  Status,
} from '../model/objects.js';
import { at, esc } from './xml.js';

/** Line starts by depth: objects sit at depth 1 inside `<rde:contents>`. */
const N1 = '\n    ';
const N2 = '\n      ';
const N3 = '\n        ';
const N4 = '\n          ';
const N5 = '\n            ';

function line(indent: string, name: string, value: string | undefined): string {
  return value === undefined ? '' : `${indent}<${name}>${esc(value)}</${name}>`;
}

function rr(name: string, value: RegistrarRef | undefined, indent = N2): string {
  return value === undefined ? '' : `${indent}<${name}${at('client', value.client)}>${esc(value.id)}</${name}>`;
}

function statuses(name: string, list: readonly Status[]): string {
  let out = '';
  for (const s of list) {
    out += `${N2}<${name} s="${esc(s.s)}"${at('lang', s.lang)}${s.text === undefined ? '/>' : `>${esc(s.text)}</${name}>`}`;
  }
  return out;
}

function phone(name: string, value: Phone | undefined): string {
  return value === undefined ? '' : `${N2}<${name}${at('x', value.ext)}>${esc(value.number)}</${name}>`;
}

function hostAddrs(name: string, list: readonly HostAddr[], indent: string): string {
  let out = '';
  for (const a of list) out += `${indent}<${name} ip="${esc(a.ip)}">${esc(a.addr)}</${name}>`;
  return out;
}

function keyData(k: KeyData, indent: string, inner: string): string {
  return (
    `${indent}<secDNS:keyData>` +
    `${inner}<secDNS:flags>${k.flags}</secDNS:flags>` +
    `${inner}<secDNS:protocol>${k.protocol}</secDNS:protocol>` +
    `${inner}<secDNS:alg>${k.alg}</secDNS:alg>` +
    `${inner}<secDNS:pubKey>${esc(k.pubKey)}</secDNS:pubKey>` +
    `${indent}</secDNS:keyData>`
  );
}

/** rdeDomain:domain (RFC 9022 §5.1). */
export function domainXml(d: Domain): string {
  let out = `${N1}<rdeDomain:domain>${line(N2, 'rdeDomain:name', d.name)}${line(N2, 'rdeDomain:roid', d.roid)}`;
  out += line(N2, 'rdeDomain:uName', d.uName) + line(N2, 'rdeDomain:idnTableId', d.idnTableId) + line(N2, 'rdeDomain:originalName', d.originalName);
  out += statuses('rdeDomain:status', d.status) + statuses('rdeDomain:rgpStatus', d.rgpStatus);
  out += line(N2, 'rdeDomain:registrant', d.registrant);
  for (const c of d.contact) out += `${N2}<rdeDomain:contact type="${esc(c.type)}">${esc(c.id)}</rdeDomain:contact>`;
  if (d.ns !== undefined) {
    out += `${N2}<rdeDomain:ns>`;
    if ('hostObj' in d.ns) for (const name of d.ns.hostObj) out += `${N3}<domain:hostObj>${esc(name)}</domain:hostObj>`;
    else {
      for (const attr of d.ns.hostAttr) {
        out += `${N3}<domain:hostAttr>${line(N4, 'domain:hostName', attr.hostName)}${hostAddrs('domain:hostAddr', attr.hostAddr, N4)}${N3}</domain:hostAttr>`;
      }
    }
    out += `${N2}</rdeDomain:ns>`;
  }
  out += line(N2, 'rdeDomain:clID', d.clID) + rr('rdeDomain:crRr', d.crRr) + line(N2, 'rdeDomain:crDate', d.crDate) + line(N2, 'rdeDomain:exDate', d.exDate);
  out += rr('rdeDomain:upRr', d.upRr) + line(N2, 'rdeDomain:upDate', d.upDate);
  if (d.secDNS !== undefined) {
    const sec = d.secDNS;
    out += `${N2}<rdeDomain:secDNS>`;
    if (sec.maxSigLife !== undefined) out += `${N3}<secDNS:maxSigLife>${sec.maxSigLife}</secDNS:maxSigLife>`;
    if ('dsData' in sec) {
      for (const ds of sec.dsData) {
        out +=
          `${N3}<secDNS:dsData>` +
          `${N4}<secDNS:keyTag>${ds.keyTag}</secDNS:keyTag>` +
          `${N4}<secDNS:alg>${ds.alg}</secDNS:alg>` +
          `${N4}<secDNS:digestType>${ds.digestType}</secDNS:digestType>` +
          `${N4}<secDNS:digest>${esc(ds.digest)}</secDNS:digest>` +
          (ds.keyData === undefined ? '' : keyData(ds.keyData, N4, N5)) +
          `${N3}</secDNS:dsData>`;
      }
    } else for (const k of sec.keyData) out += keyData(k, N3, N4);
    out += `${N2}</rdeDomain:secDNS>`;
  }
  out += line(N2, 'rdeDomain:trDate', d.trDate);
  if (d.trnData !== undefined) {
    const t = d.trnData;
    out +=
      `${N2}<rdeDomain:trnData>${line(N3, 'rdeDomain:trStatus', t.trStatus)}${rr('rdeDomain:reRr', t.reRr, N3)}${line(N3, 'rdeDomain:reDate', t.reDate)}` +
      `${rr('rdeDomain:acRr', t.acRr, N3)}${line(N3, 'rdeDomain:acDate', t.acDate)}${line(N3, 'rdeDomain:exDate', t.exDate)}${N2}</rdeDomain:trnData>`;
  }
  return `${out}${N1}</rdeDomain:domain>`;
}

/** rdeHost:host (RFC 9022 §5.2). */
export function hostXml(h: Host): string {
  return (
    `${N1}<rdeHost:host>${line(N2, 'rdeHost:name', h.name)}${line(N2, 'rdeHost:roid', h.roid)}${statuses('rdeHost:status', h.status)}` +
    `${hostAddrs('rdeHost:addr', h.addr, N2)}${line(N2, 'rdeHost:clID', h.clID)}${rr('rdeHost:crRr', h.crRr)}${line(N2, 'rdeHost:crDate', h.crDate)}` +
    `${rr('rdeHost:upRr', h.upRr)}${line(N2, 'rdeHost:upDate', h.upDate)}${line(N2, 'rdeHost:trDate', h.trDate)}${N1}</rdeHost:host>`
  );
}

function contactPostal(p: ContactPostalInfo): string {
  let out = `${N2}<rdeContact:postalInfo type="${esc(p.type)}">${line(N3, 'contact:name', p.name)}${line(N3, 'contact:org', p.org)}${N3}<contact:addr>`;
  for (const street of p.addr.street) out += `${N4}<contact:street>${esc(street)}</contact:street>`;
  out += `${line(N4, 'contact:city', p.addr.city)}${line(N4, 'contact:sp', p.addr.sp)}${line(N4, 'contact:pc', p.addr.pc)}${line(N4, 'contact:cc', p.addr.cc)}`;
  return `${out}${N3}</contact:addr>${N2}</rdeContact:postalInfo>`;
}

/** rdeContact:contact (RFC 9022 §5.3). */
export function contactXml(c: Contact): string {
  let out = `${N1}<rdeContact:contact>${line(N2, 'rdeContact:id', c.id)}${line(N2, 'rdeContact:roid', c.roid)}${statuses('rdeContact:status', c.status)}`;
  for (const p of c.postalInfo) out += contactPostal(p);
  out += phone('rdeContact:voice', c.voice) + phone('rdeContact:fax', c.fax) + line(N2, 'rdeContact:email', c.email) + line(N2, 'rdeContact:clID', c.clID);
  out += rr('rdeContact:crRr', c.crRr) + line(N2, 'rdeContact:crDate', c.crDate) + rr('rdeContact:upRr', c.upRr) + line(N2, 'rdeContact:upDate', c.upDate);
  out += line(N2, 'rdeContact:trDate', c.trDate);
  if (c.trnData !== undefined) {
    const t = c.trnData;
    out +=
      `${N2}<rdeContact:trnData>${line(N3, 'rdeContact:trStatus', t.trStatus)}${rr('rdeContact:reRr', t.reRr, N3)}${line(N3, 'rdeContact:reDate', t.reDate)}` +
      `${rr('rdeContact:acRr', t.acRr, N3)}${line(N3, 'rdeContact:acDate', t.acDate)}${N2}</rdeContact:trnData>`;
  }
  if (c.disclose !== undefined) {
    const d = c.disclose;
    out += `${N2}<rdeContact:disclose flag="${d.flag ? '1' : '0'}">`;
    for (const type of d.name) out += `${N3}<contact:name type="${esc(type)}"/>`;
    for (const type of d.org) out += `${N3}<contact:org type="${esc(type)}"/>`;
    for (const type of d.addr) out += `${N3}<contact:addr type="${esc(type)}"/>`;
    if (d.voice) out += `${N3}<contact:voice/>`;
    if (d.fax) out += `${N3}<contact:fax/>`;
    if (d.email) out += `${N3}<contact:email/>`;
    out += `${N2}</rdeContact:disclose>`;
  }
  return `${out}${N1}</rdeContact:contact>`;
}

/** rdeRegistrar:registrar (RFC 9022 §5.4). */
export function registrarXml(r: Registrar): string {
  let out = `${N1}<rdeRegistrar:registrar>${line(N2, 'rdeRegistrar:id', r.id)}${line(N2, 'rdeRegistrar:name', r.name)}`;
  out += line(N2, 'rdeRegistrar:gurid', r.gurid) + line(N2, 'rdeRegistrar:status', r.status);
  for (const p of r.postalInfo) {
    out += `${N2}<rdeRegistrar:postalInfo type="${esc(p.type)}">${N3}<rdeRegistrar:addr>`;
    for (const street of p.addr.street) out += `${N4}<rdeRegistrar:street>${esc(street)}</rdeRegistrar:street>`;
    out += `${line(N4, 'rdeRegistrar:city', p.addr.city)}${line(N4, 'rdeRegistrar:sp', p.addr.sp)}${line(N4, 'rdeRegistrar:pc', p.addr.pc)}${line(N4, 'rdeRegistrar:cc', p.addr.cc)}`;
    out += `${N3}</rdeRegistrar:addr>${N2}</rdeRegistrar:postalInfo>`;
  }
  out += phone('rdeRegistrar:voice', r.voice) + phone('rdeRegistrar:fax', r.fax) + line(N2, 'rdeRegistrar:email', r.email) + line(N2, 'rdeRegistrar:url', r.url);
  if (r.whoisInfo !== undefined) {
    out += `${N2}<rdeRegistrar:whoisInfo>${line(N3, 'rdeRegistrar:name', r.whoisInfo.name)}${line(N3, 'rdeRegistrar:url', r.whoisInfo.url)}${N2}</rdeRegistrar:whoisInfo>`;
  }
  return `${out}${line(N2, 'rdeRegistrar:crDate', r.crDate)}${line(N2, 'rdeRegistrar:upDate', r.upDate)}${N1}</rdeRegistrar:registrar>`;
}

/** rdeIDN:idnTableRef (RFC 9022 §5.5). */
export function idnTableXml(t: IdnTableRef): string {
  return `${N1}<rdeIDN:idnTableRef id="${esc(t.id)}">${line(N2, 'rdeIDN:url', t.url)}${line(N2, 'rdeIDN:urlPolicy', t.urlPolicy)}${N1}</rdeIDN:idnTableRef>`;
}

/** rdeNNDN:NNDN (RFC 9022 §5.6; the element name is upper case). */
export function nndnXml(n: Nndn): string {
  const mirroring = n.mirroringNS === undefined ? '' : ` mirroringNS="${n.mirroringNS ? 'true' : 'false'}"`;
  return (
    `${N1}<rdeNNDN:NNDN>${line(N2, 'rdeNNDN:aName', n.aName)}${line(N2, 'rdeNNDN:uName', n.uName)}${line(N2, 'rdeNNDN:idnTableId', n.idnTableId)}` +
    `${line(N2, 'rdeNNDN:originalName', n.originalName)}${N2}<rdeNNDN:nameState${mirroring}>${esc(n.nameState)}</rdeNNDN:nameState>` +
    `${line(N2, 'rdeNNDN:crDate', n.crDate)}${N1}</rdeNNDN:NNDN>`
  );
}

/** epp:dcpPurposeType and dcpRecipientType are sequences: children in schema order. */
const PURPOSES = ['admin', 'contact', 'other', 'prov'] as const;

function dcpXml(dcp: Dcp): string {
  let out = `${N2}<rdeEppParams:dcp>${N3}<epp:access><epp:${dcp.access}/></epp:access>`;
  for (const st of dcp.statement) {
    out += `${N3}<epp:statement>${N4}<epp:purpose>`;
    for (const p of PURPOSES) if (st.purpose.includes(p)) out += `<epp:${p}/>`;
    out += `</epp:purpose>${N4}<epp:recipient>`;
    const r = st.recipient;
    if (r.other) out += '<epp:other/>';
    for (const ours of r.ours) out += ours === null ? '<epp:ours/>' : `<epp:ours><epp:recDesc>${esc(ours)}</epp:recDesc></epp:ours>`;
    if (r.public) out += '<epp:public/>';
    if (r.same) out += '<epp:same/>';
    if (r.unrelated) out += '<epp:unrelated/>';
    out += `</epp:recipient>${N4}<epp:retention><epp:${st.retention}/></epp:retention>${N3}</epp:statement>`;
  }
  if (dcp.expiry !== undefined) {
    out +=
      'absolute' in dcp.expiry
        ? `${N3}<epp:expiry><epp:absolute>${esc(dcp.expiry.absolute)}</epp:absolute></epp:expiry>`
        : `${N3}<epp:expiry><epp:relative>${esc(dcp.expiry.relative)}</epp:relative></epp:expiry>`;
  }
  return `${out}${N2}</rdeEppParams:dcp>`;
}

/** rdeEppParams:eppParams (RFC 9022 §5.7). The DCP must have passed the pre-flight's shape check. */
export function eppParamsXml(e: EppParams): string {
  let out = `${N1}<rdeEppParams:eppParams>`;
  for (const v of e.version) out += line(N2, 'rdeEppParams:version', v);
  for (const l of e.lang) out += line(N2, 'rdeEppParams:lang', l);
  for (const u of e.objURI) out += line(N2, 'rdeEppParams:objURI', u);
  if (e.extURI.length > 0) {
    out += `${N2}<rdeEppParams:svcExtension>`;
    for (const u of e.extURI) out += line(N3, 'epp:extURI', u);
    out += `${N2}</rdeEppParams:svcExtension>`;
  }
  return `${out}${dcpXml(e.dcp)}${N1}</rdeEppParams:eppParams>`;
}

/** rdePolicy:policy (RFC 9022 §5.8). */
export function policyXml(p: Policy): string {
  return `${N1}<rdePolicy:policy scope="${esc(p.scope)}" element="${esc(p.element)}"/>`;
}

/** rdeHeader:header (RFC 9022 §5.9), gTLD form: `tld`, then the counts, then contentTag. */
export function headerXml(h: Header): string {
  let out = `${N1}<rdeHeader:header>${line(N2, 'rdeHeader:tld', h.tld)}`;
  for (const c of h.count) {
    out += `${N2}<rdeHeader:count uri="${esc(c.uri)}"${at('rcdn', c.rcdn)}${at('registrarId', c.registrarId)}>${c.count}</rdeHeader:count>`;
  }
  return `${out}${line(N2, 'rdeHeader:contentTag', h.contentTag)}${N1}</rdeHeader:header>`;
}


// ---------------------------------------------------------------------------------------------
// DIFF/INCR deletes and THIN (BRDA) objects

/**
 * One entry of `<rde:deletes>` (RFC 8909 §5, each object's deleteType in RFC 9022): domains by
 * name (§5.1), hosts by roid (§5.2: a name can be reused by another host), contacts, registrars
 * and IDN tables by id, NNDNs by aName. One delete element per object, in the order given.
 */
export function deleteXml(kind: 'domain' | 'host' | 'contact' | 'registrar' | 'idnTable' | 'nndn', gone: { key: string; name: string | null }): string {
  switch (kind) {
    case 'domain':
      return `${N1}<rdeDomain:delete>${line(N2, 'rdeDomain:name', gone.name ?? gone.key)}${N1}</rdeDomain:delete>`;
    case 'host':
      return `${N1}<rdeHost:delete>${line(N2, 'rdeHost:roid', gone.key)}${N1}</rdeHost:delete>`;
    case 'contact':
      return `${N1}<rdeContact:delete>${line(N2, 'rdeContact:id', gone.key)}${N1}</rdeContact:delete>`;
    case 'registrar':
      return `${N1}<rdeRegistrar:delete>${line(N2, 'rdeRegistrar:id', gone.key)}${N1}</rdeRegistrar:delete>`;
    case 'idnTable':
      return `${N1}<rdeIDN:delete>${line(N2, 'rdeIDN:id', gone.key)}${N1}</rdeIDN:delete>`;
    case 'nndn':
      return `${N1}<rdeNNDN:delete>${line(N2, 'rdeNNDN:aName', gone.key)}${N1}</rdeNNDN:delete>`;
  }
}

/**
 * A domain of the THIN (BRDA) deposit: the fields of Spec 4 §3.1.1 only — name, roid, statuses,
 * sponsoring registrar, creation, expiry and last update dates, name server names — written as
 * an rdeDomain:domain (the schema's other elements are optional), like nomulus' THIN mode.
 */
export function thinDomainXml(d: Domain): string {
  const thin: Domain = { name: d.name, roid: d.roid, status: d.status, rgpStatus: [], contact: [], clID: d.clID };
  if (d.ns !== undefined) {
    thin.ns = 'hostObj' in d.ns ? { hostObj: d.ns.hostObj } : { hostAttr: d.ns.hostAttr.map((a) => ({ hostName: a.hostName, hostAddr: [] })) };
  }
  if (d.crDate !== undefined) thin.crDate = d.crDate;
  if (d.exDate !== undefined) thin.exDate = d.exDate;
  if (d.upDate !== undefined) thin.upDate = d.upDate;
  return domainXml(thin);
}

/**
 * A registrar of the THIN (BRDA) deposit, Spec 4 §3.1.1: name, IANA id (gurid; the registrar's
 * "ROID" there), whois server and URL, with the id and status that identify it.
 */
export function thinRegistrarXml(r: Registrar): string {
  const thin: Registrar = { id: r.id, name: r.name, postalInfo: [] };
  if (r.gurid !== undefined) thin.gurid = r.gurid;
  if (r.status !== undefined) thin.status = r.status;
  if (r.url !== undefined) thin.url = r.url;
  if (r.whoisInfo !== undefined) thin.whoisInfo = r.whoisInfo;
  return registrarXml(thin);
}
