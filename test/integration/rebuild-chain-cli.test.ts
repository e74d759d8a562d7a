import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/testing/cli.js';
import { serverTestDb } from '../../src/testing/databases.js';
import { SAMPLES_DIR } from '../../src/testing/paths.js';

const FULL = join(SAMPLES_DIR, 'example-full.xml');
const DIFF = join(SAMPLES_DIR, 'example-diff.xml');

test('strongroom rebuild of the RFC sample chain (FULL + DIFF) into a new embedded directory; --until; broken chains refused before the target exists', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-rebuild-chain-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  // Refusals first: nothing is created.
  const into = join(dir, 'registry');
  const alone = await runCli(['rebuild', '--into', into, DIFF, '--until', '20101017002']);
  assert.equal(alone.status, 4, alone.stderr);
  assert.match(alone.stderr, /REBUILD_CHAIN_BASE: none of the 1 deposit\(s\) is a FULL deposit/);
  const gap = join(dir, 'gap.xml');
  await writeFile(gap, (await readFile(DIFF, 'utf8')).replace('prevId="20101017001"', 'prevId="20101016001"'));
  const broken = await runCli(['rebuild', '--into', into, FULL, gap, '--json', '--quiet']);
  assert.equal(broken.status, 4);
  const error = (JSON.parse(broken.stdout) as { error: { code: string; message: string; location: string; data: { rule: string } } }).error;
  assert.equal(error.code, 'REBUILD_CHAIN_BROKEN');
  assert.equal(error.location, gap);
  assert.equal(error.data.rule, 'gap');
  assert.ok(error.message.includes(`DIFF 20101017002 (${gap}) names prevId 20101016001, which is none of the given deposits`), error.message);
  const badUntil = await runCli(['rebuild', '--into', into, FULL, DIFF, '--until', '2010-13-01']);
  assert.equal(badUntil.status, 2, badUntil.stderr);
  await assert.rejects(stat(into), 'no refused run created the target directory');

  // The chain, files in any order: the DIFF deletes example2.test; its header counts are the totals after it.
  const text = await runCli(['rebuild', '--into', into, DIFF, FULL]);
  assert.equal(text.status, 0, text.stderr);
  for (const line of [
    'rebuilt     2 deposit(s): FULL 20101017001 + 1 DIFF → the state of DIFF 20101017002, watermark 2010-10-17T00:00:00Z',
    'deposit     DIFF 20101017002 (prevId 20101017001), resend 0, watermark 2010-10-17T00:00:00Z: 0 objects, 1 delete(s); 1 object(s) removed or replaced',
    'objects     10 (registrar 1, contact 2, host 2, domain 1, idnTable 1, nndn 1, eppParams 1, policy 1)',
    "checks      counts equal each deposit's header once applied (2 deposit(s); the last: 7 object kind(s))",
  ]) {
    assert.ok(text.stdout.includes(line), `summary has "${line}":\n${text.stdout}`);
  }

  // --until the FULL's id: the DIFF is checked as part of the chain but not applied (on the server: a second embedded database costs seconds).
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  const until = await runCli(['rebuild', '--into', server.spec, FULL, DIFF, '--until', '20101017001', '--json', '--quiet']);
  assert.equal(until.status, 0, until.stderr);
  const summary = JSON.parse(until.stdout) as { totalObjects: number; state: { id: string }; notApplied: Array<{ id: string; file: string }> };
  assert.equal(summary.totalObjects, 11);
  assert.equal(summary.state.id, '20101017001');
  assert.deepEqual(summary.notApplied.map((d) => [d.id, d.file]), [['20101017002', DIFF]]);
});
