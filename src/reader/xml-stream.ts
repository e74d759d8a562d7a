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
import { XmlScanner, type XName } from '../common/xml-scan.js';
import { StrongroomError } from '../common/errors.js';
import { NS_RDE } from '../model/namespaces.js';
import type { RdeObject } from '../model/objects.js';

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
  /** An `<rde:contents>` object the lean converter (XmlPieceOptions.lean) typed straight from its events. */
  | { kind: 'object'; object: RdeObject; line: number; column: number }
  | { kind: 'end' };

/** What the element-tree code reads of a scanner event (the scanner itself, or a replayed ObjectLog entry). */
type ScanEvent = Pick<XmlScanner, 'ns' | 'local' | 'qname' | 'line' | 'column' | 'selfClosing' | 'attrCount' | 'attrNs' | 'attrLocal' | 'attrValue' | 'textIsWhitespace' | 'text'>;

const LOG_OPEN = 0;
const LOG_TEXT = 1;
const LOG_CDATA = 2;
const LOG_CLOSE = 3;

/**
 * The scanner events of one `<rde:contents>` object, flat (the arrays are reused from object to
 * object): what a lean converter reads instead of an element tree, and what is replayed into the
 * element tree, through the very code that builds it from the scanner, when the converter declines.
 * Attributes are those without a namespace (the only ones the tree keeps).
 */
export class ObjectLog {
  /** Entries. */
  n = 0;
  readonly type: number[] = [];
  /** The element's interned expanded name (open and close entries). */
  readonly xname: XName[] = [];
  readonly qname: string[] = [];
  readonly line: number[] = [];
  readonly column: number[] = [];
  readonly selfClosing: boolean[] = [];
  /** Open entries: their attributes are aLocal/aValue[attrFrom, attrTo). */
  readonly attrFrom: number[] = [];
  readonly attrTo: number[] = [];
  /** Text and CDATA entries: the characters, and whether they are XML whitespace only (no references; CDATA never). */
  readonly text: string[] = [];
  readonly ws: boolean[] = [];
  readonly aLocal: string[] = [];
  readonly aValue: string[] = [];
  aN = 0;
  /** Characters of text logged (bounded: past LOG_MAX_TEXT the object is built as a tree). */
  textChars = 0;
  /** Open elements (0 once the object's end tag is logged). */
  depth = 0;

  reset(): void {
    this.n = 0;
    this.aN = 0;
    this.textChars = 0;
    this.depth = 0;
  }

  open(s: XmlScanner): void {
    const i = this.n++;
    this.type[i] = LOG_OPEN;
    this.xname[i] = s.xname;
    this.qname[i] = s.qname;
    this.line[i] = s.line;
    this.column[i] = s.column;
    this.selfClosing[i] = s.selfClosing;
    this.attrFrom[i] = this.aN;
    for (let a = 0; a < s.attrCount; a++) {
      if (s.attrNs[a] !== '') continue;
      this.aLocal[this.aN] = s.attrLocal[a]!;
      this.aValue[this.aN++] = s.attrValue[a]!;
    }
    this.attrTo[i] = this.aN;
    this.text[i] = '';
    this.depth++;
  }

  chars(s: XmlScanner, cdata: boolean): void {
    const i = this.n++;
    this.type[i] = cdata ? LOG_CDATA : LOG_TEXT;
    const text = s.text();
    this.text[i] = text;
    this.ws[i] = !cdata && s.textIsWhitespace;
    this.textChars += text.length;
  }

  close(): void {
    const i = this.n++;
    this.type[i] = LOG_CLOSE;
    this.depth--;
  }

  /** The attribute `local` (no namespace) of the open entry `i`, as written. */
  attr(i: number, local: string): string | undefined {
    for (let a = this.attrFrom[i]!, end = this.attrTo[i]!; a < end; a++) if (this.aLocal[a] === local) return this.aValue[a];
    return undefined;
  }

  isOpen(i: number): boolean {
    return this.type[i] === LOG_OPEN;
  }

  isClose(i: number): boolean {
    return this.type[i] === LOG_CLOSE;
  }

  /** Entry `i` is text or CDATA. */
  isChars(i: number): boolean {
    const t = this.type[i];
    return t === LOG_TEXT || t === LOG_CDATA;
  }
}

/** A logged entry seen as a scanner event (for the replay into the element tree). */
class LogEvent implements ScanEvent {
  i = 0;
  attrCount = 0;
  readonly attrNs: string[] = [];
  readonly attrLocal: string[] = [];
  readonly attrValue: string[] = [];
  constructor(private readonly log: ObjectLog) {}
  at(i: number): this {
    this.i = i;
    const log = this.log;
    if (log.type[i] === LOG_OPEN) {
      const from = log.attrFrom[i]!;
      this.attrCount = log.attrTo[i]! - from;
      for (let a = 0; a < this.attrCount; a++) {
        this.attrNs[a] = '';
        this.attrLocal[a] = log.aLocal[from + a]!;
        this.attrValue[a] = log.aValue[from + a]!;
      }
    }
    return this;
  }
  get ns(): string {
    return this.log.xname[this.i]!.ns;
  }
  get local(): string {
    return this.log.xname[this.i]!.local;
  }
  get qname(): string {
    return this.log.qname[this.i]!;
  }
  get line(): number {
    return this.log.line[this.i]!;
  }
  get column(): number {
    return this.log.column[this.i]!;
  }
  get selfClosing(): boolean {
    return this.log.selfClosing[this.i]!;
  }
  get textIsWhitespace(): boolean {
    return this.log.ws[this.i]!;
  }
  text(): string {
    return this.log.text[this.i]!;
  }
}

