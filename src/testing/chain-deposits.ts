/**
 * Test-only: chains of deposits without a DIFF writer.
 *
 * - `diffFromFulls(previous, next, …)`: the DIFF (or INCR) between two FULL deposits, derived
 *   object by object from the two files: a delete entry (RFC 9022 keys: domain name, host roid,
 *   contact/registrar/IDN table id, NNDN aName) for every object of `previous` missing from
 *   `next` (matched by roid for domains and hosts, so a name deleted and registered again is a
 *   delete and a new object), and every object of `next` that is new or whose XML differs;
 *   EPP parameters and policies all when any of them differs; `next`'s header (its counts are
 *   the repository's at the watermark, RFC 9022). Objects are serialised by the real writer
 *   (src/deposit/serialize.ts). Holds both deposits in memory: small registries only.
 * - `mutateRegistry(db, day, at)`: a fixed, deterministic workload on a generated registry in
 *   the reference schema — renew, transfer, status change, delete, create, a name deleted and
 *   registered again, a host renamed, a host deleted, a contact created and one that lost its
 *   last link deleted, a registrar updated, and the domains that would expire before the next
 *   day renewed — all dated `at`.
 */
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db, Queryable } from '../db/adapter.js';
import { writeFullDeposit } from '../deposit/full-deposit.js';
import { generateRegistry } from '../generate/generate.js';
import { depositId } from '../deposit/naming.js';
import { esc } from '../deposit/xml.js';
import type { DepositType, Header, RdeObject } from '../model/objects.js';
import { readDeposit } from '../reader/index.js';
import { depositXml, objectXml } from './deposit-xml.js';

interface Read {
  watermark: string;
  id: string;
  objURI: string[];
  header: Header;
  /** key → [object, its XML] */
  objects: Map<string, { object: RdeObject; xml: string }>;
}

function keyOf(o: RdeObject, policyIndex: number): string {
  switch (o.kind) {
    case 'domain':
    case 'host':
      return `${o.kind}:${o.value.roid}`;
    case 'contact':
    case 'registrar':
    case 'idnTable':
      return `${o.kind}:${o.value.id}`;
    case 'nndn':
      return `nndn:${o.value.aName}`;
    case 'eppParams':
      return 'eppParams:';
    case 'policy':
      return `policy:${policyIndex}`;
    case 'header':
      return 'header:';
  }
}

async function readAll(file: string): Promise<Read> {
  const objects = new Map<string, { object: RdeObject; xml: string }>();
  let header: Header | undefined;
  let watermark = '';
  let id = '';
  let objURI: string[] = [];
  let policies = 0;
  for await (const event of readDeposit(createReadStream(file), { file })) {
    if (event.type === 'deposit') {
      watermark = event.envelope.watermark;
      id = event.envelope.id;
      objURI = event.envelope.objURI;
    } else if (event.type === 'object') {
      if (event.object.kind === 'header') header = event.object.value;
      else objects.set(keyOf(event.object, event.object.kind === 'policy' ? policies++ : 0), { object: event.object, xml: objectXml(event.object) });
    } else if (event.type === 'delete') throw new Error(`${file} is not a FULL deposit`);
  }
  if (!header) throw new Error(`${file} has no header`);
  return { watermark, id, objURI, header, objects };
}

const DELETE_XML: Record<string, (o: RdeObject) => string> = {
  domain: (o) => `<rdeDomain:delete><rdeDomain:name>${esc((o.value as { name: string }).name)}</rdeDomain:name></rdeDomain:delete>`,
  host: (o) => `<rdeHost:delete><rdeHost:roid>${esc((o.value as { roid: string }).roid)}</rdeHost:roid></rdeHost:delete>`,
  contact: (o) => `<rdeContact:delete><rdeContact:id>${esc((o.value as { id: string }).id)}</rdeContact:id></rdeContact:delete>`,
  registrar: (o) => `<rdeRegistrar:delete><rdeRegistrar:id>${esc((o.value as { id: string }).id)}</rdeRegistrar:id></rdeRegistrar:delete>`,
  idnTable: (o) => `<rdeIDN:delete><rdeIDN:id>${esc((o.value as { id: string }).id)}</rdeIDN:id></rdeIDN:delete>`,
  nndn: (o) => `<rdeNNDN:delete><rdeNNDN:aName>${esc((o.value as { aName: string }).aName)}</rdeNNDN:aName></rdeNNDN:delete>`,
};

