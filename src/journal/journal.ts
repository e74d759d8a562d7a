/**
 * The change journal (migration 002, docs/schema-mapping.md "Change journal"): which objects
 * changed between two deposit snapshots, which of them were deleted, and its housekeeping.
 *
 * Exactness rests on snapshot visibility alone. Each journal entry carries the id of the
 * transaction that wrote it; a deposit reads in one REPEATABLE READ transaction whose snapshot
 * (`pg_current_snapshot()`) is recorded in strongroom.deposit. The entries a DIFF covers are
 * those its own snapshot sees (the only ones its transaction can read) and the previous
 * deposit's snapshot does not (`NOT pg_visible_in_snapshot(xid, previous)`). Snapshots taken one
 * after the other see growing sets of transactions, so consecutive windows neither overlap nor
 * leave gaps: a transaction committing while a deposit is written is invisible to that
 * deposit's snapshot and lands in the next DIFF, exactly once.
 */
import { StrongroomError } from '../common/errors.js';
import type { Db, Queryable, Tx } from '../db/adapter.js';
import { sqlLiteral } from '../db/adapter.js';
import type { SourceKind, TldInfo } from '../sources/source.js';
import { copyRows } from '../sources/copy-text.js';

const lit = sqlLiteral;

/** A recorded deposit a DIFF or INCR is computed against. */
export interface BaseDeposit {
  id: string;
  resend: number;
  type: 'FULL' | 'DIFF' | 'INCR';
  watermark: string;
  snapshot: string;
  snapshotTime: string;
  /** The registry's objects per kind at its snapshot (its header counts), if recorded (migration 004). */
  totals: Partial<Record<SourceKind, number>> | null;
}

/**
 * The deposit a new one follows: for a DIFF the latest FULL or DIFF of the TLD (Spec 2 §1.2:
 * "all transactions that were not reflected in the last previous Full or Differential
 * Deposit"), for an INCR the latest FULL (RFC 8909 §5.1). Latest = most recent snapshot; of
 * resends of the same deposit the highest. Null when there is none.
 */
export async function baseDeposit(tx: Queryable, tld: string, type: 'DIFF' | 'INCR'): Promise<BaseDeposit | null> {
  const types = type === 'DIFF' ? ['FULL', 'DIFF'] : ['FULL'];
  // `totals` through to_jsonb: NULL, not an error, in a database without migration 004.
  const rows = await tx.query<{ id: string; resend: number; type: BaseDeposit['type']; watermark: string; snapshot: string; snapshot_time: string; totals: string | Record<string, number> | null }>(
    `SELECT id, resend, type, watermark, snapshot, snapshot_time, to_jsonb(d) -> 'totals' AS totals FROM strongroom.deposit d
     WHERE tld = $1 AND type = ANY($2::text[]) ORDER BY snapshot_time DESC, resend DESC LIMIT 1`,
    [tld, types],
  );
  const row = rows[0];
  if (!row) return null;
  const totals = typeof row.totals === 'string' ? (JSON.parse(row.totals) as Record<string, number> | null) : row.totals;
  return { id: row.id, resend: row.resend, type: row.type, watermark: row.watermark, snapshot: row.snapshot, snapshotTime: row.snapshot_time, totals: totals ?? null };
}

/** Since when the journal is complete (its triggers' start, moved forward by pruning). */
export async function journalHorizon(tx: Queryable): Promise<{ since: string; reason: string; tld: string | null; id: string | null; pruned: number }> {
  const [present] = await tx.query<{ ok: boolean }>("SELECT to_regclass('strongroom.journal_horizon') IS NOT NULL AS ok");
  if (!present?.ok) {
    throw new StrongroomError('DB_SCHEMA_MISSING', 'the database has no change journal (strongroom.journal, migration 002): run `strongroom db migrate`, or install it for a mapped schema (docs/schema-mapping.md)');
  }
  const [row] = await tx.query<{ since: string; reason: string; tld: string | null; id: string | null; pruned: number }>('SELECT since, reason, tld, id, pruned::int AS pruned FROM strongroom.journal_horizon');
  if (!row) throw new StrongroomError('DB_SCHEMA_MISSING', 'strongroom.journal_horizon is empty: the change journal was not installed completely (migration 002)');
  return row;
}

