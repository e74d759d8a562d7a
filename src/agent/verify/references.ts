/**
 * Semantic stage `references` (RFC 9022 §5; ICANN RST rde-07…rde-10, rde-12): in a FULL deposit
 * every reference resolves to an object of the deposit, no object is there twice, and no NNDN
 * shares a name with a domain. The one place these checks live (the per-object value rules are
 * the `object-rules` stage, src/agent/rst); the codes are the writer's pre-flight codes
 * (src/deposit/preflight.ts, RST's names where RST has one), so writer and agent judge alike.
 *
 *   domain registrant                  → contacts   RDE_DOMAIN_HAS_INVALID_REGISTRANT
 *   domain admin/tech/billing contacts → contacts   RDE_DOMAIN_HAS_MISSING_CONTACT
 *   domain hostObj                     → hosts      RDE_DOMAIN_HAS_MISSING_NAMESERVER
 *   domain clID, crRr, upRr, reRr, acRr → registrars RDE_DOMAIN_HAS_INVALID_{CLID,CRRR,UPRR,RERR,ACRR}
 *   host clID, crRr, upRr              → registrars RDE_HOST_HAS_INVALID_CLID, SR_HOST_HAS_UNKNOWN_{CRRR,UPRR}
 *   contact clID, crRr, upRr, reRr, acRr → registrars RDE_CONTACT_HAS_UNKNOWN_{CLID,CRRR,UPRR,RERR,ACRR}
 *   domain / NNDN idnTableId           → IDN tables SR_DOMAIN_HAS_UNKNOWN_IDN_TABLE, SR_NNDN_HAS_UNKNOWN_IDN_TABLE
 *   NNDN aName = a domain name                      RDE_NNDN_CONFLICTS_WITH_DOMAIN
 *   twice: registrar id, contact id/roid, host name/roid, domain name/roid, IDN table id, NNDN
 *          RDE_REGISTRAR_HAS_NON_UNIQUE_ID, RDE_{CONTACT,HOST,DOMAIN}_HAS_NON_UNIQUE_{ID,NAME,ROID},
 *          RDE_IDN_OBJECT_INVALID, RDE_NNDN_CONFLICTS_WITH_DOMAIN
 *
 * The deposit is read by the typed reader (src/reader) — the single pass's events, shared with
 * object-rules — in any object
 * order (a reference may come before the object it names). Memory stays bounded whatever the
 * size: with a catalog the definitions and references stream (COPY) into a temporary table of
 * the catalog database (in pieces of COPY text, db/adapter.ts copyPieces) and anti-joins find the dangling ones; without one they are held in
 * memory up to MAX_IN_MEMORY entries, beyond which the stage is NOT RUN (blocking).
 *
 * A DIFF's references resolve across the chain (RFC 9022 §5: a DIFF holds only what changed):
 * against the objects of the kept chain — the last verified FULL and the verified DIFFs after
 * it, read again from the repository (signatures verified again, decrypted in memory) and
 * applied in order into a temporary table of the catalog (a DIFF's objects replace, its deletes
 * remove) — minus this DIFF's own deletes, plus its own contents. Uniqueness is judged within
 * the DIFF (an object of the chain it replaces is not a duplicate). Without the chain (no
 * catalog/repository) a DIFF's references are NOT RUN (reported, not blocking); when a link of
 * the chain can no longer be read they are NOT RUN and block a PASS.
 */
import { isStrongroomError, messageOf } from '../../common/errors.js';
import type { DomainContactType, RdeDelete, RdeObject, RegistrarRef } from '../../model/objects.js';
import { readDeposit, readDepositBatches, type DepositEvent } from '../../reader/index.js';
import { copyPieces, type Tx } from '../../db/adapter.js';
import { copyField } from '../../sources/copy-text.js';
import { decodedXml, signatureStage, type ContainerState } from './container.js';
import type { CheckStage, DepositInput, SemanticOffload, StageFinding, StageOutcome, VerifyContext } from './stage.js';

/** What an identifier names: an object kind, or one of the identifiers that must be unique. */
export type RefKind = 'registrar' | 'contact' | 'host' | 'domain' | 'idn' | 'nndn' | 'contact-roid' | 'host-roid' | 'domain-roid';

/**
 * One row: `d` defines `id` of `kind` (code: the finding when defined twice); `u` uses it and
 * must find a definition (code: the finding when it does not); `c` must NOT find one (an NNDN
 * aName against the domain names).
 */
export interface RefRow {
  /** 'x': this DIFF deletes `id` of `kind` (host deletes by roid are kind 'host-roid'). */
  role: 'd' | 'u' | 'c' | 'x';
  kind: RefKind;
  id: string;
  code: string;
  /** The object the row comes from, e.g. "domain example.test". */
  obj: string;
  field: string;
}

