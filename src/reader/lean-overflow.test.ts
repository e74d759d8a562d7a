/**
 * The lean path (./lean.ts over ./xml-stream.ts ObjectLog) on objects too large to log: past
 * LOG_MAX_ENTRIES entries or LOG_MAX_TEXT characters, xml-stream.ts stops logging in the middle
 * of the object and replays what it logged into the element tree, which then takes the rest of
 * the object straight from the scanner. Such an object must come out exactly as without the lean
 * path — the same typed object, or the same error (code, message, location, data: object, field,
 * line, column) — whole, in 7-byte chunks, and with a chunk boundary right at the event that
 * overflows the log (found by a probe scanner that counts the way ObjectLog does, itself checked
 * against the real limit: one entry under it the object is typed lean, at it it is not).
 * Every case also checks that the overflow really happened (the lean converter never saw the
 * large object) and that the objects after it take the lean path again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStrongroomError } from '../common/errors.js';
import { XmlScanner } from '../common/xml-scan.js';
import { OBJECT_URI } from '../model/namespaces.js';
import type { Contact, Domain, Header, Host, RdeObject } from '../model/objects.js';
import { depositXml } from '../testing/deposit-xml.js';
import { readDepositBatches, type DepositEvent } from './index.js';
import { leanObject } from './lean.js';
import { LOG_MAX_ENTRIES, LOG_MAX_TEXT, MAX_TEXT, xmlPieceBatches, type ObjectLog } from './xml-stream.js';

const WATERMARK = '2025-01-05T00:00:00Z';

/** Chunking of the input: a chunk size, or the byte offsets to split at. */
type Chunking = number | number[];

function chunks(bytes: Buffer, chunking: Chunking): AsyncIterable<Buffer> {
  return (async function* () {
    if (typeof chunking === 'number') {
      for (let i = 0; i < bytes.length; i += chunking) yield bytes.subarray(i, i + chunking);
      return;
    }
    let from = 0;
    for (const to of chunking) {
      yield bytes.subarray(from, to);
      from = to;
    }
    yield bytes.subarray(from);
  })();
}

type Outcome = { events: DepositEvent[]; error?: { code: string; message: string; location: string | undefined; data: unknown } };

async function outcome(bytes: Buffer, lean: boolean, chunking: Chunking): Promise<Outcome> {
  const events: DepositEvent[] = [];
  try {
    for await (const batch of readDepositBatches(chunks(bytes, chunking), { file: 'big.xml', lean })) events.push(...batch);
    return { events };
  } catch (err) {
    if (!isStrongroomError(err)) throw err;
    return { events, error: { code: err.code, message: err.message, location: err.location, data: err.data } };
  }
}

/** Start lines of the objects the lean converter was given, and of those it typed. */
async function leanSeen(bytes: Buffer, chunking: Chunking): Promise<{ seen: number[]; typed: number[] }> {
  const seen: number[] = [];
  const typed: number[] = [];
  const lean = (log: ObjectLog) => {
    seen.push(log.line[0]!);
    const object = leanObject(log);
    if (object) typed.push(log.line[0]!);
    return object;
  };
  try {
    for await (const batch of xmlPieceBatches(chunks(bytes, chunking), 'big.xml', { lean })) void batch;
  } catch (err) {
    if (!isStrongroomError(err)) throw err;
  }
  return { seen, typed };
}

/**
 * Whether the log of an `<rde:contents>` object overflows in the first `length` bytes (scanned in
 * one write), counted as ObjectLog counts: every open, text, CDATA and close event of the object
 * is an entry, text and CDATA add their characters, and the limits are checked after an open, a
 * text or a CDATA entry.
 */
function overflowsWithin(bytes: Buffer, length: number): boolean {
  const path: string[] = [];
  let counting = false;
  let entries = 0;
  let chars = 0;
  let over = false;
  const check = () => {
    if (counting && (entries > LOG_MAX_ENTRIES || chars > LOG_MAX_TEXT)) over = true;
  };
  const logChars = (text: string) => {
    if (!counting) return;
    entries++;
    chars += text.length;
    check();
  };
  const scanner = new XmlScanner({
    open(s) {
      if (path.length === 2 && path[1] === 'contents') {
        counting = true;
        entries = 0;
        chars = 0;
      }
      path.push(s.local);
      if (counting) {
        entries++;
        check();
      }
    },
    text: (s) => logChars(s.text()),
    cdata: (s) => logChars(s.text()),
    close() {
      path.pop();
      if (counting) entries++;
      if (path.length === 2) counting = false;
    },
  });
  scanner.write(bytes.subarray(0, length));
  return over;
}

