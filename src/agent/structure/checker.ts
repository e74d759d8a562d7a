/**
 * Streaming structure checker for RFC 8909 / RFC 9022 XML deposits: well-formedness (DOCTYPE
 * and entity declarations refused) and validity against the official schemas — element order,
 * cardinalities, types, enumerations, patterns, attributes, substitution groups, xsi:type —
 * implemented in Strongroom over the events of the byte-level XML scanner (src/common/xml-scan.ts),
 * driven by the compiled schema model in rde-model.ts. It never calls xmllint or an XSD library; xmllint is only its test oracle.
 *
 * API
 *
 *     checkStructure(input: Readable | AsyncIterable<Buffer | string>, opts?): Promise<StructureResult>
 *
 * reads a whole deposit XML stream and returns its findings (never throws on bad input):
 *
 *  - RDE_XML_PARSE_ERROR (error): not well-formed, not UTF-8, a DOCTYPE, an undefined entity.
 *    After the first one schema findings stop (a broken tree cannot be validated) but parse
 *    errors keep being reported up to a cap.
 *  - RDE_SCHEMA_VALIDATION_ERROR (error): not valid against the RFC 8909/9022 schemas.
 *  - RDE_SCHEMA_INTEROP_WARNING (warning): valid, but libxml2-based validators (xmllint) reject
 *    it: whitespace around the xs:long value of rdeHeader:count (libxml2 does not collapse
 *    whitespace in simpleContent extensions of built-in types).
 *
 * Every finding is a `StructureFinding`: the common Finding (code, severity, object, location,
 * message) plus `line`, `column` and `path` (e.g. `/rde:deposit/rde:contents/rdeDomain:domain[3]/rdeDomain:status`,
 * with the prefixes of the document). `object` is the identifier of the enclosing deposit
 * object when known (domain/host name, contact/registrar id, NNDN aName, IDN table id).
 * Findings are capped (`maxFindings`); `omitted` says how many were dropped.
 *
 * `StructureChecker` is the same checker as an event consumer, for stages that run their own
 * scanner and want one pass: it is an `XmlScanHandler` (`new XmlScanner(checker)`); call
 * `finish()` after the scanner's end().
 *
 * Memory stays bounded whatever the deposit size: one frame per open element (depth capped),
 * text buffered only for the element being read (capped), automata per schema type.
 */
import { Readable } from 'node:stream';
import type { Finding, Severity } from '../../common/findings.js';
import { PREFIXES } from '../../model/namespaces.js';
import { ContentAutomaton, namespaceMatches, qkey, type DfaState } from './automaton.js';
import { XmlScanner, type XmlScanError, type XmlScanHandler } from '../../common/xml-scan.js';
import { ByteCheck, SimpleValidator, byteCheckOf, dateTimeZBytes } from './datatypes.js';
import type { AttributeUse, ComplexTypeDef, SchemaModel } from './model-types.js';
import { XSI_NS } from './model-types.js';
import { RDE_MODEL } from './rde-model.js';

/** ICANN RST error names (rst-test-specs rde-04) and Strongroom's interop warning. */
export const STRUCTURE_CODES = {
  parse: 'RDE_XML_PARSE_ERROR',
  schema: 'RDE_SCHEMA_VALIDATION_ERROR',
  interop: 'RDE_SCHEMA_INTEROP_WARNING',
} as const;

export interface StructureFinding extends Finding {
  line: number;
  column: number;
  path: string;
}

export interface StructureOptions {
  /** Name of the input for locations (e.g. the XML file name inside the tar). */
  source?: string;
  /** Findings kept (default 1000); the rest are counted in `omitted`. */
  maxFindings?: number;
  /** The root element the document must have (default rde:deposit, RFC 8909 §5). */
  root?: { ns: string; local: string };
  /** Schema model (default: the compiled RFC 8909/9022 model). */
  model?: SchemaModel;
}

