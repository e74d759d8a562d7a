import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/adapter.js';
import { generateRegistry, objectCounts, registryObjects } from '../generate/generate.js';
import { Plan, type GenerateOptions } from '../generate/plan.js';
import { withRegistrySnapshot } from '../sources/postgres-source.js';
import type { SourceKind } from '../sources/source.js';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { writeFullDeposit } from './full-deposit.js';

const AS_OF = '2025-01-05T00:00:00Z';

/** Sort key of an object per kind: its key in the rde views, in byte order. */
const KEY: Record<SourceKind, (o: Record<string, unknown>) => string> = {
  registrar: (o) => String(o.id),
  idnTable: (o) => String(o.id),
  contact: (o) => String(o.id),
  host: (o) => String(o.roid),
  domain: (o) => String(o.roid),
  nndn: (o) => String(o.aName),
  eppParams: () => '',
  policy: (o) => `${String(o.scope)} ${String(o.element)}`,
};

function byKey(kind: SourceKind, list: unknown[]): unknown[] {
  const plain = list.map((o) => JSON.parse(JSON.stringify(o)) as Record<string, unknown>);
  return plain.sort((a, b) => Buffer.compare(Buffer.from(KEY[kind](a)), Buffer.from(KEY[kind](b))));
}

/** What the source reads, per kind. */
async function sourceObjects(db: Db, tld: string): Promise<Record<SourceKind, unknown[]>> {
  return withRegistrySnapshot(db, { tld, watermark: AS_OF }, async (s) => {
    const out = {} as Record<SourceKind, unknown[]>;
    const read: Record<SourceKind, () => AsyncIterable<unknown>> = {
      registrar: () => s.registrars(),
      idnTable: () => s.idnTables(),
      contact: () => s.contacts(),
      host: () => s.hosts(),
      domain: () => s.domains(),
      nndn: () => s.nndns(),
      eppParams: () => s.eppParams(),
      policy: () => s.policies(),
    };
    for (const kind of Object.keys(read) as SourceKind[]) {
      const list: unknown[] = [];
      for await (const o of read[kind]()) list.push(o);
      out[kind] = byKey(kind, list);
    }
    return out;
  });
}

/** What the generator made, per kind (the domain's host roids are a loading detail). */
function generatedObjects(options: GenerateOptions): Record<SourceKind, unknown[]> {
  const out = {} as Record<SourceKind, unknown[]>;
  for (const o of registryObjects(new Plan(options))) (out[o.kind as SourceKind] ??= []).push(o.value);
  if (options.hostModel === 'attributes') out.host = [];
  for (const kind of Object.keys(out) as SourceKind[]) out[kind] = byKey(kind, out[kind]);
  return out;
}

async function depositOf(db: Db, options: GenerateOptions, dir: string) {
  await mkdir(dir, { recursive: true });
  return writeFullDeposit(db, { tld: options.tld, outDir: dir, watermark: AS_OF });
}

for (const hostModel of ['objects', 'attributes'] as const) {
  test(`generated registry, host ${hostModel}: the source reads back every object, the deposit is clean and schema-valid, embedded and server byte-identical`, async (t) => {
    const options: GenerateOptions = { tld: hostModel === 'objects' ? 'example' : 'xn--q9jyb4c', domains: 400, seed: `deposit-${hostModel}`, hostModel, asOf: AS_OF };
    const dir = await mkdtemp(join(tmpdir(), 'sr-generated-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const embedded = await embeddedTestDb(t);
    await generateRegistry(embedded.db, options);

    const expected = generatedObjects(options);
    const read = await sourceObjects(embedded.db, options.tld);
    for (const kind of Object.keys(read) as SourceKind[]) assert.deepEqual(read[kind], expected[kind] ?? [], `${kind}: the source reads what the generator wrote`);

    const result = await depositOf(embedded.db, options, join(dir, 'embedded'));
    assert.deepEqual(result.findings.items, [], 'a generated registry passes the pre-flight');
    const counts = objectCounts(new Plan(options));
    for (const [kind, n] of Object.entries(result.counts)) assert.equal(n, counts[kind as keyof typeof counts], `${kind} count`);
    assertSchemaValid(t, result.file);

    const server = await serverTestDb(t);
    if (!server) return;
    await generateRegistry(server.db, options);
    const onServer = await depositOf(server.db, options, join(dir, 'server'));
    assert.equal(onServer.sha256, result.sha256, 'the same generated registry gives the same bytes on the server');
    assert.equal(onServer.bytes, result.bytes);
  });
}
