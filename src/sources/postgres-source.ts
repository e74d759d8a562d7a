/**
 * The PostgreSQL `RegistrySource`: reads the read contract (the `rde.*` views, see
 * migrations/001_reference_schema.sql and docs/schema-mapping.md) inside ONE transaction,
 * REPEATABLE READ READ ONLY. On the server such a transaction takes no locks that block
 * writers: registrations continue while a deposit is written, and the deposit still shows
 * exactly the snapshot. The same SQL runs on the embedded database.
 *
 * Reading strategy (bounded memory at any size, identical on both database kinds):
 * - parents are read page by page with keyset pagination in key order
 *   (`WHERE key > last ORDER BY key COLLATE "C" LIMIT n`), which inside one snapshot is as
 *   consistent as a cursor;
 * - the children of a page are fetched by key range
 *   (`WHERE parent_key BETWEEN first AND last ORDER BY parent_key, ord`) and attached in JS;
 *   children of parents outside the page (another TLD's domains) are ignored;
 * - every read is a `COPY (…) TO STDOUT` in text format decoded by ./copy-text.ts rather than
 *   a cursor of row objects: several times faster (stack.md §4.5), and on the embedded
 *   database as small as a cursor batch, because each COPY covers one page.
 */
import type { Db, Tx } from '../db/adapter.js';
import { sqlLiteral } from '../db/adapter.js';
import { StrongroomError } from '../common/errors.js';
import { compareDateTime } from '../model/datetime.js';
import type {
  Contact,
  ContactPostalInfo,
  Dcp,
  Domain,
  DomainContact,
  DomainContactType,
  DsData,
  EppParams,
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
  Registrar,
  RegistrarPostalInfo,
  RegistrarRef,
  RegistrarStatus,
  SecDns,
  Status,
} from '../model/objects.js';
import {
  boolOrUndefined,
  collectCopyRows,
  copyRows,
  intOrUndefined,
  jsonOf,
  textArrayOf,
  textOrUndefined,
  timestampOrUndefined,
  type CopyRow,
} from './copy-text.js';
import type { DataModel, HostModel, RegistrySource, SnapshotInfo, SourceKind, TldInfo } from './source.js';

/** Parents per page: bounds memory (a page and its children) and the number of statements. */
export const DEFAULT_PAGE_SIZE = 2000;

export interface SnapshotOptions {
  tld: string;
  /** The moment the data must represent; default: the snapshot's own time. */
  watermark?: string;
  /** Parents per page (tests use tiny pages to read across many pages). */
  pageSize?: number;
}

const lit = sqlLiteral;

/**
 * A required column: NULL (possible in a mapped schema without constraints) becomes '' so the
 * object still flows to the pre-flight, which reports it as missing; one bad row never stops
 * the reading.
 */
function field(row: CopyRow, index: number): string {
  return row[index] ?? '';
}

/** The key column of a page row: a NULL key cannot be paged over, so the view is unusable. */
function keyOf(row: CopyRow, view: string): string {
  const value = row[0];
  if (value === null || value === undefined) throw new StrongroomError('SOURCE_INVALID_ROW', `${view} returned a row whose key is NULL: keys of the rde.* views must be NOT NULL (docs/schema-mapping.md)`);
  return value;
}

function phone(number: string | null, ext: string | null): Phone | undefined {
  if (number === null) return undefined;
  return ext === null ? { number } : { number, ext };
}

function rr(id: string | null, client: string | null): RegistrarRef | undefined {
  if (id === null) return undefined;
  return client === null ? { id } : { id, client };
}

function status(row: CopyRow): Status {
  // (key, ord, s, lang, msg)
  const value: Status = { s: field(row, 2) };
  if (row[3] !== null) value.lang = row[3];
  if (row[4] !== null) value.text = row[4];
  return value;
}

/** Remove undefined properties so objects compare and serialise the same whatever their origin. */
function compact<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

type ChildMap = Map<string, CopyRow[]>;

function groupByKey(rows: CopyRow[], view: string): ChildMap {
  const map: ChildMap = new Map();
  for (const row of rows) {
    const key = keyOf(row, view);
    const list = map.get(key);
    if (list) list.push(row);
    else map.set(key, [row]);
  }
  return map;
}

const NONE: readonly CopyRow[] = [];

