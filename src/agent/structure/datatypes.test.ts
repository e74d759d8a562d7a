import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteCheck, byteCheckOf, compareDecimal, dateTimeZ, dateTimeZBytes, normalizeWhitespace, SimpleValidator } from './datatypes.js';
import { RDE_MODEL } from './rde-model.js';

/** The whiteSpace facet as XSD 1.0 Part 2 §4.3.6 words it (the regular-expression form the fast scan replaced). */
function referenceNormalize(value: string, ws: 'preserve' | 'replace' | 'collapse'): string {
  if (ws === 'preserve') return value;
  const replaced = value.replace(/[\t\n\r]/g, ' ');
  if (ws === 'replace') return replaced;
  return replaced.replace(/ +/g, ' ').replace(/^ | $/g, '');
}

/** Deterministic pseudo-random strings over an alphabet rich in whitespace. */
function* strings(count: number): Generator<string> {
  const alphabet = [' ', ' ', '\t', '\n', '\r', 'a', 'b', 'é', '😀', '0'];
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let i = 0; i < count; i++) {
    let s = '';
    const len = next() % 9;
    for (let k = 0; k < len; k++) s += alphabet[next() % alphabet.length];
    yield s;
  }
  yield* ['', ' ', '  ', 'a', ' a', 'a ', 'a  b', 'a b', '\t', 'a\tb', 'a\r\nb', ' a b c '];
}

test('whiteSpace normalisation: the one-pass scan returns what the regular-expression form does, for every facet value', () => {
  let changed = 0;
  for (const s of strings(20000)) {
    for (const ws of ['preserve', 'replace', 'collapse'] as const) {
      const expected = referenceNormalize(s, ws);
      assert.equal(normalizeWhitespace(s, ws), expected, `${JSON.stringify(s)} ${ws}`);
      if (expected !== s) changed++;
    }
  }
  assert.ok(changed > 1000, 'the inputs exercise the slow path too');
});

/** The general dateTime check (DATE_TIME and the calendar), reached through a type whose primitive is dateTime. */
const validator = new SimpleValidator(RDE_MODEL);
const dateTimeType = RDE_MODEL.typeNames['{http://www.w3.org/2001/XMLSchema}dateTime']!;
const general = (v: string): boolean => {
  // A leading '+' is outside the fast shape and the lexical space alike; use the general path by a one-character detour:
  // the value with its "Z" written as "+00:00" has the same validity and is not 20 characters long.
  const detour = v.length === 20 && v.endsWith('Z') ? `${v.slice(0, 19)}+00:00` : v;
  return validator.check(dateTimeType, detour) === null;
};