/** Refuse a base deposit older than the journal: the DIFF would silently miss changes. */
export async function checkJournalCovers(tx: Queryable, base: BaseDeposit, tld: string): Promise<void> {
  const horizon = await journalHorizon(tx);
  const [row] = await tx.query<{ older: boolean }>('SELECT $1::timestamptz < $2::timestamptz AS older', [base.snapshotTime, horizon.since]);
  if (row?.older) {
    const why =
      horizon.reason === 'pruned' ? `the journal was pruned up to deposit ${horizon.id ?? '?'} of ${horizon.tld ?? '?'}` : horizon.reason === 'installed' ? 'the change journal was installed after it' : `a ${horizon.reason} bypassed the journal after it`;
    throw new StrongroomError(
      'JOURNAL_INCOMPLETE',
      `the previous deposit ${base.id} of ${tld} (snapshot taken ${base.snapshotTime}) is older than the change journal (complete since ${horizon.since}): ${why}; write a FULL deposit first`,
      { data: { base: base.id, snapshotTime: base.snapshotTime, journalSince: horizon.since } },
    );
  }
}

/** Kinds with a delete element (RFC 9022), in the order their deletes are written. */
export type DeletableKind = 'domain' | 'host' | 'contact' | 'nndn' | 'idnTable' | 'registrar';

/**
 * Order of `<rde:deletes>`: referring objects before the objects they refer to, so a rebuild
 * applying them in document order never removes something still referenced.
 */
export const DELETE_ORDER: readonly DeletableKind[] = ['domain', 'host', 'contact', 'nndn', 'idnTable', 'registrar'];

interface DeleteSpec {
  view: string;
  key: string;
  /** Per-TLD kinds: only entries and objects of the deposit's TLD count. */
  perTld: boolean;
}

const DELETE_SPECS: Readonly<Record<DeletableKind, DeleteSpec>> = {
  domain: { view: 'rde.domain', key: 'roid', perTld: true },
  host: { view: 'rde.host', key: 'roid', perTld: false },
  contact: { view: 'rde.contact', key: 'id', perTld: false },
  nndn: { view: 'rde.nndn', key: 'a_name', perTld: true },
  idnTable: { view: 'rde.idn_table', key: 'id', perTld: true },
  registrar: { view: 'rde.registrar', key: 'id', perTld: false },
};

/** One deleted object: its key and (domains, hosts) its last name. */
export interface DeletedObject {
  key: string;
  name: string | null;
}

/**
 * The objects of `kind` deleted in the window (`window` is PostgresRegistrySource.journalWindow
 * of the kind): absent from this snapshot, and present in the previous one — which the journal
 * tells without reading that snapshot: the first own-row entry of the window is an update or a
 * delete, not an insert (an object created and deleted inside the window was never deposited,
 * so it is not "deleted" either). The name is that of the last version deleted. In key order,
 * streamed.
 */
export async function* deletedObjects(tx: Tx, kind: DeletableKind, tld: TldInfo, window: string): AsyncGenerator<DeletedObject> {
  const spec = DELETE_SPECS[kind];
  const inTld = spec.perTld ? ` AND j.tld = ${lit(tld.name)}` : '';
  // One pass over the window's own-row entries, grouped by key: the first operation and the
  // name of the last update or delete (a per-key lookup would rescan the window for every key).
  const sql =
    `SELECT f.key, f.name FROM (` +
    `SELECT j.key, (array_agg(j.op ORDER BY j.seq))[1] AS first, ` +
    `(array_agg(j.name ORDER BY j.seq DESC) FILTER (WHERE j.op IN ('update', 'delete')))[1] AS name ` +
    `FROM strongroom.journal j WHERE ${window} AND j.op <> 'child'${inTld} GROUP BY j.key) f ` +
    `WHERE f.first <> 'insert' AND NOT EXISTS (SELECT 1 FROM ${spec.view} v WHERE v.${spec.key} = f.key${spec.perTld ? ` AND v.tld = ${lit(tld.name)}` : ''}) ` +
    `ORDER BY f.key`;
  for await (const rows of copyRows(tx.copyTo(sql))) {
    for (const row of rows) yield { key: row[0] ?? '', name: row[1] ?? null };
  }
}

/** The kinds whose header count `changedTotals` derives (the big ones; the others are counted). */
export const DERIVED_KINDS = ['domain', 'host', 'contact'] as const satisfies readonly DeletableKind[];

/**
 * How many objects of `kind` the window created less how many it deleted: this snapshot's count
 * of the kind less the previous deposit's (RFC 9022 §5.9.1 header counts), from the journal
 * alone, as exactly as `deletedObjects` decides what was deleted. An object's existence changes
 * only through an own-row insert or delete, so only keys with own-row entries in the window
 * count: the previous snapshot held the object if the window's first such entry is not an
 * insert (see `deletedObjects`), this one holds it if its view shows it now.
 */