/** References and definitions held in memory without a catalog. */
export const MAX_IN_MEMORY = 2_000_000;
/** Dangling references and duplicates reported one by one; more are counted. */
const MAX_LISTED = 1000;

const WHAT: Record<RefKind, string> = {
  registrar: 'registrar',
  contact: 'contact',
  host: 'host object',
  domain: 'domain',
  idn: 'IDN table',
  nndn: 'NNDN',
  'contact-roid': 'contact roid',
  'host-roid': 'host roid',
  'domain-roid': 'domain roid',
};

/**
 * Where emitRows puts a row: the object it comes from as `what` and `name` ("domain",
 * "example.test": the row's obj is `${what} ${name}`, built only by a sink that keeps it).
 */
type RowSink = (role: 'd' | 'u' | 'c', kind: RefKind, id: string, code: string, what: string, name: string, field: string) => void;

/** The field of a domain contact row, by contact type (one string each, not one per row). */
const CONTACT_FIELD: Record<DomainContactType, string> = { admin: 'contact type=admin', billing: 'contact type=billing', tech: 'contact type=tech' };

/**
 * `thin`: a BRDA deposit (Spec 4 §3.1.1) holds domains and registrars only, so a domain's name
 * servers name hosts that are not in it by design; only its registrar references are checked.
 * A use of an absent or empty id is no row.
 */
function emitRows(object: RdeObject, sink: RowSink, thin = false): void {
  const use = (kind: RefKind, ref: RegistrarRef | string | undefined, code: string, what: string, name: string, field: string): void => {
    const id = typeof ref === 'string' ? ref : ref?.id;
    if (id !== undefined && id !== '') sink('u', kind, id, code, what, name, field);
  };
  switch (object.kind) {
    case 'registrar':
      sink('d', 'registrar', object.value.id, 'RDE_REGISTRAR_HAS_NON_UNIQUE_ID', 'registrar', object.value.id, 'id');
      return;
    case 'idnTable':
      sink('d', 'idn', object.value.id, 'RDE_IDN_OBJECT_INVALID', 'idnTableRef', object.value.id, 'id');
      return;
    case 'nndn': {
      const n = object.value;
      sink('d', 'nndn', n.aName.toLowerCase(), 'RDE_NNDN_CONFLICTS_WITH_DOMAIN', 'NNDN', n.aName, 'aName');
      sink('c', 'domain', n.aName.toLowerCase(), 'RDE_NNDN_CONFLICTS_WITH_DOMAIN', 'NNDN', n.aName, 'aName');
      use('idn', n.idnTableId, 'SR_NNDN_HAS_UNKNOWN_IDN_TABLE', 'NNDN', n.aName, 'idnTableId');
      return;
    }
    case 'contact': {
      const c = object.value;
      const name = c.id;
      sink('d', 'contact', c.id, 'RDE_CONTACT_HAS_NON_UNIQUE_ID', 'contact', name, 'id');
      sink('d', 'contact-roid', c.roid, 'RDE_CONTACT_HAS_NON_UNIQUE_ROID', 'contact', name, 'roid');
      use('registrar', c.clID, 'RDE_CONTACT_HAS_UNKNOWN_CLID', 'contact', name, 'clID');
      use('registrar', c.crRr, 'RDE_CONTACT_HAS_UNKNOWN_CRRR', 'contact', name, 'crRr');
      use('registrar', c.upRr, 'RDE_CONTACT_HAS_UNKNOWN_UPRR', 'contact', name, 'upRr');
      use('registrar', c.trnData?.reRr, 'RDE_CONTACT_HAS_UNKNOWN_RERR', 'contact', name, 'reRr');
      use('registrar', c.trnData?.acRr, 'RDE_CONTACT_HAS_UNKNOWN_ACRR', 'contact', name, 'acRr');
      return;
    }
    case 'host': {
      const h = object.value;
      const name = h.name;
      sink('d', 'host', h.name.toLowerCase(), 'RDE_HOST_HAS_NON_UNIQUE_NAME', 'host', name, 'name');
      sink('d', 'host-roid', h.roid, 'RDE_HOST_HAS_NON_UNIQUE_ROID', 'host', name, 'roid');
      use('registrar', h.clID, 'RDE_HOST_HAS_INVALID_CLID', 'host', name, 'clID');
      use('registrar', h.crRr, 'SR_HOST_HAS_UNKNOWN_CRRR', 'host', name, 'crRr');
      use('registrar', h.upRr, 'SR_HOST_HAS_UNKNOWN_UPRR', 'host', name, 'upRr');
      return;
    }
    case 'domain': {
      const d = object.value;
      const name = d.name;
      sink('d', 'domain', d.name.toLowerCase(), 'RDE_DOMAIN_HAS_NON_UNIQUE_NAME', 'domain', name, 'name');
      sink('d', 'domain-roid', d.roid, 'RDE_DOMAIN_HAS_NON_UNIQUE_ROID', 'domain', name, 'roid');
      use('contact', d.registrant, 'RDE_DOMAIN_HAS_INVALID_REGISTRANT', 'domain', name, 'registrant');
      for (const contact of d.contact) use('contact', contact.id, 'RDE_DOMAIN_HAS_MISSING_CONTACT', 'domain', name, CONTACT_FIELD[contact.type]);
      if (!thin && d.ns && 'hostObj' in d.ns) for (const host of d.ns.hostObj) use('host', host.toLowerCase(), 'RDE_DOMAIN_HAS_MISSING_NAMESERVER', 'domain', name, 'hostObj');
      use('registrar', d.clID, 'RDE_DOMAIN_HAS_INVALID_CLID', 'domain', name, 'clID');
      use('registrar', d.crRr, 'RDE_DOMAIN_HAS_INVALID_CRRR', 'domain', name, 'crRr');
      use('registrar', d.upRr, 'RDE_DOMAIN_HAS_INVALID_UPRR', 'domain', name, 'upRr');
      use('registrar', d.trnData?.reRr, 'RDE_DOMAIN_HAS_INVALID_RERR', 'domain', name, 'reRr');
      use('registrar', d.trnData?.acRr, 'RDE_DOMAIN_HAS_INVALID_ACRR', 'domain', name, 'acRr');
      use('idn', d.idnTableId, 'SR_DOMAIN_HAS_UNKNOWN_IDN_TABLE', 'domain', name, 'idnTableId');
      return;
    }
    default:
      return;
  }
}

