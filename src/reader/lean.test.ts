/**
 * The lean converter (./lean.ts) against readObject(): the same deposit read with and without
 * it gives the same events (deepStrictEqual: same objects, no extra or undefined properties) or
 * the same error (code, message, location, the events before it) — on generated registries of
 * both host models, the RFC samples, and every object of a small deposit mutated element by
 * element (removed, repeated, emptied, padded, garbled, moved, wrapped in CDATA, split by a
 * comment, given unknown neighbours or stray text). The lean path must also actually be taken
 * on the common shapes (else the test would prove nothing).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import { registryObjects } from '../generate/generate.js';
import { Plan, type GenerateOptions } from '../generate/plan.js';
import { OBJECT_URI } from '../model/namespaces.js';
import type { Header, RdeObject } from '../model/objects.js';
import { depositXml } from '../testing/deposit-xml.js';
import { SAMPLES_DIR } from '../testing/paths.js';
import { checkDepositObjects } from '../agent/rst/object-rules.js';
import { readDepositBatches, type DepositEvent } from './index.js';
import { leanObject } from './lean.js';
import { xmlPieceBatches, type ObjectLog } from './xml-stream.js';

const WATERMARK = '2025-01-05T00:00:00Z';

function generated(options: GenerateOptions): RdeObject[] {
  const objects: RdeObject[] = [];
  for (const o of registryObjects(new Plan(options))) objects.push(o.kind === 'domain' ? { kind: 'domain', value: o.value } : o);
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(OBJECT_URI[o.kind], (counts.get(OBJECT_URI[o.kind]) ?? 0) + 1);
  const header: Header = { tld: options.tld, count: [...counts].map(([uri, count]) => ({ uri, count })) };
  objects.push({ kind: 'header', value: header });
  return objects;
}

function chunks(xml: string, size: number): AsyncIterable<Buffer> {
  const bytes = Buffer.from(xml);
  return (async function* () {
    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
  })();
}

type Outcome = { events: DepositEvent[]; error?: { code: string; message: string; location: string | undefined } };

async function outcome(xml: string, lean: boolean, size = 1 << 16): Promise<Outcome> {
  const events: DepositEvent[] = [];
  try {
    for await (const batch of readDepositBatches(chunks(xml, size), { file: 'test.xml', lean })) events.push(...batch);
    return { events };
  } catch (err) {
    if (!isStrongroomError(err)) throw err;
    return { events, error: { code: err.code, message: err.message, location: err.location } };
  }
}

/** How many objects the lean converter typed itself. */
async function leanHits(xml: string): Promise<{ hits: number; declined: number }> {
  let hits = 0;
  let declined = 0;
  const lean = (log: ObjectLog) => {
    const object = leanObject(log);
    if (object) hits++;
    else declined++;
    return object;
  };
  for await (const batch of xmlPieceBatches(chunks(xml, 1 << 16), 'test.xml', { lean })) void batch;
  return { hits, declined };
}

async function same(xml: string, what: string, size?: number): Promise<Outcome> {
  const typed = await outcome(xml, false, size);
  const lean = await outcome(xml, true, size);
  assert.deepStrictEqual(lean, typed, what);
  return typed;
}

for (const hostModel of ['objects', 'attributes'] as const) {
  test(`generated registry (every edge case, host ${hostModel}): the lean path reads the same objects, and takes most of them`, async () => {
    const options: GenerateOptions = { tld: hostModel === 'objects' ? 'example' : 'xn--q9jyb4c', domains: 200, seed: `lean-${hostModel}`, hostModel, asOf: WATERMARK };
    const objects = generated(options);
    const xml = depositXml(objects, { watermark: WATERMARK, id: '20250105001' });
    const typed = await same(xml, 'whole deposit');
    assert.equal(typed.error, undefined);
    await same(xml, 'in 7-byte chunks', 7);
    const { hits, declined } = await leanHits(xml);
    const common = objects.filter((o) => o.kind === 'domain' || o.kind === 'contact' || o.kind === 'host').length;
    assert.ok(hits >= common * 0.9, `lean path taken for ${hits} of ${common} domains/contacts/hosts (${declined} declined)`);
    // The findings of the object rules are the same whichever path typed the objects.
    const rules = async (lean: boolean) => {
      const batches = readDepositBatches(chunks(xml, 1 << 16), { file: 'test.xml', lean });
      return checkDepositObjects(() => chunks(xml, 1 << 16), { tld: options.tld, file: 'test.xml', batches, dataModel: 'maximum', roidSuffix: 'EXAMPLE' });
    };
    assert.deepStrictEqual(await rules(true), await rules(false));
  });
}