export interface StructureResult {
  findings: StructureFinding[];
  /** Findings beyond `maxFindings`, not kept. */
  omitted: number;
  /** Number of error-severity findings (kept or not). */
  errors: number;
  /** Elements read. */
  elements: number;
  /** Whether the document was well-formed (no RDE_XML_PARSE_ERROR). */
  wellFormed: boolean;
}

/** Longest text value buffered for one element; longer values are an error (no RDE type needs more). */
const MAX_VALUE_CHARS = 1 << 20;
/** Deepest element nesting accepted (RDE deposits nest about 8 deep). */
const MAX_DEPTH = 256;
/** Parse errors reported before the reader gives up on a broken document. */
const MAX_PARSE_ERRORS = 20;
/** Findings held back per object until its identifier is known. */
const MAX_PENDING_PER_OBJECT = 100;

const NS_RDE = 'urn:ietf:params:xml:ns:rde-1.0';
const NS_XMLNS = 'http://www.w3.org/2000/xmlns/';
const NS_XSD = 'http://www.w3.org/2001/XMLSchema';

/** Conventional prefix per namespace, for messages about names the document did not write. */
const DISPLAY_PREFIX = new Map<string, string>([...Object.entries(PREFIXES).map(([p, ns]) => [ns, p] as [string, string]), [NS_XSD, 'xs']]);

function display(key: string): string {
  return key.replace(/\{([^}]*)\}/g, (_, ns: string) => (ns === '' ? '' : `${DISPLAY_PREFIX.get(ns) ?? `{${ns}}`}:`));
}

type Mode = 'strict' | 'lax' | 'skip';

interface Frame {
  name: string;
  mode: Mode;
  /** Type index (strict/lax) or -1 (skip). */
  type: number;
  automaton: ContentAutomaton | null;
  state: DfaState | null;
  /** A content-model error was reported here: stop reporting more for this element. */
  failed: boolean;
  text: string;
  textOverflow: boolean;
  nil: boolean;
  line: number;
  column: number;
  /** Per-name counts of children (only kept for rde:contents / rde:deletes, for paths). */
  childCounts: Map<string, number> | null;
  index: number;
  /** Whether this frame is a deposit object (child of rde:contents or rde:deletes). */
  object: boolean;
  /** What character data means here (by the type). */
  content: Content;
  /** The simple type the text is checked against at the end tag, or -1. */
  simple: number;
  /** A padded value gets the xmllint interop warning. */
  interop: boolean;
  /** No text piece so far had a whitespace character or a reference (the scanner's textHasNoSpace). */
  noSpace: boolean;
  /** The type's facts (strict/lax elements), else null. */
  info: TypeInfo | null;
  /** The value was checked from its bytes (its only text event): nothing to check at the end tag. */
  checked: boolean;
}

/** Character data in an element, by its type. */
const enum Content {
  /** Not checked: skipped elements, mixed content. */
  Ignore,
  /** Simple content: buffered and checked against `Frame.simple` at the end tag. */
  Simple,
  /** Empty content: any character data is an error. */
  Empty,
  /** Element-only content: whitespace allowed. */
  Elements,
}

/** Per type: its content automaton, what its character data means, its simple type. */
interface TypeInfo {
  automaton: ContentAutomaton | null;
  content: Content;
  simple: number;
  /** An abstract complex type (an element may not have it). */
  abstract: boolean;
  complex: ComplexTypeDef | null;
  /** The attribute uses (none for a simple type). */
  uses: readonly AttributeUse[];
  /** Simple content whose padded values xmllint rejects (interopType). */
  interop: boolean;
  /** How a value of the simple type can be checked from its bytes (datatypes.ts byteCheckOf), and the length bounds. */
  byteCheck: ByteCheck;
  minLen: number;
  maxLen: number;
  /** The simple type's whiteSpace facet is 'replace' or 'preserve' (spaces are kept), and no interop warning applies. */
  spacesKept: boolean;
}

