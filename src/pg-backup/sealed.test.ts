/**
 * Sealed objects and the WAL helpers on a directory transport, in process: round trip, gpg
 * opens what we seal, tampering / renaming / a missing signature are refused before any
 * decryption, wal-push is idempotent for the same file and refuses a different one, wal-fetch
 * writes atomically, and the remote-transport path leaves no spool behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { spawnSync } from 'node:child_process';
import { isStrongroomError } from '../common/errors.js';
import { profile } from '../ryde/profiles.js';
import { gpgHome, tempDir, testKeys } from '../ryde/testing/fixtures.js';
import { requireTool } from '../testing/tools.js';
import { DirectoryTransport } from '../transports/directory.js';
import type { Transport } from '../transports/transport.js';
import { BackupArchive } from './archive.js';
import { openSealed, putSealed, putSigned, readSigned } from './sealed.js';
import { walFetch, walPush } from './wal-archive.js';

async function keysFor() {
  const keys = await testKeys('rfc4880', 'ed25519');
  return {
    seal: { signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880') },
    open: { decryptionKeys: [keys.decryption], verificationKeys: keys.verification },
    keys,
  };
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function code(err: unknown): string {
  return isStrongroomError(err) ? err.code : String(err);
}

/** Some WAL-like bytes: compressible with random runs. */
function walBytes(size: number, seed: string): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0; offset < size; offset += 4096) createHash('sha256').update(`${seed}${offset}`).digest().copy(out, offset);
  return out;
}

test('sealed objects: round trip, gpg opens them, tampering and renaming are refused', async (t) => {
  if (!requireTool(t, 'zstd')) return;
  const dir = tempDir(t, 'sr-pg-sealed-');
  const transport = new DirectoryTransport(join(dir, 'dest'));
  const { seal, open, keys } = await keysFor();
  const plain = Buffer.concat([walBytes(3 << 20, 'a'), Buffer.from('registry row text')]);
  const stored = await putSealed(transport, 'c/base/1/base.tar.pgp', 'base/1/base.tar.pgp', Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]), seal, { compressionLevel: 3 });
  assert.equal(stored.plaintextSize, plain.length);
  assert.equal(stored.plaintextSha256, createHash('sha256').update(plain).digest('hex'));
  const onDisk = await readFile(join(dir, 'dest', 'c', 'base', '1', 'base.tar.pgp'));
  assert.equal(onDisk.length, stored.size);
  assert.equal(onDisk.includes(Buffer.from('registry row text')), false);
  assert.deepEqual(await collect(await openSealed(transport, 'c/base/1/base.tar.pgp', 'base/1/base.tar.pgp', open)), plain);

  await t.test('gpg verifies and decrypts; zstd decompresses to the plaintext', (t) => {
    if (!requireTool(t, 'gpg')) return;
    const gpg = gpgHome(t, dir, [keys.registry.publicArmored, keys.agent.secretArmored]);
    const object = join(dir, 'dest', 'c', 'base', '1', 'base.tar.pgp');
    gpg.ok(['--verify', `${object}.sig`, object]);
    const compressed = gpg.ok(['--decrypt', object]);
    const result = spawnSync('zstd', ['-d', '-c'], { input: compressed, maxBuffer: 1 << 28 });
    assert.equal(result.status, 0);
    assert.deepEqual(result.stdout, plain);
  });

  await t.test('a flipped byte is refused before decryption', async () => {
    const object = join(dir, 'dest', 'c', 'base', '1', 'base.tar.pgp');
    await copyFile(object, `${object}.orig`);
    const data = Buffer.from(onDisk);
    data[200] = data[200]! ^ 0x40;
    await writeFile(object, data);
    await assert.rejects(openSealed(transport, 'c/base/1/base.tar.pgp', 'base/1/base.tar.pgp', open), (err) => code(err) === 'RYDE_SIGNATURE_BAD');
    await copyFile(`${object}.orig`, object);
  });

  await t.test('an object moved to another name is refused (the signature binds its name)', async () => {
    const from = join(dir, 'dest', 'c', 'base', '1', 'base.tar.pgp');
    await transport.put('c/base/2/base.tar.pgp', { open: () => Readable.from([onDisk]) });
    await copyFile(`${from}.sig`, join(dir, 'dest', 'c', 'base', '2', 'base.tar.pgp.sig'));
    await assert.rejects(openSealed(transport, 'c/base/2/base.tar.pgp', 'base/2/base.tar.pgp', open), (err) => code(err) === 'PG_BACKUP_INTEGRITY');
  });

  await t.test('an object without its signature is incomplete', async () => {
    await transport.put('c/base/3/base.tar.pgp', { open: () => Readable.from([onDisk]) });
    await assert.rejects(openSealed(transport, 'c/base/3/base.tar.pgp', 'base/3/base.tar.pgp', open), (err) => code(err) === 'PG_OBJECT_INCOMPLETE');
  });

  await t.test('signed clear-text objects: read back, refused when changed', async () => {
    const manifest = Buffer.from('{"files":[]}\n');
    await putSigned(transport, 'c/base/1/manifest.json', 'base/1/manifest.json', manifest, seal.signingKey);
    assert.deepEqual((await readSigned(transport, 'c/base/1/manifest.json', 'base/1/manifest.json', open.verificationKeys)).data, manifest);
    await writeFile(join(dir, 'dest', 'c', 'base', '1', 'manifest.json'), '{"files":[1]}\n');
    await assert.rejects(readSigned(transport, 'c/base/1/manifest.json', 'base/1/manifest.json', open.verificationKeys), (err) => code(err) === 'RYDE_SIGNATURE_BAD');
  });
});

