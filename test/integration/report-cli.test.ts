import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedDb } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrate.js';
import { writeFullDeposit } from '../../src/deposit/full-deposit.js';
import { rdeReportXml, depositFactsFromFile } from '../../src/reporting/report.js';
import { FIXTURE_WATERMARK, loadFixtureRegistry } from '../../src/testing/fixture-registry.js';
import { IcannTestServer } from '../../src/testing/icann-server.js';
import { runCli } from '../../src/testing/cli.js';
import { assertReportValid } from '../../src/testing/report-schema.js';
import { requireTool } from '../../src/testing/tools.js';

const PASSWORD = 'icann-cli-secret-42';

/** No password from the caller's environment unless a test gives one. */
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { STRONGROOM_ICANN_PASSWORD: '', ...env });


test('strongroom report: a recorded deposit reported to a local ICANN peer, refusals and credentials mapped to exit statuses', async (t) => {
  if (!requireTool(t, 'xmllint', undefined, 'the test ICANN peer validates reports with it')) return;
  const dir = await mkdtemp(join(tmpdir(), 'sr-cli-report-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const dbDir = join(dir, 'db');
  const db = await EmbeddedDb.open(dbDir);
  await migrate(db);
  await loadFixtureRegistry(db);
  const deposit = await writeFullDeposit(db, { tld: 'example', outDir: dir, watermark: FIXTURE_WATERMARK });
  await db.close();
  const passwordFile = join(dir, 'icann-password');
  await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });

  const server = new IcannTestServer({ credentials: { example: PASSWORD } });
  await server.start();
  t.after(() => server.stop());
  const common = ['--icann-url', server.baseUrl, '--attempts', '1'];

  const ok = await run(['report', '--db', dbDir, '--tld', 'example', '--id', deposit.id, ...common, '--password-file', passwordFile, '--json']);
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  const outcome = JSON.parse(ok.stdout) as { id: string; sent: boolean; submission: { code: number; confirmed: boolean; attempts: number } };
  assert.equal(outcome.id, deposit.id);
  assert.deepEqual([outcome.sent, outcome.submission.code, outcome.submission.confirmed], [true, 1000, true]);
  assert.equal(server.reports.get(`example/${deposit.id}`)?.xml, rdeReportXml(await depositFactsFromFile(deposit.file)));
  assert.doesNotMatch(ok.stdout + ok.stderr, new RegExp(PASSWORD));

  // From the file, password from the environment, human text.
  const text = await run(['report', '--file', deposit.file, ...common], { STRONGROOM_ICANN_PASSWORD: PASSWORD });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /accepted {4}code 1000 /);
  assert.match(text.stdout, /confirmed {3}yes/);

  // Dry run: the report written, nothing sent, no password needed.
  const written = join(dir, 'report.xml');
  const before = server.log.length;
  const dry = await run(['report', '--file', deposit.file, '--dry-run', '--write', written, '--json']);
  assert.equal(dry.status, 0, dry.stderr);
  assert.equal(server.log.length, before);
  assertReportValid(t, await readFile(written, 'utf8'));

  server.options.closed = [`example/${deposit.id}`];
  const refused = await run(['report', '--file', deposit.file, ...common, '--password-file', passwordFile, '--json']);
  assert.equal(refused.status, 8);
  const error = JSON.parse(refused.stdout) as { error: { code: string; data: { code: number; msg: string } } };
  assert.equal(error.error.code, 'REPORT_REFUSED');
  assert.equal(error.error.data.code, 2002);
  const refusedText = await run(['report', '--file', deposit.file, ...common, '--password-file', passwordFile]);
  assert.match(refusedText.stderr, /REPORT_REFUSED: ICANN refused the report of deposit 20250105F0000 \(example, resend 0\): code 2002 /);

  const noPassword = await run(['report', '--file', deposit.file, ...common]);
  assert.equal(noPassword.status, 3);
  assert.match(noPassword.stderr, /REPORT_CREDENTIALS_MISSING: .*STRONGROOM_ICANN_PASSWORD/);
  const wrong = await run(['report', '--file', deposit.file, ...common], { STRONGROOM_ICANN_PASSWORD: 'nope-not-it' });
  assert.equal(wrong.status, 3);
  assert.match(wrong.stderr, /REPORT_AUTH_FAILED/);
  assert.doesNotMatch(wrong.stderr, /nope-not-it/);

  const missing = await run(['report', '--db', dbDir, '--tld', 'example', '--id', '20990101F0000', ...common, '--password-file', passwordFile]);
  assert.equal(missing.status, 4);
  assert.match(missing.stderr, /REPORT_DEPOSIT_NOT_FOUND/);
  const usage = await run(['report', '--tld', 'example']);
  assert.equal(usage.status, 2);
  const plainHttp = await run(['report', '--file', deposit.file, '--icann-url', 'http://ry-api.icann.org', '--password-file', passwordFile]);
  assert.equal(plainHttp.status, 3);
  assert.match(plainHttp.stderr, /REPORT_ENDPOINT_INVALID: .*https/);
});
