import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isStrongroomError } from '../common/errors.js';
import { depositFileName, depositId, DEPOSIT_ID_PATTERN, parseDepositId } from './naming.js';

test('deposit ids are 13 word characters derived from watermark and type only', () => {
  assert.equal(depositId('2024-01-07T00:00:00Z', 'FULL'), '20240107F0000');
  assert.equal(depositId('2024-01-07T23:59:59.999Z', 'DIFF'), '20240107D1UNZ');
  assert.equal(depositId('2024-01-07T01:00:00+01:00', 'FULL'), '20240107F0000', 'the UTC instant counts, not the notation');
  assert.equal(depositId('2024-01-07T00:00:00.5Z', 'INCR'), '20240107I0000');
  for (const id of ['20240107F0000', '20240107D1UNZ']) assert.match(id, DEPOSIT_ID_PATTERN);
  assert.ok(depositId('2024-01-07T10:00:00Z', 'FULL') < depositId('2024-01-07T10:00:01Z', 'FULL'), 'lexical order is chronological');
});

test('an id decodes back to its watermark second and type', () => {
  assert.deepEqual(parseDepositId('20240107D1UNZ'), { watermark: '2024-01-07T23:59:59Z', type: 'DIFF' });
  assert.deepEqual(parseDepositId(depositId('1999-12-31T12:34:56Z', 'FULL')), { watermark: '1999-12-31T12:34:56Z', type: 'FULL' });
  for (const bad of ['20240107X0000', '2024010F0000', '20240230F0000', '20240107F1UO0', 'AAAABXDKZ6WAA']) assert.equal(parseDepositId(bad), null, bad);
});

test('file names follow Spec 2: {tld}_{YYYY-MM-DD}_{type}_S{#}_R{rev}.{ext}', () => {
  assert.equal(depositFileName({ tld: 'example', watermark: '2024-01-07T00:00:00Z', type: 'full', resend: 0, ext: 'xml' }), 'example_2024-01-07_full_S1_R0.xml');
  assert.equal(depositFileName({ tld: 'xn--q9jyb4c', watermark: '2024-01-06T23:30:00-01:00', type: 'diff', resend: 2, seq: 3, ext: 'ryde' }), 'xn--q9jyb4c_2024-01-07_diff_S3_R2.ryde');
  assert.throws(() => depositFileName({ tld: 'Example', watermark: '2024-01-07T00:00:00Z', type: 'full', resend: 0, ext: 'xml' }), (e: unknown) => isStrongroomError(e, 'DEPOSIT_INVALID_ARGUMENT'));
  assert.throws(() => depositFileName({ tld: 'example', watermark: '2024-01-07T00:00:00Z', type: 'full', resend: 65536, ext: 'xml' }), (e: unknown) => isStrongroomError(e, 'DEPOSIT_INVALID_ARGUMENT'));
});
