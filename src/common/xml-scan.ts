/**
 * A streaming, namespace-aware XML 1.0 tokenizer over UTF-8 bytes: the low-level layer of
 * every deposit reader (src/reader, src/agent). It replaces saxes on the hot paths; saxes stays
 * the oracle of its differential tests (xml-scan.test.ts).
 *
 * It is a complete well-formedness checker for what a deposit can contain (XML 1.0 Fifth
 * Edition + Namespaces in XML 1.0 Third Edition): the XML declaration, elements and end-tag
 * matching, attributes (quoting, whitespace, uniqueness by qualified and by expanded name, no
 * `<` in values, attribute-value normalization), namespace rules (prefix binding, undeclared
 * prefixes, the xml/xmlns prefixes and names), character references and the five predefined
 * entities (anything else is an error: there is no DTD), CDATA sections, comments, processing
 * instructions, a single root element, XML Char and UTF-8 validity. A DOCTYPE is reported as
 * an error of kind 'doctype' (the consumers refuse DTDs: no entity expansion, no XXE) and
 * skipped, so later problems are still found.
 *
 * Speed comes from working on bytes, never on a decoded copy of the whole input: markup is
 * found with byte comparisons, names are hashed on the fly and interned (an element name is a
 * shared object, so consumers compare by identity), text is decoded only when a consumer asks
 * (`text()`), attribute data lives in reused arrays (no objects per event) and chunk
 * boundaries are bridged by copying only the unfinished token, never the whole buffer.
 *
 * Events go to a handler; the scanner itself carries the event's data, valid only during the
 * call:
 *
 *     const scanner = new XmlScanner({ open(s) { s.xname, s.attrCount, s.attrValue[0], s.line }, close(s) {}, text(s) { s.text() } });
 *     for await (const chunk of input) scanner.write(chunk);
 *     scanner.end();
 *
 * Errors go to `handler.error` with a line and column (1-based, counted in characters).
 * Fatal errors stop the scan (`scanner.stopped`); recoverable ones (a DOCTYPE, an undefined
 * entity, a duplicate attribute, an undeclared prefix, non-whitespace text outside the root)
 * let it go on, as saxes did, so a consumer can report several.
 */
import { isUtf8 } from 'node:buffer';

/** Namespaces in XML 1.0 §3: the two reserved namespace names. */
export const XML_NS = 'http://www.w3.org/XML/1998/namespace';
export const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** An expanded name (namespace URI + local name), interned: equal names are the same object. */
export interface XName {
  readonly ns: string;
  readonly local: string;
  /** `{ns}local`, the key the schema model uses. */
  readonly key: string;
  /** Small integer, unique per expanded name within a process. */
  readonly id: number;
}

export type XmlErrorKind = 'syntax' | 'doctype' | 'entity' | 'utf8' | 'char' | 'namespace' | 'attribute' | 'structure' | 'eof';

export interface XmlScanError {
  kind: XmlErrorKind;
  message: string;
  line: number;
  column: number;
  /** Byte offset in the whole input. */
  offset: number;
  /** The scan stopped here. */
  fatal: boolean;
}

export interface XmlScanHandler {
  /** `<?xml version=... encoding=... standalone=...?>` at the start of the document. */
  xmlDecl?(version: string, encoding: string | undefined, standalone: string | undefined, scanner: XmlScanner): void;
  /** Start tag (also for `<x/>`, followed by `close`). */
  open?(scanner: XmlScanner): void;
  /** End tag: the scanner's element fields describe the element being closed. */
  close?(scanner: XmlScanner): void;
  /** Character data inside the root element (a run may arrive in several pieces). */
  text?(scanner: XmlScanner): void;
  /** A CDATA section's content (`scanner.text()`). */
  cdata?(scanner: XmlScanner): void;
  error?(error: XmlScanError, scanner: XmlScanner): void;
}

/** A raw (prefixed) name as written, interned by its bytes. */
interface RawName {
  bytes: Uint8Array;
  qname: string;
  prefix: string;
  local: string;
  hash: number;
  /** Whether the name is a valid QName (Namespaces §3); checked when interned. */
  error: string | null;
  /** Namespace resolution cache, valid while `ver` equals the scanner's scope version. */
  ver: number;
  xname: XName | null;
  /** Any byte ≥ 0x80 in the name (columns are then counted in characters). */
  high: boolean;
  /** Learned structure: the next sibling and the first child seen last time (start tags are checked against them first). */
  succ: RawName | null;
  first: RawName | null;
}

// ---- byte classes -----------------------------------------------------------------------

/** Name bytes: 1 = may start a name, 2 = may continue one; non-ASCII bytes are checked when interned. */
const NAME = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  const start = (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x3a || b >= 0x80;
  const more = start || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e;
  NAME[b] = (start ? 1 : 0) | (more ? 2 : 0);
}

/** Text bytes: 0 ordinary, 1 whitespace, else special. */
const T_ORD = 0;
const T_WS = 1;
const T_LT = 2;
const T_AMP = 3;
const T_RSQB = 4;
const T_CR = 5;
const T_HI = 6;
const T_BAD = 7;
const T_LF = 8;
const TEXT = new Uint8Array(256);
for (let b = 0; b < 256; b++) {
  if (b === 0x20 || b === 0x09) TEXT[b] = T_WS;
  else if (b === 0x0a) TEXT[b] = T_LF;
  else if (b === 0x0d) TEXT[b] = T_CR;
  else if (b < 0x20) TEXT[b] = T_BAD; // XML 1.0 §2.2 Char: no C0 controls but tab, LF, CR
  else if (b === 0x3c) TEXT[b] = T_LT;
  else if (b === 0x26) TEXT[b] = T_AMP;
  else if (b === 0x5d) TEXT[b] = T_RSQB;
  else if (b >= 0x80) TEXT[b] = T_HI;
}

const isWs = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;

/** XML 1.0 Fifth Edition §2.3 NameStartChar / NameChar, without ':' (NCName, Namespaces §3). */
const NC_START = 'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NC_MORE = `${NC_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NAME_RE = new RegExp(`^[:${NC_START}][:${NC_MORE}]*$`, 'u');

/** XML 1.0 §2.2 Char, for character references. */
function isXmlChar(c: number): boolean {
  return c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || (c >= 0x10000 && c <= 0x10ffff);
}

/** Bytes of a UTF-8 sequence by its lead byte (0: not a lead byte). */
function seqLength(b: number): number {
  return b < 0x80 ? 1 : b < 0xc2 ? 0 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 0;
}

type Slicer = (this: Buffer, start: number, end: number) => string;
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: Slicer }).latin1Slice;
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice: Slicer }).utf8Slice;

// ---- interning --------------------------------------------------------------------------

const xnames = new Map<string, Map<string, XName>>();
let xnameCount = 0;
/**
 * The interned expanded name for (ns, local). The table is process-wide and bounded
 * (MAX_INTERNED): past it (only a hostile input gets there) names are fresh objects, so
 * compare `ns` and `local` where identity is not guaranteed.
 */