/** A snapshot of the registry database, valid while `withRegistrySnapshot`'s callback runs. */
export class PostgresRegistrySource implements RegistrySource {
  private constructor(
    /** The snapshot's transaction: for set-based checks (pre-flight) in the same snapshot. */
    readonly tx: Tx,
    readonly tld: TldInfo,
    readonly snapshot: SnapshotInfo,
    readonly repositoryTlds: readonly string[],
    readonly roidSuffixes: readonly string[],
    private readonly pageSize: number,
  ) {}

  /** Open the snapshot inside `tx` (which must be REPEATABLE READ and not have run anything yet). */
  static async open(tx: Tx, options: SnapshotOptions): Promise<PostgresRegistrySource> {
    // The first statement fixes the transaction's snapshot; clock_timestamp() in that same
    // statement is later than every commit the snapshot can see.
    const [snap] = await tx.query<{ snapshot: string; at: string; rde: string | null }>(
      "SELECT pg_current_snapshot()::text AS snapshot, clock_timestamp() AS at, to_regclass('rde.tld')::text AS rde",
    );
    if (!snap || snap.rde === null) {
      throw new StrongroomError('DB_SCHEMA_MISSING', 'the database has no rde.* read contract (views): apply the reference schema or map your own (docs/schema-mapping.md)');
    }
    const tlds = await tx.query<{ name: string; roid_suffix: string; host_model: string; data_model: string }>(
      'SELECT name, roid_suffix, host_model, data_model FROM rde.tld ORDER BY name COLLATE "C"',
    );
    const row = tlds.find((t) => t.name === options.tld);
    if (!row) {
      const known = tlds.map((t) => t.name).join(', ') || 'none';
      throw new StrongroomError('DEPOSIT_NO_SUCH_TLD', `TLD "${options.tld}" is not in rde.tld of this database (known: ${known})`);
    }
    if (row.host_model !== 'objects' && row.host_model !== 'attributes') {
      throw new StrongroomError('DEPOSIT_NO_SUCH_TLD', `rde.tld host_model of "${row.name}" is "${row.host_model}", expected objects or attributes`);
    }
    if (!['minimum', 'maximum', 'per-registrar'].includes(row.data_model)) {
      throw new StrongroomError('DEPOSIT_NO_SUCH_TLD', `rde.tld data_model of "${row.name}" is "${row.data_model}", expected minimum, maximum or per-registrar`);
    }
    const tld: TldInfo = { name: row.name, roidSuffix: row.roid_suffix, hostModel: row.host_model as HostModel, dataModel: row.data_model as DataModel };
    const suffixes = [...new Set(tlds.map((t) => t.roid_suffix))].sort();
    const source = new PostgresRegistrySource(
      tx,
      tld,
      { snapshot: snap.snapshot, snapshotTime: snap.at, watermark: snap.at },
      tlds.map((t) => t.name),
      suffixes,
      options.pageSize ?? DEFAULT_PAGE_SIZE,
    );
    if (options.watermark !== undefined) await source.honourWatermark(options.watermark);
    return source;
  }

  /**
   * Accept `watermark` as the moment this snapshot represents, or refuse it: a watermark after
   * the snapshot is the future; one before it is honoured only if no object in the snapshot was
   * created, updated or transferred after it (then the snapshot equals the state at the
   * watermark, as far as the data can tell). Deletions between the watermark and the snapshot
   * leave no trace in the object tables; the change journal of the DIFF work will close that gap.
   */
  private async honourWatermark(watermark: string): Promise<void> {
    const time = this.snapshot.snapshotTime;
    if (compareDateTime(watermark, time) > 0) {
      throw new StrongroomError(
        'DEPOSIT_WATERMARK_UNHONOURABLE',
        `watermark ${watermark} is later than the snapshot (taken at ${time}): a deposit cannot represent the future`,
        { data: { watermark, snapshotTime: time } },
      );
    }
    if (compareDateTime(watermark, time) < 0) {
      const later = await this.latestChangeAfter(watermark);
      if (later) {
        throw new StrongroomError(
          'DEPOSIT_WATERMARK_UNHONOURABLE',
          `watermark ${watermark} cannot be honoured: ${later.count} object(s) in the snapshot changed after it, latest ${later.kind} ${later.object} at ${later.at}`,
          { location: `${later.kind} ${later.object}`, data: { watermark, snapshotTime: time, ...later } },
        );
      }
    }
    (this.snapshot as { watermark: string }).watermark = watermark;
  }

