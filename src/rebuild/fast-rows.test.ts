/**
 * The rebuild's fast path (./fast-rows.ts) against the typed path it stands in for (reader →
 * typed object → ./rebuild.ts addObject): for every object of generated registries (edge cases
 * included, both host models), of the RFC 9022 example deposit, and of thousands of mutated
 * copies of them (children swapped, dropped, repeated or unknown, values emptied or made
 * invalid, whitespace and text added, attributes changed), the fast path either gives up
 * without writing anything or writes exactly the typed path's lines and records the same —
 * and it never takes an object the typed path refuses.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { contactXml, domainXml, hostXml, registrarXml } from '../deposit/serialize.js';
import { registryObjects } from '../generate/generate.js';
import { Plan, type GenerateOptions } from '../generate/plan.js';
import { PREFIXES } from '../model/namespaces.js';
import { readDepositNodes, readObject, type XmlNode } from '../reader/index.js';
import { SAMPLES_DIR } from '../testing/paths.js';
import type { Tx } from '../db/adapter.js';
import { fastObjectRows } from './fast-rows.js';
import { ChunkedCopy, FullCopy } from './load.js';
import { addObject, fastHooks, newObjectState, type ObjectState } from './rebuild.js';

const AS_OF = '2025-01-05T00:00:00Z';

/** A deposit of the plan's registrars, contacts, hosts and domains, written by the deposit writer's serialisers. */
function generatedDeposit(options: GenerateOptions): string {
  const parts: string[] = [];
  for (const o of registryObjects(new Plan(options))) {
    if (o.kind === 'domain') parts.push(domainXml(o.value));
    else if (o.kind === 'host') parts.push(hostXml(o.value));
    else if (o.kind === 'contact') parts.push(contactXml(o.value));
    else if (o.kind === 'registrar') parts.push(registrarXml(o.value));
  }
  const xmlns = Object.entries(PREFIXES)
    .map(([prefix, uri]) => ` xmlns:${prefix}="${uri}"`)
    .join('');
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<rde:deposit${xmlns} type="FULL" id="fast1">\n<rde:watermark>${AS_OF}</rde:watermark>\n` +
    `<rde:rdeMenu><rde:version>1.0</rde:version><rde:objURI>${PREFIXES.rdeDomain}</rde:objURI></rde:rdeMenu>\n<rde:contents>\n${parts.join('\n')}\n</rde:contents>\n</rde:deposit>\n`
  );
}

async function nodesOf(xml: string): Promise<XmlNode[]> {
  const nodes: XmlNode[] = [];
  for await (const event of readDepositNodes(Readable.from([Buffer.from(xml)]))) if (event.type === 'node') nodes.push(event.node);
  return nodes;
}

/** A load that is never flushed: no database needed; its lines are read back from its buffers (per table in arrival order). */
const NO_TX = {} as Tx;
const recorder = () => new ChunkedCopy(NO_TX, 2 ** 30);

const summary = (s: ObjectState) => JSON.stringify({ counts: s.counts, hostObjects: s.hostObjects, hostAttributes: s.hostAttributes, suffixes: [...s.suffixes] });

/** Runs both paths on `node`; returns whether the fast one took it. */
function compare(node: XmlNode, what: string): boolean {
  const typed = recorder();
  const typedState = newObjectState('x.xml');
  let refused: unknown = null;
  try {
    addObject(typedState, typed, readObject(node, 'x.xml'), node);
  } catch (err) {
    refused = err;
  }
  const fast = recorder();
  const fastState = newObjectState('x.xml');
  const before = summary(fastState);
  const took = fastObjectRows(node, fastState, fast, fastHooks(fastState));
  if (!took) {
    assert.deepEqual(fast.bufferedLines(), [], `${what}: gave up without writing`);
    assert.equal(summary(fastState), before, `${what}: gave up without recording`);
    return false;
  }
  assert.equal(refused, null, `${what}: the fast path took an object the typed path refuses (${String(refused)})`);
  assert.deepEqual(fast.bufferedLines(), typed.bufferedLines(), `${what}: same lines`);
  assert.equal(summary(fastState), summary(typedState), `${what}: same state`);
  return true;
}

/** Deterministic pseudo-random numbers (mulberry32). */
function random(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

function clone(node: XmlNode): XmlNode {
  return { ...node, attrs: { ...node.attrs }, children: node.children.map(clone) };
}

/** Every element of the tree (the root first). */
function elements(node: XmlNode, out: XmlNode[] = []): XmlNode[] {
  out.push(node);
  for (const child of node.children) elements(child, out);
  return out;
}

const ODD_VALUES = [
  '', ' ', 'x', '  padded\t', '99999999', '-1', '+7', '1.5', 'abc\tdef', 'back\\slash', 'line\nbreak', 'ok', 'pending', 'v6', 'int', 'true', '0',
  '2025-02-30T00:00:00Z', '2024-02-29T23:59:59Z', '2023-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '0000-01-01T00:00:00Z',
  '2025-12-31T24:00:00Z', '2025-1a-01T00:00:00Z', '2025-01-01t00:00:00Z', '2025-01-01T00:00:00z', '2025-01-01T10:00:00.000+01:00', '2025-01-01T00:00:00.5Z',
  // Non-ASCII with escapes after it, and a lone surrogate: the fast writer hands the rest of the field to the encoder.
  'Zürich\tß\\x\n', '日本 \r', 'x\uD800y',
];
const ODD_ATTRS = ['s', 'lang', 'type', 'ip', 'client', 'x', 'flag'];

/** One random change to a copy of `node`; returns the copy and what was done. */
function mutate(node: XmlNode, pick: (n: number) => number): { node: XmlNode; what: string } {
  const copy = clone(node);
  const all = elements(copy);
  const parents = all.filter((e) => e.children.length > 0);
  const target = all[pick(all.length)]!;
  const parent = parents[pick(parents.length)]!;
  const kids = parent.children;
  switch (pick(9)) {
    case 0: {
      const i = pick(kids.length);
      const j = pick(kids.length);
      [kids[i], kids[j]] = [kids[j]!, kids[i]!];
      return { node: copy, what: `swap ${kids[i]!.local} and ${kids[j]!.local} in ${parent.local}` };
    }
    case 1: {
      const [gone] = kids.splice(pick(kids.length), 1);
      return { node: copy, what: `drop ${gone!.local} from ${parent.local}` };
    }
    case 2: {
      const i = pick(kids.length);
      kids.splice(i, 0, clone(kids[i]!));
      return { node: copy, what: `repeat ${kids[i]!.local} in ${parent.local}` };
    }
    case 3:
      kids.splice(pick(kids.length + 1), 0, { ...kids[0]!, local: 'unknown', qname: 'x:unknown', children: [], text: 'x' });
      return { node: copy, what: `unknown element in ${parent.local}` };
    case 4:
      target.text = ODD_VALUES[pick(ODD_VALUES.length)]!;
      return { node: copy, what: `text of ${target.local} = ${JSON.stringify(target.text)}` };
    case 5:
      target.text = `\n  ${target.text} \t`;
      return { node: copy, what: `whitespace around ${target.local}` };
    case 6: {
      const name = ODD_ATTRS[pick(ODD_ATTRS.length)]!;
      const value = ODD_VALUES[pick(ODD_VALUES.length)]!;
      target.attrs[name] = value;
      return { node: copy, what: `@${name} of ${target.local} = ${JSON.stringify(value)}` };
    }
    case 7: {
      const names = Object.keys(target.attrs);
      if (names.length > 0) delete target.attrs[names[pick(names.length)]!];
      target.selfClosing = !target.selfClosing;
      return { node: copy, what: `attribute dropped, self-closing flipped on ${target.local}` };
    }
    default: {
      const leaf = all.filter((e) => e.children.length === 0);
      const into = leaf[pick(leaf.length)]!;
      into.children = [{ ...into, children: [], attrs: {}, text: 'inner' }];
      return { node: copy, what: `child element inside leaf ${into.local}` };
    }
  }
}

const CASES: GenerateOptions[] = [
  { tld: 'example', domains: 400, seed: 'fast-rows-1', hostModel: 'objects', asOf: AS_OF },
  { tld: 'xn--q9jyb4c', domains: 26, seed: 'edge-cases-only', hostModel: 'objects', asOf: AS_OF },
  { tld: 'org', domains: 200, seed: 'fast-rows-2', hostModel: 'attributes', asOf: AS_OF },
];

for (const options of CASES) {
  test(`fast rows equal the typed path's for every object of a generated registry (seed ${options.seed}, host ${options.hostModel})`, async () => {
    const nodes = await nodesOf(generatedDeposit(options));
    let taken = 0;
    const byKind = new Map<string, number>();
    for (const node of nodes) {
      if (compare(node, `${node.local} at line ${node.line}`)) {
        taken++;
        byKind.set(node.local, (byKind.get(node.local) ?? 0) + 1);
      }
    }
    // Every generated domain, contact and host is of the plain shape except domains with hostAttr name servers.
    const plain = nodes.filter((n) => ['contact', 'host'].includes(n.local) || (n.local === 'domain' && !elements(n).some((e) => e.local === 'hostAttr'))).length;
    assert.equal(taken, plain, 'the fast path takes every plain object');
    assert.ok((byKind.get('contact') ?? 0) > 0 && (byKind.get('domain') ?? 0) > 0, 'contacts and domains were taken');
    if (options.hostModel === 'objects') assert.ok((byKind.get('host') ?? 0) > 0, 'hosts were taken');
  });
}