/** The rows of `object` as RefRows, appended to `out`. */
function rowsOf(object: RdeObject, out: RefRow[], thin = false): void {
  emitRows(object, (role, kind, id, code, what, name, field) => out.push({ role, kind, id, code, obj: `${what} ${name}`, field }), thin);
}

/** A DIFF's delete entry (RFC 9022 <rde:deletes>) as the key it removes. */
function deleteKey(entry: RdeDelete): { kind: RefKind; id: string } {
  switch (entry.kind) {
    case 'domain':
      return { kind: 'domain', id: entry.name.toLowerCase() };
    case 'host':
      return 'roid' in entry ? { kind: 'host-roid', id: entry.roid } : { kind: 'host', id: entry.name.toLowerCase() };
    case 'contact':
      return { kind: 'contact', id: entry.id };
    case 'registrar':
      return { kind: 'registrar', id: entry.id };
    case 'idnTable':
      return { kind: 'idn', id: entry.id };
    case 'nndn':
      return { kind: 'nndn', id: entry.aName.toLowerCase() };
  }
}

function deleteRow(entry: RdeDelete): RefRow {
  const { kind, id } = deleteKey(entry);
  return { role: 'x', kind, id, code: '', obj: `delete ${id}`, field: kind };
}

type Listed = Pick<RefRow, 'role' | 'kind' | 'id' | 'code' | 'obj' | 'field'>;

function objectOf(row: Pick<RefRow, 'obj'>): string {
  return row.obj.slice(row.obj.indexOf(' ') + 1);
}

function findingOf(row: Listed, where: string): StageFinding {
  const message =
    row.role === 'u'
      ? `${row.obj}: ${row.field} "${row.id}" names no ${WHAT[row.kind]} in ${where}`
      : `${row.obj}: ${row.field} "${row.id}" is also a domain name in ${where}`;
  return { code: row.code, severity: 'error', object: objectOf(row), message };
}

const byKey = (a: Listed, b: Listed): number => {
  const left = `${a.kind}\0${a.id}\0${a.obj}\0${a.field}`;
  const right = `${b.kind}\0${b.id}\0${b.obj}\0${b.field}`;
  return left < right ? -1 : left > right ? 1 : 0;
};

export interface Outcome {
  /** Dangling uses and conflicts, at most MAX_LISTED. */
  broken: Listed[];
  brokenTotal: number;
  duplicates: Array<{ kind: RefKind; id: string; code: string; n: number }>;
}

export function referencesStage(): CheckStage {
  return {
    id: 'references',
    title: 'References resolve, objects are unique, NNDNs conflict with no domain (rde-07…rde-10, rde-12)',
    kind: 'semantic',
    needs: ['plaintext', 'summary'],
    sharesObjectPass: true,
    async run(ctx, emit) {
      const file = String(ctx.facts.xmlName ?? ctx.input.key);
      const thin = ctx.input.name.type === 'thin';
      // On the semantic worker of the single pass the rows' COPY text is made there; the decisions stay here.
      const offload = ctx.offload && ctx.catalog ? ctx.offload.references : undefined;
      try {
        return await checkReferences(ctx, emit, file, thin, offload);
      } finally {
        await offload?.text[Symbol.asyncIterator]().return?.();
      }
    },
  };
}

