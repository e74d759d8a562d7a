/**
 * Edge cases every generated registry contains, whatever N: they take the first indices of
 * each object kind (domains D0…, contacts c0…, hosts H0…).
 *
 * Domains: nic.<tld> of the registry operator; a 63-octet ASCII label whose name server has
 * a name of the maximal 253 octets; an IDN whose A-label is 63 octets; exactly eleven
 * statuses (the XSD maximum); twelve DS records; key data only; zero contacts and no
 * registrant; the three RGP stages of pendingDelete; a pending transfer (with a subordinate
 * host in pendingTransfer); every transfer outcome; pendingCreate/Renew/Update; an
 * auto-renewed domain; the originals of IDN variants (a bundled zh-Hant variant with
 * originalName, and the names the NNDN objects mirror and block); a domain migrated from a
 * legacy registry (no crRr, never updated); client and server holds.
 *
 * Contacts: the registry operator's (both postal types, full disclose=false element); one
 * with XML-special characters (& < > " ') and non-BMP characters (emoji, CJK Extension B);
 * one with only `loc` postal info; Cyrillic, Arabic and Thai ones; a legacy one without
 * crDate/crRr/voice/street lines; every status value and every transfer outcome.
 *
 * Hosts: ns1.nic.<tld> with three IPv4 and three IPv6 addresses; IPv4-only, IPv6-only and
 * dual-stack glue; the 253-octet name; external hosts without addresses; pendingTransfer,
 * pendingDelete, pendingCreate, pendingUpdate; a transferred host (trDate); a legacy host
 * without crRr/crDate.
 */
import { domainToASCII } from 'node:url';
import type { Contact, Domain, Host, HostAddr, Status } from '../model/objects.js';
import { glue } from './addresses.js';
import { DAY, HOUR, MINUTE, addYears, anniversaryAfter, iso } from './dates.js';
import type { GeneratedDomain, NameServer, SecDnsOptions } from './domains.js';
import type { Plan } from './plan.js';
import { Rng, stringHash } from './random.js';
import { toALabel } from './names.js';
import { EXTERNAL_TLDS } from './vocabulary.js';

export const EDGE_CONTACT_COUNT = 16;
export const EDGE_HOST_COUNT = 11;
export const EDGE_DOMAIN_COUNT = 26;

const STREAM = stringHash('edge');

/** Domain-name limits (RFC 1035 §2.3.4; 253 octets in text form without the final dot). */
export const MAX_LABEL_OCTETS = 63;
export const MAX_NAME_OCTETS = 253;

/** A 63-octet LDH label starting with a digit (regular labels never do). */
export function longestAsciiLabel(): string {
  const base = '0-longest-label-of-sixty-three-octets-';
  const fill = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return (base + fill).slice(0, MAX_LABEL_OCTETS);
}

/** A German IDN label whose A-label is exactly 63 octets (searched deterministically). */
export function longestIdnLabel(): { uLabel: string; aLabel: string } {
  const bases = ['0-längste-idn-domäne-für-tests', '0-größte-idn-über-die-grenze', '1-längstmögliche-bezeichnung-ää'];
  for (const base of bases) {
    for (let pad = 0; pad < 60; pad++) {
      const uLabel = `${base}${'abcdefghijklmnopqrstuvwxyz'.repeat(3).slice(0, pad)}`;
      const aLabel = domainToASCII(uLabel);
      if (aLabel.length === MAX_LABEL_OCTETS) return { uLabel, aLabel };
    }
  }
  throw new Error('no 63-octet IDN label found');
}

/** A host name of exactly 253 octets under `domain`. */
export function longestHostName(domain: string): string {
  let remaining = MAX_NAME_OCTETS - domain.length - 1;
  const labels: string[] = [];
  let n = 0;
  while (remaining > 0) {
    // A final label of 64 would leave an empty label after the dot: split it 62 + 1.
    const size = remaining > MAX_LABEL_OCTETS + 1 ? MAX_LABEL_OCTETS : remaining === MAX_LABEL_OCTETS + 1 ? MAX_LABEL_OCTETS - 1 : remaining;
    const label = `ns${n}-${'x'.repeat(size)}`.slice(0, size).replace(/-$/, 'z');
    labels.push(label);
    remaining -= size + (remaining - size > 0 ? 1 : 0);
    n++;
  }
  return `${labels.join('.')}.${domain}`;
}

