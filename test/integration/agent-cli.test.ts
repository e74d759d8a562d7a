/**
 * The escrow agent as an operator runs it: `strongroom agent ingest | verify | calendar |
 * retain | hold | approve | release | audit verify`, on real sealed deposits (src/ryde, and one
 * made by the real gpg and tar as a foreign registry would), with an embedded catalog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EXIT_STATUS } from '../../src/common/errors.js';
import { agentKeys, sampleXml, sealXml, sealedFiles } from '../../src/agent/testing/deposits.js';
import { gpgHome, tempDir } from '../../src/ryde/testing/fixtures.js';
import { CLI, RDE_SCHEMA } from '../../src/testing/paths.js';
import { requireTool } from '../../src/testing/tools.js';
import { serverTestDb } from '../../src/testing/databases.js';
import { assertReportValid } from '../../src/testing/report-schema.js';

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, STRONGROOM_HOME: '/nonexistent-strongroom-home' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T = Record<string, unknown>>(result: { stdout: string; stderr: string }): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON:\n${result.stdout}\n${result.stderr}`);
  }
}

/** Deliver files into the inbox with an old modification time (so they count as settled). */
function deliver(inbox: string, files: string[]): void {
  const old = new Date(Date.now() - 3_600_000);
  for (const file of files) {
    const target = join(inbox, basename(file));
    copyFileSync(file, target);
    utimesSync(target, old, old);
  }
}