/** Per element declaration: its type and flags. */
interface ElementInfo {
  type: number;
  abstract: boolean;
  nillable: boolean;
}

const NO_USES: readonly AttributeUse[] = [];

interface ObjectScope {
  id: string | undefined;
  pending: StructureFinding[];
  pendingDropped: number;
  depth: number;
  /** Depth of the identifying child being read, if any. */
  idDepth: number;
}

const ID_CHILDREN = new Set(['name', 'id', 'aName']);

export class StructureChecker implements XmlScanHandler {
  private readonly model: SchemaModel;
  private readonly values: SimpleValidator;
  private readonly automata = new Map<number, ContentAutomaton>();
  private readonly localDecls = new Map<number, Map<string, number>>();
  /** Frames of the open elements, frames[0..top); reused by depth. */
  private readonly frames: Frame[] = [];
  private top = 0;
  private readonly infos: Array<TypeInfo | undefined> = [];
  private readonly elInfos: Array<ElementInfo | undefined> = [];
  private readonly findings: StructureFinding[] = [];
  private readonly max: number;
  private readonly rootKey: string;
  private dropped = 0;
  private errorCount = 0;
  private parseErrors = 0;
  private broken = false;
  private skipDepth = 0;
  private tagLine = 1;
  private tagColumn = 1;
  private scanner: XmlScanner | null = null;
  private object: ObjectScope | null = null;
  private sawRoot = false;
  elements = 0;
  /** Resolves a prefix in the scope of the element being read (QName values). */
  private readonly resolver = (prefix: string): string | undefined => this.scanner?.resolve(prefix);

  constructor(private readonly opts: StructureOptions = {}) {
    this.model = opts.model ?? RDE_MODEL;
    this.values = new SimpleValidator(this.model);
    this.max = opts.maxFindings ?? 1000;
    this.rootKey = qkey(opts.root?.ns ?? NS_RDE, opts.root?.local ?? 'deposit');
  }

  // ---- scanner events (XmlScanHandler) ----------------------------------------------------

  xmlDecl(_version: string, encoding: string | undefined, _standalone: string | undefined, s: XmlScanner): void {
    this.scanner = s;
    const enc = encoding?.toLowerCase();
    if (enc !== undefined && enc !== 'utf-8' && enc !== 'utf8' && enc !== 'us-ascii') this.parseError(`encoding ${encoding} is not supported: deposits are read as UTF-8`, this.scanner!.line, this.scanner!.column);
  }

  error(err: XmlScanError): void {
    if (err.kind === 'doctype') this.parseError('DOCTYPE declarations are refused (no DTDs, no entity declarations in deposits)', err.line, err.column);
    else this.parseError(err.message, err.line, err.column);
  }

  open(s: XmlScanner): void {
    this.scanner = s;
    this.tagLine = s.line;
    this.tagColumn = s.column;
    this.openElement(s);
  }

  close(s: XmlScanner): void {
    this.scanner = s;
    this.closeElement();
  }

  text(s: XmlScanner): void {
    this.scanner = s;
    this.characters(s, false);
  }

  cdata(s: XmlScanner): void {
    this.scanner = s;
    this.characters(s, true);
  }

  /** Call after the scanner's end(): reports a missing root. */
  finish(): StructureResult {
    if (!this.sawRoot && !this.broken) this.parseError('no root element');
    return { findings: this.findings, omitted: this.dropped, errors: this.errorCount, elements: this.elements, wellFormed: this.parseErrors === 0 };
  }

  /** True once so many parse errors were seen that reading on is pointless. */
  get gaveUp(): boolean {
    return this.parseErrors >= MAX_PARSE_ERRORS;
  }

  // ---- findings -------------------------------------------------------------------------

  private path(extra?: string): string {
    let out = '';
    for (let i = 0; i < this.top; i++) {
      const f = this.frames[i]!;
      out += `/${f.name}${f.index > 0 ? `[${f.index}]` : ''}`;
    }
    return extra ? `${out}/${extra}` : out || '/';
  }

