/**
 * The keys (primary, unique, foreign) and indexes of the registry tables during a rebuild:
 * taken off before the load and put back after it, all inside the rebuild's transaction — the
 * pg_restore order (data, then unique keys and indexes, then foreign keys): each is built once
 * over the loaded data instead of being maintained row by row. CHECK and NOT NULL constraints
 * stay on. A failure to put a key back names the offending rows.
 *
 * Keys of tables the load has finished with can go back while it goes on (`restoreDuringLoad`):
 * during a FULL load the server waits for the parser most of the time, and in a Strongroom
 * deposit registrars, contacts and hosts all come before the domains. Which tables are
 * finished cannot be known in advance (a deposit may hold its objects in any order), so a
 * table counts as finished once a chunk comes without rows for it; should rows for it come
 * after all, what was put back on it (its keys and indexes, and every foreign key from or to
 * it) is taken off again before they are loaded, and put back later; a foreign key that fails
 * during the load (its referenced rows may come later) is checked again after it. So the rows
 * are checked exactly as when everything goes back after the load, whatever the order of the
 * deposit.
 */
import { quoteIdent, type Tx } from '../db/adapter.js';
import { StrongroomError, messageOf } from '../common/errors.js';
import type { ChunkedCopy } from './load.js';

interface KeyDef {
  table: string;
  name: string;
  type: 'p' | 'u' | 'f';
  def: string;
  /** Columns of a foreign key, and the table and columns it refers to. */
  columns: string[];
  refTable: string | null;
  refColumns: string[];
}

type IndexDef = {
  name: string;
  def: string;
  table: string;
  /** Its key columns in order (empty when one is an expression). */
  columns: string[];
};

/** One step of putting the keys back: a unique key, an index or a foreign key. */
interface Step {
  key: KeyDef | null;
  index: IndexDef | null;
  /** The tables it reads: its own, and a foreign key's referenced table. */
  tables: string[];
}

/** The keys and indexes of the registry schema, taken off for the load and put back after. */
export class Keys {
  /** Unique keys, indexes, then foreign keys: the order they go back in. */
  private readonly steps: Step[];
  private readonly done = new Set<Step>();
  /** Foreign keys that failed during the load: checked again after it, where a failure counts. */
  private readonly deferred = new Set<Step>();
  /** Steps done during the load (`restoreDuringLoad`) when `restore` began. */
  early = 0;
  private hashjoin: string | null = null;

  private constructor(
    private readonly keys: KeyDef[],
    private readonly indexes: IndexDef[],
  ) {
    this.steps = [
      ...keys.filter((k) => k.type !== 'f').map((k) => ({ key: k, index: null, tables: [k.table] })),
      ...indexes.map((i) => ({ key: null, index: i, tables: [i.table] })),
      ...keys.filter((k) => k.type === 'f').map((k) => ({ key: k, index: null, tables: [...new Set([k.table, k.refTable ?? k.table])] })),
    ];
  }

