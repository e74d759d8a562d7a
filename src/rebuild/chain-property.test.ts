/**
 * Property: for a random workload between deposits, with a writer committing while the
 * deposits are written,
 *
 *   rebuild(FULL d0 + DIFF d1…d6) == rebuild(INCR d6 on FULL d0) == rebuild(FULL d6) == the source at d6
 *
 * (logical equality, `compare`). Each seed draws its registry (host model), each day's number
 * of changes and whether a second connection churns while that day's DIFF is written. The
 * workload per day: `churnRegistry` with the stress mix (create, update — statuses and name
 * servers —, renames of in-bailiwick and of shared hosts, transfer, renew, delete, a name deleted and registered again, contact update) and the fixed
 * changes of `mutateRegistry` (a host deleted, a contact created and one that lost its last link
 * deleted, a registrar updated, auto-renewals). A concurrent writer starts once a DIFF's
 * snapshot is open and commits change after change while the DIFF is being written. Day 6 is written without a concurrent writer so
 * that its DIFF, INCR and FULL show one and the same state — the source's.
 * Server only: the concurrent writer needs a second connection (PGlite has one).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noProgress } from '../common/progress.js';
import type { Db } from '../db/adapter.js';
import { ServerDb } from '../db/server.js';
import { writeDiffDeposit, writeIncrDeposit } from '../deposit/diff-deposit.js';
import { writeFullDeposit } from '../deposit/full-deposit.js';
import { CHURN_MIX_STRESS, churnRegistry } from '../generate/churn.js';
import { generateRegistry } from '../generate/generate.js';
import { Rng, seedKey } from '../generate/random.js';
import { mutateRegistry } from '../testing/chain-deposits.js';
import { serverTestDb } from '../testing/databases.js';
import { planChain } from './chain.js';
import { compareDatabases } from './compare.js';
import { rebuildChain } from './rebuild-chain.js';

const TLD = 'example';
const DAYS = 6;
const at = (day: number, hours = 0, seconds = 0) => new Date(Date.UTC(2025, 0, 5 + day, hours, 0, seconds)).toISOString().replace('.000Z', 'Z');

async function equalTo(source: Db, target: Db, what: string): Promise<void> {
  const result = await compareDatabases(source, target);
  assert.deepEqual(result.differences, [], `${what} equals the source at d6`);
  assert.equal(result.equal, true);
}

// The seeds run side by side (their databases are their own): the file's time is the longest seed's.
describe('chain property', { concurrency: 3 }, () => {
  for (const seed of ['chain-property-1', 'chain-property-2', 'chain-property-3']) {
    test(`property, seed ${seed}: FULL d0 + DIFF d1…d6 = INCR d6 on d0 = FULL d6 = the source, with a concurrent writer`, async (t) => {
      const source = await serverTestDb(t);
      if (!source) return;
      const other = await ServerDb.open(source.spec);
      t.after(() => other.close());
      const rng = Rng.forObject(seedKey(seed), 1, 0);
      const hostModel = rng.chance(0.5) ? 'objects' : 'attributes';
      const dir = await mkdtemp(join(tmpdir(), 'sr-chain-property-'));
      t.after(() => rm(dir, { recursive: true, force: true }));
      for (const sub of ['full0', 'diff', 'incr', 'full6']) await mkdir(join(dir, sub));

      await generateRegistry(source.db, { tld: TLD, domains: 90, seed, hostModel, asOf: at(0) });
      const full0 = await writeFullDeposit(source.db, { tld: TLD, outDir: join(dir, 'full0'), watermark: at(0), jobs: 0 });
      const diffs: string[] = [];
      let concurrentDays = 0;
      for (let day = 1; day <= DAYS; day++) {
        await churnRegistry(source.db, { tld: TLD, changes: rng.between(3, 25), seed: `${seed}/day${day}`, at: at(day - 1, 12), mix: CHURN_MIX_STRESS });
        await mutateRegistry(source.db, TLD, day, at(day - 1, 13));
        if (day < DAYS && rng.chance(0.7)) {
          // A writer on another connection, committing one change after another while the DIFF is
          // written: it starts once the DIFF's snapshot is open (the writer's first progress task),
          // so its changes belong to the next DIFF, whenever they commit.
          concurrentDays++;
          let opened!: () => void;
          const snapshot = new Promise<void>((resolve) => (opened = resolve));
          const progress = { ...noProgress, task: () => (opened(), { add() {}, done() {} }) };
          const late = snapshot.then(() => churnRegistry(other, { tld: TLD, changes: rng.between(5, 15), seed: `${seed}/late${day}`, at: at(day - 1, 18), mix: CHURN_MIX_STRESS }));
          const [diff] = await Promise.all([writeDiffDeposit(source.db, { tld: TLD, outDir: join(dir, 'diff'), watermark: at(day), jobs: 0, progress }), late]);
          diffs.push(diff.file);
        } else {
          diffs.push((await writeDiffDeposit(source.db, { tld: TLD, outDir: join(dir, 'diff'), watermark: at(day), jobs: 0 })).file);
        }
      }
      const incr = await writeIncrDeposit(source.db, { tld: TLD, outDir: join(dir, 'incr'), watermark: at(DAYS, 0, 1), jobs: 0 });
      const full6 = await writeFullDeposit(source.db, { tld: TLD, outDir: join(dir, 'full6'), watermark: at(DAYS, 0, 2), jobs: 0 });
      t.diagnostic(`host ${hostModel}; ${concurrentDays} day(s) with a concurrent writer`);

      const chained = (await serverTestDb(t, { migrate: false }))!;
      const summary = await rebuildChain(chained.db, await planChain([full0.file, ...diffs].reverse()));
      assert.deepEqual(summary.deposits.map((d) => d.type), ['FULL', ...diffs.map(() => 'DIFF')]);
      for (const d of summary.deposits) {
        assert.equal(d.unmatchedDeletes, 0, `${d.id}: every delete names an object of the state before it (${d.unmatchedExamples.join(', ')})`);
        for (const c of d.counts) assert.equal(c.database, c.header, `${d.id}: ${c.kind} count`);
      }
      await equalTo(source.db, chained.db, 'FULL d0 + DIFF d1…d6');

      const incremental = (await serverTestDb(t, { migrate: false }))!;
      await rebuildChain(incremental.db, await planChain([incr.file, full0.file]));
      await equalTo(source.db, incremental.db, 'INCR d6 on FULL d0');

      const whole = (await serverTestDb(t, { migrate: false }))!;
      await rebuildChain(whole.db, await planChain([full6.file]));
      await equalTo(source.db, whole.db, 'FULL d6');
    });
  }
});