  private add(code: string, severity: Severity, message: string, line: number, column: number, path: string): void {
    if (severity === 'error') this.errorCount++;
    const where = `${this.opts.source ? `${this.opts.source}:` : ''}${line}:${column}`;
    const finding: StructureFinding = { code, severity, location: `${where} ${path}`, message, line, column, path };
    const scope = this.object;
    if (scope && scope.id === undefined) {
      if (scope.pending.length < MAX_PENDING_PER_OBJECT) scope.pending.push(finding);
      else scope.pendingDropped++;
      return;
    }
    if (scope?.id !== undefined) finding.object = scope.id;
    this.keep(finding);
  }

  private keep(finding: StructureFinding): void {
    if (this.findings.length < this.max) this.findings.push(finding);
    else this.dropped++;
  }

  private schemaError(message: string, frame?: Frame, childName?: string): void {
    if (this.broken) return;
    const line = frame ? frame.line : this.tagLine;
    const column = frame ? frame.column : this.tagColumn;
    this.add(STRUCTURE_CODES.schema, 'error', message, line, column, this.path(childName));
  }

  private parseError(message: string, line = 0, column = 0): void {
    this.parseErrors++;
    if (this.parseErrors > MAX_PARSE_ERRORS) return;
    this.broken = true;
    this.add(STRUCTURE_CODES.parse, 'error', message, line, column, this.path());
  }

  // ---- model helpers --------------------------------------------------------------------

  private automaton(typeIndex: number): ContentAutomaton | null {
    const type = this.model.types[typeIndex]!;
    if (type.kind !== 'complex' || type.content.k !== 'elements') return null;
    let a = this.automata.get(typeIndex);
    if (!a) {
      a = new ContentAutomaton(this.model, type.content.particle);
      this.automata.set(typeIndex, a);
    }
    return a;
  }

  /** Local declarations of a complex type by name: validates children after a content-model error. */
  private declsOf(typeIndex: number): Map<string, number> {
    let map = this.localDecls.get(typeIndex);
    if (!map) {
      map = new Map();
      const type = this.model.types[typeIndex]!;
      const walk = (p: import('./model-types.js').Particle): void => {
        if (p.k === 'e') {
          const e = this.model.elements[p.el]!;
          for (const m of e.global ? (e.substitutes ?? []) : [p.el]) {
            const d = this.model.elements[m]!;
            if (!map!.has(qkey(d.ns, d.local))) map!.set(qkey(d.ns, d.local), m);
          }
        } else if (p.k === 's' || p.k === 'c') p.items.forEach(walk);
      };
      if (type.kind === 'complex' && type.content.k === 'elements') walk(type.content.particle);
      this.localDecls.set(typeIndex, map);
    }
    return map;
  }

  private typeName(typeIndex: number): string {
    const t = this.model.types[typeIndex]!;
    return t.chain[0] && t.name ? display(t.chain[0]) : 'an anonymous type';
  }

  /** XSD 1.0 §3.4.6 "Type Derivation OK": may `derived` stand in for `declared` via xsi:type? */
  private derivesFrom(derived: number, declared: number): boolean {
    if (derived === declared || declared === this.model.anyType) return true;
    const base = this.model.types[declared]!;
    const d = this.model.types[derived]!;
    return base.name !== undefined && d.chain.includes(base.name);
  }

  // ---- events -----------------------------------------------------------------------------