async function checkReferences(ctx: VerifyContext, emit: (finding: StageFinding) => void, file: string, thin: boolean, offload: SemanticOffload['references'] | undefined): Promise<StageOutcome> {
      const batches = offload ? undefined : (ctx.objectBatches ? ctx.objectBatches() : readDepositBatches(ctx.plaintext!(), { file, lean: true }))[Symbol.asyncIterator]();
      // The reader announces the envelope before any object (in the single pass the XML summary is not known yet).
      let first: IteratorResult<readonly DepositEvent[]> | undefined;
      let envelope: { type?: string; watermark?: string } | undefined;
      try {
        if (offload) envelope = await offload.head;
        else {
          first = await batches!.next();
          envelope = headOf(first);
        }
      } catch (err) {
        if (isStrongroomError(err) && err.code.startsWith('READER_')) return { notRun: `the typed reader refused the deposit: ${messageOf(err)}` };
        throw err;
      }
      const type = ctx.summary?.type ?? envelope?.type;
      const watermark = ctx.summary?.watermark ?? envelope?.watermark;
      const diff = type === 'DIFF';
      if (type !== 'FULL' && !diff) return { notRun: `the references of a ${type ?? '?'} deposit are not checked (an INCR builds on the last FULL only; not implemented)`, blocking: false };
      let base: DepositInput[] | undefined;
      if (diff) {
        const why = !ctx.catalog || !ctx.chainBase ? 'no repository catalog holds the chain this DIFF builds on (verify it stored, or give --repo/--db)' : !watermark ? 'the DIFF has no usable watermark' : undefined;
        if (why) return { notRun: `a DIFF's references resolve across the chain: ${why}`, blocking: false };
        base = await ctx.chainBase!(ctx.input.name.tld, watermark!, ctx.input.key);
        if (base.length === 0) return { notRun: `no verified FULL of .${ctx.input.name.tld} precedes this DIFF in the catalog: its references have nothing to resolve against` };
      }
      let outcome: Outcome | { notRun: string };
      try {
        const chain = base && ((tx: Tx) => loadChain(ctx, tx, base!));
        if (offload) outcome = await throughCatalogText(ctx.catalog!, offload.text, chain);
        else {
          const rows = batchRows(first!, batches!, thin, diff);
          outcome = ctx.catalog ? await throughCatalog(ctx.catalog, rows, chain) : await inMemory(rows);
        }
      } catch (err) {
        if (isStrongroomError(err) && err.code.startsWith('READER_')) return { notRun: `the typed reader refused the deposit: ${messageOf(err)}` };
        if (err instanceof ChainUnreadable) return { notRun: err.message };
        throw err;
      }
      if ('notRun' in outcome) return outcome;
      const where = diff ? 'the deposit or the chain it builds on' : 'the deposit';
      for (const row of outcome.broken) emit(findingOf(row, where));
      if (outcome.brokenTotal > outcome.broken.length) emit({ code: 'SR_REFERENCE_MISSING', severity: 'error', message: `${outcome.brokenTotal - outcome.broken.length} more dangling reference(s) or conflicts not listed` });
      for (const row of outcome.duplicates) emit({ code: row.code, severity: 'error', object: row.id, message: `${WHAT[row.kind]} "${row.id}" appears ${row.n} times in the deposit` });
}

/** The envelope's type and watermark from the reader's first batch. */
export function headOf(first: IteratorResult<readonly DepositEvent[]>): { type?: string; watermark?: string } | undefined {
  const head = first.done ? undefined : first.value[0];
  return head?.type === 'deposit' ? { type: head.envelope.type, watermark: head.envelope.watermark } : undefined;
}

/** The rows of each batch of objects from the reader's first batch on (one array, reused: consumed before the next is read). */
export async function* batchRows(first: IteratorResult<readonly DepositEvent[]>, batches: AsyncIterator<readonly DepositEvent[]>, thin: boolean, diff: boolean): AsyncGenerator<RefRow[]> {
  const out: RefRow[] = [];
  for (let next = first; !next.done; next = await batches.next()) {
    out.length = 0;
    for (const event of next.value) {
      if (event.type === 'object') rowsOf(event.object, out, thin);
      else if (event.type === 'delete' && diff) out.push(deleteRow(event.delete));
    }
    if (out.length > 0) yield out;
  }
}

/** A link of the chain could not be read again (signature, decryption, reader): the DIFF's references did not run. */
class ChainUnreadable extends Error {}

/**
 * The objects of the kept chain into the temporary table agent_chain (kind, id, roid): the
 * FULL's, then each DIFF applied in order (its deletes and the objects it replaces removed,
 * its objects added). Each link is read from the repository as at verification: signatures
 * verified, decrypted and decompressed in memory, read by the typed reader.
 */