test('the RFC 9022 samples read the same with the lean path', async () => {
  for (const name of ['example-full.xml', 'example-diff.xml']) {
    const xml = await readFile(join(SAMPLES_DIR, name), 'utf8');
    await same(xml, name);
    await same(xml, `${name} in 5-byte chunks`, 5);
  }
});

/** Leaf elements (`<p:x ...>text</p:x>` or `<p:x .../>`) of a piece of XML, with their offsets. */
function leaves(xml: string): Array<{ at: number; end: number; open: string; text: string; close: string }> {
  const out = [];
  const re = /<([\w]+:[\w]+)((?:\s[^>]*?)?)(?:\/>|>([^<]*)<\/\1>)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) {
    const selfClosing = m[0].endsWith('/>') && m[3] === undefined;
    out.push({ at: m.index, end: m.index + m[0].length, open: `<${m[1]}${m[2]}${selfClosing ? '/>' : '>'}`, text: m[3] ?? '', close: selfClosing ? '' : `</${m[1]}>` });
  }
  return out;
}

/** Element start tags of containers (`<p:x ...>` followed by a child element). */
function containers(xml: string): number[] {
  const out = [];
  const re = /<[\w]+:[\w]+(?:\s[^>]*?)?>(?=\s*<[\w]+:)/g;
  for (let m = re.exec(xml); m; m = re.exec(xml)) out.push(m.index + m[0].length);
  return out;
}

