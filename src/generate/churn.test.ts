import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import type { Db } from '../db/adapter.js';
import { ServerDb } from '../db/server.js';
import { writeDiffDeposit } from '../deposit/diff-deposit.js';
import { writeFullDeposit } from '../deposit/full-deposit.js';
import type { RdeDelete, RdeObject } from '../model/objects.js';
import { readDeposit } from '../reader/index.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { CHURN_MIX, CHURN_MIX_STRESS, CHURN_OPERATIONS, churnRegistry, parseChurnMix } from './churn.js';
import { generateRegistry } from './generate.js';

const AS_OF = '2025-01-05T00:00:00Z';
const GENERATE = { tld: 'example', domains: 150, seed: 'churn', asOf: AS_OF } as const;

/** A deposit as a state: kind → key → object (JSON), plus its deletes. */
interface State {
  objects: Map<string, string>;
  deletes: RdeDelete[];
  contents: string[];
}

const keyOf = (o: RdeObject): string | null => {
  switch (o.kind) {
    case 'domain':
    case 'host':
      return `${o.kind} ${o.value.roid}`;
    case 'contact':
    case 'registrar':
    case 'idnTable':
      return `${o.kind} ${o.value.id}`;
    case 'nndn':
      return `nndn ${o.value.aName}`;
    case 'eppParams':
      return 'eppParams';
    case 'policy':
      return `policy ${o.value.scope} ${o.value.element}`;
    case 'header':
      return null;
  }
};

async function stateOf(file: string): Promise<State> {
  const objects = new Map<string, string>();
  const deletes: RdeDelete[] = [];
  const contents: string[] = [];
  for await (const event of readDeposit(createReadStream(file))) {
    if (event.type === 'delete') deletes.push(event.delete);
    if (event.type !== 'object') continue;
    const key = keyOf(event.object);
    if (key === null) continue;
    assert.ok(!objects.has(key), `${key} appears once in ${file}`);
    objects.set(key, JSON.stringify(event.object.value));
    contents.push(key);
  }
  return { objects, deletes, contents };
}

/** RFC 8909 §5 semantics: deletes first (domains by name, hosts by roid …), then upserts. */
function apply(base: Map<string, string>, diff: State): Map<string, string> {
  const out = new Map(base);
  for (const d of diff.deletes) {
    let key: string | undefined;
    if (d.kind === 'domain') key = [...out].find(([k, v]) => k.startsWith('domain ') && (JSON.parse(v) as { name: string }).name === d.name)?.[0];
    else if (d.kind === 'host' && 'roid' in d) key = `host ${d.roid}`;
    else if (d.kind === 'contact' || d.kind === 'registrar' || d.kind === 'idnTable') key = `${d.kind} ${d.id}`;
    else if (d.kind === 'nndn') key = `nndn ${d.aName}`;
    assert.ok(key !== undefined && out.has(key), `delete ${JSON.stringify(d)} names an object the previous state holds`);
    out.delete(key);
  }
  for (const key of diff.contents) out.set(key, diff.objects.get(key)!);
  return out;
}

function assertSameState(actual: Map<string, string>, expected: Map<string, string>, what: string): void {
  const missing = [...expected.keys()].filter((k) => actual.get(k) !== expected.get(k));
  const extra = [...actual.keys()].filter((k) => !expected.has(k));
  assert.deepEqual({ missing: missing.slice(0, 5), extra: extra.slice(0, 5) }, { missing: [], extra: [] }, what);
}

