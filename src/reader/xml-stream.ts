/**
 * Bytes → small element trees, streaming: the XML layer of the deposit reader.
 *
 * A deposit is a shallow envelope around a long flat list of objects. This module parses the
 * envelope with the byte-level XML scanner (src/common/xml-scan.ts: namespace-aware, strict
 * XML 1.0, UTF-8 checked on the way) and hands out each piece the reader
 * cares about as a small tree (`XmlNode`) once its end tag has been read: the watermark, the
 * menu, every `<rde:deletes>` entry and every `<rde:contents>` object. Nothing else is kept,
 * so memory is bounded by the largest single object, and that is capped (MAX_NODES,
 * MAX_TEXT) so a hostile file cannot grow it either.
 *
 * Safety: a DOCTYPE is refused outright (no DTD means no entity declarations, so neither
 * XXE nor entity expansion can happen; the scanner itself knows only the five predefined
 * entities and character references). Only UTF-8 is accepted (RFC 8909 §5: deposits are UTF-8), and
 * invalid UTF-8 is an error rather than replacement characters.
 */
import { XmlScanner } from '../common/xml-scan.js';
import { StrongroomError } from '../common/errors.js';
import { NS_RDE } from '../model/namespaces.js';

/** XML whitespace (S: space, tab, CR, LF), by UTF-16 code unit. */
export const isXmlWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d;

/** XML whitespace at either end dropped; the common case (none) tested on the two ends alone. */
export function trimWs(value: string): string {
  const n = value.length;
  if (n === 0) return value;
  if (value.charCodeAt(0) > 32 && value.charCodeAt(n - 1) > 32) return value;
  let s = 0;
  let e = n;
  while (s < e && isXmlWs(value.charCodeAt(s))) s++;
  while (e > s && isXmlWs(value.charCodeAt(e - 1))) e--;
  return value.slice(s, e);
}

/** Only XML whitespace (or nothing). */
export function isBlank(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (!isXmlWs(value.charCodeAt(i))) return false;
  return true;
}

/** One element of a captured subtree. Attributes without a namespace only, by local name. */
export interface XmlNode {
  ns: string;
  local: string;
  /** The name as written (prefix:local), for messages. */
  qname: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /**
   * Concatenated character data directly inside this element (entities resolved). In an
   * element with children, whitespace before the first text that is not whitespace is left out.
   */
  text: string;
  line: number;
  column: number;
  selfClosing: boolean;
}

/** What the envelope walk hands out, in document order. */
export type XmlPiece =
  | { kind: 'root'; node: XmlNode }
  | { kind: 'watermark'; node: XmlNode }
  | { kind: 'menu'; node: XmlNode }
  | { kind: 'delete'; node: XmlNode }
  | { kind: 'content'; node: XmlNode }
  | { kind: 'end' };

/**
 * Shared, frozen stand-ins for "no attributes" and "no children": most elements of a deposit
 * are leaves without attributes, and two fresh objects per element were a good part of the
 * reader's garbage. Replaced by a fresh object/array on first write.
 */
const NO_ATTRS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const NO_CHILDREN: XmlNode[] = Object.freeze([]) as unknown as XmlNode[];

/** Elements per captured object: far above any real object (a domain has a few dozen). */
export const MAX_NODES = 100_000;
/** Characters of text in one element: far above any real value (a DNSSEC key is a few KB). */
export const MAX_TEXT = 1024 * 1024;

export function xmlError(message: string, file: string | undefined, line: number, column: number, data: Record<string, unknown> = {}): StrongroomError {
  const where = `${file ? `${file}:` : ''}${line}:${column}`;
  return new StrongroomError('READER_INVALID_XML', `${message} (line ${line}, column ${column})`, { location: where, data: { line, column, ...data } });
}

/**
 * Streams pieces from `input` (bytes or strings). Each chunk is parsed synchronously and the
 * pieces it completed are yielded before the next chunk is read, so at most one chunk's worth
 * of pieces is queued.
 */