export async function changedTotal(tx: Queryable, kind: (typeof DERIVED_KINDS)[number], tld: TldInfo, window: string): Promise<number> {
  const spec = DELETE_SPECS[kind];
  const inTld = spec.perTld ? ` AND j.tld = ${lit(tld.name)}` : '';
  const [row] = await tx.query<{ delta: number }>(
    `SELECT coalesce(sum((EXISTS (SELECT 1 FROM ${spec.view} v WHERE v.${spec.key} = f.key${spec.perTld ? ` AND v.tld = ${lit(tld.name)}` : ''}))::int - (f.first <> 'insert')::int), 0)::int AS delta ` +
      `FROM (SELECT j.key, (array_agg(j.op ORDER BY j.seq))[1] AS first FROM strongroom.journal j WHERE ${window} AND j.op <> 'child'${inTld} GROUP BY j.key) f`,
  );
  return row?.delta ?? 0;
}

// ---------------------------------------------------------------------------------------------
// Housekeeping

/** What `journal status` shows. */
export interface JournalStatus {
  entries: number;
  oldest: string | null;
  newest: string | null;
  since: string;
  /** Why the journal starts at `since`: installed, pruned, or a TRUNCATE that bypassed it. */
  sinceReason: string;
  pruned: number;
  /** Per TLD: the last FULL confirmed delivered (the pruning cut), null if none. */
  tlds: Array<{ tld: string; lastDeliveredFull: { id: string; resend: number; snapshotTime: string } | null; pendingDeposits: number }>;
  /** Entries `prune` would remove now. */
  prunable: number;
  /** Why nothing more can be pruned, when that is so. */
  blockedBy: string | null;
}

interface Cut {
  tld: string;
  id: string;
  resend: number;
  snapshot: string;
  snapshotTime: string;
}

/**
 * The pruning cut: the oldest of the TLDs' last FULL deposits confirmed delivered. Every later
 * DIFF or INCR (and any resend of one after its FULL) is computed against a snapshot taken at or
 * after it, and sees every entry that snapshot sees: those entries are needed by no deposit to
 * come. A TLD without a delivered FULL blocks pruning altogether (its first DIFF after its FULL
 * needs everything since).
 */
async function pruneCut(tx: Queryable): Promise<{ cut: Cut | null; blockedBy: string | null; tlds: JournalStatus['tlds'] }> {
  const rows = await tx.query<{ tld: string; id: string | null; resend: number | null; snapshot: string | null; snapshot_time: string | null; pending: number }>(
    `SELECT t.name AS tld, f.id, f.resend, f.snapshot, f.snapshot_time,
            (SELECT count(*)::int FROM strongroom.deposit p WHERE p.tld = t.name AND p.delivered_at IS NULL AND p.type <> 'THIN') AS pending
     FROM rde.tld t
     LEFT JOIN LATERAL (SELECT id, resend, snapshot, snapshot_time FROM strongroom.deposit d
                        WHERE d.tld = t.name AND d.type = 'FULL' AND d.delivered_at IS NOT NULL
                        ORDER BY snapshot_time DESC, resend DESC LIMIT 1) f ON true
     ORDER BY t.name COLLATE "C"`,
  );
  const tlds = rows.map((r) => ({
    tld: r.tld,
    lastDeliveredFull: r.id === null ? null : { id: r.id, resend: r.resend ?? 0, snapshotTime: r.snapshot_time ?? '' },
    pendingDeposits: r.pending,
  }));
  if (rows.length === 0) return { cut: null, blockedBy: 'no TLD in rde.tld', tlds };
  const missing = rows.find((r) => r.id === null);
  if (missing) return { cut: null, blockedBy: `TLD ${missing.tld} has no FULL deposit confirmed delivered (journal delivered)`, tlds };
  let oldest = rows[0]!;
  for (const r of rows) if ((r.snapshot_time ?? '') < (oldest.snapshot_time ?? '')) oldest = r;
  return { cut: { tld: oldest.tld, id: oldest.id!, resend: oldest.resend ?? 0, snapshot: oldest.snapshot!, snapshotTime: oldest.snapshot_time! }, blockedBy: null, tlds };
}

/** Entries the cut's snapshot sees (committed before it): needed by no future deposit. */
function prunableWhere(cut: Cut): string {
  const snap = `${lit(cut.snapshot)}::pg_snapshot`;
  return `xid < pg_snapshot_xmax(${snap}) AND pg_visible_in_snapshot(xid, ${snap})`;
}

