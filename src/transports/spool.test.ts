import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, it } from 'node:test';
import { sha256 } from './contract-suite.js';
import { spoolEncrypted } from './spool.js';

let dir: string | undefined;
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('spools encrypted (no plaintext on disk, 0600), reads any range back exactly, and removes the file on close', async () => {
  dir = await mkdtemp(join(tmpdir(), 'sr-spool-'));
  // Recognisable plaintext: a repeated marker would show through any non-encryption.
  const marker = Buffer.from('REGISTRANT-PERSONAL-DATA;');
  const data = Buffer.concat([Buffer.concat(Array.from({ length: 4000 }, () => marker)), randomBytes(70_001)]);
  const source = await spoolEncrypted(Readable.from([data.subarray(0, 12345), data.subarray(12345)]), dir);
  const [file] = await readdir(dir);
  assert.ok(file);
  const onDisk = await readFile(join(dir, file));
  assert.equal(onDisk.length, data.length);
  assert.equal(onDisk.indexOf(marker), -1, 'no plaintext on disk');
  assert.equal((await stat(join(dir, file))).mode & 0o777, 0o600);
  assert.equal(source.size, data.length);
  assert.equal(source.sha256, sha256(data));
  for (const [position, length] of [[0, 16], [1, 31], [15, 17], [4095, 40_000], [data.length - 7, 100], [65_537, 1]] as const) {
    assert.deepEqual(await source.read(position, length), data.subarray(position, position + length), `range ${position}+${length}`);
  }
  await source.close();
  assert.deepEqual(await readdir(dir), []);
});
