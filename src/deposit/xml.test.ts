import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SaxesParser } from 'saxes';
import { esc, XmlCharacterError } from './xml.js';

/** What a conforming XML parser returns for `value` written through esc(), as text and as attribute. */
function roundTrip(value: string): { text: string; attr: string } {
  const parser = new SaxesParser();
  let text = '';
  let attr = '';
  parser.on('text', (t) => (text += t));
  parser.on('opentag', (tag) => (attr = String(tag.attributes.a)));
  parser.on('error', (err) => {
    throw err;
  });
  parser.write(`<x a="${esc(value)}">${esc(value)}</x>`).close();
  return { text, attr };
}

test('escaped values come back from an XML parser exactly, as text and as attribute', () => {
  const values = ['plain', 'a & b < c > d "e" \'f\'', 'tab\there', 'line\nfeed', 'carriage\rreturn\r\n', '  spaces  ', 'Genève 東京 😀', ']]>', '&amp;'];
  for (const value of values) assert.deepEqual(roundTrip(value), { text: value, attr: value }, JSON.stringify(value));
});

test('the fast path returns the same string object when nothing needs escaping', () => {
  const value = 'ns1.example.example';
  assert.equal(esc(value), value);
  assert.equal(esc('a&b'), 'a&amp;b');
  assert.equal(esc('x"y'), 'x&quot;y');
});

test('characters XML 1.0 cannot carry are refused, naming the code point', () => {
  for (const [value, code] of [
    ['nul\u0000', 0x0],
    ['bell\u0007', 0x7],
    ['vt\u000B', 0xb],
    ['esc\u001B', 0x1b],
    ['\uFFFE', 0xfffe],
    ['\uFFFF', 0xffff],
    ['lone \uD83D high', 0xd83d],
    ['lone \uDE00 low', 0xde00],
    ['reversed \uDE00\uD83D', 0xde00],
  ] as Array<[string, number]>) {
    assert.throws(
      () => esc(value),
      (err: unknown) => err instanceof XmlCharacterError && err.codePoint === code && /XML 1\.0 cannot represent/.test(err.message),
      JSON.stringify(value),
    );
  }
  assert.equal(esc('pair \uD83D\uDE00 ok'), 'pair \uD83D\uDE00 ok');
});
