/**
 * Differential tests of the byte-level tokenizer (xml-scan.ts) against saxes, the oracle: on
 * the official samples, on a document with every construct a deposit may hold, and on
 * hundreds of systematically mutated inputs, both must give the same events (elements,
 * namespaces, attributes, text, CDATA) and the same verdict (well-formed or not); and the
 * tokenizer's events must not depend on where the input is split into chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SaxesParser } from 'saxes';
import { SAMPLES_DIR } from '../testing/paths.js';
import { prng } from '../testing/xml-mutations.js';
import { XmlScanner, xname, type XmlScanError } from './xml-scan.js';

interface Outcome {
  ok: boolean;
  events: string[];
  errors: string[];
}

/** Adjacent text pieces are one event (both parsers may split a run). */
function pushText(events: string[], kind: 'text' | 'cdata', value: string): void {
  const last = events[events.length - 1];
  if (kind === 'text' && last?.startsWith('text ')) events[events.length - 1] = `text ${JSON.stringify(JSON.parse(last.slice(5)) + value)}`;
  else events.push(`${kind} ${JSON.stringify(value)}`);
}

function oracle(bytes: Buffer): Outcome {
  const events: string[] = [];
  const errors: string[] = [];
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, events, errors: ['utf8'] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const parser = new SaxesParser({ xmlns: true, position: true });
  let depth = 0;
  parser.on('error', (err) => void errors.push(err.message));
  parser.on('doctype', () => void errors.push('doctype'));
  parser.on('xmldecl', (d) => void events.push(`decl ${d.version} ${d.encoding ?? '-'} ${d.standalone ?? '-'}`));
  parser.on('opentag', (tag) => {
    depth++;
    const attrs = Object.values(tag.attributes).map((a) => `${a.name}|${a.uri}|${a.local}|${a.value}`);
    events.push(`open ${tag.name} {${tag.uri}}${tag.local} ${tag.isSelfClosing ? '/' : ''} ${JSON.stringify(attrs)}`);
  });
  parser.on('closetag', (tag) => {
    depth--;
    events.push(`close ${tag.name}`);
  });
  parser.on('text', (t) => {
    if (depth > 0) pushText(events, 'text', t);
  });
  parser.on('cdata', (t) => pushText(events, 'cdata', t));
  try {
    parser.write(text).close();
  } catch (err) {
    errors.push(String(err));
  }
  return { ok: errors.length === 0, events, errors };
}

/** Events that said they had no whitespace (and none had it): the flag is exercised. */
let noSpaceEvents = 0;

/** Text events that said an end tag follows (the next event must be that end tag), and ASCII pieces seen. */
let endsElementEvents = 0;
/** Text events with spaces that said they had no tab, line end or reference. */
let plainSpaceEvents = 0;
let expectClose = false;

/**
 * The event's text, after checking `textHasNoSpace` never says so of a text with whitespace, that
 * `textBuffer`/`textStart`/`textBytes` hold the event's raw bytes, `textAscii` that they are ASCII
 * and `textEndsElement` (checked by the next event, which must be the end tag).
 */
function spaceChecked(s: XmlScanner): string {
  assert.equal(expectClose, false, 'textEndsElement: no other event before the end tag');
  const text = s.text();
  if (s.textHasNoSpace) {
    assert.doesNotMatch(text, /[ \t\n\r]/, 'textHasNoSpace');
    noSpaceEvents++;
  }
  const raw = Buffer.from(s.textBuffer.subarray(s.textStart, s.textStart + s.textBytes));
  assert.equal(s.textAscii, raw.every((b) => b < 0x80), 'textAscii');
  if (s.textHasNoSpace) assert.equal(raw.toString('utf8'), text, 'raw bytes of a text without references');
  if (s.textPlainSpaces) {
    assert.doesNotMatch(text, /[\t\n\r]/, 'textPlainSpaces');
    assert.equal(raw.toString('utf8'), text, 'raw bytes of a text without tabs, line ends or references');
    plainSpaceEvents += /[ ]/.test(text) ? 1 : 0;
  }
  if (s.textEndsElement) {
    endsElementEvents++;
    expectClose = true;
  }
  return text;
}

/** Any event but an end tag: a text that said an end tag follows was wrong. */
function notAfterEndingText(): void {
  assert.equal(expectClose, false, 'textEndsElement: the next event is the end tag');
}

