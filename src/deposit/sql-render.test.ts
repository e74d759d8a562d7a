/**
 * PostgreSQL-rendered objects (sql-render.ts) against the JS serializer and checker kept as the
 * oracle (serialize.ts, preflight.ts), on generated registries with every edge case plus
 * injected ones (markup characters, TAB/LF/CR, non-ASCII, U+FFFE, control characters, fractional
 * seconds, broken dates, broken references), embedded and server:
 * - object by object: every object the query calls clean is one the checker accepts, and its XML
 *   is the serializer's byte for byte (the XML of the others is not used: the writer writes the
 *   serializer's);
 * - `needsCheckedPath` (four bytes at a time) against a byte-by-byte reference;
 * - deposit by deposit: the same bytes, findings and quarantine as the Node writer, in both
 *   `--on-invalid` modes, on one connection and on several — FULL deposits, and DIFF and INCR
 *   deposits (rendered by their changed keys) after a churn and the injected edge cases.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../common/findings.js';
import { isStrongroomError } from '../common/errors.js';
import type { Db } from '../db/adapter.js';
import { generateRegistry } from '../generate/generate.js';
import type { GenerateOptions } from '../generate/plan.js';
import { withRegistrySnapshot, type RangedKind } from '../sources/postgres-source.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { churnRegistry, CHURN_MIX_STRESS } from '../generate/churn.js';
import { writeDeposit, writeFullDeposit, type DepositResult, type FullDepositOptions } from './full-deposit.js';
import { KIND_WRITERS } from './object-step.js';
import { isDnsName, ObjectChecker, objectKey, referenceChecks } from './preflight.js';
import { identityCheck, isDnsNameBytes, isPlainRoid, needsCheckedPath, NO_EXCLUSIONS, parseBinaryCopy, plainKeys, renderQuery, type VouchedReferences } from './sql-render.js';
import { XmlCharacterError } from './xml.js';

const AS_OF = '2025-01-05T00:00:00Z';

/** Edge cases the generator does not make (or not in these combinations), on its objects. */
function injections(tld: string, objects: boolean): string {
  const hostEdits = objects
    ? `
UPDATE registry.host SET cr_date = '2021-02-03 04:05:06.000789+00' WHERE roid = (SELECT min(roid) FROM registry.host);
INSERT INTO registry.host_status (host_roid, ord, s, lang, msg)
  SELECT roid, 50, 'linked', 'de-CH', E'verkn\\u00fcpft <&> "x"' FROM registry.host WHERE roid = (SELECT max(roid) FROM registry.host);`
    : `
UPDATE registry.domain_ns_attr_addr SET addr = '2001:DB8::1' WHERE (domain_roid, ns_ord, ord) = (SELECT domain_roid, ns_ord, ord FROM registry.domain_ns_attr_addr WHERE ip = 'v6' ORDER BY 1, 2, 3 LIMIT 1);
UPDATE registry.domain_ns_attr_addr SET addr = '1.2.3.999' WHERE (domain_roid, ns_ord, ord) = (SELECT domain_roid, ns_ord, ord FROM registry.domain_ns_attr_addr WHERE ip = 'v4' ORDER BY 1 DESC, 2, 3 LIMIT 1);`;
  return `
WITH c AS (SELECT contact_id, ord FROM registry.contact_postal ORDER BY contact_id, ord LIMIT 6)
UPDATE registry.contact_postal p SET
  org = CASE c.ord WHEN 1 THEN E'A&B <C> "D" \\u00e9\\tT\\nN\\rR' ELSE org END,
  street = ARRAY[E'Stra\\u00dfe 1 & 2', '<b>', E'\\u4e2d\\u6587 "q"'],
  city = E'Z\\u00fcrich > Basel'
  FROM c WHERE p.contact_id = c.contact_id AND p.ord = c.ord;
UPDATE registry.contact SET email = E'm\\u00fcller@ex\\u00e4mple.test', voice = '+41.441234567', voice_x = '12 34'
  WHERE id = (SELECT min(id) FROM registry.contact);
UPDATE registry.contact SET fax = '+1.55512345678901234' WHERE id = (SELECT max(id) FROM registry.contact);
UPDATE registry.contact SET voice = '+1234.5678' WHERE id = (SELECT id FROM registry.contact ORDER BY id LIMIT 1 OFFSET 9);
UPDATE registry.contact SET voice = '+41.44 123', email = E'o''b&c<d>@example.test' WHERE id = (SELECT id FROM registry.contact ORDER BY id LIMIT 1 OFFSET 10);
UPDATE registry.contact SET email = E'o''b&c{d}@example.test', voice = '+999.12345678901', fax = '+1.12345678901234' WHERE id = (SELECT id FROM registry.contact ORDER BY id LIMIT 1 OFFSET 11);
UPDATE registry.contact_postal SET name = E'U\\ufffeV' WHERE (contact_id, ord) = (SELECT contact_id, ord FROM registry.contact_postal ORDER BY contact_id DESC, ord LIMIT 1 OFFSET 3);
UPDATE registry.contact_postal SET city = E'Bell\\u0007City' WHERE (contact_id, ord) = (SELECT contact_id, ord FROM registry.contact_postal ORDER BY contact_id DESC, ord LIMIT 1 OFFSET 5);
UPDATE registry.contact SET cr_date = '-infinity' WHERE id = (SELECT id FROM registry.contact ORDER BY id LIMIT 1 OFFSET 7);
INSERT INTO registry.domain_status (domain_roid, ord, s, lang, msg)
  SELECT roid, 40, 'clientHold', 'en', E'Hold <for> "review" & more\\tnow' FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1;
INSERT INTO registry.domain_status (domain_roid, ord, s, lang, msg)
  SELECT roid, 41, 'clientRenewProhibited', E'en"<&>', E'tab\there' FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 6;
INSERT INTO registry.domain_status (domain_roid, ord, s, lang, msg)
  SELECT roid, 42, 'clientUpdateProhibited', 'en-GB', E'cr\rhere' FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 7;
INSERT INTO registry.domain_rgp_status (domain_roid, ord, s, lang, msg)
  SELECT roid, 43, 'addPeriod', E'x&y', 'rgp <msg>' FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 8;
UPDATE registry.domain SET ex_date = '2020-01-01Z' WHERE roid = (SELECT roid FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 2);
UPDATE registry.domain SET cr_date = '2024-12-31 23:59:59.5+00', up_date = '2025-01-04 10:00:00.123456+00' WHERE roid = (SELECT roid FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 3);
UPDATE registry.domain SET original_name = E'\\u00e9cole & co' WHERE roid = (SELECT roid FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 4);
UPDATE registry.domain SET cr_rr = cl_id, cr_rr_client = 'c l' WHERE roid = (SELECT roid FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 5);
${hostEdits}`;
}