/** Input bytes scanned per batch at most. */
const BATCH_BYTES = 64 * 1024;

/** Log entries / characters of one object past which it is built as a tree as it is read (bounded memory: the tree's own caps apply). Exported for the tests. */
export const LOG_MAX_ENTRIES = 4096;
export const LOG_MAX_TEXT = 256 * 1024;

export interface XmlPieceOptions {
  /**
   * A converter of an `<rde:contents>` object's events straight to its typed object, or null
   * when it declines (the object is then built as an element tree and handed out as usual).
   * It must give exactly what readObject() gives for the tree of the same events.
   */
  lean?: (log: ObjectLog) => RdeObject | null;
}

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
 * Streams pieces from `input` (bytes or strings), a batch at a time: each slice of the input is
 * parsed synchronously and the pieces it completed are yielded as one array before the next
 * slice is read, so at most one slice's worth of pieces is queued.
 */
export async function* xmlPieceBatches(input: AsyncIterable<Buffer | string | Uint8Array>, file?: string, options: XmlPieceOptions = {}): AsyncGenerator<XmlPiece[]> {
  let queue: XmlPiece[] = [];
  let failure: StrongroomError | null = null;

  // Depth 0 = outside the root; frames track the envelope path.
  const path: string[] = [];
  /** The capture in progress: its stack of open nodes (root first). */
  let capture: { kind: XmlPiece['kind']; stack: XmlNode[]; nodes: number } | null = null;
  let rootSeen = false;
  const lean = options.lean;
  /** The object being logged for the lean converter (`logging`). */
  const log = new ObjectLog();
  const logEvent = new LogEvent(log);
  let logging = false;

  const fail = (message: string, line: number, column: number, data?: Record<string, unknown>) => {
    if (!failure) failure = xmlError(message, file, line, column, data);
  };
  const addText = (s: ScanEvent) => {
    const node = capture!.stack[capture!.stack.length - 1]!;
    // Whitespace between child elements (indentation) is not kept: an element with children has
    // no value, only text that is not whitespace matters there (an error). Text before the first
    // child is dropped when that child opens if it is only whitespace.
    if (node.children.length > 0 && node.text === '' && s.textIsWhitespace) return;
    const text = s.text();
    if (node.text.length + text.length > MAX_TEXT) return fail(`<${node.qname}> holds more than ${MAX_TEXT} characters of text`, node.line, node.column);
    node.text += text;
  };

  const open = (s: ScanEvent): void => {
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
  };
  const text = (s: ScanEvent): void => {
    if (failure) return;
    if (capture) addText(s);
    else if (path.length > 0 && !s.textIsWhitespace) {
      const text = s.text().trim();
      if (text !== '') fail(`unexpected text "${text.slice(0, 40)}" inside <${path.join('/')}>`, s.line, s.column);
    }
  };
  const cdata = (s: ScanEvent): void => {
    if (failure) return;
    if (!capture) return fail('unexpected CDATA outside an object', s.line, s.column);
    addText(s);
  };
  const close = (): void => {
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
  };
  /** The logged events into the element tree, as if they had come from the scanner (the lean converter declined, or the object is too large to log). */
  const replay = (): void => {
    logging = false;
    for (let i = 0; i < log.n; i++) {
      const event = logEvent.at(i);
      if (log.isOpen(i)) open(event);
      else if (log.isClose(i)) close();
      else if (log.type[i] === LOG_CDATA) cdata(event);
      else text(event);
    }
  };
  /** An object's start tag in `<rde:contents>`, with a lean converter: its events go to the log (a replay calls open() directly, never this). */
  const startsLog = (): boolean => lean !== undefined && capture === null && path.length === 2 && path[1] === 'contents' && !failure;
  const tooLarge = (): boolean => log.n > LOG_MAX_ENTRIES || log.textChars > LOG_MAX_TEXT;

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
      if (logging) {
        if (failure) return;
        log.open(s);
        if (tooLarge()) replay();
        return;
      }
      if (startsLog()) {
        logging = true;
        log.reset();
        log.open(s);
        return;
      }
      open(s);
    },
    text(s) {
      if (!logging) return text(s);
      if (failure) return;
      log.chars(s, false);
      if (tooLarge()) replay();
    },
    cdata(s) {
      if (!logging) return cdata(s);
      if (failure) return;
      log.chars(s, true);
      if (tooLarge()) replay();
    },
    close() {
      if (!logging) return close();
      if (failure) return;
      log.close();
      if (log.depth > 0) return;
      const object = lean!(log);
      if (object === null) return replay();
      logging = false;
      queue.push({ kind: 'object', object, line: log.line[0]!, column: log.column[0]! });
    },
  });

  for await (const chunk of input) {
    // Large chunks (the decoder's are 1 MiB) are scanned a slice at a time, so that a batch's
    // objects are consumed before many more are made: they then die young.
    for (let at = 0; at < chunk.length; at += BATCH_BYTES) {
      scanner.write(typeof chunk === 'string' || chunk.length <= BATCH_BYTES ? chunk : chunk.subarray(at, at + BATCH_BYTES));
      if (failure) throw failure;
      if (queue.length > 0) {
        const batch = queue;
        queue = [];
        yield batch;
      }
      if (typeof chunk === 'string') break;
    }
  }
  scanner.end();
  if (failure) throw failure;
  if (!rootSeen) throw xmlError('the input has no root element (empty or not XML)', file, 1, 1);
  queue.push({ kind: 'end' });
  yield queue;
}