export function xname(ns: string, local: string): XName {
  const byLocal = xnames.get(ns);
  const x = byLocal?.get(local);
  if (x) return x;
  const made: XName = Object.freeze({ ns, local, key: `{${ns}}${local}`, id: ++xnameCount });
  if (xnameCount < MAX_INTERNED) {
    if (byLocal) byLocal.set(local, made);
    else xnames.set(ns, new Map([[local, made]]));
  }
  return made;
}

/** Names interned per table (and expanded names per process); past this, names are not cached (hostile input). */
const MAX_INTERNED = 1 << 16;
/** Longest unfinished token carried across chunks (a tag, comment, PI or CDATA section). */
export const MAX_TOKEN_BYTES = 64 << 20;

class NameTable {
  private slots: Array<RawName | undefined> = new Array(1024);
  private mask = 1023;
  private count = 0;

  lookup(buf: Buffer, start: number, end: number, hash: number): RawName {
    const len = end - start;
    let i = hash & this.mask;
    for (;;) {
      const e = this.slots[i];
      if (e === undefined) break;
      if (e.hash === hash && e.bytes.length === len) {
        const b = e.bytes;
        let k = 0;
        while (k < len && b[k] === buf[start + k]) k++;
        if (k === len) return e;
      }
      i = (i + 1) & this.mask;
    }
    const entry = makeName(buf, start, end, hash);
    if (this.count < MAX_INTERNED) {
      this.slots[i] = entry;
      if (++this.count * 2 > this.mask) this.grow();
    }
    return entry;
  }

  private grow(): void {
    const old = this.slots;
    this.mask = this.mask * 2 + 1;
    this.slots = new Array(this.mask + 1);
    for (const e of old) {
      if (!e) continue;
      let i = e.hash & this.mask;
      while (this.slots[i] !== undefined) i = (i + 1) & this.mask;
      this.slots[i] = e;
    }
  }
}

function makeName(buf: Buffer, start: number, end: number, hash: number): RawName {
  let ascii = true;
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) ascii = false;
  const qname = ascii ? latin1Slice.call(buf, start, end) : utf8Slice.call(buf, start, end);
  let error: string | null = null;
  const first = buf[start]!;
  if (ascii ? (NAME[first]! & 1) === 0 : !NAME_RE.test(qname)) error = `"${qname}" is not a valid name`;
  const colon = qname.indexOf(':');
  let prefix = '';
  let local = qname;
  if (colon >= 0) {
    if (colon === 0 || colon === qname.length - 1 || qname.indexOf(':', colon + 1) >= 0) error ??= `"${qname}" is not a valid qualified name (Namespaces in XML §3)`;
    else {
      prefix = qname.slice(0, colon);
      local = qname.slice(colon + 1);
    }
  }
  return { bytes: Uint8Array.prototype.slice.call(buf, start, end), qname, prefix, local, hash, error, ver: -1, xname: null, high: !ascii, succ: null, first: null };
}

// ---- the scanner ------------------------------------------------------------------------

const EMPTY = Buffer.alloc(0);
/** Placeholder before the first element. */
const NO_NAME: RawName = { bytes: new Uint8Array(0), qname: '', prefix: '', local: '', hash: 0, error: null, ver: -1, xname: null, high: false, succ: null, first: null };
const INCOMPLETE = -1;
const STOP = -2;

const enum Place {
  /** Before the root element (XML declaration possible only at offset 0). */
  Prolog,
  Root,
  /** After the root element. */
  Epilog,
}

export class XmlScanner {
  // ---- the current event --------------------------------------------------------------
  /** The element opened or closed: interned expanded name (name as written, prefix, local name, namespace: getters below). */
  xname: XName = xname('', '');
  /** The current element's raw name (qname, prefix, local are read from it: one store per event instead of four). */
  private cur: RawName = NO_NAME;
  /** `<x/>`: `close` follows at once. */
  selfClosing = false;
  /** Open elements, including the one being opened (in `open`) or closed (in `close`). */
  depth = 0;
  /** Attributes of the start tag (namespace declarations included), in document order. */
  attrCount = 0;
  readonly attrQName: string[] = [];
  readonly attrPrefix: string[] = [];
  readonly attrLocal: string[] = [];
  readonly attrNs: string[] = [];
  readonly attrValue: string[] = [];
  /** Text event: only whitespace (XML S) and no references. */
  textIsWhitespace = false;
  /** The scan stopped at a fatal error. */
  stopped = false;

  private readonly handler: XmlScanHandler;
  private readonly names = new NameTable();

  // element stack
  private readonly stName: RawName[] = [];
  private readonly stX: XName[] = [];
  private readonly stMark: number[] = [];
  // namespace bindings: prefix → uri, innermost last; 'xml' is predeclared (Namespaces §3)
  private readonly bPrefix: string[] = ['xml'];
  private readonly bUri: string[] = [XML_NS];
  private bCount = 1;
  private scopeVer = 0;
  // reused per start tag
  private readonly aRaw: RawName[] = [];

  // input
  private buf: Buffer = Buffer.alloc(0);
  /** Absolute offset of buf[0]. */
  private base = 0;
  /** Bytes received (after a byte order mark). */
  private inputEnd = 0;
  private pending: Buffer | null = null;
  private utf8Carry: Buffer | null = null;
  private bomHead: Buffer | null = null;
  private place = Place.Prolog;
  private bomChecked = false;
  /** Set while decoding already validated bytes: no error is reported twice. */
  private quiet = false;

  // the current text/cdata event
  private tStart = 0;
  private tEnd = 0;
  private tFlags = 0;
  /** Absolute offset of the current event (for line/column). */
  private eventAbs = 0;

  // Line tracking, counted while scanning (absolute offsets): lineStart = offset after the last LF.
  private lineNo = 1;
  private lineStart = 0;
  /** Characters in [lineStart, base) when lineStart < base. */
  private charsBeforeBase = 0;
  /** Line and line start where the current token began, and of the current event. */
  private tokLine = 1;
  private tokLineStart = 0;
  private evLine = 1;
  private evLineStart = 0;
  /** Absolute offset of the last byte ≥ 0x80 seen (column fast path). */
  private lastHigh = -1;
  /** The element last closed at the current depth (null right after a start tag): predicts the next start tag. */
  private prevSibling: RawName | null = null;

  constructor(handler: XmlScanHandler) {
    this.handler = handler;
  }

  // ---- public API -----------------------------------------------------------------------

  /** Feed the next bytes (strings are encoded as UTF-8). */
  write(input: Uint8Array | string): void {
    if (this.stopped) return;
    let chunk = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (chunk.length === 0) return;
    if (!this.bomChecked) {
      // A byte order mark (EF BB BF) is skipped; it may arrive split.
      const head = this.bomHead ? Buffer.concat([this.bomHead, chunk]) : chunk;
      this.bomHead = null;
      if (head.length < 3 && head[0] === 0xef && (head.length < 2 || head[1] === 0xbb)) {
        this.bomHead = Buffer.from(head);
        return;
      }
      this.bomChecked = true;
      chunk = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? head.subarray(3) : head;
    }
    const limit = this.validateUtf8(chunk);
    if (limit < 0) return;
    this.feed(chunk, limit);
  }