export async function* xmlPieces(input: AsyncIterable<Buffer | string | Uint8Array>, file?: string): AsyncGenerator<XmlPiece> {
  const queue: XmlPiece[] = [];
  let failure: StrongroomError | null = null;

  // Depth 0 = outside the root; frames track the envelope path.
  const path: string[] = [];
  /** The capture in progress: its stack of open nodes (root first). */
  let capture: { kind: XmlPiece['kind']; stack: XmlNode[]; nodes: number } | null = null;
  let rootSeen = false;

  const fail = (message: string, line: number, column: number, data?: Record<string, unknown>) => {
    if (!failure) failure = xmlError(message, file, line, column, data);
  };
  const addText = (s: XmlScanner) => {
    const node = capture!.stack[capture!.stack.length - 1]!;
    // Whitespace between child elements (indentation) is not kept: an element with children has
    // no value, only text that is not whitespace matters there (an error). Text before the first
    // child is dropped when that child opens if it is only whitespace.
    if (node.children.length > 0 && node.text === '' && s.textIsWhitespace) return;
    const text = s.text();
    if (node.text.length + text.length > MAX_TEXT) return fail(`<${node.qname}> holds more than ${MAX_TEXT} characters of text`, node.line, node.column);
    node.text += text;
  };

  const scanner = new XmlScanner({
    error(err) {
      if (failure) return;
      if (err.kind === 'doctype') {
        fail('the deposit has a DOCTYPE declaration: refused (DTDs and entity declarations are not allowed in a deposit; they enable XXE and entity expansion attacks)', err.line, err.column);
      } else if (err.kind === 'utf8') {
        const where = `${file ? `${file}:` : ''}byte ${err.offset}`;
        failure = new StrongroomError('READER_INVALID_XML', `the deposit is not valid UTF-8 (in the bytes after offset ${err.offset}): ${err.message}`, { location: where, data: { offset: err.offset } });
      } else fail(`not well-formed XML: ${err.message}`, err.line, err.column);
    },
    xmlDecl(_version, encoding, _standalone, s) {
      if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
        fail(`the deposit declares encoding "${encoding}"; deposits must be UTF-8 (RFC 8909 §5)`, s.line, s.column);
      }
    },
    open(s) {
      if (failure) return;
      const node: XmlNode = {
        ns: s.ns,
        local: s.local,
        qname: s.qname,
        attrs: NO_ATTRS,
        children: NO_CHILDREN,
        text: '',
        line: s.line,
        column: s.column,
        selfClosing: s.selfClosing,
      };
      for (let i = 0; i < s.attrCount; i++) {
        if (s.attrNs[i] !== '') continue;
        if (node.attrs === NO_ATTRS) node.attrs = {};
        node.attrs[s.attrLocal[i]!] = s.attrValue[i]!;
      }
      if (capture) {
        if (++capture.nodes > MAX_NODES) return fail(`an object has more than ${MAX_NODES} elements`, node.line, node.column);
        const parent = capture.stack[capture.stack.length - 1]!;
        if (parent.children === NO_CHILDREN) {
          parent.children = [];
          if (parent.text !== '' && isBlank(parent.text)) parent.text = '';
        }
        parent.children.push(node);
        capture.stack.push(node);
        return;
      }
      const depth = path.length;
      if (depth === 0) {
        if (rootSeen) return fail('a second root element', node.line, node.column);
        rootSeen = true;
        if (node.ns !== NS_RDE || node.local !== 'deposit') {
          return fail(`the root element is <${node.qname}> (namespace "${node.ns}"), not an RFC 8909 <deposit> in ${NS_RDE}`, node.line, node.column);
        }
        queue.push({ kind: 'root', node });
        path.push('deposit');
        return;
      }
      if (depth === 1) {
        if (node.ns === NS_RDE && (node.local === 'watermark' || node.local === 'rdeMenu')) {
          capture = { kind: node.local === 'watermark' ? 'watermark' : 'menu', stack: [node], nodes: 1 };
          return;
        }
        if (node.ns === NS_RDE && (node.local === 'deletes' || node.local === 'contents')) {
          path.push(node.local);
          return;
        }
        return fail(`unexpected element <${node.qname}> in <rde:deposit> (expected watermark, rdeMenu, deletes or contents)`, node.line, node.column);
      }
      // depth 2: an object in contents or a delete entry in deletes
      capture = { kind: path[1] === 'contents' ? 'content' : 'delete', stack: [node], nodes: 1 };
    },
    text(s) {
      if (failure) return;
      if (capture) addText(s);
      else if (path.length > 0 && !s.textIsWhitespace) {
        const text = s.text().trim();
        if (text !== '') fail(`unexpected text "${text.slice(0, 40)}" inside <${path.join('/')}>`, s.line, s.column);
      }
    },
    cdata(s) {
      if (failure) return;
      if (!capture) return fail('unexpected CDATA outside an object', s.line, s.column);
      addText(s);
    },
    close() {
      if (failure) return;
      if (capture) {
        const node = capture.stack.pop()!;
        if (capture.stack.length === 0) {
          queue.push({ kind: capture.kind, node } as XmlPiece);
          capture = null;
        }
        return;
      }
      path.pop();
    },
  });

  for await (const chunk of input) {
    scanner.write(chunk);
    if (failure) throw failure;
    while (queue.length > 0) yield queue.shift()!;
  }
  scanner.end();
  if (failure) throw failure;
  if (!rootSeen) throw xmlError('the input has no root element (empty or not XML)', file, 1, 1);
  while (queue.length > 0) yield queue.shift()!;
  yield { kind: 'end' };
}
