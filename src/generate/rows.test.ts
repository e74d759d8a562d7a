import { test } from 'node:test';
import assert from 'node:assert/strict';
import { embeddedTestDb } from '../testing/databases.js';
import { copyField } from '../sources/copy-text.js';
import { arrayLiteral, copyStatement, TABLE_ORDER, TABLES } from './rows.js';

const AWKWARD = ['plain', '', 'NULL', 'null', 'back\\slash', 'tab\there', 'new\nline', 'cr\rhere', '"quoted"', "it's", '{braces}', 'a,b', ' padded ', 'emoji 🍀 𠮷', '\\N', 'x\u3000y'];

test('rows for the reference schema', async (t) => {
  const { db } = await embeddedTestDb(t);

  await t.test('COPY text fields and array literals round-trip awkward strings', async () => {
    await db.exec('CREATE TEMP TABLE t (n int, a text, b text[], c jsonb, d boolean, e text)');
    async function* lines() {
      let n = 0;
      for (const value of AWKWARD) {
        yield `${[n++, value, arrayLiteral([value, value]), JSON.stringify({ value }), n % 2 === 0, null].map((v) => copyField(v as never)).join('\t')}\n`;
      }
      yield `${[n, copyField(undefined), arrayLiteral([]), copyField('[]'), copyField(true), copyField('x')].join('\t')}\n`;
    }
    assert.equal(await db.copyFrom('COPY t (n, a, b, c, d, e) FROM STDIN', lines()), AWKWARD.length + 1);
    const rows = await db.query<{ a: string | null; b: string[]; c: { value: string }; d: boolean; e: string | null }>('SELECT a, b, c, d, e FROM t ORDER BY n');
    AWKWARD.forEach((value, n) => {
      assert.equal(rows[n]?.a, value);
      assert.deepEqual(rows[n]?.b, [value, value]);
      assert.deepEqual(rows[n]?.c, { value });
      assert.equal(rows[n]?.d, (n + 1) % 2 === 0);
      assert.equal(rows[n]?.e, null);
    });
    assert.deepEqual(rows[AWKWARD.length], { a: null, b: [], c: [], d: true, e: 'x' });
  });

  await t.test('the table list matches the reference schema, in foreign-key order', async () => {
    for (const table of TABLE_ORDER) {
      const columns = await db.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'registry' AND table_name = $1 ORDER BY ordinal_position",
        [table],
      );
      assert.deepEqual([...TABLES[table]].sort(), columns.map((c) => c.column_name).sort(), table);
      assert.match(copyStatement(table), new RegExp(`^COPY registry\\.${table} \\(`));
    }
    const all = await db.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'registry' AND table_type = 'BASE TABLE'");
    assert.deepEqual(all.map((r) => r.table_name).sort(), [...TABLE_ORDER].sort());
    // Every foreign key points at a table loaded earlier.
    const keys = await db.query<{ child: string; parent: string }>(
      `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent FROM pg_constraint c
       JOIN pg_namespace n ON n.oid = c.connamespace WHERE c.contype = 'f' AND n.nspname = 'registry'`,
    );
    const position = (name: string) => TABLE_ORDER.indexOf(name.replace('registry.', '') as (typeof TABLE_ORDER)[number]);
    for (const key of keys) if (key.child !== key.parent) assert.ok(position(key.parent) < position(key.child), `${key.child} → ${key.parent}`);
  });
});