/** needsCheckedPath's definition, one byte at a time. */
function needsCheckedPathReference(xml: Buffer): boolean {
  if (xml.indexOf('&#') !== -1) return true;
  for (let i = 0; i < xml.length; i++) {
    const b = xml[i]!;
    if (b < 0x20 && b !== 0x0a) return true;
    if (b === 0xef && xml[i + 1] === 0xbf && (xml[i + 2] === 0xbe || xml[i + 2] === 0xbf)) return true;
  }
  return false;
}

test('needsCheckedPath finds what the byte-by-byte definition finds, at every alignment', () => {
  // Bytes near the edges of the test (LF, TAB, CR, 0x1f/0x20, 0x7f/0x80, 0x9f/0xa0, EF BF BE/BF, &#).
  const alphabet = [0x0a, 0x09, 0x0d, 0x00, 0x01, 0x0b, 0x1f, 0x20, 0x41, 0x7f, 0x80, 0x8a, 0x9f, 0xa0, 0xef, 0xbf, 0xbe, 0xff, 0x26, 0x23];
  let seed = 12345;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const backing = Buffer.alloc(64);
  let found = 0;
  for (let trial = 0; trial < 100_000; trial++) {
    const rare = trial % 4 === 0;
    for (let i = 0; i < backing.length; i++) {
      // Mostly text and LF, so that clean runs of every length occur.
      const r = random(100);
      backing[i] = r < 70 ? 0x41 + (r % 26) : r < 85 ? 0x0a : rare || r < 95 ? alphabet[random(alphabet.length)]! : 0xc3;
    }
    const start = random(8);
    const xml = backing.subarray(start, start + random(56));
    const expected = needsCheckedPathReference(xml);
    if (expected) found++;
    assert.equal(needsCheckedPath(xml), expected, `bytes ${xml.toString('hex')}`);
  }
  assert.ok(found > 1000 && found < 99_000, `both outcomes occur (${found})`);
});