/** Scans `bytes` in chunks of `chunk` bytes, or cut at the given offsets. */
function scan(bytes: Buffer, chunk: number | number[] = Infinity): Outcome & { failures: XmlScanError[] } {
  const events: string[] = [];
  const failures: XmlScanError[] = [];
  expectClose = false;
  const scanner = new XmlScanner({
    xmlDecl: (v, e, s) => void events.push(`decl ${v} ${e ?? '-'} ${s ?? '-'}`),
    open(s) {
      notAfterEndingText();
      const attrs: string[] = [];
      for (let i = 0; i < s.attrCount; i++) attrs.push(`${s.attrQName[i]}|${s.attrNs[i]}|${s.attrLocal[i]}|${s.attrValue[i]}`);
      events.push(`open ${s.qname} {${s.ns}}${s.local} ${s.selfClosing ? '/' : ''} ${JSON.stringify(attrs)}`);
      assert.equal(s.xname, xname(s.ns, s.local), 'names are interned');
    },
    close(s) {
      expectClose = false;
      events.push(`close ${s.qname}`);
    },
    text: (s) => pushText(events, 'text', spaceChecked(s)),
    cdata: (s) => {
      assert.equal(s.textEndsElement, false, 'a CDATA event is not followed by "</" (its "]]>" is)');
      pushText(events, 'cdata', spaceChecked(s));
    },
    error: (e) => {
      expectClose = false; // a fatal error may stop the scan before the end tag
      failures.push(e);
    },
  });
  if (Array.isArray(chunk)) {
    let from = 0;
    for (const cut of [...chunk, bytes.length]) {
      scanner.write(bytes.subarray(from, cut));
      from = cut;
    }
  } else for (let i = 0; i < bytes.length; i += chunk) scanner.write(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  scanner.end();
  return { ok: failures.length === 0, events, errors: failures.map((f) => `${f.kind}: ${f.message}`), failures };
}

function same(bytes: Buffer, label: string): ReturnType<typeof scan> {
  const want = oracle(bytes);
  const got = scan(bytes);
  assert.equal(got.ok, want.ok, `${label}: verdict differs (saxes: ${want.errors.slice(0, 2).join('; ') || 'well-formed'}; scanner: ${got.errors.slice(0, 2).join('; ') || 'well-formed'})\n${bytes.toString('latin1').slice(0, 400)}`);
  if (want.ok) assert.deepEqual(got.events, want.events, `${label}: events differ`);
  return got;
}

/** Every construct a deposit may hold (and a few it rarely does), well-formed. */
const EDGE = `\ufeff<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!-- a comment before the root -->
<?pi-before some data?>
<rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" xmlns="urn:default" type="FULL" id='20101017001' rde:x="1">
  <rde:watermark>2010-10-17T00:00:00Z</rde:watermark>
  <rde:contents>
    <name a="&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;" b="tab\there
newline\r\nCR\rend" c="&#9;&#10;&#13;">text with &lt;tags&gt; &amp; refs &#233; &#x10FFFF; and ünïcödé 🎉 and ]] and ] > alone</name>
    <empty/><empty2 ></empty2 ><x:y xmlns:x="urn:x" x:a="1" a="2"/>
    <inner xmlns="">no namespace<deeper xmlns="urn:other"><z/></deeper></inner>
    <![CDATA[ raw <markup> & ]] ] > stuff ]]><![CDATA[]]>
    <mixed>a<!-- c -->b<?p q?>c&#x20;d\r\ne\rf</mixed>
    <xml:lang-test xml:lang="en">x</xml:lang-test>
    <ascii_.-9 é="é" ÿ_:ÿ="1" xmlns:ÿ_="urn:y"/>
    <rde:deletes   ></rde:deletes>
  </rde:contents>
</rde:deposit   >
<!-- after --><?after?>
`;

/** Mutations with a known class of defect, each applied to the edge-case document. */
const TARGETED: Array<[string, (s: string) => string]> = [
  ['bad nesting', (s) => s.replace('</mixed>', '</mixed2>')],
  ['crossed tags', (s) => s.replace('<empty/>', '<e1><e2></e1></e2>')],
  ['unclosed root', (s) => s.replace('</rde:deposit   >', '')],
  ['second root', (s) => `${s}<again/>`],
  ['text after root', (s) => `${s}tail`],
  ['text before root', (s) => s.replace('<!-- a comment', 'x<!-- a comment')],
  ['undefined entity', (s) => s.replace('&amp; refs', '&nbsp; refs')],
  ['entity in attribute', (s) => s.replace('&apos;', '&bogus;')],
  ['bare ampersand', (s) => s.replace('&amp; refs', '& refs')],
  ['unterminated reference', (s) => s.replace('&amp; refs', '&amp refs')],
  ['bad char reference', (s) => s.replace('&#233;', '&#0;')],
  ['surrogate char reference', (s) => s.replace('&#233;', '&#xD800;')],
  ['huge char reference', (s) => s.replace('&#233;', '&#x110000;')],
  ['empty char reference', (s) => s.replace('&#233;', '&#;')],
  ['control char', (s) => s.replace('no namespace', 'no\u0001namespace')],
  ['U+FFFE', (s) => s.replace('no namespace', 'no\ufffenamespace')],
  ['U+FFFF in attribute', (s) => s.replace('x:a="1"', 'x:a="\uffff"')],
  ['NUL in comment', (s) => s.replace('<!-- c -->', '<!-- \u0000 -->')],
  ['double hyphen in comment', (s) => s.replace('<!-- c -->', '<!-- a -- b -->')],
  ['comment ending in hyphen', (s) => s.replace('<!-- c -->', '<!-- c --->')],
  ['duplicate attribute', (s) => s.replace('type="FULL"', 'type="FULL" type="INCR"')],
  ['duplicate expanded attribute', (s) => s.replace('x:a="1"', 'x:a="1" xmlns:x2="urn:x" x2:a="3"')],
  ['duplicate namespace declaration', (s) => s.replace('xmlns:x="urn:x"', 'xmlns:x="urn:x" xmlns:x="urn:x"')],
  ['undeclared element prefix', (s) => s.replace('<empty/>', '<q:empty/>')],
  ['undeclared attribute prefix', (s) => s.replace('<empty/>', '<empty q:a="1"/>')],
  ['xmlns prefix on element', (s) => s.replace('<empty/>', '<xmlns:empty/>')],
  ['xml prefix rebound', (s) => s.replace('<empty/>', '<empty xmlns:xml="urn:x"/>')],
  ['xml namespace bound elsewhere', (s) => s.replace('<empty/>', '<empty xmlns:p="http://www.w3.org/XML/1998/namespace"/>')],
  ['xmlns declared', (s) => s.replace('<empty/>', '<empty xmlns:xmlns="urn:x"/>')],
  ['xmlns namespace bound', (s) => s.replace('<empty/>', '<empty xmlns:p="http://www.w3.org/2000/xmlns/"/>')],
  ['prefix undeclared (1.0)', (s) => s.replace('<empty/>', '<empty xmlns:p=""/>')],
  ['two colons', (s) => s.replace('<empty/>', '<a:b:c xmlns:a="urn:a"/>')],
  ['leading colon', (s) => s.replace('<empty/>', '<:c/>')],
  ['trailing colon', (s) => s.replace('<empty/>', '<c:/>')],
  ['name starting with digit', (s) => s.replace('<empty/>', '<9x/>')],
  ['unquoted attribute', (s) => s.replace('type="FULL"', 'type=FULL')],
  ['attribute without value', (s) => s.replace('type="FULL"', 'type')],
  ['lt in attribute', (s) => s.replace('type="FULL"', 'type="F<L"')],
  ['no space between attributes', (s) => s.replace('type="FULL" id=', 'type="FULL"id=')],
  ['mismatched quotes', (s) => s.replace('type="FULL"', 'type="FULL\'')],
  ['space in end tag name', (s) => s.replace('</mixed>', '</ mixed>')],
  ['CDATA end in text', (s) => s.replace('no namespace', 'no ]]> namespace')],
  ['CDATA outside root', (s) => s.replace('<!-- after -->', '<![CDATA[x]]>')],
  ['unknown bang markup', (s) => s.replace('<empty/>', '<!ELEMENT x ANY>')],
  ['DOCTYPE', (s) => s.replace('<!-- a comment', '<!DOCTYPE rde:deposit>\n<!-- a comment')],
  ['DOCTYPE with entities', (s) => s.replace('<!-- a comment', '<!DOCTYPE d [<!ENTITY a "b"> <!-- ] --> ]>\n<!-- a comment')],
  ['DOCTYPE after root', (s) => s.replace('<!-- after -->', '<!DOCTYPE x>')],
  ['XML declaration not first', (s) => s.replace('\ufeff<?xml', '\ufeff <?xml')],
  ['second XML declaration', (s) => s.replace('<?pi-before', '<?xml version="1.0"?><?pi-before')],
  ['XML declaration without version', (s) => s.replace('version="1.0" ', '')],
  ['XML declaration bad order', (s) => s.replace('encoding="UTF-8" standalone="yes"', 'standalone="yes" encoding="UTF-8"')],
  ['PI target xml', (s) => s.replace('<?p q?>', '<?XmL q?>')],
  ['PI target with colon', (s) => s.replace('<?p q?>', '<?a:b q?>')],
  ['PI without target', (s) => s.replace('<?p q?>', '<? q?>')],
  ['end tag without start', (s) => s.replace('<empty/>', '</empty>')],
  ['stray lt', (s) => s.replace('no namespace', 'no < namespace')],
  ['lt before space', (s) => s.replace('<empty/>', '< empty/>')],
  ['slash without gt', (s) => s.replace('<empty/>', '<empty/ >')],
  ['empty document', () => ''],
  ['only a declaration', () => '<?xml version="1.0"?>'],
  ['only whitespace', () => '  \n '],
];

let edgeBytes: Buffer;
const samples: Array<[string, Buffer]> = [];

test('setup: the samples and the edge-case document are read', async () => {
  for (const name of (await readdir(SAMPLES_DIR)).filter((n) => n.endsWith('.xml')).sort()) samples.push([name, await readFile(join(SAMPLES_DIR, name))]);
  assert.ok(samples.length >= 2);
  edgeBytes = Buffer.from(EDGE, 'utf8');
});

test('the official samples and the edge-case document: same events as saxes, and well-formed', () => {
  for (const [name, bytes] of [...samples, ['edge', edgeBytes] as [string, Buffer]]) {
    const got = same(bytes, name);
    assert.equal(got.ok, true, `${name}: ${got.errors.join('; ')}`);
    assert.ok(got.events.length > 10);
  }
});

test('targeted defects: same verdict as saxes, and each one is an error', () => {
  for (const [label, mutate] of TARGETED) {
    const bytes = Buffer.from(mutate(EDGE), 'utf8');
    const got = same(bytes, label);
    assert.equal(got.ok, false, `${label}: accepted`);
    for (const f of got.failures) assert.ok(f.line >= 1 && f.column >= 1, `${label}: position ${f.line}:${f.column}`);
  }
});

test('DOCTYPE and undefined entities are reported by kind and the scan goes on', () => {
  const lol = Buffer.from('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>\n<d xmlns="urn:d">&lol2;</d>');
  const got = scan(lol);
  assert.deepEqual(
    got.failures.map((f) => [f.kind, f.line, f.column, f.fatal]),
    [
      ['doctype', 2, 1, false],
      ['entity', 3, 18, false],
    ],
  );
});

test('invalid UTF-8 anywhere (overlong, surrogate, truncated, stray continuation) is an error, split or not', () => {
  const base = Buffer.from('<a x="é">ü€😀</a>', 'utf8');
  const bad = [Buffer.from([0xc0, 0xaf]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xe2, 0x82]), Buffer.from([0x80]), Buffer.from([0xff]), Buffer.from([0xf4, 0x90, 0x80, 0x80])];
  let cases = 0;
  for (const b of bad) {
    for (const at of [1, 5, 9, 12, base.length - 4, base.length]) {
      const bytes = Buffer.concat([base.subarray(0, at), b, base.subarray(at)]);
      for (const chunk of [Infinity, 1, 2, 3]) {
        const got = scan(bytes, chunk);
        assert.equal(got.ok, false, `0x${b.toString('hex')} at ${at}, chunks of ${chunk}`);
        assert.equal(oracle(bytes).ok, false);
        cases++;
      }
    }
  }
  assert.equal(cases, 144);
});

