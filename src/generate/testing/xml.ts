/**
 * Test-only: model objects as an RFC 8909/9022 XML deposit, to validate generated data
 * against the official XSDs with xmllint. A deliberately plain serialiser (element order from
 * the XSD sequences); the deposit writer (src/deposit) is the real one.
 */
import type { Address, Contact, Domain, EppParams, Host, IdnTableRef, Nndn, Phone, Policy, Registrar, RegistrarRef, Status } from '../../model/objects.js';
import { NS_CONTACT, NS_DOMAIN, NS_EPP_PARAMS, NS_HOST, NS_IDN, NS_NNDN, NS_POLICY, NS_REGISTRAR, PREFIXES } from '../../model/namespaces.js';
import type { GeneratedObject } from '../generate.js';

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const el = (name: string, text: string | number | undefined, attrs = '') => (text === undefined ? '' : `<${name}${attrs}>${escape(String(text))}</${name}>`);
const attr = (name: string, value: string | undefined) => (value === undefined ? '' : ` ${name}="${escape(value)}"`);
const rr = (name: string, ref: RegistrarRef | undefined) => (ref ? el(name, ref.id, attr('client', ref.client)) : '');
const statuses = (name: string, list: readonly Status[]) => list.map((s) => `<${name} s="${s.s}"${attr('lang', s.lang)}>${escape(s.text ?? '')}</${name}>`).join('');
const phone = (name: string, p: Phone | undefined) => (p ? el(name, p.number, attr('x', p.ext)) : '');

function address(prefix: string, a: Address): string {
  return `<${prefix}:addr>${a.street.map((s) => el(`${prefix}:street`, s)).join('')}${el(`${prefix}:city`, a.city)}${el(`${prefix}:sp`, a.sp)}${el(`${prefix}:pc`, a.pc)}${el(`${prefix}:cc`, a.cc)}</${prefix}:addr>`;
}

function domain(d: Domain): string {
  const p = 'rdeDomain';
  let ns = '';
  if (d.ns && 'hostObj' in d.ns) ns = `<${p}:ns>${d.ns.hostObj.map((h) => el('domain:hostObj', h)).join('')}</${p}:ns>`;
  else if (d.ns) ns = `<${p}:ns>${d.ns.hostAttr.map((h) => `<domain:hostAttr>${el('domain:hostName', h.hostName)}${h.hostAddr.map((a) => el('domain:hostAddr', a.addr, attr('ip', a.ip))).join('')}</domain:hostAttr>`).join('')}</${p}:ns>`;
  let sec = '';
  if (d.secDNS) {
    const key = (k: { flags: number; protocol: number; alg: number; pubKey: string }) => `<secDNS:keyData>${el('secDNS:flags', k.flags)}${el('secDNS:protocol', k.protocol)}${el('secDNS:alg', k.alg)}${el('secDNS:pubKey', k.pubKey)}</secDNS:keyData>`;
    const body = 'dsData' in d.secDNS
      ? d.secDNS.dsData.map((ds) => `<secDNS:dsData>${el('secDNS:keyTag', ds.keyTag)}${el('secDNS:alg', ds.alg)}${el('secDNS:digestType', ds.digestType)}${el('secDNS:digest', ds.digest)}${ds.keyData ? key(ds.keyData) : ''}</secDNS:dsData>`).join('')
      : d.secDNS.keyData.map(key).join('');
    sec = `<${p}:secDNS>${el('secDNS:maxSigLife', d.secDNS.maxSigLife)}${body}</${p}:secDNS>`;
  }
  const t = d.trnData;
  const trn = t ? `<${p}:trnData>${el(`${p}:trStatus`, t.trStatus)}${rr(`${p}:reRr`, t.reRr)}${el(`${p}:reDate`, t.reDate)}${rr(`${p}:acRr`, t.acRr)}${el(`${p}:acDate`, t.acDate)}${el(`${p}:exDate`, t.exDate)}</${p}:trnData>` : '';
  return `<${p}:domain>${el(`${p}:name`, d.name)}${el(`${p}:roid`, d.roid)}${el(`${p}:uName`, d.uName)}${el(`${p}:idnTableId`, d.idnTableId)}${el(`${p}:originalName`, d.originalName)}${statuses(`${p}:status`, d.status)}${statuses(`${p}:rgpStatus`, d.rgpStatus)}${el(`${p}:registrant`, d.registrant)}${d.contact.map((c) => el(`${p}:contact`, c.id, attr('type', c.type))).join('')}${ns}${el(`${p}:clID`, d.clID)}${rr(`${p}:crRr`, d.crRr)}${el(`${p}:crDate`, d.crDate)}${el(`${p}:exDate`, d.exDate)}${rr(`${p}:upRr`, d.upRr)}${el(`${p}:upDate`, d.upDate)}${sec}${el(`${p}:trDate`, d.trDate)}${trn}</${p}:domain>`;
}