test('churn: every kind of change, deterministic, deposits stay clean; FULL + DIFF = FULL after (embedded and server alike)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-churn-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const runOn = async (db: Db, name: string) => {
    const out = join(dir, name);
    for (const sub of ['f0', 'd1', 'f1']) await mkdir(join(out, sub), { recursive: true });
    await generateRegistry(db, GENERATE);
    const f0 = await writeFullDeposit(db, { tld: 'example', outDir: join(out, 'f0'), watermark: AS_OF, jobs: 0 });
    const summary = await churnRegistry(db, { changes: 160, seed: 'day-1', at: '2025-01-05T00:00:30Z', mix: CHURN_MIX_STRESS });
    const d1 = await writeDiffDeposit(db, { tld: 'example', outDir: join(out, 'd1'), watermark: '2025-01-05T00:01:00Z' });
    if (db instanceof ServerDb) {
      // The same DIFF again, pages read by worker threads: the same bytes.
      await db.query('DELETE FROM strongroom.deposit WHERE id = $1', [d1.id]);
      await mkdir(join(out, 'd1-jobs'));
      const parallel = await writeDiffDeposit(db, { tld: 'example', outDir: join(out, 'd1-jobs'), watermark: '2025-01-05T00:01:00Z', jobs: 2, pageSize: 7 });
      assert.equal(parallel.sha256, d1.sha256, 'a DIFF written by 2 workers in pages of 7 is byte-identical');
    }
    const f1 = await writeFullDeposit(db, { tld: 'example', outDir: join(out, 'f1'), watermark: '2025-01-05T00:01:01Z', jobs: 0 });
    // Renamed hosts (a new first label "r…"): in-bailiwick ones stay under their parent domain of
    // the TLD, shared ones are outside it and used by several domains, all of which are in the DIFF.
    const renamed = await db.query<{ inside: boolean; users: number; inDiff: number }>(
      `SELECT h.name LIKE '%.example' AS inside, (SELECT count(*)::int FROM registry.domain_ns n WHERE n.host_roid = h.roid) AS users,
              (SELECT count(DISTINCT j.key)::int FROM registry.domain_ns n JOIN strongroom.journal j ON j.kind = 'domain' AND j.key = n.domain_roid
               WHERE n.host_roid = h.roid AND j.xid >= pg_snapshot_xmin($1::pg_snapshot) AND NOT pg_visible_in_snapshot(j.xid, $1::pg_snapshot)) AS "inDiff"
       FROM registry.host h WHERE h.name LIKE 'r%' ORDER BY h.name`,
      [f0.snapshot],
    );
    return { summary, f0, d1, f1, renamed };
  };
  const embedded = await embeddedTestDb(t);
  const a = await runOn(embedded.db, 'embedded');
  for (const op of CHURN_OPERATIONS) assert.ok(a.summary.applied[op] > 0, `churn applied ${op}`);
  assert.equal(Object.values(a.summary.applied).reduce((x, y) => x + y, 0), 160);
  assert.deepEqual(a.summary.mix, CHURN_MIX_STRESS);
  // (A host may be renamed twice: at most one renamed host per rename.)
  const inside = a.renamed.filter((h) => h.inside).length;
  const shared = a.renamed.filter((h) => !h.inside).length;
  assert.ok(inside >= 1 && inside <= a.summary.applied.renameHost, `in-bailiwick renames stay under the TLD (${inside} of ${a.summary.applied.renameHost})`);
  assert.ok(shared >= 1 && shared <= a.summary.applied.renameSharedHost, `shared-host renames are outside the TLD (${shared} of ${a.summary.applied.renameSharedHost})`);
  assert.ok(a.renamed.some((h) => !h.inside && h.users >= 2), 'a renamed shared host is used by several domains');
  for (const h of a.renamed) assert.equal(h.inDiff, h.users, 'every domain naming a renamed host has a journal entry');
  assert.equal(a.d1.findings.errors + a.f1.findings.errors, 0, 'churned data passes the pre-flight');
  assertSchemaValid(t, a.d1.file);
  assertSchemaValid(t, a.f1.file);
  const [s0, s1, f1] = await Promise.all([stateOf(a.f0.file), stateOf(a.d1.file), stateOf(a.f1.file)]);
  assert.ok(s1.deletes.length > 0 && s1.contents.length > 0);
  assertSameState(apply(s0.objects, s1), f1.objects, 'FULL d0 + DIFF d1 = FULL d1');

  const server = await serverTestDb(t);
  if (!server) return;
  const b = await runOn(server.db, 'server');
  assert.deepEqual(b.summary.applied, a.summary.applied);
  for (const key of ['f0', 'd1', 'f1'] as const) assert.ok((await readFile(a[key].file)).equals(await readFile(b[key].file)), `${key}: same bytes on both databases`);
});