  /** The most recent object change (create, update, transfer) after `time`, with how many there are. */
  async latestChangeAfter(time: string): Promise<{ kind: string; object: string; at: string; count: number } | null> {
    const parts = [
      `SELECT 'domain' AS kind, name AS object, greatest(cr_date, up_date, tr_date, re_date) AS at FROM rde.domain WHERE tld = $1`,
      `SELECT 'registrar', id, greatest(cr_date, up_date) FROM rde.registrar`,
      `SELECT 'nndn', a_name, cr_date FROM rde.nndn WHERE tld = $1`,
    ];
    if (this.tld.hostModel === 'objects') parts.push(`SELECT 'host', name, greatest(cr_date, up_date, tr_date) FROM rde.host`);
    if (this.tld.dataModel !== 'minimum') parts.push(`SELECT 'contact', id, greatest(cr_date, up_date, tr_date, re_date) FROM rde.contact`);
    const rows = await this.tx.query<{ kind: string; object: string; at: string; count: number }>(
      `SELECT kind, object, at, count(*) OVER ()::int AS count FROM (${parts.join(' UNION ALL ')}) c
       WHERE at > $2::timestamptz ORDER BY at DESC, kind, object COLLATE "C" LIMIT 1`,
      [this.tld.name, time],
    );
    return rows[0] ?? null;
  }

  async counts(): Promise<Record<SourceKind, number>> {
    const t = lit(this.tld.name);
    const contacts = this.tld.dataModel === 'minimum' ? '0' : '(SELECT count(*) FROM rde.contact)';
    const hosts = this.tld.hostModel === 'objects' ? '(SELECT count(*) FROM rde.host)' : '0';
    const [row] = await this.tx.query<Record<SourceKind, number>>(
      `SELECT (SELECT count(*) FROM rde.registrar)::int AS "registrar",
              (SELECT count(*) FROM rde.idn_table WHERE tld = ${t})::int AS "idnTable",
              ${contacts}::int AS "contact",
              ${hosts}::int AS "host",
              (SELECT count(*) FROM rde.domain WHERE tld = ${t})::int AS "domain",
              (SELECT count(*) FROM rde.nndn WHERE tld = ${t})::int AS "nndn",
              (SELECT count(*) FROM rde.epp_params WHERE tld = ${t})::int AS "eppParams",
              (SELECT count(*) FROM rde.policy WHERE tld = ${t})::int AS "policy"`,
    );
    return row!;
  }

  // ---------------------------------------------------------------------------------------
  // Paging primitives

  private async rows(query: string): Promise<CopyRow[]> {
    return collectCopyRows(this.tx.copyTo(query));
  }

  /**
   * Pages of parent rows, key in column 0, read with keyset pagination in byte order.
   * `where` is an extra condition (or ''), `columns` the select list starting with the key.
   */
  private async *parentPages(view: string, key: string, columns: string, where: string): AsyncGenerator<CopyRow[]> {
    let last: string | null = null;
    for (;;) {
      const conditions = [where, last === null ? '' : `${key} COLLATE "C" > ${lit(last)}`].filter((c) => c !== '');
      const query = `SELECT ${columns} FROM ${view}${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''} ORDER BY ${key} COLLATE "C" LIMIT ${this.pageSize}`;
      const page = await this.rows(query);
      if (page.length === 0) return;
      yield page;
      if (page.length < this.pageSize) return;
      last = keyOf(page[page.length - 1]!, view);
    }
  }

  /** Children of the parents in `page` (key in column 0 of both), grouped by parent key. */
  private async children(view: string, key: string, columns: string, page: CopyRow[], order = 'ord'): Promise<ChildMap> {
    const first = keyOf(page[0]!, view);
    const last = keyOf(page[page.length - 1]!, view);
    const rows = await this.rows(
      `SELECT ${key}, ${columns} FROM ${view} WHERE ${key} COLLATE "C" BETWEEN ${lit(first)} AND ${lit(last)} ORDER BY ${key} COLLATE "C", ${order}`,
    );
    return groupByKey(rows, view);
  }

  // ---------------------------------------------------------------------------------------
  // Object kinds

