/**
 * ICANN RST per-object and cross-object rules (rst-test-specs rde-07 … rde-14) on a received
 * deposit, over the typed objects of the streaming reader (src/reader): the escrow agent's
 * counterpart of the writer's pre-flight (src/deposit/preflight.ts), whose per-object rules
 * (`ObjectChecker`) it reuses so that writer and verifier judge objects alike, and whose codes
 * it shares (RST's names where RST has one, `SR_*` otherwise).
 *
 *   const result = await checkDepositObjects(() => plaintext(), { hostModel, dataModel, roidSuffix });
 *   // result.findings (Finding[]), result.notRun (rules that could not run, with the reason)
 *
 * Two streaming passes over the deposit XML (the agent re-reads the decrypted XML from its
 * encrypted spool; nothing is held but identifiers):
 *  1. the envelope, the header, and the identifier sets: registrar ids, contact ids, host
 *     names and roids, domain names and roids, IDN table ids, NNDN aNames — duplicates are
 *     reported here (RDE_DOMAIN_HAS_NON_UNIQUE_NAME …);
 *  2. every object through `ObjectChecker` (rde-07 … rde-10, rde-12 … rde-14 value rules with
 *     the header's TLD and the deposit's watermark), then its references against the sets:
 *     registrars (clID, crRr, upRr, reRr, acRr), contacts (registrant, contact), host objects
 *     (hostObj), IDN tables (idnTableId); name servers against the host model; NNDN names
 *     against domain names; deposit-level rules (rde-11 expected IDN tables, rde-13 one EPP
 *     parameters object, rde-14 policy vs data and host models).
 *
 * What is not checked is said, never passed silently (`notRun`): references of DIFF/INCR
 * deposits (they may point into earlier deposits: the chain stage's job), the registrant
 * requirement and rde-14 when the data model is not given, roid repository identifiers when
 * none is configured, and every reference check once the identifier sets exceed `maxIds`
 * (memory bound; spilling them to the catalog database is not implemented yet).
 */
import type { Finding } from '../../common/findings.js';
import { isStrongroomError, messageOf } from '../../common/errors.js';
import { ObjectChecker } from '../../deposit/preflight.js';
import { NS_HOST } from '../../model/namespaces.js';
import type { Contact, DepositEnvelope, Domain, Host, Header, RegistrarRef } from '../../model/objects.js';
import { readDeposit } from '../../reader/index.js';
import type { DataModel, HostModel } from '../../sources/source.js';

export interface ObjectRuleOptions {
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
  /** Identifiers held in memory for reference checks (default 5,000,000). */
  maxIds?: number;
  /** Findings kept (default 10,000); the rest are counted. */
  maxFindings?: number;
}

export interface ObjectRuleResult {
  findings: Finding[];
  omitted: number;
  /** Rules that did not run, with why. */
  notRun: string[];
  objects: number;
}

class IdSets {
  readonly registrars = new Set<string>();
  readonly contacts = new Set<string>();
  readonly hostNames = new Set<string>();
  readonly hostRoids = new Set<string>();
  readonly domainNames = new Set<string>();
  readonly domainRoids = new Set<string>();
  readonly contactRoids = new Set<string>();
  readonly idnTables = new Set<string>();
  readonly nndns = new Set<string>();
  size = 0;
  full = false;
  constructor(private readonly max: number) {}

  /** Adds `id`; false when it was already there. Stops growing (and says so) past the cap. */
  add(set: Set<string>, id: string): boolean {
    if (set.has(id)) return false;
    if (this.size >= this.max) {
      this.full = true;
      return true;
    }
    set.add(id);
    this.size++;
    return true;
  }
}

const lower = (s: string) => s.toLowerCase();

