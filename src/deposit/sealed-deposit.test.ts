/**
 * `deposit --seal` at the library level: the deposit goes straight into RyDE sealing. What is
 * sealed must be exactly an unsealed deposit of the same snapshot (opened by our unseal and by
 * the real gpg), pre-flight keeps its verdicts and quarantine, and nothing plaintext (nor any
 * temporary) is left in the output or spool directories whatever the outcome.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../db/adapter.js';
import { isStrongroomError } from '../common/errors.js';
import { unsealFiles } from '../ryde/decoder.js';
import { profile } from '../ryde/profiles.js';
import { gpgHome, testKeys, type TestKeys } from '../ryde/testing/fixtures.js';
import { embeddedTestDb } from '../testing/databases.js';
import { FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { assertSchemaValid } from '../testing/rde-schema.js';
import { requireTool } from '../testing/tools.js';
import { writeFullDeposit, type DepositResult, type FullDepositOptions } from './full-deposit.js';

const XML = 'example_2025-01-05_full_S1_R0.xml';

async function dirs(t: TestContext): Promise<Record<'plain' | 'sealed' | 'spool' | 'opened', string>> {
  const root = await mkdtemp(join(tmpdir(), 'sr-sealed-deposit-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const out = { plain: join(root, 'plain'), sealed: join(root, 'sealed'), spool: join(root, 'spool'), opened: join(root, 'opened') };
  for (const dir of Object.values(out)) await mkdir(dir);
  return out;
}

function sealOptions(keys: TestKeys, spoolDir: string, extra: { splitSize?: number; armorSignatures?: boolean } = {}): NonNullable<FullDepositOptions['seal']> {
  return { signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880'), spoolDir, ...extra };
}

/** Deposit again at the same watermark: forget the first run's record (the snapshot data is unchanged). */
async function forgetDeposits(db: Db): Promise<void> {
  await db.exec('DELETE FROM strongroom.deposit');
}

async function openWithUs(result: DepositResult, keys: TestKeys, outDir: string): Promise<Buffer> {
  const files = result.sealed!.parts.flatMap((part) => [part.ryde, part.sig]);
  const [opened] = await unsealFiles(files, { outDir, decryptionKeys: [keys.decryption], verificationKeys: keys.verification });
  assert.equal(opened?.deposit, 'example_2025-01-05_full_R0');
  return readFile(opened!.file);
}

/** Every file left in `dir` (no temporaries) and a proof that none of them holds deposit text. */
async function assertNoPlaintext(dir: string, allowed: (name: string) => boolean): Promise<void> {
  for (const name of await readdir(dir)) {
    assert.ok(allowed(name), `unexpected file ${name} in ${dir}`);
    const bytes = await readFile(join(dir, name));
    for (const marker of ['<rde:', 'urn:ietf:params:xml', 'example.example']) assert.equal(bytes.indexOf(marker), -1, `${name} holds "${marker}"`);
  }
}

const sealedName = (name: string): boolean => /^example_2025-01-05_full_S\d+_R0\.(ryde|sig)$/.test(name);

test('deposit with seal: our unseal and gpg --decrypt give exactly the bytes of an unsealed deposit of the same snapshot', async (t) => {
  const { db } = await embeddedTestDb(t);
  await loadFixtureRegistry(db);
  const d = await dirs(t);
  const keys = await testKeys('rfc4880', 'ed25519');

  const plain = await writeFullDeposit(db, { tld: 'example', outDir: d.plain, watermark: FIXTURE_WATERMARK });
  assertSchemaValid(t, plain.file);
  await forgetDeposits(db);
  const sealed = await writeFullDeposit(db, { tld: 'example', outDir: d.sealed, watermark: FIXTURE_WATERMARK, seal: sealOptions(keys, d.spool, { splitSize: 2048 }) });
  const expected = await readFile(plain.file);

  assert.equal(sealed.fileName, XML);
  assert.equal(sealed.bytes, expected.length);
  assert.equal(sealed.sha256, plain.sha256);
  assert.deepEqual(sealed.counts, plain.counts);
  assert.ok(sealed.sealed && sealed.sealed.parts.length >= 2, 'split into several parts');
  assert.equal(sealed.file, join(d.sealed, 'example_2025-01-05_full_S1_R0.ryde'));
  assert.equal(sealed.sealed.plaintextSize, expected.length);
  assert.deepEqual((await readdir(d.sealed)).sort(), sealed.sealed.parts.flatMap((p) => [p.ryde, p.sig]).map((f) => f.slice(d.sealed.length + 1)).sort());
  await assertNoPlaintext(d.sealed, sealedName);
  assert.deepEqual(await readdir(d.spool), [], 'the spool is gone');
  const [row] = await db.query<{ file_name: string; sha256: string; bytes: string }>('SELECT file_name, sha256, bytes::text FROM strongroom.deposit');
  assert.deepEqual(row, { file_name: XML, sha256: plain.sha256, bytes: String(expected.length) });

  assert.ok((await openWithUs(sealed, keys, d.opened)).equals(expected), 'our unseal gives the unsealed deposit');

  if (!requireTool(t, 'gpg') || !requireTool(t, 'tar')) return;
  const gpg = gpgHome(t, d.opened, [keys.registry.publicArmored, keys.agent.secretArmored]);
  for (const part of sealed.sealed.parts) {
    const verified = gpg.run(['--verify', part.sig, part.ryde]);
    assert.equal(verified.status, 0, verified.stderr.toString());
  }
  const joined = Buffer.concat(await Promise.all(sealed.sealed.parts.map((part) => readFile(part.ryde))));
  const archive = gpg.ok(['--decrypt'], joined);
  const untarred = spawnSync('tar', ['-xOf', '-', XML], { input: archive, maxBuffer: 1 << 26 });
  assert.equal(untarred.status, 0, untarred.stderr.toString());
  assert.ok(untarred.stdout.equals(expected), 'gpg --decrypt | tar -x gives the unsealed deposit');
});

