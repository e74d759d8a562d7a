/**
 * Deterministic, schema-blind mutations of an XML document, for differential tests of the
 * structure checker against xmllint: the mutator knows nothing of the RDE schemas (so it
 * cannot share the checker's blind spots); it removes, duplicates, reorders, inserts, renames
 * and rewrites values everywhere it can, and the oracle decides what is valid.
 *
 * Test-only: documents are small and held in memory.
 */
import { SaxesParser } from 'saxes';

export interface XElement {
  type: 'element';
  name: string;
  attrs: [string, string][];
  children: XNode[];
}
export type XNode = XElement | { type: 'text'; value: string } | { type: 'comment'; value: string };

export function parseTree(xml: string): XElement {
  const parser = new SaxesParser({ xmlns: false });
  const stack: XElement[] = [];
  let root: XElement | undefined;
  parser.on('opentag', (tag) => {
    const el: XElement = { type: 'element', name: tag.name, attrs: Object.entries(tag.attributes as Record<string, string>), children: [] };
    if (stack.length > 0) stack[stack.length - 1]!.children.push(el);
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => void stack.pop());
  parser.on('text', (value) => {
    if (stack.length > 0) stack[stack.length - 1]!.children.push({ type: 'text', value });
  });
  parser.on('comment', (value) => {
    if (stack.length > 0) stack[stack.length - 1]!.children.push({ type: 'comment', value });
  });
  parser.write(xml).close();
  return root!;
}

const escText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const escAttr = (s: string): string => escText(s).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');

export function serialize(el: XElement): string {
  const attrs = el.attrs.map(([n, v]) => ` ${n}="${escAttr(v)}"`).join('');
  if (el.children.length === 0) return `<${el.name}${attrs}/>`;
  let inner = '';
  for (const c of el.children) {
    if (c.type === 'element') inner += serialize(c);
    else if (c.type === 'text') inner += escText(c.value);
    else inner += `<!--${c.value}-->`;
  }
  return `<${el.name}${attrs}>${inner}</${el.name}>`;
}

export function clone<T extends XNode>(node: T): T {
  return JSON.parse(JSON.stringify(node)) as T;
}

/** Every element with its parent, in document order (the root has no parent). */
function walk(root: XElement): { el: XElement; parent: XElement | null }[] {
  const out: { el: XElement; parent: XElement | null }[] = [];
  const visit = (el: XElement, parent: XElement | null): void => {
    out.push({ el, parent });
    for (const c of el.children) if (c.type === 'element') visit(c, el);
  };
  visit(root, null);
  return out;
}

/** mulberry32: a tiny seeded PRNG, so mutations are the same on every run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Replacement text values: bad dates, numbers, enumerations, patterns, lengths — and some valid ones. */
export const TEXT_VALUES = [
  '',
  'not-a-date',
  '2024-13-01T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2024-02-29T00:00:00Z',
  '2025-01-05T25:00:00Z',
  '2025-01-05T00:00:00+15:00',
  '-5',
  '0',
  '99999999999999999999',
  '1.5',
  'abc def',
  'ok',
  'x',
  'ab',
  'FULL',
  'x'.repeat(17),
  'x'.repeat(256),
  'D1-EX',
  'D.1-EX',
  'Dexample-',
  '+1.7035555555',
  '+1-703',
  'zz',
  'true',
  'ZZ==',
  'a b',
  '::%zz[',
  '1.0',
  '2.0',
  'ÿé',
  'v4',
];

/** Replacement attribute values. */
export const ATTR_VALUES = ['', 'bogus', 'v6', 'int', 'TRUE', '1', 'admin', 'FULL', 'x'.repeat(14), 'a_b', '-1', 'urn:x', '::%zz[', 'ok', 'en', 'e n'];

export interface Mutation {
  id: string;
  xml: string;
}

/** Apply `fn` to a fresh copy of the document, at element `index`; returns a label or null when not applicable. */
function at(doc: XElement, index: number, fn: (el: XElement, parent: XElement | null, root: XElement) => string | null): { label: string; xml: string } | null {
  const copy = clone(doc);
  const entry = walk(copy)[index];
  if (!entry) return null;
  const label = fn(entry.el, entry.parent, copy);
  return label === null ? null : { label, xml: serialize(copy) };
}

const elementChildren = (el: XElement): XElement[] => el.children.filter((c): c is XElement => c.type === 'element');
const onlyText = (el: XElement): boolean => el.children.every((c) => c.type !== 'element');
const prefixOf = (name: string): string => (name.includes(':') ? name.slice(0, name.indexOf(':')) : '');

const KINDS: Record<string, (el: XElement, parent: XElement | null, rnd: () => number) => string | null> = {
  remove: (el, parent) => {
    if (!parent) return null;
    parent.children.splice(parent.children.indexOf(el), 1);
    return 'remove';
  },
  duplicate: (el, parent) => {
    if (!parent) return null;
    parent.children.splice(parent.children.indexOf(el) + 1, 0, clone(el));
    return 'duplicate';
  },
  swapNext: (el, parent) => {
    if (!parent) return null;
    const siblings = elementChildren(parent);
    const next = siblings[siblings.indexOf(el) + 1];
    if (!next || next.name === el.name) return null;
    const i = parent.children.indexOf(el);
    const j = parent.children.indexOf(next);
    parent.children[i] = next;
    parent.children[j] = el;
    return 'swapNext';
  },
  unknownChild: (el) => {
    el.children.push({ type: 'element', name: 'x:bogus', attrs: [['xmlns:x', 'urn:example:bogus']], children: [] });
    return 'unknownChild';
  },
  sameNamespaceSibling: (el, parent) => {
    if (!parent) return null;
    const p = prefixOf(el.name);
    parent.children.splice(parent.children.indexOf(el) + 1, 0, { type: 'element', name: p ? `${p}:bogus` : 'bogus', attrs: [], children: [] });
    return 'sameNamespaceSibling';
  },
  wrongNamespace: (el) => {
    const local = el.name.slice(el.name.indexOf(':') + 1);
    const p = prefixOf(el.name);
    el.name = p ? `${p}:${local}` : local;
    const decl = p ? `xmlns:${p}` : 'xmlns';
    const existing = el.attrs.find(([n]) => n === decl);
    if (existing) existing[1] = 'urn:example:other';
    else el.attrs.push([decl, 'urn:example:other']);
    return 'wrongNamespace';
  },
  text: (el, _parent, rnd) => {
    if (!onlyText(el)) return null;
    const value = TEXT_VALUES[Math.floor(rnd() * TEXT_VALUES.length)]!;
    el.children = value === '' ? [] : [{ type: 'text', value }];
    return `text=${JSON.stringify(value.length > 20 ? `${value.slice(0, 8)}…(${value.length})` : value)}`;
  },
  textInElementContent: (el) => {
    if (elementChildren(el).length === 0) return null;
    el.children.unshift({ type: 'text', value: 'junk' });
    return 'textInElementContent';
  },
  empty: (el) => {
    if (el.children.length === 0) return null;
    el.children = [];
    return 'empty';
  },
  attrValue: (el, _parent, rnd) => {
    const attrs = el.attrs.filter(([n]) => !n.startsWith('xmlns'));
    if (attrs.length === 0) return null;
    const a = attrs[Math.floor(rnd() * attrs.length)]!;
    a[1] = ATTR_VALUES[Math.floor(rnd() * ATTR_VALUES.length)]!;
    return `attrValue ${a[0]}=${JSON.stringify(a[1].length > 12 ? `${a[1].slice(0, 6)}…` : a[1])}`;
  },
  attrRemove: (el, _parent, rnd) => {
    const attrs = el.attrs.filter(([n]) => !n.startsWith('xmlns'));
    if (attrs.length === 0) return null;
    const a = attrs[Math.floor(rnd() * attrs.length)]!;
    el.attrs.splice(el.attrs.indexOf(a), 1);
    return `attrRemove ${a[0]}`;
  },
  attrAdd: (el, _parent, rnd) => {
    if (rnd() < 0.5 || el.attrs.some(([n]) => n === 'xmlns:q')) el.attrs.push(['bogus', '1']);
    else el.attrs.push(['xmlns:q', 'urn:example:q'], ['q:bogus', '1']);
    return `attrAdd ${el.attrs[el.attrs.length - 1]![0]}`;
  },
  xsiType: (el, _parent, rnd) => {
    const type = ['xs:string', 'xs:anyType', 'q:nothing'][Math.floor(rnd() * 3)]!;
    if (el.attrs.some(([n]) => n === 'xmlns:xsi' || n === 'xmlns:xs' || n === 'xmlns:q')) return null;
    el.attrs.push(['xmlns:xsi', 'http://www.w3.org/2001/XMLSchema-instance'], ['xmlns:xs', 'http://www.w3.org/2001/XMLSchema'], ['xsi:type', type]);
    if (type.startsWith('q:')) el.attrs.push(['xmlns:q', 'urn:example:q']);
    return `xsiType ${type}`;
  },
};

export const MUTATION_KINDS = Object.keys(KINDS);

/**
 * `count` mutations of `xml`, deterministic for a given seed: element positions and kinds are
 * drawn from the PRNG; inapplicable draws are retried.
 */
export function mutations(xml: string, count: number, seed: number, name: string): Mutation[] {
  const doc = parseTree(xml);
  const size = walk(doc).length;
  const rnd = prng(seed);
  const out: Mutation[] = [];
  const seen = new Set<string>();
  let attempts = 0;
  while (out.length < count && attempts < count * 20) {
    attempts++;
    const index = Math.floor(rnd() * size);
    const kind = MUTATION_KINDS[Math.floor(rnd() * MUTATION_KINDS.length)]!;
    const result = at(doc, index, (el, parent) => KINDS[kind]!(el, parent, rnd));
    if (!result || seen.has(result.xml)) continue;
    seen.add(result.xml);
    out.push({ id: `${name}#${out.length} @${index} ${result.label}`, xml: result.xml });
  }
  return out;
}
