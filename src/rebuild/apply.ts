/**
 * Applying one DIFF or INCR deposit to the registry tables, in the rebuild's transaction, with
 * the keys still off (they are put back, and validated over the final state, once the whole
 * chain is applied: ./rebuild-chain.ts).
 *
 * RFC 9022 §5 / Spec 2 Part A §1.2 (docs: rde-standards.md §1.3): first `<rde:deletes>` — each
 * entry names an object by its key (domain by name, host by roid or name, contact and
 * registrar by id, IDN table by id, NNDN by aName) — then `<rde:contents>`, where each object
 * is complete and replaces the whole object, children included (statuses, postal infos,
 * contacts, name servers, DS data …): never a field-level patch.
 *
 * The deposit's rows are first staged in temporary tables shaped like the registry tables
 * (`sr_delta_<table>`), its deletes in `sr_rebuild_deletes`, its name servers by host name in
 * `sr_rebuild_ns`; then, set-based, per object kind:
 *   1. an object goes when a delete entry names it, or when the deposit holds an object with
 *      the same primary key or the same unique key (a host's name, a domain's name, a
 *      contact's roid) — contents replace, as the final state can hold only one of them;
 *      its child rows go with it;
 *   2. the staged rows go in (rows carrying the TLD get the header's TLD), and name servers
 *      named by host name are resolved to host roids against the registry as it now is.
 *   EPP parameters (one object per TLD) and policies (a list without keys) in a deposit
 *   replace the TLD's whole set.
 * A delete entry that names no object is counted (`unmatchedDeletes`): an exact chain has
 * none, but a deposit from another implementation may name objects created and deleted
 * between two deposits.
 */
import type { Tx } from '../db/adapter.js';
import { StrongroomError } from '../common/errors.js';
import { TABLES, TABLE_ORDER, type TableName } from '../generate/rows.js';
import { copyField } from '../sources/copy-text.js';
import type { RdeDelete } from '../model/objects.js';
import { DELETES_STAGE, NS_STAGE, type Target } from './load.js';

/** Staging table of a registry table's rows in a DIFF/INCR. */
export function deltaName(table: TableName): string {
  return `sr_delta_${table}`;
}

/** The tables a deposit's rows can go to (the TLD row is the rebuild's own). */
const DELTA_TABLES: readonly TableName[] = TABLE_ORDER.filter((t: TableName) => t !== 'tld');

/** Where a DIFF/INCR's lines go: everything is staged. */
export function deltaCopySql(target: Target): string {
  if (target === NS_STAGE) return `COPY pg_temp.${NS_STAGE} (domain_roid, ord, host_name) FROM STDIN`;
  if (target === DELETES_STAGE) return `COPY pg_temp.${DELETES_STAGE} (kind, field, value) FROM STDIN`;
  if (target === 'tld') throw new StrongroomError('INTERNAL', 'a deposit has no TLD row');
  return `COPY pg_temp.${deltaName(target)} (${TABLES[target].join(', ')}) FROM STDIN`;
}

/** The primary keys of one kind's objects that go (deleted or replaced). */
const GONE = 'sr_delta_gone';

export async function createDeltaStaging(tx: Tx): Promise<void> {
  const statements = DELTA_TABLES.map((t) => `CREATE TEMP TABLE ${deltaName(t)} (LIKE registry.${t}) ON COMMIT DROP`);
  statements.push(`CREATE TEMP TABLE ${DELETES_STAGE} (kind text NOT NULL, field text NOT NULL, value text COLLATE "C" NOT NULL) ON COMMIT DROP`);
  statements.push(`CREATE TEMP TABLE ${GONE} (key text COLLATE "C" NOT NULL) ON COMMIT DROP`);
  await tx.exec(statements.join(';\n'));
}

/** One delete entry as a COPY line of the deletes stage. */
export function deleteLine(entry: RdeDelete): string {
  const [field, value] = Object.entries(entry).find(([k]) => k !== 'kind') as [string, string];
  return `${copyField(entry.kind)}\t${copyField(field)}\t${copyField(value)}\n`;
}

interface KindSpec {
  kind: RdeDelete['kind'] | 'eppParams' | 'policy';
  table: TableName;
  /** Columns that identify an object, primary key first (a staged object replaces a row matching any of them). */
  keys: readonly string[];
  /** Delete-entry field → the column it names. */
  deleteBy: Readonly<Record<string, string>>;
  /** Child tables and their column referring to the primary key (migrations/001: ON DELETE CASCADE). */
  children: ReadonlyArray<readonly [TableName, string]>;
  /** One set per TLD: a staged row replaces all rows. */
  whole?: boolean;
}