test('wal-push acknowledges once stored, is idempotent, refuses a different file; wal-fetch restores it', async (t) => {
  if (!requireTool(t, 'zstd')) return;
  const dir = tempDir(t, 'sr-pg-wal-');
  const archive = new BackupArchive(new DirectoryTransport(join(dir, 'dest')), 'c');
  const { seal, open } = await keysFor();
  const segment = '000000010000000000000003';
  const path = join(dir, segment);
  const data = walBytes(1 << 20, 'seg3');
  await writeFile(path, data);
  const first = await walPush(archive, path, segment, seal, { compressionLevel: 3 });
  assert.equal(first.status, 'archived');
  assert.ok(first.size < data.length);
  const again = await walPush(archive, path, segment, seal, { compressionLevel: 3 });
  assert.equal(again.status, 'already-archived');
  await writeFile(path, walBytes(1 << 20, 'other'));
  await assert.rejects(walPush(archive, path, segment, seal, { compressionLevel: 3 }), (err) => code(err) === 'PG_WAL_CONFLICT');

  const history = join(dir, '00000002.history');
  await writeFile(history, '1\t0/3000000\tbefore 2026-11-21 20:00:00+00\n');
  await walPush(archive, history, undefined, seal, { compressionLevel: 3 });

  const target = join(dir, 'restored', 'RECOVERYXLOG');
  await (await import('node:fs/promises')).mkdir(join(dir, 'restored'));
  const fetched = await walFetch(archive, segment, target, open);
  assert.equal(fetched.size, data.length);
  assert.deepEqual(await readFile(target), data);
  await walFetch(archive, '00000002.history', join(dir, 'restored', 'h'), open);
  assert.match(await readFile(join(dir, 'restored', 'h'), 'utf8'), /^1\t0\/3000000/);
  await assert.rejects(walFetch(archive, '000000010000000000000004', join(dir, 'restored', 'x'), open), (err) => code(err) === 'PG_WAL_NOT_FOUND');
  await assert.rejects(walPush(archive, path, 'not-a-wal-name', seal, { compressionLevel: 3 }), (err) => code(err) === 'PG_WAL_NAME_INVALID');
  assert.deepEqual((await readdir(join(dir, 'restored'))).sort(), ['RECOVERYXLOG', 'h']);
});

test('remote transports get the ciphertext from a spool that is removed afterwards', async (t) => {
  if (!requireTool(t, 'zstd')) return;
  const dir = tempDir(t, 'sr-pg-spool-');
  const inner = new DirectoryTransport(join(dir, 'dest'));
  const bodies: Array<{ path?: string; size?: number; sha256?: string }> = [];
  // A transport that is not a directory (as SFTP or S3 are), delegating the storage.
  const remote: Transport = {
    kind: 'remote-test',
    description: 'remote-test',
    put: (name, body, options) => {
      bodies.push({ ...(body.path ? { path: body.path } : {}), ...(body.size !== undefined ? { size: body.size } : {}), ...(body.sha256 ? { sha256: body.sha256 } : {}) });
      return inner.put(name, body, options);
    },
    get: (name) => inner.get(name),
    stat: (name) => inner.stat(name),
    list: (prefix) => inner.list(prefix),
    remove: (name) => inner.remove(name),
    close: () => inner.close(),
  };
  const { seal, open } = await keysFor();
  const spoolDir = join(dir, 'spool');
  await (await import('node:fs/promises')).mkdir(spoolDir);
  const plain = randomBytes(100_000);
  await putSealed(remote, 'c/x.pgp', 'x.pgp', Readable.from([plain]), seal, { compressionLevel: 1, spoolDir });
  assert.ok(bodies[0]!.path?.startsWith(spoolDir));
  assert.equal(typeof bodies[0]!.sha256, 'string');
  assert.deepEqual(await readdir(spoolDir), []);
  assert.deepEqual(await collect(await openSealed(remote, 'c/x.pgp', 'x.pgp', open)), plain);
  void tmpdir;
});