const ORDER = ['registrar', 'idnTable', 'eppParams', 'policy', 'contact', 'host', 'domain', 'nndn'];

export interface DiffFromFulls {
  xml: string;
  id: string;
  deletes: number;
  contents: number;
}

/** The DIFF/INCR XML taking `previous`'s state to `next`'s (see the module comment). */
export async function diffFromFulls(previous: string, next: string, options: { type?: Exclude<DepositType, 'FULL'>; prevId: string; id?: string }): Promise<DiffFromFulls> {
  const a = await readAll(previous);
  const b = await readAll(next);
  const deletes: string[] = [];
  for (const [key, { object }] of a.objects) {
    if (b.objects.has(key)) continue;
    const write = DELETE_XML[object.kind];
    if (write) deletes.push(`\n    ${write(object)}`);
  }
  const settingsChanged = (kind: string) =>
    [...a.objects.keys(), ...b.objects.keys()].some((k) => k.startsWith(`${kind}:`) && a.objects.get(k)?.xml !== b.objects.get(k)?.xml);
  const contents: RdeObject[] = [];
  for (const kind of ORDER) {
    const whole = (kind === 'eppParams' || kind === 'policy') && settingsChanged(kind);
    for (const [key, { object, xml }] of b.objects) {
      if (object.kind !== kind) continue;
      if (whole || (kind !== 'eppParams' && kind !== 'policy' && a.objects.get(key)?.xml !== xml)) contents.push(object);
    }
  }
  const type = options.type ?? 'DIFF';
  const id = options.id ?? depositId(b.watermark, type);
  const xml = depositXml([...contents, { kind: 'header', value: b.header }], { type, id, prevId: options.prevId, watermark: b.watermark, objURI: b.objURI, deletes });
  return { xml, id, deletes: deletes.length, contents: contents.length };
}

/**
 * Day `day`'s changes (1, 2, …) to the generated registry of `tld`, all dated `at` (RFC 3339,
 * before the next deposit's watermark). Picks its objects by roid/id order, so a run is
 * deterministic; each day touches different objects.
 */
