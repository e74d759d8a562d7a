import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalDateTime, compareDateTime, tryCanonicalDateTime } from './datetime.js';
import { pgTimestampToIso } from '../db/types.js';

test('canonical date-times match what PostgreSQL prints in a UTC session', () => {
  assert.equal(canonicalDateTime('1999-04-03T22:00:00.0Z'), '1999-04-03T22:00:00Z');
  assert.equal(canonicalDateTime('2010-10-17T02:30:00.25+02:30'), '2010-10-17T00:00:00.25Z');
  assert.equal(canonicalDateTime('2010-10-17T00:00:00.1234567Z'), '2010-10-17T00:00:00.123457Z');
  assert.equal(canonicalDateTime('2010-12-31T23:59:59.9999999Z'), '2011-01-01T00:00:00Z');
  assert.equal(canonicalDateTime(' 2009-08-02T00:00:00-00:30 '), '2009-08-02T00:30:00Z');
  assert.equal(canonicalDateTime('2009-08-02T00:00:00.120000Z'), pgTimestampToIso('2009-08-02 00:00:00.12+00'));
});

test('invalid date-times are refused', () => {
  for (const bad of ['2021-02-30T00:00:00Z', '2021-01-01 00:00:00Z', '2021-01-01T24:00:00Z', '2021-01-01T00:00:00', 'yesterday', '2021-13-01T00:00:00Z']) {
    assert.equal(tryCanonicalDateTime(bad), null, bad);
  }
  assert.throws(() => canonicalDateTime('nope'), /not an RFC 3339 date-time: "nope"/);
});

test('canonical values come back unchanged, and the fast path refuses what the full parse refuses', () => {
  for (const ok of ['2020-02-29T23:59:59Z', '2000-02-29T00:00:00.5Z', '0001-01-01T00:00:00.000001Z', '9999-12-31T23:59:59.99999Z', '2021-04-30T12:00:00Z']) {
    assert.equal(tryCanonicalDateTime(ok), ok, ok);
  }
  for (const bad of ['1900-02-29T00:00:00Z', '2021-02-29T00:00:00Z', '2021-04-31T00:00:00Z', '0000-01-01T00:00:00Z', '2021-00-10T00:00:00Z', '2021-01-00T00:00:00Z', '2021-01-01T23:60:00Z', '2021-01-01T23:00:60Z']) {
    assert.equal(tryCanonicalDateTime(bad), null, bad);
  }
  // Not canonical (trailing zero, offset, no fraction digits): the full parse decides.
  assert.equal(tryCanonicalDateTime('2021-01-01T00:00:00.10Z'), '2021-01-01T00:00:00.1Z');
  assert.equal(tryCanonicalDateTime('2021-01-01T00:00:00.Z'), null);
});

test('date-times compare at microsecond precision', () => {
  assert.ok(compareDateTime('2020-01-01T00:00:00.000001Z', '2020-01-01T00:00:00Z') > 0);
  assert.equal(compareDateTime('2020-01-01T01:00:00+01:00', '2020-01-01T00:00:00.000Z'), 0);
  assert.ok(compareDateTime('2019-12-31T23:59:59.999999Z', '2020-01-01T00:00:00Z') < 0);
});