  private openElement(tag: XmlScanner): void {
    this.elements++;
    const depth = this.top;
    const parent = depth > 0 ? this.frames[depth - 1]! : undefined;
    if (!parent) this.sawRoot = true;
    if (this.skipDepth > 0 || this.broken) {
      this.skipDepth++;
      return;
    }
    if (depth >= MAX_DEPTH) {
      this.schemaError(`elements nest deeper than ${MAX_DEPTH}`);
      this.skipDepth = 1;
      return;
    }
    const xname = tag.xname;
    let mode: Mode = 'strict';
    let el: number | undefined;
    let index = 0;

    if (parent) {
      if (parent.childCounts) {
        index = (parent.childCounts.get(tag.qname) ?? 0) + 1;
        if (parent.childCounts.size < 1000 || parent.childCounts.has(tag.qname)) parent.childCounts.set(tag.qname, index);
      }
      if (parent.mode === 'skip') mode = 'skip';
      else if (parent.automaton && parent.state) {
        const step = parent.automaton.stepName(parent.state, xname);
        if (step) {
          parent.state = step.state;
          const match = step.match;
          if (match.kind === 'element') el = match.el;
          else if (match.pc === 'skip') mode = 'skip';
          else {
            el = this.model.globalElements[xname.key];
            if (el === undefined) {
              if (match.pc === 'strict') this.schemaError(`element ${display(xname.key)} is not declared (strict wildcard)`, undefined, tag.qname);
              mode = 'lax';
            }
          }
        } else {
          if (!parent.failed) {
            const expected = parent.automaton.expected(parent.state).map(display);
            this.schemaError(
              `element ${display(xname.key)} is not expected here${expected.length > 0 ? `; expected ${expected.join(', ')}` : parent.state.accepting ? '; no more child elements allowed' : ''}`,
              undefined,
              tag.qname,
            );
            parent.failed = true;
          }
          el = this.declsOf(parent.type).get(xname.key);
          if (el === undefined) mode = 'skip';
        }
      } else {
        const type = this.model.types[parent.type]!;
        this.schemaError(`element ${display(xname.key)} is not allowed: ${parent.name} has ${type.kind === 'simple' || (type.kind === 'complex' && type.content.k === 'simple') ? 'simple' : 'empty'} content`, undefined, tag.qname);
        mode = 'skip';
      }
    } else {
      el = this.model.globalElements[xname.key];
      if (xname.key !== this.rootKey) {
        this.schemaError(`the root element is ${display(xname.key)}, not ${display(this.rootKey)}`, undefined, tag.qname);
        el = undefined;
        mode = 'skip';
      }
    }

    let typeIndex = -1;
    let nillable = false;
    if (mode !== 'skip') {
      if (el !== undefined) {
        const decl = this.elementInfo(el);
        typeIndex = decl.type;
        nillable = decl.nillable;
        if (decl.abstract) this.schemaError(`element ${display(xname.key)} is abstract`, undefined, tag.qname);
      } else typeIndex = this.model.anyType;
    }

    // xsi:type and xsi:nil (XSD 1.0 §3.3.4 clauses 3–4).
    let nil = false;
    const attrCount = tag.attrCount;
    for (let i = 0; i < attrCount; i++) {
      if (tag.attrNs[i] !== XSI_NS || mode === 'skip') continue;
      const aLocal = tag.attrLocal[i]!;
      const aValue = tag.attrValue[i]!;
      if (aLocal === 'type') {
        const value = aValue.trim();
        const colon = value.indexOf(':');
        const prefix = colon < 0 ? '' : value.slice(0, colon);
        const typeNs = tag.resolve(prefix) ?? (colon < 0 ? '' : undefined);
        const t = typeNs === undefined ? undefined : this.model.typeNames[qkey(typeNs, colon < 0 ? value : value.slice(colon + 1))];
        if (t === undefined) this.schemaError(`xsi:type ${JSON.stringify(value)} is not a known type`, undefined, tag.qname);
        else if (!this.derivesFrom(t, typeIndex)) this.schemaError(`xsi:type ${display(this.model.types[t]!.name ?? value)} is not derived from ${this.typeName(typeIndex)}`, undefined, tag.qname);
        else typeIndex = t;
      } else if (aLocal === 'nil') {
        if (!nillable) this.schemaError(`xsi:nil is not allowed: ${display(xname.key)} is not nillable`, undefined, tag.qname);
        else nil = aValue.trim() === 'true' || aValue.trim() === '1';
      } else if (aLocal !== 'schemaLocation' && aLocal !== 'noNamespaceSchemaLocation') {
        this.schemaError(`attribute xsi:${aLocal} is not defined`, undefined, tag.qname);
      }
    }
    const info = typeIndex >= 0 ? this.typeInfo(typeIndex) : undefined;
    if (info?.abstract) this.schemaError(`type ${this.typeName(typeIndex)} is abstract`, undefined, tag.qname);

    // Frames are reused per depth (no object per element).
    let frame = this.frames[depth];
    if (frame === undefined) {
      frame = { name: '', mode: 'strict', type: -1, automaton: null, state: null, failed: false, text: '', textOverflow: false, nil: false, line: 0, column: 0, childCounts: null, index: 0, object: false, content: Content.Ignore, simple: -1, interop: false, noSpace: true, info: null, checked: false };
      this.frames[depth] = frame;
    }
    frame.name = tag.qname;
    frame.mode = mode;
    frame.type = typeIndex;
    frame.automaton = null;
    frame.state = null;
    frame.failed = false;
    frame.text = '';
    frame.textOverflow = false;
    frame.nil = nil;
    frame.line = this.tagLine;
    frame.column = this.tagColumn;
    frame.childCounts = null;
    frame.index = index;
    frame.object = false;
    frame.content = Content.Ignore;
    frame.simple = -1;
    frame.interop = false;
    frame.noSpace = true;
    frame.info = null;
    frame.checked = false;
    if (info && mode !== 'skip') {
      frame.info = info;
      if (attrCount > 0 || info.uses.length > 0) this.checkAttributes(tag, info, mode);
      frame.automaton = info.automaton;
      frame.state = info.automaton?.start ?? null;
      frame.content = info.content;
      frame.simple = info.simple;
      frame.interop = info.interop;
    }
    if (parent && depth === 1 && parent.type >= 0 && xname.ns === NS_RDE && (xname.local === 'contents' || xname.local === 'deletes')) frame.childCounts = new Map();
    if (parent?.childCounts && depth === 2) {
      frame.object = true;
      this.object = { id: tag.attr('id')?.trim(), pending: [], pendingDropped: 0, depth: depth + 1, idDepth: -1 };
    } else if (this.object && this.object.id === undefined && depth === this.object.depth && ID_CHILDREN.has(xname.local)) {
      this.object.idDepth = depth + 1;
    }
    this.top = depth + 1;
  }

