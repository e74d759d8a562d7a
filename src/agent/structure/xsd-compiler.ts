/**
 * XSD → SchemaModel compiler, for build and test time only (never at run time: the official
 * schemas live in ../shared and are not part of the project).
 *
 * It reads the XSD subset RFC 8909, RFC 9022 and the EPP schemas they import actually use —
 * global and local elements, named and anonymous simple and complex types, sequence, choice,
 * group references, wildcards, simpleContent and complexContent extension, complexContent
 * restriction of anyType, simple-type restriction with facets, substitution groups, abstract
 * elements — and throws on anything else, so a schema change the checker does not understand
 * cannot go unnoticed. The XSD built-in datatypes the checker supports are defined here too.
 *
 * Regenerate the checked-in model (src/agent/structure/rde-model.ts) after a schema change:
 *
 *     npm run build && node dist/src/agent/structure/xsd-compiler.js ../shared/rde/schemas > src/agent/structure/rde-model.ts
 *
 * `rde-model.test.ts` recompiles from ../shared and fails when the checked-in copy differs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SaxesParser } from 'saxes';
import type { ComplexTypeDef, ElementDef, Facets, NamespaceConstraint, Particle, ProcessContents, Primitive, SchemaModel, SimpleTypeDef, TypeDef } from './model-types.js';
import { XSD_NS } from './model-types.js';

interface XNode {
  ns: string;
  local: string;
  attrs: Record<string, string>;
  children: XNode[];
  /** In-scope namespace bindings (prefix → URI; '' = default namespace). */
  scope: Record<string, string>;
}

interface SchemaDoc {
  file: string;
  tns: string;
  root: XNode;
}

/** Files of the RDE deposit schema set, in the dependency order of the wrapper all-rde-deposit.xsd. */
export const RDE_SCHEMA_FILES = [
  'eppcom-1.0.xsd',
  'epp-1.0.xsd',
  'host-1.0.xsd',
  'domain-1.0.xsd',
  'contact-1.0.xsd',
  'secDNS-1.1.xsd',
  'rgp-1.0.xsd',
  'rdeDnrdCommon-1.0.xsd',
  'rde-1.0.xsd',
  'rdeHeader-1.0.xsd',
  'rdeIDN-1.0.xsd',
  'rdeDomain-1.0.xsd',
  'rdeHost-1.0.xsd',
  'rdeContact-1.0.xsd',
  'rdeRegistrar-1.0.xsd',
  'rdeNNDN-1.0.xsd',
  'rdeEppParams-1.0.xsd',
  'rdePolicy-1.0.xsd',
];

