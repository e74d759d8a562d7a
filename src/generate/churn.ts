/**
 * Churn: a deterministic, realistic random workload on an existing registry
 * (`strongroom registry churn`), for tests, benchmarks and the demo: the changes a registry sees
 * between two daily deposits.
 *
 * Operations and their weights (CHURN_MIX, overridable per run: ChurnOptions.mix): create a
 * domain, update one (statuses, name servers), rename an in-bailiwick host (a glue host under a
 * domain of the TLD, used by its parent and a few domains), rename a shared host (a provider's
 * name server outside the TLD, used by a hundred domains or more: every one of them changes in
 * the DIFF), transfer a domain to another registrar, renew it, delete it, delete a name and
 * register it again (new roid, same name, same day), update a contact. The default mix is a
 * registry's day: shared-host renames are rare (1 in 10,000 changes); CHURN_MIX_STRESS gives
 * every operation, the hard ones included, a large share (tests). Deleting
 * a domain or moving its name servers keeps the `linked` status of the contacts and hosts it
 * used true (RFC 5731/5733/5732 §2.3: a contact or host that lost its last link loses
 * `linked`), as a registry does.
 *
 * Every operation is its own transaction (registrations commit one by one, as in production),
 * so deposits written concurrently see some and not others. Determinism: operation i draws from
 * `Rng.forObject(seed, churn stream, i)` (src/generate/random.ts); objects are picked by key
 * from a random point of the key space through the unique indexes (`name >= x ORDER BY name
 * LIMIT 1`), so the same seed on the same registry state makes the same changes, on the
 * embedded database and on a server alike, at any registry size (nothing is loaded whole).
 * New names come from the generator's LabelMaker. Times: operation i of N happens at
 * `at − (N − 1 − i)` ms, so every change is at or before `at` (default: now), never after the
 * snapshot of a deposit written next.
 */
import { StrongroomError } from '../common/errors.js';
import type { Db, Tx } from '../db/adapter.js';
import { canonicalDateTime, tryCanonicalDateTime } from '../model/datetime.js';
import { LabelMaker } from './names.js';
import { cumulate, Rng, seedKey, stringHash, type SeedKey } from './random.js';

export const CHURN_OPERATIONS = ['create', 'update', 'renameHost', 'renameSharedHost', 'transfer', 'renew', 'delete', 'recreate', 'updateContact'] as const;
export type ChurnOperation = (typeof CHURN_OPERATIONS)[number];
export type ChurnMix = Readonly<Record<ChurnOperation, number>>;

/**
 * Relative weights of the operations: a registry's day, mostly registrations, updates,
 * renewals and deletions. Host renames are rare, and those of shared name servers (a provider
 * renaming ns1.provider.example, which changes every domain using it) rarer still: 1 in
 * 10,000 changes.
 */
export const CHURN_MIX: ChurnMix = {
  create: 25,
  update: 20,
  renameHost: 0.5,
  renameSharedHost: 0.01,
  transfer: 8,
  renew: 15,
  delete: 12,
  recreate: 2,
  updateContact: 10,
};

/**
 * Every operation with a large share, the hard cases included (a renamed shared host brings all
 * its domains; re-registrations; transfers): for exactness tests, not a realistic day.
 */
export const CHURN_MIX_STRESS: ChurnMix = {
  create: 25,
  update: 20,
  renameHost: 4,
  renameSharedHost: 4,
  transfer: 10,
  renew: 15,
  delete: 10,
  recreate: 5,
  updateContact: 10,
};

/** Named mixes (`registry churn --mix`). */
export const CHURN_MIXES: Readonly<Record<string, ChurnMix>> = { default: CHURN_MIX, stress: CHURN_MIX_STRESS };

/**
 * A mix from its text form: a named mix (`default`, `stress`) and/or `operation=weight` pairs
 * overriding it, comma-separated (`stress,renameSharedHost=0`, `renameHost=2`).
 */
export function parseChurnMix(text: string): ChurnMix {
  const mix: Record<ChurnOperation, number> = { ...CHURN_MIX };
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const named = CHURN_MIXES[part];
    if (named) {
      Object.assign(mix, named);
      continue;
    }
    const match = /^([A-Za-z]+)=(\d+(?:\.\d+)?)$/.exec(part);
    if (!match || !(CHURN_OPERATIONS as readonly string[]).includes(match[1]!)) {
      throw invalid(`--mix: "${part}" is neither a named mix (${Object.keys(CHURN_MIXES).join(', ')}) nor operation=weight with an operation of ${CHURN_OPERATIONS.join(', ')}`);
    }
    mix[match[1] as ChurnOperation] = Number(match[2]);
  }
  return checkMix(mix);
}