  /** What the checker needs of a type at each element, computed once per type. */
  private typeInfo(typeIndex: number): TypeInfo {
    let info = this.infos[typeIndex];
    if (info === undefined) {
      const type = this.model.types[typeIndex]!;
      let content: Content;
      let simple = -1;
      if (type.kind === 'simple') {
        content = Content.Simple;
        simple = typeIndex;
      } else if (type.content.k === 'simple') {
        content = Content.Simple;
        simple = type.content.type;
      } else if (type.mixed) content = Content.Ignore;
      else if (type.content.k === 'empty') content = Content.Empty;
      else content = Content.Elements;
      const complex = type.kind === 'complex' ? type : null;
      const simpleDef = simple >= 0 ? this.model.types[simple] : undefined;
      const bytes = simpleDef?.kind === 'simple' ? byteCheckOf(simpleDef) : { check: ByteCheck.None, min: 0, max: 0 };
      info = {
        automaton: this.automaton(typeIndex),
        content,
        simple,
        abstract: complex?.abstract === true,
        complex,
        uses: complex?.attributes ?? NO_USES,
        interop: complex !== null && simple >= 0 && this.interopType(complex, simple),
        byteCheck: bytes.check,
        minLen: bytes.min,
        maxLen: bytes.max,
        spacesKept: false,
      };
      info.spacesKept = simpleDef?.kind === 'simple' && simpleDef.ws !== 'collapse' && !info.interop;
      this.infos[typeIndex] = info;
    }
    return info;
  }