/** Names the edge cases use (also the originals the NNDN objects point at). */
export function edgeNames(plan: Plan) {
  const tld = plan.tld;
  const idn = longestIdnLabel();
  const fqdn = (label: string) => `${label}.${tld}`;
  const idnName = (uLabel: string) => ({ aName: fqdn(toALabel(uLabel)), uName: `${uLabel}.${plan.tldUnicode}` });
  return {
    nic: fqdn('nic'),
    longest: fqdn(longestAsciiLabel()),
    longestIdn: { aName: fqdn(idn.aLabel), uName: `${idn.uLabel}.${plan.tldUnicode}` },
    strasse: fqdn('strasse'),
    strasseVariant: idnName('straße'),
    library: idnName('图书馆'),
    libraryTraditional: idnName('圖書館'),
    libraryMixed: idnName('图書館'),
    libraryMixedBlocked: idnName('圖书馆'),
    sakura: idnName('東京さくら'),
    externalDomain: `edge-dns-${plan.tag}.${plan.externalTlds(EXTERNAL_TLDS)[0]}`,
  };
}

/** The edge external hosts (no glue), also the fallback name servers of tiny registries. */
export function edgeExternalHosts(plan: Plan): Array<{ index: number; name: string }> {
  const domain = edgeNames(plan).externalDomain;
  return [
    { index: 4, name: `ns1.${domain}` },
    { index: 5, name: `ns2.${domain}` },
  ];
}

// ---- registrars ----------------------------------------------------------------------------

function registrars(plan: Plan) {
  return {
    ry: plan.registryOperator.id,
    a: plan.slot(0).id,
    b: plan.slot(1).id,
    c: plan.slot(2).id,
    /** The terminated registrar: sponsors nothing, appears only as the loser of a transfer. */
    gone: plan.slot(plan.regularRegistrarCount - 2).id,
  };
}

const s = (value: string, lang?: string, text?: string): Status => ({ s: value, ...(lang ? { lang } : {}), ...(text ? { text } : {}) });

// ---- contacts ------------------------------------------------------------------------------