  /** No more input: checks the document is complete. */
  end(): void {
    if (this.stopped) return;
    if (!this.bomChecked) {
      this.bomChecked = true;
      const head = this.bomHead;
      this.bomHead = null;
      if (head) {
        const limit = this.validateUtf8(head);
        if (limit < 0) return;
        this.feed(head, limit);
        if (this.stopped) return;
      }
    }
    if (this.utf8Carry) {
      this.fail('utf8', 'the input ends inside a UTF-8 character', this.inputEnd, true);
      return;
    }
    const rest = this.pending;
    this.pending = null;
    if (rest) {
      this.setBuffer(rest, this.inputEnd - rest.length);
      if (this.scan(0, rest.length, true) === STOP || this.stopped) return;
    }
    const at = this.inputEnd;
    if (this.place === Place.Prolog) this.fail('structure', 'the document has no root element', at, true);
    else if (this.place === Place.Root) this.fail('eof', `the document ends inside <${this.stName[this.depth - 1]!.qname}> (unclosed element)`, at, true);
  }

  /** The element's name as written (qualified name). */
  get qname(): string {
    return this.cur.qname;
  }

  /** The element's prefix ('' when none). */
  get prefix(): string {
    return this.cur.prefix;
  }

  /** The element's local name. */
  get local(): string {
    return this.cur.local;
  }

  /** The element's namespace URI ('' when none). */
  get ns(): string {
    return this.xname.ns;
  }

  /** Line (1-based) of the current event. */
  get line(): number {
    return this.evLine;
  }

  /** Column (1-based, in characters) of the current event. */
  get column(): number {
    return this.columnOf(this.eventAbs, this.evLineStart);
  }

  /** Byte offset of the current event in the whole input (after a byte order mark). */
  get offset(): number {
    return this.eventAbs;
  }

  /** The namespace bound to `prefix` ('' = default namespace) in the current scope, if any. */
  resolve(prefix: string): string | undefined {
    for (let i = this.bCount - 1; i >= 0; i--) if (this.bPrefix[i] === prefix) return this.bUri[i];
    return undefined;
  }

  /** The value of the attribute (ns, local) of the current start tag. */
  attr(local: string, ns = ''): string | undefined {
    for (let i = 0; i < this.attrCount; i++) if (this.attrLocal[i] === local && this.attrNs[i] === ns) return this.attrValue[i];
    return undefined;
  }

  /** The current text or CDATA event's characters (references resolved, line ends normalized). */
  text(): string {
    const { buf, tStart: s, tEnd: e, tFlags: f } = this;
    if (f === F_INDENT && e - s <= 64) return INDENTS[e - s - 1]!;
    if ((f & (F_REF | F_CR)) === 0) return f & F_HI ? utf8Slice.call(buf, s, e) : latin1Slice.call(buf, s, e);
    return this.decode(s, e, false);
  }

  /**
   * The current text or CDATA event has no whitespace character (space, tab, LF, CR) and no
   * reference: its text() is left as it is by any XML Schema whiteSpace normalisation.
   */
  get textHasNoSpace(): boolean {
    return (this.tFlags & (F_SPACE | F_CR | F_REF | F_INDENT)) === 0;
  }

  /**
   * The current text or CDATA event has no tab, line feed, CR or reference (spaces may occur):
   * its text() is its bytes, left as it is by the whiteSpace 'replace' normalisation.
   */
  get textPlainSpaces(): boolean {
    return (this.tFlags & (F_TABLF | F_CR | F_REF | F_INDENT)) === 0;
  }

  /** Bytes of the current text or CDATA event (UTF-8). */
  get textBytes(): number {
    return this.tEnd - this.tStart;
  }

  /** The current text or CDATA event is ASCII only (its characters are its bytes). */
  get textAscii(): boolean {
    return (this.tFlags & F_HI) === 0;
  }

  /**
   * An end tag follows the current text event at once in the input ("</" right after it): the
   * event is the last character data of its element. False when that is not known yet (the
   * bytes after it have not arrived) and for CDATA.
   */
  get textEndsElement(): boolean {
    const buf = this.buf;
    const e = this.tEnd;
    return buf[e] === 0x3c && buf[e + 1] === 0x2f;
  }

  /**
   * The bytes of the current text event: `textBuffer[textStart .. textStart + textBytes)`, raw
   * (references and line ends not resolved; read `textHasNoSpace` first). Valid only during the
   * event: the buffer is the caller's chunk or the scanner's own.
   */
  get textBuffer(): Uint8Array {
    return this.buf;
  }

  get textStart(): number {
    return this.tStart;
  }

  // ---- input plumbing -----------------------------------------------------------------

  /**
   * Validates a chunk as UTF-8 (with the sequence split off the previous one); returns the
   * length of the chunk's part made of complete characters, or -1 on invalid bytes.
   */
  private validateUtf8(chunk: Buffer): number {
    let from = 0;
    if (this.utf8Carry) {
      const carry = this.utf8Carry;
      const need = seqLength(carry[0]!) - carry.length;
      if (chunk.length < need) {
        this.utf8Carry = Buffer.concat([carry, chunk]);
        for (const b of chunk) if ((b & 0xc0) !== 0x80) return this.badUtf8();
        return 0;
      }
      if (!isUtf8(Buffer.concat([carry, chunk.subarray(0, need)]))) return this.badUtf8();
      this.utf8Carry = null;
      from = need;
    }
    // A character split at the end: keep its bytes for the next chunk.
    let end = chunk.length;
    let k = end - 1;
    while (k >= from && k > end - 4 && (chunk[k]! & 0xc0) === 0x80) k--;
    if (k >= from && chunk[k]! >= 0xc0) {
      const len = seqLength(chunk[k]!);
      if (len > end - k) end = k;
    }
    if (end > from && !isUtf8(chunk.subarray(from, end))) return this.badUtf8();
    if (end < chunk.length) this.utf8Carry = Buffer.from(chunk.subarray(end));
    return end;
  }

  private badUtf8(): number {
    this.fail('utf8', 'the input is not valid UTF-8 (deposits are UTF-8, RFC 8909 §5)', this.inputEnd, true);
    return -1;
  }