/** Object kinds in the order their rows go (dependents first; keys are off, so only for clarity). */
const KINDS: readonly KindSpec[] = [
  {
    kind: 'domain',
    table: 'domain',
    keys: ['roid', 'name'],
    deleteBy: { name: 'name' },
    children: [
      ['domain_status', 'domain_roid'],
      ['domain_rgp_status', 'domain_roid'],
      ['domain_contact', 'domain_roid'],
      ['domain_ns', 'domain_roid'],
      ['domain_ns_attr_addr', 'domain_roid'],
      ['domain_ns_attr', 'domain_roid'],
      ['domain_ds', 'domain_roid'],
      ['domain_key', 'domain_roid'],
    ],
  },
  { kind: 'nndn', table: 'nndn', keys: ['a_name'], deleteBy: { aName: 'a_name' }, children: [] },
  {
    kind: 'host',
    table: 'host',
    keys: ['roid', 'name'],
    deleteBy: { roid: 'roid', name: 'name' },
    children: [
      ['host_status', 'host_roid'],
      ['host_addr', 'host_roid'],
    ],
  },
  {
    kind: 'contact',
    table: 'contact',
    keys: ['id', 'roid'],
    deleteBy: { id: 'id' },
    children: [
      ['contact_status', 'contact_id'],
      ['contact_postal', 'contact_id'],
    ],
  },
  { kind: 'idnTable', table: 'idn_table', keys: ['id'], deleteBy: { id: 'id' }, children: [] },
  { kind: 'registrar', table: 'registrar', keys: ['id'], deleteBy: { id: 'id' }, children: [['registrar_postal', 'registrar_id']] },
  { kind: 'eppParams', table: 'epp_params', keys: [], deleteBy: {}, children: [], whole: true },
  { kind: 'policy', table: 'policy', keys: [], deleteBy: {}, children: [], whole: true },
];

export interface ApplyResult {
  /** Objects removed: deleted, or replaced by the deposit's version. */
  removed: number;
  /** Delete entries that named no object. */
  unmatchedDeletes: number;
  /** Up to five of them, e.g. `domain name=gone.example`. */
  unmatchedExamples: string[];
  /** Rows written per table. */
  rows: Partial<Record<TableName, number>>;
}

/** Apply the staged deposit to the registry tables (deletes and replaced objects out, staged rows in). */
export async function applyStagedDelta(tx: Tx, tld: string): Promise<ApplyResult> {
  let removed = 0;
  let unmatchedDeletes = 0;
  const unmatchedExamples: string[] = [];
  for (const spec of KINDS) {
    const staged = `pg_temp.${deltaName(spec.table)}`;
    if (spec.whole) {
      const [row] = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${staged}`);
      if ((row?.n ?? 0) > 0) await tx.query(`DELETE FROM registry.${spec.table}`);
      continue;
    }
    // Delete entries naming no object (before anything goes).
    for (const [field, column] of Object.entries(spec.deleteBy)) {
      const rows = await tx.query<{ value: string; n: number }>(
        `SELECT x.value, count(*) OVER ()::int AS n FROM pg_temp.${DELETES_STAGE} x
         WHERE x.kind = $1 AND x.field = $2 AND NOT EXISTS (SELECT 1 FROM registry.${spec.table} p WHERE p.${column} = x.value)
         ORDER BY x.value LIMIT 5`,
        [spec.kind, field],
      );
      if (rows.length > 0) {
        unmatchedDeletes += rows[0]!.n;
        for (const r of rows) if (unmatchedExamples.length < 5) unmatchedExamples.push(`${spec.kind} ${field}=${r.value}`);
      }
    }
    const conditions = [
      ...spec.keys.map((k) => `p.${k} IN (SELECT s.${k} FROM ${staged} s)`),
      ...Object.entries(spec.deleteBy).map(([field, column]) => `p.${column} IN (SELECT x.value FROM pg_temp.${DELETES_STAGE} x WHERE x.kind = '${spec.kind}' AND x.field = '${field}')`),
    ];
    // The primary keys of the objects that go, once (one pass over the parent table), then
    // their children and themselves.
    const key = spec.keys[0]!;
    await tx.exec(`TRUNCATE pg_temp.${GONE}`);
    const [out] = await tx.query<{ n: number }>(
      `WITH gone AS (INSERT INTO pg_temp.${GONE} (key) SELECT p.${key} FROM registry.${spec.table} p WHERE ${conditions.join(' OR ')} RETURNING 1) SELECT count(*)::int AS n FROM gone`,
    );
    const n = out?.n ?? 0;
    if (n === 0) continue;
    for (const [child, column] of spec.children) await tx.query(`DELETE FROM registry.${child} WHERE ${column} IN (SELECT key FROM pg_temp.${GONE})`);
    await tx.query(`DELETE FROM registry.${spec.table} WHERE ${key} IN (SELECT key FROM pg_temp.${GONE})`);
    removed += n;
  }

  const rows: Partial<Record<TableName, number>> = {};
  for (const table of DELTA_TABLES) {
    const columns = TABLES[table];
    const select = columns.map((c) => (c === 'tld' ? '$1::text' : c)).join(', ');
    const [row] = await tx.query<{ n: number }>(
      `WITH moved AS (INSERT INTO registry.${table} (${columns.join(', ')}) SELECT ${select} FROM pg_temp.${deltaName(table)} RETURNING 1) SELECT count(*)::int AS n FROM moved`,
      (columns as readonly string[]).includes('tld') ? [tld] : [],
    );
    if (row && row.n > 0) rows[table] = row.n;
  }
  return { removed, unmatchedDeletes, unmatchedExamples, rows };
}

/** Empty the deposit's staging for the next one. */
export async function clearDeltaStaging(tx: Tx): Promise<void> {
  await tx.exec(`TRUNCATE ${[...DELTA_TABLES.map((t) => `pg_temp.${deltaName(t)}`), `pg_temp.${DELETES_STAGE}`, `pg_temp.${NS_STAGE}`].join(', ')}`);
}
