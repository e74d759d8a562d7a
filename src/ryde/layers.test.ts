/**
 * Round trips per RyDE layer (writer → reader → equal), each layer also read or written by an
 * independent implementation: GNU tar for tar, node:zlib for DEFLATE, openpgp.js for the
 * OpenPGP packets and signatures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import * as openpgp from 'openpgp';
import { StrongroomError, isStrongroomError } from '../common/errors.js';
import { requireTool } from '../testing/tools.js';
import { armor, dearmor } from './armor.js';
import { deflateParallel, openCompressor, openDecompressor } from './compress.js';
import { openDecryptor, openEncryptor } from './encrypt.js';
import { openLiteralReader, openLiteralWriter } from './literal.js';
import { decodeMpi, encodeMpi } from './packets.js';
import { profile, type ProfileName } from './profiles.js';
import { PART_NOTATION, finishSignature, parseSignature, startSignatureHash, verificationHash, verifySignature } from './signature.js';
import { openEncryptedSpool } from './spool.js';
import { openTarReader, openTarWriter, tarSize, type TarEntry } from './tar.js';
import { depositXml, tempDir, testKeys } from './testing/fixtures.js';

function flip(buffer: Buffer, index: number, mask: number): void {
  buffer[index] = buffer[index]! ^ mask;
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function* pieces(data: Buffer, size = 7919): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

const MTIME = new Date('2024-01-07T00:00:00Z');

async function untar(archive: Buffer): Promise<{ entry?: TarEntry; data: Buffer }> {
  let entry: TarEntry | undefined;
  const data = await collect(openTarReader({ where: 'test', onEntry: (found) => void (entry = found) })(pieces(archive)));
  return { ...(entry ? { entry } : {}), data };
}

test('tar: one ustar entry round-trips, has the announced size, and GNU tar extracts it', async (t) => {
  const data = depositXml(100_003);
  const archive = await collect(openTarWriter({ name: 'example_2024-01-07_full_S1_R0.xml', size: data.length, mtime: MTIME })(pieces(data)));
  assert.equal(archive.length, tarSize(data.length));
  const back = await untar(archive);
  assert.deepEqual(back.entry, { name: 'example_2024-01-07_full_S1_R0.xml', size: data.length, mtime: MTIME });
  assert.ok(back.data.equals(data));
  if (!requireTool(t, 'tar')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.tar'), archive);
  const listing = spawnSync('tar', ['-tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  assert.match(listing.stdout, /^-rw-r--r-- 0\/0 +100003 2024-01-07 00:00 example_2024-01-07_full_S1_R0\.xml$/m);
  assert.equal(spawnSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]).status, 0);
  assert.ok(readFileSync(join(dir, 'example_2024-01-07_full_S1_R0.xml')).equals(data));
});

test('tar: the writer refuses a source whose length differs from the announced size', async () => {
  for (const actual of [99, 101]) {
    await assert.rejects(collect(openTarWriter({ name: 'a.xml', size: 100, mtime: MTIME })(pieces(Buffer.alloc(actual)))), (err) => isStrongroomError(err, 'RYDE_SIZE_MISMATCH'));
  }
});

test('tar: sizes beyond ustar get a pax size record that GNU tar reads', async (t) => {
  const size = 9 * 1024 ** 3; // 9 GiB: more than 11 octal digits hold
  const writer = openTarWriter({ name: 'big.xml', size, mtime: MTIME })((async function* () {})());
  const headers: Buffer[] = [];
  for (let index = 0; index < 3; index++) headers.push((await writer.next()).value as Buffer);
  await writer.return(undefined);
  const head = Buffer.concat(headers);
  assert.equal(head.length, 1536);
  assert.match(head.subarray(512, 1024).toString('latin1'), /^\d+ size=9663676416\n/);
  assert.equal(tarSize(size), 1024 + 512 + size + 1024);
  if (!requireTool(t, 'tar')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'big.tar'), head);
  const listing = spawnSync('tar', ['-tvf', join(dir, 'big.tar')], { encoding: 'utf8' });
  assert.match(listing.stdout, /9663676416 .* big\.xml/);
});

test('tar: the reader refuses links, directories, paths, second entries and a missing end marker', async (t) => {
  if (!requireTool(t, 'tar')) return;
  const dir = tempDir(t);
  writeFileSync(join(dir, 'x.xml'), 'data');
  const make = (args: string[]): Buffer => {
    const result = spawnSync('tar', ['-cf', '-', '-C', dir, ...args]);
    assert.equal(result.status, 0, result.stderr.toString());
    return result.stdout;
  };
  spawnSync('ln', ['-s', 'x.xml', join(dir, 'link.xml')]);
  spawnSync('mkdir', [join(dir, 'sub')]);
  writeFileSync(join(dir, 'sub', 'y.xml'), 'data');
  const cases: Array<[string, Buffer, string]> = [
    ['symlink', make(['link.xml']), 'RYDE_TAR_INVALID'],
    ['directory', make(['sub']), 'RYDE_TAR_INVALID'],
    ['path with a directory', make(['sub/y.xml']), 'RYDE_TAR_INVALID'],
    ['two entries', make(['x.xml', 'link.xml']), 'RYDE_TAR_INVALID'],
    ['absolute path', make(['--transform', 's,^,/etc/,', 'x.xml']), 'RYDE_TAR_INVALID'],
    ['parent path', make(['--transform', 's,^,../,', 'x.xml']), 'RYDE_TAR_INVALID'],
    ['no end marker', make(['x.xml']).subarray(0, 1024), 'RYDE_TRUNCATED'],
    ['cut inside data', make(['x.xml']).subarray(0, 514), 'RYDE_TRUNCATED'],
  ];
  for (const [name, archive, code] of cases) {
    await assert.rejects(untar(archive), (err) => isStrongroomError(err, code as 'RYDE_TAR_INVALID'), name);
  }
  // GNU tar's default format (with record padding) is accepted.
  const plain = await untar(make(['x.xml']));
  assert.equal(plain.entry?.name, 'x.xml');
  assert.equal(plain.data.toString(), 'data');
  const corrupt = make(['x.xml']);
  flip(corrupt, 10, 1);
  await assert.rejects(untar(corrupt), (err) => isStrongroomError(err, 'RYDE_TAR_INVALID') && /checksum/.test(err.message));
});

test('literal: round trip, header fields, and openpgp.js reads our packet', async () => {
  const data = depositXml(200_000);
  const packet = await collect(openLiteralWriter({ fileName: 'example_2024-01-07_full_S1_R0.tar', date: MTIME })(pieces(data)));
  let header: { fileName: string; date: Date } | undefined;
  const back = await collect(openLiteralReader({ where: 'test', onHeader: (found) => (header = found) })(pieces(packet)));
  assert.ok(back.equals(data));
  assert.deepEqual(header, { fileName: 'example_2024-01-07_full_S1_R0.tar', date: MTIME });
  const message = await openpgp.readMessage({ binaryMessage: packet });
  const literal = message.packets[0] as unknown as { getBytes(): Uint8Array; getFilename(): string; date: Date };
  assert.equal(literal.getFilename(), 'example_2024-01-07_full_S1_R0.tar');
  assert.ok(Buffer.from(literal.getBytes()).equals(data));
});

test('compression: parallel DEFLATE is one valid stream, deterministic, and round-trips through the packet layer', async () => {
  const data = depositXml(3_500_000, 7);
  const first = await collect(deflateParallel(pieces(data, 65_536), { level: 6 }));
  const second = await collect(deflateParallel(pieces(data, 1_000_003), { level: 6, parallelism: 4 }));
  assert.ok(first.equals(second), 'same bytes whatever the chunking and parallelism');
  assert.ok(inflateRawSync(first).equals(data), 'node:zlib inflates it as one stream');
  assert.ok(first.length < data.length / 2);
  const packet = await collect(openCompressor()(pieces(data)));
  let algorithm = -1;
  const back = await collect(openDecompressor({ where: 'test', onAlgorithm: (found) => (algorithm = found) })(pieces(packet)));
  assert.equal(algorithm, 1);
  assert.ok(back.equals(data));
  // DEFLATE has no checksum of its own (the MDC/AEAD tag and the signatures cover it), but a
  // cut stream or an unknown algorithm is refused.
  await assert.rejects(collect(openDecompressor({ where: 'test' })(pieces(packet.subarray(0, packet.length >> 1)))), (err) => isStrongroomError(err) && ['RYDE_DECOMPRESS_FAILED', 'RYDE_TRUNCATED'].includes(err.code));
  const bzip2 = Buffer.from(packet);
  bzip2[bzip2.indexOf(1, 1)] = 3;
  await assert.rejects(collect(openDecompressor({ where: 'test' })(pieces(bzip2))), (err) => isStrongroomError(err, 'RYDE_UNSUPPORTED'));
});

for (const profileName of ['rfc4880', 'rfc4880-no-mdc', 'rfc9580'] as ProfileName[]) {
  test(`encryption (${profileName}): our decryptor and openpgp.js read what we encrypt; we read what openpgp.js encrypts`, async () => {
    const keys = await testKeys(profileName);
    const literal = Buffer.from((await openpgp.createMessage({ binary: depositXml(1_300_000, 3), format: 'binary' })).packets.write());
    const sealed = await collect(openEncryptor({ profile: profile(profileName), recipients: [keys.recipient] })(pieces(literal, 100_000)));
    let info: { packet: string } | undefined;
    const back = await collect(openDecryptor({ where: 'test', keys: [keys.decryption], allowNoMdc: profileName === 'rfc4880-no-mdc', onInfo: (found) => (info = found) })(pieces(sealed)));
    assert.ok(back.equals(literal));
    assert.equal(info?.packet, { rfc4880: 'SEIPDv1', 'rfc4880-no-mdc': 'SED', rfc9580: 'SEIPDv2' }[profileName]);
    const decrypted = await openpgp.decrypt({
      message: await openpgp.readMessage({ binaryMessage: sealed }),
      decryptionKeys: keys.agent.privateKey,
      format: 'binary',
      config: { allowUnauthenticatedMessages: profileName === 'rfc4880-no-mdc' },
    });
    assert.ok(Buffer.from(decrypted.data as Uint8Array).equals(literal.subarray(literal.indexOf(Buffer.from('<?xml')))), 'openpgp.js decrypts our message');
    if (profileName !== 'rfc4880-no-mdc') {
      const theirs = Buffer.from(
        (await openpgp.encrypt({
          message: await openpgp.createMessage({ binary: depositXml(300_000, 4) }),
          encryptionKeys: keys.agent.publicKey,
          format: 'binary',
          config: { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed },
        })) as Uint8Array,
      );
      const opened = await collect(openLiteralReader({ where: 'test' })(openDecompressor({ where: 'test' })(openDecryptor({ where: 'test', keys: [keys.decryption] })(pieces(theirs)))));
      assert.ok(opened.equals(depositXml(300_000, 4)));
    }
  });
}

test('encryption: a message without MDC is refused unless the profile allows it; tampering is detected by MDC and AEAD', async () => {
  const v4 = await testKeys('rfc4880');
  const literal = Buffer.from((await openpgp.createMessage({ binary: depositXml(50_000) })).packets.write());
  const sed = await collect(openEncryptor({ profile: profile('rfc4880-no-mdc'), recipients: [v4.recipient] })(pieces(literal)));
  await assert.rejects(collect(openDecryptor({ where: 'test', keys: [v4.decryption] })(pieces(sed))), (err) => isStrongroomError(err, 'RYDE_PROFILE_VIOLATION'));
  const seipd = await collect(openEncryptor({ profile: profile('rfc4880'), recipients: [v4.recipient] })(pieces(literal)));
  const flipped = Buffer.from(seipd);
  flip(flipped, flipped.length - 100, 0x01);
  await assert.rejects(collect(openDecryptor({ where: 'test', keys: [v4.decryption] })(pieces(flipped))), (err) => isStrongroomError(err, 'RYDE_MDC_MISMATCH'));
  const v6 = await testKeys('rfc9580');
  const aead = await collect(openEncryptor({ profile: profile('rfc9580'), recipients: [v6.recipient] })(pieces(literal)));
  const flippedAead = Buffer.from(aead);
  flip(flippedAead, flippedAead.length - 40, 0x01);
  await assert.rejects(collect(openDecryptor({ where: 'test', keys: [v6.decryption] })(pieces(flippedAead))), (err) => isStrongroomError(err, 'RYDE_AEAD_FAILED'));
  const cut = aead.subarray(0, aead.length - 10);
  await assert.rejects(collect(openDecryptor({ where: 'test', keys: [v6.decryption] })(pieces(cut))), (err) => isStrongroomError(err) && ['RYDE_TRUNCATED', 'RYDE_AEAD_FAILED'].includes(err.code));
  const other = await testKeys('rfc4880', undefined, 'other-agent');
  await assert.rejects(collect(openDecryptor({ where: 'test', keys: [other.decryption] })(pieces(seipd))), (err) => isStrongroomError(err, 'RYDE_NOT_A_RECIPIENT'));
});

for (const [profileName, algorithm] of [['rfc4880', 'rsa3072'], ['rfc4880', 'ed25519'], ['rfc9580', undefined]] as const) {
  test(`signatures (${profileName} ${algorithm ?? 'ed25519'}): ours verify here and in openpgp.js, binary and armoured`, async () => {
    const keys = await testKeys(profileName, algorithm);
    const data = depositXml(500_000, 9);
    for (const armored of [false, true]) {
      const state = startSignatureHash(keys.signing.version);
      state.hash.update(data);
      const sig = finishSignature(state, keys.signing, { created: new Date(), notations: [{ name: PART_NOTATION, value: 'x_2024-01-01_full_S1_R0.ryde 1/1' }], armored });
      const parsed = await parseSignature(sig, 'sig');
      assert.equal(parsed.armored, armored);
      assert.equal(parsed.notations.get(PART_NOTATION), 'x_2024-01-01_full_S1_R0.ryde 1/1');
      const hash = verificationHash(parsed);
      hash.update(data);
      verifySignature(parsed, hash, keys.verification, 'sig');
      const wrong = verificationHash(parsed);
      wrong.update(data.subarray(1));
      assert.throws(() => verifySignature(parsed, wrong, keys.verification, 'sig'), (err) => isStrongroomError(err, 'RYDE_SIGNATURE_BAD'));
      const signature = armored ? await openpgp.readSignature({ armoredSignature: sig.toString() }) : await openpgp.readSignature({ binarySignature: sig });
      const result = await openpgp.verify({ message: await openpgp.createMessage({ binary: data }), signature, verificationKeys: keys.registry.publicKey, expectSigned: true, format: 'binary' });
      await result.signatures[0]!.verified;
    }
    // And we verify openpgp.js' detached signatures.
    const theirs = await openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: keys.registry.privateKey, detached: true, format: 'binary' });
    const parsed = await parseSignature(Buffer.from(theirs as Uint8Array), 'theirs');
    const hash = verificationHash(parsed);
    hash.update(data);
    verifySignature(parsed, hash, keys.verification, 'theirs');
  });
}

test('MPIs are strict: a flipped bit-count is refused', () => {
  const mpi = encodeMpi(Buffer.from([0x00, 0x01, 0xff]));
  assert.deepEqual([...mpi], [0x00, 0x09, 0x01, 0xff]);
  assert.ok(decodeMpi(mpi, 0));
  const wrongBits = Buffer.from(mpi);
  wrongBits[1] = 0x0a;
  assert.equal(decodeMpi(wrongBits, 0), null);
});

test('armour: round trip with CRC-24; a changed character is refused', () => {
  const data = Buffer.from('signature bytes for the armour test');
  const text = armor('SIGNATURE', data, true);
  assert.ok(dearmor(text, 'SIGNATURE', 'x').equals(data));
  const crc = /^=(.+)$/m.exec(text)![1]!;
  assert.throws(() => dearmor(text.replace(`=${crc}`, `=${crc.slice(0, 3)}${crc[3] === 'A' ? 'B' : 'A'}`), 'SIGNATURE', 'x'), (err) => isStrongroomError(err, 'RYDE_SIGNATURE_MALFORMED'));
});

test('encrypted spool: round trip, only ciphertext on disk, tampering detected, removed on dispose', async (t) => {
  const dir = tempDir(t);
  const data = depositXml(2_600_000, 11);
  const spool = await openEncryptedSpool({ dir });
  for await (const chunk of pieces(data, 300_001)) if (!spool.writable.write(chunk)) await new Promise((resolve) => spool.writable.once('drain', resolve));
  await new Promise<void>((resolve, reject) => spool.writable.end((err?: Error | null) => (err ? reject(err) : resolve())));
  assert.equal(spool.size, data.length);
  const onDisk = readFileSync(spool.path);
  assert.equal(onDisk.length, data.length + 3 * 16);
  assert.equal(onDisk.indexOf(Buffer.from('rdeDom:domain')), -1, 'no plaintext on disk');
  assert.ok((await collect(spool.read())).equals(data));
  assert.ok((await collect(spool.read())).equals(data), 'readable twice');
  const tampered = Buffer.from(onDisk);
  flip(tampered, 1_500_000, 1);
  writeFileSync(spool.path, tampered);
  await assert.rejects(collect(spool.read()), (err) => isStrongroomError(err, 'RYDE_SPOOL_CORRUPT'));
  writeFileSync(spool.path, onDisk.subarray(0, onDisk.length - 16));
  await assert.rejects(collect(spool.read()), (err) => isStrongroomError(err, 'RYDE_SPOOL_CORRUPT'));
  await spool.dispose();
  assert.throws(() => readFileSync(spool.path), /ENOENT/);
  assert.ok(new StrongroomError('RYDE_SPOOL_CORRUPT', 'x').category === 'integrity');
});