  async *registrars(): AsyncGenerator<Registrar> {
    const columns = 'id, name, gurid, status, voice, voice_x, fax, fax_x, email, url, whois_name, whois_url, cr_date, up_date';
    for await (const page of this.parentPages('rde.registrar', 'id', columns, '')) {
      const postal = await this.children('rde.registrar_postal', 'registrar_id', 'ord, type, street, city, sp, pc, cc', page);
      for (const row of page) {
        const id = keyOf(row, 'rde.registrar');
        const postalInfo: RegistrarPostalInfo[] = (postal.get(id) ?? NONE).map((p) => ({
          type: field(p, 2) as PostalType,
          addr: compact({ street: textArrayOf(p[3]!), city: field(p, 4), sp: textOrUndefined(p[5]!), pc: textOrUndefined(p[6]!), cc: field(p, 7) }),
        }));
        const whoisName = textOrUndefined(row[10]!);
        const whoisUrl = textOrUndefined(row[11]!);
        yield compact<Registrar>({
          id,
          name: field(row, 1),
          gurid: textOrUndefined(row[2]!),
          status: textOrUndefined(row[3]!) as RegistrarStatus | undefined,
          postalInfo,
          voice: phone(row[4]!, row[5]!),
          fax: phone(row[6]!, row[7]!),
          email: textOrUndefined(row[8]!),
          url: textOrUndefined(row[9]!),
          whoisInfo: whoisName === undefined && whoisUrl === undefined ? undefined : compact({ name: whoisName, url: whoisUrl }),
          crDate: timestampOrUndefined(row[12]!),
          upDate: timestampOrUndefined(row[13]!),
        });
      }
    }
  }

  async *idnTables(): AsyncGenerator<IdnTableRef> {
    for await (const page of this.parentPages('rde.idn_table', 'id', 'id, url, url_policy', `tld = ${lit(this.tld.name)}`)) {
      for (const row of page) yield { id: field(row, 0), url: field(row, 1), urlPolicy: field(row, 2) };
    }
  }

  async *contacts(): AsyncGenerator<Contact> {
    if (this.tld.dataModel === 'minimum') return;
    const columns =
      'id, roid, voice, voice_x, fax, fax_x, email, cl_id, cr_rr, cr_rr_client, cr_date, up_rr, up_rr_client, up_date, tr_date, ' +
      'tr_status, re_rr, re_rr_client, re_date, ac_rr, ac_rr_client, ac_date, ' +
      'disclose_flag, disclose_name, disclose_org, disclose_addr, disclose_voice, disclose_fax, disclose_email';
    for await (const page of this.parentPages('rde.contact', 'id', columns, '')) {
      const statuses = await this.children('rde.contact_status', 'contact_id', 'ord, s, lang, msg', page);
      const postals = await this.children('rde.contact_postal', 'contact_id', 'ord, type, name, org, street, city, sp, pc, cc', page);
      for (const row of page) {
        const id = keyOf(row, 'rde.contact');
        const postalInfo: ContactPostalInfo[] = (postals.get(id) ?? NONE).map((p) =>
          compact<ContactPostalInfo>({
            type: field(p, 2) as PostalType,
            name: field(p, 3),
            org: textOrUndefined(p[4]!),
            addr: compact({ street: textArrayOf(p[5]!), city: field(p, 6), sp: textOrUndefined(p[7]!), pc: textOrUndefined(p[8]!), cc: field(p, 9) }),
          }),
        );
        const contact: Contact = compact<Contact>({
          id,
          roid: field(row, 1),
          status: (statuses.get(id) ?? NONE).map(status),
          postalInfo,
          voice: phone(row[2]!, row[3]!),
          fax: phone(row[4]!, row[5]!),
          email: field(row, 6),
          clID: field(row, 7),
          crRr: rr(row[8]!, row[9]!),
          crDate: timestampOrUndefined(row[10]!),
          upRr: rr(row[11]!, row[12]!),
          upDate: timestampOrUndefined(row[13]!),
          trDate: timestampOrUndefined(row[14]!),
          trnData: undefined,
          disclose: undefined,
        });
        if (row[15] !== null) {
          contact.trnData = {
            trStatus: field(row, 15),
            reRr: rr(field(row, 16), row[17]!)!,
            reDate: timestampOrUndefined(row[18]!) ?? '',
            acRr: rr(field(row, 19), row[20]!)!,
            acDate: timestampOrUndefined(row[21]!) ?? '',
          };
        }
        if (row[22] !== null) {
          contact.disclose = {
            flag: boolOrUndefined(row[22]!)!,
            name: textArrayOf(row[23]!) as PostalType[],
            org: textArrayOf(row[24]!) as PostalType[],
            addr: textArrayOf(row[25]!) as PostalType[],
            voice: boolOrUndefined(row[26]!) ?? false,
            fax: boolOrUndefined(row[27]!) ?? false,
            email: boolOrUndefined(row[28]!) ?? false,
          };
        }
        yield contact;
      }
    }
  }

