/**
 * Logical equality of two registry databases (`strongroom compare`): every RFC 9022 object,
 * every field, as an escrow deposit sees them — both sides are read through the read contract
 * (src/sources, the rde.* views) in one snapshot each, so any two databases the deposit writer
 * can read can be compared (reference schema or mapped, embedded or server).
 *
 * - Objects are matched by key (registrar/contact id, host/domain roid, NNDN aName, IDN table
 *   id, EPP parameters per TLD, policies by position) in a merge join over the two sorted
 *   streams: memory stays bounded whatever the size.
 * - Repeated elements that are sets in RFC 9022 (statuses, contacts, name servers, addresses,
 *   DS/key data, postal infos by type, EPP parameter lists, DCP statements) compare as sets;
 *   sequences (street lines) in order.
 * - Per TLD, what the deposit shows of its settings is compared too: the host model, whether
 *   contacts are escrowed (data model `minimum` or not) and the repository id (roid suffix).
 *   Not compared: the TLD row's creation time and bookkeeping (strongroom.*), which no deposit
 *   carries.
 * - The report is bounded: the first `maxDifferences` differences in detail, all of them counted.
 */
import type { Db } from '../db/adapter.js';
import { progressOrNoop, type Progress } from '../common/progress.js';
import { withRegistrySnapshot, type PostgresRegistrySource } from '../sources/postgres-source.js';
import type { SourceKind } from '../sources/source.js';

export interface Difference {
  /** Object kind, or 'tld' for a TLD's existence and settings. */
  kind: SourceKind | 'tld';
  /** The object's key (domain name, host name, contact id …). */
  object: string;
  /** The field that differs; '(object)' when the object exists on one side only. */
  field: string;
  /** The values on each side (JSON text, shortened), or null where absent. */
  a: string | null;
  b: string | null;
}

export interface CompareOptions {
  /** Compare this TLD only (with the repository objects its deposit holds). */
  tld?: string;
  /** Differences reported in detail (default 20); all are counted. */
  maxDifferences?: number;
  progress?: Progress;
}

export interface CompareResult {
  equal: boolean;
  a: string;
  b: string;
  tlds: string[];
  /** Objects per kind on each side. */
  objects: Partial<Record<SourceKind, { a: number; b: number }>>;
  /** How many differences were found in all. */
  differenceCount: number;
  /** The first ones, in detail. */
  differences: Difference[];
}

const VALUE_CHARS = 200;

