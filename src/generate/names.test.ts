import { test } from 'node:test';
import assert from 'node:assert/strict';
import { domainToUnicode } from 'node:url';
import { edgeNames, longestAsciiLabel, longestHostName, longestIdnLabel, MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from './edge-cases.js';
import { isWordConcatenation, LabelMaker, toALabel } from './names.js';
import { MAX_DOMAINS, Plan } from './plan.js';
import { Rng, seedKey } from './random.js';
import { nndns } from './tld-objects.js';
import { ASCII_WORDS, IDN_WORDS, NAME_NUMBERS } from './vocabulary.js';

function prefixFree(words: readonly string[]): string[] {
  const clashes: string[] = [];
  for (const a of words) for (const b of words) if (a !== b && b.startsWith(a)) clashes.push(`${a} < ${b}`);
  return clashes;
}

/** Could a regular label of any style (names.ts) equal `label`? */
function couldBeRegular(label: string): boolean {
  if (isWordConcatenation(label, ASCII_WORDS)) return true;
  const parts = label.split('-');
  if (parts.length >= 2 && parts.every((part) => ASCII_WORDS.includes(part))) return true;
  return NAME_NUMBERS.some((suffix) => label.endsWith(suffix) && isWordConcatenation(label.slice(0, -suffix.length), ASCII_WORDS));
}

test('word lists satisfy the constraints the name generator relies on', () => {
  assert.equal(new Set(ASCII_WORDS).size, ASCII_WORDS.length);
  for (const word of ASCII_WORDS) assert.match(word, /^[a-z]{3,9}$/, word);
  assert.deepEqual(prefixFree(ASCII_WORDS), []);
  assert.ok(!ASCII_WORDS.some((w) => w.startsWith('xn')));
  for (const [table, words] of Object.entries(IDN_WORDS)) {
    assert.equal(new Set(words).size, words.length, table);
    assert.deepEqual(prefixFree(words), [], table);
    for (const word of words) {
      assert.match(word, /[^\x00-\x7f]/, `${table} ${word}`);
      if (table === 'ja') assert.match(word, /[\u3040-\u30ff]/, `kana in ${word}`);
      if (table === 'zh-Hans') assert.match(word, /^\p{Script=Han}+$/u, word);
      assert.equal(domainToUnicode(toALabel(word)), word);
    }
  }
});

test('labels are unique, valid and at most 63 octets', () => {
  const count = 250_000;
  const maker = new LabelMaker(count, seedKey('labels'));
  const seen = new Set<string>();
  for (let r = 0; r < count; r++) {
    const { label, uLabel, idnTable } = maker.label(r);
    assert.ok(!seen.has(label), `duplicate label ${label} at ${r}`);
    seen.add(label);
    if (r % 50 === 0) {
      assert.match(label, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, label);
      assert.equal(uLabel === undefined, idnTable === undefined);
      if (uLabel !== undefined) assert.equal(domainToUnicode(label), uLabel);
    }
  }
  // IDN about 5%, hyphenated about 10%, with digits about 15%.
  const share = (predicate: (l: string) => boolean) => [...seen].filter(predicate).length / count;
  assert.ok(Math.abs(share((l) => l.startsWith('xn--')) - 0.05) < 0.002);
  assert.ok(Math.abs(share((l) => !l.startsWith('xn--') && l.includes('-')) - 0.1) < 0.002);
  assert.ok(Math.abs(share((l) => /\d/.test(l) && !l.startsWith('xn--')) - 0.15) < 0.002);
  // At the largest supported N labels have the most words: still within 63 octets.
  const large = new LabelMaker(MAX_DOMAINS, seedKey('labels'));
  const rng = Rng.forObject(seedKey('sample'), 1, 1);
  for (let n = 0; n < 50_000; n++) {
    const { label } = large.label(rng.int(MAX_DOMAINS));
    assert.ok(label.length <= MAX_LABEL_OCTETS, label);
  }
});

test('edge-case and NNDN names can never be produced for regular domains', () => {
  const plan = new Plan({ tld: 'example', domains: 100, seed: 's', asOf: '2026-01-01T00:00:00Z' });
  const names = edgeNames(plan);
  const ascii = ['nic', 'strasse', 'pending-transfer', 'transferred', '11-statuses', '12-ds-records', 'key-data-only', '0-contacts', longestAsciiLabel(), 'www', 'whois', 'rdds', 'de', 'fr', 'jp', 'us'];
  for (const label of ascii) assert.ok(!couldBeRegular(label), label);
  // IDN edge labels use characters no IDN word list contains (图 書 館 圖 东 京 例) or digits.
  for (const { uName } of [names.library, names.libraryTraditional, names.libraryMixed, names.sakura, names.longestIdn]) {
    const label = uName.split('.')[0] as string;
    assert.ok(!Object.values(IDN_WORDS).some((words) => isWordConcatenation(label, words)), label);
  }
  const nndnNames = nndns(plan).map((n) => n.aName);
  assert.equal(new Set(nndnNames).size, nndnNames.length);
});

test('the longest names are exactly at the limits', () => {
  assert.equal(longestAsciiLabel().length, MAX_LABEL_OCTETS);
  const idn = longestIdnLabel();
  assert.equal(idn.aLabel.length, MAX_LABEL_OCTETS);
  assert.equal(domainToUnicode(idn.aLabel), idn.uLabel);
  for (const tld of ['x', 'example', 'photography', 'a'.repeat(63)]) {
    const host = longestHostName(`${longestAsciiLabel()}.${tld}`);
    assert.equal(host.length, MAX_NAME_OCTETS, tld);
    for (const label of host.split('.')) assert.match(label, /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, label);
  }
});
