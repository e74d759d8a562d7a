import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../../src/testing/paths.js';
import { assertSchemaValid } from '../../src/testing/rde-schema.js';

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

test('strongroom demo: a sample registry and a valid FULL deposit of it, where it says', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-demo-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const work = join(dir, 'demo');
  const result = run(['demo', '--dir', work, '--domains', '60', '--seed', 'demo-test', '--as-of', '2025-01-05T00:00:00Z', '--json', '--quiet']);
  assert.equal(result.status, 0, result.stderr);
  const summary = JSON.parse(result.stdout) as {
    dir: string;
    registry: { tld: string; asOf: string; objects: { domain: number } };
    deposit: { file: string; sha256: string; counts: { domain: number }; watermark: string; findings: { errors: number } };
  };
  assert.equal(summary.dir, work);
  assert.equal(summary.registry.objects.domain, 60);
  assert.equal(summary.deposit.counts.domain, 60);
  assert.equal(summary.deposit.watermark, '2025-01-05T00:00:00Z');
  assert.equal(summary.deposit.file, join(work, 'deposits', 'example_2025-01-05_full_S1_R0.xml'));
  assert.equal(summary.deposit.findings.errors, 0);
  assert.equal(createHash('sha256').update(await readFile(summary.deposit.file)).digest('hex'), summary.deposit.sha256);
  assertSchemaValid(t, summary.deposit.file);

  const text = run(['demo', '--dir', work]);
  assert.equal(text.status, 8, 'a non-empty directory is refused');
  assert.match(text.stderr, /DEMO_DIR_NOT_EMPTY/);
  assert.equal(run(['demo', '--dir', join(dir, 'never'), '--domains', '3']).status, 2, 'fewer domains than the edge cases is a usage error');
  await assert.rejects(stat(join(dir, 'never')), 'and nothing was created');
});