test('the identity checks on bytes agree with the checker\'s host-name rule and the plain roid form, on random and edge-case values', () => {
  let seed = 4711;
  const random = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 16) % n;
  };
  const alphabet = ['a', 'Z', '0', '9', '-', '.', '_', '\u00e9', ' ', '<', '@', '[', '`', '{', '/', ':'];
  const names = ['a.b', 'a-b.c', '-a.b', 'a-.b', 'a..b', '.a.b', 'a.b.', 'ab', `${'a'.repeat(63)}.b`, `${'a'.repeat(64)}.b`, `${'a.'.repeat(126)}b`, `${'a.'.repeat(126)}bc`, 'A.B', 'x1-2.y'];
  // Mostly letters, digits and hyphens, so that valid names are frequent; now and then anything.
  const label = () => Array.from({ length: random(6) }, () => (random(5) === 0 ? alphabet[random(alphabet.length)]! : 'aZ09-'[random(5)]!)).join('');
  for (let i = 0; i < 20_000; i++) names.push(Array.from({ length: 1 + random(3) }, label).join('.'));
  let valid = 0;
  for (const name of names) {
    const expected = isDnsName(name, 2);
    if (expected) valid++;
    assert.equal(isDnsNameBytes(Buffer.from(name)), expected, JSON.stringify(name));
  }
  assert.ok(valid > 100, `both outcomes occur (${valid})`);
  const plain = /^[A-Za-z0-9_]{1,80}-([A-Za-z0-9]{1,8})$/;
  const roids = ['D1-EX', 'D_1-EX', 'D1-E_X', '-EX', 'D1-', 'D1-EX-EX', `${'a'.repeat(80)}-EX`, `${'a'.repeat(81)}-EX`, 'a-EXAMPLE1', 'a-EXAMPLE12', 'a-ex', '\u00e9-EX'];
  const suffixes = ['EX', 'EXAMPLE1', 'ex'];
  const part = (n: number) => Array.from({ length: random(n) }, () => ['a', 'Z', '0', '_', '-', 'E', 'X', '\u00e9', '.'][random(9)]).join('');
  for (let i = 0; i < 20_000; i++) roids.push(`${part(6)}${random(4) === 0 ? '' : '-'}${random(2) === 0 ? suffixes[random(3)] : part(4)}`);
  let accepted = 0;
  for (const roid of roids) {
    const m = plain.exec(roid);
    const expected = m !== null && suffixes.includes(m[1]!);
    if (expected) accepted++;
    assert.equal(isPlainRoid(roid, suffixes), expected, JSON.stringify(roid));
  }
  assert.ok(accepted > 50, `both outcomes occur (${accepted})`);
});

/** A binary COPY of (key, clean, xml) rows as PostgreSQL writes it. */
function binaryCopy(rows: ReadonlyArray<{ key: string; clean: boolean | null; xml: string; ident?: string | null }>): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 2, 0xab, 0xcd])];
  const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  for (const row of rows) {
    const key = Buffer.from(row.key);
    const xml = Buffer.from(row.xml);
    parts.push(int16(row.ident === undefined ? 3 : 4), int32(key.length), key);
    parts.push(...(row.clean === null ? [int32(-1)] : [int32(1), Buffer.from([row.clean ? 1 : 0])]));
    parts.push(int32(xml.length), xml);
    if (row.ident !== undefined) parts.push(...(row.ident === null ? [int32(-1)] : [int32(Buffer.byteLength(row.ident)), Buffer.from(row.ident)]));
  }
  parts.push(int16(-1));
  return Buffer.concat(parts);
}

