import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../db/adapter.js';
import { isStrongroomError } from '../common/errors.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { FIXTURE_COUNTS, FIXTURE_TLDS, FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { boolOrUndefined, collectCopyRows, jsonOf, parseCopyLine, textArrayOf, timestampOrUndefined } from './copy-text.js';
import { withRegistrySnapshot } from './postgres-source.js';

async function toArray<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

async function readAll(db: Db, tld: string, pageSize?: number) {
  return withRegistrySnapshot(db, { tld, ...(pageSize ? { pageSize } : {}) }, async (s) => ({
    tld: s.tld,
    counts: await s.counts(),
    registrars: await toArray(s.registrars()),
    idnTables: await toArray(s.idnTables()),
    contacts: await toArray(s.contacts()),
    hosts: await toArray(s.hosts()),
    domains: await toArray(s.domains()),
    nndns: await toArray(s.nndns()),
    eppParams: await toArray(s.eppParams()),
    policies: await toArray(s.policies()),
  }));
}

test('COPY text lines decode escapes and NULL', () => {
  assert.deepEqual(parseCopyLine('a\\tb\t\\N\t\t\\\\x\\n\\r\\b\\f\\v\t\\101\\x41'), ['a\tb', null, '', '\\x\n\r\b\f\v', 'AA']);
});

async function exerciseCopy(db: Db) {
  await db.exec(`CREATE TABLE copy_probe (k text COLLATE "C" PRIMARY KEY, t text, a text[], j jsonb, ts timestamptz, b boolean, n numeric)`);
  await db.query(`INSERT INTO copy_probe VALUES ($1, $2, $3, $4, $5, $6, $7), ('b', NULL, NULL, NULL, NULL, NULL, NULL), ('c', '', '{}', '{}', '1999-12-31 23:59:59.999999+00', false, 0)`, [
    'a',
    'tab\there\nnew\rline \\ back ünï 😀 "q"',
    ['x', 'y z', 'q"uote', 'back\\slash', 'comma,', ''],
    { z: [1, 'two'], a: null },
    '2021-05-06 07:08:09.5+02',
    true,
    '12345678901234567890.5',
  ]);
  return db.transaction(
    async (tx) => {
      const viaCopy = await collectCopyRows(tx.copyTo('SELECT k, t, a, j, ts, b, n FROM copy_probe ORDER BY k'));
      const viaQuery = await tx.query('SELECT k, t, a, j, ts, b, n FROM copy_probe ORDER BY k');
      return { viaCopy, viaQuery };
    },
    { isolation: 'repeatable read', readOnly: true },
  );
}

test('copyTo streams COPY text that decodes to what query() returns, on both databases', async (t) => {
  const embedded = await embeddedTestDb(t, { migrate: false });
  const a = await exerciseCopy(embedded.db);
  const decoded = a.viaCopy.map((row) => {
    const [k, tx, arr, j, ts, b, n] = row as Array<string | null>;
    return {
      k,
      t: tx,
      a: arr === null ? null : textArrayOf(arr!),
      j: j === null ? null : jsonOf(j!),
      ts: ts === null ? null : timestampOrUndefined(ts!),
      b: b === null ? null : boolOrUndefined(b!),
      n,
    };
  });
  assert.deepEqual(decoded, a.viaQuery);
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  const b = await exerciseCopy(server.db);
  assert.deepEqual(b.viaCopy, a.viaCopy, 'the same COPY text from the embedded database and the server');
});