/** The smallest input length whose scan overflows an object's log (null: none does). */
function overflowPoint(bytes: Buffer): number | null {
  if (!overflowsWithin(bytes, bytes.length)) return null;
  let lo = 0;
  let hi = bytes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (overflowsWithin(bytes, mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

const lineAt = (xml: string, index: number): number => xml.slice(0, index).split('\n').length;

const small: Domain = {
  name: 'small.example',
  roid: 'D1-EXAMPLE',
  status: [{ s: 'ok' }],
  rgpStatus: [],
  contact: [],
  clID: 'registrar-1',
  crDate: '2020-01-01T00:00:00Z',
};
const after: Host = { name: 'ns1.after.example', roid: 'H9-EXAMPLE', status: [{ s: 'ok' }], addr: [{ ip: 'v4', addr: '192.0.2.9' }], clID: 'registrar-1' };

function bigDomain(statuses: number, ds: number, ns: number): Domain {
  const d: Domain = {
    name: 'big.example',
    roid: 'D2-EXAMPLE',
    status: Array.from({ length: statuses }, (_, i) => (i % 3 === 0 ? { s: `status${i}`, lang: 'en', text: `free text ${i}` } : { s: `status${i}` })),
    rgpStatus: [{ s: 'addPeriod' }],
    registrant: 'c1',
    contact: [{ type: 'admin', id: 'c1' }],
    clID: 'registrar-1',
    crRr: { id: 'registrar-1', client: 'x' },
    crDate: '2020-01-01T00:00:00Z',
    exDate: '2030-01-01T00:00:00Z',
    upDate: '2024-06-01T12:00:00.5Z',
    trDate: '2023-01-01T00:00:00Z',
  };
  if (ns > 0) d.ns = { hostObj: Array.from({ length: ns }, (_, i) => `ns${i}.big.example`) };
  if (ds > 0) d.secDNS = { dsData: Array.from({ length: ds }, (_, i) => ({ keyTag: i % 65536, alg: 13, digestType: 2, digest: `${i.toString(16).padStart(8, '0')}${'AB'.repeat(28)}` })) };
  return d;
}

function bigContact(street: string): Contact {
  return {
    id: 'c-big',
    roid: 'C2-EXAMPLE',
    status: [{ s: 'ok' }],
    postalInfo: [{ type: 'int', name: 'Big Street', addr: { street: ['1 Short Road', street], city: 'Town', pc: '12345', cc: 'DE' } }],
    voice: { number: '+49.1234567' },
    email: 'big@example.com',
    clID: 'registrar-1',
    crDate: '2020-01-01T00:00:00Z',
    upDate: '2024-01-01T00:00:00Z',
    disclose: { flag: false, name: [], org: [], addr: [], voice: true, fax: false, email: true },
  };
}

function deposit(big: RdeObject): string {
  const objects: RdeObject[] = [{ kind: 'domain', value: small }, big, { kind: 'host', value: after }];
  const counts = new Map<string, number>();
  for (const o of objects) counts.set(OBJECT_URI[o.kind], (counts.get(OBJECT_URI[o.kind]) ?? 0) + 1);
  const header: Header = { tld: 'example', count: [...counts].map(([uri, count]) => ({ uri, count })) };
  return depositXml([...objects, { kind: 'header', value: header }], { watermark: WATERMARK, id: '20250105001' });
}

/** One occurrence of `from` (the last, or the first) replaced. */
function patch(xml: string, from: string, to: string, which: 'first' | 'last' = 'last'): string {
  const at = which === 'last' ? xml.lastIndexOf(from) : xml.indexOf(from);
  assert.ok(at >= 0, `"${from}" in the deposit`);
  return xml.slice(0, at) + to + xml.slice(at + from.length);
}

/**
 * `xml` (holding small, one large object starting with `bigTag`, and after) read with and
 * without the lean path, whole, in 7-byte chunks, and split around the overflow point: the same
 * outcome each time, the large object never given to the lean converter, the others typed by it.
 */
async function check(xml: string, bigTag: string, what: string, expect: { object?: RdeObject; error?: RegExp; overflowBefore?: string }): Promise<void> {
  const bytes = Buffer.from(xml);
  const p = overflowPoint(bytes);
  assert.ok(p !== null, `${what}: the large object overflows the log`);
  if (expect.overflowBefore !== undefined) assert.ok(p < bytes.indexOf(expect.overflowBefore), `${what}: the log overflows before "${expect.overflowBefore}"`);
  // The objects' start tags (the line before their first child's).
  const bigLine = lineAt(xml, xml.indexOf(bigTag)) - 1;
  const smallLine = lineAt(xml, xml.indexOf('<rdeDomain:domain>'));
  const afterLine = lineAt(xml, xml.lastIndexOf('<rdeHost:host>'));
  const chunkings: Array<[string, Chunking]> = [
    ['whole', 1 << 16],
    ['7-byte chunks', 7],
    ['split right after the overflowing event', [p]],
    ['split right before the last byte of the overflowing event', [p - 1]],
    ['split one byte after the overflow point', [p + 1]],
  ];
  let reference: Outcome | undefined;
  for (const [how, chunking] of chunkings) {
    const tree = await outcome(bytes, false, chunking);
    const lean = await outcome(bytes, true, chunking);
    assert.deepStrictEqual(lean, tree, `${what}, ${how}: lean path = tree path`);
    // The chunking changes nothing either (but how many events come before an error).
    if (reference === undefined) reference = tree;
    else if (reference.error) assert.deepStrictEqual(tree.error, reference.error, `${what}, ${how}: same error as whole`);
    else assert.deepStrictEqual(tree, reference, `${what}, ${how}: same as whole`);
    const { seen, typed } = await leanSeen(bytes, chunking);
    assert.ok(!seen.includes(bigLine), `${what}, ${how}: the large object was replayed into the tree, not given to the lean converter`);
    assert.ok(typed.includes(smallLine), `${what}, ${how}: the object before it was typed lean`);
    if (!tree.error) assert.ok(typed.includes(afterLine), `${what}, ${how}: the object after it was typed lean`);
  }
  if (expect.object) {
    assert.equal(reference!.error, undefined, `${what}: read without error`);
    const objects = reference!.events.filter((e) => e.type === 'object').map((e) => (e as { object: RdeObject }).object);
    assert.deepStrictEqual(objects[1], expect.object, `${what}: the large object read back as written`);
    assert.equal(objects.length, 4);
  }
  if (expect.error) {
    assert.ok(reference!.error, `${what}: refused`);
    assert.match(reference!.error.message, expect.error, `${what}: the error`);
  }
}

test('the probe finds the real log limit: one entry under it the object is typed lean, past it the object is replayed', async () => {
  // The most statuses a domain can hold and still be logged whole.
  let lo = 1;
  let hi = 4 * LOG_MAX_ENTRIES;
  const xmlFor = (n: number) => deposit({ kind: 'domain', value: bigDomain(n, 0, 0) });
  assert.equal(overflowPoint(Buffer.from(xmlFor(lo))), null);
  assert.notEqual(overflowPoint(Buffer.from(xmlFor(hi))), null);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (overflowPoint(Buffer.from(xmlFor(mid))) === null) lo = mid;
    else hi = mid;
  }
  for (const [n, typedLean] of [
    [lo, true],
    [hi, false],
  ] as const) {
    const xml = xmlFor(n);
    const bigLine = lineAt(xml, xml.indexOf('<rdeDomain:name>big.example'));
    // Read in one chunk, as the probe scans (more chunks split text events: more entries).
    const { typed } = await leanSeen(Buffer.from(xml), 1 << 20);
    assert.equal(typed.includes(bigLine - 1), typedLean, `${n} statuses: typed lean ${typedLean}`);
    assert.deepStrictEqual(await outcome(Buffer.from(xml), true, 1 << 16), await outcome(Buffer.from(xml), false, 1 << 16));
  }
});

test('a domain with thousands of statuses, DS records and name servers: the same object on both paths, however chunked', async () => {
  const big = bigDomain(1500, 700, 1500);
  const xml = deposit({ kind: 'domain', value: big });
  await check(xml, '<rdeDomain:name>big.example', 'large domain', { object: { kind: 'domain', value: big } });
});

test('a large domain with an error after the overflow point: the same error on both paths', async () => {
  const xml = deposit({ kind: 'domain', value: bigDomain(1500, 700, 1500) });
  const tag = '<rdeDomain:name>big.example';
  // A value readObject() refuses, in the last DS record.
  await check(patch(xml, '<secDNS:digestType>2</secDNS:digestType>', '<secDNS:digestType>two</secDNS:digestType>'), tag, 'bad digestType', {
    error: /digestType/,
    overflowBefore: '<secDNS:digestType>two',
  });
  // A bad date, the last element of the object.
  await check(patch(xml, '<rdeDomain:trDate>2023-01-01T00:00:00Z', '<rdeDomain:trDate>yesterday'), tag, 'bad trDate', { error: /trDate/, overflowBefore: 'yesterday' });
  // A missing required element, after every list.
  await check(patch(xml, '<rdeDomain:clID>registrar-1</rdeDomain:clID>', ''), tag, 'no clID', { error: /clID/, overflowBefore: '<rdeDomain:crRr' });
  // A value refused by readObject() that was logged before the overflow (found once the tree is whole).
  await check(patch(xml, '<rdeDomain:status s="status1"/>', '<rdeDomain:status/>', 'first'), tag, 'status without s', { error: /\bs\b/ });
  // Not well-formed after the overflow: the scanner's error.
  await check(patch(xml, '</secDNS:dsData>', '</secDNS:dsDatum>'), tag, 'mismatched end tag', { error: /not well-formed/, overflowBefore: '</secDNS:dsDatum>' });
  // A recoverable scanner error while the object is still being logged: the failure wins on both paths.
  await check(patch(xml, '<rdeDomain:status s="status5"/>', '<rdeDomain:status s="status5" s="again"/>', 'first'), tag, 'duplicate attribute before the overflow', { error: /not well-formed/ });
});

test('a host with thousands of addresses, valid and with a bad one after the overflow point', async () => {
  const big: Host = {
    name: 'ns1.big.example',
    roid: 'H2-EXAMPLE',
    status: [{ s: 'ok' }],
    addr: Array.from({ length: 3000 }, (_, i) => (i % 2 ? { ip: 'v6' as const, addr: `2001:db8::${i.toString(16)}` } : { ip: 'v4' as const, addr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` })),
    clID: 'registrar-1',
    crDate: '2020-01-01T00:00:00Z',
  };
  const xml = deposit({ kind: 'host', value: big });
  const tag = '<rdeHost:name>ns1.big.example';
  await check(xml, tag, 'large host', { object: { kind: 'host', value: big } });
  await check(patch(xml, 'ip="v6"', 'ip="v5"'), tag, 'bad ip version', { error: /ip/, overflowBefore: 'ip="v5"' });
});

test('a contact with a 300 KiB street line: the same object on both paths; errors after it the same', async () => {
  // Not only ASCII: characters of 2, 3 and 4 bytes, which 7-byte chunks split.
  const unit = 'Hauptstraße 1 – Ünterwëg 𝔸 ';
  const street = unit.repeat(Math.ceil((300 * 1024) / unit.length));
  assert.ok(street.length > LOG_MAX_TEXT);
  const big = bigContact(street);
  const xml = deposit({ kind: 'contact', value: big });
  const tag = '<rdeContact:id>c-big';
  await check(xml, tag, 'large contact', { object: { kind: 'contact', value: big } });
  await check(patch(xml, '<rdeContact:upDate>2024-01-01T00:00:00Z', '<rdeContact:upDate>later'), tag, 'bad upDate', { error: /upDate/, overflowBefore: 'later' });
  await check(patch(xml, '<rdeContact:disclose flag="0">', '<rdeContact:disclose flag="maybe">'), tag, 'bad disclose flag', { error: /flag/, overflowBefore: 'flag="maybe"' });
  await check(patch(xml, '<contact:cc>DE</contact:cc>', ''), tag, 'no cc', { error: /cc/, overflowBefore: '</contact:addr>' });
});

test('a contact street line over the element-tree cap: the same MAX_TEXT error on both paths', async () => {
  const street = 'x'.repeat(MAX_TEXT + 1);
  const xml = deposit({ kind: 'contact', value: bigContact(street) });
  await check(xml, '<rdeContact:id>c-big', 'street over MAX_TEXT', { error: new RegExp(`more than ${MAX_TEXT} characters`) });
});