test('parseBinaryCopy reads rows whatever the chunks it is given are cut into', () => {
  const rows = [
    { key: 'C1', clean: true, xml: '\n    <a>x</a>' },
    { key: 'C2-\u00e9', clean: false, xml: '\n    <b>\u4e2d\u6587</b>' },
    { key: 'C3', clean: null, xml: '' },
    { key: 'C4', clean: true, xml: '\n    <c>tab\there</c>' },
    { key: 'C5', clean: true, xml: `\n    <d>${'y'.repeat(300)}</d>` },
  ];
  const data = binaryCopy(rows);
  const expected = rows.map((r) => ({ key: r.key, clean: r.clean === true && !r.xml.includes('\t'), xml: r.xml }));
  for (const size of [1, 2, 3, 5, 7, 11, 64, data.length]) {
    const chunks: Buffer[] = [];
    for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size));
    if (size === 7) chunks.splice(3, 0, Buffer.alloc(0));
    const parsed = parseBinaryCopy(chunks).map((r) => ({ key: r.key, clean: r.clean, xml: r.xml.toString('utf8') }));
    assert.deepEqual(parsed, expected, `chunks of ${size} bytes`);
  }
  assert.deepEqual(parseBinaryCopy([]), []);
  // With the identity column: clean only if the query's part and the identity check agree.
  const domains = binaryCopy([
    { key: 'D1-EXAMPLE', clean: true, xml: '\n    <a/>', ident: 'one.example' },
    { key: 'D2-EXAMPLE', clean: false, xml: '\n    <a/>', ident: 'two.example' },
    { key: 'D3-EXAMPLE', clean: true, xml: '\n    <a/>', ident: 'th<ree>.example' },
    { key: 'D4-OTHER', clean: true, xml: '\n    <a/>', ident: 'four.example' },
    { key: 'D5-EXAMPLE', clean: true, xml: '\n    <a/>', ident: 'five.test' },
    { key: 'D6-EXAMPLE', clean: true, xml: '\n    <a/>', ident: null },
    { key: 'D\u00e97-EXAMPLE', clean: true, xml: '\n    <a/>', ident: 'seven.EXAMPLE' },
    { key: 'D8-EXAMPLE', clean: true, xml: '\n    <a/>', ident: 'Eight.EXAMPLE' },
    { key: 'D9-EXAMPLE', clean: true, xml: '\n    <a/>', ident: 'nine.notexample' },
    { key: 'D10-EXAMPLE', clean: true, xml: '\n    <a/>', ident: 'example' },
  ]);
  const tld = { name: 'example', roidSuffix: 'EXAMPLE', hostModel: 'objects', dataModel: 'maximum' } as const;
  const check = identityCheck('domain', { tld, watermark: AS_OF, repositoryTlds: ['example'], roidSuffixes: ['EXAMPLE'] });
  assert.deepEqual(parseBinaryCopy([domains], check).map((r) => r.clean), [true, false, false, false, false, false, false, true, false, false]);
  // A TLD spelt with capitals: the checker lower-cases the name, not the TLD, so no name ends with it.
  const upper = identityCheck('domain', { tld: { ...tld, name: 'EXAMPLE' }, watermark: AS_OF, repositoryTlds: ['EXAMPLE'], roidSuffixes: ['EXAMPLE'] });
  assert.deepEqual(parseBinaryCopy([domains], upper).map((r) => r.clean), Array(10).fill(false));
  const checker = new ObjectChecker({ tld: { ...tld, name: 'EXAMPLE' }, watermark: AS_OF, repositoryTlds: ['EXAMPLE'], roidSuffixes: ['EXAMPLE'] });
  const found: Finding[] = [];
  checker.checkDomain({ name: 'one.example', roid: 'D1-EXAMPLE', status: [{ s: 'ok' }], rgpStatus: [], contact: [], clID: 'r1', crDate: '2020-01-01T00:00:00Z', exDate: '2030-01-01T00:00:00Z' }, found);
  assert.ok(found.some((f) => f.code === 'RDE_DOMAIN_HAS_INVALID_NAME'), 'the checker refuses the name too');
  assert.throws(() => parseBinaryCopy([domains]), /expected 3 fields/);
  assert.throws(() => parseBinaryCopy([data], check), /expected 4 fields/);
  assert.throws(() => parseBinaryCopy([data.subarray(0, data.length - 9)]), /ends inside a row/);
});