  /**
   * Scans `pending + chunk[0..limit)`; the bytes of a split character past `limit` and any
   * unfinished token become the new pending bytes. Only the unfinished token is copied: it is
   * bridged with the start of the chunk in a small buffer, then the chunk is scanned in place.
   */
  private feed(chunk: Buffer, limit: number): void {
    const chunkAbs = this.inputEnd;
    this.inputEnd += chunk.length;
    let pending = this.pending;
    if (limit === 0) {
      // Only part of a character: nothing to scan yet.
      this.keepPending(pending ? Buffer.concat([pending, chunk]) : chunk, chunkAbs - (pending?.length ?? 0));
      return;
    }
    this.pending = null;
    let pos = 0;
    if (pending) {
      let take = Math.min(limit, 256);
      for (;;) {
        while (take < limit && (chunk[take]! & 0xc0) === 0x80) take++;
        const bridge = Buffer.concat([pending, chunk.subarray(0, take)]);
        const bridgeAbs = chunkAbs - pending.length;
        this.setBuffer(bridge, bridgeAbs);
        const q = this.scan(0, bridge.length, false);
        if (q === STOP || this.stopped) return;
        if (q >= pending.length) {
          pos = q - pending.length;
          break;
        }
        if (take >= limit) {
          this.keepPending(Buffer.concat([bridge.subarray(q), chunk.subarray(limit)]), bridgeAbs + q);
          return;
        }
        pending = bridge.subarray(q, pending.length);
        take = Math.min(limit, Math.max(take * 4, 4096));
      }
    }
    this.setBuffer(chunk, chunkAbs);
    const q = this.scan(pos, limit, false);
    if (q === STOP || this.stopped) return;
    if (q < chunk.length) this.keepPending(chunk.subarray(q), chunkAbs + q);
    else this.setBuffer(EMPTY, this.inputEnd); // do not hold on to the caller's chunk
  }

  private keepPending(bytes: Buffer, abs: number): void {
    if (bytes.length > MAX_TOKEN_BYTES) {
      this.fail('syntax', `markup longer than ${MAX_TOKEN_BYTES} bytes`, abs, true);
      return;
    }
    this.pending = Buffer.from(bytes); // copied: the caller may reuse its chunk's memory
    this.setBuffer(this.pending, abs);
  }

  /** Makes `next` (starting at absolute offset `abs`, within or at the end of the current buffer) the current buffer. */
  private setBuffer(next: Buffer, abs: number): void {
    if (abs > this.base && this.lineStart < abs) {
      const from = Math.max(this.lineStart, this.base) - this.base;
      this.charsBeforeBase = (this.lineStart < this.base ? this.charsBeforeBase : 0) + countChars(this.buf, from, abs - this.base);
    }
    this.buf = next;
    this.base = abs;
  }

  /** Column (1-based, characters) of absolute offset `abs` on the line starting at `lineStart`. */
  private columnOf(abs: number, lineStart: number): number {
    if (this.lastHigh < lineStart && abs >= lineStart) return abs - lineStart + 1; // ASCII line: bytes are characters
    if (abs < this.base) return 1;
    if (lineStart >= this.base) return countChars(this.buf, lineStart - this.base, abs - this.base) + 1;
    return (lineStart === this.lineStart ? this.charsBeforeBase : 0) + countChars(this.buf, 0, abs - this.base) + 1;
  }

  private fail(kind: XmlErrorKind, message: string, abs: number, fatal: boolean): void {
    if (this.stopped || this.quiet) return;
    if (fatal) this.stopped = true;
    let line = this.lineNo;
    let lineStart = this.lineStart;
    if (abs < lineStart) {
      line = this.tokLine;
      lineStart = this.tokLineStart;
    }
    const column = this.columnOf(abs, lineStart);
    this.handler.error?.({ kind, message, line, column, offset: abs, fatal }, this);
  }

  private nl(i: number): void {
    this.lineNo++;
    this.lineStart = this.base + i + 1;
  }

  private countLines(s: number, e: number): void {
    const buf = this.buf;
    for (let i = s; i < e; i++) if (buf[i] === 0x0a) this.nl(i);
  }

  private skipWs(p: number, end: number): number {
    const buf = this.buf;
    for (; p < end; p++) {
      const b = buf[p]!;
      if (b === 0x20) continue;
      if (b === 0x0a) this.nl(p);
      else if (b !== 0x09 && b !== 0x0d) break;
    }
    return p;
  }

  // ---- the tokenizer --------------------------------------------------------------------

  /**
   * Scans buf[pos..end): returns where it stopped (the start of an unfinished token, or end),
   * or STOP after a fatal error.
   */
  private scan(pos: number, end: number, final: boolean): number {
    const buf = this.buf;
    while (pos < end) {
      const line = this.lineNo;
      const lineStart = this.lineStart;
      this.tokLine = line;
      this.tokLineStart = lineStart;
      if (buf[pos] !== 0x3c) {
        const q = this.scanText(pos, end, final);
        if (q === STOP) return STOP;
        if (q === pos) return pos;
        pos = q;
        continue;
      }
      if (pos + 1 >= end) return final ? this.eof(pos) : pos;
      const b = buf[pos + 1]!;
      let q: number;
      if (b === 0x2f) q = this.endTag(pos, end);
      else if (b === 0x3f) q = this.pi(pos, end);
      else if (b === 0x21) q = this.bang(pos, end);
      else q = this.startTag(pos, end);
      if (q === STOP || this.stopped) return STOP;
      if (q === INCOMPLETE) {
        if (final) return this.eof(pos);
        // Lines counted in the unfinished token are counted again when it is rescanned.
        this.lineNo = line;
        this.lineStart = lineStart;
        return pos;
      }
      pos = q;
    }
    return pos;
  }

  private eof(pos: number): number {
    this.fail('eof', 'the document ends inside markup', this.base + pos, true);
    return STOP;
  }