test('agent CLI: ingest → verify (stored, JSON, reports) → calendar → retain → hold → two-person release → audit verify catches an edit', async (t) => {
  if (!requireTool(t, 'xmllint')) return;
  const dir = tempDir(t, 'sr-agent-cli-');
  const keys = await agentKeys(dir);
  const repo = join(dir, 'repo');
  // The server catalog when there is one (each CLI call then connects in milliseconds); the
  // embedded one otherwise (each call loads PGlite: slower, same SQL).
  const db = (await serverTestDb(t, { migrate: false }))?.spec ?? join(dir, 'catalog');
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox);
  const common = ['--repo', repo, '--db', db];
  const verifyArgs = ['--key', keys.agentKey, '--signer', keys.registryPub, '--schema', RDE_SCHEMA, ...common];

  // Two weeks: FULL on Sunday 2010-10-17 and 2010-10-24, DIFFs in between (one day missing).
  const plan: Array<[string, 'full' | 'diff', string, string | undefined]> = [
    ['2010-10-17', 'full', '20101017001', undefined],
    ['2010-10-18', 'diff', '20101018001', '20101017001'],
    ['2010-10-19', 'diff', '20101019001', '20101018001'],
    ['2010-10-24', 'full', '20101024001', '20101019001'],
    ['2010-10-25', 'diff', '20101025001', '20101024001'],
  ];
  for (const [date, type, id, prevId] of plan) {
    const sealed = await sealXml(keys.keys, join(dir, 'sealed', date), { tld: 'test', date, type }, sampleXml({ type: type === 'full' ? 'FULL' : 'DIFF', date, id, ...(prevId ? { prevId } : {}) }), { splitSize: 1500 });
    deliver(inbox, sealedFiles(sealed));
  }
  writeFileSync(join(inbox, 'notes.txt'), 'not a deposit');
  const ingested = cli(['agent', 'ingest', '--inbox', inbox, '--tld', 'test', '--json', ...common]);
  assert.equal(ingested.status, EXIT_STATUS.findings, 'a rejected file makes the exit status 1');
  const intake = json<{ received: string[]; rejected: Array<{ name: string }> }>(ingested);
  assert.deepEqual(intake.received, plan.map(([date, type]) => `test_${date}_${type}_R0`));
  assert.deepEqual(intake.rejected.map((entry) => entry.name), ['notes.txt']);

  for (const [date, type] of plan) {
    const verified = cli(['agent', 'verify', '--json', ...verifyArgs, `test_${date}_${type}_R0`]);
    const report = json<{ status: string; findings: Array<{ code: string; severity: string }> }>(verified);
    const errors = report.findings.filter((finding) => finding.severity === 'error').map((finding) => finding.code);
    if (date === '2010-10-24') {
      assert.equal(verified.status, EXIT_STATUS.ok, verified.stdout);
      assert.ok(report.findings.some((finding) => finding.code === 'CHAIN_GAP' && finding.severity === 'warning'), 'days missing before a FULL are a warning');
    } else {
      assert.deepEqual([verified.status, report.status, errors], [EXIT_STATUS.ok, 'PASS', []], verified.stdout);
    }
  }
  const reports = readdirSync(join(repo, 'reports', 'test', 'test_2010-10-17_full_R0')).sort();
  assert.deepEqual(reports, ['verify-001.json', 'verify-001.txt', 'verify-001.xml']);
  const dvpn = readFileSync(join(repo, 'reports', 'test', 'test_2010-10-17_full_R0', 'verify-001.xml'), 'utf8');
  assert.match(dvpn, /<rdeNotification:status>DVPN<\/rdeNotification:status>/);
  assertReportValid(t, dvpn);
  assert.match(readFileSync(join(repo, 'reports', 'test', 'test_2010-10-17_full_R0', 'verify-001.txt'), 'utf8'), /: PASS/);

  // Files given directly, without a catalog: --no-chain makes the chain NOT RUN but not blocking.
  const direct = await sealXml(keys.keys, join(dir, 'direct'), { tld: 'test', date: '2010-10-26', type: 'diff' }, sampleXml({ type: 'DIFF', date: '2010-10-26', id: '20101026001', prevId: '20101025001' }));
  const plain = cli(['agent', 'verify', '--key', keys.agentKey, '--signer', keys.registryPub, '--schema', RDE_SCHEMA, '--no-chain', ...sealedFiles(direct)]);
  assert.equal(plain.status, EXIT_STATUS.ok, plain.stdout + plain.stderr);
  assert.match(plain.stdout, /NOT RUN +chain/);
  const noSchema = cli(['agent', 'verify', '--json', '--key', keys.agentKey, '--signer', keys.registryPub, '--no-chain', ...sealedFiles(direct)]);
  assert.equal(noSchema.status, EXIT_STATUS.ok, 'the structure checker validates without xmllint');
  const noCatalog = cli(['agent', 'verify', '--json', '--key', keys.agentKey, '--signer', keys.registryPub, ...sealedFiles(direct)]);
  assert.equal(noCatalog.status, EXIT_STATUS.config, 'a blocking check that did not run (the chain, no catalog) is not a PASS');
  assert.equal(json(noCatalog).status, 'ERROR');
  const wrongSigner = cli(['agent', 'verify', '--json', '--key', keys.agentKey, '--signer', keys.agentPub, '--no-chain', ...sealedFiles(direct)]);
  assert.equal(wrongSigner.status, EXIT_STATUS.findings);
  const failed = json<{ status: string; findings: Array<{ code: string; severity: string; object: string; location: string; message: string }> }>(wrongSigner);
  assert.equal(failed.status, 'FAIL');
  assert.deepEqual(Object.keys(failed.findings[0]!).sort(), ['code', 'location', 'message', 'object', 'severity', 'stage']);
  assert.equal(failed.findings[0]!.code, 'RDE_INVALID_SIGNATURE');
  // With the catalog, the DIFF of 10-26 follows 10-25: the chain passes.
  const chained = cli(['agent', 'verify', '--json', ...verifyArgs, ...sealedFiles(direct)]);
  assert.equal(chained.status, EXIT_STATUS.ok, chained.stdout);

  // Calendar on Tuesday 2010-10-26 10:00 London: 10-20..10-23 missing, 10-25 verified.
  const calendar = cli(['agent', 'calendar', '--json', '--tz', 'Europe/London', '--now', '2010-10-26T09:00:00Z', '--to', '2010-10-25', '--notify-dir', join(dir, 'drfn'), ...common]);
  assert.equal(calendar.status, EXIT_STATUS.findings);
  const days = json<{ entries: Array<{ date: string; state: string }>; findings: Array<{ code: string }> }>(calendar);
  assert.deepEqual(
    days.entries.map((entry) => `${entry.date} ${entry.state}`),
    ['2010-10-17 verified', '2010-10-18 verified', '2010-10-19 verified', '2010-10-20 missing', '2010-10-21 missing', '2010-10-22 missing', '2010-10-23 missing', '2010-10-24 verified', '2010-10-25 verified'],
  );
  assert.deepEqual(readdirSync(join(dir, 'drfn')).sort(), ['test_2010-10-20_DRFN.xml', 'test_2010-10-21_DRFN.xml', 'test_2010-10-22_DRFN.xml', 'test_2010-10-23_DRFN.xml']);
  const drfn = readFileSync(join(dir, 'drfn', 'test_2010-10-20_DRFN.xml'), 'utf8');
  assert.match(drfn, /<rdeNotification:status>DRFN<\/rdeNotification:status>/);
  assertReportValid(t, drfn);

  // Retention keeping one FULL: the first week goes, unless held.
  const dry = cli(['agent', 'retain', '--dry-run', '--keep-full', '1', '--json', ...common]);
  assert.equal(dry.status, 0, dry.stderr);
  const planned = json<{ decisions: Array<{ key: string; action: string }> }>(dry);
  assert.deepEqual(planned.decisions.filter((decision) => decision.action === 'delete').map((decision) => decision.key), ['test_2010-10-17_full_R0', 'test_2010-10-18_diff_R0', 'test_2010-10-19_diff_R0']);
  assert.equal(cli(['agent', 'hold', '--deposit', 'test_2010-10-18_diff_R0', '--reason', 'dispute 42', ...common]).status, 0);
  const applied = json<{ deleted: string[] }>(cli(['agent', 'retain', '--keep-full', '1', '--json', ...common]));
  assert.deepEqual(applied.deleted, ['test_2010-10-19_diff_R0'], 'the held DIFF keeps its FULL');
  assert.equal(cli(['agent', 'verify', ...verifyArgs, 'test_2010-10-19_diff_R0']).status, EXIT_STATUS.input, 'a deleted deposit is gone');

  // Release: opened by the first call, refused with one approver (twice the same person), exported with two.
  const export1 = join(dir, 'export');
  const opened = cli(['agent', 'release', '--tld', 'test', '--to', export1, '--json', ...common]);
  assert.equal(opened.status, EXIT_STATUS.refused);
  const releaseId = (json<{ error: { data: { release: string } } }>(opened)).error.data.release;
  assert.equal(cli(['agent', 'approve', '--release', releaseId, '--approver', 'Ann Smith', ...common]).status, 0);
  assert.equal(cli(['agent', 'approve', '--release', releaseId, '--approver', 'ann  smith', ...common]).status, 0);
  assert.equal(cli(['agent', 'release', '--tld', 'test', '--to', export1, ...common]).status, EXIT_STATUS.refused, 'one person approving twice is one approver');
  assert.equal(cli(['agent', 'approve', '--release', releaseId, '--approver', 'Bob Jones', ...common]).status, 0);
  const released = cli(['agent', 'release', '--tld', 'test', '--to', export1, '--json', ...common]);
  assert.equal(released.status, 0, released.stdout + released.stderr);
  const result = json<{ deposits: string[]; files: Array<{ name: string }> }>(released);
  assert.deepEqual(result.deposits, ['test_2010-10-17_full_R0', 'test_2010-10-18_diff_R0', 'test_2010-10-24_full_R0', 'test_2010-10-25_diff_R0']);
  const exported = readdirSync(join(export1, 'test'));
  assert.ok(exported.includes('MANIFEST.json') && exported.includes('test_2010-10-17_full_R0.verify-001.json'));
  for (const file of exported.filter((name) => name.endsWith('.ryde') || name.endsWith('.sig'))) {
    const original = join(dir, 'sealed', file.split('_')[1]!, file);
    assert.ok(readFileSync(join(export1, 'test', file)).equals(readFileSync(original)), `${file} released as received`);
  }

  // The audit log: intact, then an edited line is caught.
  const intact = cli(['agent', 'audit', 'verify', '--json', ...common]);
  assert.equal(intact.status, 0, intact.stdout);
  const actions = readFileSync(join(repo, 'audit.log'), 'utf8').trimEnd().split('\n').map((line) => (JSON.parse(line) as { action: string }).action);
  for (const action of ['receive', 'reject', 'verify', 'hold', 'delete', 'release-request', 'approve', 'release']) assert.ok(actions.includes(action), action);
  const log = readFileSync(join(repo, 'audit.log'), 'utf8');
  writeFileSync(join(repo, 'audit.log'), log.replace('"reason":"dispute 42"', '"reason":"no dispute"'));
  const edited = cli(['agent', 'audit', 'verify', ...common]);
  assert.equal(edited.status, EXIT_STATUS.integrity);
  assert.match(edited.stdout, /AUDIT_ENTRY_ALTERED/);
});

