/**
 * Model objects (src/model/objects.ts) → rows of the reference schema
 * (migrations/001_reference_schema.sql), as PostgreSQL COPY text-format lines.
 *
 * Kept apart from the generator so anything that has objects and wants them in the reference
 * schema (the generator, a churn workload, a rebuild) writes the same rows the same way.
 * `TABLES` lists the tables in foreign-key load order with the columns each line carries.
 */
import { copyField, type CopyField } from '../sources/copy-text.js';
import type { Contact, Domain, EppParams, Host, IdnTableRef, Nndn, Policy, Registrar, RegistrarRef, Status } from '../model/objects.js';

export const TABLES = {
  tld: ['name', 'roid_suffix', 'host_model', 'data_model', 'created'],
  registrar: ['id', 'name', 'gurid', 'status', 'voice', 'voice_x', 'fax', 'fax_x', 'email', 'url', 'whois_name', 'whois_url', 'cr_date', 'up_date'],
  registrar_postal: ['registrar_id', 'ord', 'type', 'street', 'city', 'sp', 'pc', 'cc'],
  idn_table: ['tld', 'id', 'url', 'url_policy'],
  epp_params: ['tld', 'version', 'lang', 'obj_uri', 'ext_uri', 'dcp'],
  policy: ['tld', 'ord', 'scope', 'element'],
  contact: [
    'id', 'roid', 'voice', 'voice_x', 'fax', 'fax_x', 'email', 'cl_id', 'cr_rr', 'cr_rr_client', 'cr_date', 'up_rr', 'up_rr_client', 'up_date',
    'tr_date', 'tr_status', 're_rr', 're_rr_client', 're_date', 'ac_rr', 'ac_rr_client', 'ac_date',
    'disclose_flag', 'disclose_name', 'disclose_org', 'disclose_addr', 'disclose_voice', 'disclose_fax', 'disclose_email',
  ],
  contact_status: ['contact_id', 'ord', 's', 'lang', 'msg'],
  contact_postal: ['contact_id', 'ord', 'type', 'name', 'org', 'street', 'city', 'sp', 'pc', 'cc'],
  host: ['roid', 'name', 'cl_id', 'cr_rr', 'cr_rr_client', 'cr_date', 'up_rr', 'up_rr_client', 'up_date', 'tr_date'],
  host_status: ['host_roid', 'ord', 's', 'lang', 'msg'],
  host_addr: ['host_roid', 'ord', 'ip', 'addr'],
  domain: [
    'roid', 'name', 'tld', 'u_name', 'idn_table_id', 'original_name', 'registrant', 'cl_id', 'cr_rr', 'cr_rr_client', 'cr_date', 'ex_date',
    'up_rr', 'up_rr_client', 'up_date', 'max_sig_life', 'tr_date', 'tr_status', 're_rr', 're_rr_client', 're_date', 'ac_rr', 'ac_rr_client',
    'ac_date', 'tr_ex_date',
  ],
  domain_status: ['domain_roid', 'ord', 's', 'lang', 'msg'],
  domain_rgp_status: ['domain_roid', 'ord', 's', 'lang', 'msg'],
  domain_contact: ['domain_roid', 'ord', 'type', 'contact_id'],
  domain_ns: ['domain_roid', 'ord', 'host_roid'],
  domain_ns_attr: ['domain_roid', 'ord', 'host_name'],
  domain_ns_attr_addr: ['domain_roid', 'ns_ord', 'ord', 'ip', 'addr'],
  domain_ds: ['domain_roid', 'ord', 'key_tag', 'alg', 'digest_type', 'digest', 'key_flags', 'key_protocol', 'key_alg', 'key_pub'],
  domain_key: ['domain_roid', 'ord', 'flags', 'protocol', 'alg', 'pub_key'],
  nndn: ['a_name', 'tld', 'u_name', 'idn_table_id', 'original_name', 'name_state', 'mirroring_ns', 'cr_date'],
} as const satisfies Record<string, readonly string[]>;

export type TableName = keyof typeof TABLES;

/** All tables in foreign-key load order. */
export const TABLE_ORDER = Object.keys(TABLES) as TableName[];

/** `COPY registry.<table> (<columns>) FROM STDIN` for a table. */
export function copyStatement(table: TableName): string {
  return `COPY registry.${table} (${TABLES[table].join(', ')}) FROM STDIN`;
}

/** Where rows go: one call per line (the line ends in "\n"). */
export interface RowSink {
  row(table: TableName, line: string): void;
}

