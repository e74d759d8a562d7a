import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import type { TestContext } from 'node:test';
import type { Db } from '../db/adapter.js';
import { isStrongroomError } from '../common/errors.js';
import { OBJECT_URI } from '../model/namespaces.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { FIXTURE_BREAKAGE, FIXTURE_COUNTS, FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { writeFullDeposit, type FullDepositOptions } from './full-deposit.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-deposit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What a deposit holds, read back with a plain XML parser. */
interface Parsed {
  attributes: Record<string, string>;
  watermark: string;
  menu: string[];
  header: Record<string, number>;
  headerTld: string;
  /** Objects per namespace URI, as found in <rde:contents>. */
  objects: Record<string, number>;
  /** Text of every rdeDomain:name / rdeContact:id / rdeHost:name / rdeNNDN:aName. */
  names: string[];
}

async function parseDeposit(file: string): Promise<Parsed> {
  const parser = new SaxesParser({ xmlns: true });
  const parsed: Parsed = { attributes: {}, watermark: '', menu: [], header: {}, headerTld: '', objects: {}, names: [] };
  const stack: string[] = [];
  let text = '';
  let countUri = '';
  parser.on('opentag', (tag) => {
    stack.push(`${tag.uri} ${tag.local}`);
    text = '';
    if (stack.length === 1) for (const [name, attr] of Object.entries(tag.attributes)) if (!name.startsWith('xmlns')) parsed.attributes[name] = attr.value;
    if (stack.length === 3 && stack[1] === 'urn:ietf:params:xml:ns:rde-1.0 contents' && tag.uri !== OBJECT_URI.header) {
      parsed.objects[tag.uri] = (parsed.objects[tag.uri] ?? 0) + 1;
    }
    if (tag.local === 'count') countUri = tag.attributes.uri!.value;
  });
  parser.on('text', (t) => (text += t));
  parser.on('closetag', (tag) => {
    const path = stack.join('/');
    if (tag.local === 'watermark') parsed.watermark = text;
    if (tag.local === 'objURI' && path.includes('rdeMenu')) parsed.menu.push(text);
    if (tag.local === 'count' && tag.uri === OBJECT_URI.header) parsed.header[countUri] = Number(text);
    if (tag.local === 'tld' && tag.uri === OBJECT_URI.header) parsed.headerTld = text;
    if (stack.length === 4 && ['name', 'id', 'aName'].includes(tag.local) && tag.uri !== OBJECT_URI.registrar) parsed.names.push(text);
    stack.pop();
  });
  parser.write(await readFile(file, 'utf8')).close();
  return parsed;
}

/** A deposit of the fixture; every file written is checked against the official schemas. */
async function deposit(t: TestContext, db: Db, outDir: string, extra: Partial<FullDepositOptions> = {}) {
  const result = await writeFullDeposit(db, { tld: 'example', outDir, watermark: FIXTURE_WATERMARK, ...extra });
  assertSchemaValid(t, result.file);
  return result;
}

async function fixtureDb(t: TestContext) {
  const test = await embeddedTestDb(t);
  await loadFixtureRegistry(test.db);
  return test.db;
}

test('FULL deposits of the fixture are schema-valid, and header, menu and records match what was written', async (t) => {
  const db = await fixtureDb(t);
  const out = await tempDir(t);
  for (const tld of ['example', 'xn--q9jyb4c'] as const) {
    const result = await deposit(t, db, out, { tld });
    assert.equal(result.fileName, `${tld}_2025-01-05_full_S1_R0.xml`);
    assert.equal(result.id, '20250105F0000');
    assert.deepEqual(result.counts, FIXTURE_COUNTS[tld]);
    const parsed = await parseDeposit(result.file);
    assert.deepEqual(parsed.attributes, { type: 'FULL', id: '20250105F0000', resend: '0' });
    assert.equal(parsed.watermark, FIXTURE_WATERMARK);
    assert.equal(parsed.headerTld, tld);
    const expected = Object.fromEntries(Object.entries(FIXTURE_COUNTS[tld]).map(([kind, n]) => [OBJECT_URI[kind as keyof typeof OBJECT_URI], n]));
    assert.deepEqual(parsed.header, expected, 'header counts = kinds present with their counts');
    assert.deepEqual(parsed.objects, Object.fromEntries(Object.entries(expected).filter(([, n]) => n > 0)), 'header counts = objects actually in contents');
    assert.deepEqual([...parsed.menu].sort(), Object.keys(parsed.header).sort(), 'menu URIs = header URIs (RST rde-05)');
    assert.ok(!parsed.menu.includes(OBJECT_URI.header), 'rdeHeader is not in the menu');
    const bytes = await readFile(result.file);
    assert.equal(result.bytes, bytes.length);
    assert.equal(result.sha256, createHash('sha256').update(bytes).digest('hex'));
    const [row] = await db.query<Record<string, unknown>>('SELECT * FROM strongroom.deposit WHERE tld = $1', [tld]);
    assert.equal(row?.id, result.id);
    assert.equal(row?.type, 'FULL');
    assert.equal(row?.file_name, result.fileName);
    assert.equal(row?.sha256, result.sha256);
    assert.equal(row?.bytes, result.bytes);
    assert.equal(row?.snapshot, result.snapshot);
    assert.equal(row?.snapshot_time, result.snapshotTime);
    assert.equal(row?.watermark, FIXTURE_WATERMARK);
    assert.deepEqual(row?.counts, result.counts);
  }
  const minna = await parseDeposit(join(out, 'xn--q9jyb4c_2025-01-05_full_S1_R0.xml'));
  assert.ok(!minna.menu.includes(OBJECT_URI.host), 'no host URI for the host-attribute model (RST rde-05)');
  assert.deepEqual((await readdir(out)).sort(), ['example_2025-01-05_full_S1_R0.xml', 'xn--q9jyb4c_2025-01-05_full_S1_R0.xml', 'xn--q9jyb4c_2025-01-05_full_S1_R0.xml.findings.json'], 'no temporaries left; the findings report of the warnings');
});

