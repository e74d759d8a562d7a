import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/adapter.js';
import { EmbeddedDb } from '../db/embedded.js';
import { ServerDb } from '../db/server.js';
import { isStrongroomError } from '../common/errors.js';
import type { Dcp } from '../model/objects.js';
import { NS_EPP_HOST, NS_RGP, NS_SECDNS } from '../model/namespaces.js';
import { ADMIN_URL, serverTestDb, withDatabase } from '../testing/databases.js';
import { DomainFactory } from './domains.js';
import { EDGE_DOMAIN_COUNT } from './edge-cases.js';
import { generateRegistry, writeRegistry, type GenerateSummary } from './generate.js';
import { defaultAsOf, Plan, type GenerateOptions } from './plan.js';
import { DigestSink, tableDigests } from './testing/dump.js';
import { validityProblems } from './testing/validity.js';

const AS_OF = '2026-03-01T00:00:00Z';
const OBJECTS: GenerateOptions = { tld: 'example', domains: 1500, seed: 'strongroom-test', asOf: AS_OF, hostModel: 'objects' };
const ATTRIBUTES: GenerateOptions = { tld: 'xn--p1ai', domains: 400, seed: 'strongroom-test', asOf: AS_OF, hostModel: 'attributes' };

/** Columns the generator fills in every row although the schema allows NULL: ICANN RST requires them. */
const ALWAYS_PRESENT = new Set([
  'registrar.gurid', // RST rde-10: gurid present and a valid IANA Registrar ID
  'domain.cr_date', // RST rde-07: crDate required, before the watermark
  'domain.ex_date', // RST rde-07: exDate required, after the watermark unless pendingDelete
]);

async function digestOf(options: GenerateOptions): Promise<Record<string, string>> {
  const sink = new DigestSink();
  await writeRegistry(new Plan(options), sink);
  return sink.digests();
}

