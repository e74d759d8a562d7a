/**
 * The cross-object checks' probes (preflight.ts `referenceChecks`): some probes look at every
 * TLD or from the smaller side, a superset of what their check reports. A probe that finds
 * something only lets the check's own query run, which decides; these tests break the reference
 * schema's constraints (a mapping of another schema need not have them) so that every such
 * check has something to find, in the deposit's TLD and only in another TLD.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../db/adapter.js';
import { generateRegistry } from '../generate/generate.js';
import { withRegistrySnapshot } from '../sources/postgres-source.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { referenceChecks } from './preflight.js';

const AS_OF = '2025-01-05T00:00:00Z';

async function findings(db: Db): Promise<string[]> {
  const refs = await withRegistrySnapshot(db, { tld: 'example', watermark: AS_OF }, (source) => referenceChecks(source.tx, source.tld, 100));
  return [...refs.byObject.values()].flat().map((f) => `${f.code} ${f.kind} ${f.key} ${f.object}`).sort();
}

/** The nth domain of the TLD by roid, as SQL. */
const nth = (n: number) => `(SELECT roid FROM registry.domain WHERE tld = 'example' ORDER BY roid LIMIT 1 OFFSET ${n})`;

test('probes over every TLD or from the smaller side: each check still reports exactly its own TLD\'s problems', async (t) => {
  const dbs: Array<[string, Db]> = [['embedded', (await embeddedTestDb(t)).db]];
  const server = await serverTestDb(t);
  if (server) dbs.push(['server', server.db]);
  for (const [name, db] of dbs) {
    await generateRegistry(db, { tld: 'example', domains: 60, seed: 'ref-probes', hostModel: 'objects', asOf: AS_OF });
    assert.deepEqual(await findings(db), [], `${name}: a generated registry has no cross-object finding`);
    // Another TLD whose domains repeat names of the deposit's TLD, refer to no contact and hold
    // DS and key data at once: none of it is the deposit's.
    await db.exec(`
      ALTER TABLE registry.domain DROP CONSTRAINT domain_name_key;
      ALTER TABLE registry.domain DROP CONSTRAINT domain_registrant_fkey;
      INSERT INTO registry.tld (name, roid_suffix) VALUES ('other', 'OTHER');
      CREATE TEMP TABLE d AS SELECT * FROM registry.domain WHERE roid IN (${nth(1)}, ${nth(2)});
      UPDATE d SET tld = 'other', roid = roid || '-X', registrant = 'nobody-x';
      INSERT INTO registry.domain SELECT * FROM d;
      INSERT INTO registry.domain_key (domain_roid, ord, flags, protocol, alg, pub_key)
        SELECT d.roid, 0, 257, 3, 8, 'AwEAAQ==' FROM d;
      INSERT INTO registry.domain_ds (domain_roid, ord, key_tag, alg, digest_type, digest)
        SELECT d.roid, 0, 1, 8, 2, 'ABCD' FROM d;`);
    assert.deepEqual(await findings(db), [], `${name}: problems of another TLD only`);
    // The other TLD's problems go, so that each probe below must find the deposit's TLD's own.
    await db.exec(`
      DELETE FROM registry.domain_key WHERE domain_roid IN (SELECT roid FROM registry.domain WHERE tld = 'other');
      DELETE FROM registry.domain_ds WHERE domain_roid IN (SELECT roid FROM registry.domain WHERE tld = 'other');
      DELETE FROM registry.domain WHERE tld = 'other';`);
    // The same problems in the deposit's TLD.
    const roids = (await db.query<{ roid: string; name: string }>(`SELECT roid, name FROM registry.domain WHERE tld = 'example' ORDER BY roid LIMIT 3 OFFSET 3`)).map((r) => [r.roid, r.name] as const);
    const [[third, thirdName], [fourth, fourthName], [fifth, fifthName]] = roids as [readonly [string, string], readonly [string, string], readonly [string, string]];
    await db.exec(`
      CREATE TEMP TABLE e AS SELECT * FROM registry.domain WHERE roid = '${third}';
      UPDATE e SET roid = 'DUP1-EXAMPLE';
      INSERT INTO registry.domain SELECT * FROM e;
      UPDATE registry.domain SET registrant = 'nobody-1' WHERE roid = '${fourth}';
      DELETE FROM registry.domain_key WHERE domain_roid = '${fifth}';
      DELETE FROM registry.domain_ds WHERE domain_roid = '${fifth}';
      INSERT INTO registry.domain_key (domain_roid, ord, flags, protocol, alg, pub_key) VALUES ('${fifth}', 0, 257, 3, 8, 'AwEAAQ==');
      INSERT INTO registry.domain_ds (domain_roid, ord, key_tag, alg, digest_type, digest) VALUES ('${fifth}', 0, 1, 8, 2, 'ABCD');`);
    assert.deepEqual(
      await findings(db),
      [
        `RDE_DOMAIN_HAS_INVALID_REGISTRANT domain ${fourth} ${fourthName}`,
        `RDE_DOMAIN_HAS_NON_UNIQUE_NAME domain DUP1-EXAMPLE ${thirdName}`,
        `RDE_DOMAIN_HAS_NON_UNIQUE_NAME domain ${third} ${thirdName}`,
        `SR_DOMAIN_HAS_INVALID_SECDNS domain ${fifth} ${fifthName}`,
      ].sort(),
      `${name}: the deposit's TLD's problems, and only those`,
    );
  }
});