test('fast rows: mutated objects are either given up or converted exactly like the typed path', async () => {
  const nodes = [
    ...(await nodesOf(generatedDeposit({ tld: 'xn--q9jyb4c', domains: 26, seed: 'edge-cases-only', hostModel: 'objects', asOf: AS_OF }))),
    ...(await nodesOf(await readFile(join(SAMPLES_DIR, 'example-full.xml'), 'utf8'))),
  ].filter((n) => ['domain', 'contact', 'host'].includes(n.local));
  const pick = random(20261122);
  let taken = 0;
  let givenUp = 0;
  for (let round = 0; round < 6000; round++) {
    const base = nodes[pick(nodes.length)]!;
    const { node, what } = mutate(base, pick);
    if (compare(node, `${base.local} at line ${base.line}, ${what}`)) taken++;
    else givenUp++;
  }
  // Both outcomes happen (whitespace and valid values are taken, broken shapes are given up).
  assert.ok(taken > 500, `taken ${taken}`);
  assert.ok(givenUp > 500, `given up ${givenUp}`);
});

test('fast rows: the example deposit of RFC 9022 converts like the typed path', async () => {
  const nodes = await nodesOf(await readFile(join(SAMPLES_DIR, 'example-full.xml'), 'utf8'));
  let taken = 0;
  for (const node of nodes) if (compare(node, `${node.local} at line ${node.line}`)) taken++;
  assert.ok(taken >= 4, `taken ${taken}`);
});