describe('a generated registry', () => {
  let dir: string;
  let embedded: Db;
  const summaries: GenerateSummary[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sr-generate-'));
    embedded = await EmbeddedDb.open(dir);
    summaries.push(await generateRegistry(embedded, OBJECTS));
    summaries.push(await generateRegistry(embedded, ATTRIBUTES));
  });

  after(async () => {
    await embedded?.close().catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('reports what it loaded', () => {
    const [objects, attributes] = summaries as [GenerateSummary, GenerateSummary];
    assert.equal(objects.objects.domain, 1500);
    assert.equal(objects.rows.domain, 1500);
    assert.equal(objects.totalRows, Object.values(objects.rows).reduce((a, b) => a + b, 0));
    assert.equal(objects.rows.host, objects.objects.host);
    assert.equal(objects.rows.contact, objects.objects.contact);
    assert.equal(attributes.objects.host, 0);
    assert.equal(attributes.rows.domain_ns, 0);
    assert.ok(attributes.rows.domain_ns_attr > 0);
    assert.equal(objects.foreignKeys, 'validate-after');
    assert.equal(objects.asOf, AS_OF);
  });

  test('is the same, row for row, on the embedded database and on a server', async (t) => {
    const server = await serverTestDb(t, { migrate: false });
    if (!server) return;
    await generateRegistry(server.db, OBJECTS);
    await generateRegistry(server.db, ATTRIBUTES);
    const [a, b] = [await tableDigests(embedded), await tableDigests(server.db)];
    assert.ok((a.domain?.rows ?? 0) > 0);
    assert.deepEqual(b, a);
  });

  test('follows the RFC 9022 / XSD / EPP / RST rules', async () => {
    for (const s of summaries) assert.deepEqual(await validityProblems(embedded, s.tld, s.asOf, s.roidSuffix), [], s.tld);
  });

  test('contains every edge case', async () => {
    const one = async (sql: string, params: unknown[] = []) => (await embedded.query<{ v: unknown }>(sql, params))[0]?.v;
    const tld = 'example';
    assert.equal(await one(`SELECT count(*)::int AS v FROM registry.domain WHERE tld = $1 AND length(split_part(name, '.', 1)) = 63 AND name NOT LIKE 'xn--%'`, [tld]), 1);
    assert.equal(await one(`SELECT count(*)::int AS v FROM registry.domain WHERE tld = $1 AND length(split_part(name, '.', 1)) = 63 AND name LIKE 'xn--%' AND u_name IS NOT NULL`, [tld]), 1);
    assert.equal(await one(`SELECT max(length(name))::int AS v FROM registry.host`), 253);
    assert.equal(await one(`SELECT max(length(host_name))::int AS v FROM registry.domain_ns_attr`), 253);
    assert.equal(await one(`SELECT max(n)::int AS v FROM (SELECT count(*) AS n FROM registry.domain_status GROUP BY domain_roid) x`), 11);
    assert.ok(((await one(`SELECT max(n)::int AS v FROM (SELECT count(*) AS n FROM registry.domain_ds GROUP BY domain_roid) x`)) as number) >= 8);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.domain_ds WHERE key_pub IS NOT NULL`)) as number) >= 1);
    assert.ok(((await one(`SELECT count(DISTINCT domain_roid)::int AS v FROM registry.domain_key`)) as number) >= 1);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.domain WHERE max_sig_life IS NOT NULL`)) as number) >= 1);
    // Zero contacts and no registrant.
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.domain d WHERE tld = $1 AND registrant IS NULL AND NOT EXISTS (SELECT 1 FROM registry.domain_contact c WHERE c.domain_roid = d.roid)`, [tld])) as number) >= 1);
    // A registrar nothing refers to, and a terminated one that sponsors nothing.
    const unreferenced = `SELECT count(*)::int AS v FROM registry.registrar r WHERE NOT EXISTS (
        SELECT 1 FROM registry.domain d WHERE r.id IN (d.cl_id, d.cr_rr, d.up_rr, d.re_rr, d.ac_rr))
      AND NOT EXISTS (SELECT 1 FROM registry.contact c WHERE r.id IN (c.cl_id, c.cr_rr, c.up_rr, c.re_rr, c.ac_rr))
      AND NOT EXISTS (SELECT 1 FROM registry.host h WHERE r.id IN (h.cl_id, h.cr_rr, h.up_rr))`;
    assert.ok(((await one(unreferenced)) as number) >= 1);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.registrar r WHERE status = 'terminated' AND NOT EXISTS (SELECT 1 FROM registry.domain d WHERE d.cl_id = r.id)
      AND NOT EXISTS (SELECT 1 FROM registry.contact c WHERE c.cl_id = r.id) AND NOT EXISTS (SELECT 1 FROM registry.host h WHERE h.cl_id = r.id)`)) as number) >= 1);
    assert.deepEqual((await embedded.query<{ gurid: string }>(`SELECT gurid::text FROM registry.registrar WHERE gurid IN (9997, 9999) ORDER BY gurid`)).map((r) => r.gurid), ['9997', '9997', '9999', '9999']);
    // A host with several IPv4 and IPv6 addresses; IPv4-only and IPv6-only glue.
    assert.ok(((await one(`SELECT count(*)::int AS v FROM (SELECT host_roid FROM registry.host_addr GROUP BY host_roid HAVING count(*) FILTER (WHERE ip = 'v4') >= 2 AND count(*) FILTER (WHERE ip = 'v6') >= 2) x`)) as number) >= 1);
    for (const only of ['v4', 'v6']) {
      assert.ok(((await one(`SELECT count(*)::int AS v FROM (SELECT host_roid FROM registry.host_addr GROUP BY host_roid HAVING bool_and(ip = $1)) x`, [only])) as number) >= 1, only);
    }
    // Contacts: XML-special and non-BMP characters, both postal types, loc only.
    const texts = await embedded.query<{ type: string; text: string }>(`SELECT type, name || ' ' || coalesce(org, '') || ' ' || array_to_string(street, ' ') AS text FROM registry.contact_postal`);
    for (const special of ['&', '<', '>', '"', "'"]) assert.ok(texts.some((r) => r.text.includes(special)), special);
    assert.ok(texts.some((r) => /\p{Extended_Pictographic}/u.test(r.text) && /[\u{10000}-\u{10ffff}]/u.test(r.text)), 'emoji');
    assert.ok(texts.some((r) => /[\u{20000}-\u{2a6df}]/u.test(r.text)), 'CJK Extension B');
    for (const script of [/\p{Script=Han}/u, /\p{Script=Cyrillic}/u, /\p{Script=Arabic}/u, /\p{Script=Hangul}/u, /\p{Script=Greek}/u, /\p{Script=Thai}/u]) {
      assert.ok(texts.some((r) => r.type === 'loc' && script.test(r.text)), String(script));
    }
    assert.ok(((await one(`SELECT count(*)::int AS v FROM (SELECT contact_id FROM registry.contact_postal GROUP BY contact_id HAVING count(DISTINCT type) = 2) x`)) as number) >= 1);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM (SELECT contact_id FROM registry.contact_postal GROUP BY contact_id HAVING bool_and(type = 'loc')) x`)) as number) >= 1);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.contact WHERE email ~ '[&'']'`)) as number) >= 1);
    // Life-cycle states with their data.
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.domain d JOIN registry.domain_status s ON s.domain_roid = d.roid AND s.s = 'pendingTransfer' WHERE d.tr_status = 'pending' AND d.tr_ex_date IS NOT NULL`)) as number) >= 1);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.host_status WHERE s = 'pendingTransfer'`)) as number) >= 1);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.domain d JOIN registry.domain_status s ON s.domain_roid = d.roid AND s.s = 'pendingDelete' WHERE d.ex_date <= $1`, [AS_OF])) as number) >= 1);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.domain d JOIN registry.idn_table i ON i.tld = d.tld AND i.id = d.idn_table_id WHERE d.u_name IS NOT NULL`)) as number) >= 1);
    assert.deepEqual((await embedded.query<{ id: string }>(`SELECT id FROM registry.idn_table WHERE tld = $1 ORDER BY id`, [tld])).map((r) => r.id), ['de', 'ja', 'zh-Hans', 'zh-Hant']);
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.domain o JOIN registry.domain v ON v.original_name = o.name`)) as number) >= 1);
    // EPP parameters and policy.
    const params = await embedded.query<{ tld: string; version: string[]; lang: string[]; obj_uri: string[]; ext_uri: string[]; dcp: Dcp }>('SELECT * FROM registry.epp_params ORDER BY tld');
    for (const p of params) {
      assert.deepEqual(p.version, ['1.0']);
      assert.ok(p.lang.includes('en'));
      assert.ok(p.ext_uri.includes(NS_SECDNS) && p.ext_uri.includes(NS_RGP));
      assert.equal(p.obj_uri.includes(NS_EPP_HOST), p.tld === 'example');
      assert.equal(p.dcp.access, 'all');
      assert.ok(p.dcp.statement.length >= 2 && p.dcp.statement.some((s) => s.recipient.ours.includes(null)) && p.dcp.statement.some((s) => s.recipient.ours.some((o) => o !== null)));
      assert.ok(p.dcp.expiry !== undefined);
    }
    assert.ok(((await one(`SELECT count(*)::int AS v FROM registry.policy WHERE tld = $1`, [tld])) as number) >= 1);
  });

  test('fills every column: nullable ones both ways, every enumerated value', async () => {
    const columns = await embedded.query<{ table_name: string; column_name: string; is_nullable: string; data_type: string }>(
      `SELECT table_name, column_name, is_nullable, data_type FROM information_schema.columns c
       WHERE table_schema = 'registry' AND EXISTS (SELECT 1 FROM information_schema.tables t WHERE t.table_schema = 'registry' AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE')
       ORDER BY table_name, ordinal_position`,
    );
    const missing: string[] = [];
    for (const c of columns) {
      const key = `${c.table_name}.${c.column_name}`;
      const [row] = await embedded.query<{ nulls: boolean; values: boolean; empty: boolean | null; full: boolean | null; yes: boolean | null; no: boolean | null }>(
        `SELECT bool_or(${c.column_name} IS NULL) AS nulls, bool_or(${c.column_name} IS NOT NULL) AS values,
                ${c.data_type === 'ARRAY' ? `bool_or(cardinality(${c.column_name}) = 0) AS empty, bool_or(cardinality(${c.column_name}) > 0) AS full` : 'NULL AS empty, NULL AS full'},
                ${c.data_type === 'boolean' ? `bool_or(${c.column_name}) AS yes, bool_or(NOT ${c.column_name}) AS no` : 'NULL AS yes, NULL AS no'}
         FROM registry.${c.table_name}`,
      );
      const { nulls, values, empty, full, yes, no } = row as NonNullable<typeof row>;
      if (!values) missing.push(`${key}: never set`);
      if (c.is_nullable === 'YES' && !ALWAYS_PRESENT.has(key) && !nulls) missing.push(`${key}: never NULL`);
      if (ALWAYS_PRESENT.has(key) && nulls) missing.push(`${key}: NULL somewhere`);
      if (c.data_type === 'ARRAY' && c.column_name !== 'version' && c.column_name !== 'lang' && c.column_name !== 'obj_uri' && c.column_name !== 'ext_uri' && !(empty && full)) missing.push(`${key}: not both empty and non-empty`);
      if (c.data_type === 'boolean' && !(yes && no)) missing.push(`${key}: not both true and false`);
    }
    assert.deepEqual(missing, []);
    const enumerations: Array<[string, string[]]> = [
      ['SELECT DISTINCT s AS v FROM registry.domain_status', ['clientDeleteProhibited', 'clientHold', 'clientRenewProhibited', 'clientTransferProhibited', 'clientUpdateProhibited', 'inactive', 'ok', 'pendingCreate', 'pendingDelete', 'pendingRenew', 'pendingTransfer', 'pendingUpdate', 'serverDeleteProhibited', 'serverHold', 'serverRenewProhibited', 'serverTransferProhibited', 'serverUpdateProhibited']],
      ['SELECT DISTINCT s AS v FROM registry.domain_rgp_status', ['addPeriod', 'autoRenewPeriod', 'pendingDelete', 'pendingRestore', 'redemptionPeriod', 'renewPeriod', 'transferPeriod']],
      ['SELECT DISTINCT s AS v FROM registry.host_status', ['clientDeleteProhibited', 'clientUpdateProhibited', 'linked', 'ok', 'pendingCreate', 'pendingDelete', 'pendingTransfer', 'pendingUpdate', 'serverDeleteProhibited', 'serverUpdateProhibited']],
      ['SELECT DISTINCT s AS v FROM registry.contact_status', ['clientDeleteProhibited', 'clientTransferProhibited', 'clientUpdateProhibited', 'linked', 'ok', 'pendingCreate', 'pendingDelete', 'pendingTransfer', 'pendingUpdate', 'serverDeleteProhibited', 'serverTransferProhibited', 'serverUpdateProhibited']],
      ['SELECT DISTINCT tr_status AS v FROM registry.domain WHERE tr_status IS NOT NULL', ['clientApproved', 'clientCancelled', 'clientRejected', 'pending', 'serverApproved', 'serverCancelled']],
      ['SELECT DISTINCT tr_status AS v FROM registry.contact WHERE tr_status IS NOT NULL', ['clientApproved', 'clientCancelled', 'clientRejected', 'pending', 'serverApproved', 'serverCancelled']],
      ['SELECT DISTINCT status AS v FROM registry.registrar WHERE status IS NOT NULL', ['ok', 'readonly', 'terminated']],
      ['SELECT DISTINCT name_state AS v FROM registry.nndn', ['blocked', 'mirrored', 'withheld']],
      ['SELECT DISTINCT coalesce(mirroring_ns::text, \'absent\') AS v FROM registry.nndn', ['absent', 'false', 'true']],
      ['SELECT DISTINCT type AS v FROM registry.domain_contact', ['admin', 'billing', 'tech']],
      ['SELECT DISTINCT type AS v FROM registry.contact_postal', ['int', 'loc']],
      ['SELECT DISTINCT type AS v FROM registry.registrar_postal', ['int', 'loc']],
      ['SELECT DISTINCT ip AS v FROM registry.host_addr', ['v4', 'v6']],
      ['SELECT DISTINCT ip AS v FROM registry.domain_ns_attr_addr', ['v4', 'v6']],
      ['SELECT DISTINCT host_model AS v FROM registry.tld', ['attributes', 'objects']],
    ];
    for (const [sql, expected] of enumerations) {
      const values = (await embedded.query<{ v: string }>(`${sql} ORDER BY 1`)).map((r) => r.v);
      assert.deepEqual(values, expected, sql);
    }
  });

  test('refuses a TLD that already has objects, before changing anything', async () => {
    const before = await tableDigests(embedded);
    await assert.rejects(generateRegistry(embedded, OBJECTS), (err: unknown) => isStrongroomError(err, 'DB_NOT_EMPTY') && /example/.test(err.message) && err.category === 'refused');
    await assert.rejects(generateRegistry(embedded, { ...OBJECTS, seed: 'other', domains: 30 }), (err: unknown) => isStrongroomError(err, 'DB_NOT_EMPTY'));
    assert.deepEqual(await tableDigests(embedded), before);
  });

  test('loads nothing when the load fails part-way (one transaction)', async () => {
    // A host of another repository already holds the name the generator gives its first
    // external name server: the host COPY fails after registrars and contacts went in.
    const plan = new Plan({ tld: 'rollback', domains: 200, seed: 's', asOf: AS_OF });
    const taken = `ns1.anycast-${plan.tag}.net`;
    await embedded.query(`INSERT INTO registry.host (roid, name, cl_id) VALUES ('H1-OTHER', $1, 'rr0001-example')`, [taken]);
    try {
      const before = await tableDigests(embedded);
      await assert.rejects(generateRegistry(embedded, { tld: 'rollback', domains: 200, seed: 's', asOf: AS_OF }), (err: unknown) => isStrongroomError(err, 'DB_QUERY_FAILED') && /host/.test(err.message));
      assert.deepEqual(await tableDigests(embedded), before);
    } finally {
      await embedded.query(`DELETE FROM registry.host WHERE roid = 'H1-OTHER'`);
    }
  });

  test('checks foreign keys row by row when the registry tables have triggers of their own', async () => {
    await embedded.exec(`CREATE FUNCTION public.sr_count_inserts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
      CREATE TRIGGER sr_count_inserts AFTER INSERT ON registry.domain FOR EACH ROW EXECUTE FUNCTION public.sr_count_inserts()`);
    try {
      const summary = await generateRegistry(embedded, { tld: 'triggered', domains: 30, seed: 's', asOf: AS_OF });
      assert.equal(summary.foreignKeys, 'check');
      assert.equal(summary.rows.domain, 30);
    } finally {
      await embedded.exec('DROP TRIGGER sr_count_inserts ON registry.domain; DROP FUNCTION public.sr_count_inserts()');
    }
  });

  test('uses an existing empty TLD row and refuses to contradict it', async () => {
    await embedded.query(`INSERT INTO registry.tld (name, roid_suffix, host_model, data_model) VALUES ('strict', 'STRICT', 'objects', 'maximum')`);
    await assert.rejects(generateRegistry(embedded, { tld: 'strict', domains: 30, seed: 's', asOf: AS_OF }), (err: unknown) => isStrongroomError(err, 'GENERATE_INVALID_ARGUMENT') && /data model "maximum"/.test(err.message));
    await embedded.query(`INSERT INTO registry.tld (name, roid_suffix, host_model, data_model) VALUES ('preset', 'PRE', 'attributes', 'per-registrar')`);
    await assert.rejects(generateRegistry(embedded, { tld: 'preset', domains: 30, seed: 's', asOf: AS_OF, hostModel: 'objects' }), (err: unknown) => isStrongroomError(err, 'GENERATE_INVALID_ARGUMENT') && /host model/.test(err.message));
    const summary = await generateRegistry(embedded, { tld: 'preset', domains: 30, seed: 's', asOf: AS_OF });
    assert.equal(summary.roidSuffix, 'PRE');
    assert.equal(summary.hostModel, 'attributes');
    assert.equal(summary.rows.tld, 0);
    const [row] = await embedded.query<{ n: number }>(`SELECT count(*)::int AS n FROM registry.domain WHERE tld = 'preset' AND roid LIKE '%-PRE'`);
    assert.equal(row?.n, 30);
    assert.deepEqual(await validityProblems(embedded, 'preset', AS_OF, 'PRE'), []);
  });
});

test('a database user without superuser rights gets row-by-row foreign-key checks', async (t) => {
  if (!(await serverTestDb(t, { migrate: false }))) return;
  const role = `sr_gen_${process.pid}_${randomBytes(3).toString('hex')}`;
  const database = `${role}_db`;
  const admin = await ServerDb.open(ADMIN_URL);
  t.after(async () => {
    await admin.exec(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.exec(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
    await admin.close();
  });
  await admin.exec(`CREATE ROLE ${role} LOGIN NOSUPERUSER`);
  await admin.exec(`CREATE DATABASE ${database} OWNER ${role}`);
  const url = new URL(withDatabase(ADMIN_URL, database));
  url.username = role;
  const db = await ServerDb.open(url.toString());
  try {
    const summary = await generateRegistry(db, { tld: 'example', domains: 60, seed: 's', asOf: AS_OF });
    assert.equal(summary.foreignKeys, 'check');
    assert.deepEqual(await validityProblems(db, summary.tld, summary.asOf, summary.roidSuffix), []);
  } finally {
    await db.close();
  }
});

test('the same options give the same rows; another seed, TLD, as-of or host model other rows', async () => {
  const base: GenerateOptions = { tld: 'example', domains: 800, seed: 'one', asOf: AS_OF };
  const first = await digestOf(base);
  assert.deepEqual(await digestOf(base), first);
  for (const change of [{ seed: 'two' }, { tld: 'test' }, { asOf: '2026-03-02T00:00:00Z' }]) {
    const other = await digestOf({ ...base, ...change });
    for (const table of ['domain', 'contact', 'host', 'registrar']) assert.notEqual(other[table], first[table], `${JSON.stringify(change)} ${table}`);
  }
  const attributes = await digestOf({ ...base, hostModel: 'attributes' });
  assert.equal(attributes.host, undefined);
  assert.notEqual(attributes.domain_ns_attr, undefined);
});

test('rejects bad options with GENERATE_INVALID_ARGUMENT', () => {
  const bad: Array<Partial<GenerateOptions>> = [
    { tld: 'a_b' }, { tld: 'two.labels' }, { tld: '-x' }, { tld: 'ab--cd' }, { domains: EDGE_DOMAIN_COUNT - 1 }, { domains: 1.5 }, { seed: '' }, { asOf: 'yesterday' }, { asOf: '1995-01-01T00:00:00Z' },
    { hostModel: 'other' as never },
  ];
  for (const change of bad) {
    assert.throws(() => new Plan({ tld: 'example', domains: 100, seed: 's', asOf: AS_OF, ...change }), (err: unknown) => isStrongroomError(err, 'GENERATE_INVALID_ARGUMENT'), JSON.stringify(change));
  }
  assert.equal(new Plan({ tld: 'РФ', domains: 100, seed: 's', asOf: AS_OF }).tld, 'xn--p1ai');
  // --as-of defaults to the start of the current UTC day.
  assert.equal(defaultAsOf(Date.UTC(2026, 0, 2, 13, 4, 5, 6)), '2026-01-02T00:00:00Z');
  assert.match(new Plan({ tld: 'example', domains: 100, seed: 's' }).asOfText, /^\d{4}-\d\d-\d\dT00:00:00Z$/);
  assert.equal(new Plan({ tld: 'Example', domains: 100, seed: 's', asOf: AS_OF }).roidSuffix, 'EXAMPLE');
  assert.match(new Plan({ tld: 'photography', domains: 100, seed: 's', asOf: AS_OF }).roidSuffix, /^PHOT[0-9A-Z]{4}$/);
});

test('has the documented proportions', () => {
  const n = 40_000;
  const plan = new Plan({ tld: 'example', domains: n, seed: 'proportions', asOf: AS_OF });
  const factory = new DomainFactory(plan);
  const counts = { idn: 0, dnssec: 0, pendingDelete: 0, pendingTransfer: 0, ns: new Map<number, number>(), contacts: 0, registrants: new Set<string>() };
  for (let index = EDGE_DOMAIN_COUNT; index < n; index++) {
    const { domain } = factory.regular(index);
    if (domain.uName) counts.idn++;
    if (domain.secDNS) counts.dnssec++;
    if (domain.status.some((s) => s.s === 'pendingDelete')) counts.pendingDelete++;
    if (domain.status.some((s) => s.s === 'pendingTransfer')) counts.pendingTransfer++;
    const servers = domain.ns ? ('hostObj' in domain.ns ? domain.ns.hostObj.length : domain.ns.hostAttr.length) : 0;
    counts.ns.set(servers, (counts.ns.get(servers) ?? 0) + 1);
    if (domain.registrant) counts.registrants.add(domain.registrant);
  }
  const share = (x: number) => x / (n - EDGE_DOMAIN_COUNT);
  assert.ok(Math.abs(share(counts.idn) - 0.05) < 0.005, `IDN ${share(counts.idn)}`);
  assert.ok(Math.abs(share(counts.dnssec) - 0.2 * 0.97) < 0.02, `DNSSEC ${share(counts.dnssec)}`);
  assert.ok(Math.abs(share(counts.pendingDelete) - 0.01) < 0.003, `pendingDelete ${share(counts.pendingDelete)}`);
  assert.ok(Math.abs(share(counts.pendingTransfer) - 0.005) < 0.002, `pendingTransfer ${share(counts.pendingTransfer)}`);
  assert.deepEqual([...counts.ns.keys()].sort(), [0, 2, 3, 4]);
  assert.ok(Math.abs(plan.contactCount / n - 0.6) < 0.02, `contacts ${plan.contactCount}`);
  assert.ok(Math.abs(counts.registrants.size / n - 0.5) < 0.02, `registrants ${counts.registrants.size}`);
  assert.ok(Math.abs(plan.inBailiwickHostCount / n - 0.05) < 0.005 && Math.abs(plan.externalHostCount / n - 0.02) < 0.003);
  assert.equal(plan.registrars.length, 20 + 2);
  assert.equal(new Plan({ tld: 'example', domains: 1_000_000, seed: 's', asOf: AS_OF }).regularRegistrarCount, 200);
  assert.equal(new Plan({ tld: 'example', domains: 20_000_000, seed: 's', asOf: AS_OF }).regularRegistrarCount, 2000);
});