async function loadChain(ctx: VerifyContext, tx: Tx, links: readonly DepositInput[]): Promise<void> {
  await tx.exec(`CREATE TEMP TABLE agent_chain (kind text NOT NULL, id text COLLATE "C" NOT NULL, roid text COLLATE "C") ON COMMIT DROP;
    CREATE TEMP TABLE agent_chain_step (op "char" NOT NULL, kind text NOT NULL, id text COLLATE "C" NOT NULL, roid text COLLATE "C") ON COMMIT DROP`);
  for (const [position, link] of links.entries()) {
    const state: ContainerState = { handles: [] };
    const linkCtx: VerifyContext = { ...ctx, input: link, facts: {}, signaturesOk: undefined };
    delete linkCtx.objects;
    const problems: string[] = [];
    const note = (finding: StageFinding): void => {
      if (finding.severity === undefined || finding.severity === 'error') problems.push(`${finding.code}: ${finding.message}`);
    };
    try {
      await signatureStage(state).run(linkCtx, note);
      if (!linkCtx.signaturesOk) throw new ChainUnreadable(`${link.key}, a link of the chain this DIFF builds on, no longer verifies: ${problems.join('; ') || 'its signatures'}`);
      const table = position === 0 ? 'agent_chain' : 'agent_chain_step';
      const lines = async function* (): AsyncGenerator<string> {
        for await (const event of readDeposit(decodedXml(linkCtx, state, note), { file: link.key })) {
          if (event.type === 'object') {
            const object = event.object;
            const host = object.kind === 'host' ? object.value.roid : undefined;
            const out: RefRow[] = [];
            rowsOf(object, out);
            let text = '';
            for (const row of out) {
              if (row.role !== 'd' || row.kind.endsWith('-roid')) continue;
              text += `${position === 0 ? '' : 'd\t'}${row.kind}\t${copyField(row.id)}\t${row.kind === 'host' && host ? copyField(host) : '\\N'}\n`;
            }
            yield text;
          } else if (event.type === 'delete' && position > 0) {
            const { kind, id } = deleteKey(event.delete);
            yield kind === 'host-roid' ? `x\thost\t\t${copyField(id)}\n` : `x\t${kind}\t${copyField(id)}\t\\N\n`;
          }
        }
      };
      await tx.copyFrom(position === 0 ? `COPY ${table} (kind, id, roid) FROM STDIN` : `COPY ${table} (op, kind, id, roid) FROM STDIN`, copyPieces(lines()));
    } catch (err) {
      if (err instanceof ChainUnreadable) throw err;
      if (isStrongroomError(err)) throw new ChainUnreadable(`${link.key}, a link of the chain this DIFF builds on, could not be read: ${messageOf(err)}`);
      throw err;
    } finally {
      for (const handle of state.handles) await handle.handle.close().catch(() => undefined);
    }
    if (position === 0) {
      await tx.exec(`CREATE INDEX ON agent_chain (kind, id); CREATE INDEX ON agent_chain (roid) WHERE roid IS NOT NULL; ANALYZE agent_chain`);
      continue;
    }
    // Objects replaced or deleted by this DIFF go; its objects come in.
    await tx.exec(`ANALYZE agent_chain_step;
      DELETE FROM agent_chain c USING agent_chain_step s WHERE s.id <> '' AND c.kind = s.kind AND c.id = s.id;
      DELETE FROM agent_chain c USING agent_chain_step s WHERE s.op = 'x' AND s.id = '' AND c.kind = s.kind AND c.roid = s.roid;
      INSERT INTO agent_chain (kind, id, roid) SELECT kind, id, roid FROM agent_chain_step WHERE op = 'd';
      TRUNCATE agent_chain_step`);
  }
}

/**
 * Identifiers defined so far, of the kinds a reference names (registrar, contact, host, IDN
 * table), held to resolve references on arrival: a use naming one of them resolves whatever
 * comes later, so it need not go to the catalog (RFC 9022 deposits usually list registrars,
 * contacts and hosts before the domains naming them). At most KNOWN_MAX identifiers (bounded
 * memory); beyond, and for references coming before their definition, the rows go to the
 * catalog as before and the anti-join decides.
 */
export const KNOWN_MAX = 1_000_000;

class KnownIds {
  private readonly sets = new Map<RefKind, ProbeSet>();
  private size = 0;
  constructor(private readonly max: number) {}
  add(kind: RefKind, id: string): void {
    if (this.size >= this.max) return;
    let set = this.sets.get(kind);
    if (!set) this.sets.set(kind, (set = new ProbeSet()));
    if (set.add(id)) this.size++;
  }
  has(kind: RefKind, id: string): boolean {
    return this.sets.get(kind)?.has(id) ?? false;
  }
}

/** Probes before a ProbeSet gives up (an id not added, a lookup answered "unknown"): bounded work per id whatever the input. */
const MAX_PROBES = 32;
/** Per process, so that no input can be made to collide on purpose. */
const HASH_SEED = (Math.random() * 0x100000000) >>> 0;