interface Compared {
  objects: number;
  clean: number;
  rejected: number;
}

/**
 * Every object of the ranged kinds: SQL row against the JS reader, checker and serializer. With
 * `vouch`, as a FULL deposit renders them: the cross-object checks' findings excluded and the
 * references they vouch for not checked again (VouchedReferences, as `expected` says they are).
 */
async function compareObjects(db: Db, tld: string, vouch?: VouchedReferences): Promise<Compared> {
  return withRegistrySnapshot(db, { tld, watermark: AS_OF }, async (source) => {
    const ctx = { tld: source.tld, watermark: AS_OF, repositoryTlds: source.repositoryTlds, roidSuffixes: source.roidSuffixes };
    const checker = new ObjectChecker(ctx);
    const totals: Compared = { objects: 0, clean: 0, rejected: 0 };
    const refs = vouch ? await referenceChecks(source.tx, source.tld, 10_000) : undefined;
    const vouched = vouch ? await plainKeys(source.tx, source.tld) : NO_EXCLUSIONS.vouched;
    if (vouch) assert.deepEqual(vouched, vouch, 'the referenced keys are plain as expected');
    for (const kind of ['contact', 'host', 'domain'] as RangedKind[]) {
      const writer = KIND_WRITERS.find((w) => w.kind === kind)!;
      const ranges = await source.pageRanges(kind, 1_000_000);
      if (ranges.length === 0) continue;
      const crossed = [...(refs?.byObject.keys() ?? [])].filter((key) => key.startsWith(objectKey(kind, ''))).map((key) => key.slice(objectKey(kind, '').length));
      const ex = { ...NO_EXCLUSIONS, crossed, vouched };
      const chunks: Buffer[] = [];
      for await (const chunk of source.tx.copyTo(renderQuery(kind, ctx, { after: null, last: ranges[0]!.last }, ex), 'binary')) chunks.push(chunk);
      const rows = parseBinaryCopy(chunks, identityCheck(kind, ctx));
      const objects: unknown[] = [];
      for await (const value of writer.read(source)) objects.push(value);
      assert.equal(rows.length, objects.length, `${kind}: one rendered row per object`);
      rows.forEach((row, index) => {
        const value = objects[index];
        const findings: Finding[] = [];
        writer.check(checker, value as never, findings);
        let xml: string | null = null;
        try {
          xml = writer.xml(value as never);
        } catch (err) {
          if (!(err instanceof XmlCharacterError)) throw err;
        }
        const accepted = findings.length === 0 && xml !== null;
        if (row.clean) assert.ok(accepted, `${kind} ${row.key}: rendered as clean, but the checker says ${JSON.stringify(findings)}`);
        if (row.clean) assert.ok(!refs?.byObject.has(objectKey(kind, row.key)), `${kind} ${row.key}: rendered as clean despite cross-object findings`);
        if (row.clean) assert.equal(row.xml.toString('utf8'), xml, `${kind} ${row.key}: the SQL rendering is the serializer's`);
        totals.objects++;
        if (row.clean) totals.clean++;
        if (!accepted) totals.rejected++;
      });
    }
    return totals;
  });
}

async function prepared(t: TestContext, db: Db, options: GenerateOptions): Promise<void> {
  await generateRegistry(db, options);
  await db.exec(injections(options.tld, options.hostModel !== 'attributes'));
  void t;
}

/** A scratch directory, the embedded database and (when there is one) the server's. */
async function databases(t: TestContext, prefix: string): Promise<{ dir: string; dbs: Array<{ name: string; db: Db }> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dbs: Array<{ name: string; db: Db }> = [];
  const embedded = await embeddedTestDb(t);
  dbs.push({ name: 'embedded', db: embedded.db });
  const server = await serverTestDb(t);
  if (server) dbs.push({ name: 'server', db: server.db });
  return { dir, dbs };
}

