/**
 * Writing the big kinds of a FULL deposit from PostgreSQL-rendered XML (./sql-render.ts).
 *
 * The kind's key ranges are rendered on one or more "lanes": the snapshot's own transaction
 * and, on a server, extra connections reading the same snapshot (`pg_export_snapshot()` /
 * `SET TRANSACTION SNAPSHOT`), so that the server renders on several cores. A lane receives a
 * range's binary COPY output, writes clean objects as they are, and sends the others through
 * the object reader and `stepObject` (pre-flight, cross-object findings, quarantine cascade)
 * exactly as the in-process writer does. Ranges are handed back in key order, at most one per
 * lane ahead of the writer, so memory stays bounded by a few ranges.
 */
import type { Finding } from '../common/findings.js';
import { StrongroomError } from '../common/errors.js';
import { sqlLiteral, type Tx } from '../db/adapter.js';
import { ServerDb } from '../db/server.js';
import type { Db } from '../db/adapter.js';
import { PostgresRegistrySource, type KeyRange, type RangedKind } from '../sources/postgres-source.js';
import { stepObject, type KindWriter, type StepContext } from './object-step.js';
import { identityCheck, parseBinaryCopy, renderQuery, type RenderContext, type RenderExclusions, type RenderRange } from './sql-render.js';

/** Parents per rendered range: large enough to amortise a query's planning, small enough to hold a few. */
export const RENDER_RANGE = 5000;

/** Most lanes (connections) used; the server's cores are the limit, not the client's. */
const MAX_LANES = 4;

export interface RangeOutcome {
  /** The XML of the objects written, in key order: slices of the COPY output (see `DepositSink.writeParts`). */
  parts: Buffer[];
  /** Objects read, objects written. */
  objects: number;
  written: number;
  findings: Finding[];
  quarantine: Array<{ key: string; object: string }>;
  /** An object failed and the run does not quarantine. */
  failed: boolean;
}

/**
 * A DIFF's ranges of changed keys (`keysPerRange` each, `pageRanges`) joined into about two per
 * lane — every lane busy, and few rendering queries, each of which reads the journal's window
 * once — with at most RENDER_RANGE keys in any.
 */
export function joinRanges(ranges: readonly KeyRange[], keysPerRange: number, lanes: number): KeyRange[] {
  const per = Math.max(1, Math.min(Math.floor(RENDER_RANGE / keysPerRange), Math.ceil(ranges.length / (2 * lanes))));
  const joined: KeyRange[] = [];
  for (let i = 0; i < ranges.length; i += per) joined.push({ after: ranges[i]!.after, last: ranges[Math.min(i + per, ranges.length) - 1]!.last });
  return joined;
}

/** Render one range on one lane. */
async function renderRange(lane: PostgresRegistrySource, writer: KindWriter, step: StepContext, ctx: RenderContext, ex: RenderExclusions, range: KeyRange): Promise<RangeOutcome> {
  const chunks: Buffer[] = [];
  const kind = writer.kind as RangedKind;
  // With the change filter (DIFF, INCR), the range's changed keys only.
  const scope: RenderRange = lane.changedSince === undefined ? range : { ...range, changes: lane.journalWindow(kind, range) };
  for await (const chunk of lane.tx.copyTo(renderQuery(kind, ctx, scope, ex), 'binary')) chunks.push(chunk);
  const rows = parseBinaryCopy(chunks, identityCheck(kind, ctx));
  const out: Buffer[] = [];
  const findings: Finding[] = [];
  const quarantine: RangeOutcome['quarantine'] = [];
  let written = 0;
  let objects = 0;
  let failed = false;
  let previous = range.after;
  const own: Finding[] = [];
  for (const row of rows) {
    if (row.clean) {
      out.push(row.xml);
      written++;
      objects++;
    } else if (previous === null || row.key !== previous) {
      // Read the object again by its key (the range (previous, key] holds exactly it, or every
      // row sharing a duplicated key) and check it as the in-process writer does.
      for await (const value of writer.read(lane, { after: previous, last: row.key })) {
        objects++;
        own.length = 0;
        const result = stepObject(writer, value, step, own);
        findings.push(...own);
        if (result.xml === null) {
          if (step.quarantining) quarantine.push({ key: result.quarantineKey, object: result.object });
          else failed = true;
        } else {
          // The serializer's XML: the rendering is exact only for clean objects (sql-render.ts).
          out.push(Buffer.from(result.xml, 'utf8'));
          written++;
        }
      }
    }
    previous = row.key;
  }
  return { parts: out, objects, written, findings, quarantine, failed };
}