  private scanText(pos: number, end: number, final: boolean): number {
    const buf = this.buf;
    let flags = 0;
    let i = pos;
    if (buf[i] === 0x0a) {
      // Indentation (a line feed and spaces before a tag): the common text of a deposit.
      this.lineNo++;
      this.lineStart = this.base + i + 1;
      i++;
      while (i < end && buf[i] === 0x20) i++;
      if (i < end && buf[i] === 0x3c && this.place === Place.Root) {
        const h = this.handler.text;
        if (h) {
          this.tStart = pos;
          this.tEnd = i;
          this.tFlags = F_INDENT;
          this.textIsWhitespace = true;
          this.eventAbs = this.base + pos;
          this.evLine = this.tokLine;
          this.evLineStart = this.tokLineStart;
          h.call(this.handler, this);
        }
        return i;
      }
      flags = F_SPACE | F_TABLF; // the line feed and spaces passed over
    }
    for (; i < end; i++) {
      let c = TEXT[buf[i]!]!;
      if (c === T_ORD) {
        // A run of ordinary bytes (most of a value): one table read and one bound per byte.
        flags |= F_NONWS;
        do i++;
        while (i < end && (c = TEXT[buf[i]!]!) === T_ORD);
        if (i === end) break;
      }
      if (c === T_WS) {
        flags |= buf[i] === 0x20 ? F_SPACE : F_SPACE | F_TABLF;
        continue;
      }
      if (c === T_LF) {
        flags |= F_SPACE | F_TABLF;
        this.lineNo++;
        this.lineStart = this.base + i + 1;
        continue;
      }
      if (c === T_LT) break;
      if (c === T_HI) {
        flags |= F_HI | F_NONWS;
        this.lastHigh = this.base + i;
        if (buf[i] === 0xef && buf[i + 1] === 0xbf && (buf[i + 2]! & 0xfe) === 0xbe) return this.badChar(i);
        continue;
      }
      if (c === T_CR) {
        flags |= F_CR;
        continue;
      }
      if (c === T_AMP) {
        const r = this.reference(i, end);
        if (r === STOP) return STOP;
        if (r === INCOMPLETE) {
          if (final) return this.eof(i);
          break;
        }
        flags |= F_REF | F_NONWS;
        i = r - 1;
        continue;
      }
      if (c === T_RSQB) {
        flags |= F_NONWS;
        if (buf[i + 1] === 0x5d && buf[i + 2] === 0x3e) {
          this.fail('syntax', '"]]>" is not allowed in character data (XML 1.0 §2.4)', this.base + i, true);
          return STOP;
        }
        continue;
      }
      return this.badChar(i);
    }
    let stop = i;
    if (i === end && !final) {
      // Hold back what the next bytes may change: "]]" (a "]]>"), CR (a CR LF).
      while (stop > pos && stop > i - 2 && (buf[stop - 1] === 0x5d || buf[stop - 1] === 0x0d)) stop--;
    }
    if (stop === pos) return pos;
    if (this.place !== Place.Root) {
      if (flags & F_NONWS) {
        this.fail('structure', this.place === Place.Prolog ? 'text before the root element' : 'text after the root element', this.base + pos, false);
      }
      return stop;
    }
    const h = this.handler.text;
    if (h) {
      this.tStart = pos;
      this.tEnd = stop;
      this.tFlags = flags;
      this.textIsWhitespace = (flags & (F_NONWS | F_REF)) === 0;
      this.eventAbs = this.base + pos;
      this.evLine = this.tokLine;
      this.evLineStart = this.tokLineStart;
      h.call(this.handler, this);
    }
    return stop;
  }

  private badChar(i: number): number {
    const b = this.buf[i]!;
    const code = b < 0x80 ? b : b === 0xef ? 0xfffe + (this.buf[i + 2]! & 1) : -1;
    this.fail('char', `character U+${code.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML (XML 1.0 §2.2)`, this.base + i, true);
    return STOP;
  }

  /**
   * A reference at buf[i] === '&': returns the offset after its ';', INCOMPLETE, or STOP.
   * Leaves the referenced code point in `refCode` (-1 for an undefined entity, reported).
   */
  private refCode = 0;
  private reference(i: number, end: number): number {
    const buf = this.buf;
    let p = i + 1;
    if (p >= end) return INCOMPLETE;
    if (buf[p] === 0x23) {
      p++;
      if (p >= end) return INCOMPLETE;
      let hex = false;
      if (buf[p] === 0x78) {
        hex = true;
        p++;
      }
      const digits = p;
      let code = 0;
      for (; p < end; p++) {
        const d = buf[p]!;
        let v: number;
        if (d >= 0x30 && d <= 0x39) v = d - 0x30;
        else if (hex && d >= 0x61 && d <= 0x66) v = d - 0x57;
        else if (hex && d >= 0x41 && d <= 0x46) v = d - 0x37;
        else break;
        code = code * (hex ? 16 : 10) + v;
        if (code > 0x10ffff) code = 0x110000;
      }
      if (p >= end) return p - i > 16 ? this.badRef(i) : INCOMPLETE;
      if (buf[p] !== 0x3b || p === digits) return this.badRef(i);
      if (!isXmlChar(code)) {
        this.fail('char', `character reference ${latin1Slice.call(buf, i, p + 1)} is not an XML character (XML 1.0 §4.1, §2.2)`, this.base + i, true);
        return STOP;
      }
      this.refCode = code;
      return p + 1;
    }
    const start = p;
    while (p < end && NAME[buf[p]!]! & 2) p++;
    if (p >= end) return p - i > 64 ? this.badRef(i) : INCOMPLETE;
    if (buf[p] !== 0x3b || p === start || (NAME[buf[start]!]! & 1) === 0) return this.badRef(i);
    const len = p - start;
    const c0 = buf[start];
    let code = -1;
    if (len === 2 && buf[start + 1] === 0x74) code = c0 === 0x6c ? 0x3c : c0 === 0x67 ? 0x3e : -1; // lt gt
    else if (len === 3 && c0 === 0x61 && buf[start + 1] === 0x6d && buf[start + 2] === 0x70) code = 0x26; // amp
    else if (len === 4 && c0 === 0x71 && buf[start + 1] === 0x75 && buf[start + 2] === 0x6f && buf[start + 3] === 0x74) code = 0x22; // quot
    else if (len === 4 && c0 === 0x61 && buf[start + 1] === 0x70 && buf[start + 2] === 0x6f && buf[start + 3] === 0x73) code = 0x27; // apos
    if (code < 0) {
      const name = utf8Slice.call(buf, start, p);
      this.fail('entity', `undefined entity &${name}; (no DTD: only the predefined entities and character references, XML 1.0 §4.1, §4.6)`, this.base + i, false);
    }
    this.refCode = code;
    return p + 1;
  }

  private badRef(i: number): number {
    this.fail('syntax', 'a "&" must start a character or entity reference ending in ";" (XML 1.0 §4.1)', this.base + i, true);
    return STOP;
  }

  /** Decodes buf[s..e) resolving references and normalizing line ends (attributes: whitespace too). */
  private decode(s: number, e: number, attribute: boolean): string {
    const buf = this.buf;
    this.quiet = true;
    let out = '';
    let seg = s;
    const flush = (to: number) => {
      if (to > seg) out += utf8Slice.call(buf, seg, to);
    };
    for (let i = s; i < e; i++) {
      const b = buf[i]!;
      if (b === 0x26) {
        flush(i);
        const r = this.reference(i, e);
        if (this.refCode >= 0) out += String.fromCodePoint(this.refCode);
        i = r - 1;
        seg = r;
      } else if (b === 0x0d) {
        flush(i);
        out += attribute ? ' ' : '\n';
        if (buf[i + 1] === 0x0a) i++;
        seg = i + 1;
      } else if (attribute && (b === 0x0a || b === 0x09)) {
        flush(i);
        out += ' ';
        seg = i + 1;
      }
    }
    flush(e);
    this.quiet = false;
    return out;
  }

  /** Scans a name at buf[p]; returns its end (INCOMPLETE at the end of data), hash in `nameHash`. */
  private nameHash = 0;
  private nameEnd(p: number, end: number): number {
    const buf = this.buf;
    let h = 0;
    for (; p < end; p++) {
      const b = buf[p]!;
      if ((NAME[b]! & 2) === 0) {
        this.nameHash = h;
        return p;
      }
      h = (Math.imul(h, 31) + b) | 0;
    }
    return INCOMPLETE;
  }

