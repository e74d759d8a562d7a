/**
 * ICANN RST per-object and deposit-level rules (rst-test-specs rde-07 … rde-14) on a received
 * deposit, over the typed objects of the streaming reader (src/reader): the escrow agent's
 * counterpart of the writer's pre-flight (src/deposit/preflight.ts), whose per-object rules
 * (`ObjectChecker`) it reuses so that writer and verifier judge objects alike, and whose codes
 * it shares (RST's names where RST has one, `SR_*` otherwise).
 *
 *   const result = await checkDepositObjects(() => plaintext(), { tld, hostModel, dataModel, roidSuffix });
 *   // result.findings (Finding[]), result.notRun (rules that could not run, with the reason)
 *
 * One streaming pass over the deposit XML (the agent re-reads the decrypted XML from its
 * encrypted spool; nothing is held but counters and the IDN table ids): every object through
 * `ObjectChecker` (rde-07 … rde-10, rde-12 … rde-14 value rules with the header's TLD and the
 * deposit's watermark), name servers against the host model, then the deposit-level rules
 * (rde-11 expected IDN tables, rde-13 one EPP parameters object and its URIs, rde-14 policy vs
 * data and host models).
 *
 * References between objects, uniqueness and NNDN/domain conflicts are NOT checked here: they
 * are the `references` stage's (src/agent/verify/references.ts), which spills to the catalog
 * database and so stays bounded at any size. One rule, one place.
 *
 * What is not checked is said, never passed silently (`notRun`): the registrant requirement
 * and rde-14 when the data model is not given, roid repository identifiers when none is
 * configured, rde-11's list without the registered IDN tables, rde-13's greeting comparison
 * without the greeting.
 */
import type { Finding } from '../../common/findings.js';
import { isStrongroomError, messageOf } from '../../common/errors.js';
import { ObjectChecker } from '../../deposit/preflight.js';
import { NS_HOST } from '../../model/namespaces.js';
import type { DepositEnvelope, Domain, ObjectKind } from '../../model/objects.js';
import { readDepositBatches, type DepositEvent } from '../../reader/index.js';
import type { DataModel, HostModel } from '../../sources/source.js';

export interface ObjectRuleOptions {
  /**
   * The header's TLD when known beforehand (the XML pass read it). Without it the TLD is the
   * header object's, read in this pass: objects before the header wait for it (up to
   * MAX_EARLY_OBJECTS, then `fallbackTld` — the file name's, which container-rules compares
   * with the header's — is used).
   */
  tld?: string;
  /** The TLD when the header is too far down the deposit (see `tld`). */
  fallbackTld?: string;
  /** File name for locations. */
  file?: string;
  /** epp.hostModel (RST input); default: objects when the menu lists rdeHost-1.0. */
  hostModel?: HostModel;
  /** general.registryDataModel (RST input); without it the registrant rule and rde-14 do not run. */
  dataModel?: DataModel;
  /** The TLD's repository identifier (roid suffix registered with IANA). */
  roidSuffix?: string;
  /** Other repository identifiers of the registry (contacts and hosts may use them). */
  roidSuffixes?: string[];
  /** Every TLD of the repository (a host under any of them needs glue). Default: the header's TLD. */
  repositoryTlds?: string[];
  /** rde-11: the IDN tables registered for the TLD (language tags); without it rde-11's list check does not run. */
  idnTables?: string[];
  /** rde-13 (epp.greeting): the object and extension URIs of the registry's EPP greeting. */
  greeting?: { objURI: string[]; extURI: string[] };
  /** Findings kept (default 10,000); the rest are counted. */
  maxFindings?: number;
  /** The reader's events, a chunk's at a time, when a pass shared with other checks supplies them (else `open` is read). */
  batches?: AsyncIterable<readonly DepositEvent[]>;
  /**
   * A BRDA thin deposit (Spec 4 §3.1.1, `_thin_` file name): domains and registrars with their
   * BRDA fields only, so the host-model, EPP-parameters and data-model rules of a FULL do not apply.
   */
  thin?: boolean;
}

/** The registry configuration the rules can use (the CLI's and the catalog's names for it). */
export type RegistryRuleConfig = Omit<ObjectRuleOptions, 'tld' | 'file' | 'maxFindings' | 'batches' | 'thin'>;

export interface ObjectRuleResult {
  findings: Finding[];
  omitted: number;
  /** Rules that did not run, with why. */
  notRun: string[];
  /** Set when the reader refused the deposit: no rule ran past that point. */
  refused?: string;
  objects: number;
}