test('deposit with seal: a failed pre-flight publishes nothing and leaves nothing; quarantine seals what the plain run writes', async (t) => {
  const { db } = await embeddedTestDb(t);
  await loadFixtureRegistry(db);
  await db.exec("INSERT INTO registry.domain (roid, name, tld, registrant, cl_id, cr_date, ex_date) VALUES ('D9-EXAMPLE', 'nostatus.example', 'example', 'jd1234', 'RegistrarX', '2020-01-01Z', '2030-01-01Z')");
  const d = await dirs(t);
  const keys = await testKeys('rfc4880', 'ed25519');

  await assert.rejects(
    writeFullDeposit(db, { tld: 'example', outDir: d.sealed, watermark: FIXTURE_WATERMARK, seal: sealOptions(keys, d.spool) }),
    (err: unknown) => isStrongroomError(err, 'DEPOSIT_PREFLIGHT_FAILED'),
  );
  assert.deepEqual(await readdir(d.sealed), [], 'no .ryde, no .sig, no temporary');
  assert.deepEqual(await readdir(d.spool), [], 'no spool');

  const plain = await writeFullDeposit(db, { tld: 'example', outDir: d.plain, watermark: FIXTURE_WATERMARK, onInvalid: 'quarantine' });
  await forgetDeposits(db);
  const sealed = await writeFullDeposit(db, { tld: 'example', outDir: d.sealed, watermark: FIXTURE_WATERMARK, onInvalid: 'quarantine', seal: sealOptions(keys, d.spool, { armorSignatures: true }) });
  assert.deepEqual(sealed.quarantined, [{ kind: 'domain', object: 'nostatus.example' }]);
  assert.deepEqual(sealed.quarantined, plain.quarantined);
  assert.equal(sealed.findingsFile, join(d.sealed, `${XML}.findings.json`));
  const report = JSON.parse(await readFile(sealed.findingsFile!, 'utf8')) as { quarantined: unknown[]; file: string };
  assert.equal(report.file, XML);
  assert.deepEqual(report.quarantined, plain.quarantined);
  assert.match(await readFile(sealed.sealed!.parts[0]!.sig, 'utf8'), /^-----BEGIN PGP SIGNATURE-----/);
  assert.ok((await openWithUs(sealed, keys, d.opened)).equals(await readFile(plain.file)));
  assert.deepEqual(await readdir(d.spool), []);

  // An existing part is never replaced, and the refusal comes before any work.
  await forgetDeposits(db);
  await assert.rejects(
    writeFullDeposit(db, { tld: 'example', outDir: d.sealed, watermark: FIXTURE_WATERMARK, onInvalid: 'quarantine', seal: sealOptions(keys, d.spool) }),
    (err: unknown) => isStrongroomError(err, 'DEPOSIT_TARGET_EXISTS'),
  );
  assert.deepEqual(await readdir(d.spool), []);
  // A .sig alone (a half-cleaned directory) is refused too.
  const lone = join(d.plain, 'example_2025-01-05_full_S1_R0.sig');
  await writeFile(lone, 'x');
  await assert.rejects(
    writeFullDeposit(db, { tld: 'example', outDir: d.plain, watermark: FIXTURE_WATERMARK, onInvalid: 'quarantine', seal: sealOptions(keys, d.spool) }),
    (err: unknown) => isStrongroomError(err, 'DEPOSIT_TARGET_EXISTS'),
  );
  assert.ok(existsSync(lone));
});
