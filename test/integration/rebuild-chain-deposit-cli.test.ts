import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/testing/cli.js';
import { serverTestDb } from '../../src/testing/databases.js';

async function ok(args: string[]): Promise<string> {
  const run = await runCli([...args, '--json', '--quiet']);
  assert.equal(run.status, 0, `strongroom ${args.join(' ')}: ${run.stdout}${run.stderr}`);
  return run.stdout;
}

test('end to end with the CLI: generate, deposit full, churn, deposit diff twice, rebuild the chain, compare equal (server)', async (t) => {
  const source = await serverTestDb(t);
  if (!source) return;
  const target = (await serverTestDb(t, { migrate: false }))!;
  const dir = await mkdtemp(join(tmpdir(), 'sr-chain-e2e-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  await ok(['registry', 'generate', '--db', source.spec, '--tld', 'example', '--domains', '60', '--seed', 'chain-e2e', '--as-of', '2025-01-05T00:00:00Z']);
  const files = [(JSON.parse(await ok(['deposit', '--db', source.spec, '--tld', 'example', '--type', 'full', '--out', join(dir, 'full'), '--watermark', '2025-01-05T00:00:00Z', '--jobs', '0'])) as { file: string }).file];
  for (const [day, at] of [
    ['2025-01-06', '2025-01-05T12:00:00Z'],
    ['2025-01-07', '2025-01-06T12:00:00Z'],
  ] as const) {
    await ok(['registry', 'churn', '--db', source.spec, '--tld', 'example', '--changes', '12', '--seed', `e2e-${day}`, '--at', at]);
    const diff = JSON.parse(await ok(['deposit', '--db', source.spec, '--tld', 'example', '--type', 'diff', '--out', join(dir, 'diff'), '--watermark', `${day}T00:00:00Z`, '--jobs', '0'])) as { file: string };
    files.push(diff.file);
  }

  const summary = JSON.parse(await ok(['rebuild', '--into', target.spec, ...files.reverse()])) as {
    deposits: Array<{ type: string; unmatchedDeletes: number }>;
    state: { watermark: string };
  };
  assert.deepEqual(summary.deposits.map((d) => d.type), ['FULL', 'DIFF', 'DIFF']);
  assert.deepEqual(summary.deposits.map((d) => d.unmatchedDeletes), [0, 0, 0]);
  assert.equal(summary.state.watermark, '2025-01-07T00:00:00Z');
  const compared = await runCli(['compare', source.spec, target.spec]);
  assert.equal(compared.status, 0, compared.stdout + compared.stderr);
  assert.match(compared.stdout, /verdict\s+EQUAL/);
});
