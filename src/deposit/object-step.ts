/**
 * What the deposit writer does with one object, shared by the in-process loop
 * (full-deposit.ts) and the worker threads that handle pages of the big kinds (parallel.ts):
 * the per-object pre-flight, the cross-object findings found in SQL, the quarantine cascade,
 * and the XML. Kinds in dependency order with their reader, checker and serializer.
 */
import type { Finding } from '../common/findings.js';
import type { Contact, Domain, Host, Nndn, Registrar } from '../model/objects.js';
import type { KeyRange, PostgresRegistrySource } from '../sources/postgres-source.js';
import type { SourceKind } from '../sources/source.js';
import { hasError, ObjectChecker, type CheckedKind, type KeyedFinding } from './preflight.js';
import { contactXml, domainXml, eppParamsXml, hostXml, idnTableXml, nndnXml, policyXml, registrarXml, thinDomainXml, thinRegistrarXml } from './serialize.js';
import { XmlCharacterError } from './xml.js';

export interface Reference {
  kind: CheckedKind;
  key: string | undefined;
  what: string;
}

function registrarRefs(o: { clID: string; crRr?: { id: string }; upRr?: { id: string }; trnData?: { reRr: { id: string }; acRr: { id: string } } }): Reference[] {
  return [
    { kind: 'registrar', key: o.clID, what: 'clID' },
    { kind: 'registrar', key: o.crRr?.id, what: 'crRr' },
    { kind: 'registrar', key: o.upRr?.id, what: 'upRr' },
    { kind: 'registrar', key: o.trnData?.reRr.id, what: 'reRr' },
    { kind: 'registrar', key: o.trnData?.acRr.id, what: 'acRr' },
  ];
}

/** The objects an object refers to (what quarantining cascades along). Hosts are keyed by name here. */
export function referencesOf(kind: SourceKind, value: unknown): Reference[] {
  switch (kind) {
    case 'contact':
      return registrarRefs(value as Contact);
    case 'host':
      return registrarRefs(value as Host);
    case 'domain': {
      const d = value as Domain;
      const refs = registrarRefs(d);
      if (d.registrant !== undefined) refs.push({ kind: 'contact', key: d.registrant, what: 'registrant' });
      for (const c of d.contact) refs.push({ kind: 'contact', key: c.id, what: `${c.type} contact` });
      if (d.ns !== undefined && 'hostObj' in d.ns) for (const name of d.ns.hostObj) refs.push({ kind: 'host', key: name, what: 'name server' });
      if (d.idnTableId !== undefined) refs.push({ kind: 'idnTable', key: d.idnTableId, what: 'idnTableId' });
      return refs;
    }
    case 'nndn': {
      const n = value as Nndn;
      return n.idnTableId === undefined ? [] : [{ kind: 'idnTable', key: n.idnTableId, what: 'idnTableId' }];
    }
    default:
      return [];
  }
}

/** Key (in its view) and identifier (for people) of an object. Hosts are quarantined by name. */
export function identify(kind: SourceKind, value: unknown): { key: string; object: string } {
  switch (kind) {
    case 'registrar':
      return { key: (value as Registrar).id, object: (value as Registrar).id };
    case 'contact':
      return { key: (value as Contact).id, object: (value as Contact).id };
    case 'host':
      return { key: (value as Host).roid, object: (value as Host).name };
    case 'domain':
      return { key: (value as Domain).roid, object: (value as Domain).name };
    case 'nndn':
      return { key: (value as Nndn).aName, object: (value as Nndn).aName };
    case 'idnTable':
      return { key: (value as { id: string }).id, object: (value as { id: string }).id };
    case 'eppParams':
      return { key: 'eppParams', object: 'eppParams' };
    case 'policy':
      return { key: (value as { scope: string }).scope, object: (value as { scope: string }).scope };
  }
}

export type Serializer = (value: never) => string;

