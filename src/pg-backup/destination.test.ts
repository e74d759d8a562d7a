/**
 * Backups sent to a destination of the project-wide configuration (src/config/destinations.ts):
 * refused without the registry's recorded consent (nothing reaches the destination), refused
 * for escrow agents, and through an S3 server (s3rver) with consent: WAL pushed, listed and
 * fetched back, a backup-style signed object read back.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { isStrongroomError } from '../common/errors.js';
import { profile } from '../ryde/profiles.js';
import { tempDir, testKeys } from '../ryde/testing/fixtures.js';
import { startS3rver } from '../testing/s3rver.js';
import { requireTool } from '../testing/tools.js';
import { openArchive } from './archive.js';
import { listWal } from './catalog.js';
import { parsePgBackupConfig } from './config.js';
import { walFetch, walPush } from './wal-archive.js';

const CONSENT = { granted: true, by: 'J. Doe, CTO', date: '2026-11-01', reference: 'CCB-14' };

async function setup(t: TestContext, destinations: Record<string, unknown>) {
  const dir = tempDir(t, 'sr-pg-dest-');
  await writeFile(join(dir, 'strongroom.yaml'), stringify({ version: 1, registries: { reg1: { tlds: ['example'], destinations } } }));
  const config = (name: string) => parsePgBackupConfig({ cluster: 'reg1', destination: { kind: 'configured', name, config: 'strongroom.yaml' }, keys: {} }, 'test', dir);
  return { dir, config };
}

test('a configured destination without consent is refused before anything is sent', async (t) => {
  const { dir, config } = await setup(t, {
    offsite: { kind: 'directory', url: 'offsite', purpose: 'own-offsite' },
    declined: { kind: 'directory', url: 'declined', purpose: 'own-offsite', consent: { ...CONSENT, granted: false } },
    agent: { kind: 'directory', url: 'agent', purpose: 'escrow-agent', consent: CONSENT },
  });
  await assert.rejects(openArchive(config('offsite')), (err) => isStrongroomError(err, 'DESTINATION_NOT_CONSENTED') && /no consent is recorded/.test(err.message));
  await assert.rejects(openArchive(config('declined')), (err) => isStrongroomError(err, 'DESTINATION_NOT_CONSENTED') && /not granted/.test(err.message));
  await assert.rejects(openArchive(config('agent')), (err) => isStrongroomError(err, 'CONFIG_INVALID') && /own-offsite/.test(err.message));
  await assert.rejects(openArchive(config('nowhere')), (err) => isStrongroomError(err, 'DESTINATION_UNKNOWN'));
  assert.deepEqual((await readdir(dir)).sort(), ['strongroom.yaml']);
});

test('WAL archive on a consented S3 destination of the project configuration', async (t) => {
  if (!requireTool(t, 'zstd')) return;
  const s3 = await startS3rver('pg-offsite');
  if (!requireTool(t, 's3rver', s3 !== null)) return;
  t.after(() => s3!.stop());
  process.env.SR_PG_TEST_S3_KEY = s3!.credentials.accessKeyId;
  process.env.SR_PG_TEST_S3_SECRET = s3!.credentials.secretAccessKey;
  t.after(() => {
    delete process.env.SR_PG_TEST_S3_KEY;
    delete process.env.SR_PG_TEST_S3_SECRET;
  });
  const { dir, config } = await setup(t, {
    offsite: {
      kind: 's3',
      url: `s3://${s3!.bucket}/backups?endpoint=${encodeURIComponent(s3!.endpoint)}`,
      purpose: 'own-offsite',
      consent: CONSENT,
      credentials: { accessKeyId: { env: 'SR_PG_TEST_S3_KEY' }, secretAccessKey: { env: 'SR_PG_TEST_S3_SECRET' } },
    },
  });
  const keys = await testKeys('rfc4880', 'ed25519');
  const seal = { signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880') };
  const open = { decryptionKeys: [keys.decryption], verificationKeys: keys.verification };
  const archive = await openArchive(config('offsite'));
  t.after(() => archive.close());
  assert.equal(archive.transport.kind, 's3');
  const wal = join(dir, 'wal');
  await mkdir(wal);
  const segments = ['000000010000000000000001', '000000010000000000000002', '000000010000000000000004'];
  for (const [index, name] of segments.entries()) {
    await writeFile(join(wal, name), Buffer.alloc(1 << 20, index + 1));
    assert.equal((await walPush(archive, join(wal, name), name, seal, { compressionLevel: 3 })).status, 'archived');
  }
  assert.equal((await walPush(archive, join(wal, segments[0]!), segments[0], seal, { compressionLevel: 3 })).status, 'already-archived');
  const listing = await listWal(archive, open.verificationKeys, 1 << 20);
  assert.deepEqual([...listing.segments].sort(), segments);
  await walFetch(archive, segments[1]!, join(dir, 'fetched'), open);
  assert.deepEqual(await readFile(join(dir, 'fetched')), Buffer.alloc(1 << 20, 2));
  const names: string[] = [];
  for await (const info of archive.transport.list('reg1/')) names.push(info.name);
  assert.ok(names.includes('reg1/wal/0000000100000000/000000010000000000000002.pgp.sig'), names.join(', '));
});