/**
 * A set of strings, open addressing, hashed in JS. A just-read id is a fresh string, and a
 * Set lookup hashes it through the V8 runtime: that was most of the reference rows' time. It
 * may forget (an id is not added, or not found, past MAX_PROBES): for KnownIds that only
 * sends a row to the catalog, which decides; it never finds what was not added.
 */
class ProbeSet {
  private keys: Array<string | undefined> = new Array<string | undefined>(1024).fill(undefined);
  private mask = 1023;
  private size = 0;

  private static hash(s: string): number {
    let h = HASH_SEED ^ 0x811c9dc5;
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** True when added (false: already there, or given up). */
  add(id: string): boolean {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const mask = this.mask;
    let at = ProbeSet.hash(id) & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++, at = (at + 1) & mask) {
      const key = this.keys[at];
      if (key === undefined) {
        this.keys[at] = id;
        this.size++;
        return true;
      }
      if (key === id) return false;
    }
    return false;
  }

  has(id: string): boolean {
    const mask = this.mask;
    let at = ProbeSet.hash(id) & mask;
    for (let probe = 0; probe < MAX_PROBES; probe++, at = (at + 1) & mask) {
      const key = this.keys[at];
      if (key === undefined) return false;
      if (key === id) return true;
    }
    return false;
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Array<string | undefined>(old.length * 2).fill(undefined);
    this.mask = this.keys.length - 1;
    this.size = 0;
    for (const key of old) if (key !== undefined) this.add(key);
  }
}

/**
 * The definitions sent so far, as a Bloom filter (kind and id; SEEN_BITS bits, 4 probes, a fixed
 * 8 MiB whatever the deposit): `add` answers false only when the key is surely new. So every
 * key defined twice has a row flagged `again` (its second), and the duplicate query only looks
 * at the flagged keys (about 0.1% false flags at 3.3M definitions, 1M domains; more past that,
 * which costs time, never a finding).
 */
class SeenFilter {
  private readonly bits = new Int32Array(SEEN_BITS >>> 5);
  /** True when the key was surely not added before (and is now). */
  add(kind: string, id: string): boolean {
    let h1 = HASH_SEED ^ 0x811c9dc5;
    let h2 = (HASH_SEED ^ 0x5bd1e995) >>> 0;
    for (let i = 0; i < kind.length; i++) {
      const c = kind.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
    }
    h1 = Math.imul(h1 ^ 0, 0x01000193);
    h2 = Math.imul(h2 ^ 0, 0x5bd1e995) ^ (h2 >>> 13);
    for (let i = 0; i < id.length; i++) {
      const c = id.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 13);
    }
    h1 ^= h1 >>> 15;
    h2 = (h2 ^ (h2 >>> 16)) | 1;
    let fresh = false;
    for (let probe = 0; probe < 4; probe++) {
      const bit = (h1 + Math.imul(probe, h2)) & (SEEN_BITS - 1);
      const word = bit >>> 5;
      const mask = 1 << (bit & 31);
      if ((this.bits[word]! & mask) === 0) {
        fresh = true;
        this.bits[word]! |= mask;
      }
    }
    return fresh;
  }
}
const SEEN_BITS = 2 ** 26;

/** Kinds a `u` row can name (the others are only defined: domains, NNDNs, roids). */
const REFERENCED: ReadonlySet<RefKind> = new Set<RefKind>(['registrar', 'contact', 'host', 'idn']);

/**
 * The catalog path: rows COPY into a temporary table. A definition row carries no object/field
 * text (only uses and conflicts are ever listed); a use resolved on arrival (KnownIds) is not
 * sent. The few uses and conflicts sent are matched against one scan of the definitions (and
 * the kept chain for a DIFF), once, into agent_broken, which listing and counting read;
 * duplicates are grouped only among the definitions the SeenFilter flagged as maybe seen before.
 */
export async function throughCatalog(catalog: NonNullable<VerifyContext['catalog']>, rows: AsyncIterable<readonly RefRow[]>, chain?: (tx: Tx) => Promise<void>, knownMax = KNOWN_MAX): Promise<Outcome> {
  return throughCatalogText(catalog, copyText(rows, knownMax), chain);
}

/**
 * The COPY text of agent_refs for `rows` (one string per batch): definitions always, uses only
 * when not resolved on arrival (KnownIds, at most `knownMax` ids). Pure: it runs wherever the
 * rows are made (the main thread, or the semantic worker of the single pass).
 */
export async function* copyText(rows: AsyncIterable<readonly RefRow[]>, knownMax = KNOWN_MAX): AsyncGenerator<string> {
  const writer = new CopyWriter(knownMax);
  for await (const batch of rows) {
    for (const row of batch) writer.row(row.role, row.kind, row.id, row.code, row.obj, row.field);
    yield writer.take();
  }
}

/**
 * copyText(batchRows(first, batches, thin, diff), knownMax), without the RefRows in between: each
 * object's rows go straight into the text (an object's label is built only for a row that is
 * sent with it). The same text, piece for piece (references.test.ts).
 */
