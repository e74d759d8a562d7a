import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import type { Db } from '../db/adapter.js';
import { ServerDb } from '../db/server.js';
import { generateRegistry } from '../generate/generate.js';
import type { GenerateOptions } from '../generate/plan.js';
import type { DepositEnvelope, RdeDelete, RdeObject } from '../model/objects.js';
import { readDeposit } from '../reader/index.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { unsealFiles } from '../ryde/decoder.js';
import { profile } from '../ryde/profiles.js';
import { testKeys } from '../ryde/testing/fixtures.js';
import { writeDiffDeposit, writeIncrDeposit, writeThinDeposit } from './diff-deposit.js';
import { writeFullDeposit } from './full-deposit.js';
import { withRegistrySnapshot } from '../sources/postgres-source.js';

const AS_OF = '2025-01-05T00:00:00Z';
/** When the test's changes happen (after the FULL's watermark, before the DIFFs'). */
const DAY1 = '2025-01-05T12:00:00Z';
const DAY2 = '2025-01-06T12:00:00Z';
const OPTIONS: GenerateOptions = { tld: 'example', domains: 120, seed: 'diff-deposit', hostModel: 'objects', asOf: AS_OF };

interface Parsed {
  envelope: DepositEnvelope;
  deletes: RdeDelete[];
  objects: RdeObject[];
}

async function parse(file: string): Promise<Parsed> {
  let envelope: DepositEnvelope | undefined;
  const deletes: RdeDelete[] = [];
  const objects: RdeObject[] = [];
  for await (const event of readDeposit(createReadStream(file))) {
    if (event.type === 'deposit') envelope = event.envelope;
    else if (event.type === 'delete') deletes.push(event.delete);
    else if (event.type === 'object') objects.push(event.object);
  }
  return { envelope: envelope!, deletes, objects };
}

const names = (p: Parsed, kind: RdeObject['kind']): string[] =>
  p.objects.filter((o) => o.kind === kind).map((o) => {
    const v = o.value as { name?: string; id?: string; aName?: string };
    return v.name ?? v.id ?? v.aName ?? '';
  });

function domainOf(p: Parsed, name: string) {
  const found = p.objects.find((o) => o.kind === 'domain' && o.value.name === name);
  return found?.kind === 'domain' ? found.value : undefined;
}

/** A domain that no host is subordinate to and that is the only user of one of its contacts. */
async function loneDomain(db: Db): Promise<{ roid: string; name: string; contact: string }> {
  const [row] = await db.query<{ roid: string; name: string; contact: string }>(
    `SELECT d.roid, d.name, dc.contact_id AS contact FROM registry.domain d JOIN registry.domain_contact dc ON dc.domain_roid = d.roid
     WHERE NOT EXISTS (SELECT 1 FROM registry.host h WHERE h.name LIKE '%.' || d.name)
       AND (SELECT count(*) FROM registry.domain_contact x WHERE x.contact_id = dc.contact_id) = 1
       AND NOT EXISTS (SELECT 1 FROM registry.domain r WHERE r.registrant = dc.contact_id)
     ORDER BY d.name LIMIT 1`,
  );
  assert.ok(row, 'the generated registry has a domain that is the only user of one of its contacts');
  return row;
}