export function edgeContacts(plan: Plan): Contact[] {
  const rr = registrars(plan);
  const at = (days: number) => iso(plan.asOf - days * DAY);
  const id = (n: number) => plan.contactId(n);
  const roid = (n: number) => plan.contactRoid(n);
  const base = (n: number, clID: string) => ({ id: id(n), roid: roid(n), clID });
  const contacts: Contact[] = [
    {
      ...base(0, rr.ry),
      status: [s('serverDeleteProhibited'), s('serverTransferProhibited'), s('serverUpdateProhibited'), s('linked')],
      postalInfo: [
        { type: 'int', name: 'Registry Operations', org: `${plan.tld.toUpperCase()} Registry Operator Limited`, addr: { street: ['18/F Harbour Centre', '25 Harbour Road', 'Wan Chai'], city: 'Hong Kong', cc: 'HK' } },
        { type: 'loc', name: '註冊局營運部', org: `${plan.tld.toUpperCase()} 註冊局營運有限公司`, addr: { street: ['灣仔港灣道25號', '海港中心18樓'], city: '香港', cc: 'HK' } },
      ],
      voice: { number: '+852.28271234', ext: '100' },
      fax: { number: '+852.28271299' },
      email: `registry-ops@nic.${plan.tld}`,
      crRr: { id: rr.ry, client: 'registry-admin' },
      crDate: iso(plan.launch - 10 * DAY),
      upRr: { id: rr.ry },
      upDate: at(400),
      disclose: { flag: false, name: ['int', 'loc'], org: ['int'], addr: ['int', 'loc'], voice: true, fax: true, email: true },
    },
    {
      ...base(1, rr.a),
      status: [s('clientDeleteProhibited'), s('clientTransferProhibited', 'en', 'Locked: "owner" asked for <registrar lock> & 2FA'), s('linked')],
      postalInfo: [
        { type: 'int', name: "Sean O'Brien", org: 'O\'Brien & Sons "Holdings" <Ltd>', addr: { street: ['Unit 5 & 6, <Rear Yard>', '"The Old Mill"', "Quay's End"], city: 'Galway', sp: 'Co. Galway', pc: 'H91 X2Y3', cc: 'IE' } },
        { type: 'loc', name: 'Seán Ó Briain 🍀', org: 'Ó Briain & a Mhic "Teo." <Éire> 🏰', addr: { street: ['Aonad 5 & 6 <Clós Cúil>', '«An Seanmhuileann» 𝔐𝔲𝔦𝔩𝔩𝔢𝔞𝔫𝔫', 'Ceann na Céibhe'], city: 'Gaillimh', sp: 'Co. na Gaillimhe', pc: 'H91 X2Y3', cc: 'IE' } },
      ],
      voice: { number: '+353.91555123' },
      email: "o'brien&sons@example.com",
      crRr: { id: rr.a },
      crDate: iso(plan.gaStart + 3 * DAY),
      upRr: { id: rr.a, client: "o'brien-portal" },
      upDate: at(30),
      disclose: { flag: true, name: [], org: [], addr: [], voice: true, fax: false, email: true },
    },
    {
      ...base(2, rr.a),
      status: [s('ok'), s('linked')],
      postalInfo: [{ type: 'loc', name: '𠮷田 太郎', org: '株式会社𠮷田商店', addr: { street: ['丸の内一丁目2番3号', '𠮷田ビル5階'], city: '千代田区', sp: '東京都', pc: '100-0005', cc: 'JP' } }],
      voice: { number: '+81.352001234', ext: '1234' },
      fax: { number: '+81.352001299', ext: '9' },
      email: 'yoshida.taro@mail.example.com',
      crRr: { id: rr.a, client: 'web-1' },
      crDate: iso(plan.gaStart + 4 * DAY),
    },
    {
      ...base(3, rr.b),
      status: [s('clientUpdateProhibited', 'ru', 'Заблокировано по просьбе владельца'), s('linked')],
      postalInfo: [
        { type: 'int', name: 'Ivan Petrov', org: 'OOO Romashka', addr: { street: ['ul. Krasny Prospekt, d. 1'], city: 'Novosibirsk', sp: 'Novosibirsk Oblast', pc: '630099', cc: 'RU' } },
        { type: 'loc', name: 'Иван Петров', org: 'ООО «Ромашка»', addr: { street: ['ул. Красный проспект, д. 1'], city: 'Новосибирск', sp: 'Новосибирская область', pc: '630099', cc: 'RU' } },
      ],
      voice: { number: '+7.3832123456' },
      email: 'ivan.petrov@example.org',
      crRr: { id: rr.b },
      crDate: iso(plan.gaStart + 5 * DAY),
      upRr: { id: rr.b },
      upDate: at(100),
    },
    {
      // Migrated from a legacy registry: no creation data, no phone, no street.
      ...base(4, rr.c),
      status: [s('ok', 'en', 'Imported from the legacy registry'), s('linked')],
      postalInfo: [{ type: 'int', name: 'Legacy Import Holder', addr: { street: [], city: 'Wellington', cc: 'NZ' } }],
      email: 'legacy-holder@example.net',
      disclose: { flag: false, name: [], org: [], addr: ['int'], voice: false, fax: false, email: false },
    },
    {
      ...base(5, rr.a),
      status: [s('pendingTransfer')],
      postalInfo: [{ type: 'int', name: 'Pending Transfer', addr: { street: ['1 Transfer Way'], city: 'Austin', sp: 'TX', pc: '73301', cc: 'US' } }],
      voice: { number: '+1.5125550100' },
      email: 'pending.transfer@example.com',
      crRr: { id: rr.a },
      crDate: at(500),
      trnData: { trStatus: 'pending', reRr: { id: rr.b, client: 'bulk-7' }, reDate: at(2), acRr: { id: rr.a, client: 'api-3' }, acDate: iso(plan.asOf + 3 * DAY) },
    },
    { ...base(6, rr.b), status: [s('pendingDelete', 'fr', 'Suppression demandée par le bureau d\'enregistrement')], postalInfo: [{ type: 'int', name: 'Old Contact', addr: { street: ['2 Rue Vieille'], city: 'Paris', pc: '75001', cc: 'FR' } }], email: 'old@example.org', crRr: { id: rr.b }, crDate: at(2000), upRr: { id: rr.b }, upDate: at(1) },
    { ...base(7, rr.c), status: [s('pendingCreate')], postalInfo: [{ type: 'int', name: 'New Contact', addr: { street: ['3 New Street'], city: 'London', pc: 'EC1A 1BB', cc: 'GB' } }], email: 'new@example.net', crRr: { id: rr.c }, crDate: iso(plan.asOf - 2 * HOUR) },
    {
      ...base(8, rr.a),
      status: [s('pendingUpdate'), s('serverDeleteProhibited'), s('serverTransferProhibited'), s('linked')],
      postalInfo: [{ type: 'int', name: 'Under Review', org: 'Review & Compliance', addr: { street: ['4 Audit Road', 'Floor 2'], city: 'Sydney', sp: 'NSW', pc: '2000', cc: 'AU' } }],
      voice: { number: '+61.291234567', ext: '42' },
      email: 'review@example.com',
      crRr: { id: rr.a },
      crDate: at(900),
      upRr: { id: rr.ry, client: 'compliance' },
      upDate: at(3),
    },
    {
      ...base(9, rr.b),
      status: [s('ok'), s('linked')],
      postalInfo: [{ type: 'int', name: 'Moved Holder', addr: { street: ['5 Gainer Avenue'], city: 'Toronto', sp: 'ON', pc: 'M5H 2N2', cc: 'CA' } }],
      voice: { number: '+1.4165550199' },
      email: 'moved@example.org',
      crRr: { id: rr.c },
      crDate: at(1500),
      trDate: at(600),
      trnData: { trStatus: 'clientApproved', reRr: { id: rr.b }, reDate: at(604), acRr: { id: rr.c, client: 'epp-2' }, acDate: at(600) },
    },
  ];
  const refused = (n: number, trStatus: string, clID: string, other: string, days: number): Contact => ({
    ...base(n, clID),
    status: [s('ok')],
    postalInfo: [{ type: 'int', name: `Transfer ${trStatus}`, addr: { street: [`${n} Outcome Street`], city: 'Berlin', pc: '10115', cc: 'DE' } }],
    email: `transfer-${trStatus.toLowerCase()}@example.com`,
    crRr: { id: clID },
    crDate: at(days + 200),
    trnData: { trStatus, reRr: { id: other }, reDate: at(days), acRr: { id: clID }, acDate: at(days - 3) },
  });
  contacts.push(refused(10, 'clientRejected', rr.a, rr.b, 50), refused(11, 'clientCancelled', rr.b, rr.c, 70), refused(13, 'serverCancelled', rr.a, rr.c, 90));
  contacts.push({
    ...base(12, rr.c),
    status: [s('serverUpdateProhibited')],
    postalInfo: [{ type: 'int', name: 'Transfer serverApproved', addr: { street: ['12 Outcome Street'], city: 'Berlin', pc: '10115', cc: 'DE' } }],
    email: 'transfer-serverapproved@example.com',
    crRr: { id: rr.a },
    crDate: at(800),
    trDate: at(300),
    trnData: { trStatus: 'serverApproved', reRr: { id: rr.c }, reDate: at(305), acRr: { id: rr.a }, acDate: at(300) },
  });
  contacts.push({
    ...base(14, rr.a),
    status: [s('clientDeleteProhibited'), s('linked')],
    postalInfo: [
      { type: 'int', name: 'Mohamed Ali', addr: { street: ['12 Tahrir Street', 'Apartment 4'], city: 'Cairo', cc: 'EG' } },
      { type: 'loc', name: 'محمد علي', org: 'شركة النيل للتجارة', addr: { street: ['١٢ شارع التحرير', 'شقة ٤'], city: 'القاهرة', cc: 'EG' } },
    ],
    voice: { number: '+20.225551234' },
    email: 'mohamed.ali@example.net',
    crRr: { id: rr.a },
    crDate: iso(plan.gaStart + 6 * DAY),
  });
  contacts.push({
    ...base(15, rr.c),
    status: [s('ok')],
    postalInfo: [{ type: 'loc', name: 'สมชาย ใจดี', addr: { street: ['99 ถนนสุขุมวิท'], city: 'กรุงเทพมหานคร', pc: '10110', cc: 'TH' } }],
    email: 'somchai@example.org',
    crRr: { id: rr.c, client: 'web-5' },
    crDate: at(60),
  });
  contacts.sort((x, y) => Number(x.roid.slice(1, x.roid.indexOf('-'))) - Number(y.roid.slice(1, y.roid.indexOf('-'))));
  return contacts;
}

