import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import type { Db } from '../db/adapter.js';
import { writeFullDeposit } from '../deposit/full-deposit.js';
import { generateRegistry } from '../generate/generate.js';
import type { GenerateOptions } from '../generate/plan.js';
import { embeddedTestDb, registryKeys, serverTestDb, type TestDb } from '../testing/databases.js';
import { compareDatabases } from './compare.js';
import { rebuildFull } from './rebuild.js';

const AS_OF = '2025-01-05T00:00:00Z';

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-rebuild-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function deposit(db: Db, tld: string, dir: string) {
  await mkdir(dir, { recursive: true });
  return writeFullDeposit(db, { tld, outDir: dir, watermark: AS_OF });
}

type Kind = 'embedded' | 'server';
const open = (t: Parameters<typeof embeddedTestDb>[0], kind: Kind, migrate: boolean): Promise<TestDb | null> =>
  kind === 'embedded' ? embeddedTestDb(t, { migrate }) : serverTestDb(t, { migrate });

/** What a failed rebuild must leave exactly as it was: schema objects, keys, indexes and rows. */
async function fingerprint(db: Db): Promise<string> {
  const rows = await db.query<{ what: string }>(
    `SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS what FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('registry', 'rde', 'strongroom')
     UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
     WHERE connamespace IN (SELECT oid FROM pg_namespace WHERE nspname = 'registry')
     ORDER BY 1`,
  );
  const counts = rows.some((r) => r.what === 'registry.domain:r')
    ? await db.query<{ n: number }>('SELECT (SELECT count(*) FROM registry.domain) + (SELECT count(*) FROM registry.registrar) + (SELECT count(*) FROM registry.tld) AS n')
    : [];
  return JSON.stringify({ objects: rows.map((r) => r.what), counts });
}

/** The deposit with its last domain's sponsoring registrar replaced by one that does not exist. */
function danglingLastDomain(xml: string): { xml: string; domain: string } {
  const at = xml.lastIndexOf('<rdeDomain:clID>');
  const end = xml.indexOf('</rdeDomain:clID>', at);
  const start = xml.lastIndexOf('<rdeDomain:roid>', at);
  const domain = xml.slice(start + '<rdeDomain:roid>'.length, xml.indexOf('</rdeDomain:roid>', start));
  return { xml: `${xml.slice(0, at)}<rdeDomain:clID>ghost-registrar${xml.slice(end)}`, domain };
}

/** The deposit with a malformed date in its last domain. */
function badDateLastDomain(xml: string): string {
  const at = xml.lastIndexOf('<rdeDomain:crDate>') + '<rdeDomain:crDate>'.length;
  return `${xml.slice(0, at)}2025-13-45T00:00:00Z${xml.slice(xml.indexOf('<', at))}`;
}

const CASES: Array<{ kind: Kind; options: GenerateOptions }> = [
  { kind: 'embedded', options: { tld: 'example', domains: 300, seed: 'round-trip-1', hostModel: 'objects', asOf: AS_OF } },
  { kind: 'embedded', options: { tld: 'xn--q9jyb4c', domains: 200, seed: 'round-trip-2', hostModel: 'attributes', asOf: AS_OF } },
  { kind: 'server', options: { tld: 'example', domains: 250, seed: 'round-trip-3', hostModel: 'objects', asOf: AS_OF } },
  { kind: 'server', options: { tld: 'org', domains: 200, seed: 'round-trip-4', hostModel: 'attributes', asOf: AS_OF } },
  { kind: 'server', options: { tld: 'xn--q9jyb4c', domains: 26, seed: 'edge-cases-only', hostModel: 'objects', asOf: AS_OF } },
];