export async function* batchCopyText(first: IteratorResult<readonly DepositEvent[]>, batches: AsyncIterator<readonly DepositEvent[]>, thin: boolean, diff: boolean, knownMax = KNOWN_MAX): AsyncGenerator<string> {
  const writer = new CopyWriter(knownMax);
  const sink: RowSink = (role, kind, id, code, what, name, field) => writer.rowOf(role, kind, id, code, what, name, field);
  for (let next = first; !next.done; next = await batches.next()) {
    const before = writer.rows;
    for (const event of next.value) {
      if (event.type === 'object') emitRows(event.object, sink, thin);
      else if (event.type === 'delete' && diff) {
        const row = deleteRow(event.delete);
        writer.row(row.role, row.kind, row.id, row.code, row.obj, row.field);
      }
    }
    if (writer.rows > before) yield writer.take();
  }
}

/** `\t<code>\t\t\t` of a definition row, by code (a few dozen codes: a string each, not one per row). */
const DEF_TAIL = new Map<string, string>();

/** The COPY text of rows, with the ids known (KnownIds) and the definitions seen (SeenFilter) so far. */
class CopyWriter {
  private readonly known: KnownIds;
  private readonly defined = new SeenFilter();
  private text = '';
  /** Rows given so far (sent or resolved). */
  rows = 0;
  constructor(knownMax: number) {
    this.known = new KnownIds(knownMax);
  }
  /** A row whose object is `${what} ${name}` (built only when the row is sent with it). */
  rowOf(role: RefRow['role'], kind: RefKind, id: string, code: string, what: string, name: string, field: string): void {
    if (this.sends(role, kind, id, code)) this.line(role, kind, id, code, `${what} ${name}`, field);
  }
  row(role: RefRow['role'], kind: RefKind, id: string, code: string, obj: string, field: string): void {
    if (this.sends(role, kind, id, code)) this.line(role, kind, id, code, obj, field);
  }
  /**
   * Counts the row and writes it when it is a definition (no object/field text: only uses and
   * conflicts are ever listed); true when it is a use or conflict to send with its object and
   * field (a use resolved on arrival, KnownIds, is not sent).
   */
  private sends(role: RefRow['role'], kind: RefKind, id: string, code: string): boolean {
    this.rows++;
    if (role !== 'd') return role !== 'u' || !this.known.has(kind, id);
    if (REFERENCED.has(kind)) this.known.add(kind, id);
    let tail = DEF_TAIL.get(code);
    if (tail === undefined) DEF_TAIL.set(code, (tail = `\t${code}\t\t\t`));
    // `again`: this kind and id may have been defined before (never false when it was: see SeenFilter).
    this.text += DEF_HEAD[kind] + copyField(id) + tail + (this.defined.add(kind, id) ? 'f\n' : 't\n');
    return false;
  }
  private line(role: RefRow['role'], kind: RefKind, id: string, code: string, obj: string, field: string): void {
    this.text += `${role}\t${kind}\t${copyField(id)}\t${code}\t${copyField(obj)}\t${copyField(field)}\tf\n`;
  }
  /** The text so far, and start again. */
  take(): string {
    const text = this.text;
    this.text = '';
    return text;
  }
}

/** `d\t<kind>\t` of a definition row. */
const DEF_HEAD: Record<RefKind, string> = {
  registrar: 'd\tregistrar\t', contact: 'd\tcontact\t', host: 'd\thost\t', domain: 'd\tdomain\t', idn: 'd\tidn\t', nndn: 'd\tnndn\t',
  'contact-roid': 'd\tcontact-roid\t', 'host-roid': 'd\thost-roid\t', 'domain-roid': 'd\tdomain-roid\t',
};