// ---- hosts ---------------------------------------------------------------------------------

const STREAM_GLUE = stringHash('edge/glue');

export function edgeHosts(plan: Plan): Host[] {
  const rr = registrars(plan);
  const names = edgeNames(plan);
  const at = (days: number) => iso(plan.asOf - days * DAY);
  const addrs = (n: number, v4: number, v6: number): HostAddr[] => glue(plan.key, STREAM_GLUE, n, 0, v4, v6);
  const [external1, external2] = edgeExternalHosts(plan);
  const h = (n: number, host: Omit<Host, 'roid'>): Host => ({ roid: plan.hostRoid(n), ...host });
  return [
    h(0, { name: `ns1.${names.nic}`, status: [s('serverDeleteProhibited'), s('serverUpdateProhibited', 'en', 'Registry infrastructure'), s('linked')], addr: addrs(0, 3, 3), clID: rr.ry, crRr: { id: rr.ry, client: 'registry-admin' }, crDate: iso(plan.launch - DAY), upRr: { id: rr.ry, client: 'registry-admin' }, upDate: at(200) }),
    h(1, { name: `ns2.${names.nic}`, status: [s('ok'), s('linked')], addr: addrs(1, 1, 1), clID: rr.ry, crRr: { id: rr.ry }, crDate: iso(plan.launch - DAY + MINUTE) }),
    h(2, { name: longestHostName(names.longest), status: [s('ok'), s('linked')], addr: addrs(2, 0, 1), clID: rr.a, crRr: { id: rr.a }, crDate: iso(plan.gaStart + 10 * DAY) }),
    h(3, { name: `ns2.${names.longest}`, status: [s('clientDeleteProhibited'), s('clientUpdateProhibited'), s('linked')], addr: addrs(3, 1, 0), clID: rr.a, crRr: { id: rr.a, client: 'api-1' }, crDate: iso(plan.gaStart + 10 * DAY + MINUTE) }),
    h(4, { name: (external1 as { name: string }).name, status: [s('ok'), s('linked')], addr: [], clID: rr.c, crRr: { id: rr.c }, crDate: iso(plan.launch + DAY) }),
    h(5, { name: (external2 as { name: string }).name, status: [s('pendingUpdate'), s('linked')], addr: [], clID: rr.c, crRr: { id: rr.c }, crDate: iso(plan.launch + DAY), upRr: { id: rr.c }, upDate: at(1) }),
    h(6, { name: `ns1.pending-transfer.${plan.tld}`, status: [s('pendingTransfer'), s('linked')], addr: addrs(6, 1, 0), clID: rr.a, crRr: { id: rr.a }, crDate: at(399) }),
    h(7, { name: `ns1.transferred.${plan.tld}`, status: [s('clientUpdateProhibited'), s('linked')], addr: addrs(7, 1, 1), clID: rr.b, crRr: { id: rr.gone }, crDate: at(799), upRr: { id: rr.b, client: 'bulk-1' }, upDate: at(1), trDate: at(2) }),
    h(8, { name: `old.${names.nic}`, status: [s('pendingDelete')], addr: addrs(8, 1, 0), clID: rr.ry, crRr: { id: rr.ry }, crDate: iso(plan.launch), upRr: { id: rr.ry }, upDate: at(1) }),
    h(9, { name: `new.${names.nic}`, status: [s('pendingCreate')], addr: addrs(9, 0, 2), clID: rr.ry, crRr: { id: rr.ry }, crDate: iso(plan.asOf - HOUR) }),
    h(10, { name: `ns.legacy-${plan.tag}.${plan.externalTlds(EXTERNAL_TLDS)[2]}`, status: [s('ok'), s('linked')], addr: [], clID: rr.c }),
  ];
}

