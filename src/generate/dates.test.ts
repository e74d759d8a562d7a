import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalDateTime } from '../model/datetime.js';
import { addYears, anniversaryAfter, DAY, iso } from './dates.js';
import { Rng, seedKey } from './random.js';

test('iso() and addYears() agree with Date on a wide sample', () => {
  const rng = Rng.forObject(seedKey('dates'), 1, 1);
  for (let n = 0; n < 20_000; n++) {
    const ms = Math.floor(rng.float() * 6e12); // 1970 … 2160
    assert.equal(iso(ms), canonicalDateTime(new Date(ms).toISOString()));
    const d = new Date(ms);
    const years = rng.between(-12, 12);
    const expected = Date.UTC(d.getUTCFullYear() + years, d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
    assert.equal(addYears(ms, years), expected);
  }
  assert.equal(iso(Date.UTC(2024, 1, 29, 23, 59, 59, 120)), '2024-02-29T23:59:59.12Z');
  assert.equal(iso(addYears(Date.UTC(2024, 1, 29), 1)), '2025-03-01T00:00:00Z');
});

test('anniversaryAfter() is the first anniversary strictly after the instant', () => {
  const start = Date.UTC(2019, 5, 15, 12);
  assert.equal(iso(anniversaryAfter(start, Date.UTC(2026, 0, 1))), '2026-06-15T12:00:00Z');
  assert.equal(iso(anniversaryAfter(start, Date.UTC(2026, 5, 15, 12))), '2027-06-15T12:00:00Z');
  assert.equal(iso(anniversaryAfter(start, start + DAY)), '2020-06-15T12:00:00Z');
});