/** A deposit rendered in PostgreSQL is the Node writer's (the oracle): bytes, counts, deletes, findings, quarantine. */
function assertSameDeposit(what: string, rendered: DepositResult, oracle: DepositResult): void {
  assert.equal(rendered.sha256, oracle.sha256, `${what}: same bytes`);
  assert.deepEqual(rendered.counts, oracle.counts, what);
  assert.equal(rendered.deletes, oracle.deletes, what);
  assert.deepEqual(rendered.findings, oracle.findings, `${what}: same findings in the same order`);
  assert.deepEqual(rendered.quarantined, oracle.quarantined, `${what}: same quarantine`);
}

let depositRuns = 0;

/** FULL deposits of `db` at AS_OF, each into a fresh directory under `dir`, the bookkeeping emptied first. */
function fullDeposits(db: Db, dir: string, tld: string): (extra: Partial<FullDepositOptions>) => Promise<DepositResult> {
  return async (extra) => {
    await db.exec('DELETE FROM strongroom.deposit');
    const outDir = join(dir, String(depositRuns++));
    await mkdir(outDir);
    return writeFullDeposit(db, { tld, outDir, watermark: AS_OF, ...extra });
  };
}

/** Without quarantine, the Node writer and the rendering one fail with the same findings. */
async function assertSameFailure(what: string, deposit: (extra: Partial<FullDepositOptions>) => Promise<DepositResult>): Promise<void> {
  const failures: unknown[] = [];
  for (const renderInDatabase of [false, true]) {
    await assert.rejects(deposit({ renderInDatabase, jobs: 2 }), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'DEPOSIT_PREFLIGHT_FAILED'));
      failures.push(err.data?.findings);
      return true;
    });
  }
  assert.deepEqual(failures[1], failures[0], `${what}: a failed run reports the same findings`);
}

for (const hostModel of ['objects', 'attributes'] as const) {
  test(`SQL rendering equals the JS serializer object by object, host ${hostModel}, embedded and server`, async (t) => {
    const options: GenerateOptions = { tld: hostModel === 'objects' ? 'example' : 'xn--q9jyb4c', domains: 300, seed: `render-${hostModel}`, hostModel, asOf: AS_OF };
    const results: Compared[] = [];
    const vouched: Compared[] = [];
    const plain: VouchedReferences = { registrars: true, contacts: true, hosts: hostModel === 'objects' };
    const embedded = await embeddedTestDb(t);
    await prepared(t, embedded.db, options);
    results.push(await compareObjects(embedded.db, options.tld));
    vouched.push(await compareObjects(embedded.db, options.tld, plain));
    const server = await serverTestDb(t);
    if (server) {
      await prepared(t, server.db, options);
      results.push(await compareObjects(server.db, options.tld));
      vouched.push(await compareObjects(server.db, options.tld, plain));
      assert.deepEqual(results[1], results[0], 'the same verdicts on both databases');
      assert.deepEqual(vouched[1], vouched[0], 'the same verdicts on both databases, references vouched for');
    }
    assert.equal(vouched[0]!.objects, results[0]!.objects);
    assert.ok(vouched[0]!.clean >= results[0]!.clean - 20, `vouched references leave the clean objects clean but those with cross-object findings (${vouched[0]!.clean} of ${results[0]!.clean})`);
    const [r] = results;
    assert.ok(r!.rejected >= 5, `the injected broken objects are rejected (${r!.rejected})`);
    assert.ok(r!.clean > r!.objects * 0.8, `most objects take the rendered path (${r!.clean} of ${r!.objects})`);
    assert.ok(r!.objects - r!.clean > r!.rejected, 'some objects the query does not vouch for pass the checker (the writer writes their serializer XML)');
  });
}