function show(value: unknown): string | null {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS - 1)}…` : text;
}

/** Byte order of the UTF-8 encodings (collation "C", the order the sources read in). */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

const byJson = (a: unknown, b: unknown): number => {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** A copy of `list` in a canonical order (sets compare equal whatever their stored order). */
function asSet<T>(list: readonly T[] | undefined): T[] | undefined {
  return list === undefined ? undefined : [...list].sort(byJson);
}

type Plain = Record<string, unknown>;

/** The object with every set-valued field in canonical order; other fields untouched. */
function canonical(kind: SourceKind, value: unknown): Plain {
  const o = JSON.parse(JSON.stringify(value)) as Plain;
  const sets = (keys: string[]) => {
    for (const key of keys) if (Array.isArray(o[key])) o[key] = asSet(o[key] as unknown[]);
  };
  switch (kind) {
    case 'domain': {
      sets(['status', 'rgpStatus', 'contact']);
      const ns = o.ns as { hostObj?: string[]; hostAttr?: Array<{ hostName: string; hostAddr: unknown[] }> } | undefined;
      if (ns?.hostObj) ns.hostObj = asSet(ns.hostObj)!;
      if (ns?.hostAttr) ns.hostAttr = asSet(ns.hostAttr.map((h) => ({ ...h, hostAddr: asSet(h.hostAddr)! })))!;
      const sec = o.secDNS as { dsData?: unknown[]; keyData?: unknown[] } | undefined;
      if (sec?.dsData) sec.dsData = asSet(sec.dsData)!;
      if (sec?.keyData) sec.keyData = asSet(sec.keyData)!;
      break;
    }
    case 'host':
      sets(['status', 'addr']);
      break;
    case 'contact': {
      sets(['status', 'postalInfo']);
      const d = o.disclose as Record<string, unknown> | undefined;
      if (d) for (const key of ['name', 'org', 'addr']) d[key] = asSet(d[key] as unknown[]);
      break;
    }
    case 'registrar':
      sets(['postalInfo']);
      break;
    case 'eppParams': {
      sets(['version', 'lang', 'objURI', 'extURI']);
      const dcp = o.dcp as { statement: Array<{ purpose: unknown[]; recipient: { ours: unknown[] } }> };
      dcp.statement = asSet(dcp.statement.map((s) => ({ ...s, purpose: asSet(s.purpose)!, recipient: { ...s.recipient, ours: asSet(s.recipient.ours)! } })))!;
      break;
    }
    default:
      break;
  }
  return o;
}

/** Key and human name of an object of each kind. */
const IDENTITY: Record<SourceKind, (o: Plain, index: number) => { key: string; name: string }> = {
  registrar: (o) => ({ key: String(o.id), name: String(o.id) }),
  contact: (o) => ({ key: String(o.id), name: String(o.id) }),
  host: (o) => ({ key: String(o.roid), name: `${String(o.name)} (${String(o.roid)})` }),
  domain: (o) => ({ key: String(o.roid), name: `${String(o.name)} (${String(o.roid)})` }),
  idnTable: (o) => ({ key: String(o.id), name: String(o.id) }),
  nndn: (o) => ({ key: String(o.aName), name: String(o.aName) }),
  eppParams: () => ({ key: '', name: 'eppParams' }),
  policy: (o, index) => ({ key: String(index).padStart(6, '0'), name: `policy #${index + 1}` }),
};

const READ: Record<SourceKind, (s: PostgresRegistrySource) => AsyncIterable<unknown>> = {
  registrar: (s) => s.registrars(),
  idnTable: (s) => s.idnTables(),
  contact: (s) => s.contacts(),
  host: (s) => s.hosts(),
  domain: (s) => s.domains(),
  nndn: (s) => s.nndns(),
  eppParams: (s) => s.eppParams(),
  policy: (s) => s.policies(),
};

/** Kinds shared by the repository's TLDs (compared once), and kinds of one TLD. */
const REPOSITORY_KINDS: readonly SourceKind[] = ['registrar', 'contact', 'host'];
const TLD_KINDS: readonly SourceKind[] = ['idnTable', 'domain', 'nndn', 'eppParams', 'policy'];

class Report {
  count = 0;
  readonly items: Difference[] = [];
  readonly objects: Partial<Record<SourceKind, { a: number; b: number }>> = {};

  constructor(private readonly max: number) {}

  add(d: Difference): void {
    this.count++;
    if (this.items.length < this.max) this.items.push(d);
  }

  tally(kind: SourceKind, side: 'a' | 'b'): void {
    const entry = (this.objects[kind] ??= { a: 0, b: 0 });
    entry[side]++;
  }
}

interface Keyed {
  key: string;
  name: string;
  value: Plain;
}

async function* keyed(kind: SourceKind, source: AsyncIterable<unknown>, report: Report, side: 'a' | 'b'): AsyncGenerator<Keyed> {
  let index = 0;
  for await (const raw of source) {
    const value = canonical(kind, raw);
    report.tally(kind, side);
    yield { ...IDENTITY[kind](value, index++), value };
  }
}

function compareObject(kind: SourceKind, a: Keyed, b: Keyed, report: Report): void {
  const fields = new Set([...Object.keys(a.value), ...Object.keys(b.value)]);
  for (const field of fields) {
    const x = show(a.value[field]);
    const y = show(b.value[field]);
    if (x !== y && JSON.stringify(a.value[field]) !== JSON.stringify(b.value[field])) report.add({ kind, object: a.name, field, a: x, b: y });
  }
}