/** IDN table ids kept for rde-11 (a TLD registers a handful; more are counted, not kept). */
const MAX_IDN_TABLES = 10_000;
/** Why no rule ran when the deposit has no single header with a TLD. */
export const NO_HEADER = 'the deposit has no single header with a TLD (see container-rules)';
/** Objects held while waiting for the header's TLD (bounded memory; RFC 9022 deposits put the header first). */
export const MAX_EARLY_OBJECTS = 10_000;

export async function checkDepositObjects(open: () => AsyncIterable<Buffer | string | Uint8Array>, options: ObjectRuleOptions): Promise<ObjectRuleResult> {
  const findings: Finding[] = [];
  const maxFindings = options.maxFindings ?? 10_000;
  let omitted = 0;
  const notRun: string[] = [];
  const push = (f: Finding) => {
    if (findings.length < maxFindings) findings.push(f);
    else omitted++;
  };
  let tld = options.tld?.toLowerCase() ?? '';
  const idnTables = new Set<string>();
  let envelope: DepositEnvelope | undefined;
  let checker: ObjectChecker | undefined;
  let hostModel: HostModel = options.hostModel ?? 'objects';
  const dataModel: DataModel = options.dataModel ?? 'per-registrar';
  const suffixes = new Set(options.roidSuffixes ?? []);
  if (options.roidSuffix) suffixes.add(options.roidSuffix);
  let eppParams = 0;
  let policies = 0;
  let contacts = 0;
  let hosts = 0;
  let domains = 0;
  let objects = 0;
  let headers = 0;
  /**
   * Objects read before the header told the TLD (when it was not given), in document order.
   * Only the rules of domains, hosts and the EPP parameters depend on the TLD: those objects
   * wait whole; the others are checked at once (with a provisional checker) and wait as their
   * kind and findings only, reported in their place when the TLD is known. (Holding thousands
   * of whole objects made V8 allocate every later object in the old generation.)
   */
  let early: EarlyEntry[] | null = options.tld === undefined ? [] : null;
  const where = (line: number, column: number) => `${options.file ? `${options.file}:` : ''}${line}:${column}`;
  const startChecker = (): void => {
    checker = new ObjectChecker({
      tld: { name: tld, roidSuffix: options.roidSuffix ?? '', hostModel, dataModel },
      watermark: envelope!.watermark,
      repositoryTlds: options.repositoryTlds ?? [tld],
      roidSuffixes: [...suffixes],
      // Repository identifiers not configured: those rules are listed as not run, not checked.
      skipRoidSuffix: { domain: !options.roidSuffix, others: suffixes.size === 0 },
    });
  };
  /** One array for every object's findings (emptied after each). */
  const out: Finding[] = [];
  /** An object counted (the deposit-level rules read the counts). */
  const tally = (kind: ObjectKind): void => {
    objects++;
    if (kind === 'contact') contacts++;
    else if (kind === 'host') hosts++;
    else if (kind === 'domain') domains++;
    else if (kind === 'eppParams') eppParams++;
    else if (kind === 'policy') policies++;
  };
  /** The object's rules, its findings to `emit`. */
  const rules = (event: ObjectEvent, emit: (f: Finding) => void): void => {
    const { object: o, line, column } = event;
    // The location only when there is something to report (a string per object was garbage).
    const at = (): string => where(line, column);
    out.length = 0;
    switch (o.kind) {
      case 'registrar':
        checker!.checkRegistrar(o.value, out);
        break;
      case 'idnTable':
        if (idnTables.size < MAX_IDN_TABLES) idnTables.add(o.value.id);
        checker!.checkIdnTable(o.value, out);
        break;
      case 'contact':
        checker!.checkContact(o.value, out);
        break;
      case 'host':
        checker!.checkHost(o.value, out);
        break;
      case 'domain':
        checker!.checkDomain(o.value, out);
        if (!options.thin) nsModel(o.value, at, emit, hostModel);
        break;
      case 'nndn':
        checker!.checkNndn(o.value, out);
        break;
      case 'eppParams':
        checker!.checkEppParams(o.value, out);
        eppParamsModel(o.value.objURI, hostModel, dataModel, options.dataModel !== undefined, tld, at(), emit);
        if (options.greeting) greetingRule(o.value.objURI, o.value.extURI, options.greeting, tld, at(), emit);
        break;
      case 'policy':
        checker!.checkPolicy(o.value, out);
        break;
      case 'header':
        break;
    }
    if (out.length === 0) return;
    const location = at();
    for (const f of out) emit({ ...f, location: f.location ? `${location} ${f.location}` : location });
  };
  const check = (event: ObjectEvent): void => {
    tally(event.object.kind);
    rules(event, push);
  };
  /** An object before the TLD is known: waits whole, or is checked now and waits as its kind and findings. */
  const hold = (event: ObjectEvent): void => {
    const kind = event.object.kind;
    if (TLD_DEPENDENT.has(kind)) {
      early!.push(event);
      return;
    }
    // The provisional checker (the TLD it was given is not read by these objects' rules).
    if (!checker) startChecker();
    held.length = 0;
    rules(event, hold1);
    early!.push(held.length === 0 ? kind : { kind, found: held.slice() });
  };
  const held: Finding[] = [];
  const hold1 = (f: Finding): void => {
    held.push(f);
  };
  /** The TLD is known: check the objects that waited for it, report the findings of those checked already, in document order. */
  const release = (): void => {
    startChecker();
    const waiting = early ?? [];
    early = null;
    for (const entry of waiting) {
      if (typeof entry === 'string') tally(entry);
      else if ('found' in entry) {
        tally(entry.kind);
        for (const f of entry.found) push(f);
      } else check(entry);
    }
  };
  try {
    for await (const batch of options.batches ?? readDepositBatches(open(), { ...(options.file ? { file: options.file } : {}), lean: true })) for (const event of batch) {
      if (event.type === 'deposit') {
        envelope = event.envelope;
        hostModel = options.hostModel ?? (envelope.objURI.includes(NS_HOST) ? 'objects' : 'attributes');
        if (early === null) startChecker();
      }
      if (event.type !== 'object' || !envelope) continue;
      if (event.object.kind === 'header') {
        headers++;
        if (early !== null && headers === 1) {
          tld = event.object.value.tld.toLowerCase();
          release();
        }
      }
      if (early !== null) {
        hold(event);
        if (early.length >= MAX_EARLY_OBJECTS) {
          tld = (options.fallbackTld ?? '').toLowerCase();
          release();
        }
        continue;
      }
      check(event);
    }
  } catch (err) {
    if (!isStrongroomError(err)) throw err;
    return { findings, omitted, notRun, objects, refused: `the reader refused the deposit at ${err.location ?? '?'}: ${messageOf(err)}` };
  }
  if (options.tld === undefined && (headers !== 1 || tld === '')) {
    return { findings: [], omitted: 0, notRun, objects, refused: NO_HEADER };
  }
  if (!envelope) return { findings, omitted, notRun, objects, refused: 'the deposit has no envelope' };

  if (!options.dataModel) notRun.push('registrant requirement (rde-07) and data-model policy rules (rde-14): the registry data model is not given');
  if (suffixes.size === 0) notRun.push('roid repository identifiers (rde-07…rde-09): none configured for this TLD');
  // Deposit-level rules.
  if (envelope.type === 'FULL' && !options.thin && eppParams !== 1) push({ code: 'SR_EPP_PARAMS_COUNT', severity: 'error', object: tld, message: `the deposit holds ${eppParams} EPP parameters objects; RST rde-13 expects exactly one` });
  if (options.idnTables && envelope.type === 'FULL') {
    const expected = new Set(options.idnTables);
    for (const id of expected) if (!idnTables.has(id)) push({ code: 'RDE_IDN_OBJECT_MISSING', severity: 'error', object: id, message: `IDN table "${id}" is registered for .${tld} but not in the deposit` });
    for (const id of idnTables) if (!expected.has(id)) push({ code: 'RDE_IDN_OBJECT_UNEXPECTED', severity: 'error', object: id, message: `IDN table "${id}" is in the deposit but not registered for .${tld}` });
  } else if (!options.idnTables) notRun.push("rde-11 IDN table list: the TLD's registered IDN tables are not given");
  if (!options.greeting) notRun.push('rde-13 greeting comparison: the EPP greeting is not given');
  if (options.dataModel && envelope.type === 'FULL' && !options.thin) {
    if (dataModel === 'maximum' && policies === 0) push({ code: 'RDE_POLICY_OBJECT_MISSING', severity: 'error', object: tld, message: 'the maximum data model requires at least one policy object (rde-14)' });
    if (dataModel === 'maximum' && contacts === 0 && domains > 0) push({ code: 'RDE_POLICY_OBJECT_MISSING_OBJECTS', severity: 'error', object: tld, message: 'the maximum data model escrows contacts, the deposit holds none' });
  }
  if (options.dataModel && dataModel === 'minimum' && contacts > 0) push({ code: 'RDE_POLICY_OBJECT_UNEXPECTED_OBJECTS', severity: 'error', object: tld, message: `the minimum data model escrows no contacts, the deposit holds ${contacts}` });
  if (hostModel === 'attributes' && hosts > 0) push({ code: 'RDE_POLICY_OBJECT_UNEXPECTED_OBJECTS', severity: 'error', object: tld, message: `the host-attribute model escrows no host objects, the deposit holds ${hosts}` });
  return { findings, omitted, notRun, objects };
}