for (const { kind, options } of CASES) {
  test(`round trip on the ${kind} database, host ${options.hostModel}, seed ${options.seed}: generate → FULL → rebuild compares equal and re-deposits byte-identically`, async (t) => {
    const source = await open(t, kind, true);
    if (!source) return;
    const target = await open(t, kind, false);
    if (!target) return;
    const dir = await tempDir(t);
    await generateRegistry(source.db, options);
    const first = await deposit(source.db, options.tld, join(dir, 'source'));
    assert.deepEqual(first.findings.items, []);

    // All or nothing: a bad object late in the file leaves the target exactly as it was.
    const before = await fingerprint(target.db);
    const xml = await readFile(first.file, 'utf8');
    const dangling = danglingLastDomain(xml);
    const broken = join(dir, 'dangling.xml');
    await writeFile(broken, dangling.xml);
    await assert.rejects(rebuildFull(target.db, broken), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'REBUILD_CHECK_FAILED'), String(err));
      assert.match(err.message, /a reference does not resolve: registry\.domain \(cl_id\)/);
      assert.ok(err.message.includes(`roid=${dangling.domain} cl_id=ghost-registrar`), err.message);
      return true;
    });
    assert.equal(await fingerprint(target.db), before, 'a dangling reference leaves the target untouched');
    await writeFile(broken, badDateLastDomain(xml));
    await assert.rejects(rebuildFull(target.db, broken), (err: unknown) => isStrongroomError(err, 'READER_INVALID_OBJECT') && /crDate \(line \d+, column \d+\)/.test(err.message));
    assert.equal(await fingerprint(target.db), before, 'a malformed object leaves the target untouched');

    const summary = await rebuildFull(target.db, first.file);
    assert.equal(summary.tld.name, options.tld);
    assert.equal(summary.tld.hostModel, options.hostModel);
    assert.deepEqual(summary.objects, first.counts, 'every object of the deposit was loaded');
    assert.ok(summary.migrated.length > 0, 'the schema was created inside the rebuild');
    for (const check of summary.checks.counts) assert.equal(check.database, check.header, `${check.kind} count`);

    const comparison = await compareDatabases(source.db, target.db);
    assert.deepEqual(comparison.differences, [], 'the rebuilt database equals the source');
    assert.equal(comparison.equal, true);

    const second = await deposit(target.db, options.tld, join(dir, 'rebuilt'));
    assert.equal(second.fileName, first.fileName);
    assert.equal(second.sha256, first.sha256, 'the re-deposit of the rebuilt database is byte-identical');

    await assert.rejects(rebuildFull(target.db, first.file), (err: unknown) => isStrongroomError(err, 'REBUILD_TARGET_NOT_EMPTY'), 'a second rebuild into the same database is refused');
  });
}

/** A generated registry of .example (host objects), its FULL deposit's text, and a writer of variants of it. */
async function sourceDeposit(t: Parameters<typeof embeddedTestDb>[0], kind: Kind, domains: number, seed: string) {
  const source = await open(t, kind, true);
  if (!source) return null;
  const dir = await tempDir(t);
  await generateRegistry(source.db, { tld: 'example', domains, seed, hostModel: 'objects', asOf: AS_OF });
  const first = await deposit(source.db, 'example', join(dir, 'source'));
  const variant = async (name: string, text: string) => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };
  return { source, first, xml: await readFile(first.file, 'utf8'), variant };
}