  /** An element declaration's facts in one object shape (declarations differ in their optional fields). */
  private elementInfo(el: number): ElementInfo {
    let info = this.elInfos[el];
    if (info === undefined) {
      const decl = this.model.elements[el]!;
      info = { type: decl.type, abstract: decl.abstract === true, nillable: decl.nillable === true };
      this.elInfos[el] = info;
    }
    return info;
  }

  private checkAttributes(tag: XmlScanner, info: TypeInfo, mode: Mode): void {
    const complex = info.complex;
    const uses = info.uses;
    let seen = 0; // bit i: uses[i] present (the RDE types have at most a handful of attributes)
    for (let i = 0; i < tag.attrCount; i++) {
      const uri = tag.attrNs[i]!;
      const local = tag.attrLocal[i]!;
      const name = tag.attrQName[i]!;
      if (uri === NS_XMLNS || uri === XSI_NS || name === 'xmlns') continue;
      let at = -1;
      if (uri === '') {
        for (let u = 0; u < uses.length; u++) {
          if (uses[u]!.local === local) {
            at = u;
            break;
          }
        }
      }
      if (at >= 0) {
        const use = uses[at]!;
        if (at < 31) seen |= 1 << at;
        const value = tag.attrValue[i]!;
        const error = this.values.check(use.type, value, this.resolver);
        if (error) this.schemaError(`attribute ${name}: ${error}`, undefined, tag.qname);
        else if (use.fixed !== undefined && this.values.normalize(use.type, value) !== use.fixed) this.schemaError(`attribute ${name} must be ${JSON.stringify(use.fixed)}`, undefined, tag.qname);
        continue;
      }
      if (complex?.anyAttribute && namespaceMatches(complex.anyAttribute.ns, uri)) continue;
      if (mode === 'lax' && !complex) continue;
      this.schemaError(`attribute ${name} is not allowed on ${tag.qname}`, undefined, tag.qname);
    }
    for (let i = 0; i < uses.length; i++) {
      const use = uses[i]!;
      if (use.required && (i >= 31 || (seen & (1 << i)) === 0) && !(i >= 31 && tag.attr(use.local) !== undefined)) this.schemaError(`attribute ${use.local} is required on ${tag.qname}`, undefined, tag.qname);
    }
  }

  private characters(s: XmlScanner, cdata: boolean): void {
    if (this.skipDepth > 0 || this.broken) return;
    const top = this.top;
    if (top === 0) return; // outside the root: the scanner reports non-whitespace itself
    const frame = this.frames[top - 1]!;
    if (frame.mode === 'skip' || frame.type < 0) return;
    const content = frame.content;
    if (content === Content.Simple) {
      if (frame.textOverflow) return;
      const info = frame.info!;
      // The whole value in one ASCII event without whitespace or references, the end tag next:
      // types checked by their bytes need no string (the string path below decides otherwise,
      // and where the value is needed: an object's identifier).
      // A 'replace' (or 'preserve') type leaves spaces as they are: only tabs, line ends and references change such a value.
      if (
        info.byteCheck !== ByteCheck.None &&
        !cdata &&
        frame.text === '' &&
        !frame.nil &&
        (s.textHasNoSpace || (info.spacesKept && s.textPlainSpaces)) &&
        s.textAscii &&
        s.textEndsElement &&
        (this.object === null || this.object.idDepth !== top)
      ) {
        const n = s.textBytes;
        if (info.byteCheck === ByteCheck.Length ? n >= info.minLen && n <= info.maxLen && n <= MAX_VALUE_CHARS : s.textHasNoSpace && dateTimeZBytes(s.textBuffer, s.textStart, n) === true) {
          frame.checked = true;
          return;
        }
      }
      const text = s.text();
      if (frame.text.length + text.length > MAX_VALUE_CHARS) {
        frame.textOverflow = true;
        frame.text = '';
        this.schemaError(`text longer than ${MAX_VALUE_CHARS} characters`, frame);
        return;
      }
      frame.text += text;
      if (!s.textHasNoSpace) frame.noSpace = false;
      return;
    }
    if (content === Content.Ignore) return; // mixed content
    if (content === Content.Empty) {
      if (!frame.failed) {
        this.schemaError(`no character content allowed: ${frame.name} is empty by its type`, frame);
        frame.failed = true;
      }
      return;
    }
    if (!cdata && (s.textIsWhitespace || /^[ \t\r\n]*$/.test(s.text()))) return;
    if (!frame.failed) {
      this.schemaError(`character content is not allowed in ${frame.name} (element-only content)`, frame);
      frame.failed = true;
    }
  }