  private startTag(pos: number, end: number): number {
    const buf = this.buf;
    let p = pos + 1;
    if ((NAME[buf[p]!]! & 1) === 0) return this.syntax(p, `"<" must start a tag (found ${describe(buf[p]!)})`);
    // The name predicted by the structure seen so far, compared in place; else hashed and interned.
    const prev = this.prevSibling;
    const guess = prev !== null ? prev.succ : this.depth > 0 ? this.stName[this.depth - 1]!.first : null;
    let name: RawName | null = null;
    if (guess !== null) {
      const bytes = guess.bytes;
      const len = bytes.length;
      if (p + len < end) {
        let k = 0;
        while (k < len && buf[p + k] === bytes[k]) k++;
        if (k === len && (NAME[buf[p + len]!]! & 2) === 0) {
          name = guess;
          p += len;
        }
      }
    }
    if (name === null) {
      const ne = this.nameEnd(p, end);
      if (ne === INCOMPLETE) return INCOMPLETE;
      name = this.names.lookup(buf, p, ne, this.nameHash);
      p = ne;
    }
    if (name.high) this.lastHigh = this.base + pos + 1;
    let n = 0;
    let selfClosing = false;
    if (p < end && buf[p] === 0x3e) p++; // <name>: no attributes, the common case
    else {
      const r = this.attributes(name, p, end);
      if (r < 0) return r;
      p = r;
      n = this.aN;
      selfClosing = this.aSelfClosing;
    }
    this.eventAbs = this.base + pos;
    this.evLine = this.tokLine;
    this.evLineStart = this.tokLineStart;
    return this.openElement(name, n, selfClosing, p);
  }

  /** Attributes and the end of a start tag from buf[p]; returns the offset after it (counts in aN, aSelfClosing). */
  private aN = 0;
  private aSelfClosing = false;
  private attributes(name: RawName, p: number, end: number): number {
    const buf = this.buf;
    let n = 0;
    let selfClosing = false;
    for (;;) {
      const before = p;
      p = this.skipWs(p, end);
      if (p >= end) return INCOMPLETE;
      const b = buf[p]!;
      if (b === 0x3e) {
        p++;
        break;
      }
      if (b === 0x2f) {
        if (p + 1 >= end) return INCOMPLETE;
        if (buf[p + 1] !== 0x3e) return this.syntax(p + 1, `">" expected after "/" in <${name.qname}>`);
        selfClosing = true;
        p += 2;
        break;
      }
      if (p === before) return this.syntax(p, `whitespace expected before an attribute in <${name.qname}>`);
      if ((NAME[b]! & 1) === 0) return this.syntax(p, `invalid attribute name in <${name.qname}> (found ${describe(b)})`);
      const ae = this.nameEnd(p, end);
      if (ae === INCOMPLETE) return INCOMPLETE;
      const aname = this.names.lookup(buf, p, ae, this.nameHash);
      p = ae;
      p = this.skipWs(p, end);
      if (p >= end) return INCOMPLETE;
      if (buf[p] !== 0x3d) return this.syntax(p, `"=" expected after attribute ${aname.qname} in <${name.qname}>`);
      p++;
      p = this.skipWs(p, end);
      if (p >= end) return INCOMPLETE;
      const quote = buf[p]!;
      if (quote !== 0x22 && quote !== 0x27) return this.syntax(p, `attribute ${aname.qname} in <${name.qname}>: value must be quoted`);
      const vs = p + 1;
      // Most values are short runs of ordinary bytes: find the closing quote in the same pass
      // (no native indexOf call per value); anything else goes the general way below.
      let ve = vs;
      while (ve < end) {
        const v = buf[ve]!;
        if (v === quote || TEXT[v] !== T_ORD) break;
        ve++;
      }
      if (ve >= end) return INCOMPLETE;
      let i = vs;
      if (buf[ve] !== quote) {
        i = ve;
        ve = buf.indexOf(quote, ve);
        if (ve < 0 || ve >= end) return INCOMPLETE;
      }
      // Validate the rest of the value: no '<', references well-formed, XML chars.
      let flags = 0;
      for (; i < ve; i++) {
        const c = TEXT[buf[i]!]!;
        if (c === T_ORD || c === T_RSQB) continue;
        if (c === T_WS) {
          if (buf[i] !== 0x20) flags |= F_CR;
          continue;
        }
        if (c === T_LF) {
          flags |= F_CR;
          this.nl(i);
          continue;
        }
        if (c === T_HI) {
          flags |= F_HI;
          this.lastHigh = this.base + i;
          if (buf[i] === 0xef && buf[i + 1] === 0xbf && (buf[i + 2]! & 0xfe) === 0xbe) return this.badChar(i);
          continue;
        }
        if (c === T_CR) {
          flags |= F_CR;
          continue;
        }
        if (c === T_LT) return this.syntax(i, `"<" is not allowed in an attribute value (attribute ${aname.qname} in <${name.qname}>, XML 1.0 §3.1)`);
        if (c === T_AMP) {
          const r = this.reference(i, ve);
          if (r === STOP) return STOP;
          if (r === INCOMPLETE) return this.badRef(i);
          flags |= F_REF;
          i = r - 1;
          continue;
        }
        return this.badChar(i);
      }
      // References are resolved again when decoding: report undefined ones only once (here).
      this.aRaw[n] = aname;
      this.attrValue[n] = flags === 0 ? latin1Slice.call(buf, vs, ve) : (flags & (F_CR | F_REF)) === 0 ? utf8Slice.call(buf, vs, ve) : this.decode(vs, ve, true);
      n++;
      p = ve + 1;
    }
    this.aN = n;
    this.aSelfClosing = selfClosing;
    return p;
  }

  private syntax(p: number, message: string): number {
    this.fail('syntax', message, this.base + p, true);
    return STOP;
  }

  private openElement(name: RawName, n: number, selfClosing: boolean, after: number): number {
    if (this.place !== Place.Root) {
      if (this.place === Place.Epilog) {
        this.fail('structure', `a second root element <${name.qname}> (a document has exactly one, XML 1.0 §2.1)`, this.eventAbs, true);
        return STOP;
      }
      this.place = Place.Root;
    }
    if (name.error) {
      this.fail('namespace', name.error, this.eventAbs, true);
      return STOP;
    }
    const mark = this.bCount;
    if (n > 0 && !this.declarations(n)) return STOP;
    const x = name.ver === this.scopeVer && name.xname !== null ? name.xname : this.resolveElement(name);
    if (this.stopped) return STOP;
    if (n > 0) this.attributeNames(name, n);
    if (this.stopped) return STOP;
    this.attrCount = n;

    const d = this.depth;
    if (this.prevSibling !== null) this.prevSibling.succ = name;
    else if (d > 0) this.stName[d - 1]!.first = name;
    this.prevSibling = null;
    this.stName[d] = name;
    this.stX[d] = x;
    this.stMark[d] = mark;
    this.depth = d + 1;
    this.cur = name;
    this.xname = x;
    this.selfClosing = selfClosing;
    this.handler.open?.(this);
    if (this.stopped) return STOP;
    if (selfClosing) {
      this.attrCount = 0;
      this.closeElement();
    }
    return after;
  }