for (const kind of ['embedded', 'server'] as const) {
  test(`rebuild on the ${kind} database: domains loaded straight with the TLD of their names whatever the header's place or TLD, name servers resolved whatever the hosts' place; an unresolvable name server fails the rebuild`, async (t) => {
    const given = await sourceDeposit(t, kind, 40, 'direct-tld');
    if (!given) return;
    const { source, xml, variant } = given;

    // The header first, the hosts last (name servers then resolved in the database).
    const headerAt = xml.indexOf('<rdeHeader:header>');
    const headerEnd = xml.indexOf('</rdeHeader:header>') + '</rdeHeader:header>'.length;
    const contents = xml.indexOf('<rde:contents>') + '<rde:contents>'.length;
    const headerFirst = `${xml.slice(0, contents)}${xml.slice(headerAt, headerEnd)}${xml.slice(contents, headerAt)}${xml.slice(headerEnd)}`;
    const hostsAt = headerFirst.indexOf('<rdeHost:host>');
    const hostsEnd = headerFirst.lastIndexOf('</rdeHost:host>') + '</rdeHost:host>'.length;
    assert.ok(hostsAt > 0 && !headerFirst.slice(hostsAt, hostsEnd).includes('<rdeDomain:domain>'), 'the hosts are one block');
    const end = headerFirst.indexOf('</rde:contents>');
    const reordered = `${headerFirst.slice(0, hostsAt)}${headerFirst.slice(hostsEnd, end)}${headerFirst.slice(hostsAt, hostsEnd)}${headerFirst.slice(end)}`;
    const target = (await open(t, kind, false))!;
    const summary0 = await rebuildFull(target.db, await variant('reordered.xml', reordered));
    assert.ok(summary0.checks.nameServers > 0);
    assert.deepEqual((await compareDatabases(source.db, target.db)).differences, [], 'header first, hosts last: equal to the source');

    // A header whose TLD is not the last label of the names: every domain row gets the header's.
    const otherTld = xml.replace('<rdeHeader:tld>example</rdeHeader:tld>', '<rdeHeader:tld>other</rdeHeader:tld>');
    assert.notEqual(otherTld, xml);
    const other = (await open(t, kind, false))!;
    const summary = await rebuildFull(other.db, await variant('other-tld.xml', otherTld));
    assert.equal(summary.tld.name, 'other');
    assert.deepEqual(await other.db.query('SELECT tld, count(*)::int AS n FROM registry.domain GROUP BY tld'), [{ tld: 'other', n: 40 }]);

    // A hostObj naming no host object of the deposit: named in the error, target untouched.
    const ns = xml.lastIndexOf('<domain:hostObj>') + '<domain:hostObj>'.length;
    assert.ok(ns > '<domain:hostObj>'.length, 'the deposit has hostObj name servers');
    const ghost = `${xml.slice(0, ns)}ns.ghost.invalid${xml.slice(xml.indexOf('<', ns))}`;
    const empty = (await open(t, kind, false))!;
    const before = await fingerprint(empty.db);
    await assert.rejects(rebuildFull(empty.db, await variant('ghost-ns.xml', ghost)), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'REBUILD_CHECK_FAILED'), String(err));
      assert.match(err.message, /1 name server\(s\) in .* name no host object .*: domain \S+\.example → ns\.ghost\.invalid/);
      return true;
    });
    assert.equal(await fingerprint(empty.db), before, 'an unresolvable name server leaves the target untouched');
  });
}

/** `xml` with the first element `<tag>…</tag>` for which `pick` holds moved to the end of the contents, or repeated right after itself (`next`). */
function moveObject(xml: string, tag: string, pick: (element: string) => boolean, place: 'end' | 'next'): { xml: string; element: string } {
  const close = `</${tag}>`;
  for (let at = xml.indexOf(`<${tag}>`); at >= 0; at = xml.indexOf(`<${tag}>`, at + 1)) {
    const end = xml.indexOf(close, at) + close.length;
    const element = xml.slice(at, end);
    if (!pick(element)) continue;
    if (place === 'next') return { xml: `${xml.slice(0, end)}${element}${xml.slice(end)}`, element };
    const rest = `${xml.slice(0, at)}${xml.slice(end)}`;
    const contentsEnd = rest.indexOf('</rde:contents>');
    return { xml: `${rest.slice(0, contentsEnd)}${element}${rest.slice(contentsEnd)}`, element };
  }
  throw new Error(`no <${tag}> to move`);
}