test('churn committing while DIFFs are written: every change lands in exactly one DIFF (server)', async (t) => {
  const server = await serverTestDb(t);
  if (!server) return;
  const dir = await mkdtemp(join(tmpdir(), 'sr-churn-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const sub of ['f0', 'd1', 'd2', 'd3', 'f3']) await mkdir(join(dir, sub));
  const db = server.db;
  await generateRegistry(db, GENERATE);
  const f0 = await writeFullDeposit(db, { tld: 'example', outDir: join(dir, 'f0'), watermark: AS_OF, jobs: 0 });
  const writer = await ServerDb.open(server.spec);
  t.after(() => writer.close());
  // Changes are dated before the watermarks of the DIFFs that may see them (a watermark is
  // honoured only if nothing in the snapshot is later), so the watermarks can be pinned.
  await churnRegistry(db, { changes: 40, seed: 'before', at: '2025-01-05T00:00:20Z' });
  // Changes keep committing, one transaction each, on another connection while DIFFs 1 and 2 are written.
  const background = churnRegistry(writer, { changes: 150, seed: 'during', at: '2025-01-05T00:00:50Z' });
  const d1 = await writeDiffDeposit(db, { tld: 'example', outDir: join(dir, 'd1'), watermark: '2025-01-05T00:01:00Z' });
  const d2 = await writeDiffDeposit(db, { tld: 'example', outDir: join(dir, 'd2'), watermark: '2025-01-05T00:02:00Z' });
  const during = await background;
  const d3 = await writeDiffDeposit(db, { tld: 'example', outDir: join(dir, 'd3'), watermark: '2025-01-05T00:03:00Z' });
  const f3 = await writeFullDeposit(db, { tld: 'example', outDir: join(dir, 'f3'), watermark: '2025-01-05T00:04:00Z' });
  assert.equal(during.changes, 150);
  let state = (await stateOf(f0.file)).objects;
  for (const d of [d1, d2, d3]) state = apply(state, await stateOf(d.file));
  assertSameState(state, (await stateOf(f3.file)).objects, 'FULL d0 + DIFF d1 + d2 + d3 = FULL d3');
  assert.equal(d2.prevId, d1.id);
});

test('churn mix: default and stress mixes, overrides, refusals; the default mix renames shared hosts rarely', () => {
  assert.deepEqual(parseChurnMix('default'), CHURN_MIX);
  assert.deepEqual(parseChurnMix('stress'), CHURN_MIX_STRESS);
  assert.deepEqual(parseChurnMix('stress,renameSharedHost=0'), { ...CHURN_MIX_STRESS, renameSharedHost: 0 });
  assert.deepEqual(parseChurnMix('renameHost=2.5'), { ...CHURN_MIX, renameHost: 2.5 });
  const total = CHURN_OPERATIONS.reduce((sum, op) => sum + CHURN_MIX[op], 0);
  assert.ok(CHURN_MIX.renameSharedHost / total <= 1e-3 && CHURN_MIX.renameHost / total <= 1e-2, 'host renames are rare in a day');
  for (const bad of ['rename=1', 'create=-1', 'create', 'nonsense', 'create=0,update=0,renameHost=0,renameSharedHost=0,transfer=0,renew=0,delete=0,recreate=0,updateContact=0']) {
    assert.throws(() => parseChurnMix(bad), (err: unknown) => isStrongroomError(err, 'CHURN_INVALID_ARGUMENT'), bad);
  }
});

test('churn refuses bad arguments and an empty database', async (t) => {
  const { db } = await embeddedTestDb(t);
  await assert.rejects(churnRegistry(db, { changes: 0, seed: 's' }), (err: unknown) => isStrongroomError(err, 'CHURN_INVALID_ARGUMENT'));
  await assert.rejects(churnRegistry(db, { changes: 1, seed: '' }), (err: unknown) => isStrongroomError(err, 'CHURN_INVALID_ARGUMENT'));
  await assert.rejects(churnRegistry(db, { changes: 1, seed: 's', at: 'yesterday' }), (err: unknown) => isStrongroomError(err, 'CHURN_INVALID_ARGUMENT'));
  await assert.rejects(churnRegistry(db, { changes: 1, seed: 's', mix: { create: Number.NaN } }), (err: unknown) => isStrongroomError(err, 'CHURN_INVALID_ARGUMENT'));
  await assert.rejects(churnRegistry(db, { changes: 1, seed: 's' }), (err: unknown) => isStrongroomError(err, 'CHURN_INVALID_ARGUMENT') && /0 TLDs/.test(err.message));
});