export async function checkDepositObjects(open: () => AsyncIterable<Buffer | string | Uint8Array>, options: ObjectRuleOptions = {}): Promise<ObjectRuleResult> {
  const findings: Finding[] = [];
  const maxFindings = options.maxFindings ?? 10_000;
  let omitted = 0;
  const notRun: string[] = [];
  const push = (f: Finding) => {
    if (findings.length < maxFindings) findings.push(f);
    else omitted++;
  };
  const ids = new IdSets(options.maxIds ?? 5_000_000);
  let envelope: DepositEnvelope | undefined;
  let header: Header | undefined;
  let eppParams = 0;
  let policies = 0;
  let contacts = 0;
  let hosts = 0;
  let objects = 0;
  const where = (line: number, column: number) => `${options.file ? `${options.file}:` : ''}${line}:${column}`;
  const duplicate = (code: string, object: string, line: number, column: number, what: string) =>
    push({ code, severity: 'error', object, location: where(line, column), message: `${what} "${object}" appears more than once in the deposit` });

  // Pass 1: envelope, header, identifiers.
  try {
    for await (const event of readDeposit(open(), options.file ? { file: options.file } : {})) {
      if (event.type === 'deposit') envelope = event.envelope;
      if (event.type !== 'object') continue;
      const { object: o, line, column } = event;
      objects++;
      switch (o.kind) {
        case 'header':
          header = o.value;
          break;
        case 'registrar':
          if (!ids.add(ids.registrars, o.value.id)) duplicate('SR_REGISTRAR_HAS_NON_UNIQUE_ID', o.value.id, line, column, 'registrar id');
          break;
        case 'contact':
          contacts++;
          if (!ids.add(ids.contacts, o.value.id)) duplicate('RDE_CONTACT_HAS_NON_UNIQUE_ID', o.value.id, line, column, 'contact id');
          if (!ids.add(ids.contactRoids, o.value.roid)) duplicate('RDE_CONTACT_HAS_NON_UNIQUE_ROID', o.value.roid, line, column, 'contact roid');
          break;
        case 'host':
          hosts++;
          if (!ids.add(ids.hostNames, lower(o.value.name))) duplicate('RDE_HOST_HAS_NON_UNIQUE_NAME', o.value.name, line, column, 'host name');
          if (!ids.add(ids.hostRoids, o.value.roid)) duplicate('RDE_HOST_HAS_NON_UNIQUE_ROID', o.value.roid, line, column, 'host roid');
          break;
        case 'domain':
          if (!ids.add(ids.domainNames, lower(o.value.name))) duplicate('RDE_DOMAIN_HAS_NON_UNIQUE_NAME', o.value.name, line, column, 'domain name');
          if (!ids.add(ids.domainRoids, o.value.roid)) duplicate('RDE_DOMAIN_HAS_NON_UNIQUE_ROID', o.value.roid, line, column, 'domain roid');
          break;
        case 'idnTable':
          if (!ids.add(ids.idnTables, o.value.id)) duplicate('RDE_IDN_OBJECT_INVALID', o.value.id, line, column, 'IDN table id');
          break;
        case 'nndn':
          if (!ids.add(ids.nndns, lower(o.value.aName))) push({ code: 'RDE_NNDN_CONFLICTS_WITH_DOMAIN', severity: 'error', object: o.value.aName, location: where(line, column), message: `NNDN aName "${o.value.aName}" appears more than once` });
          break;
        case 'eppParams':
          eppParams++;
          break;
        case 'policy':
          policies++;
          break;
      }
    }
  } catch (err) {
    if (!isStrongroomError(err)) throw err;
    push({ code: err.code, severity: 'error', ...(err.location ? { location: err.location } : {}), message: `the deposit could not be read as typed objects: ${messageOf(err)}` });
    notRun.push('rde-07…rde-14: the reader refused the deposit (see the structure findings)');
    return { findings, omitted, notRun, objects };
  }
  if (!envelope || !header) {
    notRun.push(`rde-07…rde-14: the deposit has no ${envelope ? 'header' : 'envelope'}`);
    return { findings, omitted, notRun, objects };
  }

  const tld = header.tld.toLowerCase();
  const hostModel: HostModel = options.hostModel ?? (envelope.objURI.includes(NS_HOST) ? 'objects' : 'attributes');
  const dataModel: DataModel = options.dataModel ?? 'per-registrar';
  if (!options.dataModel) notRun.push('registrant requirement (rde-07) and data-model policy rules (rde-14): general.registryDataModel not given');
  const suffixes = new Set(options.roidSuffixes ?? []);
  if (options.roidSuffix) suffixes.add(options.roidSuffix);
  if (suffixes.size === 0) notRun.push('roid repository identifiers (rde-07…rde-09): none configured for this TLD');
  const referencesRun = envelope.type === 'FULL' && !ids.full;
  if (envelope.type !== 'FULL') notRun.push(`references (rde-07…rde-09, rde-12): a ${envelope.type} deposit may refer to objects of earlier deposits (chain stage)`);
  else if (ids.full) notRun.push(`references and uniqueness (rde-07…rde-12): more than ${options.maxIds ?? 5_000_000} identifiers (catalog spill not implemented)`);

  // Pass 2: per-object rules and references.
  const checker = new ObjectChecker({
    tld: { name: tld, roidSuffix: options.roidSuffix ?? '', hostModel, dataModel },
    watermark: envelope.watermark,
    repositoryTlds: options.repositoryTlds ?? [tld],
    roidSuffixes: [...suffixes],
  });
  const registrarRef = (object: string, at: string, code: string, element: string, ref: RegistrarRef | string | undefined) => {
    const id = typeof ref === 'string' ? ref : ref?.id;
    if (!referencesRun || id === undefined || id === '' || ids.registrars.has(id)) return;
    push({ code, severity: 'error', object, location: at, message: `${element} "${id}" is not a registrar in the deposit` });
  };
  for await (const event of readDeposit(open(), options.file ? { file: options.file } : {})) {
    if (event.type !== 'object') continue;
    const { object: o, line, column } = event;
    const at = where(line, column);
    const out: Finding[] = [];
    switch (o.kind) {
      case 'registrar':
        checker.checkRegistrar(o.value, out);
        break;
      case 'idnTable':
        checker.checkIdnTable(o.value, out);
        break;
      case 'contact':
        contactRules(checker, o.value, out, suffixes);
        registrarRef(o.value.id, at, 'RDE_CONTACT_HAS_UNKNOWN_CLID', 'clID', o.value.clID);
        registrarRef(o.value.id, at, 'RDE_CONTACT_HAS_UNKNOWN_CRRR', 'crRr', o.value.crRr);
        registrarRef(o.value.id, at, 'RDE_CONTACT_HAS_UNKNOWN_UPRR', 'upRr', o.value.upRr);
        registrarRef(o.value.id, at, 'RDE_CONTACT_HAS_UNKNOWN_RERR', 'reRr', o.value.trnData?.reRr);
        registrarRef(o.value.id, at, 'RDE_CONTACT_HAS_UNKNOWN_ACRR', 'acRr', o.value.trnData?.acRr);
        break;
      case 'host':
        hostRules(checker, o.value, out, suffixes);
        registrarRef(o.value.name, at, 'RDE_HOST_HAS_INVALID_CLID', 'clID', o.value.clID);
        registrarRef(o.value.name, at, 'SR_HOST_HAS_UNKNOWN_CRRR', 'crRr', o.value.crRr);
        registrarRef(o.value.name, at, 'SR_HOST_HAS_UNKNOWN_UPRR', 'upRr', o.value.upRr);
        break;
      case 'domain':
        checker.checkDomain(o.value, out);
        if (!options.roidSuffix) out.splice(0, out.length, ...out.filter((f) => !isSuffixFinding(f)));
        domainReferences(o.value, at, push, ids, referencesRun, hostModel);
        registrarRef(o.value.name, at, 'RDE_DOMAIN_HAS_INVALID_CLID', 'clID', o.value.clID);
        registrarRef(o.value.name, at, 'RDE_DOMAIN_HAS_INVALID_CRRR', 'crRr', o.value.crRr);
        registrarRef(o.value.name, at, 'RDE_DOMAIN_HAS_INVALID_UPRR', 'upRr', o.value.upRr);
        registrarRef(o.value.name, at, 'RDE_DOMAIN_HAS_INVALID_RERR', 'reRr', o.value.trnData?.reRr);
        registrarRef(o.value.name, at, 'RDE_DOMAIN_HAS_INVALID_ACRR', 'acRr', o.value.trnData?.acRr);
        break;
      case 'nndn':
        checker.checkNndn(o.value, out);
        if (referencesRun && ids.domainNames.has(lower(o.value.aName))) {
          push({ code: 'RDE_NNDN_CONFLICTS_WITH_DOMAIN', severity: 'error', object: o.value.aName, location: at, message: `NNDN aName "${o.value.aName}" is also a domain name in the deposit` });
        }
        if (referencesRun && o.value.idnTableId !== undefined && !ids.idnTables.has(o.value.idnTableId)) {
          push({ code: 'SR_NNDN_HAS_UNKNOWN_IDN_TABLE', severity: 'error', object: o.value.aName, location: at, message: `idnTableId "${o.value.idnTableId}" is not an IDN table in the deposit` });
        }
        break;
      case 'eppParams':
        checker.checkEppParams(o.value, out);
        eppParamsModel(o.value.objURI, hostModel, dataModel, options.dataModel !== undefined, tld, at, push);
        if (options.greeting) greetingRule(o.value.objURI, o.value.extURI, options.greeting, tld, at, push);
        break;
      case 'policy':
        checker.checkPolicy(o.value, out);
        break;
      case 'header':
        break;
    }
    for (const f of out) push({ ...f, location: f.location ? `${at} ${f.location}` : at });
  }

  // Deposit-level rules.
  if (eppParams !== 1) push({ code: 'SR_EPP_PARAMS_COUNT', severity: 'error', object: tld, message: `the deposit holds ${eppParams} EPP parameters objects; RST rde-13 expects exactly one` });
  if (options.idnTables) {
    const expected = new Set(options.idnTables);
    for (const id of expected) if (!ids.idnTables.has(id)) push({ code: 'RDE_IDN_OBJECT_MISSING', severity: 'error', object: id, message: `IDN table "${id}" is registered for .${tld} but not in the deposit` });
    for (const id of ids.idnTables) if (!expected.has(id)) push({ code: 'RDE_IDN_OBJECT_UNEXPECTED', severity: 'error', object: id, message: `IDN table "${id}" is in the deposit but not registered for .${tld}` });
  } else notRun.push('rde-11 IDN table list: the TLD\'s registered IDN tables not given');
  if (!options.greeting) notRun.push('rde-13 greeting comparison: the EPP greeting not given');
  if (options.dataModel) {
    if (dataModel === 'maximum' && policies === 0) push({ code: 'RDE_POLICY_OBJECT_MISSING', severity: 'error', object: tld, message: 'the maximum data model requires at least one policy object (rde-14)' });
    if (dataModel === 'minimum' && contacts > 0) push({ code: 'RDE_POLICY_OBJECT_UNEXPECTED_OBJECTS', severity: 'error', object: tld, message: `the minimum data model escrows no contacts, the deposit holds ${contacts}` });
    if (dataModel === 'maximum' && contacts === 0 && envelope.type === 'FULL' && ids.domainNames.size > 0) {
      push({ code: 'RDE_POLICY_OBJECT_MISSING_OBJECTS', severity: 'error', object: tld, message: 'the maximum data model escrows contacts, the deposit holds none' });
    }
  }
  if (hostModel === 'attributes' && hosts > 0) push({ code: 'RDE_POLICY_OBJECT_UNEXPECTED_OBJECTS', severity: 'error', object: tld, message: `the host-attribute model escrows no host objects, the deposit holds ${hosts}` });
  return { findings, omitted, notRun, objects };
}