function host(h: Host): string {
  const p = 'rdeHost';
  return `<${p}:host>${el(`${p}:name`, h.name)}${el(`${p}:roid`, h.roid)}${statuses(`${p}:status`, h.status)}${h.addr.map((a) => el(`${p}:addr`, a.addr, attr('ip', a.ip))).join('')}${el(`${p}:clID`, h.clID)}${rr(`${p}:crRr`, h.crRr)}${el(`${p}:crDate`, h.crDate)}${rr(`${p}:upRr`, h.upRr)}${el(`${p}:upDate`, h.upDate)}${el(`${p}:trDate`, h.trDate)}</${p}:host>`;
}

function contact(c: Contact): string {
  const p = 'rdeContact';
  const postal = c.postalInfo.map((i) => `<${p}:postalInfo type="${i.type}">${el('contact:name', i.name)}${el('contact:org', i.org)}${address('contact', i.addr)}</${p}:postalInfo>`).join('');
  const t = c.trnData;
  const trn = t ? `<${p}:trnData>${el(`${p}:trStatus`, t.trStatus)}${rr(`${p}:reRr`, t.reRr)}${el(`${p}:reDate`, t.reDate)}${rr(`${p}:acRr`, t.acRr)}${el(`${p}:acDate`, t.acDate)}</${p}:trnData>` : '';
  const d = c.disclose;
  const types = (name: string, list: readonly string[]) => list.map((type) => `<contact:${name} type="${type}"/>`).join('');
  const disclose = d ? `<${p}:disclose flag="${d.flag ? 1 : 0}">${types('name', d.name)}${types('org', d.org)}${types('addr', d.addr)}${d.voice ? '<contact:voice/>' : ''}${d.fax ? '<contact:fax/>' : ''}${d.email ? '<contact:email/>' : ''}</${p}:disclose>` : '';
  return `<${p}:contact>${el(`${p}:id`, c.id)}${el(`${p}:roid`, c.roid)}${statuses(`${p}:status`, c.status)}${postal}${phone(`${p}:voice`, c.voice)}${phone(`${p}:fax`, c.fax)}${el(`${p}:email`, c.email)}${el(`${p}:clID`, c.clID)}${rr(`${p}:crRr`, c.crRr)}${el(`${p}:crDate`, c.crDate)}${rr(`${p}:upRr`, c.upRr)}${el(`${p}:upDate`, c.upDate)}${el(`${p}:trDate`, c.trDate)}${trn}${disclose}</${p}:contact>`;
}

function registrar(r: Registrar): string {
  const p = 'rdeRegistrar';
  const whois = r.whoisInfo ? `<${p}:whoisInfo>${el(`${p}:name`, r.whoisInfo.name)}${el(`${p}:url`, r.whoisInfo.url)}</${p}:whoisInfo>` : '';
  return `<${p}:registrar>${el(`${p}:id`, r.id)}${el(`${p}:name`, r.name)}${el(`${p}:gurid`, r.gurid)}${el(`${p}:status`, r.status)}${r.postalInfo.map((i) => `<${p}:postalInfo type="${i.type}">${address(p, i.addr)}</${p}:postalInfo>`).join('')}${phone(`${p}:voice`, r.voice)}${phone(`${p}:fax`, r.fax)}${el(`${p}:email`, r.email)}${el(`${p}:url`, r.url)}${whois}${el(`${p}:crDate`, r.crDate)}${el(`${p}:upDate`, r.upDate)}</${p}:registrar>`;
}

const idnTable = (t: IdnTableRef) => `<rdeIDN:idnTableRef id="${escape(t.id)}">${el('rdeIDN:url', t.url)}${el('rdeIDN:urlPolicy', t.urlPolicy)}</rdeIDN:idnTableRef>`;