test('agent verify: a deposit made by gpg and GNU tar (a foreign registry) verifies; its parts are not bound, so a warning says so', async (t) => {
  if (!requireTool(t, 'gpg') || !requireTool(t, 'tar') || !requireTool(t, 'xmllint')) return;
  const dir = tempDir(t, 'sr-agent-gpg-');
  const keys = await agentKeys(dir);
  const name = 'test_2010-10-17_full_S1_R0';
  writeFileSync(join(dir, `${name}.xml`), sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  const tarred = spawnSync('tar', ['-cf', '-', '-C', dir, `${name}.xml`], { maxBuffer: 1 << 26 });
  assert.equal(tarred.status, 0);
  const gpg = gpgHome(t, dir, [keys.keys.registry.secretArmored, keys.keys.agent.publicArmored]);
  const message = gpg.ok(['--compress-algo', 'zip', '--recipient', keys.keys.agent.fingerprint, '--encrypt'], tarred.stdout);
  const out = join(dir, 'out');
  mkdirSync(out);
  const files: string[] = [];
  const half = Math.ceil(message.length / 2);
  [message.subarray(0, half), message.subarray(half)].forEach((chunk, index) => {
    const ryde = join(out, `test_2010-10-17_full_S${index + 1}_R0.ryde`);
    writeFileSync(ryde, chunk);
    gpg.ok(['--local-user', keys.keys.registry.fingerprint, '--detach-sign', '--output', `${ryde.slice(0, -5)}.sig`, ryde]);
    files.push(ryde, `${ryde.slice(0, -5)}.sig`);
  });
  const verified = cli(['agent', 'verify', '--json', '--key', keys.agentKey, '--signer', keys.registryPub, '--schema', RDE_SCHEMA, '--no-chain', ...files]);
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  const report = json<{ status: string; findings: Array<{ code: string }> }>(verified);
  assert.deepEqual(report.findings.map((finding) => finding.code), ['AGENT_PARTS_UNBOUND']);
  assert.ok(!existsSync(join(out, `${name}.xml`)), 'nothing decrypted is written next to the files');
});

test('agent ingest --watch takes deposits as they arrive and stops cleanly on SIGTERM', async (t) => {
  const dir = tempDir(t, 'sr-agent-watch-');
  const keys = await agentKeys(dir);
  const repo = join(dir, 'repo');
  const db = (await serverTestDb(t, { migrate: false }))?.spec ?? join(dir, 'catalog');
  const inbox = join(dir, 'inbox');
  mkdirSync(inbox);
  const child = spawn(process.execPath, [CLI, 'agent', 'ingest', '--watch', '--interval', '1', '--settle', '1', '--json', '--repo', repo, '--db', db, '--inbox', inbox], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.after(() => child.kill('SIGKILL'));
  const sealed = await sealXml(keys.keys, join(dir, 'sealed'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  deliver(inbox, sealedFiles(sealed));
  for (let waited = 0; readdirSync(inbox).some((name) => name.endsWith('.ryde') || name.endsWith('.sig')); waited++) {
    assert.ok(waited < 600, `the watcher did not take the deposit: ${stdout}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
  assert.match(stdout, /"test_2010-10-17_full_R0"/);
  const audit = readFileSync(join(repo, 'audit.log'), 'utf8');
  assert.match(audit, /"action":"receive","subject":"test_2010-10-17_full_R0"/);
});