export async function mutateRegistry(db: Queryable, tld: string, day: number, at: string): Promise<void> {
  const [t] = await db.query<{ suffix: string; objects: boolean }>(`SELECT roid_suffix AS suffix, host_model = 'objects' AS objects FROM registry.tld WHERE name = $1`, [tld]);
  if (!t) throw new Error(`no TLD ${tld}`);
  const pick = async (offset: number) => {
    const [row] = await db.query<{ roid: string; name: string }>(
      `SELECT roid, name FROM registry.domain WHERE tld = $1 AND roid NOT LIKE 'DN%' ORDER BY roid OFFSET $2 LIMIT 1`,
      [tld, day * 10 + offset],
    );
    if (!row) throw new Error(`registry too small for day ${day}`);
    return row;
  };
  const renew = await pick(0);
  const transfer = await pick(1);
  const status = await pick(2);
  const gone = await pick(3);
  const again = await pick(4);
  const template = await pick(5);
  const domainColumns =
    'tld, u_name, idn_table_id, original_name, registrant, cl_id, cr_rr, cr_rr_client, ex_date, max_sig_life';
  await db.query(`UPDATE registry.domain SET ex_date = ex_date + interval '1 year', up_date = $2, up_rr = cl_id WHERE roid = $1`, [renew.roid, at]);
  await db.query(
    `UPDATE registry.domain SET cl_id = (SELECT id FROM registry.registrar WHERE id <> d.cl_id AND status IS DISTINCT FROM 'terminated' ORDER BY id LIMIT 1),
            tr_date = $2, up_date = $2, tr_status = NULL, re_rr = NULL, re_rr_client = NULL, re_date = NULL, ac_rr = NULL, ac_rr_client = NULL, ac_date = NULL, tr_ex_date = NULL
     FROM registry.domain d WHERE registry.domain.roid = $1 AND d.roid = $1`,
    [transfer.roid, at],
  );
  await db.query('DELETE FROM registry.domain_status WHERE domain_roid = $1', [status.roid]);
  await db.query(`INSERT INTO registry.domain_status (domain_roid, ord, s, lang, msg) VALUES ($1, 1, 'clientHold', 'en', 'day ' || $2::text), ($1, 2, 'clientTransferProhibited', NULL, NULL)`, [status.roid, String(day)]);
  await db.query('DELETE FROM registry.domain WHERE roid = $1', [gone.roid]);
  // A name deleted and registered again (new roid), and a new name.
  await db.query('DELETE FROM registry.domain WHERE roid = $1', [again.roid]);
  for (const [roid, name] of [
    [`DN${day}A-${t.suffix}`, again.name],
    [`DN${day}B-${t.suffix}`, `new-day-${day}.${tld}`],
  ] as const) {
    await db.query(
      `INSERT INTO registry.domain (roid, name, cr_date, ${domainColumns}) SELECT $1, $2, $3, ${domainColumns} FROM registry.domain WHERE roid = $4`,
      [roid, name, at, template.roid],
    );
    await db.query(`INSERT INTO registry.domain_status (domain_roid, ord, s) VALUES ($1, 1, 'ok')`, [roid]);
    await db.query(`INSERT INTO registry.domain_contact (domain_roid, ord, type, contact_id) SELECT $1, ord, type, contact_id FROM registry.domain_contact WHERE domain_roid = $2`, [roid, template.roid]);
    await db.query(`INSERT INTO registry.domain_ns (domain_roid, ord, host_roid) SELECT $1, ord, host_roid FROM registry.domain_ns WHERE domain_roid = $2`, [roid, template.roid]);
    await db.query(`INSERT INTO registry.domain_ns_attr (domain_roid, ord, host_name) SELECT $1, ord, host_name FROM registry.domain_ns_attr WHERE domain_roid = $2`, [roid, template.roid]);
  }
  if (t.objects) {
    // A host renamed (its domains' name servers change with it) and an unlinked host deleted.
    // Not one whose new name would break RFC 1035's limits (the generator's longest names).
    await db.query(
      `UPDATE registry.host SET name = 'r' || $2::text || '-' || name, up_date = $3 WHERE roid = (SELECT roid FROM registry.host WHERE name NOT LIKE 'r%-%'
         AND octet_length(name) + 2 + length($2::text) <= 253 AND strpos(name, '.') + 1 + length($2::text) <= 64 ORDER BY roid OFFSET $1 LIMIT 1)`,
      [day, String(day), at],
    );
    await db.query(`DELETE FROM registry.host WHERE roid = (SELECT roid FROM registry.host h WHERE NOT EXISTS (SELECT 1 FROM registry.domain_ns n WHERE n.host_roid = h.roid) ORDER BY roid LIMIT 1)`);
  }
  // A contact created (and linked as a domain's registrant), and the contact that lost its link
  // deleted when nothing else refers to it.
  const [old] = await db.query<{ registrant: string | null }>('SELECT registrant FROM registry.domain WHERE roid = $1', [renew.roid]);
  if (old?.registrant) {
    const id = `cday${day}`;
    await db.query(
      `INSERT INTO registry.contact (id, roid, voice, email, cl_id, cr_date, disclose_flag, disclose_name, disclose_org, disclose_addr, disclose_voice, disclose_fax, disclose_email)
       SELECT $1, $2, voice, email, cl_id, $3, disclose_flag, disclose_name, disclose_org, disclose_addr, disclose_voice, disclose_fax, disclose_email FROM registry.contact WHERE id = $4`,
      [id, `C${day}N-${t.suffix}`, at, old.registrant],
    );
    await db.query(`INSERT INTO registry.contact_postal (contact_id, ord, type, name, org, street, city, sp, pc, cc) SELECT $1, ord, type, name, org, street, city, sp, pc, cc FROM registry.contact_postal WHERE contact_id = $2`, [id, old.registrant]);
    await db.query(`INSERT INTO registry.contact_status (contact_id, ord, s) VALUES ($1, 1, 'ok')`, [id]);
    await db.query('UPDATE registry.domain SET registrant = $1 WHERE roid = $2', [id, renew.roid]);
    await db.query(
      `DELETE FROM registry.contact c WHERE c.id = $1 AND NOT EXISTS (SELECT 1 FROM registry.domain WHERE registrant = c.id) AND NOT EXISTS (SELECT 1 FROM registry.domain_contact WHERE contact_id = c.id)`,
      [old.registrant],
    );
  }
  // Auto-renewal (RFC 3915 auto-renew grace): what would expire before the next deposit is renewed.
  await db.query(
    `UPDATE registry.domain d SET ex_date = ex_date + interval '1 year', up_date = $2
     WHERE d.tld = $1 AND d.ex_date <= $2::timestamptz + interval '1 day'
       AND NOT EXISTS (SELECT 1 FROM registry.domain_status s WHERE s.domain_roid = d.roid AND s.s = 'pendingDelete')`,
    [tld, at],
  );
  await db.query(`UPDATE registry.registrar SET up_date = $2, email = 'day' || $1 || '@registrar.test' WHERE id = (SELECT id FROM registry.registrar ORDER BY id OFFSET $3 LIMIT 1)`, [String(day), at, day]);
}

