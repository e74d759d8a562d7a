import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStrongroomError, type ErrorCode } from '../common/errors.js';
import type { Db } from '../db/adapter.js';
import { writeFullDeposit } from '../deposit/full-deposit.js';
import type { Domain, Header } from '../model/objects.js';
import { readDeposit } from '../reader/index.js';
import { depositXml } from '../testing/deposit-xml.js';
import { CHAIN_DAYS, chainWatermark, writeTestChain } from '../testing/chain-deposits.js';
import { embeddedTestDb, serverTestDb, type TestDb } from '../testing/databases.js';
import { planChain } from './chain.js';
import { compareDatabases } from './compare.js';
import { rebuildChain } from './rebuild-chain.js';

const TLD = 'example';
const DAYS = CHAIN_DAYS;
const watermark = chainWatermark;

type Kind = 'embedded' | 'server';
const open = (t: Parameters<typeof embeddedTestDb>[0], kind: Kind, migrate: boolean): Promise<TestDb | null> =>
  kind === 'embedded' ? embeddedTestDb(t, { migrate }) : serverTestDb(t, { migrate });

async function tempDir(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-chain-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The schema objects of the target (created by no refused rebuild): what must stay exactly as it was. */
async function fingerprint(db: Db): Promise<string> {
  const rows = await db.query<{ what: string }>(
    `SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text AS what FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('registry', 'rde', 'strongroom') ORDER BY 1`,
  );
  return JSON.stringify(rows.map((r) => r.what));
}

function rejectsWith(code: ErrorCode, check: (message: string, err: { location?: string | undefined; data?: Record<string, unknown> | undefined }) => void) {
  return (err: unknown) => {
    assert.ok(isStrongroomError(err, code), `expected ${code}, got ${String(err)}`);
    check(err.message, err);
    return true;
  };
}

// Opening an embedded database costs seconds (initdb): the embedded case rebuilds the chain
// (and refuses a bad DIFF) on one target; the server cases add INCR and --until.
// The cases run side by side (their databases are their own): the file's time is the longest case's.
describe('rebuild from a chain', { concurrency: 3 }, () => {
  for (const { kind, hostModel, more } of [
    { kind: 'embedded' as const, hostModel: 'objects' as const, more: false },
    { kind: 'server' as const, hostModel: 'objects' as const, more: true },
    { kind: 'server' as const, hostModel: 'attributes' as const, more: true },
  ]) {
    test(`chain on the ${kind} database, host ${hostModel}: FULL d0 + DIFF d1…d3 (any order) = the source at d3${more ? ' = INCR d3 on d0; --until stops at d2' : ''}; a bad DIFF leaves the target untouched`, async (t) => {
      const source = await open(t, kind, true);
      if (!source) return;
      const dir = await tempDir(t);
      const chain = await writeTestChain(source.db, dir, { tld: TLD, hostModel });

      // FULL + DIFFs, given out of order: the chain orders them.
      const target = (await open(t, kind, false))!;
      const before = await fingerprint(target.db);

      // All or nothing: the last DIFF's domain names a registrar that does not exist.
      const lastDiff = await readFile(chain.diffs[3]!.file, 'utf8');
      const at = lastDiff.lastIndexOf('<rdeDomain:clID>');
      const dangling = join(dir, 'dangling', `${TLD}_${DAYS[3]}_diff_S1_R0.xml`);
      await mkdir(join(dir, 'dangling'));
      await writeFile(dangling, `${lastDiff.slice(0, at)}<rdeDomain:clID>ghost-registrar${lastDiff.slice(lastDiff.indexOf('</rdeDomain:clID>', at))}`);
      const badPlan = await planChain([chain.fulls[0]!.file, chain.diffs[1]!.file, chain.diffs[2]!.file, dangling]);
      await assert.rejects(
        rebuildChain(target.db, badPlan),
        rejectsWith('REBUILD_CHECK_FAILED', (message) => assert.match(message, /a reference does not resolve: registry\.domain \(cl_id\).*cl_id=ghost-registrar/)),
      );
      assert.equal(await fingerprint(target.db), before, 'a DIFF that does not apply leaves the target untouched');

      // A DIFF whose header counts disagree with the state it leaves.
      const miscounted = join(dir, 'dangling', 'miscounted.xml');
      await writeFile(miscounted, lastDiff.replace(/(uri="urn:ietf:params:xml:ns:rdeDomain-1.0">)(\d+)</, (_m, open: string, n: string) => `${open}${Number(n) + 1}<`));
      await assert.rejects(
        rebuildChain(target.db, await planChain([chain.fulls[0]!.file, chain.diffs[1]!.file, chain.diffs[2]!.file, miscounted])),
        rejectsWith('REBUILD_CHECK_FAILED', (message) => {
          assert.ok(message.includes(`after applying DIFF ${chain.diffs[3]!.id} (${miscounted})`), message);
          assert.match(message, /domain: the header says \d+, the database holds \d+/);
        }),
      );
      assert.equal(await fingerprint(target.db), before, 'a count mismatch leaves the target untouched');

      if (more && hostModel === 'objects') {
        // A DIFF registering a domain whose name server is a host that neither the deposit nor
        // the state before it holds.
        let domain: Domain | undefined;
        let header: Header | undefined;
        for await (const event of readDeposit(createReadStream(chain.fulls[0]!.file))) {
          if (event.type === 'object' && event.object.kind === 'domain') domain ??= event.object.value;
          if (event.type === 'object' && event.object.kind === 'header') header = event.object.value;
        }
        const [base, suffix] = domain!.roid.split('-');
        const ghostDomain: Domain = { ...domain!, roid: `${base}G-${suffix}`, name: `ghost-ns.${TLD}`, ns: { hostObj: ['ns.ghost.example'] } };
        const counts = header!.count.map((c) => (c.uri.includes('rdeDomain') ? { ...c, count: c.count + 1 } : c));
        const ghost = join(dir, 'dangling', 'ghost-ns.xml');
        await writeFile(
          ghost,
          depositXml([{ kind: 'domain', value: ghostDomain }, { kind: 'header', value: { ...header!, count: counts } }], { type: 'DIFF', id: chain.diffs[1]!.id, prevId: chain.fulls[0]!.id, watermark: watermark(1) }),
        );
        await assert.rejects(
          rebuildChain(target.db, await planChain([chain.fulls[0]!.file, ghost])),
          rejectsWith('REBUILD_CHECK_FAILED', (message) => assert.ok(message.includes(`in ${ghost} name no host object`) && message.includes(`ghost-ns.${TLD} → ns.ghost.example`), message)),
        );
        assert.equal(await fingerprint(target.db), before, 'an unresolvable name server leaves the target untouched');
      }

      const plan = await planChain([chain.diffs[3]!.file, chain.diffs[1]!.file, chain.fulls[0]!.file, chain.diffs[2]!.file]);
      assert.deepEqual(
        plan.apply.map((d) => d.envelope.id),
        [chain.fulls[0]!.id, chain.diffs[1]!.id, chain.diffs[2]!.id, chain.diffs[3]!.id],
      );
      const summary = await rebuildChain(target.db, plan);
      assert.deepEqual(summary.state, { id: chain.diffs[3]!.id, type: 'DIFF', watermark: watermark(3) });
      assert.equal(summary.checks.depositsCounted, 4);
      assert.ok(summary.checks.counts.length > 0);
      for (const c of summary.checks.counts) assert.equal(c.database, c.header, `${c.kind} count`);
      for (const d of summary.deposits) assert.equal(d.unmatchedDeletes, 0, `${d.id}: every delete names an object`);
      assert.ok(summary.deposits.slice(1).every((d) => d.deletes > 0 && d.removed > 0));
      assert.equal(summary.tld.hostModel, hostModel);
      const equal = await compareDatabases(source.db, target.db);
      assert.deepEqual(equal.differences, [], 'FULL d0 + DIFF d1…d3 equals the source at d3');
      // And a FULL of the rebuilt database at d3's watermark is byte-identical to FULL d3.
      const redeposit = await writeFullDeposit(target.db, { tld: TLD, outDir: await tempDir(t), watermark: watermark(3) });
      assert.equal(redeposit.sha256, chain.fulls[3]!.sha256, 'rebuilt chain re-deposits byte-identically to FULL d3');

      if (!more) return;
      // INCR d3 on FULL d0.
      const incrTarget = (await open(t, kind, false))!;
      const incrSummary = await rebuildChain(incrTarget.db, await planChain([chain.incr.file, chain.fulls[0]!.file]));
      assert.deepEqual(incrSummary.deposits.map((d) => d.type), ['FULL', 'INCR']);
      assert.deepEqual((await compareDatabases(source.db, incrTarget.db)).differences, [], 'INCR d3 on FULL d0 equals the source at d3');

      // --until the DIFF of day 2 (by id): the state of FULL d2.
      const untilTarget = (await open(t, kind, false))!;
      const untilPlan = await planChain([chain.fulls[0]!.file, chain.diffs[1]!.file, chain.diffs[2]!.file, chain.diffs[3]!.file], { until: chain.diffs[2]!.id });
      assert.deepEqual(untilPlan.after.map((d) => d.envelope.id), [chain.diffs[3]!.id]);
      const untilSummary = await rebuildChain(untilTarget.db, untilPlan);
      assert.deepEqual(untilSummary.notApplied.map((d) => d.id), [chain.diffs[3]!.id]);
      const d2 = await writeFullDeposit(untilTarget.db, { tld: TLD, outDir: await tempDir(t), watermark: watermark(2) });
      assert.equal(d2.sha256, chain.fulls[2]!.sha256, '--until d2 gives exactly the state of FULL d2');
    });
  }
});