  private closeElement(): void {
    if (this.skipDepth > 0) {
      this.skipDepth--;
      return;
    }
    if (this.broken) {
      if (this.top > 0) this.top--;
      return;
    }
    if (this.top === 0) return;
    const frame = this.frames[this.top - 1]!;
    if (frame.mode !== 'skip' && frame.type >= 0) {
      if (frame.state && !frame.state.accepting && !frame.failed && !frame.nil) {
        const expected = frame.automaton!.expected(frame.state).map(display);
        this.schemaError(`${frame.name} is incomplete: expected ${expected.join(', ')}`, frame);
      }
      const simpleType = frame.simple;
      if (simpleType >= 0 && !frame.textOverflow && !frame.nil && !frame.checked) {
        const error = this.values.check(simpleType, frame.text, this.resolver, frame.noSpace);
        if (error) this.schemaError(`${frame.name}: ${error}`, frame);
        else if (frame.interop && !frame.noSpace && frame.text !== frame.text.trim()) {
          this.add(
            STRUCTURE_CODES.interop,
            'warning',
            `${frame.name}: whitespace around ${JSON.stringify(frame.text.trim())} is valid, but libxml2-based validators (xmllint) reject it`,
            frame.line,
            frame.column,
            this.path(),
          );
        }
      }
    }
    if (this.object) {
      if (this.object.idDepth === this.top && this.object.id === undefined) {
        this.object.id = frame.text.trim().slice(0, 255) || undefined;
        this.object.idDepth = -1;
      }
      if (frame.object) this.flushObject();
    }
    frame.text = ''; // do not keep the value alive in the pool
    frame.childCounts = null;
    this.top--;
  }

  /** libxml2 2.9 does not collapse whitespace of simpleContent extending a non-string built-in (e.g. rdeHeader:count): such values are warned about when padded. */
  private interopType(type: ComplexTypeDef, simpleType: number): boolean {
    if (type.base?.type !== simpleType) return false;
    const st = this.model.types[simpleType]!;
    return st.kind === 'simple' && st.primitive !== 'string' && st.name?.startsWith(`{${NS_XSD}}`) === true;
  }

  private flushObject(): void {
    const scope = this.object!;
    this.object = null;
    for (const f of scope.pending) {
      if (scope.id !== undefined) f.object = scope.id;
      this.keep(f);
    }
    if (scope.pendingDropped > 0) this.dropped += scope.pendingDropped;
  }
}

/** Check a deposit XML stream (UTF-8 bytes or strings); resolves with every finding. */
export async function checkStructure(input: Readable | AsyncIterable<Buffer | string>, opts: StructureOptions = {}): Promise<StructureResult> {
  const checker = new StructureChecker(opts);
  const scanner = new XmlScanner(checker);
  try {
    for await (const chunk of input) {
      scanner.write(chunk as Buffer | string);
      if (checker.gaveUp || scanner.stopped) break;
    }
    if (!checker.gaveUp && !scanner.stopped) scanner.end();
  } finally {
    if (input instanceof Readable && !input.readableEnded) input.destroy();
  }
  return checker.finish();
}

/** Convenience: check an in-memory document (tests, small files). */
export function checkStructureText(xml: string, opts: StructureOptions = {}): Promise<StructureResult> {
  return checkStructure(Readable.from([xml]), opts);
}
