import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverTestDb } from '../../src/testing/databases.js';
import { CLI, SAMPLES_DIR } from '../../src/testing/paths.js';

const EXAMPLE = join(SAMPLES_DIR, 'example-full.xml');

function run(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

test('strongroom rebuild and compare on the server: summary, refusal of a non-empty target, exit statuses', async (t) => {
  const target = await serverTestDb(t, { migrate: false });
  if (!target) return;
  const other = (await serverTestDb(t))!;

  const rebuilt = run(['rebuild', '--into', target.spec, EXAMPLE, '--json', '--quiet']);
  assert.equal(rebuilt.status, 0, rebuilt.stderr);
  const summary = JSON.parse(rebuilt.stdout) as { totalObjects: number; tld: { name: string }; deposit: { id: string }; bytes: number; objectsPerSecond: number };
  assert.equal(summary.totalObjects, 11);
  assert.equal(summary.tld.name, 'test');
  assert.equal(summary.deposit.id, '20101017001');
  assert.equal(summary.bytes, (await stat(EXAMPLE)).size);

  const text = run(['rebuild', '--into', other.spec, EXAMPLE]);
  assert.equal(text.status, 0, text.stderr);
  for (const line of ['rebuilt ', 'deposit     FULL 20101017001', 'objects     11 (', 'checks      counts equal the header', 'size ', 'time ']) assert.ok(text.stdout.includes(line), `summary has "${line}":\n${text.stdout}`);

  const again = run(['rebuild', '--into', target.spec, EXAMPLE]);
  assert.equal(again.status, 8, 'a non-empty target is refused');
  assert.match(again.stderr, /REBUILD_TARGET_NOT_EMPTY/);

  const equal = run(['compare', target.spec, other.spec]);
  assert.equal(equal.status, 0, equal.stdout + equal.stderr);
  assert.match(equal.stdout, /verdict\s+EQUAL/);

  await other.db.exec(`UPDATE registry.domain SET ex_date = '2016-04-03T22:00:00Z' WHERE name = 'example2.test'`);
  const different = run(['compare', target.spec, other.spec, '--json', '--quiet']);
  assert.equal(different.status, 1, 'different databases exit 1');
  const result = JSON.parse(different.stdout) as { equal: boolean; differences: Array<{ object: string; field: string; a: string; b: string }> };
  assert.equal(result.equal, false);
  assert.deepEqual(result.differences, [{ kind: 'domain', object: 'example2.test (Dexample2-TEST)', field: 'exDate', a: '"2015-04-03T22:00:00Z"', b: '"2016-04-03T22:00:00Z"' }]);
});

test('strongroom rebuild into a new embedded directory: a failed rebuild leaves no directory behind', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-rebuild-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const broken = join(dir, 'broken.xml');
  const xml = await readFile(EXAMPLE, 'utf8');
  await writeFile(broken, xml.replace('<rdeHost:crDate>1999-05-08T12:10:00.0Z</rdeHost:crDate>', '<rdeHost:crDate>last spring</rdeHost:crDate>'));
  const into = join(dir, 'registry');
  const failed = run(['rebuild', '--into', into, broken]);
  assert.equal(failed.status, 4, failed.stderr);
  assert.match(failed.stderr, /READER_INVALID_OBJECT: host ns1\.example1\.test, crDate \(line \d+, column \d+\): "last spring" is not an RFC 3339 date-time/);
  await assert.rejects(stat(into), 'the embedded database directory the run created is gone');
  assert.equal(run(['rebuild', '--into', into, join(dir, 'missing.xml')]).status, 7, 'a missing deposit file is an I/O error');
});
