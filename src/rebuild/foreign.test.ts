/**
 * Deposits from other implementations: the RFC 9022 example FULL deposit rebuilds, and
 * hand-made variants of it — other prefixes (and default namespaces), objects in another
 * order, extra whitespace — rebuild to a database that compares equal to the original's.
 * A variant with optional elements removed rebuilds too, and compare reports exactly those
 * fields.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/adapter.js';
import { TABLE_ORDER } from '../generate/rows.js';
import { embeddedTestDb, serverTestDb, type TestDb } from '../testing/databases.js';
import { SAMPLES_DIR } from '../testing/paths.js';
import { compareDatabases, type Difference } from './compare.js';
import { rebuildFull } from './rebuild.js';

const EXAMPLE = join(SAMPLES_DIR, 'example-full.xml');

/** Rename every namespace prefix declared on the root (tags and declarations, not attribute values). */
function otherPrefixes(xml: string): string {
  const prefixes = [...xml.matchAll(/xmlns:([A-Za-z][\w.-]*)=/g)].map((m) => m[1]!);
  let out = xml;
  prefixes.forEach((prefix, n) => {
    const to = `ns${n}x`;
    out = out.replace(new RegExp(`(</?)${prefix}:`, 'g'), `$1${to}:`).replace(new RegExp(`xmlns:${prefix}=`, 'g'), `xmlns:${to}=`);
  });
  // Hosts use a default namespace instead of a prefix.
  const host = prefixes.indexOf('rdeHost');
  const hp = `ns${host}x`;
  out = out.replace(new RegExp(`<${hp}:host>`, 'g'), '<host xmlns="urn:ietf:params:xml:ns:rdeHost-1.0">').replace(new RegExp(`(</?)${hp}:`, 'g'), '$1');
  return out;
}

/** The objects of `<rde:contents>` in reverse order (the header last, hosts after domains …). */
function reordered(xml: string): string {
  const open = xml.indexOf('<rde:contents>') + '<rde:contents>'.length;
  const close = xml.indexOf('</rde:contents>');
  const body = xml.slice(open, close);
  const objects = [
    ...body.matchAll(/<(rdeHeader:header|rdeDom:domain|rdeHost:host|rdeContact:contact|rdeRegistrar:registrar|rdeIDN:idnTableRef|rdeNNDN:NNDN|rdeEppParams:eppParams)[\s>][\s\S]*?<\/\1>/g),
    ...body.matchAll(/<rdePolicy:policy[^>]*\/>/g),
  ].map((m) => m[0]);
  assert.equal(objects.length, 12, 'every object of the example was found');
  return `${xml.slice(0, open)}\n${objects.reverse().join('\n<!-- moved -->\n')}\n${xml.slice(close)}`;
}

/**
 * Whitespace around token-like values (xs:token and its kin, dates, numbers, URIs) and
 * attribute values, and between elements. String and normalizedString values (names of people
 * and registrars, postal lines) are left alone: there, whitespace is part of the value.
 */
function extraWhitespace(xml: string): string {
  const tokens = [
    'rdeDom:name', 'rdeDom:roid', 'rdeDom:clID', 'rdeDom:crDate', 'rdeDom:exDate', 'rdeDom:registrant', 'rdeDom:contact', 'rdeDom:crRr', 'domain:hostObj',
    'rdeHost:name', 'rdeHost:roid', 'rdeHost:addr', 'rdeHost:clID', 'rdeHost:crDate', 'rdeHost:upDate', 'rdeHost:upRr',
    'rdeContact:id', 'rdeContact:roid', 'rdeContact:email', 'rdeContact:voice', 'rdeContact:clID', 'rdeContact:trDate', 'contact:cc', 'contact:pc',
    'rdeRegistrar:id', 'rdeRegistrar:gurid', 'rdeRegistrar:status', 'rdeRegistrar:cc', 'rdeRegistrar:crDate',
    'rdeNNDN:aName', 'rdeNNDN:nameState', 'rdeNNDN:idnTableId', 'rdeHeader:count', 'rdeHeader:tld',
    'rde:version', 'rde:objURI', 'rde:watermark', 'rdeEppParams:version', 'rdeEppParams:lang',
  ];
  let out = xml;
  for (const name of tokens) {
    out = out.replace(new RegExp(`(<${name}(\\s[^>]*)?>)([^<\\s][^<]*?)(</${name}>)`, 'g'), '$1 \n\t  $3 \t\n $4');
  }
  out = out.replace(/ s="([a-zA-Z]+)"/g, ' s = "  $1 "').replace(/ type="(int|loc|admin|tech)"/g, ' type=" $1"');
  return out.replace(/></g, '>\n\n   <');
}