test('a FULL deposit rendered in PostgreSQL is the Node writer\'s: bytes, findings, quarantine, failure', async (t) => {
  const options: GenerateOptions = { tld: 'example', domains: 200, seed: 'render-deposit', hostModel: 'objects', asOf: AS_OF };
  const { dir, dbs } = await databases(t, 'sr-render-');
  const hashes = new Set<string>();
  for (const { name, db } of dbs) {
    await prepared(t, db, options);
    const deposit = fullDeposits(db, dir, options.tld);
    const oracle = await deposit({ renderInDatabase: false, jobs: 0, onInvalid: 'quarantine' });
    assert.ok(oracle.quarantined.length >= 5, `${name}: the broken objects are quarantined`);
    assertSchemaValid(t, oracle.file);
    hashes.add(oracle.sha256);
    for (const jobs of [0, 2, 3]) assertSameDeposit(`${name}, ${jobs} jobs`, await deposit({ jobs, onInvalid: 'quarantine' }), oracle);
    await assertSameFailure(name, deposit);
  }
  assert.equal(hashes.size, 1, 'embedded and server write the same bytes');
});

/** A copy of a registrar and of a contact (statuses and postal info too) under ids that are not plain, each referred to by a domain. */
function unplainKeys(tld: string): string {
  return `
CREATE TEMP TABLE r AS SELECT * FROM registry.registrar WHERE id = (SELECT min(id) FROM registry.registrar);
UPDATE r SET id = 'r&d<"1>', gurid = gurid + 100000;
INSERT INTO registry.registrar SELECT * FROM r;
CREATE TEMP TABLE c AS SELECT * FROM registry.contact WHERE id = (SELECT min(id) FROM registry.contact);
CREATE TEMP TABLE cs AS SELECT * FROM registry.contact_status WHERE contact_id = (SELECT id FROM c);
CREATE TEMP TABLE cp AS SELECT * FROM registry.contact_postal WHERE contact_id = (SELECT id FROM c);
UPDATE c SET id = 'c&<1>', roid = 'Z' || roid;
UPDATE cs SET contact_id = 'c&<1>';
UPDATE cp SET contact_id = 'c&<1>';
INSERT INTO registry.contact SELECT * FROM c;
INSERT INTO registry.contact_status SELECT * FROM cs;
INSERT INTO registry.contact_postal SELECT * FROM cp;
UPDATE registry.domain SET cr_rr = 'r&d<"1>', registrant = 'c&<1>' WHERE roid = (SELECT roid FROM registry.domain WHERE tld = '${tld}' ORDER BY roid LIMIT 1 OFFSET 11);
UPDATE registry.contact SET cl_id = 'r&d<"1>' WHERE id = (SELECT id FROM registry.contact ORDER BY id LIMIT 1 OFFSET 12);`;
}

test('references the cross-object checks vouch for: the same deposit whether the referenced keys are plain or not, references that resolve to nothing included', async (t) => {
  const options: GenerateOptions = { tld: 'example', domains: 150, seed: 'render-vouch', hostModel: 'objects', asOf: AS_OF };
  const { dir, dbs } = await databases(t, 'sr-render-vouch-');
  const hashes = new Set<string>();
  for (const { name, db } of dbs) {
    await prepared(t, db, options);
    // References that resolve to nothing (the reference schema's foreign keys refuse them; a
    // mapping of another schema need not): the cross-object checks report them.
    await db.exec(`ALTER TABLE registry.domain DROP CONSTRAINT domain_cl_id_fkey;
      ALTER TABLE registry.domain DROP CONSTRAINT domain_registrant_fkey;
      UPDATE registry.domain SET cl_id = 'nobody-1' WHERE roid = (SELECT roid FROM registry.domain ORDER BY roid LIMIT 1 OFFSET 9);
      UPDATE registry.domain SET registrant = 'nobody-2' WHERE roid = (SELECT roid FROM registry.domain ORDER BY roid LIMIT 1 OFFSET 10);`);
    const deposit = fullDeposits(db, dir, options.tld);
    for (const keys of ['plain', 'not plain'] as const) {
      if (keys === 'not plain') await db.exec(unplainKeys(options.tld));
      const expected = keys === 'plain';
      const vouched = await withRegistrySnapshot(db, { tld: options.tld, watermark: AS_OF }, (source) => plainKeys(source.tx, source.tld));
      assert.deepEqual(vouched, { registrars: expected, contacts: expected, hosts: true }, `${name}: keys ${keys}`);
      const oracle = await deposit({ renderInDatabase: false, jobs: 0, onInvalid: 'quarantine' });
      const codes = oracle.findings.items.map((f) => f.code);
      assert.ok(codes.includes('RDE_DOMAIN_HAS_INVALID_CLID') && codes.includes('RDE_DOMAIN_HAS_INVALID_REGISTRANT'), `${name}: the dangling references are reported`);
      if (keys === 'not plain') {
        const xml = await readFile(oracle.file, 'utf8');
        for (const written of ['<rdeDomain:registrant>c&amp;&lt;1&gt;</rdeDomain:registrant>', '<rdeContact:clID>r&amp;d&lt;&quot;1&gt;</rdeContact:clID>', '>r&amp;d&lt;&quot;1&gt;</rdeDomain:crRr>']) {
          assert.ok(xml.includes(written), `${name}: the deposit refers to the keys that are not plain (${written})`);
        }
      }
      hashes.add(`${keys} ${oracle.sha256}`);
      for (const jobs of [0, 2]) assertSameDeposit(`${name}, keys ${keys}, ${jobs} jobs`, await deposit({ jobs, onInvalid: 'quarantine' }), oracle);
      await assertSameFailure(`${name}, keys ${keys}`, deposit);
    }
  }
  assert.equal(hashes.size, 2, 'embedded and server write the same bytes');
});