test('truncation at every byte of a small deposit: same verdict as saxes', () => {
  const small = samples.find(([n]) => n === 'example-diff.xml')![1];
  for (let cut = 0; cut < small.length; cut += 2) same(small.subarray(0, cut), `truncated at ${cut}`);
});

test('textHasNoSpace: checked on every text and CDATA event of these tests; here, both answers occur', () => {
  const before = noSpaceEvents;
  const got = scan(Buffer.from('<r><a>plain</a><a>two words</a><a>tab\there</a><a>&#32;</a><a>x&amp;y</a><a><![CDATA[cdata]]></a><a><![CDATA[c d]]></a><a>é</a></r>'), 3);
  assert.equal(got.ok, true);
  assert.ok(noSpaceEvents - before >= 4, 'plain, cdata and é pieces had no whitespace');
  let flagged = 0;
  const scanner = new XmlScanner({
    text: (s) => void (flagged += s.textHasNoSpace ? 0 : 1),
    cdata: (s) => void (flagged += s.textHasNoSpace ? 0 : 1),
  });
  scanner.write('<r><a>two words</a><a>&#32;</a><a>x&amp;y</a><a><![CDATA[c d]]></a><a>a\r\nb</a>\n  <b/></r>');
  scanner.end();
  assert.equal(flagged, 6, 'spaces, references, CR and indentation are flagged');
  assert.ok(plainSpaceEvents > 0, 'textPlainSpaces: texts with spaces only occur');
  const plain: boolean[] = [];
  const other = new XmlScanner({ text: (s) => void plain.push(s.textPlainSpaces), cdata: (s) => void plain.push(s.textPlainSpaces) });
  other.write('<r><a>two words</a><a>tab\there</a><a>line\nend</a><a>a\r</a><a>&#32;</a><a><![CDATA[c d]]></a><a><![CDATA[c\td]]></a>\n  <b/></r>');
  other.end();
  assert.deepEqual(plain, [true, false, false, false, false, true, false, false]);
});