/** Optional elements removed: crRr/upRr/upDate everywhere, the registrar's whoisInfo, contact voice/fax/disclose. */
function withoutOptional(xml: string): string {
  return xml
    .replace(/\s*<(rdeDom|rdeHost|rdeContact):(crRr|upRr)[^>]*>[^<]*<\/\1:\2>/g, '')
    .replace(/\s*<(rdeHost|rdeContact):upDate>[^<]*<\/\1:upDate>/g, '')
    .replace(/\s*<rdeRegistrar:whoisInfo>[\s\S]*?<\/rdeRegistrar:whoisInfo>/, '')
    .replace(/\s*<rdeContact:(voice|fax)[^>]*>[^<]*<\/rdeContact:\1>/g, '')
    .replace(/\s*<rdeContact:disclose[\s\S]*?<\/rdeContact:disclose>/, '');
}

async function clear(db: Db): Promise<void> {
  const [schema] = await db.query<{ present: boolean }>("SELECT to_regclass('registry.tld') IS NOT NULL AS present");
  if (schema?.present) await db.exec(`TRUNCATE ${TABLE_ORDER.map((t) => `registry.${t}`).join(', ')} CASCADE`);
}

const key = (d: Difference) => `${d.kind} ${d.object} ${d.field}`;

for (const kind of ['server', 'embedded'] as const) {
  test(`foreign deposits on the ${kind} database: example-full.xml rebuilds, and its variants rebuild to an equal database`, async (t: TestContext) => {
    const open = (): Promise<TestDb | null> => (kind === 'server' ? serverTestDb(t, { migrate: false }) : embeddedTestDb(t, { migrate: false }));
    const original = await open();
    if (!original) return;
    const variant = (await open())!;
    const dir = await mkdtemp(join(tmpdir(), 'sr-foreign-'));
    t.after(() => rm(dir, { recursive: true, force: true }));

    const summary = await rebuildFull(original.db, EXAMPLE);
    assert.deepEqual(summary.objects, { domain: 2, host: 2, contact: 2, registrar: 1, idnTable: 1, nndn: 1, eppParams: 1, policy: 1 });
    assert.deepEqual(summary.tld, { name: 'test', roidSuffix: 'TEST', hostModel: 'objects', dataModel: 'per-registrar' });
    assert.equal(summary.checks.nameServers, 2);
    const [ns] = await original.db.query<{ host_roid: string }>(`SELECT host_roid FROM registry.domain_ns WHERE domain_roid = 'Dexample1-TEST' AND ord = 0`);
    assert.equal(ns?.host_roid, 'Hns1_example_com-TEST', 'name servers link to host objects by roid');

    const xml = await readFile(EXAMPLE, 'utf8');
    const variants: Record<string, string> = {
      'other prefixes and a default namespace': otherPrefixes(xml),
      'objects in reverse order': reordered(xml),
      'extra whitespace': extraWhitespace(xml),
      'all three at once': otherPrefixes(extraWhitespace(reordered(xml))),
    };
    // The variants really are different texts.
    assert.ok(!variants['other prefixes and a default namespace']!.includes('<rdeDom:') && variants['other prefixes and a default namespace']!.includes('<host xmlns='));
    assert.ok(variants['objects in reverse order']!.indexOf('<rdeHeader:header') > variants['objects in reverse order']!.indexOf('<rdeDom:domain'));
    assert.ok(variants['extra whitespace']!.includes('<rdeDom:name> \n\t  example1.test \t\n </rdeDom:name>'));
    if (kind === 'embedded') delete variants['other prefixes and a default namespace'], delete variants['objects in reverse order'], delete variants['extra whitespace'];
    for (const [name, text] of Object.entries(variants)) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.xml`);
      await writeFile(file, text);
      await clear(variant.db);
      await rebuildFull(variant.db, file);
      const comparison = await compareDatabases(original.db, variant.db);
      assert.deepEqual(comparison.differences, [], `${name}: rebuilds to an equal database`);
    }

    const thin = join(dir, 'without-optional.xml');
    await writeFile(thin, withoutOptional(xml));
    await clear(variant.db);
    await rebuildFull(variant.db, thin);
    const comparison = await compareDatabases(original.db, variant.db, { maxDifferences: 100 });
    assert.deepEqual(comparison.differences.map(key).sort(), [
      'contact jd1234 crRr',
      'contact jd1234 disclose',
      'contact jd1234 fax',
      'contact jd1234 upDate',
      'contact jd1234 upRr',
      'contact jd1234 voice',
      'domain example1.test (Dexample1-TEST) crRr',
      'domain example2.test (Dexample2-TEST) crRr',
      'host ns1.example.com (Hns1_example_com-TEST) crRr',
      'host ns1.example1.test (Hns1_example_test-TEST) crRr',
      'host ns1.example1.test (Hns1_example_test-TEST) upDate',
      'host ns1.example1.test (Hns1_example_test-TEST) upRr',
      'registrar RegistrarX whoisInfo',
    ]);
    const voice = comparison.differences.find((d) => d.field === 'voice');
    assert.deepEqual([voice?.a, voice?.b], ['{"number":"+1.7035555555","ext":"1234"}', null], 'differences show both values');
  });
}