test('a DIFF or INCR rendered in PostgreSQL by its changed keys is the Node writer\'s: bytes, findings, quarantine, failure', async (t) => {
  const options: GenerateOptions = { tld: 'example', domains: 200, seed: 'render-diff', hostModel: 'objects', asOf: AS_OF };
  const { dir, dbs } = await databases(t, 'sr-render-diff-');
  const watermark = '2025-01-06T00:00:00Z';
  let run = 0;
  const hashes = new Set<string>();
  for (const { name, db } of dbs) {
    await generateRegistry(db, options);
    const fullDir = join(dir, `full-${name}`);
    await mkdir(fullDir);
    await writeFullDeposit(db, { tld: options.tld, outDir: fullDir, watermark: AS_OF, jobs: 0 });
    // The changes since the FULL: a churn with every kind of change (renamed shared hosts bring
    // their domains), then the edge cases, so that changed objects take the checked path too.
    await churnRegistry(db, { tld: options.tld, changes: 40, seed: 'render-diff', at: '2025-01-05T06:00:00Z', mix: CHURN_MIX_STRESS });
    await db.exec(injections(options.tld, true));
    for (const type of ['DIFF', 'INCR'] as const) {
      const deposit = async (extra: Partial<FullDepositOptions>) => {
        await db.exec("DELETE FROM strongroom.deposit WHERE type <> 'FULL'");
        const outDir = join(dir, String(run++));
        await mkdir(outDir);
        return writeDeposit(db, { tld: options.tld, outDir, watermark, ...extra }, type);
      };
      const oracle = await deposit({ renderInDatabase: false, jobs: 0, onInvalid: 'quarantine' });
      assert.ok(oracle.quarantined.length >= 5, `${name} ${type}: the broken objects are quarantined`);
      assert.ok((oracle.counts.domain ?? 0) > 20 && (oracle.counts.domain ?? 0) < 200, `${name} ${type}: a DIFF of some of the domains (${oracle.counts.domain})`);
      assertSchemaValid(t, oracle.file);
      hashes.add(`${type} ${oracle.sha256}`);
      // Page size 7: ranges of 14 changed keys, several per kind and lane.
      for (const extra of [{ jobs: 0 }, { jobs: 2, pageSize: 7 }, { jobs: 3 }] as const) {
        assertSameDeposit(`${name} ${type}, ${JSON.stringify(extra)}`, await deposit({ ...extra, onInvalid: 'quarantine' }), oracle);
      }
      await assertSameFailure(`${name} ${type}`, deposit);
    }
  }
  assert.equal(hashes.size, 2, 'embedded and server write the same bytes');
});