function checkMix(mix: Partial<Record<ChurnOperation, number>>): ChurnMix {
  const full = { ...CHURN_MIX, ...mix };
  for (const op of CHURN_OPERATIONS) {
    if (!Number.isFinite(full[op]) || full[op] < 0) throw invalid(`mix weight of ${op} must be a number ≥ 0, got ${full[op]}`);
  }
  if (CHURN_OPERATIONS.every((op) => full[op] === 0)) throw invalid('the mix gives every operation weight 0');
  return full;
}

/** The most changes one run applies. */
export const MAX_CHURN_CHANGES = 10_000_000;

export interface ChurnOptions {
  /** The TLD whose domains change (default: the only TLD of the database). */
  tld?: string;
  /** Number of operations. */
  changes: number;
  seed: string;
  /** RFC 3339 time of the last change (default: now). */
  at?: string;
  /** Weights overriding CHURN_MIX (operations not named keep theirs). */
  mix?: Partial<Record<ChurnOperation, number>>;
}

export interface ChurnSummary {
  tld: string;
  seed: string;
  at: string;
  changes: number;
  /** The weights used. */
  mix: ChurnMix;
  /** Operations applied, by kind (an operation that found nothing to act on counts as an update). */
  applied: Record<ChurnOperation, number>;
  seconds: number;
}

