import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES_DIR } from '../../testing/paths.js';
import { checkStructure } from './checker.js';
import { checkStructureInWorker } from './worker.js';

const sample = readFileSync(join(SAMPLES_DIR, 'example-full.xml'), 'utf8');

async function* chunked(text: string, size: number, read: { bytes: number }): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
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
