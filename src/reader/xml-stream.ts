/**
 * Bytes → small element trees, streaming: the XML layer of the deposit reader.
 *
 * A deposit is a shallow envelope around a long flat list of objects. This module parses the
 * envelope with saxes (namespace-aware, strict XML 1.0) and hands out each piece the reader
 * cares about as a small tree (`XmlNode`) once its end tag has been read: the watermark, the
 * menu, every `<rde:deletes>` entry and every `<rde:contents>` object. Nothing else is kept,
 * so memory is bounded by the largest single object, and that is capped (MAX_NODES,
 * MAX_TEXT) so a hostile file cannot grow it either.
 *
 * Safety: a DOCTYPE is refused outright (no DTD means no entity declarations, so neither
 * XXE nor entity expansion can happen; saxes itself knows only the five predefined entities
 * and character references). Only UTF-8 is accepted (RFC 8909 §5: deposits are UTF-8), and
 * invalid UTF-8 is an error rather than replacement characters.
 */
import type { SaxesTagNS } from 'saxes';
import { FastSaxesParser } from '../common/saxes.js';
import { StrongroomError } from '../common/errors.js';
import { NS_RDE } from '../model/namespaces.js';

/** One element of a captured subtree. Attributes without a namespace only, by local name. */
export interface XmlNode {
  ns: string;
  local: string;
  /** The name as written (prefix:local), for messages. */
  qname: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  /** Concatenated character data directly inside this element (entities resolved). */
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
  // Eight handlers: a parser with its handler slots declared up front keeps V8's fast shape.
  const parser = new FastSaxesParser(file ? { fileName: file } : {});
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const queue: XmlPiece[] = [];
  let failure: StrongroomError | null = null;

  // Depth 0 = outside the root; frames track the envelope path.
  const path: string[] = [];
  /** The capture in progress: its stack of open nodes (root first). */
  let capture: { kind: XmlPiece['kind']; stack: XmlNode[]; nodes: number } | null = null;
  let rootSeen = false;
  let startLine = 1;
  let startColumn = 1;

  const fail = (message: string, line = parser.line, column = parser.column + 1, data?: Record<string, unknown>) => {
    if (!failure) failure = xmlError(message, file, line, column, data);
  };

  parser.on('error', (err) => {
    // saxes messages start with "file:line:column: "; our location says it already.
    fail(`not well-formed XML: ${err.message.replace(/^[^:]*:\d+:\d+: /, '')}`);
  });
  parser.on('doctype', () => {
    fail('the deposit has a DOCTYPE declaration: refused (DTDs and entity declarations are not allowed in a deposit; they enable XXE and entity expansion attacks)');
  });
  parser.on('xmldecl', (decl) => {
    if (decl.encoding !== undefined && !/^utf-?8$/i.test(decl.encoding)) {
      fail(`the deposit declares encoding "${decl.encoding}"; deposits must be UTF-8 (RFC 8909 §5)`);
    }
  });
  parser.on('opentagstart', () => {
    startLine = parser.line;
    startColumn = parser.column;
  });
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (failure) return;
    const node: XmlNode = {
      ns: tag.uri,
      local: tag.local,
      qname: tag.name,
      attrs: NO_ATTRS,
      children: NO_CHILDREN,
      text: '',
      line: startLine,
      // opentagstart fires after the character that ends the name: step back to the "<".
      column: Math.max(1, startColumn - tag.name.length - 1),
      selfClosing: tag.isSelfClosing,
    };
    for (const name in tag.attributes) {
      const attr = tag.attributes[name]!;
      if (attr.uri !== '') continue;
      if (node.attrs === NO_ATTRS) node.attrs = {};
      node.attrs[attr.local] = attr.value;
    }
    if (capture) {
      if (++capture.nodes > MAX_NODES) return fail(`an object has more than ${MAX_NODES} elements`, node.line, node.column);
      const parent = capture.stack[capture.stack.length - 1]!;
      if (parent.children === NO_CHILDREN) parent.children = [];
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
  });
  parser.on('text', (text) => {
    if (failure) return;
    if (capture) {
      const node = capture.stack[capture.stack.length - 1]!;
      if (node.text.length + text.length > MAX_TEXT) return fail(`<${node.qname}> holds more than ${MAX_TEXT} characters of text`, node.line, node.column);
      node.text += text;
    } else if (path.length > 0 && text.trim() !== '') {
      fail(`unexpected text "${text.trim().slice(0, 40)}" inside <${path.join('/')}>`);
    }
  });
  parser.on('cdata', (text) => {
    if (failure) return;
    if (!capture) return fail('unexpected CDATA outside an object');
    const node = capture.stack[capture.stack.length - 1]!;
    if (node.text.length + text.length > MAX_TEXT) return fail(`<${node.qname}> holds more than ${MAX_TEXT} characters of text`, node.line, node.column);
    node.text += text;
  });
  parser.on('closetag', () => {
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
  });

  let offset = 0;
  const write = (text: string) => {
    if (text !== '') parser.write(text);
    if (failure) throw failure;
  };
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let text: string;
    try {
      text = decoder.decode(bytes, { stream: true });
    } catch {
      throw new StrongroomError('READER_INVALID_XML', `the deposit is not valid UTF-8 (in the bytes after offset ${offset})`, { location: `${file ? `${file}:` : ''}byte ${offset}`, data: { offset } });
    }
    offset += bytes.length;
    write(text);
    while (queue.length > 0) yield queue.shift()!;
  }
  try {
    write(decoder.decode());
  } catch (err) {
    if (err instanceof StrongroomError) throw err;
    throw new StrongroomError('READER_INVALID_XML', 'the deposit ends inside a UTF-8 character', { location: `${file ? `${file}:` : ''}byte ${offset}` });
  }
  parser.close();
  if (failure) throw failure;
  if (!rootSeen) throw xmlError('the input has no root element (empty or not XML)', file, parser.line, parser.column + 1);
  while (queue.length > 0) yield queue.shift()!;
  yield { kind: 'end' };
}