// ---- domains -------------------------------------------------------------------------------

export function edgeDomains(plan: Plan, tools: {
  nameServers: (servers: readonly NameServer[]) => { ns?: Domain['ns']; nsRoids?: string[] };
  secDns: (rng: Rng, owner: string, kind: 'ds' | 'ds+key' | 'key', count: number, options?: SecDnsOptions) => NonNullable<Domain['secDNS']>;
}): GeneratedDomain[] {
  const rr = registrars(plan);
  const names = edgeNames(plan);
  const hosts = edgeHosts(plan);
  const server = (n: number): NameServer => {
    const host = hosts[n] as Host;
    return { name: host.name, roid: host.roid, addrs: host.addr };
  };
  const pair = [server(4), server(5)];
  const at = (days: number) => plan.asOf - days * DAY;
  const c = (n: number) => plan.contactId(n);
  const out: GeneratedDomain[] = [];
  const add = (n: number, spec: Omit<Domain, 'roid' | 'rgpStatus' | 'contact' | 'crDate' | 'exDate'> & { rgpStatus?: Status[]; contact?: Domain['contact']; created: number; expires?: number; servers?: NameServer[] }) => {
    const { created, expires, servers = pair, rgpStatus = [], contact = [], ...rest } = spec;
    const { ns, nsRoids } = tools.nameServers(servers);
    const domain: Domain = {
      ...rest,
      roid: plan.domainRoid(n),
      rgpStatus,
      contact,
      ...(ns ? { ns } : {}),
      crDate: iso(created),
      exDate: iso(expires ?? anniversaryAfter(created, plan.asOf)),
    };
    out.push(nsRoids ? { domain, nsRoids } : { domain });
  };
  const rng = (n: number) => Rng.forObject(plan.key, STREAM, n);
  const fqdn = (label: string) => `${label}.${plan.tld}`;

  add(0, {
    name: names.nic, status: [s('serverDeleteProhibited'), s('serverTransferProhibited'), s('serverUpdateProhibited'), s('serverRenewProhibited')],
    registrant: c(0), contact: [{ type: 'admin', id: c(0) }, { type: 'tech', id: c(0) }, { type: 'billing', id: c(0) }],
    servers: [server(0), server(1)], clID: rr.ry, crRr: { id: rr.ry, client: 'registry-admin' }, created: plan.launch, expires: addYears(plan.launch, 11),
    secDNS: tools.secDns(rng(0), names.nic, 'ds', 1, { algs: [13], digestTypes: [2], maxSigLife: 86400 }),
  });
  add(1, {
    name: names.longest, status: [s('clientTransferProhibited')], registrant: c(1),
    contact: [{ type: 'admin', id: c(2) }, { type: 'tech', id: c(3) }, { type: 'tech', id: c(1) }],
    servers: [server(2), server(3)], clID: rr.a, crRr: { id: rr.a }, created: plan.gaStart + 10 * DAY, upRr: { id: rr.a, client: 'api-1' }, upDate: iso(at(40)),
  });
  add(2, {
    name: names.longestIdn.aName, uName: names.longestIdn.uName, idnTableId: 'de', status: [s('ok')], registrant: c(3), contact: [{ type: 'admin', id: c(3) }],
    clID: rr.b, crRr: { id: rr.b }, created: at(700),
  });
  add(3, {
    name: fqdn('11-statuses'),
    status: [
      s('clientDeleteProhibited'), s('clientHold', 'en', 'Payment <overdue> & "disputed"'), s('clientRenewProhibited'), s('clientTransferProhibited'), s('clientUpdateProhibited'),
      s('serverDeleteProhibited', 'fr', 'Décision de justice n° 2024/17'), s('serverHold'), s('serverRenewProhibited'), s('serverTransferProhibited'), s('serverUpdateProhibited'), s('inactive'),
    ],
    registrant: c(1), contact: [{ type: 'tech', id: c(1) }], servers: [], clID: rr.a, crRr: { id: rr.a }, created: at(1200), upRr: { id: rr.ry, client: 'legal' }, upDate: iso(at(20)),
  });
  add(4, {
    name: fqdn('12-ds-records'), status: [s('ok')], registrant: c(3), clID: rr.b, crRr: { id: rr.b }, created: at(1000),
    // Every third DS record carries its key data.
    secDNS: tools.secDns(rng(4), fqdn('12-ds-records'), 'ds', 12, {
      algs: [8, 8, 13, 13, 13, 15, 15, 14, 13, 8, 13, 16], digestTypes: [2, 4, 2, 1, 4, 2, 4, 2, 2, 1, 2, 2], maxSigLife: 604800, keyDataFor: (n) => n % 3 === 0,
    }),
  });
  add(5, {
    name: fqdn('key-data-only'), status: [s('clientTransferProhibited')], registrant: c(9), contact: [{ type: 'tech', id: c(9) }], clID: rr.b, crRr: { id: rr.b }, created: at(600),
    secDNS: tools.secDns(rng(5), fqdn('key-data-only'), 'key', 3, { algs: [13, 13, 15] }),
  });
  add(6, { name: fqdn('0-contacts'), status: [s('ok')], clID: rr.c, crRr: { id: rr.c }, created: at(300) });
  add(7, {
    name: fqdn('0-redemption'), status: [s('pendingDelete')], rgpStatus: [s('redemptionPeriod')], registrant: c(1), clID: rr.a, crRr: { id: rr.a },
    created: addYears(at(10), -2), expires: at(10), upRr: { id: rr.a }, upDate: iso(at(8)),
  });
  add(8, {
    name: fqdn('0-pending-delete'), status: [s('pendingDelete', 'en', 'Deleted by the registrar')], rgpStatus: [s('pendingDelete')], registrant: c(2), clID: rr.a, crRr: { id: rr.a },
    created: at(800), expires: addYears(at(800), 3), upRr: { id: rr.a, client: 'web-2' }, upDate: iso(at(32)),
  });
  add(9, {
    name: fqdn('0-pending-restore'), status: [s('pendingDelete')], rgpStatus: [s('pendingRestore', 'en', 'Restore report due')], registrant: c(3), clID: rr.b, crRr: { id: rr.b },
    created: at(900), upRr: { id: rr.b }, upDate: iso(at(3)),
  });
  add(10, {
    name: `pending-transfer.${plan.tld}`, status: [s('pendingTransfer')], registrant: c(1), contact: [{ type: 'admin', id: c(1) }],
    servers: [server(6), server(4)], clID: rr.a, crRr: { id: rr.a }, created: at(400),
    trnData: { trStatus: 'pending', reRr: { id: rr.c, client: 'bulk-3' }, reDate: iso(at(2)), acRr: { id: rr.a, client: 'api-9' }, acDate: iso(plan.asOf + 3 * DAY), exDate: iso(addYears(anniversaryAfter(at(400), plan.asOf), 1)) },
  });
  add(11, {
    name: `transferred.${plan.tld}`, status: [s('ok')], rgpStatus: [s('transferPeriod')], registrant: c(9), servers: [server(7), server(5)], clID: rr.b, crRr: { id: rr.gone, client: 'legacy-api' },
    created: at(800), expires: addYears(anniversaryAfter(at(800), plan.asOf), 1), upRr: { id: rr.b }, upDate: iso(at(1)), trDate: iso(at(2)),
    trnData: { trStatus: 'serverApproved', reRr: { id: rr.b }, reDate: iso(at(7)), acRr: { id: rr.gone }, acDate: iso(at(2)), exDate: iso(addYears(anniversaryAfter(at(800), plan.asOf), 1)) },
  });
  const outcome = (n: number, trStatus: string, clID: string, other: string, days: number, registrant: string) =>
    add(n, {
      name: fqdn(`0-transfer-${trStatus.toLowerCase()}`), status: [s('ok')], registrant, clID, crRr: { id: trStatus === 'clientApproved' ? other : clID }, created: at(days + 400),
      ...(trStatus === 'clientApproved' ? { trDate: iso(at(days - 5)) } : {}),
      trnData: trStatus === 'clientApproved'
        ? { trStatus, reRr: { id: clID }, reDate: iso(at(days)), acRr: { id: other, client: 'web-3' }, acDate: iso(at(days - 5)) }
        : { trStatus, reRr: { id: other, client: 'bulk-2' }, reDate: iso(at(days)), acRr: { id: clID }, acDate: iso(at(days - 2)) },
    });
  outcome(12, 'clientApproved', rr.b, rr.a, 120, c(9));
  outcome(13, 'clientRejected', rr.a, rr.b, 40, c(2));
  outcome(14, 'clientCancelled', rr.a, rr.c, 60, c(2));
  outcome(15, 'serverCancelled', rr.b, rr.a, 80, c(3));
  add(16, { name: fqdn('0-pending-create'), status: [s('pendingCreate', 'en', 'Awaiting launch-phase validation')], rgpStatus: [s('addPeriod')], registrant: c(1), clID: rr.a, crRr: { id: rr.a, client: 'launch' }, created: at(1) });
  add(17, {
    name: fqdn('0-pending-renew'), status: [s('pendingRenew')], rgpStatus: [s('renewPeriod')], registrant: c(3), clID: rr.b, crRr: { id: rr.b }, created: at(1500),
    expires: addYears(anniversaryAfter(at(1500), plan.asOf), 1), upRr: { id: rr.b }, upDate: iso(at(2)),
  });
  add(18, { name: fqdn('0-pending-update'), status: [s('pendingUpdate'), s('clientTransferProhibited')], registrant: c(8), clID: rr.a, crRr: { id: rr.a }, created: at(900), upRr: { id: rr.a }, upDate: iso(at(1)) });
  add(19, {
    name: fqdn('0-auto-renewed'), status: [s('clientDeleteProhibited'), s('clientTransferProhibited'), s('clientUpdateProhibited')], rgpStatus: [s('autoRenewPeriod')], registrant: c(9), clID: rr.b, crRr: { id: rr.b },
    created: addYears(at(10), -3), expires: addYears(at(10), 1), upRr: { id: rr.ry, client: 'autorenew' }, upDate: iso(at(10)),
  });
  add(20, { name: names.strasse, status: [s('ok')], registrant: c(1), contact: [{ type: 'admin', id: c(1) }], clID: rr.a, crRr: { id: rr.a }, created: at(2500) });
  add(21, { name: names.library.aName, uName: names.library.uName, idnTableId: 'zh-Hans', status: [s('ok')], registrant: c(4), clID: rr.c, crRr: { id: rr.c }, created: at(1800), servers: [server(0), server(1)] });
  add(22, {
    name: names.libraryTraditional.aName, uName: names.libraryTraditional.uName, idnTableId: 'zh-Hant', originalName: names.library.aName, status: [s('ok')], registrant: c(4),
    clID: rr.c, crRr: { id: rr.c }, created: at(1800) + 5 * MINUTE, servers: [server(0), server(1)],
  });
  add(23, {
    name: fqdn('0-legacy-import'), status: [s('ok', 'en', 'Migrated from the legacy registry system')], registrant: c(4), contact: [{ type: 'admin', id: c(4) }], clID: rr.c,
    created: addYears(plan.launch, -4), servers: [server(10), server(4)],
  });
  add(24, {
    name: names.sakura.aName, uName: names.sakura.uName, idnTableId: 'ja', status: [s('clientHold', 'ja', '支払い待ち')], registrant: c(2), contact: [{ type: 'tech', id: c(2) }],
    clID: rr.a, crRr: { id: rr.a, client: 'web-1' }, created: at(450), upRr: { id: rr.a }, upDate: iso(at(15)),
  });
  add(25, {
    name: fqdn('0-server-hold'), status: [s('serverHold', 'en', 'Abuse report #4711 & <phishing>')], registrant: c(8), contact: [{ type: 'admin', id: c(14) }, { type: 'billing', id: c(8) }],
    clID: rr.a, crRr: { id: rr.a }, created: at(200), upRr: { id: rr.ry, client: 'abuse-desk' }, upDate: iso(at(5)),
    secDNS: tools.secDns(rng(25), fqdn('0-server-hold'), 'ds+key', 1, { algs: [8], digestTypes: [2] }),
  });
  return out;
}