/**
 * Lanes over the snapshot of `source`: the source itself, plus (server only) `extra` connections
 * that import its snapshot. `close()` ends their transactions.
 */
export async function openLanes(db: Db, source: PostgresRegistrySource, wanted: number): Promise<{ lanes: PostgresRegistrySource[]; close: () => Promise<void> }> {
  const lanes: PostgresRegistrySource[] = [source];
  const extra = db instanceof ServerDb ? Math.min(Math.max(wanted, 1), MAX_LANES) - 1 : 0;
  if (extra === 0 || !(db instanceof ServerDb)) return { lanes, close: async () => undefined };
  const snapshotId = await source.exportSnapshot();
  const lanePool = await ServerDb.open(db.connectionUrl, { max: extra });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const ready: Array<Promise<void>> = [];
  const running: Array<Promise<void>> = [];
  for (let i = 0; i < extra; i++) {
    let opened!: (tx: Tx) => void;
    let refused!: (err: unknown) => void;
    ready.push(
      new Promise<Tx>((resolve, reject) => {
        opened = resolve;
        refused = reject;
      }).then((tx) => {
        lanes.push(PostgresRegistrySource.attach(tx, source.describe()));
      }),
    );
    running.push(
      lanePool
        .transaction(
          async (tx) => {
            // The first statement of the transaction: from here on it sees the deposit's snapshot.
            await tx.query(`SET TRANSACTION SNAPSHOT ${sqlLiteral(snapshotId)}`);
            opened(tx);
            await released;
          },
          { isolation: 'repeatable read', readOnly: true },
        )
        .catch((err: unknown) => refused(err)),
    );
  }
  const close = async () => {
    release();
    await Promise.all(running);
    await lanePool.close();
  };
  try {
    await Promise.all(ready);
  } catch (err) {
    await close();
    throw err;
  }
  return { lanes, close };
}

/**
 * Render every range of a kind on the lanes and hand each range's outcome to `consume`, in key
 * order. At most one range per lane is in flight beyond the one being consumed.
 */
export async function renderKind(
  lanes: readonly PostgresRegistrySource[],
  writer: KindWriter,
  step: StepContext,
  ctx: RenderContext,
  ex: RenderExclusions,
  ranges: readonly KeyRange[],
  consume: (outcome: RangeOutcome) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  // The lanes already keep the server's cores busy: a parallel plan's workers would only add
  // their start-up and gather costs (and the session's setting ends with its transaction).
  // Index order is cheap here (the ranges are of primary keys, the pages mostly cached): it saves
  // the children's sorts, and at 1M domains the name server join hashes the whole host table
  // for every range without it.
  // A FULL's domains with host objects: no hash joins. The name servers' view joins host names to domain_ns;
  // hashing the whole host table for every range of 5000 domains (72,508 hosts at 1M) costs more
  // than looking up the range's ~12,000 names by the host key (1M domains: ~15.0 → ~13.7 µs of
  // server CPU per domain). The other joins of these queries are merge joins anyway. Reset at
  // the end: the lanes' transactions go on to other queries.
  const noHash = writer.kind === 'domain' && ctx.tld.hostModel === 'objects' && lanes[0]?.changedSince === undefined;
  for (const lane of lanes) {
    await lane.tx.query('SET LOCAL max_parallel_workers_per_gather = 0');
    await lane.tx.query('SET LOCAL random_page_cost = 1.1');
    if (noHash) await lane.tx.query('SET LOCAL enable_hashjoin = off');
  }
  const tails: Array<Promise<unknown>> = lanes.map(() => Promise.resolve());
  // Each entry is dropped once consumed: holding the outcomes would keep every range's bytes.
  const results: Array<Promise<RangeOutcome> | undefined> = [];
  const start = (index: number) => {
    const lane = index % lanes.length;
    const result = tails[lane]!.then(() => renderRange(lanes[lane]!, writer, step, ctx, ex, ranges[index]!));
    // A failure is seen when its turn comes; until then it must not count as unhandled.
    result.catch(() => undefined);
    tails[lane] = result.catch(() => undefined);
    results.push(result);
  };
  try {
    for (let index = 0; index < ranges.length; index++) {
      while (results.length < ranges.length && results.length <= index + lanes.length - 1) start(results.length);
      if (signal?.aborted) throw new StrongroomError('INTERRUPTED', 'the deposit was interrupted; nothing was published');
      const outcome = await results[index]!;
      results[index] = undefined;
      await consume(outcome);
    }
  } finally {
    // Stopped early: let the lanes finish what they started before their transactions end.
    await Promise.all(tails);
    if (noHash) for (const lane of lanes) await lane.tx.query('RESET enable_hashjoin').catch(() => undefined);
  }
}
