import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddedTestDb, registryKeys, serverTestDb } from '../testing/databases.js';
import { Keys } from './keys.js';

const REGISTRAR = `INSERT INTO registry.registrar (id, name) VALUES ($1, $1)`;
const CONTACT = `INSERT INTO registry.contact (id, roid, email, cl_id) VALUES ($1, $1 || '-ROID', 'x@example.test', $2)`;

for (const kind of ['embedded', 'server'] as const) {
  test(`Keys on the ${kind} database: steps put back early on finished tables, taken off again by reopen, a failing foreign key left for the end, steps undone by a rollback to a savepoint forgotten by resync`, async (t) => {
    const target = kind === 'embedded' ? await embeddedTestDb(t) : await serverTestDb(t);
    if (!target) return;
    const all = await registryKeys(target.db);
    assert.ok(all.length > 50, 'the schema has its keys');
    await assert.rejects(
      target.db.transaction(async (tx) => {
        const keys = await Keys.read(tx);
        await keys.drop(tx);
        assert.deepEqual(await registryKeys(tx), [], 'all off');
        await tx.query(REGISTRAR, ['r1']);
        await tx.query(CONTACT, ['c1', 'r1']);
        await tx.query(CONTACT, ['c2', 'r2']); // its registrar comes later

        // Registrars and contacts finished: their keys, and the foreign keys between them.
        const finished = new Set(['registry.registrar', 'registry.contact']);
        const done = await keys.restoreSome(tx, (table) => finished.has(table), 1e9);
        const back = await registryKeys(tx);
        assert.ok(done >= 4 && back.some((k) => k.startsWith('registry.contact contact_pkey')) && back.some((k) => k.startsWith('registry.registrar registrar_pkey')), back.join('\n'));
        assert.ok(!back.some((k) => k.includes('contact_cl_id_fkey')), 'c2 names a registrar not loaded yet: the foreign key is left for later, without failing');
        assert.ok(back.some((k) => k.includes('contact_cr_rr_fkey')), 'the others went back');
        assert.ok(back.every((k) => !k.includes('registry.domain')), 'nothing on tables not finished');

        // More registrars after all: registrar keys and the foreign keys to them come off.
        assert.equal(keys.touches('registry.registrar'), true);
        await keys.reopen(tx, 'registry.registrar');
        const reopened = await registryKeys(tx);
        assert.ok(!reopened.some((k) => k.includes('registrar_pkey') || k.includes('REFERENCES registry.registrar')), reopened.join('\n'));
        assert.ok(reopened.some((k) => k.startsWith('registry.contact contact_pkey')), 'the contacts keep theirs');
        await tx.query(REGISTRAR, ['r2']);

        // Steps done in a subtransaction that rolls back are forgotten.
        await tx.exec('SAVEPOINT s');
        assert.ok((await keys.restoreSome(tx, (table) => finished.has(table), 1e9)) > 0);
        await tx.exec('ROLLBACK TO SAVEPOINT s; RELEASE SAVEPOINT s');
        await keys.restore(tx);
        assert.deepEqual(await registryKeys(tx), all, 'everything back, validated, as before');
        assert.ok(keys.early > 0, 'some steps had stayed back from before the savepoint');

        throw new Error('roll back');
      }),
      /roll back/,
    );
    assert.deepEqual(await registryKeys(target.db), all);
  });

  test(`Keys on the ${kind} database: a reference that does not resolve fails when the keys go back after the load, naming the row`, async (t) => {
    const target = kind === 'embedded' ? await embeddedTestDb(t) : await serverTestDb(t);
    if (!target) return;
    await assert.rejects(
      target.db.transaction(async (tx) => {
        const keys = await Keys.read(tx);
        await keys.drop(tx);
        await tx.query(REGISTRAR, ['r1']);
        await tx.query(CONTACT, ['c1', 'ghost']);
        await keys.restoreSome(tx, () => true, 1e9);
        await keys.restore(tx);
      }),
      /a reference does not resolve: registry\.contact \(cl_id\) → registry\.registrar \(id\): id=c1 cl_id=ghost/,
    );
  });
}