/** A text[] literal (before COPY escaping): elements quoted when they need it. */
export function arrayLiteral(values: readonly string[]): string {
  const items = values.map((v) => (v === '' || /^null$/i.test(v) || /[{}",\\\s]/.test(v) ? `"${v.replace(/(["\\])/g, '\\$1')}"` : v));
  return `{${items.join(',')}}`;
}

function line(fields: readonly CopyField[]): string {
  let out = copyField(fields[0]);
  for (let index = 1; index < fields.length; index++) out += `\t${copyField(fields[index])}`;
  return `${out}\n`;
}

function rr(ref: RegistrarRef | undefined): [string | undefined, string | undefined] {
  return [ref?.id, ref?.client];
}

function statusRows(sink: RowSink, table: 'contact_status' | 'host_status' | 'domain_status' | 'domain_rgp_status', key: string, statuses: readonly Status[]): void {
  statuses.forEach((status, ord) => sink.row(table, line([key, ord, status.s, status.lang, status.text])));
}

export function tldRow(sink: RowSink, tld: { name: string; roidSuffix: string; hostModel: string; dataModel: string; created: string }): void {
  sink.row('tld', line([tld.name, tld.roidSuffix, tld.hostModel, tld.dataModel, tld.created]));
}

export function registrarRows(sink: RowSink, r: Registrar): void {
  sink.row('registrar', line([
    r.id, r.name, r.gurid, r.status, r.voice?.number, r.voice?.ext, r.fax?.number, r.fax?.ext, r.email, r.url, r.whoisInfo?.name, r.whoisInfo?.url, r.crDate, r.upDate,
  ]));
  r.postalInfo.forEach((p, ord) => sink.row('registrar_postal', line([r.id, ord, p.type, arrayLiteral(p.addr.street), p.addr.city, p.addr.sp, p.addr.pc, p.addr.cc])));
}

export function contactRows(sink: RowSink, c: Contact): void {
  const [crRr, crClient] = rr(c.crRr);
  const [upRr, upClient] = rr(c.upRr);
  const t = c.trnData;
  const d = c.disclose;
  sink.row('contact', line([
    c.id, c.roid, c.voice?.number, c.voice?.ext, c.fax?.number, c.fax?.ext, c.email, c.clID, crRr, crClient, c.crDate, upRr, upClient, c.upDate,
    c.trDate, t?.trStatus, t?.reRr.id, t?.reRr.client, t?.reDate, t?.acRr.id, t?.acRr.client, t?.acDate,
    d?.flag, arrayLiteral(d?.name ?? []), arrayLiteral(d?.org ?? []), arrayLiteral(d?.addr ?? []), d?.voice ?? false, d?.fax ?? false, d?.email ?? false,
  ]));
  statusRows(sink, 'contact_status', c.id, c.status);
  c.postalInfo.forEach((p, ord) =>
    sink.row('contact_postal', line([c.id, ord, p.type, p.name, p.org, arrayLiteral(p.addr.street), p.addr.city, p.addr.sp, p.addr.pc, p.addr.cc])),
  );
}

export function hostRows(sink: RowSink, h: Host): void {
  const [crRr, crClient] = rr(h.crRr);
  const [upRr, upClient] = rr(h.upRr);
  sink.row('host', line([h.roid, h.name, h.clID, crRr, crClient, h.crDate, upRr, upClient, h.upDate, h.trDate]));
  statusRows(sink, 'host_status', h.roid, h.status);
  h.addr.forEach((a, ord) => sink.row('host_addr', line([h.roid, ord, a.ip, a.addr])));
}

/**
 * A domain's rows. In the host-object model `nsRoids` gives the roid of each `hostObj` (the
 * schema links domains to host objects by roid); in the attribute model it is not needed.
 */
export function domainRows(sink: RowSink, d: Domain, tld: string, nsRoids?: readonly string[]): void {
  const [crRr, crClient] = rr(d.crRr);
  const [upRr, upClient] = rr(d.upRr);
  const t = d.trnData;
  sink.row('domain', line([
    d.roid, d.name, tld, d.uName, d.idnTableId, d.originalName, d.registrant, d.clID, crRr, crClient, d.crDate, d.exDate,
    upRr, upClient, d.upDate, d.secDNS?.maxSigLife, d.trDate, t?.trStatus, t?.reRr.id, t?.reRr.client, t?.reDate, t?.acRr.id, t?.acRr.client,
    t?.acDate, t?.exDate,
  ]));
  statusRows(sink, 'domain_status', d.roid, d.status);
  statusRows(sink, 'domain_rgp_status', d.roid, d.rgpStatus);
  d.contact.forEach((c, ord) => sink.row('domain_contact', line([d.roid, ord, c.type, c.id])));
  if (d.ns && 'hostObj' in d.ns) {
    if (!nsRoids || nsRoids.length !== d.ns.hostObj.length) throw new Error(`domain ${d.name}: host roids missing for its hostObj name servers`);
    nsRoids.forEach((roid, ord) => sink.row('domain_ns', line([d.roid, ord, roid])));
  } else if (d.ns) {
    d.ns.hostAttr.forEach((attr, nsOrd) => {
      sink.row('domain_ns_attr', line([d.roid, nsOrd, attr.hostName]));
      attr.hostAddr.forEach((a, ord) => sink.row('domain_ns_attr_addr', line([d.roid, nsOrd, ord, a.ip, a.addr])));
    });
  }
  if (d.secDNS && 'dsData' in d.secDNS) {
    d.secDNS.dsData.forEach((ds, ord) =>
      sink.row('domain_ds', line([d.roid, ord, ds.keyTag, ds.alg, ds.digestType, ds.digest, ds.keyData?.flags, ds.keyData?.protocol, ds.keyData?.alg, ds.keyData?.pubKey])),
    );
  } else if (d.secDNS) {
    d.secDNS.keyData.forEach((k, ord) => sink.row('domain_key', line([d.roid, ord, k.flags, k.protocol, k.alg, k.pubKey])));
  }
}

export function idnTableRow(sink: RowSink, tld: string, t: IdnTableRef): void {
  sink.row('idn_table', line([tld, t.id, t.url, t.urlPolicy]));
}

export function nndnRow(sink: RowSink, tld: string, n: Nndn): void {
  sink.row('nndn', line([n.aName, tld, n.uName, n.idnTableId, n.originalName, n.nameState, n.mirroringNS, n.crDate]));
}

export function eppParamsRow(sink: RowSink, tld: string, e: EppParams): void {
  sink.row('epp_params', line([tld, arrayLiteral(e.version), arrayLiteral(e.lang), arrayLiteral(e.objURI), arrayLiteral(e.extURI), JSON.stringify(e.dcp)]));
}

export function policyRow(sink: RowSink, tld: string, ord: number, p: Policy): void {
  sink.row('policy', line([tld, ord, p.scope, p.element]));
}