  /** Namespace declarations of a start tag (Namespaces §3), before any name is resolved. */
  private declarations(n: number): boolean {
    const mark = this.bCount;
    for (let i = 0; i < n; i++) {
      const a = this.aRaw[i]!;
      if (a.error) {
        this.fail('namespace', a.error, this.eventAbs, true);
        return false;
      }
      if (a.prefix === 'xmlns') this.declare(a.local, this.attrValue[i]!);
      else if (a.qname === 'xmlns') this.declare('', this.attrValue[i]!);
      if (this.stopped) return false;
    }
    if (this.bCount !== mark) this.scopeVer++;
    return true;
  }

  /** The expanded name of an element name in the current scope (cached in the name until the scope changes). */
  private resolveElement(name: RawName): XName {
    if (name.prefix === 'xmlns') this.fail('namespace', `element <${name.qname}>: the prefix xmlns is reserved (Namespaces in XML §3)`, this.eventAbs, true);
    const uri = this.resolve(name.prefix);
    if (uri === undefined && name.prefix !== '') {
      this.fail('namespace', `element <${name.qname}>: the prefix ${name.prefix} is not declared (Namespaces in XML §5)`, this.eventAbs, false);
    }
    const x = xname(uri ?? '', name.local);
    name.ver = this.scopeVer;
    name.xname = x;
    return x;
  }

  /** Attributes: namespaces and uniqueness (XML 1.0 §3.1 WFC Unique Att Spec; Namespaces §6.3). */
  private attributeNames(name: RawName, n: number): void {
    for (let i = 0; i < n; i++) {
      const a = this.aRaw[i]!;
      let ns = '';
      if (a.prefix === 'xmlns' || a.qname === 'xmlns') ns = XMLNS_NS;
      else if (a.prefix !== '') {
        const uri = this.resolve(a.prefix);
        if (uri === undefined || uri === '') this.fail('namespace', `attribute ${a.qname} in <${name.qname}>: the prefix ${a.prefix} is not declared (Namespaces in XML §5)`, this.eventAbs, false);
        ns = uri ?? '';
      }
      this.attrQName[i] = a.qname;
      this.attrPrefix[i] = a.prefix;
      this.attrLocal[i] = a.prefix === '' && a.qname === 'xmlns' ? 'xmlns' : a.local;
      this.attrNs[i] = ns;
      for (let j = 0; j < i; j++) {
        if (this.aRaw[j] === a || this.attrQName[j] === a.qname) {
          this.fail('attribute', `attribute ${a.qname} appears twice in <${name.qname}> (XML 1.0 §3.1)`, this.eventAbs, false);
        } else if (ns !== '' && this.attrNs[j] === ns && this.attrLocal[j] === this.attrLocal[i]) {
          this.fail('attribute', `attributes ${this.attrQName[j]} and ${a.qname} in <${name.qname}> have the same expanded name (Namespaces in XML §6.3)`, this.eventAbs, false);
        }
      }
    }
  }

  private declare(prefix: string, uri: string): void {
    const at = this.eventAbs;
    if (prefix === 'xmlns') return this.fail('namespace', 'the prefix xmlns must not be declared (Namespaces in XML §3)', at, true);
    if (prefix === 'xml' && uri !== XML_NS) return this.fail('namespace', `the prefix xml must be bound to ${XML_NS} (Namespaces in XML §3)`, at, true);
    if (prefix !== 'xml' && uri === XML_NS) return this.fail('namespace', `only the prefix xml may be bound to ${XML_NS} (Namespaces in XML §3)`, at, true);
    if (uri === XMLNS_NS) return this.fail('namespace', `${XMLNS_NS} must not be declared (Namespaces in XML §3)`, at, true);
    if (prefix !== '' && uri === '') return this.fail('namespace', `xmlns:${prefix}="": a prefix cannot be undeclared in XML 1.0 (Namespaces in XML §5)`, at, true);
    this.bPrefix[this.bCount] = prefix;
    this.bUri[this.bCount] = uri;
    this.bCount++;
  }

  private closeElement(): void {
    const d = this.depth - 1;
    const name = this.stName[d]!;
    const x = this.stX[d]!;
    this.cur = name;
    this.xname = x;
    this.handler.close?.(this);
    this.depth = d;
    const mark = this.stMark[d]!;
    if (this.bCount !== mark) {
      this.bCount = mark;
      this.scopeVer++;
    }
    this.prevSibling = name;
    if (d === 0) this.place = Place.Epilog;
  }

  private endTag(pos: number, end: number): number {
    const buf = this.buf;
    let p = pos + 2;
    if (this.depth === 0) {
      const ne = this.nameEnd(p, end);
      if (ne === INCOMPLETE) return INCOMPLETE;
      return this.syntax(pos, `end tag </${utf8Slice.call(buf, p, ne)}> without a start tag`);
    }
    const open = this.stName[this.depth - 1]!;
    const bytes = open.bytes;
    const len = bytes.length;
    let k = 0;
    if (p + len < end) {
      // The whole name and the byte after it are in the buffer: one bound per byte.
      while (k < len && buf[p + k] === bytes[k]) k++;
    } else {
      while (k < len && p + k < end && buf[p + k] === bytes[k]) k++;
      if (p + k >= end) return INCOMPLETE;
    }
    if (k < len || NAME[buf[p + k]!]! & 2) {
      const ne = this.nameEnd(p, end);
      if (ne === INCOMPLETE) return INCOMPLETE;
      return this.syntax(pos, `end tag </${utf8Slice.call(buf, p, ne)}> does not match <${open.qname}> (XML 1.0 §3 WFC Element Type Match)`);
    }
    p += len;
    if (buf[p] !== 0x3e) {
      p = this.skipWs(p, end);
      if (p >= end) return INCOMPLETE;
      if (buf[p] !== 0x3e) return this.syntax(p, `">" expected to end </${open.qname}>`);
    }
    this.eventAbs = this.base + pos;
    this.evLine = this.tokLine;
    this.evLineStart = this.tokLineStart;
    this.attrCount = 0;
    this.selfClosing = false;
    this.closeElement();
    return this.stopped ? STOP : p + 1;
  }

  /** Validates buf[s..e) as Char* (comments, PIs, CDATA). */
  private checkChars(s: number, e: number): boolean {
    const buf = this.buf;
    for (let i = s; i < e; i++) {
      const c = TEXT[buf[i]!]!;
      if (c === T_LF) this.nl(i);
      else if (c === T_BAD) {
        this.badChar(i);
        return false;
      }
      if (c === T_HI) this.lastHigh = this.base + i;
      if (c === T_HI && buf[i] === 0xef && buf[i + 1] === 0xbf && (buf[i + 2]! & 0xfe) === 0xbe) {
        this.badChar(i);
        return false;
      }
    }
    return true;
  }