function* mutations(object: string): Generator<[string, string]> {
  const list = leaves(object);
  for (const [index, leaf] of list.entries()) {
    const before = object.slice(0, leaf.at);
    const after = object.slice(leaf.end);
    const element = object.slice(leaf.at, leaf.end);
    const name = `${leaf.open.slice(0, 40)} (${index})`;
    const withText = (text: string) => (leaf.close === '' ? `${leaf.open.slice(0, -2)}>${text}</${leaf.open.slice(1).split(/[\s/>]/)[0]}>` : `${leaf.open}${text}${leaf.close}`);
    yield [`${name} removed`, before + after];
    yield [`${name} repeated`, before + element + element + after];
    yield [`${name} emptied`, before + withText('') + after];
    yield [`${name} padded`, before + withText(`\n  ${leaf.text}\t `) + after];
    yield [`${name} garbled`, before + withText('x y') + after];
    yield [`${name} negative`, before + withText('-1') + after];
    yield [`${name} out of range`, before + withText('99999999999') + after];
    yield [`${name} a date`, before + withText('2030-01-01T00:00:00.50+01:00') + after];
    yield [`${name} CDATA`, before + withText(`<![CDATA[${leaf.text}]]>`) + after];
    yield [`${name} comment inside`, before + withText(`${leaf.text.slice(0, 2)}<!-- c -->${leaf.text.slice(2)}`) + after];
    yield [`${name} reference`, before + withText(`${leaf.text}&amp;`) + after];
    yield [`${name} child element`, before + withText(`<x:y xmlns:x="urn:x">1</x:y>`) + after];
    yield [`${name} attribute`, before + element.replace(/^<([\w:]+)/, '<$1 extra=" v "') + after];
    yield [`${name} self-closing`, before + `${leaf.open.replace(/\/?>$/, '')}/>` + after];
    if (/ (s|type|ip|client|x|flag)="/.test(leaf.open)) {
      yield [`${name} attribute emptied`, before + element.replace(/ (s|type|ip|client|x|flag)="[^"]*"/, ' $1=""') + after];
      yield [`${name} attribute padded`, before + element.replace(/ (s|type|ip|client|x|flag)="([^"]*)"/, ' $1=" $2 "') + after];
      yield [`${name} attribute garbled`, before + element.replace(/ (s|type|ip|client|x|flag)="[^"]*"/, ' $1="nope"') + after];
      yield [`${name} attribute removed`, before + element.replace(/ (s|type|ip|client|x|flag)="[^"]*"/, '') + after];
    }
    const next = list[index + 1];
    if (next && object.slice(leaf.end, next.at).trim() === '') {
      yield [`${name} swapped with the next`, before + object.slice(next.at, next.end) + object.slice(leaf.end, next.at) + element + object.slice(next.end)];
    }
  }
  for (const [index, at] of containers(object).entries()) {
    const before = object.slice(0, at);
    const after = object.slice(at);
    yield [`container ${index}: unknown child`, `${before}<rdeDomain:unknown>1</rdeDomain:unknown>${after}`];
    yield [`container ${index}: foreign child`, `${before}<x:y xmlns:x="urn:x"/>${after}`];
    yield [`container ${index}: stray text`, `${before}stray${after}`];
    yield [`container ${index}: space by reference`, `${before}&#32;${after}`];
    yield [`container ${index}: comment and PI`, `${before}<!-- note --><?pi x?>${after}`];
    yield [`container ${index}: CDATA whitespace`, `${before}<![CDATA[ ]]>${after}`];
    yield [`container ${index}: no-break space`, `${before}\u00a0${after}`];
  }
}

test('every element of domains, hosts and contacts mutated: the lean path gives the same objects or the same error', async () => {
  const options: GenerateOptions = { tld: 'example', domains: 120, seed: 'lean-mutations', hostModel: 'objects', asOf: WATERMARK };
  const all = generated(options);
  const hostAttr = generated({ ...options, hostModel: 'attributes', tld: 'xn--q9jyb4c', seed: 'lean-mutations-attributes' }).filter((o) => o.kind === 'domain' && o.value.ns !== undefined && 'hostAttr' in o.value.ns);
  // Objects of each kind with the most different shapes (most elements first), a few of each.
  const pick = (kind: RdeObject['kind'], n: number) =>
    all
      .filter((o) => o.kind === kind)
      .map((o) => ({ o, xml: depositXml([o], { watermark: WATERMARK, id: '1' }) }))
      .sort((a, b) => b.xml.length - a.xml.length)
      .slice(0, n)
      .map(({ o }) => o);
  const chosen = [...pick('domain', 4), ...pick('contact', 3), ...pick('host', 2), ...hostAttr.slice(0, 2)];
  assert.equal(chosen.length, 11);
  const sample = await readFile(join(SAMPLES_DIR, 'example-full.xml'), 'utf8');
  let cases = 0;
  let errors = 0;
  for (const object of chosen) {
    const xml = depositXml([object], { watermark: WATERMARK, id: '20250105001' });
    const start = xml.indexOf('<rde:contents>') + '<rde:contents>'.length;
    const end = xml.indexOf('</rde:contents>');
    const text = xml.slice(start, end);
    for (const [what, mutated] of mutations(text)) {
      const result = await same(xml.slice(0, start) + mutated + xml.slice(end), `${object.kind}: ${what}`);
      cases++;
      if (result.error) errors++;
    }
  }
  // The RFC sample's objects (other prefixes, pretty-printed values) mutated the same way.
  for (const match of sample.matchAll(/<(rdeDom|rdeHost|rdeContact):(domain|host|contact)>[\s\S]*?<\/\1:\2>/g)) {
    for (const [what, mutated] of mutations(match[0])) {
      const result = await same(sample.slice(0, match.index) + mutated + sample.slice(match.index! + match[0].length), `sample ${match[2]}: ${what}`);
      cases++;
      if (result.error) errors++;
    }
  }
  assert.ok(cases > 1000, `${cases} mutated deposits`);
  assert.ok(errors > 100 && errors < cases, `${errors} of ${cases} refused by both`);
});