function invalid(message: string): StrongroomError {
  return new StrongroomError('CHURN_INVALID_ARGUMENT', message);
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Labels of new names are taken from this index on, past any generated registry's labels. */
const LABEL_BASE = 50_000_000;

type DomainRow = {
  roid: string;
  name: string;
  cl_id: string;
  registrant: string | null;
  cr_date: string | null;
};

/** One run's state. */
class Churn {
  private readonly labels: LabelMaker;
  private readonly stream = stringHash('churn');
  private readonly tag: string;
  private readonly cumulative: number[];

  constructor(
    mix: ChurnMix,
    private readonly key: SeedKey,
    private readonly tld: string,
    private readonly roidSuffix: string,
    private readonly hostObjects: boolean,
  ) {
    this.labels = new LabelMaker(LABEL_BASE * 2, key);
    this.tag = (key[0] >>> 0).toString(36).toUpperCase();
    this.cumulative = cumulate(CHURN_OPERATIONS.map((op) => mix[op]));
  }

  rngOf(index: number): Rng {
    return Rng.forObject(this.key, this.stream, index);
  }

  operationOf(rng: Rng): ChurnOperation {
    return CHURN_OPERATIONS[rng.weighted(this.cumulative)]!;
  }

  /** A random starting point of the registrar ids: two letters. */
  private prefix(rng: Rng): string {
    return LETTERS[rng.int(26)]! + LETTERS[rng.int(26)]!;
  }

  /**
   * A random starting point of the domain labels, drawn as the generator draws its labels (its
   * vocabulary and label styles): the next name after it is close to uniform over a generated
   * registry's names. (Random letters fall mostly into the gaps between the vocabulary's words
   * and land on the few names after the gaps.)
   */
  private labelPoint(rng: Rng): string {
    return this.labels.label(rng.int(LABEL_BASE)).label;
  }

  /** A domain of the TLD picked from a random point of the name space (wrapping around). */
  async pickDomain(tx: Tx, rng: Rng, where = 'true'): Promise<DomainRow | null> {
    const from = this.labelPoint(rng);
    const sql = (cond: string) =>
      `SELECT roid, name, cl_id, registrant, cr_date FROM registry.domain d WHERE tld = $1 AND ${cond} AND ${where} ORDER BY name COLLATE "C" LIMIT 1`;
    const [row] = await tx.query<DomainRow>(sql('name COLLATE "C" >= $2'), [this.tld, from]);
    if (row) return row;
    const [first] = await tx.query<DomainRow>(sql('$2::text IS NOT NULL'), [this.tld, from]);
    return first ?? null;
  }

  /** Domains no host is subordinate to (EPP refuses to delete a domain with subordinate hosts). */
  private static readonly DELETABLE = `NOT EXISTS (SELECT 1 FROM registry.host h WHERE h.name LIKE '%.' || d.name)`;

  async pickRegistrar(tx: Tx, rng: Rng, not: string): Promise<string | null> {
    const from = this.prefix(rng);
    const sql = (cond: string) =>
      `SELECT id FROM registry.registrar WHERE id <> $1 AND status IS DISTINCT FROM 'terminated' AND ${cond} ORDER BY id COLLATE "C" LIMIT 1`;
    const [row] = await tx.query<{ id: string }>(sql('lower(id) COLLATE "C" >= $2'), [not, from]);
    if (row) return row.id;
    const [first] = await tx.query<{ id: string }>(sql('$2::text IS NOT NULL'), [not, from]);
    return first?.id ?? null;
  }

  /** A new name for operation `index` (ASCII labels only), not in use. */
  private async newName(tx: Tx, index: number): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const label = this.labels.label(LABEL_BASE + index * 7 + attempt);
      if (label.uLabel !== undefined) continue;
      const name = `${label.label}.${this.tld}`;
      const [taken] = await tx.query('SELECT 1 FROM registry.domain WHERE name = $1', [name]);
      if (!taken) return name;
    }
  }

  private roid(index: number, letter: string): string {
    return `${letter}${this.tag}${index.toString(36).toUpperCase()}-${this.roidSuffix}`;
  }

  /**
   * Register `name` as a new domain for operation `index`, shaped like `template` (its
   * registrant, contacts and name servers: a registrant registering another name).
   */
  private async register(tx: Tx, index: number, name: string, template: { roid: string; cl_id: string }, registrar: string, at: string): Promise<void> {
    const roid = this.roid(index, 'C');
    await tx.query(
      `INSERT INTO registry.domain (roid, name, tld, registrant, cl_id, cr_rr, cr_date, ex_date)
       SELECT $1, $2, tld, registrant, $4, $4, $5, $5::timestamptz + interval '1 year' FROM registry.domain WHERE roid = $3`,
      [roid, name, template.roid, registrar, at],
    );
    await tx.query(`INSERT INTO registry.domain_status (domain_roid, ord, s) VALUES ($1, 0, 'ok')`, [roid]);
    await tx.query(`INSERT INTO registry.domain_rgp_status (domain_roid, ord, s) VALUES ($1, 0, 'addPeriod')`, [roid]);
    await tx.query(`INSERT INTO registry.domain_contact (domain_roid, ord, type, contact_id) SELECT $1, ord, type, contact_id FROM registry.domain_contact WHERE domain_roid = $2`, [roid, template.roid]);
    if (this.hostObjects) {
      await tx.query(`INSERT INTO registry.domain_ns (domain_roid, ord, host_roid) SELECT $1, ord, host_roid FROM registry.domain_ns WHERE domain_roid = $2`, [roid, template.roid]);
    } else {
      await tx.query(`INSERT INTO registry.domain_ns_attr (domain_roid, ord, host_name) SELECT $1, ord, host_name FROM registry.domain_ns_attr WHERE domain_roid = $2`, [roid, template.roid]);
      await tx.query(`INSERT INTO registry.domain_ns_attr_addr (domain_roid, ns_ord, ord, ip, addr) SELECT $1, ns_ord, ord, ip, addr FROM registry.domain_ns_attr_addr WHERE domain_roid = $2`, [roid, template.roid]);
    }
  }

  /** Contacts and hosts a domain uses (before it is deleted or changed). */
  private async usedBy(tx: Tx, roid: string): Promise<{ contacts: string[]; hosts: string[] }> {
    const contacts = await tx.query<{ id: string }>(
      `SELECT contact_id AS id FROM registry.domain_contact WHERE domain_roid = $1 UNION SELECT registrant FROM registry.domain WHERE roid = $1 AND registrant IS NOT NULL ORDER BY 1`,
      [roid],
    );
    const hosts = this.hostObjects ? await tx.query<{ id: string }>(`SELECT DISTINCT host_roid AS id FROM registry.domain_ns WHERE domain_roid = $1 ORDER BY 1`, [roid]) : [];
    return { contacts: contacts.map((c) => c.id), hosts: hosts.map((h) => h.id) };
  }

  /**
   * Keep `linked` true for these contacts and hosts: drop it from those nothing refers to any
   * more (adding `ok` if no status is left), add it to those referred to without it.
   */
  private async relink(tx: Tx, used: { contacts: string[]; hosts: string[] }, at: string): Promise<void> {
    const kinds = [
      { ids: used.contacts, table: 'contact', status: 'contact_status', key: 'contact_id', pk: 'id', refs: `EXISTS (SELECT 1 FROM registry.domain_contact x WHERE x.contact_id = o.id) OR EXISTS (SELECT 1 FROM registry.domain x WHERE x.registrant = o.id)` },
      { ids: used.hosts, table: 'host', status: 'host_status', key: 'host_roid', pk: 'roid', refs: `EXISTS (SELECT 1 FROM registry.domain_ns x WHERE x.host_roid = o.roid)` },
    ];
    for (const k of kinds) {
      if (k.ids.length === 0) continue;
      const rows = await tx.query<{ id: string; used: boolean; linked: boolean; statuses: number }>(
        `SELECT o.${k.pk} AS id, (${k.refs}) AS used,
                EXISTS (SELECT 1 FROM registry.${k.status} s WHERE s.${k.key} = o.${k.pk} AND s.s = 'linked') AS linked,
                (SELECT count(*)::int FROM registry.${k.status} s WHERE s.${k.key} = o.${k.pk}) AS statuses
         FROM registry.${k.table} o WHERE o.${k.pk} = ANY($1::text[]) ORDER BY 1`,
        [k.ids],
      );
      for (const row of rows) {
        if (row.used === row.linked) continue;
        if (row.linked) {
          await tx.query(`DELETE FROM registry.${k.status} WHERE ${k.key} = $1 AND s = 'linked'`, [row.id]);
          if (row.statuses === 1) await tx.query(`INSERT INTO registry.${k.status} (${k.key}, ord, s) VALUES ($1, 0, 'ok')`, [row.id]);
        } else {
          await tx.query(`INSERT INTO registry.${k.status} (${k.key}, ord, s) SELECT $1, coalesce(max(ord) + 1, 0), 'linked' FROM registry.${k.status} WHERE ${k.key} = $1`, [row.id]);
        }
        await tx.query(`UPDATE registry.${k.table} SET up_date = greatest(coalesce(cr_date, $2::timestamptz), $2::timestamptz) WHERE ${k.pk} = $1`, [row.id, at]);
      }
    }
  }

  /** Apply operation `index`; returns the operation actually applied. */
  async apply(tx: Tx, index: number, at: string): Promise<ChurnOperation> {
    const rng = this.rngOf(index);
    const wanted = this.operationOf(rng);
    const op = (wanted === 'renameHost' || wanted === 'renameSharedHost') && !this.hostObjects ? 'update' : wanted;
    switch (op) {
      case 'create': {
        const template = await this.pickDomain(tx, rng);
        if (!template) throw invalid(`TLD ${this.tld} has no domain to model new registrations on: generate a registry first`);
        const registrar = (await this.pickRegistrar(tx, rng, '')) ?? template.cl_id;
        await this.register(tx, index, await this.newName(tx, index), template, registrar, at);
        await this.relink(tx, await this.usedBy(tx, template.roid), at);
        return op;
      }
      case 'delete':
      case 'recreate': {
        const victim = await this.pickDomain(tx, rng, Churn.DELETABLE);
        if (!victim) return this.update(tx, rng, at);
        const used = await this.usedBy(tx, victim.roid);
        // The template for the re-registration: another domain of the same registrant's shape.
        await tx.query('DELETE FROM registry.domain WHERE roid = $1', [victim.roid]);
        await this.relink(tx, used, at);
        if (op === 'recreate') {
          // Registered again under the same name by someone else the same day: a new roid.
          const template = await this.pickDomain(tx, rng);
          if (template) {
            const registrar = (await this.pickRegistrar(tx, rng, victim.cl_id)) ?? template.cl_id;
            await this.register(tx, index, victim.name, template, registrar, at);
            await this.relink(tx, await this.usedBy(tx, template.roid), at);
          }
        }
        return op;
      }
      case 'transfer': {
        const domain = await this.pickDomain(tx, rng, `NOT EXISTS (SELECT 1 FROM registry.domain_status s WHERE s.domain_roid = d.roid AND s.s IN ('clientTransferProhibited', 'serverTransferProhibited', 'pendingTransfer', 'pendingDelete'))`);
        const gaining = domain ? await this.pickRegistrar(tx, rng, domain.cl_id) : null;
        if (!domain || !gaining) return this.update(tx, rng, at);
        await tx.query(
          `UPDATE registry.domain SET cl_id = $2, up_rr = $2, up_rr_client = NULL, up_date = greatest(coalesce(cr_date, $4::timestamptz), $4::timestamptz), tr_date = $4,
                  tr_status = 'serverApproved', re_rr = $2, re_rr_client = NULL, re_date = $4, ac_rr = $3, ac_rr_client = NULL, ac_date = $4, tr_ex_date = NULL
           WHERE roid = $1`,
          [domain.roid, gaining, domain.cl_id, at],
        );
        return op;
      }
      case 'renew': {
        const domain = await this.pickDomain(tx, rng, `ex_date IS NOT NULL`);
        if (!domain) return this.update(tx, rng, at);
        // An expired name (in its auto-renew grace) renews from today.
        await tx.query(`UPDATE registry.domain SET ex_date = greatest(ex_date, $2::timestamptz) + interval '1 year', up_rr = cl_id, up_date = greatest(coalesce(cr_date, $2::timestamptz), $2::timestamptz) WHERE roid = $1`, [domain.roid, at]);
        return op;
      }
      case 'renameHost':
      case 'renameSharedHost': {
        // In-bailiwick: a glue host under a domain of the TLD, renamed under the same parent
        // (ns1.a.tld → r….a.tld), used by its parent and a few domains. Shared: a provider's
        // name server outside the TLD, used by a hundred domains or more. Picked from a random
        // point of the names (host names start with "ns<digit>."), through the name index.
        const from = `ns${1 + rng.int(2)}.${this.labelPoint(rng)}`;
        const suffix = `%.${this.tld}`;
        const where = op === 'renameHost' ? 'name LIKE $2' : 'name NOT LIKE $2';
        const sql = (cond: string) => `SELECT roid, name FROM registry.host WHERE ${cond} AND ${where} ORDER BY name COLLATE "C" LIMIT 1`;
        let [host] = await tx.query<{ roid: string; name: string }>(sql('name COLLATE "C" >= $1'), [from, suffix]);
        if (!host) [host] = await tx.query<{ roid: string; name: string }>(sql('$1::text IS NOT NULL'), [from, suffix]);
        if (!host) return this.update(tx, rng, at);
        const dot = host.name.indexOf('.');
        // A new first label, as short as a real one: the name stays within RFC 1035's limits.
        const renamed = `r${index.toString(36)}${this.tag.toLowerCase()}${host.name.slice(dot)}`;
        const [taken] = await tx.query('SELECT 1 FROM registry.host WHERE name = $1', [renamed]);
        if (taken) return this.update(tx, rng, at);
        await tx.query(`UPDATE registry.host SET name = $2, up_rr = cl_id, up_date = greatest(coalesce(cr_date, $3::timestamptz), $3::timestamptz) WHERE roid = $1`, [host.roid, renamed, at]);
        return op;
      }
      case 'updateContact': {
        // The registrant of a domain picked at random: contacts in use change, in proportion to
        // their domains (contact ids have no spread-out prefix to start from).
        const domain = await this.pickDomain(tx, rng, 'registrant IS NOT NULL');
        if (!domain?.registrant) return this.update(tx, rng, at);
        await tx.query(
          `UPDATE registry.contact SET email = $2, up_rr = cl_id, up_date = greatest(coalesce(cr_date, $3::timestamptz), $3::timestamptz) WHERE id = $1`,
          [domain.registrant, `changed-${index.toString(36)}@example.net`, at],
        );
        return op;
      }
      case 'update':
        return this.update(tx, rng, at);
    }
  }

  /**
   * Update a domain: toggle clientTransferProhibited (with `ok` exactly when no other status is
   * left, RFC 5731 §2.3) or, half the time in the host-object model, move its first name server
   * to another domain's.
   */
  private async update(tx: Tx, rng: Rng, at: string): Promise<'update'> {
    const domain = await this.pickDomain(tx, rng);
    if (!domain) throw invalid(`TLD ${this.tld} has no domains to change: generate a registry first`);
    const touch = () =>
      tx.query(`UPDATE registry.domain SET up_rr = cl_id, up_rr_client = NULL, up_date = greatest(coalesce(cr_date, $2::timestamptz), $2::timestamptz) WHERE roid = $1`, [domain.roid, at]);
    if (this.hostObjects && rng.chance(0.5)) {
      const other = await this.pickDomain(tx, rng);
      const [target] = other
        ? await tx.query<{ host: string }>(`SELECT host_roid AS host FROM registry.domain_ns WHERE domain_roid = $1 ORDER BY ord LIMIT 1`, [other.roid])
        : [];
      const [first] = await tx.query<{ host: string }>(`SELECT host_roid AS host FROM registry.domain_ns WHERE domain_roid = $1 AND ord = (SELECT min(ord) FROM registry.domain_ns WHERE domain_roid = $1)`, [domain.roid]);
      const [already] = target ? await tx.query(`SELECT 1 FROM registry.domain_ns WHERE domain_roid = $1 AND host_roid = $2`, [domain.roid, target.host]) : [{}];
      if (target && first && !already) {
        await tx.query(`UPDATE registry.domain_ns SET host_roid = $2 WHERE domain_roid = $1 AND ord = (SELECT min(ord) FROM registry.domain_ns WHERE domain_roid = $1)`, [domain.roid, target.host]);
        await touch();
        await this.relink(tx, { contacts: [], hosts: [first.host, target.host] }, at);
        return 'update';
      }
    }
    const statuses = await tx.query<{ ord: number; s: string }>(`SELECT ord, s FROM registry.domain_status WHERE domain_roid = $1 ORDER BY ord`, [domain.roid]);
    const locked = statuses.find((s) => s.s === 'clientTransferProhibited');
    if (locked) {
      await tx.query(`DELETE FROM registry.domain_status WHERE domain_roid = $1 AND ord = $2`, [domain.roid, locked.ord]);
      if (statuses.length === 1) await tx.query(`INSERT INTO registry.domain_status (domain_roid, ord, s) VALUES ($1, $2, 'ok')`, [domain.roid, locked.ord]);
    } else {
      const ok = statuses.find((s) => s.s === 'ok');
      if (ok) await tx.query(`DELETE FROM registry.domain_status WHERE domain_roid = $1 AND ord = $2`, [domain.roid, ok.ord]);
      const next = statuses.reduce((max, s) => Math.max(max, s.ord), -1) + 1;
      await tx.query(`INSERT INTO registry.domain_status (domain_roid, ord, s) VALUES ($1, $2, 'clientTransferProhibited')`, [domain.roid, next]);
    }
    await touch();
    return 'update';
  }
}