/** Days of the test chain: a FULL on the first, a DIFF on each of the others. */
export const CHAIN_DAYS = ['2025-01-05', '2025-01-06', '2025-01-07', '2025-01-08'] as const;
export const chainWatermark = (day: number): string => `${CHAIN_DAYS[day]}T00:00:00Z`;

export interface TestChain {
  /** fulls[n]: the FULL deposit of day n. */
  fulls: Array<{ file: string; id: string; sha256: string }>;
  /** diffs[n]: the DIFF of day n (diffs[0] unused). */
  diffs: Array<{ file: string; id: string }>;
  /** The INCR of the last day on the FULL of day 0. */
  incr: { file: string; id: string };
}

/**
 * A generated registry of `tld` in `source`, and its chain in `dir`: the FULL of day 0, then
 * per day the workload of `mutateRegistry` (dated noon of the day before), a FULL, and the DIFF
 * between the two FULLs; and the INCR of the last day on the FULL of day 0.
 */
export async function writeTestChain(source: Db, dir: string, options: { tld: string; hostModel: 'objects' | 'attributes'; domains?: number }): Promise<TestChain> {
  const { tld, hostModel } = options;
  await generateRegistry(source, { tld, domains: options.domains ?? 80, seed: `chain-${hostModel}`, hostModel, asOf: chainWatermark(0) });
  const fulls: TestChain['fulls'] = [];
  const diffs: TestChain['diffs'] = [{ file: '', id: '' }];
  for (let day = 0; day < CHAIN_DAYS.length; day++) {
    if (day > 0) await mutateRegistry(source, tld, day, `${CHAIN_DAYS[day - 1]}T12:00:00Z`);
    const full = await writeFullDeposit(source, { tld, outDir: dir, watermark: chainWatermark(day) });
    if (full.findings.items.length > 0) throw new Error(`FULL of day ${day}: ${JSON.stringify(full.findings.items[0])}`);
    fulls.push({ file: full.file, id: full.id, sha256: full.sha256 });
    if (day > 0) {
      const diff = await diffFromFulls(fulls[day - 1]!.file, full.file, { prevId: day === 1 ? fulls[0]!.id : diffs[day - 1]!.id });
      if (diff.deletes === 0 || diff.contents === 0) throw new Error(`the workload of day ${day} changed nothing`);
      const file = join(dir, `${tld}_${CHAIN_DAYS[day]}_diff_S1_R0.xml`);
      await writeFile(file, diff.xml);
      diffs.push({ file, id: diff.id });
    }
  }
  const last = CHAIN_DAYS.length - 1;
  const incr = await diffFromFulls(fulls[0]!.file, fulls[last]!.file, { type: 'INCR', prevId: fulls[0]!.id });
  const incrFile = join(dir, `${tld}_${CHAIN_DAYS[last]}_incr_S1_R0.xml`);
  await writeFile(incrFile, incr.xml);
  return { fulls, diffs, incr: { file: incrFile, id: incr.id } };
}