export interface KindWriter {
  kind: SourceKind;
  read: (s: PostgresRegistrySource, range?: KeyRange) => AsyncIterable<unknown>;
  check: (c: ObjectChecker, value: never, out: Finding[]) => void;
  xml: Serializer;
}

export const KIND_WRITERS: readonly KindWriter[] = [
  // Dependency order: everything an object refers to is written (or quarantined) before it.
  { kind: 'registrar', read: (s) => s.registrars(), check: (c, v, o) => c.checkRegistrar(v, o), xml: registrarXml },
  { kind: 'idnTable', read: (s) => s.idnTables(), check: (c, v, o) => c.checkIdnTable(v, o), xml: idnTableXml },
  { kind: 'contact', read: (s, r) => s.contacts(r), check: (c, v, o) => c.checkContact(v, o), xml: contactXml },
  { kind: 'host', read: (s, r) => s.hosts(r), check: (c, v, o) => c.checkHost(v, o), xml: hostXml },
  { kind: 'domain', read: (s, r) => s.domains(r), check: (c, v, o) => c.checkDomain(v, o), xml: domainXml },
  { kind: 'nndn', read: (s) => s.nndns(), check: (c, v, o) => c.checkNndn(v, o), xml: nndnXml },
  { kind: 'eppParams', read: (s) => s.eppParams(), check: (c, v, o) => c.checkEppParams(v, o), xml: eppParamsXml },
  { kind: 'policy', read: (s) => s.policies(), check: (c, v, o) => c.checkPolicy(v, o), xml: policyXml },
];

/**
 * The THIN (BRDA, Spec 4 §3.1.1) deposit's kinds: registrars and domains, read and checked as in
 * a FULL deposit, written with the BRDA fields only.
 */
export const THIN_WRITERS: readonly KindWriter[] = [
  { ...KIND_WRITERS.find((w) => w.kind === 'registrar')!, xml: thinRegistrarXml },
  { ...KIND_WRITERS.find((w) => w.kind === 'domain')!, xml: thinDomainXml },
];

/** What an object's step needs to know besides the object. */
export interface StepContext {
  checker: ObjectChecker;
  /** Findings of the SQL cross-object checks for this object (by kind and key). */
  crossed(kind: CheckedKind, key: string): KeyedFinding[] | undefined;
  /** Whether quarantine mode is on, and whether an object is quarantined. */
  quarantining: boolean;
  isQuarantined(kind: CheckedKind, key: string | undefined): boolean;
}

/** The outcome of one object: its XML, or null when it must be left out (findings say why). */
export interface StepResult {
  xml: string | null;
  /** Key under which it is quarantined (hosts by name), and its identifier for people. */
  quarantineKey: string;
  object: string;
}

/** Check one object and serialise it; its findings are appended to `own`. */
export function stepObject(writer: KindWriter, value: unknown, ctx: StepContext, own: Finding[]): StepResult {
  writer.check(ctx.checker, value as never, own);
  const { key, object } = identify(writer.kind, value);
  const crossed = ctx.crossed(writer.kind, key);
  if (crossed) own.push(...crossed);
  if (ctx.quarantining) {
    for (const ref of referencesOf(writer.kind, value)) {
      if (ctx.isQuarantined(ref.kind, ref.key)) {
        own.push({ code: 'SR_REFERENCES_QUARANTINED_OBJECT', severity: 'error', object, location: `${writer.kind} ${object}`, message: `${ref.what} refers to ${ref.kind} ${ref.key}, which is quarantined` });
      }
    }
  }
  let xml: string | null = null;
  if (!hasError(own)) {
    try {
      xml = writer.xml(value as never);
    } catch (err) {
      if (!(err instanceof XmlCharacterError)) throw err;
      own.push({ code: 'SR_XML_INVALID_CHARACTER', severity: 'error', object, location: `${writer.kind} ${object}`, message: `a value ${err.message}` });
    }
  }
  return { xml, quarantineKey: writer.kind === 'host' ? (value as Host).name : key, object };
}
