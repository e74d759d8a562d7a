/**
 * An SFTP destination (real OpenSSH sshd, pinned host key): WAL segments and history files
 * pushed, listed, fetched back; the ciphertext reaches the server through the spool, which is
 * gone afterwards; an unpinned host key is refused before anything is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isStrongroomError } from '../common/errors.js';
import { profile } from '../ryde/profiles.js';
import { tempDir, testKeys } from '../ryde/testing/fixtures.js';
import { startSshd } from '../testing/sshd.js';
import { requireTool } from '../testing/tools.js';
import { openArchive } from './archive.js';
import { listWal } from './catalog.js';
import { parsePgBackupConfig } from './config.js';
import { walFetch, walPush } from './wal-archive.js';

test('WAL archive on an SFTP destination', async (t) => {
  if (!requireTool(t, 'zstd')) return;
  const sshd = await startSshd();
  if (!requireTool(t, 'sshd', sshd !== null)) return;
  t.after(() => sshd!.stop());
  const dir = tempDir(t, 'sr-pg-sftp-');
  await writeFile(join(dir, 'id'), sshd!.clientKey, { mode: 0o600 });
  await writeFile(join(dir, 'known_hosts'), sshd!.knownHosts);
  const spoolDir = join(dir, 'spool');
  await mkdir(spoolDir);
  const config = parsePgBackupConfig(
    {
      cluster: 'reg1',
      destination: { kind: 'sftp', host: sshd!.host, port: sshd!.port, username: sshd!.username, privateKeyFile: 'id', knownHostsFile: 'known_hosts', root: sshd!.inbox },
      keys: {},
      spoolDir,
    },
    'test',
    dir,
  );
  const keys = await testKeys('rfc4880', 'ed25519');
  const seal = { signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880') };
  const open = { decryptionKeys: [keys.decryption], verificationKeys: keys.verification };
  const archive = await openArchive(config);
  t.after(() => archive.close());
  const segments = ['000000010000000000000001', '000000010000000000000002', '000000010000000000000004'];
  for (const [index, name] of segments.entries()) {
    await writeFile(join(dir, name), Buffer.alloc(1 << 20, index + 1));
    assert.equal((await walPush(archive, join(dir, name), name, seal, { compressionLevel: 3, spoolDir })).status, 'archived');
  }
  assert.equal((await walPush(archive, join(dir, segments[0]!), segments[0], seal, { compressionLevel: 3, spoolDir })).status, 'already-archived');
  assert.deepEqual(await readdir(spoolDir), []);
  assert.ok((await readdir(join(sshd!.inbox, 'reg1', 'wal', '0000000100000000'))).includes('000000010000000000000002.pgp.sig'));
  const listing = await listWal(archive, open.verificationKeys, 1 << 20);
  assert.deepEqual([...listing.segments].sort(), segments);
  await walFetch(archive, segments[1]!, join(dir, 'fetched'), open);
  assert.deepEqual(await readFile(join(dir, 'fetched')), Buffer.alloc(1 << 20, 2));

  const stranger = await openArchive({ ...config, destination: { ...config.destination, knownHostsFile: undefined, hostKeyFingerprints: ['SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'] } as typeof config.destination });
  t.after(() => stranger.close());
  await assert.rejects(walPush(stranger, join(dir, segments[2]!), segments[2], seal, { compressionLevel: 3, spoolDir }), (err) => isStrongroomError(err) && err.code.startsWith('TRANSPORT_HOSTKEY'));
});