  async *hosts(): AsyncGenerator<Host> {
    if (this.tld.hostModel !== 'objects') return;
    const columns = 'roid, name, cl_id, cr_rr, cr_rr_client, cr_date, up_rr, up_rr_client, up_date, tr_date';
    for await (const page of this.parentPages('rde.host', 'roid', columns, '')) {
      const statuses = await this.children('rde.host_status', 'host_roid', 'ord, s, lang, msg', page);
      const addrs = await this.children('rde.host_addr', 'host_roid', 'ord, ip, addr', page);
      for (const row of page) {
        const roid = keyOf(row, 'rde.host');
        yield compact<Host>({
          name: field(row, 1),
          roid,
          status: (statuses.get(roid) ?? NONE).map(status),
          addr: (addrs.get(roid) ?? NONE).map((a): HostAddr => ({ ip: field(a, 2) as IpVersion, addr: field(a, 3) })),
          clID: field(row, 2),
          crRr: rr(row[3]!, row[4]!),
          crDate: timestampOrUndefined(row[5]!),
          upRr: rr(row[6]!, row[7]!),
          upDate: timestampOrUndefined(row[8]!),
          trDate: timestampOrUndefined(row[9]!),
        });
      }
    }
  }

  async *domains(): AsyncGenerator<Domain> {
    const withContacts = this.tld.dataModel !== 'minimum';
    const columns =
      'roid, name, u_name, idn_table_id, original_name, registrant, cl_id, cr_rr, cr_rr_client, cr_date, ex_date, ' +
      'up_rr, up_rr_client, up_date, max_sig_life, tr_date, tr_status, re_rr, re_rr_client, re_date, ac_rr, ac_rr_client, ac_date, tr_ex_date';
    for await (const page of this.parentPages('rde.domain', 'roid', columns, `tld = ${lit(this.tld.name)}`)) {
      const statuses = await this.children('rde.domain_status', 'domain_roid', 'ord, s, lang, msg', page);
      const rgp = await this.children('rde.domain_rgp_status', 'domain_roid', 'ord, s, lang, msg', page);
      const contacts = withContacts ? await this.children('rde.domain_contact', 'domain_roid', 'ord, type, contact_id', page) : new Map<string, CopyRow[]>();
      let hostObj: ChildMap | undefined;
      let hostAttr: ChildMap | undefined;
      let hostAttrAddr: ChildMap | undefined;
      if (this.tld.hostModel === 'objects') hostObj = await this.children('rde.domain_ns', 'domain_roid', 'ord, host_name', page);
      else {
        hostAttr = await this.children('rde.domain_ns_attr', 'domain_roid', 'ord, host_name', page);
        hostAttrAddr = await this.children('rde.domain_ns_attr_addr', 'domain_roid', 'ns_ord, ord, ip, addr', page, 'ns_ord, ord');
      }
      const ds = await this.children('rde.domain_ds', 'domain_roid', 'ord, key_tag, alg, digest_type, digest, key_flags, key_protocol, key_alg, key_pub', page);
      const keys = await this.children('rde.domain_key', 'domain_roid', 'ord, flags, protocol, alg, pub_key', page);
      for (const row of page) {
        const roid = keyOf(row, 'rde.domain');
        const domain: Domain = compact<Domain>({
          name: field(row, 1),
          roid,
          uName: textOrUndefined(row[2]!),
          idnTableId: textOrUndefined(row[3]!),
          originalName: textOrUndefined(row[4]!),
          status: (statuses.get(roid) ?? NONE).map(status),
          rgpStatus: (rgp.get(roid) ?? NONE).map(status),
          registrant: withContacts ? textOrUndefined(row[5]!) : undefined,
          contact: (contacts.get(roid) ?? NONE).map((c): DomainContact => ({ type: field(c, 2) as DomainContactType, id: field(c, 3) })),
          ns: undefined,
          clID: field(row, 6),
          crRr: rr(row[7]!, row[8]!),
          crDate: timestampOrUndefined(row[9]!),
          exDate: timestampOrUndefined(row[10]!),
          upRr: rr(row[11]!, row[12]!),
          upDate: timestampOrUndefined(row[13]!),
          secDNS: undefined,
          trDate: timestampOrUndefined(row[15]!),
          trnData: undefined,
        });
        if (hostObj) {
          const names = (hostObj.get(roid) ?? NONE).map((n) => field(n, 2));
          if (names.length > 0) domain.ns = { hostObj: names };
        } else {
          const attrs = hostAttr!.get(roid) ?? NONE;
          if (attrs.length > 0) {
            const addrs = hostAttrAddr!.get(roid) ?? NONE;
            domain.ns = {
              hostAttr: attrs.map(
                (a): HostAttr => ({
                  hostName: field(a, 2),
                  hostAddr: addrs.filter((x) => x[1] === a[1]).map((x): HostAddr => ({ ip: field(x, 3) as IpVersion, addr: field(x, 4) })),
                }),
              ),
            };
          }
        }
        const dsRows = ds.get(roid) ?? NONE;
        const keyRows = keys.get(roid) ?? NONE;
        const maxSigLife = intOrUndefined(row[14]!);
        if (dsRows.length > 0 || keyRows.length > 0 || maxSigLife !== undefined) {
          const secDNS: SecDns =
            dsRows.length > 0 || keyRows.length === 0
              ? {
                  dsData: dsRows.map((d): DsData => {
                    const data: DsData = { keyTag: Number(d[2]), alg: Number(d[3]), digestType: Number(d[4]), digest: field(d, 5) };
                    if (d[6] !== null) data.keyData = { flags: Number(d[6]), protocol: Number(d[7]), alg: Number(d[8]), pubKey: field(d, 9) };
                    return data;
                  }),
                }
              : { keyData: keyRows.map((k): KeyData => ({ flags: Number(k[2]), protocol: Number(k[3]), alg: Number(k[4]), pubKey: field(k, 5) })) };
          if (maxSigLife !== undefined) secDNS.maxSigLife = maxSigLife;
          domain.secDNS = secDNS;
        }
        if (row[16] !== null) {
          domain.trnData = compact({
            trStatus: field(row, 16),
            reRr: rr(field(row, 17), row[18]!)!,
            reDate: timestampOrUndefined(row[19]!) ?? '',
            acRr: rr(field(row, 20), row[21]!)!,
            acDate: timestampOrUndefined(row[22]!) ?? '',
            exDate: timestampOrUndefined(row[23]!),
          });
        }
        yield domain;
      }
    }
  }