test('dateTime: the fast YYYY-MM-DDTHH:MM:SSZ check agrees with the general one, and declines every other shape', () => {
  const samples = ['2026-01-04T00:00:00Z', '2024-02-29T23:59:59Z', '2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '0000-01-01T00:00:00Z', '2026-00-10T00:00:00Z', '2026-13-10T00:00:00Z', '2026-04-31T00:00:00Z', '2026-04-30T24:00:00Z', '2026-04-30T24:00:01Z', '2026-04-30T23:60:00Z', '2026-04-30T23:59:60Z', '2026-04-30T25:00:00Z', '2026-01-00T00:00:00Z'];
  // Every month/day/hour boundary.
  for (const m of ['01', '02', '04', '12', '13']) for (const d of ['00', '01', '28', '29', '30', '31', '32']) for (const h of ['00', '23', '24']) samples.push(`2024-${m}-${d}T${h}:00:00Z`);
  let valid = 0;
  for (const v of samples) {
    const fast = dateTimeZ(v);
    assert.notEqual(fast, undefined, v);
    assert.equal(fast, general(v), v);
    if (fast) valid++;
  }
  assert.ok(valid > 20 && valid < samples.length - 20);
  for (const other of ['2026-01-04T00:00:00', '2026-01-04T00:00:00.5Z', '2026-01-04T00:00:00+01:00', '2026-01-04 00:00:00Z', '2026-1-04T00:00:00ZZ', '２026-01-04T00:00:00Z', '20a6-01-04T00:00:00Z', '-2026-01-04T00:00:00Z']) {
    assert.equal(dateTimeZ(other), undefined, other);
  }
  // Through the validator both shapes get the same verdicts as before.
  assert.equal(validator.check(dateTimeType, ' 2026-01-04T00:00:00Z '), null);
  assert.notEqual(validator.check(dateTimeType, '2026-02-30T00:00:00Z'), null);
  assert.notEqual(validator.check(dateTimeType, '20a6-01-04T00:00:00Z'), null);
});

test('compareDecimal: unsigned integers compared as numbers give the order of the decimal values, leading zeros and 15 digits included', () => {
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const digits = (n: number) => Array.from({ length: n }, () => String(next() % 10)).join('');
  const values = ['0', '00', '1', '01', '255', '256', '65535', '999999999999999', '1000000000000000', '0999999999999999', '-1', '+1', '1.0', '1.5', '.5'];
  for (let i = 0; i < 300; i++) values.push(digits(1 + (next() % 16)));
  const exact = (v: string): bigint => {
    // value × 10^20 as a BigInt, for a sign, digits and an optional fraction.
    const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(v)!;
    const scaled = BigInt(`${m[2] || '0'}${(m[3] ?? '').padEnd(20, '0')}`);
    return m[1] === '-' ? -scaled : scaled;
  };
  for (const a of values) {
    for (const b of values) {
      const x = exact(a);
      const y = exact(b);
      assert.equal(compareDecimal(a, b), x < y ? -1 : x > y ? 1 : 0, `${a} vs ${b}`);
    }
  }
});

test('dateTimeZBytes: the same verdict as dateTimeZ of the decoded value, at any offset in a buffer', () => {
  let seed = 99;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  const values = ['2026-01-04T00:00:00Z', '2024-02-29T23:59:59Z', '2023-02-29T00:00:00Z', '0000-01-01T00:00:00Z', '2026-04-30T24:00:00Z', '2026-04-30T24:00:01Z', '20a6-01-04T00:00:00Z', '2026-01-04T00:00:00', '2026-01-04T00:00:00.5Z', 'é026-01-04T00:00:00Z', '2026/01-04T00:00:00Z'];
  // Random values of the shape with one character replaced (digits, separators, bytes around '0'..'9').
  const alphabet = '0123456789/:;-TZ+ .';
  for (let i = 0; i < 20000; i++) {
    const y = String(next() % 10000).padStart(4, '0');
    const two = () => String(next() % 40).padStart(2, '0');
    let v = `${y}-${two()}-${two()}T${two()}:${two()}:${two()}Z`;
    if (next() % 3 === 0) {
      const at = next() % v.length;
      v = v.slice(0, at) + alphabet[next() % alphabet.length] + v.slice(at + 1);
    }
    values.push(v);
  }
  let valid = 0;
  for (const v of values) {
    const bytes = Buffer.from(`<x>${v}</x>`, 'utf8');
    const n = Buffer.byteLength(v);
    assert.equal(dateTimeZBytes(bytes, 3, n), dateTimeZ(v), v);
    if (dateTimeZ(v) === true) valid++;
  }
  assert.ok(valid > 1000 && valid < values.length - 1000, `both verdicts occur (${valid} valid)`);
});

test('byteCheckOf: length bounds only for string types with length facets alone, dateTime only without facets', () => {
  const named = (n: string) => RDE_MODEL.types[RDE_MODEL.typeNames[n]!]! as Parameters<typeof byteCheckOf>[0];
  assert.deepEqual(byteCheckOf(named('{urn:ietf:params:xml:ns:eppcom-1.0}clIDType')), { check: ByteCheck.Length, min: 3, max: 16 });
  assert.equal(byteCheckOf(named('{http://www.w3.org/2001/XMLSchema}dateTime')).check, ByteCheck.DateTime);
  assert.equal(byteCheckOf(named('{http://www.w3.org/2001/XMLSchema}normalizedString')).check, ByteCheck.Length);
  for (const other of ['{urn:ietf:params:xml:ns:eppcom-1.0}roidType', '{http://www.w3.org/2001/XMLSchema}boolean', '{http://www.w3.org/2001/XMLSchema}language', '{http://www.w3.org/2001/XMLSchema}anyURI', '{urn:ietf:params:xml:ns:contact-1.0}e164StringType']) {
    assert.equal(byteCheckOf(named(other)).check, ByteCheck.None, other);
  }
  const cc = byteCheckOf(named('{urn:ietf:params:xml:ns:contact-1.0}ccType'));
  assert.deepEqual([cc.min, cc.max], [2, 2]);
});