/** Merge join of the two sorted streams of one kind. */
async function compareKind(kind: SourceKind, sa: PostgresRegistrySource, sb: PostgresRegistrySource, report: Report): Promise<void> {
  const ia = keyed(kind, READ[kind](sa), report, 'a')[Symbol.asyncIterator]();
  const ib = keyed(kind, READ[kind](sb), report, 'b')[Symbol.asyncIterator]();
  let a = await ia.next();
  let b = await ib.next();
  while (!a.done || !b.done) {
    const order = a.done ? 1 : b.done ? -1 : compareKeys(a.value.key, b.value.key);
    if (order === 0) {
      compareObject(kind, a.value as Keyed, b.value as Keyed, report);
      a = await ia.next();
      b = await ib.next();
    } else if (order < 0) {
      const only = a.value as Keyed;
      report.add({ kind, object: only.name, field: '(object)', a: 'present', b: null });
      a = await ia.next();
    } else {
      const only = b.value as Keyed;
      report.add({ kind, object: only.name, field: '(object)', a: null, b: 'present' });
      b = await ib.next();
    }
  }
}

async function tldNames(db: Db): Promise<string[]> {
  const rows = await db.query<{ name: string }>(`SELECT name FROM rde.tld ORDER BY name COLLATE "C"`).catch(() => null);
  return rows ? rows.map((r) => r.name) : [];
}

/** Compare `a` and `b`; never throws for differences (they are the result). */
export async function compareDatabases(a: Db, b: Db, options: CompareOptions = {}): Promise<CompareResult> {
  const report = new Report(options.maxDifferences ?? 20);
  const progress = progressOrNoop(options.progress);
  const [namesA, namesB] = [await tldNames(a), await tldNames(b)];
  let tlds = [...new Set([...namesA, ...namesB])].sort(compareKeys);
  if (options.tld !== undefined) tlds = tlds.filter((t) => t === options.tld);
  if (options.tld !== undefined && tlds.length === 0) {
    report.add({ kind: 'tld', object: options.tld, field: '(object)', a: null, b: null });
  }
  const task = progress.task('comparing', 'steps', tlds.length);
  const repositoryDone = new Set<SourceKind>();
  for (const tld of tlds) {
    const inA = namesA.includes(tld);
    const inB = namesB.includes(tld);
    if (!inA || !inB) {
      report.add({ kind: 'tld', object: tld, field: '(object)', a: inA ? 'present' : null, b: inB ? 'present' : null });
      task.add(1);
      continue;
    }
    await withRegistrySnapshot(a, { tld }, (sa) =>
      withRegistrySnapshot(b, { tld }, async (sb) => {
        const settings = (s: PostgresRegistrySource) => ({ hostModel: s.tld.hostModel, contactsEscrowed: s.tld.dataModel !== 'minimum', roidSuffix: s.tld.roidSuffix });
        const [x, y] = [settings(sa), settings(sb)];
        for (const field of Object.keys(x) as Array<keyof typeof x>) {
          if (x[field] !== y[field]) report.add({ kind: 'tld', object: tld, field, a: show(x[field]), b: show(y[field]) });
        }
        for (const kind of REPOSITORY_KINDS) {
          // Repository objects are compared once, through the first TLD whose deposit holds them.
          const held = kind === 'registrar' || (kind === 'contact' ? x.contactsEscrowed || y.contactsEscrowed : x.hostModel === 'objects' || y.hostModel === 'objects');
          if (!held || repositoryDone.has(kind)) continue;
          repositoryDone.add(kind);
          await compareKind(kind, sa, sb, report);
        }
        for (const kind of TLD_KINDS) await compareKind(kind, sa, sb, report);
      }),
    );
    task.add(1);
  }
  task.done();
  return {
    equal: report.count === 0,
    a: a.description,
    b: b.description,
    tlds,
    objects: report.objects,
    differenceCount: report.count,
    differences: report.items,
  };
}