for (const kind of ['embedded', 'server'] as const) {
  test(`rebuild on the ${kind} database in small chunks: keys of the tables the load has finished with go back during it, in any object order; a duplicate found then, or an error after, leaves the target untouched`, async (t) => {
    const given = await sourceDeposit(t, kind, 60, 'keys-during-load');
    if (!given) return;
    const { source, first, xml, variant } = given;
    const chunkBytes = 4096;
    const sourceKeys = await registryKeys(source.db);

    // The deposit's own order: registrars, contacts and hosts are complete before the domains.
    const target = (await open(t, kind, false))!;
    const summary = await rebuildFull(target.db, first.file, { chunkBytes });
    assert.ok(summary.checks.keysDuringLoad > 5, `keys went back during the load (${summary.checks.keysDuringLoad})`);
    assert.deepEqual((await compareDatabases(source.db, target.db)).differences, [], 'equal to the source');
    assert.deepEqual(await registryKeys(target.db), sourceKeys, 'every key, foreign key and index back, validated, as in the source');

    // A registrar named by contacts, and a contact named by domains, after everything else:
    // their tables' keys went back before them and are taken off again; the contacts' foreign
    // key to the registrars, checked before the late registrar came, is checked again after.
    const contactOf = (registrar: string) => xml.includes(`<rdeContact:clID>${registrar}</rdeContact:clID>`);
    const lateRegistrar = moveObject(xml, 'rdeRegistrar:registrar', (e) => contactOf(/<rdeRegistrar:id>([^<]+)</.exec(e)![1]!), 'end');
    const lateContact = moveObject(lateRegistrar.xml, 'rdeContact:contact', (e) => xml.includes(`contact type="admin">${/<rdeContact:id>([^<]+)</.exec(e)![1]!}<`), 'end');
    const late = (await open(t, kind, false))!;
    const lateSummary = await rebuildFull(late.db, await variant('late.xml', lateContact.xml), { chunkBytes });
    assert.ok(lateSummary.checks.keysDuringLoad > 0);
    assert.deepEqual((await compareDatabases(source.db, late.db)).differences, [], 'late registrar and contact: equal to the source');
    assert.deepEqual(await registryKeys(late.db), sourceKeys);

    // A contact twice, one after the other: the duplicate fails its key when it goes back
    // during the load; the target is untouched.
    const empty = (await open(t, kind, false))!;
    const before = await fingerprint(empty.db);
    const twice = moveObject(xml, 'rdeContact:contact', () => true, 'next');
    await assert.rejects(rebuildFull(empty.db, await variant('twice.xml', twice.xml), { chunkBytes }), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'REBUILD_CHECK_FAILED'), String(err));
      assert.match(err.message, /the deposit holds the same key twice in registry\.contact \(PRIMARY KEY \(id\)\)/);
      return true;
    });
    assert.equal(await fingerprint(empty.db), before, 'a duplicate found during the load leaves the target untouched');

    // The domains, the last objects of the deposit: a domain twice, or a name held by two
    // roids, fails its key when it goes back after the load, naming the key; the target is
    // untouched.
    const roidOf = (e: string) => /<rdeDomain:roid>([^<]+)</.exec(e)![1]!;
    const twiceDomain = moveObject(xml, 'rdeDomain:domain', () => true, 'next');
    await assert.rejects(rebuildFull(empty.db, await variant('twice-domain.xml', twiceDomain.xml), { chunkBytes }), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'REBUILD_CHECK_FAILED'), String(err));
      // The first of the domain tables' keys to go back names it (the domain's, or a child's).
      assert.match(err.message, /^the deposit holds the same key twice in registry\.domain\w* \(PRIMARY KEY \((roid|domain_roid, ord)\)\): /);
      assert.ok(err.message.includes(`=(${roidOf(twiceDomain.element)}`), err.message);
      assert.match(String(err.location), /^registry\.domain/);
      return true;
    });
    assert.equal(await fingerprint(empty.db), before, 'a duplicate domain leaves the target untouched');
    const renamed = moveObject(xml, 'rdeDomain:domain', () => true, 'next');
    const copy = renamed.element.replace(/<rdeDomain:roid>([^<]+)</, '<rdeDomain:roid>ZZ$1<');
    const sameName = renamed.xml.replace(`${renamed.element}${renamed.element}`, `${renamed.element}${copy}`);
    assert.notEqual(sameName, renamed.xml);
    await assert.rejects(rebuildFull(empty.db, await variant('same-name.xml', sameName)), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'REBUILD_CHECK_FAILED'), String(err));
      assert.match(err.message, /^the deposit holds the same key twice in registry\.domain \(UNIQUE \(name\)\): .*Key \(name\)=\(/);
      return true;
    });
    assert.equal(await fingerprint(empty.db), before, 'a name held by two domains leaves the target untouched');

    // A malformed last domain, long after the contacts' and hosts' keys went back (the same
    // deposit and chunks as the first rebuild): the target is untouched.
    await assert.rejects(rebuildFull(empty.db, await variant('bad-date.xml', badDateLastDomain(xml)), { chunkBytes }), (err: unknown) => isStrongroomError(err, 'READER_INVALID_OBJECT'));
    assert.equal(await fingerprint(empty.db), before, 'an error after keys went back during the load leaves the target untouched');

    // A dangling reference found after the load, with keys back during it: untouched too.
    await assert.rejects(rebuildFull(empty.db, await variant('dangling.xml', danglingLastDomain(xml).xml), { chunkBytes }), (err: unknown) => isStrongroomError(err, 'REBUILD_CHECK_FAILED'));
    assert.equal(await fingerprint(empty.db), before);
  });
}
