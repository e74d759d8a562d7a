import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDb } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { CLI } from '../../src/testing/paths.js';
import { assertSchemaValid } from '../../src/testing/rde-schema.js';
import { FIXTURE_WATERMARK, loadFixtureRegistry } from '../../src/testing/fixture-registry.js';

function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('strongroom deposit: JSON summary, exit statuses, help', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-cli-deposit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dbDir = join(dir, 'db');
  const db = await EmbeddedDb.open(dbDir);
  await migrate(db);
  await loadFixtureRegistry(db);
  await db.exec("INSERT INTO registry.domain (roid, name, tld, registrant, cl_id, cr_date, ex_date) VALUES ('D9-EXAMPLE', 'nostatus.example', 'example', 'jd1234', 'RegistrarX', '2020-01-01Z', '2030-01-01Z')");
  await db.close();
  const out = join(dir, 'out');

  const failed = await run(['deposit', '--db', dbDir, '--tld', 'example', '--type', 'full', '--out', out, '--watermark', FIXTURE_WATERMARK, '--json']);
  assert.equal(failed.status, 1, failed.stderr);
  const error = JSON.parse(failed.stdout) as { error: { code: string; data: { findings: Array<{ code: string; object: string }> } } };
  assert.equal(error.error.code, 'DEPOSIT_PREFLIGHT_FAILED');
  assert.deepEqual(error.error.data.findings.map((f) => `${f.code} ${f.object}`), ['RDE_DOMAIN_HAS_MISSING_STATUS nostatus.example']);
  assert.deepEqual(await readdir(out), []);

  const ok = await run(['deposit', '--db', dbDir, '--tld', 'example', '--type', 'full', '--out', out, '--watermark', FIXTURE_WATERMARK, '--on-invalid', 'quarantine', '--json', '--quiet']);
  assert.equal(ok.status, 0, ok.stderr);
  const summary = JSON.parse(ok.stdout) as Record<string, unknown>;
  assert.equal(summary.fileName, 'example_2025-01-05_full_S1_R0.xml');
  assert.equal(summary.id, '20250105F0000');
  assert.deepEqual(summary.quarantined, [{ kind: 'domain', object: 'nostatus.example' }]);
  assert.equal(typeof summary.sha256, 'string');
  assert.equal(typeof summary.objectsPerSecond, 'number');
  assert.deepEqual((await readdir(out)).sort(), ['example_2025-01-05_full_S1_R0.xml', 'example_2025-01-05_full_S1_R0.xml.findings.json']);
  assertSchemaValid(t, join(out, 'example_2025-01-05_full_S1_R0.xml'));

  const text = await run(['deposit', '--db', dbDir, '--tld', 'example', '--type', 'full', '--out', out, '--watermark', FIXTURE_WATERMARK]);
  assert.equal(text.status, 8, 'already recorded: refused');
  assert.match(text.stderr, /DEPOSIT_ALREADY_RECORDED: .*--resend 1/);

  const bogus = await run(['deposit', '--db', dbDir, '--tld', 'example', '--type', 'weekly', '--out', out]);
  assert.equal(bogus.status, 2);
  assert.match(bogus.stderr, /--type must be full, diff, incr or thin/);

  // A DIFF follows the FULL: nothing changed since, so no deletes and no objects.
  const diffOut = join(dir, 'diff');
  const diff = await run(['deposit', '--db', dbDir, '--tld', 'example', '--type', 'diff', '--out', diffOut, '--json', '--quiet']);
  assert.equal(diff.status, 0, diff.stderr);
  const diffSummary = JSON.parse(diff.stdout) as Record<string, unknown>;
  assert.equal(diffSummary.type, 'DIFF');
  assert.equal(diffSummary.prevId, '20250105F0000');
  assert.equal(diffSummary.deletes, 0);
  assert.match(String(diffSummary.fileName), /^example_\d{4}-\d{2}-\d{2}_diff_S1_R0\.xml$/);
  assertSchemaValid(t, join(diffOut, String(diffSummary.fileName)));

  const thin = await run(['deposit', '--db', dbDir, '--tld', 'example', '--type', 'thin', '--out', join(dir, 'thin'), '--on-invalid', 'quarantine', '--quiet']);
  assert.equal(thin.status, 0, thin.stderr);
  assert.match(thin.stdout, /example_\d{4}-\d{2}-\d{2}_thin_S1_R0\.xml/);
  assert.match(thin.stdout, /type THIN/);

  const help = await run(['deposit', '--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--on-invalid <mode>/);
  assert.match(help.stdout, /Exit status:\n {2}0 {3}success\n {2}1 {3}pre-flight found errors/);
});