const nndn = (n: Nndn) =>
  `<rdeNNDN:NNDN>${el('rdeNNDN:aName', n.aName)}${el('rdeNNDN:uName', n.uName)}${el('rdeNNDN:idnTableId', n.idnTableId)}${el('rdeNNDN:originalName', n.originalName)}${el('rdeNNDN:nameState', n.nameState, attr('mirroringNS', n.mirroringNS === undefined ? undefined : String(n.mirroringNS)))}${el('rdeNNDN:crDate', n.crDate)}</rdeNNDN:NNDN>`;

function eppParams(e: EppParams): string {
  const p = 'rdeEppParams';
  const flags = (names: readonly string[]) => names.map((n) => `<epp:${n}/>`).join('');
  const statements = e.dcp.statement
    .map((s) => {
      const r = s.recipient;
      const recipient = `${r.other ? '<epp:other/>' : ''}${r.ours.map((o) => (o === null ? '<epp:ours/>' : `<epp:ours>${el('epp:recDesc', o)}</epp:ours>`)).join('')}${r.public ? '<epp:public/>' : ''}${r.same ? '<epp:same/>' : ''}${r.unrelated ? '<epp:unrelated/>' : ''}`;
      return `<epp:statement><epp:purpose>${flags(s.purpose)}</epp:purpose><epp:recipient>${recipient}</epp:recipient><epp:retention><epp:${s.retention}/></epp:retention></epp:statement>`;
    })
    .join('');
  const expiry = e.dcp.expiry ? `<epp:expiry>${'absolute' in e.dcp.expiry ? el('epp:absolute', e.dcp.expiry.absolute) : el('epp:relative', e.dcp.expiry.relative)}</epp:expiry>` : '';
  const ext = e.extURI.length > 0 ? `<${p}:svcExtension>${e.extURI.map((u) => el('epp:extURI', u)).join('')}</${p}:svcExtension>` : '';
  return `<${p}:eppParams>${e.version.map((v) => el(`${p}:version`, v)).join('')}${e.lang.map((l) => el(`${p}:lang`, l)).join('')}${e.objURI.map((u) => el(`${p}:objURI`, u)).join('')}${ext}<${p}:dcp><epp:access><epp:${e.dcp.access}/></epp:access>${statements}${expiry}</${p}:dcp></${p}:eppParams>`;
}

const policy = (p: Policy) => `<rdePolicy:policy scope="${escape(p.scope)}" element="${escape(p.element)}"/>`;

const URIS: Record<GeneratedObject['kind'], string> = {
  domain: NS_DOMAIN, host: NS_HOST, contact: NS_CONTACT, registrar: NS_REGISTRAR, idnTable: NS_IDN, nndn: NS_NNDN, eppParams: NS_EPP_PARAMS, policy: NS_POLICY,
};

/** A FULL deposit holding `objects`, with a header counting them. */
export function depositXml(tld: string, watermark: string, objects: Iterable<GeneratedObject>): string {
  const parts: string[] = [];
  const counts = new Map<string, number>();
  for (const object of objects) {
    counts.set(URIS[object.kind], (counts.get(URIS[object.kind]) ?? 0) + 1);
    switch (object.kind) {
      case 'domain': parts.push(domain(object.value)); break;
      case 'host': parts.push(host(object.value)); break;
      case 'contact': parts.push(contact(object.value)); break;
      case 'registrar': parts.push(registrar(object.value)); break;
      case 'idnTable': parts.push(idnTable(object.value)); break;
      case 'nndn': parts.push(nndn(object.value)); break;
      case 'eppParams': parts.push(eppParams(object.value)); break;
      case 'policy': parts.push(policy(object.value)); break;
    }
  }
  const xmlns = Object.entries(PREFIXES).map(([prefix, uri]) => ` xmlns:${prefix}="${uri}"`).join('');
  const menu = [...counts.keys()].map((uri) => el('rde:objURI', uri)).join('');
  const header = `<rdeHeader:header>${el('rdeHeader:tld', tld)}${[...counts].map(([uri, n]) => el('rdeHeader:count', n, attr('uri', uri))).join('')}</rdeHeader:header>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<rde:deposit type="FULL" id="1"${xmlns}>${el('rde:watermark', watermark)}<rde:rdeMenu>${el('rde:version', '1.0')}${menu}</rde:rdeMenu><rde:contents>${header}\n${parts.join('\n')}\n</rde:contents></rde:deposit>\n`;
}