  private pi(pos: number, end: number): number {
    const buf = this.buf;
    const p = pos + 2;
    const close = buf.indexOf('?>', p);
    if (close < 0 || close + 2 > end) return INCOMPLETE;
    const ne = this.nameEnd(p, close + 2);
    if (ne === p || (NAME[buf[p]!]! & 1) === 0) return this.syntax(p, 'a processing instruction must start with a target name (XML 1.0 §2.6)');
    const target = utf8Slice.call(buf, p, ne);
    if (ne < close && !isWs(buf[ne]!)) return this.syntax(ne, `whitespace expected after the processing instruction target ${target}`);
    if (target.toLowerCase() === 'xml') {
      if (this.base + pos !== 0) return this.syntax(pos, 'the XML declaration must be at the very start of the document (XML 1.0 §2.8)');
      return this.xmlDecl(ne, close) ? close + 2 : STOP;
    }
    if (target.includes(':')) return this.syntax(p, `processing instruction target ${target} contains a colon (Namespaces in XML §7)`);
    if (!NAME_RE.test(target)) return this.syntax(p, `"${target}" is not a valid processing instruction target`);
    if (!this.checkChars(ne, close)) return STOP;
    return close + 2;
  }

  /** XML 1.0 §2.8 XMLDecl: version, then optional encoding and standalone, in that order. */
  private xmlDecl(p: number, close: number): boolean {
    const s = latin1Slice.call(this.buf, p, close);
    const m = /^\s+version\s*=\s*(["'])(1\.[0-9]+)\1(?:\s+encoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\3)?(?:\s+standalone\s*=\s*(["'])(yes|no)\5)?\s*$/.exec(s);
    if (!m) {
      this.fail('syntax', 'malformed XML declaration (XML 1.0 §2.8: version, then optional encoding and standalone)', this.base + p, true);
      return false;
    }
    this.eventAbs = this.base + p - 5;
    this.evLine = this.tokLine;
    this.evLineStart = this.tokLineStart;
    this.handler.xmlDecl?.(m[2]!, m[4], m[6], this);
    this.countLines(p, close);
    return !this.stopped;
  }

  private bang(pos: number, end: number): number {
    const buf = this.buf;
    const avail = end - pos;
    if (startsWith(buf, pos, end, '<!--')) {
      const close = buf.indexOf('--', pos + 4);
      if (close < 0 || close + 3 > end) return INCOMPLETE;
      if (buf[close + 2] !== 0x3e) return this.syntax(close, '"--" is not allowed inside a comment (XML 1.0 §2.5)');
      if (!this.checkChars(pos + 4, close)) return STOP;
      return close + 3;
    }
    if (startsWith(buf, pos, end, '<![CDATA[')) {
      const close = buf.indexOf(']]>', pos + 9);
      if (close < 0 || close + 3 > end) return INCOMPLETE;
      if (this.place !== Place.Root) return this.syntax(pos, 'a CDATA section outside the root element');
      let flags = F_NONWS;
      for (let i = pos + 9; i < close; i++) {
        const c = TEXT[buf[i]!]!;
        if (c === T_LF) {
          flags |= F_SPACE | F_TABLF;
          this.nl(i);
        } else if (c === T_WS) flags |= buf[i] === 0x20 ? F_SPACE : F_SPACE | F_TABLF;
        else if (c === T_BAD) return this.badChar(i);
        else if (c === T_HI) {
          this.lastHigh = this.base + i;
          flags |= F_HI;
          if (buf[i] === 0xef && buf[i + 1] === 0xbf && (buf[i + 2]! & 0xfe) === 0xbe) return this.badChar(i);
        } else if (c === T_CR) flags |= F_CR;
      }
      const h = this.handler.cdata;
      if (h) {
        this.tStart = pos + 9;
        this.tEnd = close;
        this.tFlags = flags & ~F_REF;
        this.textIsWhitespace = false;
        this.eventAbs = this.base + pos;
        this.evLine = this.tokLine;
        this.evLineStart = this.tokLineStart;
        h.call(this.handler, this);
      }
      return this.stopped ? STOP : close + 3;
    }
    if (startsWith(buf, pos, end, '<!DOCTYPE')) {
      const e = doctypeEnd(buf, pos + 9, end);
      if (e < 0) return INCOMPLETE;
      if (this.place !== Place.Prolog) return this.syntax(pos, 'a DOCTYPE declaration after the root element started (XML 1.0 §2.8)');
      this.fail('doctype', 'a DOCTYPE declaration (DTDs and entity declarations are refused)', this.base + pos, false);
      this.countLines(pos, e);
      return e;
    }
    // Not enough bytes yet to tell which markup this is.
    if (avail < 9 && (isPrefixOf(buf, pos, end, '<!--') || isPrefixOf(buf, pos, end, '<![CDATA[') || isPrefixOf(buf, pos, end, '<!DOCTYPE'))) return INCOMPLETE;
    return this.syntax(pos, 'unknown markup after "<!" (expected a comment or a CDATA section)');
  }
}

const F_NONWS = 1;
const F_HI = 2;
const F_CR = 4;
const F_REF = 8;
/** A line feed and spaces only. */
const F_INDENT = 16;
/** A space, tab or line feed (CR is F_CR). */
const F_SPACE = 32;
/** A tab or line feed. */
const F_TABLF = 64;
/** "\n" followed by n spaces, for n < 64. */
const INDENTS = Array.from({ length: 64 }, (_, n) => `\n${' '.repeat(n)}`);

function countChars(buf: Uint8Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if ((buf[i]! & 0xc0) !== 0x80) n++;
  return n;
}

function startsWith(buf: Buffer, pos: number, end: number, s: string): boolean {
  if (end - pos < s.length) return false;
  for (let i = 0; i < s.length; i++) if (buf[pos + i] !== s.charCodeAt(i)) return false;
  return true;
}

function isPrefixOf(buf: Buffer, pos: number, end: number, s: string): boolean {
  for (let i = 0; pos + i < end; i++) if (i >= s.length || buf[pos + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** The offset after a DOCTYPE declaration's '>' (quotes, the internal subset, comments and PIs skipped), or -1. */
function doctypeEnd(buf: Buffer, p: number, end: number): number {
  let bracket = 0;
  while (p < end) {
    const b = buf[p]!;
    if (b === 0x22 || b === 0x27) {
      const q = buf.indexOf(b, p + 1);
      if (q < 0 || q >= end) return -1;
      p = q + 1;
    } else if (b === 0x3c && buf[p + 1] === 0x21 && buf[p + 2] === 0x2d && buf[p + 3] === 0x2d) {
      const q = buf.indexOf('-->', p + 4);
      if (q < 0 || q + 3 > end) return -1;
      p = q + 3;
    } else if (b === 0x3c && buf[p + 1] === 0x3f) {
      const q = buf.indexOf('?>', p + 2);
      if (q < 0 || q + 2 > end) return -1;
      p = q + 2;
    } else if (b === 0x5b) {
      bracket++;
      p++;
    } else if (b === 0x5d) {
      bracket--;
      p++;
    } else if (b === 0x3e && bracket <= 0) return p + 1;
    else p++;
  }
  return -1;
}

function describe(b: number | undefined): string {
  if (b === undefined) return 'the end';
  return b >= 0x21 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}