/**
 * The FULL load's sink (FullCopy) over a sequence of objects, mutated ones among them: the fast
 * path's direct writes (domain TLD put in, name servers resolved against the hosts kept so far,
 * a given-up object's writes and host undone), with the typed path taking what it gives up, end
 * with the same bytes, counts and state as the typed path's lines through FullCopy.row alone.
 */
test('fast rows into FullCopy: the same buffered lines as the typed path through FullCopy.row', async () => {
  const plain = [
    ...(await nodesOf(generatedDeposit({ tld: 'example', domains: 300, seed: 'fast-rows-full', hostModel: 'objects', asOf: AS_OF }))),
    ...(await nodesOf(await readFile(join(SAMPLES_DIR, 'example-full.xml'), 'utf8'))),
  ];
  const pick = random(7);
  const sequence: XmlNode[] = [];
  for (const node of plain) {
    sequence.push(node);
    if (['domain', 'contact', 'host'].includes(node.local) && pick(4) === 0) sequence.push(mutate(node, pick).node);
  }
  const fast = new FullCopy(NO_TX, 2 ** 30);
  const typed = new FullCopy(NO_TX, 2 ** 30);
  const fastState = newObjectState('x.xml');
  const typedState = newObjectState('x.xml');
  const hooks = fastHooks(fastState);
  let taken = 0;
  let givenUp = 0;
  for (const node of sequence) {
    let object;
    try {
      object = readObject(node, 'x.xml');
      // Both paths refuse what the typed path refuses (a refused object fails a rebuild); skipped here.
      addObject(newObjectState('x.xml'), recorder(), object, node);
    } catch {
      continue;
    }
    addObject(typedState, typed, object, node);
    if (fastObjectRows(node, fastState, fast, hooks)) taken++;
    else {
      givenUp++;
      addObject(fastState, fast, object, node);
    }
  }
  assert.ok(taken > 300 && givenUp > 20, `taken ${taken}, given up ${givenUp}`);
  assert.deepEqual(fast.bufferedLines(), typed.bufferedLines());
  assert.ok(fast.bufferedLines().some((l) => l.startsWith('domain_ns: ')), 'name servers were resolved');
  assert.equal(fast.nameServers, typed.nameServers);
  assert.equal(fast.pendingBytes, typed.pendingBytes);
  assert.equal(fast.domainTldDiffers('example'), typed.domainTldDiffers('example'));
  assert.equal(summary(fastState), summary(typedState));
});