export async function journalStatus(db: Db): Promise<JournalStatus> {
  return db.transaction(
    async (tx) => {
      const horizon = await journalHorizon(tx);
      const [counts] = await tx.query<{ entries: number; oldest: string | null; newest: string | null }>(
        'SELECT count(*)::int AS entries, min(at) AS oldest, max(at) AS newest FROM strongroom.journal',
      );
      const { cut, blockedBy, tlds } = await pruneCut(tx);
      let prunable = 0;
      if (cut) {
        const [row] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM strongroom.journal WHERE ${prunableWhere(cut)}`);
        prunable = row?.n ?? 0;
      }
      return { entries: counts?.entries ?? 0, oldest: counts?.oldest ?? null, newest: counts?.newest ?? null, since: horizon.since, sinceReason: horizon.reason, pruned: horizon.pruned, tlds, prunable, blockedBy };
    },
    { isolation: 'repeatable read', readOnly: true },
  );
}

export interface PruneResult {
  removed: number;
  /** The deposit the cut was made at (null: nothing could be pruned). */
  cut: { tld: string; id: string; resend: number; snapshotTime: string } | null;
  blockedBy: string | null;
  /** From when on the journal is complete after pruning. */
  since: string;
}

/**
 * Remove the journal entries no deposit to come can need (see `pruneCut`), and move the
 * journal's horizon to the cut, so that a DIFF against an older deposit is refused instead of
 * silently missing what was pruned. With `dryRun`, only count.
 */
export async function pruneJournal(db: Db, options: { dryRun?: boolean } = {}): Promise<PruneResult> {
  return db.transaction(async (tx) => {
    // One pruner at a time, and no deposit recorded as delivered underneath.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('strongroom.journal'), 0)");
    const horizon = await journalHorizon(tx);
    const { cut, blockedBy } = await pruneCut(tx);
    if (!cut) return { removed: 0, cut: null, blockedBy, since: horizon.since };
    const where = prunableWhere(cut);
    let removed: number;
    if (options.dryRun) {
      const [row] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM strongroom.journal WHERE ${where}`);
      removed = row?.n ?? 0;
    } else {
      const [row] = await tx.query<{ n: number }>(`WITH gone AS (DELETE FROM strongroom.journal WHERE ${where} RETURNING 1) SELECT count(*)::int AS n FROM gone`);
      removed = row?.n ?? 0;
      await tx.query(
        `UPDATE strongroom.journal_horizon SET reason = CASE WHEN since > $1::timestamptz THEN reason ELSE 'pruned' END, since = greatest(since, $1::timestamptz), tld = $2, id = $3, pruned = pruned + $4`,
        [cut.snapshotTime, cut.tld, cut.id, removed],
      );
    }
    const [after] = await tx.query<{ since: string }>('SELECT since FROM strongroom.journal_horizon');
    return { removed, cut: { tld: cut.tld, id: cut.id, resend: cut.resend, snapshotTime: cut.snapshotTime }, blockedBy: null, since: options.dryRun ? horizon.since : (after?.since ?? horizon.since) };
  });
}

/**
 * Record that a deposit was delivered and its receipt confirmed (the escrow agent's
 * acknowledgement, or the scheduler's deliver step): from then on `pruneJournal` may cut at it
 * if it is a FULL. Idempotent: the first confirmation time is kept. Without `resend`, the
 * highest resend of the id is meant.
 */
export async function markDelivered(db: Db, tld: string, id: string, resend?: number): Promise<{ tld: string; id: string; resend: number; type: string; deliveredAt: string }> {
  return db.transaction(async (tx) => {
    await journalHorizon(tx);
    const rows = await tx.query<{ resend: number; type: string; delivered_at: string }>(
      `UPDATE strongroom.deposit SET delivered_at = coalesce(delivered_at, now())
       WHERE tld = $1 AND id = $2 AND resend = coalesce($3::int, (SELECT max(resend) FROM strongroom.deposit WHERE tld = $1 AND id = $2))
       RETURNING resend, type, delivered_at`,
      [tld, id, resend ?? null],
    );
    const row = rows[0];
    if (!row) {
      throw new StrongroomError('JOURNAL_NO_SUCH_DEPOSIT', `no deposit ${id}${resend === undefined ? '' : ` (resend ${resend})`} of ${tld} is recorded in strongroom.deposit`);
    }
    return { tld, id, resend: row.resend, type: row.type, deliveredAt: row.delivered_at };
  });
}