test('the fixture reads the same from the embedded database and the server, at any page size', async (t) => {
  const embedded = await embeddedTestDb(t);
  await loadFixtureRegistry(embedded.db);
  for (const tld of [FIXTURE_TLDS.objects, FIXTURE_TLDS.attributes]) {
    const all = await readAll(embedded.db, tld);
    const paged = await readAll(embedded.db, tld, 1);
    assert.deepEqual(paged, all, `${tld}: page size 1 reads the same objects`);
    const expected = FIXTURE_COUNTS[tld];
    for (const [kind, n] of Object.entries(expected)) assert.equal(all.counts[kind as keyof typeof all.counts], n, `${tld} ${kind} count`);
    assert.equal(all.domains.length, expected.domain);
    assert.deepEqual(
      all.domains.map((d) => d.roid),
      [...all.domains.map((d) => d.roid)].sort(),
      'domains come in roid byte order',
    );
  }
  const example = await readAll(embedded.db, 'example');
  const d1 = example.domains.find((d) => d.name === 'example.example')!;
  assert.deepEqual(d1.ns, { hostObj: ['ns1.example.com', 'ns1.example.example'] }, 'name servers keep their order');
  assert.equal(d1.secDNS && 'dsData' in d1.secDNS && d1.secDNS.dsData[0]!.keyData?.pubKey, 'AQPJ////4Q==');
  assert.deepEqual(d1.trnData, {
    trStatus: 'pending',
    reRr: { id: 'RegistrarY', client: 'clientY' },
    reDate: '2024-12-31T09:00:00Z',
    acRr: { id: 'RegistrarX', client: 'clientX' },
    acDate: '2025-01-10T09:00:00Z',
    exDate: '2100-04-03T22:00:00Z',
  });
  const jd = example.contacts.find((c) => c.id === 'jd1234')!;
  assert.deepEqual(jd.postalInfo[1]!.addr.street, ['Line with\nnewline and\rCR']);
  assert.deepEqual(jd.disclose, { flag: false, name: ['int'], org: ['int', 'loc'], addr: ['loc'], voice: true, fax: true, email: true });
  const minna = await readAll(embedded.db, 'xn--q9jyb4c');
  assert.deepEqual(minna.hosts, [], 'no host objects for the host-attribute model');
  assert.deepEqual(minna.domains[0]!.ns, {
    hostAttr: [
      { hostName: 'ns1.xn--r8jz45g.xn--q9jyb4c', hostAddr: [{ ip: 'v4', addr: '198.51.100.7' }, { ip: 'v6', addr: '2001:db8::7' }] },
      { hostName: 'ns.example.net', hostAddr: [] },
    ],
  });

  const server = await serverTestDb(t);
  if (!server) return;
  await loadFixtureRegistry(server.db);
  for (const tld of [FIXTURE_TLDS.objects, FIXTURE_TLDS.attributes]) {
    assert.deepEqual(await readAll(server.db, tld, 2), await readAll(embedded.db, tld), `${tld}: server equals embedded`);
  }
});

test('a snapshot refuses unknown TLDs, the future, and watermarks it cannot honour', async (t) => {
  const { db } = await embeddedTestDb(t);
  await loadFixtureRegistry(db);
  await assert.rejects(
    withRegistrySnapshot(db, { tld: 'nope' }, async () => undefined),
    (e: unknown) => isStrongroomError(e, 'DEPOSIT_NO_SUCH_TLD') && /known: example, xn--q9jyb4c/.test(e.message),
  );
  await assert.rejects(
    withRegistrySnapshot(db, { tld: 'example', watermark: '2999-01-01T00:00:00Z' }, async () => undefined),
    (e: unknown) => isStrongroomError(e, 'DEPOSIT_WATERMARK_UNHONOURABLE') && /later than the snapshot/.test(e.message),
  );
  // The fixture's latest change is the domain transfer request of 2024-12-31T09:00:00Z.
  await assert.rejects(
    withRegistrySnapshot(db, { tld: 'example', watermark: '2024-12-31T00:00:00Z' }, async () => undefined),
    (e: unknown) => isStrongroomError(e, 'DEPOSIT_WATERMARK_UNHONOURABLE') && /latest domain example\.example at 2024-12-31T09:00:00Z/.test(e.message) && e.location === 'domain example.example',
  );
  const info = await withRegistrySnapshot(db, { tld: 'example', watermark: FIXTURE_WATERMARK }, async (s) => s.snapshot);
  assert.equal(info.watermark, FIXTURE_WATERMARK);
  assert.match(info.snapshot, /^\d+:\d+:[\d,]*$/);
  const defaulted = await withRegistrySnapshot(db, { tld: 'example' }, async (s) => s.snapshot);
  assert.equal(defaulted.watermark, defaulted.snapshotTime, 'the default watermark is the snapshot time');
});

test('a database without the read contract is refused with a pointer to the mapping guide', async (t) => {
  const { db } = await embeddedTestDb(t, { migrate: false });
  await assert.rejects(
    withRegistrySnapshot(db, { tld: 'example' }, async () => undefined),
    (e: unknown) => isStrongroomError(e, 'DB_SCHEMA_MISSING') && /schema-mapping\.md/.test(e.message),
  );
});