test('textEndsElement and textAscii: checked on every text event of these tests; here, both answers occur', () => {
  const before = endsElementEvents;
  const doc = Buffer.from('<r><a>plain</a><a>é</a><a>x<!-- c -->y</a><a>ab<b/>cd</a><a>&amp;</a><a><![CDATA[c]]></a></r>');
  for (let at = 1; at < doc.length; at++) assert.equal(scan(doc, [at]).ok, true);
  assert.ok(endsElementEvents - before > 4 * doc.length, 'most splits leave "</" in the buffer after a value');
  const seen: string[] = [];
  const scanner = new XmlScanner({ text: (s) => void seen.push(`${s.text()}:${s.textEndsElement ? 'end' : '-'}:${s.textAscii ? 'ascii' : '-'}`) });
  scanner.write(doc);
  scanner.end();
  assert.deepEqual(seen, ['plain:end:ascii', 'é:end:-', 'x:-:ascii', 'y:end:ascii', 'ab:-:ascii', 'cd:end:ascii', '&:end:ascii']);
});

test('split at every chunk boundary: the same events as in one piece', () => {
  const whole = scan(edgeBytes);
  for (let at = 1; at < edgeBytes.length; at++) {
    const split = scan(edgeBytes, [at]);
    assert.deepEqual([split.ok, split.events], [true, whole.events], `split at ${at}`);
  }
  for (const size of [1, 2, 3, 5, 7, 64]) {
    const got = scan(edgeBytes, size);
    assert.deepEqual(got.events, whole.events, `chunks of ${size}`);
    assert.equal(got.ok, true);
  }
});

