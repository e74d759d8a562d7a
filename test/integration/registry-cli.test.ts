import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT_STATUS } from '../../src/common/errors.js';
import { loadMigrations } from '../../src/db/migrate.js';
import { serverTestDb } from '../../src/testing/databases.js';
import { CLI } from '../../src/testing/paths.js';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('registry generate and db migrate document themselves', async () => {
  const generate = await run(['registry', 'generate', '--help']);
  assert.equal(generate.status, 0);
  for (const text of ['--db <db>', '--tld <tld>', '--domains <n>', '--seed <seed>', '--host-model', '--as-of', 'start of the current UTC day', '--json', 'Exit status:', '8 refused']) {
    assert.ok(generate.stdout.replace(/\s+/g, ' ').includes(text), text);
  }
  const migrate = await run(['db', 'migrate', '--help']);
  assert.equal(migrate.status, 0);
  assert.ok(migrate.stdout.includes('Exit status:') && migrate.stdout.includes('--db <db>'));
});

test('bad arguments fail before any database is touched', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const target = join(dir, 'never-created');
  const badTld = await run(['registry', 'generate', '--db', target, '--tld', 'a_b', '--domains', '100', '--seed', 's', '--json']);
  assert.equal(badTld.status, EXIT_STATUS.usage);
  assert.equal(JSON.parse(badTld.stdout).error.code, 'GENERATE_INVALID_ARGUMENT');
  const badCount = await run(['registry', 'generate', '--db', target, '--tld', 'example', '--domains', 'many', '--seed', 's']);
  assert.equal(badCount.status, EXIT_STATUS.usage);
  const badModel = await run(['registry', 'generate', '--db', target, '--tld', 'example', '--domains', '100', '--seed', 's', '--host-model', 'glue']);
  assert.equal(badModel.status, EXIT_STATUS.usage);
  assert.equal(existsSync(target), false);
});

test('db migrate creates and then keeps the reference schema', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await run(['db', 'migrate', '--db', dir, '--json']);
  assert.equal(first.status, 0, first.stderr);
  const versions = (await loadMigrations()).map((m) => m.version);
  const latest = Math.max(...versions);
  assert.deepEqual(JSON.parse(first.stdout), { database: `embedded:${dir}`, applied: versions, version: latest });
  const second = await run(['db', 'migrate', '--db', dir]);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`up to date \\(schema version ${latest}\\)`));
});

test('registry generate loads a registry, prints a JSON summary, and refuses to load it twice', async (t) => {
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  const args = ['registry', 'generate', '--db', server.spec, '--tld', 'example', '--domains', '120', '--seed', 'cli', '--as-of', '2026-01-01T00:00:00Z', '--json'];
  const first = await run(args);
  assert.equal(first.status, 0, first.stderr);
  const summary = JSON.parse(first.stdout);
  assert.equal(summary.tld, 'example');
  assert.equal(summary.objects.domain, 120);
  assert.equal(summary.objects.registrar, 22);
  assert.equal(summary.rows.domain, 120);
  assert.equal(summary.totalRows, Object.values(summary.rows as Record<string, number>).reduce((a, b) => a + b, 0));
  assert.ok(summary.seconds > 0 && summary.rowsPerSecond > 0);
  assert.equal(summary.asOf, '2026-01-01T00:00:00Z');
  // Progress goes to stderr as JSON lines.
  const events = first.stderr.trim().split('\n').map((line) => JSON.parse(line) as { message_type: string; task?: string });
  assert.ok(events.some((e) => e.message_type === 'task_done' && e.task === 'domains'));
  const [count] = await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM registry.domain WHERE tld = 'example'");
  assert.equal(count?.n, 120);

  const again = await run(args);
  assert.equal(again.status, EXIT_STATUS.refused);
  assert.equal(JSON.parse(again.stdout).error.code, 'DB_NOT_EMPTY');
  const text = await run(args.filter((a) => a !== '--json'));
  assert.equal(text.status, EXIT_STATUS.refused);
  assert.match(text.stderr, /DB_NOT_EMPTY: TLD example already has objects/);
});