/** throughCatalog from the COPY text of the rows (copyText's, made here or on the semantic worker). */
export async function throughCatalogText(catalog: NonNullable<VerifyContext['catalog']>, text: AsyncIterable<string>, chain?: (tx: Tx) => Promise<void>): Promise<Outcome> {
  return catalog.db.transaction(async (tx) => {
    // Hash joins and aggregates over a deposit's definitions in memory rather than in batches on disk; no JIT for one-off queries.
    await tx.exec(`SET LOCAL work_mem = '64MB'; SET LOCAL jit = off`);
    await tx.exec(`CREATE TEMP TABLE agent_refs (role "char" NOT NULL, kind text NOT NULL, id text COLLATE "C" NOT NULL, code text NOT NULL, obj text NOT NULL, field text NOT NULL, again boolean NOT NULL) ON COMMIT DROP`);
    // One write per piece of COPY text, not per row (a socket write each was a fifth of the CPU).
    await tx.copyFrom('COPY agent_refs (role, kind, id, code, obj, field, again) FROM STDIN', copyPieces(text));
    let defined = `SELECT kind, id FROM agent_refs WHERE role = 'd'`;
    if (chain) {
      // The chain as this DIFF leaves it: its own deletes applied (its objects are in agent_refs).
      await chain(tx);
      await tx.exec(`DELETE FROM agent_chain c USING agent_refs x WHERE x.role = 'x' AND c.kind = x.kind AND c.id = x.id;
        DELETE FROM agent_chain c USING agent_refs x WHERE x.role = 'x' AND x.kind = 'host-roid' AND c.kind = 'host' AND c.roid = x.id;
        ANALYZE agent_chain`);
      defined += ` UNION ALL SELECT kind, id FROM agent_chain`;
    }
    // The definitions are millions of rows, the uses sent and the conflicts few (most resolved on
    // arrival): the few are hashed and the definitions scanned once past them, instead of hashing
    // the definitions (PostgreSQL 15 hashes the inner side of an anti-join: seconds at 1M domains).
    // The few rows in one scan: the uses sent and the conflicts, the definitions flagged `again`.
    await tx.exec(`CREATE TEMP TABLE agent_few ON COMMIT DROP AS SELECT role, kind, id, code, obj, field FROM agent_refs WHERE role IN ('u', 'c') OR again;
      CREATE TEMP TABLE agent_named ON COMMIT DROP AS SELECT DISTINCT kind, id FROM agent_few WHERE role IN ('u', 'c');
      CREATE TEMP TABLE agent_again ON COMMIT DROP AS SELECT DISTINCT kind, id FROM agent_few WHERE role = 'd';
      ANALYZE agent_few; ANALYZE agent_named; ANALYZE agent_again;
      CREATE TEMP TABLE agent_found ON COMMIT DROP AS SELECT DISTINCT d.kind, d.id FROM (${defined}) d JOIN agent_named n ON n.kind = d.kind AND n.id = d.id;
      ANALYZE agent_found;
      CREATE TEMP TABLE agent_broken ON COMMIT DROP AS
      SELECT u.role, u.kind, u.id, u.code, u.obj, u.field FROM agent_few u WHERE u.role = 'u' AND NOT EXISTS (SELECT 1 FROM agent_found f WHERE f.kind = u.kind AND f.id = u.id)
      UNION ALL SELECT u.role, u.kind, u.id, u.code, u.obj, u.field FROM agent_few u WHERE u.role = 'c' AND EXISTS (SELECT 1 FROM agent_found f WHERE f.kind = u.kind AND f.id = u.id)`);
    const listed = await tx.query<Listed>(`SELECT role, kind, id, code, obj, field FROM agent_broken ORDER BY kind, id, obj, field LIMIT ${MAX_LISTED}`);
    const total = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM agent_broken`);
    const duplicates = await tx.query<{ kind: RefKind; id: string; code: string; n: number }>(
      // Only a key defined again can be defined twice: the few flagged keys, not a GROUP BY over every definition.
      `SELECT d.kind, d.id, min(d.code) AS code, count(*)::int AS n FROM agent_refs d JOIN agent_again a ON a.kind = d.kind AND a.id = d.id WHERE d.role = 'd'
        GROUP BY d.kind, d.id HAVING count(*) > 1 ORDER BY d.kind, d.id LIMIT ${MAX_LISTED}`,
    );
    return { broken: listed.sort(byKey), brokenTotal: total[0]?.n ?? 0, duplicates };
  });
}

/** Without a catalog: definitions in a Map, uses in a list, up to MAX_IN_MEMORY entries. */
export async function inMemory(rows: AsyncIterable<readonly RefRow[]>): Promise<Outcome | { notRun: string }> {
  const defined = new Map<string, { n: number; code: string }>();
  const uses: RefRow[] = [];
  for await (const batch of rows) for (const row of batch) {
    if (defined.size + uses.length >= MAX_IN_MEMORY) return { notRun: `more than ${MAX_IN_MEMORY} objects and references: give a catalog (--repo/--db) so they spill to the database` };
    const key = `${row.kind}\0${row.id}`;
    if (row.role === 'd') {
      const seen = defined.get(key);
      if (seen) seen.n++;
      else defined.set(key, { n: 1, code: row.code });
    } else if (row.role !== 'x') uses.push(row);
  }
  const all = uses.filter((row) => defined.has(`${row.kind}\0${row.id}`) === (row.role === 'c')).sort(byKey);
  const duplicates = [...defined]
    .filter(([, entry]) => entry.n > 1)
    .map(([key, entry]) => ({ kind: key.slice(0, key.indexOf('\0')) as RefKind, id: key.slice(key.indexOf('\0') + 1), code: entry.code, n: entry.n }))
    .sort((a, b) => (`${a.kind}\0${a.id}` < `${b.kind}\0${b.id}` ? -1 : 1))
    .slice(0, MAX_LISTED);
  return { broken: all.slice(0, MAX_LISTED), brokenTotal: all.length, duplicates };
}
