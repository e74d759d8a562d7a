import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES_DIR } from '../../testing/paths.js';
import { checkStructure } from './checker.js';
import { checkStructureInWorker } from './worker.js';
import { WellFormedScan } from '../verify/xml.js';

const sample = readFileSync(join(SAMPLES_DIR, 'example-full.xml'), 'utf8');

async function* chunked(text: string, size: number, read: { bytes: number }, encoding: BufferEncoding = 'utf8'): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, encoding);
  for (let offset = 0; offset < bytes.length; offset += size) {
    read.bytes += Math.min(size, bytes.length - offset);
    yield bytes.subarray(offset, offset + size);
  }
}

test('the structure check on a worker thread finds exactly what the inline check finds, and reads its input to the end', async () => {
  const broken = sample.replace('<rdeDom:status s="ok"/>', '<rdeDom:status s="okay"/>').replace('<rdeHost:clID>RegistrarX</rdeHost:clID>', '').replace('<rdeContact:email>jdoe@example.test</rdeContact:email>', '<rdeContact:email>jdoe@example.test</rdeContact:email><rdeContact:email>x@example.test</rdeContact:email>');
  for (const [label, xml] of [['valid', sample], ['broken', broken], ['not well-formed', sample.replace('</rde:contents>', '</rde:content>')], ['empty', '']] as const) {
    const read = { bytes: 0 };
    const inline = await checkStructure(chunked(xml, 97, { bytes: 0 }), { source: 'x.xml' });
    const threaded = await checkStructureInWorker(chunked(xml, 97, read), { source: 'x.xml' });
    assert.deepEqual(threaded, inline, label);
    assert.equal(read.bytes, Buffer.byteLength(xml), `${label}: the input is read to its end`);
  }
  assert.ok((await checkStructureInWorker(chunked(broken, 4096, { bytes: 0 }))).errors >= 3);
});

test('with the well-formedness scan on the same worker (one scanner for both), each result is what its own scanner finds', async () => {
  const entities = Array.from({ length: 30 }, (_, n) => `&undefined${n};`).join(' ');
  const cases: Array<[string, string | Buffer]> = [
    ['valid', sample],
    ['schema errors only', sample.replace('<rdeDom:status s="ok"/>', '<rdeDom:status s="okay"/>')],
    ['not well-formed', sample.replace('</rde:contents>', '</rde:content>')],
    ['doctype', sample.replace('<rde:deposit', '<!DOCTYPE rde:deposit [<!ENTITY a "aaaa">]>\n<rde:deposit')],
    // More recoverable errors than the structure check reports before it gives up: the scan keeps its first.
    ['many undefined entities', sample.replace('<rdeContact:email>jdoe@example.test</rdeContact:email>', `<rdeContact:email>${entities}</rdeContact:email>`)],
    ['wrong root', sample.replace(/rde:deposit/g, 'rde:depositx')],
    ['not UTF-8', Buffer.concat([Buffer.from(sample.slice(0, 500)), Buffer.from([0xff, 0xfe]), Buffer.from(sample.slice(500))])],
    ['empty', ''],
  ];
  for (const [label, xml] of cases) {
    const bytes = Buffer.from(xml);
    for (const size of [7, 97, 65536]) {
      const read = { bytes: 0 };
      const inline = await checkStructure(chunked(bytes.toString('latin1'), size, { bytes: 0 }, 'latin1'), { source: 'x.xml' });
      const alone = new WellFormedScan('x.xml');
      for (let offset = 0; offset < bytes.length; offset += size) alone.write(bytes.subarray(offset, offset + size));
      const expected = alone.end();
      const { scanned, ...threaded } = await checkStructureInWorker(chunked(bytes.toString('latin1'), size, read, 'latin1'), { source: 'x.xml' }, undefined, { where: 'x.xml' });
      assert.deepEqual(threaded, inline, `${label}, chunks of ${size}: structure`);
      assert.deepEqual(scanned, expected, `${label}, chunks of ${size}: well-formedness scan`);
      assert.equal(read.bytes, bytes.length, `${label}: the input is read to its end`);
      assert.equal(expected.summary !== undefined, label === 'valid' || label === 'schema errors only', `${label}: ${JSON.stringify(expected.finding)}`);
      if (label === 'many undefined entities') assert.ok(inline.findings.filter((f) => f.code === 'RDE_XML_PARSE_ERROR').length >= 20, 'the structure check gave up');
    }
  }
});