/**
 * Apply `options.changes` deterministic operations to the registry in `db`, each in its own
 * transaction (see the file comment). Refuses a database without the TLD or without domains.
 */
export async function churnRegistry(db: Db, options: ChurnOptions): Promise<ChurnSummary> {
  const started = performance.now();
  if (!Number.isSafeInteger(options.changes) || options.changes < 1 || options.changes > MAX_CHURN_CHANGES) {
    throw invalid(`--changes must be an integer from 1 to ${MAX_CHURN_CHANGES.toLocaleString('en-US')}, got ${options.changes}`);
  }
  if (options.seed === '') throw invalid('--seed must not be empty');
  let at: number;
  if (options.at === undefined) at = Math.floor(Date.now() / 1000) * 1000;
  else {
    const canonical = tryCanonicalDateTime(options.at);
    if (canonical === null) throw invalid(`--at must be an RFC 3339 date-time, got "${options.at}"`);
    at = Date.parse(canonical);
  }
  const tlds = await db.query<{ name: string; roid_suffix: string; host_model: string }>('SELECT name, roid_suffix, host_model FROM registry.tld ORDER BY name COLLATE "C"').catch(() => {
    throw new StrongroomError('DB_SCHEMA_MISSING', `${db.description} has no reference registry schema: generate a registry first`);
  });
  const tld = options.tld === undefined ? (tlds.length === 1 ? tlds[0] : undefined) : tlds.find((t) => t.name === options.tld);
  if (!tld) {
    throw invalid(options.tld === undefined ? `the database holds ${tlds.length} TLDs (${tlds.map((t) => t.name).join(', ') || 'none'}): name one with --tld` : `TLD "${options.tld}" is not in the database (known: ${tlds.map((t) => t.name).join(', ') || 'none'})`);
  }
  const mix = checkMix(options.mix ?? {});
  const churn = new Churn(mix, seedKey(options.seed), tld.name, tld.roid_suffix, tld.host_model === 'objects');
  const applied = Object.fromEntries(CHURN_OPERATIONS.map((op) => [op, 0])) as Record<ChurnOperation, number>;
  for (let index = 0; index < options.changes; index++) {
    const when = canonicalDateTime(new Date(at - (options.changes - 1 - index)).toISOString());
    const op = await db.transaction((tx) => churn.apply(tx, index, when));
    applied[op]++;
  }
  return {
    tld: tld.name,
    seed: options.seed,
    at: canonicalDateTime(new Date(at).toISOString()),
    changes: options.changes,
    mix,
    applied,
    seconds: Math.round((performance.now() - started) / 10) / 100,
  };
}