test('the same snapshot gives byte-identical deposits: rerun, any page size, embedded database and server', async (t) => {
  const db = await fixtureDb(t);
  const first = await deposit(t, db, await tempDir(t));
  const bytes = await readFile(first.file);
  await db.exec('DELETE FROM strongroom.deposit');
  const again = await deposit(t, db, await tempDir(t), { pageSize: 1 });
  assert.ok(bytes.equals(await readFile(again.file)), 'same database, page size 1');
  const server = await serverTestDb(t);
  if (!server) return;
  await loadFixtureRegistry(server.db);
  const onServer = await deposit(t, server.db, await tempDir(t), { pageSize: 2 });
  assert.equal(onServer.sha256, first.sha256, 'the server writes the same bytes as the embedded database');
  assert.ok(bytes.equals(await readFile(onServer.file)));
});

test('watermarks: default is the snapshot time; the future and the unhonourable are refused; resends keep the id', async (t) => {
  const db = await fixtureDb(t);
  const out = await tempDir(t);
  const now = await deposit(t, db, out, { watermark: undefined });
  assert.equal(now.watermark, now.snapshotTime);
  assert.equal(now.fileName, `example_${now.snapshotTime.slice(0, 10)}_full_S1_R0.xml`);
  await assert.rejects(deposit(t, db, out, { watermark: '2999-01-01T00:00:00Z' }), (e: unknown) => isStrongroomError(e, 'DEPOSIT_WATERMARK_UNHONOURABLE'));
  await assert.rejects(deposit(t, db, out, { watermark: '2024-12-31T00:00:00Z' }), (e: unknown) => isStrongroomError(e, 'DEPOSIT_WATERMARK_UNHONOURABLE') && /example\.example/.test(e.message));
  await assert.rejects(deposit(t, db, out, { watermark: 'yesterday' }), (e: unknown) => isStrongroomError(e, 'DEPOSIT_INVALID_ARGUMENT'));
  assert.deepEqual(await readdir(out), [now.fileName], 'refused runs leave nothing behind');

  const r0 = await deposit(t, db, out);
  await assert.rejects(deposit(t, db, await tempDir(t)), (e: unknown) => isStrongroomError(e, 'DEPOSIT_ALREADY_RECORDED') && /--resend 1/.test(e.message));
  await db.query('DELETE FROM strongroom.deposit WHERE id = $1', [r0.id]);
  await assert.rejects(deposit(t, db, out), (e: unknown) => isStrongroomError(e, 'DEPOSIT_TARGET_EXISTS'), 'an existing file is never replaced');
  const r1 = await deposit(t, db, out, { resend: 1 });
  assert.equal(r1.fileName, 'example_2025-01-05_full_S1_R1.xml');
  assert.equal(r1.id, r0.id, 'a resend keeps the id');
  assert.equal((await parseDeposit(r1.file)).attributes.resend, '1');
  const recorded = await db.query<{ resend: number }>('SELECT resend FROM strongroom.deposit WHERE id = $1 ORDER BY resend', [r0.id]);
  assert.deepEqual(recorded, [{ resend: 1 }]);
});