/** Contact rules: ObjectChecker's, with roid suffixes checked only when configured. */
function contactRules(checker: ObjectChecker, c: Contact, out: Finding[], suffixes: Set<string>): void {
  const found: Finding[] = [];
  checker.checkContact(c, found);
  for (const f of found) if (suffixes.size > 0 || !isSuffixFinding(f)) out.push(f);
}

function hostRules(checker: ObjectChecker, h: Host, out: Finding[], suffixes: Set<string>): void {
  const found: Finding[] = [];
  checker.checkHost(h, found);
  for (const f of found) if (suffixes.size > 0 || !isSuffixFinding(f)) out.push(f);
}

/** A roid finding about the repository identifier only (not the roid pattern). */
function isSuffixFinding(f: Finding): boolean {
  return /_INVALID_ROID$/.test(f.code) && /repository identifier/.test(f.message);
}

function domainReferences(d: Domain, at: string, push: (f: Finding) => void, ids: IdSets, run: boolean, hostModel: HostModel): void {
  const object = d.name;
  if (d.ns) {
    const byObjects = 'hostObj' in d.ns;
    if (byObjects !== (hostModel === 'objects')) {
      push({ code: 'SR_DOMAIN_NS_MODEL_MISMATCH', severity: 'error', object, location: at, message: `name servers given as ${byObjects ? 'hostObj' : 'hostAttr'}, but the host model is ${hostModel}` });
    }
  }
  if (!run) return;
  if (d.registrant !== undefined && !ids.contacts.has(d.registrant)) {
    push({ code: 'RDE_DOMAIN_HAS_INVALID_REGISTRANT', severity: 'error', object, location: at, message: `registrant "${d.registrant}" is not a contact in the deposit` });
  }
  for (const c of d.contact) {
    if (!ids.contacts.has(c.id)) push({ code: 'RDE_DOMAIN_HAS_MISSING_CONTACT', severity: 'error', object, location: at, message: `${c.type} contact "${c.id}" is not a contact in the deposit` });
  }
  if (d.ns && 'hostObj' in d.ns && hostModel === 'objects') {
    for (const h of d.ns.hostObj) {
      if (!ids.hostNames.has(lower(h))) push({ code: 'RDE_DOMAIN_HAS_MISSING_NAMESERVER', severity: 'error', object, location: at, message: `name server "${h}" is not a host object in the deposit` });
    }
  }
  if (d.idnTableId !== undefined && !ids.idnTables.has(d.idnTableId)) {
    push({ code: 'SR_DOMAIN_HAS_UNKNOWN_IDN_TABLE', severity: 'error', object, location: at, message: `idnTableId "${d.idnTableId}" is not an IDN table in the deposit` });
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
