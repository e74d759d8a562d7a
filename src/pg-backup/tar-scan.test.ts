import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import { tempDir } from '../ryde/testing/fixtures.js';
import { requireTool } from '../testing/tools.js';
import { TarScanner, normalizeEntryName, type TarEvent } from './tar-scan.js';

function scan(tar: Buffer, chunk: number): Array<{ name: string; type: string; data: string }> {
  const scanner = new TarScanner('test.tar');
  const out: Array<{ name: string; type: string; data: string }> = [];
  const events: TarEvent[] = [];
  for (let offset = 0; offset < tar.length; offset += chunk) events.push(...scanner.push(tar.subarray(offset, offset + chunk)));
  scanner.finish();
  for (const event of events) {
    if (event.kind === 'entry') out.push({ name: normalizeEntryName(event.header.name), type: event.header.type, data: '' });
    else if (event.kind === 'data') out[out.length - 1]!.data += event.data.toString('utf8');
  }
  return out;
}

test('reads GNU and pax tar files (long names, directories) in any chunking; refuses damage', (t) => {
  if (!requireTool(t, 'tar')) return;
  const dir = tempDir(t, 'sr-pg-tar-');
  const long = `${'d'.repeat(80)}/${'f'.repeat(120)}`;
  mkdirSync(join(dir, 'src', 'base', '1'), { recursive: true });
  mkdirSync(join(dir, 'src', 'd'.repeat(80)));
  writeFileSync(join(dir, 'src', 'base', '1', '1259'), 'x'.repeat(1000));
  writeFileSync(join(dir, 'src', long), 'long name');
  writeFileSync(join(dir, 'src', 'empty'), '');
  for (const format of ['gnu', 'pax']) {
    const result = spawnSync('tar', ['--format', format, '--sort=name', '-C', join(dir, 'src'), '-cf', '-', '.'], { maxBuffer: 1 << 24 });
    assert.equal(result.status, 0, result.stderr.toString());
    const tar = result.stdout;
    for (const chunk of [1, 511, 512, 4096, tar.length]) {
      const entries = scan(tar, chunk).filter((e) => e.name !== '' && e.name !== '.');
      assert.deepEqual(
        entries.map((e) => [e.name, e.type, e.data.length]),
        [
          ['base', '5', 0],
          ['base/1', '5', 0],
          ['base/1/1259', '0', 1000],
          ['d'.repeat(80), '5', 0],
          [long, '0', 9],
          ['empty', '0', 0],
        ],
        `${format}, chunks of ${chunk}`,
      );
    }
    const truncated = tar.subarray(0, 2048);
    assert.throws(() => scan(truncated, 512), (err) => isStrongroomError(err, 'PG_TAR_INVALID'));
    const damaged = Buffer.from(tar);
    damaged[5] = damaged[5]! ^ 1;
    assert.throws(() => scan(damaged, 512), (err) => isStrongroomError(err, 'PG_TAR_INVALID') && /checksum/.test(err.message));
    const trailing = Buffer.concat([tar, Buffer.from('garbage')]);
    assert.throws(() => scan(trailing, 512), (err) => isStrongroomError(err, 'PG_TAR_INVALID'));
  }
});