test('a broken object fails the run by default: findings with stable codes, nothing published', async (t) => {
  const db = await fixtureDb(t);
  await db.exec(FIXTURE_BREAKAGE);
  const out = await tempDir(t);
  await assert.rejects(deposit(t, db, out), (e: unknown) => {
    if (!isStrongroomError(e, 'DEPOSIT_PREFLIGHT_FAILED')) return false;
    assert.equal(e.exitStatus, 1);
    const findings = (e.data?.findings ?? []) as Array<{ code: string; object: string }>;
    assert.deepEqual(
      findings.map((f) => `${f.code} ${f.object}`).sort(),
      [
        'RDE_CONTACT_HAS_INVALID_CC badcc',
        'RDE_DOMAIN_HAS_INVALID_REGISTRANT dangling.example',
        'RDE_DOMAIN_HAS_INVALID_ROID badroid.example',
        'RDE_NNDN_CONFLICTS_WITH_DOMAIN plain.example',
        'SR_XML_INVALID_CHARACTER ctrlchar',
      ],
    );
    return true;
  });
  assert.deepEqual(await readdir(out), [], 'no final file and no temporary');
  assert.deepEqual(await db.query('SELECT id FROM strongroom.deposit'), [], 'nothing recorded');
});

test('quarantine leaves broken objects and their dependants out, reports them, and still writes a valid deposit', async (t) => {
  const db = await fixtureDb(t);
  await db.exec(FIXTURE_BREAKAGE);
  const out = await tempDir(t);
  await assert.rejects(deposit(t, db, out, { onInvalid: 'quarantine', maxQuarantined: 5 }), (e: unknown) => isStrongroomError(e, 'DEPOSIT_QUARANTINE_CAP_EXCEEDED'));
  assert.deepEqual(await readdir(out), []);

  const result = await deposit(t, db, out, { onInvalid: 'quarantine' });
  assert.deepEqual(result.quarantined.map((q) => `${q.kind} ${q.object}`).sort(), [
    'contact badcc',
    'contact ctrlchar',
    'domain badroid.example',
    'domain cascade.example',
    'domain dangling.example',
    'nndn plain.example',
  ]);
  assert.deepEqual(result.counts, FIXTURE_COUNTS.example, 'the header counts what was written: the fixture, without the quarantined');
  const cascade = result.findings.items.find((f) => f.object === 'cascade.example');
  assert.equal(cascade?.code, 'SR_REFERENCES_QUARANTINED_OBJECT');
  assert.match(cascade!.message, /registrant refers to contact badcc, which is quarantined/);
  const parsed = await parseDeposit(result.file);
  for (const name of ['badcc', 'ctrlchar', 'badroid.example', 'cascade.example', 'dangling.example']) assert.ok(!parsed.names.includes(name), `${name} is not in the deposit`);
  const report = JSON.parse(await readFile(`${result.file}.findings.json`, 'utf8')) as { quarantined: unknown[]; errors: number; id: string };
  assert.equal(report.id, result.id);
  assert.equal(report.quarantined.length, 6);
  assert.equal(report.errors, 6);
  assert.deepEqual(await db.query('SELECT quarantined, findings FROM strongroom.deposit'), [{ quarantined: 6, findings: 6 }]);
});

test('deposit-level problems fail even in quarantine mode; the minimum data model escrows no contacts', async (t) => {
  const db = await fixtureDb(t);
  await db.exec("DELETE FROM registry.epp_params WHERE tld = 'example'");
  await assert.rejects(deposit(t, db, await tempDir(t), { onInvalid: 'quarantine' }), (e: unknown) => {
    return isStrongroomError(e, 'DEPOSIT_PREFLIGHT_FAILED') && ((e.data?.findings ?? []) as Array<{ code: string }>).some((f) => f.code === 'RDE_MISSING_EPP_PARAMS_OBJECT');
  });
  const minimum = await embeddedTestDb(t);
  await loadFixtureRegistry(minimum.db);
  await minimum.db.exec("UPDATE registry.tld SET data_model = 'minimum' WHERE name = 'example'");
  const result = await deposit(t, minimum.db, await tempDir(t));
  assert.equal(result.counts.contact, undefined);
  const xml = await readFile(result.file, 'utf8');
  assert.doesNotMatch(xml, /<rdeContact:|<rdeDomain:registrant>|<rdeDomain:contact |rdeContact-1\.0<\/rde:objURI>/);
});

test('an interrupted or misdirected run leaves nothing behind', async (t) => {
  const db = await fixtureDb(t);
  const out = await tempDir(t);
  const controller = new AbortController();
  const progress = {
    task: () => ({ add: () => controller.abort(), done() {} }),
    note() {},
    warn() {},
  };
  await assert.rejects(deposit(t, db, out, { signal: controller.signal, progress }), (e: unknown) => isStrongroomError(e, 'INTERRUPTED'));
  assert.deepEqual(await readdir(out), [], 'the temporary file is removed');
  assert.deepEqual(await db.query('SELECT id FROM strongroom.deposit'), []);
  await assert.rejects(deposit(t, db, join(out, 'missing')), (e: unknown) => isStrongroomError(e, 'FILE_NOT_FOUND'));
});
