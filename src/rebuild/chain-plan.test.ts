import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError, type ErrorCode } from '../common/errors.js';
import { CHAIN_DAYS, chainWatermark, writeTestChain } from '../testing/chain-deposits.js';
import { embeddedTestDb } from '../testing/databases.js';
import { planChain } from './chain.js';

const TLD = 'example';
const DAYS = CHAIN_DAYS;
const watermark = chainWatermark;

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-chain-plan-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function rejectsWith(code: ErrorCode, check: (message: string, err: { location?: string | undefined; data?: Record<string, unknown> | undefined }) => void) {
  return (err: unknown) => {
    assert.ok(isStrongroomError(err, code), `expected ${code}, got ${String(err)}`);
    check(err.message, err);
    return true;
  };
}

test('the chain is checked before any database is touched: each broken chain is refused naming the rule, the file and the deposit id', async (t) => {
  const db = await embeddedTestDb(t);
  const dir = await tempDir(t);
  const chain = await writeTestChain(db.db, dir, { tld: TLD, hostModel: 'objects' });
  const [f0, f1, f2] = chain.fulls;
  const [, d1, d2, d3] = chain.diffs;

  // A gap: DIFF d2 missing.
  await assert.rejects(
    planChain([f0!.file, d1!.file, d3!.file]),
    rejectsWith('REBUILD_CHAIN_BROKEN', (message, err) => {
      assert.ok(message.includes(`DIFF ${d3!.id} (${d3!.file}) names prevId ${d2!.id}, which is none of the given deposits`), message);
      assert.ok(message.includes(`stops at DIFF ${d1!.id}`), message);
      assert.equal(err.location, d3!.file);
      assert.equal(err.data?.rule, 'gap');
    }),
  );
  // No FULL; two FULLs.
  await assert.rejects(planChain([d1!.file, d2!.file]), rejectsWith('REBUILD_CHAIN_BASE', (message) => assert.match(message, /none of the 2 deposit\(s\) is a FULL/)));
  await assert.rejects(
    planChain([f0!.file, f1!.file, d2!.file]),
    rejectsWith('REBUILD_CHAIN_BASE', (message) => assert.ok(message.includes(`FULL ${f0!.id} (${f0!.file})`) && message.includes(`FULL ${f1!.id} (${f1!.file})`), message)),
  );
  // DIFFs on the wrong FULL: d2 names d1, which is not given; with FULL d1 instead of d0, d2's prevId names a DIFF.
  await assert.rejects(planChain([f2!.file, d1!.file]), rejectsWith('REBUILD_CHAIN_BROKEN', (message) => assert.ok(message.includes(`names prevId ${f0!.id}`), message)));
  // The same deposit twice (a copy under another name).
  const copy = join(dir, 'copy-of-d1.xml');
  await copyFile(d1!.file, copy);
  await assert.rejects(planChain([f0!.file, d1!.file, copy]), rejectsWith('REBUILD_CHAIN_DUPLICATE', (message) => assert.ok(message.includes(`deposit id ${d1!.id} is given twice`), message)));
  // An INCR with a DIFF between the FULL and it; two INCRs.
  await assert.rejects(planChain([f0!.file, d1!.file, chain.incr.file]), rejectsWith('REBUILD_CHAIN_TYPE', (message) => assert.match(message, /the INCR already holds its changes/)));
  const incr2 = join(dir, 'incr2.xml');
  await writeFile(incr2, (await readFile(chain.incr.file, 'utf8')).replace(/ id="(\w+)"/, ' id="20250108I0001"'));
  await assert.rejects(planChain([f0!.file, chain.incr.file, incr2]), rejectsWith('REBUILD_CHAIN_TYPE', (message) => assert.match(message, /2 INCR deposits given/)));
  // Watermark going back along the chain.
  const early = join(dir, 'early.xml');
  await writeFile(early, (await readFile(d2!.file, 'utf8')).replace(/<rde:watermark>[^<]+</, '<rde:watermark>2025-01-04T00:00:00Z<'));
  await assert.rejects(
    planChain([f0!.file, d1!.file, early]),
    rejectsWith('REBUILD_CHAIN_ORDER', (message) => assert.ok(message.includes(`DIFF ${d2!.id} (${early}) has watermark 2025-01-04T00:00:00Z, earlier than ${watermark(1)}`), message)),
  );
  // Another TLD in a DIFF.
  const other = join(dir, 'other-tld.xml');
  await writeFile(other, (await readFile(d2!.file, 'utf8')).replace(`<rdeHeader:tld>${TLD}</rdeHeader:tld>`, '<rdeHeader:tld>other</rdeHeader:tld>'));
  await assert.rejects(planChain([f0!.file, d1!.file, other]), rejectsWith('REBUILD_CHAIN_TLD', (message) => assert.ok(message.includes(`(${other}) is a deposit of .other`), message)));
  // A DIFF without prevId.
  const orphan = join(dir, 'orphan.xml');
  await writeFile(orphan, (await readFile(d1!.file, 'utf8')).replace(/ prevId="\w+"/, ''));
  await assert.rejects(planChain([f0!.file, orphan]), rejectsWith('REBUILD_CHAIN_BROKEN', (message) => assert.match(message, /has no prevId/)));

  // --until: by day (that day's deposits included), by instant, unknown id, before the FULL.
  assert.deepEqual((await planChain([f0!.file, d1!.file, d2!.file, d3!.file], { until: DAYS[1]! })).apply.map((d) => d.envelope.id), [f0!.id, d1!.id]);
  assert.deepEqual((await planChain([f0!.file, d1!.file, d2!.file], { until: '2025-01-06T23:00:00Z' })).apply.length, 2);
  await assert.rejects(planChain([f0!.file, d1!.file], { until: '20990101D0000' }), rejectsWith('REBUILD_INVALID_ARGUMENT', (message) => assert.match(message, /no deposit of the chain has that id/)));
  await assert.rejects(planChain([f0!.file, d1!.file], { until: '2024-12-31' }), rejectsWith('REBUILD_INVALID_ARGUMENT', (message) => assert.match(message, /before the FULL/)));
  await assert.rejects(planChain([f0!.file], { until: 'next-week!' }), rejectsWith('REBUILD_INVALID_ARGUMENT', () => undefined));
  // With --until, what follows is not read beyond its envelope: a broken later deposit does not matter.
  const broken = join(dir, 'broken-d3.xml');
  await writeFile(broken, (await readFile(d3!.file, 'utf8')).replace('</rde:contents>', '<rdeDomain:domain>'));
  assert.equal((await planChain([f0!.file, d1!.file, d2!.file, broken], { until: d2!.id })).apply.length, 3);
  await assert.rejects(planChain([f0!.file, d1!.file, d2!.file, broken]), (err: unknown) => isStrongroomError(err, 'READER_INVALID_XML'));
});