  async *nndns(): AsyncGenerator<Nndn> {
    const columns = 'a_name, u_name, idn_table_id, original_name, name_state, mirroring_ns, cr_date';
    for await (const page of this.parentPages('rde.nndn', 'a_name', columns, `tld = ${lit(this.tld.name)}`)) {
      for (const row of page) {
        yield compact<Nndn>({
          aName: field(row, 0),
          uName: textOrUndefined(row[1]!),
          idnTableId: textOrUndefined(row[2]!),
          originalName: textOrUndefined(row[3]!),
          nameState: field(row, 4) as NameState,
          mirroringNS: boolOrUndefined(row[5]!),
          crDate: timestampOrUndefined(row[6]!),
        });
      }
    }
  }

  async *eppParams(): AsyncGenerator<EppParams> {
    const rows = await this.rows(`SELECT version, lang, obj_uri, ext_uri, dcp FROM rde.epp_params WHERE tld = ${lit(this.tld.name)}`);
    for (const row of rows) {
      yield { version: textArrayOf(row[0]!), lang: textArrayOf(row[1]!), objURI: textArrayOf(row[2]!), extURI: textArrayOf(row[3]!), dcp: jsonOf(row[4]!) as Dcp };
    }
  }

  async *policies(): AsyncGenerator<Policy> {
    const rows = await this.rows(`SELECT scope, element FROM rde.policy WHERE tld = ${lit(this.tld.name)} ORDER BY ord`);
    for (const row of rows) yield { scope: field(row, 0), element: field(row, 1) };
  }
}

/**
 * Run `fn` with a consistent read-only snapshot of the registry in `db`: one REPEATABLE READ
 * READ ONLY transaction, ended when `fn` settles. Refuses an unknown TLD and a watermark the
 * snapshot cannot honour.
 */
export async function withRegistrySnapshot<T>(db: Db, options: SnapshotOptions, fn: (source: PostgresRegistrySource) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => fn(await PostgresRegistrySource.open(tx, options)), { isolation: 'repeatable read', readOnly: true });
}
