import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStrongroomError } from '../common/errors.js';
import { depositKey, formatDepositName, parseDepositName } from './naming.js';

test('Spec 2 names parse and format both ways', () => {
  const parsed = parseDepositName('example_2023-10-04_full_S1_R0.ryde');
  assert.deepEqual(parsed, { tld: 'example', date: '2023-10-04', type: 'full', part: 1, rev: 0, ext: 'ryde' });
  assert.equal(formatDepositName(parsed, 'sig'), 'example_2023-10-04_full_S1_R0.sig');
  assert.equal(formatDepositName({ tld: 'xn--p1ai', date: '2024-02-29', type: 'diff', part: 12, rev: 3 }, 'xml'), 'xn--p1ai_2024-02-29_diff_S12_R3.xml');
  assert.equal(depositKey(parseDepositName('xxx_2015-05-16_thin_S2_R1.tar')), 'xxx_2015-05-16_thin_R1');
});

test('names that are not Spec 2 names are refused with RYDE_NAME_INVALID', () => {
  for (const bad of [
    'example_2023-10-04_full_S0_R0.ryde', // parts start at 1
    'example_2023-02-30_full_S1_R0.ryde', // impossible date
    'Example_2023-10-04_full_S1_R0.ryde', // A-label is lower case
    'example_2023-10-04_inc_S1_R0.ryde', // unknown type
    'example_2023-10-04_full_S1_R0.gpg', // unknown extension
    'example_2023-10-04_full_S01_R0.ryde', // leading zero
    '-bad_2023-10-04_full_S1_R0.ryde',
    '../example_2023-10-04_full_S1_R0.ryde',
  ]) {
    assert.throws(() => parseDepositName(bad), (err) => isStrongroomError(err, 'RYDE_NAME_INVALID'), bad);
  }
});