function parseXsd(text: string, file: string): XNode {
  const parser = new SaxesParser({ xmlns: true, position: true });
  const stack: XNode[] = [];
  let root: XNode | undefined;
  parser.on('opentag', (tag) => {
    const parentScope = stack.length > 0 ? stack[stack.length - 1]!.scope : {};
    const scope = { ...parentScope, ...(tag.ns ?? {}) };
    const attrs: Record<string, string> = {};
    for (const attr of Object.values(tag.attributes)) {
      if (attr.prefix === 'xmlns' || attr.name === 'xmlns') continue;
      attrs[attr.uri ? `{${attr.uri}}${attr.local}` : attr.local] = attr.value;
    }
    const node: XNode = { ns: tag.uri, local: tag.local, attrs, children: [], scope };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('error', (err) => {
    throw new Error(`${file}: ${err.message}`);
  });
  parser.write(text).close();
  if (!root) throw new Error(`${file}: no root element`);
  return root;
}

const xs = (local: string): string => `{${XSD_NS}}${local}`;

/** XSD regular expression (XSD 1.0 Part 2 Appendix F) → anchored JavaScript source for the `u` flag. */
export function translatePattern(xsd: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < xsd.length; i++) {
    const c = xsd[i]!;
    if (c === '\\') {
      const n = xsd[i + 1];
      i++;
      if (n === undefined) throw new Error(`pattern ${xsd}: trailing backslash`);
      const klass: Record<string, [string, string]> = {
        w: ['[^\\p{P}\\p{Z}\\p{C}]', ''],
        W: ['[\\p{P}\\p{Z}\\p{C}]', ''],
        d: ['\\p{Nd}', '\\p{Nd}'],
        D: ['\\P{Nd}', '\\P{Nd}'],
        s: ['[\\x20\\t\\n\\r]', '\\x20\\t\\n\\r'],
      };
      const k = klass[n];
      if (k) {
        if (inClass && !k[1]) throw new Error(`pattern ${xsd}: \\${n} inside a character class is not supported`);
        out += inClass ? k[1] : k[0];
      } else if ('nrt\\|.-^?*+{}()[]'.includes(n)) out += `\\${n}`;
      else if (n === 'p' || n === 'P') {
        const end = xsd.indexOf('}', i);
        out += `\\${n}${xsd.slice(i + 1, end + 1)}`;
        i = end;
      } else throw new Error(`pattern ${xsd}: escape \\${n} is not supported`);
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      if (c === '[' && xsd[i - 1] === '-') throw new Error(`pattern ${xsd}: character class subtraction is not supported`);
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (xsd[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    if (c === '.') out += '[^\\n\\r]';
    else if (c === '^' || c === '$') out += `\\${c}`;
    else out += c;
  }
  return `^(?:${out})$`;
}

/** The built-in datatypes (XSD 1.0 Part 2 §3.2–3.3) the checker supports. */
function builtinSimpleTypes(): { local: string; def: SimpleTypeDef }[] {
  const out: { local: string; def: SimpleTypeDef }[] = [];
  const byName = new Map<string, SimpleTypeDef>();
  const add = (local: string, parent: string | null, primitive: SimpleTypeDef['primitive'], ws: SimpleTypeDef['ws'], facets: Facets = {}) => {
    const base = parent ? byName.get(parent)! : null;
    const merged: Facets = { ...(base?.facets ?? {}), ...facets };
    if (base?.facets.patterns && facets.patterns) merged.patterns = [...base.facets.patterns, ...facets.patterns];
    const def: SimpleTypeDef = { kind: 'simple', name: xs(local), primitive, ws, facets: merged, chain: [xs(local), ...(base ? base.chain : [xs('anyType')])] };
    byName.set(local, def);
    out.push({ local, def });
  };
  add('anySimpleType', null, 'anySimpleType', 'preserve');
  add('string', 'anySimpleType', 'string', 'preserve');
  add('normalizedString', 'string', 'string', 'replace');
  add('token', 'normalizedString', 'string', 'collapse');
  add('language', 'token', 'string', 'collapse', { patterns: [['^(?:[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*)$']] });
  // Name characters (XML 1.0 §2.3), approximated by Unicode letter/digit/mark classes.
  add('NMTOKEN', 'token', 'string', 'collapse', { patterns: [['^[\\p{L}\\p{Nd}\\p{Mn}\\p{Mc}\\p{Nl}._:\\-\\u00B7]+$']] });
  add('Name', 'token', 'string', 'collapse', { patterns: [['^[\\p{L}\\p{Nl}_:][\\p{L}\\p{Nd}\\p{Mn}\\p{Mc}\\p{Nl}._:\\-\\u00B7]*$']] });
  add('NCName', 'Name', 'string', 'collapse', { patterns: [['^[\\p{L}\\p{Nl}_][\\p{L}\\p{Nd}\\p{Mn}\\p{Mc}\\p{Nl}._\\-\\u00B7]*$']] });
  add('ID', 'NCName', 'string', 'collapse');
  add('boolean', 'anySimpleType', 'boolean', 'collapse');
  add('decimal', 'anySimpleType', 'decimal', 'collapse');
  add('integer', 'decimal', 'decimal', 'collapse', { fractionDigits: 0, patterns: [['^[+-]?[0-9]+$']] });
  add('nonPositiveInteger', 'integer', 'decimal', 'collapse', { maxInclusive: '0' });
  add('negativeInteger', 'nonPositiveInteger', 'decimal', 'collapse', { maxInclusive: '-1' });
  add('long', 'integer', 'decimal', 'collapse', { minInclusive: '-9223372036854775808', maxInclusive: '9223372036854775807' });
  add('int', 'long', 'decimal', 'collapse', { minInclusive: '-2147483648', maxInclusive: '2147483647' });
  add('short', 'int', 'decimal', 'collapse', { minInclusive: '-32768', maxInclusive: '32767' });
  add('byte', 'short', 'decimal', 'collapse', { minInclusive: '-128', maxInclusive: '127' });
  add('nonNegativeInteger', 'integer', 'decimal', 'collapse', { minInclusive: '0' });
  add('unsignedLong', 'nonNegativeInteger', 'decimal', 'collapse', { maxInclusive: '18446744073709551615' });
  add('unsignedInt', 'unsignedLong', 'decimal', 'collapse', { maxInclusive: '4294967295' });
  add('unsignedShort', 'unsignedInt', 'decimal', 'collapse', { maxInclusive: '65535' });
  add('unsignedByte', 'unsignedShort', 'decimal', 'collapse', { maxInclusive: '255' });
  add('positiveInteger', 'nonNegativeInteger', 'decimal', 'collapse', { minInclusive: '1' });
  for (const p of ['float', 'double', 'duration', 'dateTime', 'time', 'date', 'gYearMonth', 'gYear', 'gMonthDay', 'gDay', 'gMonth', 'hexBinary', 'base64Binary', 'anyURI', 'QName'] as const) {
    add(p, 'anySimpleType', p as Primitive, 'collapse');
  }
  return out;
}

interface Component {
  doc: SchemaDoc;
  node: XNode;
}

export class XsdCompiler {
  private readonly docs: SchemaDoc[] = [];
  private readonly types: TypeDef[] = [];
  private readonly elements: ElementDef[] = [];
  private readonly typeNames: Record<string, number> = {};
  private readonly globalElements: Record<string, number> = {};
  private readonly typeComponents = new Map<string, Component>();
  private readonly elementComponents = new Map<string, Component>();
  private readonly groupComponents = new Map<string, Component>();
  private readonly substitutionHead = new Map<number, number>();
  private readonly sources: { file: string; sha256: string }[] = [];
  private anyType = -1;

  /** Compile the schema files (in dependency order) found in `dir`. */
  static compileDir(dir: string, files: string[] = RDE_SCHEMA_FILES): SchemaModel {
    const compiler = new XsdCompiler();
    for (const file of files) compiler.addSchema(file, readFileSync(join(dir, file), 'utf8'));
    return compiler.compile();
  }

  addSchema(file: string, text: string): void {
    const root = parseXsd(text, file);
    if (root.ns !== XSD_NS || root.local !== 'schema') throw new Error(`${file}: not an XML Schema`);
    if (root.attrs.elementFormDefault !== 'qualified') throw new Error(`${file}: only elementFormDefault="qualified" is supported`);
    if (root.attrs.attributeFormDefault === 'qualified') throw new Error(`${file}: attributeFormDefault="qualified" is not supported`);
    const doc: SchemaDoc = { file, tns: root.attrs.targetNamespace ?? '', root };
    this.docs.push(doc);
    this.sources.push({ file, sha256: createHash('sha256').update(text).digest('hex') });
    for (const child of root.children) {
      if (child.ns !== XSD_NS) continue;
      const key = `{${doc.tns}}${child.attrs.name ?? ''}`;
      switch (child.local) {
        case 'element':
          this.elementComponents.set(key, { doc, node: child });
          break;
        case 'complexType':
        case 'simpleType':
          this.typeComponents.set(key, { doc, node: child });
          break;
        case 'group':
          this.groupComponents.set(key, { doc, node: child });
          break;
        case 'import':
        case 'annotation':
          break;
        default:
          throw new Error(`${file}: top-level <${child.local}> is not supported`);
      }
    }
  }

  compile(): SchemaModel {
    // xs:anyType (XSD 1.0 §3.4.7): mixed, any attributes, any elements, processed laxly.
    this.anyType = this.push({
      kind: 'complex',
      name: xs('anyType'),
      mixed: true,
      content: { k: 'elements', particle: { k: 's', min: 1, max: 1, items: [{ k: 'w', ns: { any: true }, pc: 'lax', min: 0, max: -1 }] } },
      attributes: [],
      anyAttribute: { ns: { any: true }, pc: 'lax' },
      chain: [xs('anyType')],
    });
    this.typeNames[xs('anyType')] = this.anyType;
    for (const { local, def } of builtinSimpleTypes()) this.typeNames[xs(local)] = this.push(def);
    for (const doc of this.docs) {
      for (const child of doc.root.children) {
        if (child.ns !== XSD_NS || !child.attrs.name) continue;
        const key = `{${doc.tns}}${child.attrs.name}`;
        if (child.local === 'element') this.globalElement(key);
        else if (child.local === 'complexType' || child.local === 'simpleType') this.namedType(key);
      }
    }
    // Substitution groups (XSD 1.0 §3.3.6): every non-abstract element whose head chain reaches E.
    for (const index of Object.values(this.globalElements)) {
      const members: number[] = [];
      for (const candidate of Object.values(this.globalElements)) {
        let cursor: number | undefined = candidate;
        while (cursor !== undefined && cursor !== index) cursor = this.substitutionHead.get(cursor);
        if (cursor === index && !this.elements[candidate]!.abstract) members.push(candidate);
      }
      this.elements[index]!.substitutes = members.sort((a, b) => a - b);
    }
    return {
      sources: this.sources,
      types: this.types,
      elements: this.elements,
      typeNames: this.typeNames,
      globalElements: this.globalElements,
      anyType: this.anyType,
    };
  }

  private push(def: TypeDef): number {
    this.types.push(def);
    return this.types.length - 1;
  }

  private qname(value: string, node: XNode): string {
    const colon = value.indexOf(':');
    const prefix = colon < 0 ? '' : value.slice(0, colon);
    const local = colon < 0 ? value : value.slice(colon + 1);
    const ns = node.scope[prefix];
    if (ns === undefined && prefix !== '') throw new Error(`unbound prefix in ${value}`);
    return `{${ns ?? ''}}${local}`;
  }

  private namedType(key: string): number {
    const known = this.typeNames[key];
    if (known !== undefined) return known;
    const component = this.typeComponents.get(key);
    if (!component) throw new Error(`type ${key} is not defined`);
    return component.node.local === 'simpleType' ? this.simpleType(component.doc, component.node, key) : this.complexType(component.doc, component.node, key);
  }

  private typeRef(value: string, node: XNode): number {
    return this.namedType(this.qname(value, node));
  }

  private simpleType(doc: SchemaDoc, node: XNode, name?: string): number {
    const restriction = only(node, 'restriction', doc);
    const baseAttr = restriction.attrs.base;
    if (!baseAttr) throw new Error(`${doc.file}: simpleType restriction without base is not supported`);
    const base = this.types[this.typeRef(baseAttr, restriction)]!;
    if (base.kind !== 'simple') throw new Error(`${doc.file}: simpleType ${name} restricts a complex type`);
    const def = this.restrict(base, restriction, doc, name);
    const index = this.push(def);
    if (name) this.typeNames[name] = index;
    return index;
  }

  private restrict(base: SimpleTypeDef, restriction: XNode, doc: SchemaDoc, name: string | undefined): SimpleTypeDef {
    const facets: Facets = { ...base.facets };
    let ws = base.ws;
    const enumeration: string[] = [];
    const patterns: string[] = [];
    for (const f of restriction.children) {
      if (f.ns !== XSD_NS || f.local === 'annotation') continue;
      const value = f.attrs.value;
      if (value === undefined) throw new Error(`${doc.file}: facet ${f.local} without value`);
      switch (f.local) {
        case 'enumeration':
          enumeration.push(value);
          break;
        case 'pattern':
          patterns.push(translatePattern(value));
          break;
        case 'length':
        case 'minLength':
        case 'maxLength':
        case 'totalDigits':
        case 'fractionDigits':
          facets[f.local] = Number(value);
          break;
        case 'minInclusive':
        case 'maxInclusive':
        case 'minExclusive':
        case 'maxExclusive':
          facets[f.local] = value;
          break;
        case 'whiteSpace':
          ws = value as SimpleTypeDef['ws'];
          break;
        default:
          throw new Error(`${doc.file}: facet ${f.local} is not supported`);
      }
    }
    if (enumeration.length > 0) facets.enumeration = enumeration;
    if (patterns.length > 0) facets.patterns = [...(base.facets.patterns ?? []), patterns];
    const def: SimpleTypeDef = { kind: 'simple', primitive: base.primitive, ws, facets, chain: name ? [name, ...base.chain] : [...base.chain] };
    if (name) def.name = name;
    return def;
  }

  private complexType(doc: SchemaDoc, node: XNode, name?: string): number {
    // Reserve the index first: content models may refer back to this type.
    const index = this.push({ kind: 'complex', mixed: false, content: { k: 'empty' }, attributes: [], chain: [] });
    if (name) this.typeNames[name] = index;
    const def: ComplexTypeDef = { kind: 'complex', mixed: node.attrs.mixed === 'true', content: { k: 'empty' }, attributes: [], chain: [] };
    if (name) def.name = name;
    if (node.attrs.abstract === 'true') def.abstract = true;
    const body = node.children.filter((c) => c.ns === XSD_NS && c.local !== 'annotation');
    const simpleContent = body.find((c) => c.local === 'simpleContent');
    const complexContent = body.find((c) => c.local === 'complexContent');
    if (simpleContent) {
      const derivation = only(simpleContent, 'extension', doc);
      const base = this.types[this.typeRef(derivation.attrs.base!, derivation)]!;
      const baseIndex = this.typeRef(derivation.attrs.base!, derivation);
      if (base.kind === 'simple') {
        def.content = { k: 'simple', type: baseIndex };
      } else {
        if (base.content.k !== 'simple') throw new Error(`${doc.file}: simpleContent extension of a type without simple content`);
        def.content = base.content;
        def.attributes.push(...base.attributes);
      }
      def.attributes.push(...this.attributes(doc, derivation));
      def.chain = [...(name ? [name] : []), ...base.chain];
      def.base = { type: baseIndex, extension: true };
    } else if (complexContent) {
      if (complexContent.attrs.mixed === 'true') def.mixed = true;
      const derivation = complexContent.children.find((c) => c.ns === XSD_NS && (c.local === 'extension' || c.local === 'restriction'));
      if (!derivation) throw new Error(`${doc.file}: complexContent without derivation`);
      const baseIndex = this.typeRef(derivation.attrs.base!, derivation);
      const base = this.types[baseIndex]!;
      if (base.kind !== 'complex') throw new Error(`${doc.file}: complexContent derived from a simple type`);
      const particle = this.contentParticle(doc, derivation);
      if (derivation.local === 'extension') {
        if (base.content.k === 'simple') throw new Error(`${doc.file}: complexContent extension of simple content`);
        const baseParticle = base.content.k === 'elements' ? base.content.particle : null;
        if (baseParticle && particle) def.content = { k: 'elements', particle: { k: 's', min: 1, max: 1, items: [baseParticle, particle] } };
        else if (baseParticle ?? particle) def.content = { k: 'elements', particle: (baseParticle ?? particle)! };
        def.attributes.push(...base.attributes, ...this.attributes(doc, derivation));
        if (base.anyAttribute) def.anyAttribute = base.anyAttribute;
        if (base.mixed) def.mixed = true;
      } else {
        if (baseIndex !== this.anyType) throw new Error(`${doc.file}: complexContent restriction is supported for anyType only`);
        if (particle) def.content = { k: 'elements', particle };
        def.attributes.push(...this.attributes(doc, derivation));
      }
      const wildcard = this.anyAttribute(derivation);
      if (wildcard) def.anyAttribute = wildcard;
      def.chain = [...(name ? [name] : []), ...base.chain];
      def.base = { type: baseIndex, extension: derivation.local === 'extension' };
    } else {
      const particle = this.contentParticle(doc, node);
      if (particle) def.content = { k: 'elements', particle };
      def.attributes.push(...this.attributes(doc, node));
      const wildcard = this.anyAttribute(node);
      if (wildcard) def.anyAttribute = wildcard;
      def.chain = [...(name ? [name] : []), xs('anyType')];
      def.base = { type: this.anyType, extension: false };
    }
    if (def.content.k === 'elements' && !hasTerms(def.content.particle)) def.content = { k: 'empty' };
    this.types[index] = def;
    return index;
  }

  private anyAttribute(node: XNode): ComplexTypeDef['anyAttribute'] | undefined {
    const wildcard = node.children.find((c) => c.ns === XSD_NS && c.local === 'anyAttribute');
    if (!wildcard) return undefined;
    return { ns: this.namespaceConstraint(wildcard.attrs.namespace, this.docOf(wildcard)), pc: (wildcard.attrs.processContents ?? 'strict') as ProcessContents };
  }

  private docOf(node: XNode): string {
    for (const doc of this.docs) if (contains(doc.root, node)) return doc.tns;
    throw new Error('node outside every schema');
  }

  private namespaceConstraint(value: string | undefined, tns: string): NamespaceConstraint {
    const v = (value ?? '##any').trim();
    if (v === '##any') return { any: true };
    if (v === '##other') return { not: [tns, ''] };
    return { in: v.split(/\s+/).map((t) => (t === '##targetNamespace' ? tns : t === '##local' ? '' : t)) };
  }

  private attributes(doc: SchemaDoc, node: XNode): ComplexTypeDef['attributes'] {
    const out: ComplexTypeDef['attributes'] = [];
    for (const a of node.children) {
      if (a.ns !== XSD_NS) continue;
      if (a.local === 'attributeGroup') throw new Error(`${doc.file}: attributeGroup is not supported`);
      if (a.local !== 'attribute') continue;
      if (!a.attrs.name) throw new Error(`${doc.file}: attribute references are not supported`);
      if (a.attrs.form === 'qualified') throw new Error(`${doc.file}: qualified attributes are not supported`);
      let type: number;
      const inline = a.children.find((c) => c.ns === XSD_NS && c.local === 'simpleType');
      if (inline) type = this.simpleType(doc, inline);
      else type = a.attrs.type ? this.typeRef(a.attrs.type, a) : this.typeNames[xs('anySimpleType')]!;
      const use = a.attrs.use ?? 'optional';
      if (use === 'prohibited') continue;
      const attr: ComplexTypeDef['attributes'][number] = { ns: '', local: a.attrs.name, type, required: use === 'required' };
      if (a.attrs.fixed !== undefined) attr.fixed = a.attrs.fixed;
      out.push(attr);
    }
    return out;
  }

  /** The content particle of a complexType / derivation node, or null when it has none. */
  private contentParticle(doc: SchemaDoc, node: XNode): Particle | null {
    for (const c of node.children) {
      if (c.ns !== XSD_NS) continue;
      if (c.local === 'sequence' || c.local === 'choice' || c.local === 'group') return this.particle(doc, c);
      if (c.local === 'all') throw new Error(`${doc.file}: <all> is not supported`);
    }
    return null;
  }

  private occurs(node: XNode): { min: number; max: number } {
    const min = node.attrs.minOccurs === undefined ? 1 : Number(node.attrs.minOccurs);
    const maxAttr = node.attrs.maxOccurs;
    const max = maxAttr === undefined ? 1 : maxAttr === 'unbounded' ? -1 : Number(maxAttr);
    return { min, max };
  }

  private particle(doc: SchemaDoc, node: XNode): Particle {
    const { min, max } = this.occurs(node);
    switch (node.local) {
      case 'sequence':
      case 'choice': {
        const items: Particle[] = [];
        for (const c of node.children) {
          if (c.ns !== XSD_NS || c.local === 'annotation') continue;
          items.push(this.particle(doc, c));
        }
        return { k: node.local === 'sequence' ? 's' : 'c', items, min, max };
      }
      case 'group': {
        const key = this.qname(node.attrs.ref!, node);
        const group = this.groupComponents.get(key);
        if (!group) throw new Error(`${doc.file}: group ${key} is not defined`);
        const body = group.node.children.find((c) => c.ns === XSD_NS && c.local !== 'annotation');
        if (!body) throw new Error(`${doc.file}: empty group ${key}`);
        const inner = this.particle(group.doc, body);
        if (min === 1 && max === 1) return inner;
        return { k: 's', items: [inner], min, max };
      }
      case 'element': {
        if (node.attrs.ref) return { k: 'e', el: this.globalElement(this.qname(node.attrs.ref, node)), min, max };
        return { k: 'e', el: this.localElement(doc, node), min, max };
      }
      case 'any':
        return { k: 'w', ns: this.namespaceConstraint(node.attrs.namespace, doc.tns), pc: (node.attrs.processContents ?? 'strict') as ProcessContents, min, max };
      default:
        throw new Error(`${doc.file}: particle <${node.local}> is not supported`);
    }
  }

  private elementType(doc: SchemaDoc, node: XNode): number | null {
    const inline = node.children.find((c) => c.ns === XSD_NS && (c.local === 'complexType' || c.local === 'simpleType'));
    if (inline) return inline.local === 'complexType' ? this.complexType(doc, inline) : this.simpleType(doc, inline);
    if (node.attrs.type) return this.typeRef(node.attrs.type, node);
    return null;
  }

  private elementDef(doc: SchemaDoc, node: XNode, global: boolean): ElementDef {
    const def: ElementDef = { ns: doc.tns, local: node.attrs.name!, type: this.anyType, global };
    if (node.attrs.abstract === 'true') def.abstract = true;
    if (node.attrs.nillable === 'true') def.nillable = true;
    if (node.attrs.fixed !== undefined) def.fixed = node.attrs.fixed;
    if (node.attrs.block !== undefined || node.attrs.final !== undefined) throw new Error(`${doc.file}: block/final on elements is not supported`);
    return def;
  }

  private localElement(doc: SchemaDoc, node: XNode): number {
    const def = this.elementDef(doc, node, false);
    this.elements.push(def);
    const index = this.elements.length - 1;
    def.type = this.elementType(doc, node) ?? this.anyType;
    return index;
  }

  private globalElement(key: string): number {
    const known = this.globalElements[key];
    if (known !== undefined) return known;
    const component = this.elementComponents.get(key);
    if (!component) throw new Error(`element ${key} is not defined`);
    const def = this.elementDef(component.doc, component.node, true);
    this.elements.push(def);
    const index = this.elements.length - 1;
    this.globalElements[key] = index;
    const type = this.elementType(component.doc, component.node);
    const head = component.node.attrs.substitutionGroup;
    if (head) {
      const headIndex = this.globalElement(this.qname(head, component.node));
      this.substitutionHead.set(index, headIndex);
      def.type = type ?? this.elements[headIndex]!.type;
    } else def.type = type ?? this.anyType;
    return index;
  }
}

function only(node: XNode, local: string, doc: SchemaDoc): XNode {
  const found = node.children.filter((c) => c.ns === XSD_NS && c.local !== 'annotation');
  if (found.length !== 1 || found[0]!.local !== local) throw new Error(`${doc.file}: expected a single <${local}> in <${node.local} ${node.attrs.name ?? ''}>`);
  return found[0]!;
}

/** Whether a particle can match any element at all (an empty sequence cannot). */
function hasTerms(p: Particle): boolean {
  if (p.k === 'e' || p.k === 'w') return p.max !== 0;
  return p.max !== 0 && p.items.some(hasTerms);
}

function contains(root: XNode, node: XNode): boolean {
  if (root === node) return true;
  return root.children.some((c) => contains(c, node));
}

/** The TypeScript source of the checked-in model. */
export function modelSource(model: SchemaModel): string {
  return `/**
 * GENERATED by src/agent/structure/xsd-compiler.ts from the RFC 8909 / RFC 9022 / EPP schemas
 * (${model.sources.length} files, hashes below); do not edit. rde-model.test.ts proves it matches them.
 */
import type { SchemaModel } from './model-types.js';

export const RDE_MODEL: SchemaModel = {
  sources: [
${model.sources.map((s) => `    ${JSON.stringify(s)},`).join('\n')}
  ],
  types: [
${model.types.map((t, i) => `    /* ${i} */ ${JSON.stringify(t)},`).join('\n')}
  ],
  elements: [
${model.elements.map((e, i) => `    /* ${i} */ ${JSON.stringify(e)},`).join('\n')}
  ],
  typeNames: ${JSON.stringify(model.typeNames)},
  globalElements: ${JSON.stringify(model.globalElements)},
  anyType: ${model.anyType},
};
`;
}

// Command-line entry: print the model compiled from a schema directory.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: xsd-compiler.js <schema dir>\n');
    process.exit(2);
  }
  process.stdout.write(modelSource(XsdCompiler.compileDir(dir)));
}