/** The changes of "day 1", each in its own transaction, with what the DIFF must then show. */
async function day1(db: Db) {
  const [host] = await db.query<{ roid: string; name: string; users: number }>(
    `SELECT h.roid, h.name, (SELECT count(*)::int FROM registry.domain_ns n WHERE n.host_roid = h.roid) AS users
     FROM registry.host h WHERE (SELECT count(*) FROM registry.domain_ns n WHERE n.host_roid = h.roid) >= 2 ORDER BY h.roid LIMIT 1`,
  );
  assert.ok(host);
  const renamed = `renamed-${host.name}`;
  await db.exec(`UPDATE registry.host SET name = '${renamed}', up_date = '${DAY1}' WHERE roid = '${host.roid}'`);
  const linked = await db.query<{ name: string }>(`SELECT d.name FROM registry.domain d JOIN registry.domain_ns n ON n.domain_roid = d.roid WHERE n.host_roid = '${host.roid}' ORDER BY d.name`);

  const [moved] = await db.query<{ roid: string; name: string; cl_id: string; to: string }>(
    `SELECT d.roid, d.name, d.cl_id, (SELECT r.id FROM registry.registrar r WHERE r.id <> d.cl_id AND r.status IS DISTINCT FROM 'terminated' ORDER BY r.id LIMIT 1) AS to
     FROM registry.domain d WHERE d.tr_status IS NULL AND NOT EXISTS (SELECT 1 FROM registry.domain_ns n WHERE n.domain_roid = d.roid AND n.host_roid = '${host.roid}')
     ORDER BY d.name DESC LIMIT 1`,
  );
  assert.ok(moved);
  await db.transaction(async (tx) => {
    await tx.query(
      `UPDATE registry.domain SET cl_id = $2, up_rr = $2, up_date = $3, tr_date = $3, tr_status = 'serverApproved', re_rr = $2, re_date = $3, ac_rr = $4, ac_date = $3 WHERE roid = $1`,
      [moved.roid, moved.to, DAY1, moved.cl_id],
    );
  });

  // A name deleted and registered again the same day (new roid, same name).
  const lone = await loneDomain(db);
  const reborn = `${lone.roid.split('-')[0]}R-${lone.roid.split('-')[1]}`;
  await db.transaction(async (tx) => {
    await tx.query(`DELETE FROM registry.domain WHERE roid = $1`, [lone.roid]);
    // The contact only this domain used lost its last link.
    await tx.query(`DELETE FROM registry.contact_status WHERE contact_id = $1 AND s = 'linked'`, [lone.contact]);
    await tx.query(`UPDATE registry.contact SET up_date = $2 WHERE id = $1`, [lone.contact, DAY1]);
  });
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO registry.domain (roid, name, tld, cl_id, cr_rr, cr_date, ex_date) SELECT $1, $2, 'example', id, id, $3, '2026-01-05T12:00:00Z' FROM registry.registrar WHERE status IS DISTINCT FROM 'terminated' ORDER BY id LIMIT 1`,
      [reborn, lone.name, DAY1],
    );
    await tx.query(`INSERT INTO registry.domain_status (domain_roid, ord, s) VALUES ($1, 0, 'ok')`, [reborn]);
  });

  // Created and deleted inside the window: in neither part of the DIFF.
  await db.exec(`INSERT INTO registry.domain (roid, name, tld, cl_id, cr_date) SELECT 'EPHEMERAL-${lone.roid.split('-')[1]}', 'ephemeral-name.example', 'example', cl_id, '${DAY1}' FROM registry.domain WHERE roid = '${moved.roid}'`);
  await db.exec(`DELETE FROM registry.domain WHERE name = 'ephemeral-name.example'`);
  return { host: { ...host, renamed }, linked: linked.map((r) => r.name), moved, lone, reborn };
}

async function scenario(db: Db, dir: string, concurrent?: Db) {
  await generateRegistry(db, OPTIONS);
  const full = await writeFullDeposit(db, { tld: 'example', outDir: join(dir, 'full'), watermark: AS_OF, jobs: 0 });
  const changes = await day1(db);

  let late: Promise<void> | undefined;
  let lateRoid: string | undefined;
  if (concurrent) {
    // A transaction open when the DIFF's snapshot is taken and committing while it is written.
    const [row] = await concurrent.query<{ roid: string }>(`SELECT roid FROM registry.domain WHERE name <> $1 ORDER BY name LIMIT 1 OFFSET 3`, [changes.moved.name]);
    lateRoid = row!.roid;
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const inside = new Promise<void>((resolve) => (started = resolve));
    late = concurrent.transaction(async (tx) => {
      await tx.query(`UPDATE registry.domain SET up_date = $2 WHERE roid = $1`, [lateRoid, DAY1]);
      started();
      await released;
    });
    await inside;
    const diff1 = await writeDiffDeposit(db, {
      tld: 'example',
      outDir: join(dir, 'd1'),
      watermark: '2025-01-06T00:00:00Z',
      progress: {
        // Called once the snapshot is open and the writing starts: commit the other transaction now.
        task: () => {
          release();
          return { add: () => undefined, done: () => undefined };
        },
        note: () => undefined,
        warn: () => undefined,
      },
    });
    await late;
    const d1 = await parse(diff1.file);
    assert.ok(!d1.objects.some((o) => o.kind === 'domain' && o.value.roid === lateRoid), 'a transaction still open at the snapshot is not in this DIFF');
    return { full, changes, diff1, d1, lateRoid };
  }
  const diff1 = await writeDiffDeposit(db, { tld: 'example', outDir: join(dir, 'd1'), watermark: '2025-01-06T00:00:00Z' });
  return { full, changes, diff1, d1: await parse(diff1.file), lateRoid };
}

async function run(t: TestContext, db: Db, concurrent?: Db) {
  const dir = await mkdtemp(join(tmpdir(), 'sr-diff-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const sub of ['full', 'd1', 'd2', 'incr', 'thin', 'none']) await mkdir(join(dir, sub));

  await assert.rejects(writeDiffDeposit(db, { tld: 'example', outDir: join(dir, 'none') }), (err: unknown) => isStrongroomError(err, 'DB_SCHEMA_MISSING') || isStrongroomError(err, 'DEPOSIT_NO_SUCH_TLD'));
  const { full, changes, diff1, d1, lateRoid } = await scenario(db, dir, concurrent);
  assertSchemaValid(t, diff1.file);
  assert.equal(d1.envelope.type, 'DIFF');
  assert.equal(d1.envelope.prevId, full.id);
  assert.equal(diff1.prevId, full.id);
  assert.match(diff1.fileName, /^example_2025-01-06_diff_S1_R0\.xml$/);

  // Host renamed: the host, and every domain naming it, with the new name.
  const host = d1.objects.find((o) => o.kind === 'host' && o.value.roid === changes.host.roid);
  assert.equal(host?.kind === 'host' ? host.value.name : undefined, changes.host.renamed);
  for (const name of changes.linked) {
    const d = domainOf(d1, name);
    assert.ok(d, `domain ${name} naming the renamed host is in the DIFF`);
    assert.ok(d.ns && 'hostObj' in d.ns && d.ns.hostObj.includes(changes.host.renamed));
  }
  // Transferred: the complete domain with its new registrar.
  assert.equal(domainOf(d1, changes.moved.name)?.clID, changes.moved.to);
  // Deleted and registered again: the name deleted, the new domain in contents.
  assert.ok(d1.deletes.some((x) => x.kind === 'domain' && 'name' in x && x.name === changes.lone.name));
  assert.equal(domainOf(d1, changes.lone.name)?.roid, changes.reborn);
  // The contact that lost its last link: complete, without `linked`.
  const contact = d1.objects.find((o) => o.kind === 'contact' && o.value.id === changes.lone.contact);
  assert.ok(contact?.kind === 'contact' && !contact.value.status.some((s) => s.s === 'linked'));
  // Created and deleted inside the window: nowhere.
  assert.ok(!JSON.stringify(d1).includes('ephemeral-name'));
  // Nothing else: exactly the changed objects.
  assert.deepEqual(
    names(d1, 'domain').sort(),
    [...new Set([...changes.linked, changes.moved.name, changes.lone.name])].sort(),
  );
  assert.deepEqual(names(d1, 'host'), [changes.host.renamed]);
  assert.deepEqual(names(d1, 'contact'), [changes.lone.contact]);
  assert.deepEqual(d1.deletes, [{ kind: 'domain', name: changes.lone.name }]);
  // The header counts the registry at the watermark (RFC 9022 §5.9.1).
  const header = d1.objects.find((o) => o.kind === 'header');
  const [domains] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM registry.domain WHERE tld = 'example'`);
  assert.equal(header?.kind === 'header' ? header.value.count.find((c) => c.uri.includes('rdeDomain'))?.count : -1, domains!.n);

  // Day 2: one more change. The next DIFF follows DIFF 1, and holds what committed late.
  await db.exec(`UPDATE registry.domain SET ex_date = ex_date + interval '1 year', up_date = '${DAY2}' WHERE name = '${changes.moved.name}'`);
  const diff2 = await writeDiffDeposit(db, { tld: 'example', outDir: join(dir, 'd2'), watermark: '2025-01-07T00:00:00Z' });
  assertSchemaValid(t, diff2.file);
  const d2 = await parse(diff2.file);
  assert.equal(d2.envelope.prevId, diff1.id);
  const expected2 = [changes.moved.name];
  if (lateRoid) {
    const [late] = await db.query<{ name: string }>('SELECT name FROM registry.domain WHERE roid = $1', [lateRoid]);
    expected2.push(late!.name);
  }
  assert.deepEqual(names(d2, 'domain').sort(), expected2.sort(), 'DIFF 2: the renewal and the transaction that committed during DIFF 1, nothing else');
  assert.deepEqual(d2.deletes, []);

  // INCR since the FULL: the union of both days.
  const incr = await writeIncrDeposit(db, { tld: 'example', outDir: join(dir, 'incr'), watermark: '2025-01-07T00:00:01Z' });
  assertSchemaValid(t, incr.file);
  const i = await parse(incr.file);
  assert.equal(i.envelope.type, 'INCR');
  assert.equal(i.envelope.prevId, full.id);
  assert.deepEqual(names(i, 'domain').sort(), [...new Set([...names(d1, 'domain'), ...names(d2, 'domain')])].sort());
  assert.deepEqual(i.deletes, d1.deletes);

  // THIN (BRDA): domains and registrars, BRDA fields only.
  const thin = await writeThinDeposit(db, { tld: 'example', outDir: join(dir, 'thin'), watermark: '2025-01-07T00:00:02Z' });
  assertSchemaValid(t, thin.file);
  assert.match(thin.fileName, /^example_2025-01-07_thin_S1_R0\.xml$/);
  const th = await parse(thin.file);
  assert.equal(th.envelope.type, 'FULL');
  assert.deepEqual([...new Set(th.objects.map((o) => o.kind))].sort(), ['domain', 'header', 'registrar']);
  assert.equal(names(th, 'domain').length, domains!.n);
  for (const o of th.objects) {
    if (o.kind === 'domain') assert.ok(o.value.registrant === undefined && o.value.contact.length === 0 && o.value.secDNS === undefined && o.value.crRr === undefined);
    if (o.kind === 'registrar') assert.ok(o.value.postalInfo.length === 0 && o.value.email === undefined && o.value.voice === undefined);
  }
  return { full: await readFile(full.file), d1: await readFile(diff1.file), d2: await readFile(diff2.file), incr: await readFile(incr.file), thin: await readFile(thin.file) };
}