  static async read(tx: Tx): Promise<Keys> {
    const keys = await tx.query<{ table: string; name: string; type: 'p' | 'u' | 'f'; def: string; columns: string[]; ref_table: string | null; ref_columns: string[] }>(
      `SELECT c.conrelid::regclass::text AS table, c.conname AS name, c.contype AS type, pg_get_constraintdef(c.oid) AS def,
              array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns,
              CASE WHEN c.contype = 'f' THEN c.confrelid::regclass::text END AS ref_table,
              array(SELECT a.attname::text FROM unnest(coalesce(c.confkey, '{}')) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.o) AS ref_columns
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
       WHERE n.nspname = 'registry' AND c.contype IN ('p', 'u', 'f')
       ORDER BY c.contype, c.conrelid::regclass::text, c.conname`,
    );
    const indexes = await tx.query<IndexDef>(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def,
              CASE WHEN 0 <> ALL ((i.indkey::int2[])[0:i.indnkeyatts - 1]) THEN
                array(SELECT a.attname::text FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o)
              ELSE '{}' END AS columns,
              t.oid::regclass::text AS table
       FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE n.nspname = 'registry' AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
       ORDER BY 1`,
    );
    return new Keys(
      keys.map((k) => ({ table: k.table, name: k.name, type: k.type, def: k.def, columns: k.columns, refTable: k.ref_table, refColumns: k.ref_columns })),
      indexes,
    );
  }

  get foreignKeys(): number {
    return this.keys.filter((k) => k.type === 'f').length;
  }

  /** Take them off: foreign keys first (they depend on the unique indexes), then keys, then indexes. */
  async drop(tx: Tx): Promise<void> {
    const statements: string[] = [];
    for (const k of this.keys.filter((k) => k.type === 'f')) statements.push(`ALTER TABLE ${k.table} DROP CONSTRAINT ${quoteIdent(k.name)}`);
    for (const k of this.keys.filter((k) => k.type !== 'f')) statements.push(`ALTER TABLE ${k.table} DROP CONSTRAINT ${quoteIdent(k.name)}`);
    for (const i of this.indexes) statements.push(`DROP INDEX ${i.name}`);
    if (statements.length > 0) await tx.exec(statements.join(';\n'));
  }

  /** Put back everything not back yet: unique keys, indexes, then foreign keys (each validated over all rows). */
  async restore(tx: Tx): Promise<void> {
    await this.resync(tx);
    this.early = this.done.size;
    for (const step of this.steps) if (!this.done.has(step)) await this.run(tx, step);
  }

  /**
   * During the load: put back, in order, the steps all of whose tables are `finished`, for
   * about `budgetMs` (at least one step when one can go). Index builds use no parallel
   * workers here: the parser needs the other core. Returns the steps done.
   */
  async restoreSome(tx: Tx, finished: (table: string) => boolean, budgetMs: number): Promise<number> {
    const started = performance.now();
    let n = 0;
    let workers: string | null = null;
    for (;;) {
      const step = this.steps.find((s) => !this.done.has(s) && !this.deferred.has(s) && s.tables.every(finished));
      if (!step || (n > 0 && performance.now() - started >= budgetMs)) break;
      if (workers === null && step.key?.type !== 'f') {
        [{ workers } = { workers: '2' }] = await tx.query<{ workers: string }>("SELECT current_setting('max_parallel_maintenance_workers') AS workers");
        await tx.exec('SET LOCAL max_parallel_maintenance_workers = 0');
      }
      // On failure the transaction is done for: no setting to put back.
      await this.run(tx, step, true);
      n++;
    }
    if (workers !== null) await tx.exec(`SET LOCAL max_parallel_maintenance_workers = ${Number(workers)}`);
    return n;
  }

  /**
   * Forget steps done that a rollback to a savepoint has undone since, and the foreign keys left
   * for later then: the catalog says what is back (run before the keys are put back after the load).
   */
  async resync(tx: Tx): Promise<void> {
    this.deferred.clear();
    if (this.done.size === 0) return;
    const rows = await tx.query<{ name: string }>(
      `SELECT conrelid::regclass::text || ' ' || conname AS name FROM pg_constraint WHERE connamespace = 'registry'::regnamespace
       UNION ALL SELECT indexrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace = 'registry'::regnamespace`,
    );
    const present = new Set(rows.map((r) => r.name));
    for (const step of this.done) if (!present.has(step.key ? `${step.key.table} ${step.key.name}` : step.index!.name)) this.done.delete(step);
  }

  /** Whether anything put back involves `table` (see `reopen`). */
  touches(table: string): boolean {
    for (const step of this.done) if (step.tables.includes(table)) return true;
    return false;
  }

  /**
   * Rows for `table` come after its keys went back: take off what was put back that involves
   * it — foreign keys from or to it first (they need its unique indexes), then its keys and
   * indexes — to be put back later like the others.
   */
  async reopen(tx: Tx, table: string): Promise<void> {
    const involved = this.steps.filter((s) => this.done.has(s) && s.tables.includes(table));
    const order = [...involved.filter((s) => s.key?.type === 'f'), ...involved.filter((s) => s.key && s.key.type !== 'f'), ...involved.filter((s) => s.index)];
    const statements = order.map((s) => (s.key ? `ALTER TABLE ${s.key.table} DROP CONSTRAINT IF EXISTS ${quoteIdent(s.key.name)}` : `DROP INDEX IF EXISTS ${s.index!.name}`));
    if (statements.length > 0) await tx.exec(statements.join(';\n'));
    for (const s of involved) this.done.delete(s);
  }

  /**
   * One step. A duplicate key fails the rebuild whenever it is found (more rows cannot undo
   * it); a reference that does not resolve `early` may still be loaded (a registrar after the
   * contacts that name it): the foreign key is left for after the load.
   */
  private async run(tx: Tx, step: Step, early = false): Promise<void> {
    const k = step.key;
    if (!k) {
      await tx.exec(step.index!.def);
    } else if (k.type !== 'f') {
      try {
        await tx.exec(`ALTER TABLE ${k.table} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}`);
      } catch (err) {
        throw new StrongroomError('REBUILD_CHECK_FAILED', `the deposit holds the same key twice in ${k.table} (${k.def}): ${detailOf(err)}`, {
          cause: err,
          location: k.table,
        });
      }
    } else {
      // PostgreSQL validates a new foreign key with one anti join of the referencing table to
      // the referenced one, planned like any query. Left alone the planner hashes the whole
      // referenced key (1M domain roids, once per child table); when an index leads with the
      // referencing columns, a merge join of two ordered index-only scans is 2–5× cheaper (the
      // visibility map is set: the rows came by COPY FREEZE). Only the plan changes, not what
      // is checked.
      const merge = this.indexed(k.table, k.columns);
      if (merge && this.hashjoin === null) {
        [{ hashjoin: this.hashjoin } = { hashjoin: 'on' }] = await tx.query<{ hashjoin: string }>("SELECT current_setting('enable_hashjoin') AS hashjoin");
      }
      try {
        // A savepoint, so that after a failure the transaction can still name the rows.
        await tx.exec(
          `SAVEPOINT sr_rebuild_fk;${merge ? ' SET LOCAL enable_hashjoin = off;' : ''} ALTER TABLE ${k.table} ADD CONSTRAINT ${quoteIdent(k.name)} ${k.def}; RELEASE SAVEPOINT sr_rebuild_fk${merge ? `; SET LOCAL enable_hashjoin = ${this.hashjoin === 'off' ? 'off' : 'on'}` : ''}`,
        );
      } catch (err) {
        if (early) {
          await tx.exec('ROLLBACK TO SAVEPOINT sr_rebuild_fk; RELEASE SAVEPOINT sr_rebuild_fk');
          this.deferred.add(step);
          return;
        }
        const examples = await tx
          .exec('ROLLBACK TO SAVEPOINT sr_rebuild_fk')
          .then(() => this.dangling(tx, k))
          .catch(() => [] as string[]);
        throw new StrongroomError(
          'REBUILD_CHECK_FAILED',
          `a reference does not resolve: ${k.table} (${k.columns.join(', ')}) → ${k.refTable} (${k.refColumns.join(', ')}): ${examples.length > 0 ? examples.join('; ') : detailOf(err)}`,
          { cause: err, location: k.table, data: { constraint: k.name, examples } },
        );
      }
    }
    this.done.add(step);
  }

  /** Whether a unique key or an index of `table` leads with `columns`, in that order. */
  private indexed(table: string, columns: readonly string[]): boolean {
    const leads = (key: readonly string[]) => columns.length > 0 && columns.every((c, n) => key[n] === c);
    return this.keys.some((k) => k.type !== 'f' && k.table === table && leads(k.columns)) || this.indexes.some((i) => i.table === table && leads(i.columns));
  }

  /** Up to 5 rows of `k.table` whose reference does not resolve, named by their primary key. */
  private async dangling(tx: Tx, k: KeyDef): Promise<string[]> {
    const pk = this.keys.find((x) => x.type === 'p' && x.table === k.table)?.columns ?? k.columns;
    const notNull = k.columns.map((c) => `c.${c} IS NOT NULL`).join(' AND ');
    const match = k.columns.map((c, n) => `p.${k.refColumns[n]} = c.${c}`).join(' AND ');
    const show = [...new Set([...pk, ...k.columns])];
    const rows = await tx.query<Record<string, unknown>>(
      `SELECT ${show.map((c) => `c.${c}::text AS ${c}`).join(', ')} FROM ${k.table} c WHERE ${notNull} AND NOT EXISTS (SELECT 1 FROM ${k.refTable} p WHERE ${match}) LIMIT 5`,
    );
    return rows.map((r) => show.map((c) => `${c}=${String(r[c])}`).join(' '));
  }
}

/** Milliseconds of key steps per chunk during the load (the parser fills the next chunk meanwhile). */
const STEP_BUDGET_MS = 50;

/**
 * Chunks without rows for a table before it counts as finished: two, so that one chunk without
 * a table's rows does not look like its end; four times more each time rows for it came after
 * all (at most a few wasted builds per table).
 */
const QUIET_CHUNKS = 2;

/**
 * Put keys back during `copy`'s load, one budget of steps before each chunk, on the tables it
 * has finished with (see the top of this file) — except `writtenAfter`, the tables the caller
 * writes after the load. Returns nothing; `keys.early` says how many steps were done.
 */
export function restoreDuringLoad(tx: Tx, keys: Keys, copy: ChunkedCopy, writtenAfter: ReadonlySet<string>): void {
  const last = new Map<string, number>();
  const quiet = new Map<string, number>();
  let chunk = 0;
  copy.beforeChunk = async (targets) => {
    chunk++;
    for (const target of targets) {
      const table = `registry.${target}`;
      if (keys.touches(table)) {
        await keys.reopen(tx, table);
        quiet.set(table, (quiet.get(table) ?? QUIET_CHUNKS) * 4);
      }
      last.set(table, chunk);
    }
    const finished = (table: string) => !writtenAfter.has(table) && chunk - (last.get(table) ?? chunk) >= (quiet.get(table) ?? QUIET_CHUNKS);
    await keys.restoreSome(tx, finished, STEP_BUDGET_MS);
  };
}

/** PostgreSQL's message and detail ("Key (roid)=(D1-X) is duplicated.") of a failed statement. */
export function detailOf(err: unknown): string {
  const cause = (err as { cause?: unknown }).cause ?? err;
  const detail = (cause as { detail?: unknown }).detail;
  return `${messageOf(cause)}${typeof detail === 'string' && detail !== '' ? ` — ${detail}` : ''}`;
}
