import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyField, parseCopyLine } from './copy-text.js';

/** The escaping rule itself (PostgreSQL COPY text format), by regular expression. */
const reference = (value: string) => value.replace(/[\\\n\r\t]/g, (ch) => (ch === '\\' ? '\\\\' : ch === '\n' ? '\\n' : ch === '\r' ? '\\r' : '\\t'));

test('copyField escapes backslash, LF, CR and TAB in short and long values, and nothing else', () => {
  const alphabet = ['a', 'Z', '0', ' ', '\\', '\n', '\r', '\t', 'é', '洋', '\u{1F600}', '"', '{', ',', 'N', '\v', '\f'];
  let seed = 7;
  const next = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  for (let round = 0; round < 3000; round++) {
    const length = [0, 1, 2, 10, 63, 64, 65, 200][next(8)]!;
    let value = '';
    for (let i = 0; i < length; i++) value += alphabet[next(next(4) === 0 ? alphabet.length : 4)]!;
    const field = copyField(value);
    assert.equal(field, reference(value), JSON.stringify(value));
    assert.deepEqual(parseCopyLine(field), [value], 'decodes back');
  }
  assert.equal(copyField(null), '\\N');
  assert.equal(copyField(undefined), '\\N');
  assert.equal(copyField(true), 't');
  assert.equal(copyField(12), '12');
});