type ObjectEvent = Extract<DepositEvent, { type: 'object' }>;
/** An object held until the TLD is known: whole, or (checked already) its kind and findings. */
type EarlyEntry = ObjectEvent | ObjectKind | { kind: ObjectKind; found: Finding[] };
/** Kinds whose rules read the TLD (domain names under it, subordinate hosts, the EPP parameters' findings name it). */
const TLD_DEPENDENT: ReadonlySet<ObjectKind> = new Set<ObjectKind>(['domain', 'host', 'eppParams']);

/** Name servers given the way the host model says (hostObj for host objects, hostAttr otherwise). */
function nsModel(d: Domain, at: () => string, push: (f: Finding) => void, hostModel: HostModel): void {
  if (!d.ns) return;
  const byObjects = 'hostObj' in d.ns;
  if (byObjects !== (hostModel === 'objects')) {
    push({ code: 'SR_DOMAIN_NS_MODEL_MISMATCH', severity: 'error', object: d.name, location: at(), message: `name servers given as ${byObjects ? 'hostObj' : 'hostAttr'}, but the host model is ${hostModel}` });
  }
}

/** rde-13: the EPP object URIs follow the models (domain always; host iff host objects; contact iff contacts are escrowed). */
function eppParamsModel(objURI: string[], hostModel: HostModel, dataModel: DataModel, dataModelKnown: boolean, tld: string, at: string, push: (f: Finding) => void): void {
  const has = (uri: string) => objURI.includes(uri);
  const EPP_HOST = 'urn:ietf:params:xml:ns:host-1.0';
  const EPP_CONTACT = 'urn:ietf:params:xml:ns:contact-1.0';
  if (hostModel === 'objects' && !has(EPP_HOST)) push({ code: 'SR_EPP_PARAMS_MISSING_OBJURI', severity: 'error', object: tld, location: at, message: `objURI does not list ${EPP_HOST}, but name servers are host objects` });
  if (hostModel === 'attributes' && has(EPP_HOST)) push({ code: 'SR_EPP_PARAMS_UNEXPECTED_OBJURI', severity: 'error', object: tld, location: at, message: `objURI lists ${EPP_HOST}, but the host model is attributes` });
  if (dataModelKnown && dataModel === 'minimum' && has(EPP_CONTACT)) push({ code: 'SR_EPP_PARAMS_UNEXPECTED_OBJURI', severity: 'error', object: tld, location: at, message: `objURI lists ${EPP_CONTACT}, but the minimum data model has no contacts` });
}

/** rde-13: every objURI and extURI of the EPP greeting is in the EPP parameters object, and vice versa. */
function greetingRule(objURI: string[], extURI: string[], greeting: { objURI: string[]; extURI: string[] }, tld: string, at: string, push: (f: Finding) => void): void {
  const diff = (a: string[], b: string[]) => [...new Set(a)].filter((x) => !b.includes(x)).sort();
  const problems = [
    ...diff(greeting.objURI, objURI).map((u) => `objURI ${u} is in the greeting, not in the EPP parameters`),
    ...diff(objURI, greeting.objURI).map((u) => `objURI ${u} is in the EPP parameters, not in the greeting`),
    ...diff(greeting.extURI, extURI).map((u) => `extURI ${u} is in the greeting, not in the EPP parameters`),
    ...diff(extURI, greeting.extURI).map((u) => `extURI ${u} is in the EPP parameters, not in the greeting`),
  ];
  for (const message of problems) push({ code: 'RDE_GREETING_DOES_NOT_MATCH', severity: 'error', object: tld, location: at, message });
}