test('DIFF, INCR and THIN deposits: exact changes (rename, transfer, delete and re-register, lost link), chained, schema-valid; embedded and server byte-identical', async (t) => {
  const embedded = await embeddedTestDb(t);
  const a = await run(t, embedded.db);
  const server = await serverTestDb(t);
  if (!server) return;
  const b = await run(t, server.db);
  for (const key of Object.keys(a) as Array<keyof typeof a>) assert.ok(a[key].equals(b[key]), `${key} deposit is byte-identical on both databases`);
});

test('a transaction committing while a DIFF is written appears in exactly the next DIFF (server)', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  const other = await ServerDb.open(server.spec);
  t.after(() => other.close());
  await run(t, server.db, other);
});

test('a DIFF without a FULL before it, or older than the journal, is refused', async (t) => {
  const { db } = await embeddedTestDb(t);
  const dir = await mkdtemp(join(tmpdir(), 'sr-diff-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await generateRegistry(db, { ...OPTIONS, domains: 60 });
  await assert.rejects(writeDiffDeposit(db, { tld: 'example', outDir: dir }), (err: unknown) => isStrongroomError(err, 'DEPOSIT_NO_BASE'));
  await writeFullDeposit(db, { tld: 'example', outDir: dir, watermark: AS_OF });
  // Pretend the journal started after the FULL (as when migration 002 comes later).
  await db.exec(`UPDATE strongroom.journal_horizon SET since = now() + interval '1 minute'`);
  await assert.rejects(writeDiffDeposit(db, { tld: 'example', outDir: dir }), (err: unknown) => isStrongroomError(err, 'JOURNAL_INCOMPLETE'));
  await db.exec(`UPDATE strongroom.journal_horizon SET since = '2000-01-01T00:00:00Z'`);
  // Nothing changed: an empty DIFF (no deletes, no objects, the header still counts the registry).
  const empty = await writeDiffDeposit(db, { tld: 'example', outDir: dir });
  assertSchemaValid(t, empty.file);
  const parsed = await parse(empty.file);
  assert.deepEqual(parsed.deletes, []);
  assert.deepEqual(parsed.objects.map((o) => o.kind), ['header']);
});

test('a DIFF checks its watermark against the changed objects; a deferred check must run before objects are read', async (t) => {
  const { db } = await embeddedTestDb(t);
  const dir = await mkdtemp(join(tmpdir(), 'sr-diff-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await generateRegistry(db, { ...OPTIONS, domains: 60 });
  await writeFullDeposit(db, { tld: 'example', outDir: dir, watermark: AS_OF });
  const { roid, name } = await loneDomain(db);
  await db.query('UPDATE registry.domain SET up_date = $2 WHERE roid = $1', [roid, DAY1]);
  // Changed after the watermark: refused, naming the changed domain.
  await assert.rejects(
    writeDiffDeposit(db, { tld: 'example', outDir: dir, watermark: '2025-01-05T06:00:00Z' }),
    (err: unknown) => isStrongroomError(err, 'DEPOSIT_WATERMARK_UNHONOURABLE') && err.location === `domain ${name}` && /1 object\(s\)/.test(err.message),
  );
  assert.deepEqual(await readdir(dir).then((files) => files.filter((f) => f.includes('_diff_'))), [], 'nothing was written');
  const diff = await writeDiffDeposit(db, { tld: 'example', outDir: dir, watermark: DAY2 });
  assert.deepEqual(names(await parse(diff.file), 'domain'), [name]);
  // The source refuses to read objects while a deferred watermark check is pending.
  await assert.rejects(
    withRegistrySnapshot(db, { tld: 'example', watermark: AS_OF, watermarkAgainstChanges: true }, async (source) => {
      for await (const _ of source.domains()) break;
    }),
    (err: unknown) => isStrongroomError(err, 'INTERNAL') && /not checked yet/.test(err.message),
  );
});

test('deposit --type diff with seal: the sealed DIFF opens to exactly the unsealed DIFF', async (t) => {
  const { db } = await embeddedTestDb(t);
  await loadFixtureRegistry(db);
  const root = await mkdtemp(join(tmpdir(), 'sr-diff-sealed-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const [full, plain, sealed, spool, opened] = ['full', 'plain', 'sealed', 'spool', 'opened'].map((name) => join(root, name)) as [string, string, string, string, string];
  for (const dir of [full, plain, sealed, spool, opened]) await mkdir(dir);
  await writeFullDeposit(db, { tld: 'example', outDir: full, watermark: FIXTURE_WATERMARK });
  const later = new Date(Date.parse(FIXTURE_WATERMARK) + 60_000).toISOString();
  await db.exec(`UPDATE registry.domain SET up_date = '${later}' WHERE roid = (SELECT min(roid) FROM registry.domain)`);
  const watermark = new Date(Date.parse(FIXTURE_WATERMARK) + 3_600_000).toISOString().replace('.000Z', 'Z');
  const diff = await writeDiffDeposit(db, { tld: 'example', outDir: plain, watermark });
  await db.query('DELETE FROM strongroom.deposit WHERE id = $1', [diff.id]);
  const keys = await testKeys('rfc4880', 'ed25519');
  const result = await writeDiffDeposit(db, { tld: 'example', outDir: sealed, watermark, seal: { signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880'), spoolDir: spool } });
  assert.match(result.file, /example_\d{4}-\d{2}-\d{2}_diff_S1_R0\.ryde$/);
  assert.deepEqual((await readdir(sealed)).sort(), [result.fileName.replace('.xml', '.ryde'), result.fileName.replace('.xml', '.sig')]);
  const files = result.sealed!.parts.flatMap((part) => [part.ryde, part.sig]);
  const [back] = await unsealFiles(files, { outDir: opened, decryptionKeys: [keys.decryption], verificationKeys: keys.verification });
  assert.ok((await readFile(back!.file)).equals(await readFile(diff.file)));
  assert.equal(result.sha256, diff.sha256);
});