test('hundreds of random mutations (insert, delete, replace, duplicate): same verdict and events as saxes', () => {
  const random = prng(8909);
  const doc = EDGE.replace('\ufeff', '');
  const alphabet = ['<', '>', '&', ';', '"', "'", '/', ':', '=', ']', '!', '?', '-', ' ', 'x', '#', '\u0000', '\u0007', '\ufffe', 'é', 'xmlns', 'xmlns:p="u"', '<!--', '-->', ']]>', '<![CDATA[', '&amp;', '&#', '</', '/>', 'p:'];
  let invalid = 0;
  const runs = 600;
  for (let n = 0; n < runs; n++) {
    let s = doc;
    const edits = 1 + Math.floor(random() * 2);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(random() * s.length);
      const op = Math.floor(random() * 4);
      const piece = alphabet[Math.floor(random() * alphabet.length)]!;
      if (op === 0) s = s.slice(0, at) + piece + s.slice(at);
      else if (op === 1) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(random() * 8));
      else if (op === 2) s = s.slice(0, at) + piece + s.slice(at + piece.length);
      else {
        const len = 1 + Math.floor(random() * 30);
        s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at);
      }
    }
    const bytes = Buffer.from(s, 'utf8');
    const got = same(bytes, `mutation ${n}`);
    if (!got.ok) invalid++;
    // Chunked the same way as a stream of tiny pieces: same outcome.
    const chunked = scan(bytes, 1 + (n % 13));
    assert.equal(chunked.ok, got.ok, `mutation ${n}, chunked: verdict`);
    if (got.ok) assert.deepEqual(chunked.events, got.events, `mutation ${n}, chunked: events`);
  }
  assert.ok(invalid > runs / 3 && invalid < runs, `${invalid} of ${runs} mutations are not well-formed`);
});
