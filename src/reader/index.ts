/**
 * The deposit reader: any RFC 8909 / RFC 9022 XML deposit → typed objects, streaming.
 *
 *   import { readDeposit } from '../reader/index.js';
 *   for await (const event of readDeposit(createReadStream(file), { file })) {
 *     switch (event.type) {
 *       case 'deposit': event.envelope;          // type, id, prevId, resend, watermark, menu
 *       case 'delete':  event.delete;            // one <rde:deletes> entry (DIFF/INCR)
 *       case 'object':  event.object;            // one <rde:contents> object, header included
 *       case 'end':     event.bytes, event.counts;
 *     }
 *   }
 *
 * Events come in document order: exactly one `deposit` first (once `<rde:rdeMenu>` has been
 * read), then the `delete` and `object` events, then one `end`. Objects are the types of
 * src/model/objects.ts, exactly what the writer (src/deposit/serialize.ts) takes: reading a
 * Strongroom deposit gives back the objects it was written from, and rebuild → re-deposit is
 * byte-identical. The header is an ordinary `object` event of kind 'header', wherever it sits.
 *
 * What it accepts: any namespace prefixes (matching is by namespace URI), objects in any order
 * and of any kind mix, children of an object in any order, whitespace around token-like values
 * (./objects.ts explains the whitespace rule), optional elements absent, comments and
 * processing instructions anywhere.
 *
 * What it refuses, each with a StrongroomError whose message and `data` name the object, the
 * field and the line/column (`location` is `file:line:column`):
 * - a DOCTYPE (so no DTD, no entity declarations: no XXE, no entity expansion) — READER_INVALID_XML;
 * - XML that is not well-formed, not UTF-8, or whose root is not `<rde:deposit>` — READER_INVALID_XML;
 * - a bad envelope (type, id, resend, watermark, menu) — READER_INVALID_DEPOSIT;
 * - an object or delete entry with a missing, repeated, unknown or malformed element —
 *   READER_INVALID_OBJECT.
 * It does not judge the data beyond what typing needs (statuses, lengths, references, counts
 * against the header: that is the rebuild's and the verifier's job).
 *
 * Memory: one input chunk and one object at a time (each object capped, see ./xml-stream.ts),
 * whatever the deposit size. The consumer sets the pace (back-pressure through the iterator).
 */
import { StrongroomError } from '../common/errors.js';
import { tryCanonicalDateTime } from '../model/datetime.js';
import { NS_RDE } from '../model/namespaces.js';
import type { DepositEnvelope, DepositType, ObjectKind, RdeDelete, RdeObject } from '../model/objects.js';
import { readDeletes, readObject } from './objects.js';
import { leanObject } from './lean.js';
import { xmlPieceBatches, type ObjectLog, type XmlNode } from './xml-stream.js';

export type { ReaderErrorData } from './objects.js';

export type DepositEvent =
  | { type: 'deposit'; envelope: DepositEnvelope }
  | { type: 'delete'; delete: RdeDelete; line: number; column: number }
  | { type: 'object'; object: RdeObject; line: number; column: number }
  | {
      type: 'end';
      /** Bytes of input read. */
      bytes: number;
      /** Objects read per kind (header included) and delete entries read. */
      counts: Partial<Record<ObjectKind, number>>;
      deletes: number;
    };

export interface ReadOptions {
  /** File name for messages and error locations. */
  file?: string;
  signal?: AbortSignal;
}

/** readDepositNodes(): an `<rde:contents>` object as its element tree, in place of an `object` event. */
export type DepositNodeEvent = Exclude<DepositEvent, { type: 'object' }> | { type: 'node'; node: XmlNode; line: number; column: number };

/** rde:depositIdType: token, pattern `\w{1,13}` (RFC 8909 §4.2 XSD). */
const DEPOSIT_ID = /^[\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]{1,13}$/u;
/** rde:depositTypeType (RFC 8909 §4.2 XSD). */
const DEPOSIT_TYPES: readonly DepositType[] = ['FULL', 'INCR', 'DIFF'];

function envelopeError(file: string | undefined, node: { line: number; column: number }, field: string, message: string): StrongroomError {
  return new StrongroomError('READER_INVALID_DEPOSIT', `deposit, ${field} (line ${node.line}, column ${node.column}): ${message}`, {
    location: `${file ? `${file}:` : ''}${node.line}:${node.column}`,
    data: { object: 'deposit', field, line: node.line, column: node.column },
  });
}

const trim = (value: string) => value.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

interface RootAttributes {
  type: DepositType;
  id: string;
  prevId?: string;
  resend: number;
}

function rootAttributes(root: XmlNode, file: string | undefined): RootAttributes {
  const attr = (name: string) => (root.attrs[name] === undefined ? undefined : trim(root.attrs[name]!));
  const type = attr('type');
  if (type === undefined) throw envelopeError(file, root, '@type', 'required attribute "type" is missing');
  if (!(DEPOSIT_TYPES as readonly string[]).includes(type)) throw envelopeError(file, root, '@type', `"${type}" is not FULL, INCR or DIFF`);
  const id = attr('id');
  if (id === undefined) throw envelopeError(file, root, '@id', 'required attribute "id" is missing');
  if (!DEPOSIT_ID.test(id)) throw envelopeError(file, root, '@id', `"${id.slice(0, 40)}" is not a deposit id (1 to 13 word characters)`);
  const out: RootAttributes = { type: type as DepositType, id, resend: 0 };
  const prevId = attr('prevId');
  if (prevId !== undefined) {
    if (!DEPOSIT_ID.test(prevId)) throw envelopeError(file, root, '@prevId', `"${prevId.slice(0, 40)}" is not a deposit id (1 to 13 word characters)`);
    out.prevId = prevId;
  }
  const resend = attr('resend');
  if (resend !== undefined) {
    // xs:unsignedShort, default 0 (RFC 8909 §4.2 XSD).
    if (!/^\+?\d+$/.test(resend) || Number(resend) > 65535) throw envelopeError(file, root, '@resend', `"${resend.slice(0, 20)}" is not an unsignedShort`);
    out.resend = Number(resend);
  }
  return out;
}

function simpleText(node: XmlNode, file: string | undefined, field: string): string {
  if (node.children.length > 0) throw envelopeError(file, node.children[0]!, field, 'a simple value cannot contain elements');
  return trim(node.text);
}

function menu(node: XmlNode, file: string | undefined): { version: string; objURI: string[] } {
  let version: string | undefined;
  const objURI: string[] = [];
  for (const child of node.children) {
    if (child.ns === NS_RDE && child.local === 'version') {
      if (version !== undefined) throw envelopeError(file, child, 'rdeMenu/version', 'appears twice');
      version = simpleText(child, file, 'rdeMenu/version');
      // rde:versionType is restricted to the single value "1.0" (RFC 8909 §4.2 XSD).
      if (version !== '1.0') throw envelopeError(file, child, 'rdeMenu/version', `"${version.slice(0, 20)}" is not 1.0`);
    } else if (child.ns === NS_RDE && child.local === 'objURI') {
      const uri = simpleText(child, file, 'rdeMenu/objURI');
      if (uri === '') throw envelopeError(file, child, 'rdeMenu/objURI', 'is empty');
      objURI.push(uri);
    } else throw envelopeError(file, child, `rdeMenu/${child.local}`, `unexpected element <${child.qname}>`);
  }
  if (version === undefined) throw envelopeError(file, node, 'rdeMenu/version', 'required element <version> is missing');
  if (objURI.length === 0) throw envelopeError(file, node, 'rdeMenu/objURI', 'the menu lists no objURI');
  return { version, objURI };
}

/**
 * Read a deposit from `input` (a Node Readable or any async iterable of bytes) as events.
 * Throws StrongroomError (READER_INVALID_XML / READER_INVALID_DEPOSIT / READER_INVALID_OBJECT)
 * at the first problem; events before it have been delivered.
 */
export async function* readDeposit(input: AsyncIterable<Buffer | string | Uint8Array>, options: ReadOptions = {}): AsyncGenerator<DepositEvent> {
  for await (const batch of read(input, options, false)) yield* batch as DepositEvent[];
}

/**
 * readDeposit(), an input chunk's events at a time (one array per chunk that completed any;
 * the same events in the same order), for consumers that would otherwise pay an asynchronous
 * step per object. With `lean`, the common shapes of domains, hosts and contacts are typed
 * straight from the scanner's events (./lean.ts) instead of through an element tree: the same
 * objects, the same errors (anything unusual takes the element tree, as in readDeposit()).
 */
export function readDepositBatches(input: AsyncIterable<Buffer | string | Uint8Array>, options: ReadOptions & { lean?: boolean } = {}): AsyncGenerator<DepositEvent[]> {
  return read(input, options, false, options.lean ? leanObject : undefined) as AsyncGenerator<DepositEvent[]>;
}

/**
 * readDeposit(), with each `<rde:contents>` object handed out as its element tree (a `node`
 * event: `readObject(node, file)` gives the typed object) for a consumer with a faster
 * converter. Envelope and delete entries are checked and typed as in readDeposit(); the `end`
 * event's counts leave the objects out.
 */
export async function* readDepositNodes(input: AsyncIterable<Buffer | string | Uint8Array>, options: ReadOptions = {}): AsyncGenerator<DepositNodeEvent> {
  for await (const batch of read(input, options, true)) yield* batch as DepositNodeEvent[];
}

/** readDepositNodes(), an input slice's events at a time (as readDepositBatches() for readDeposit()). */
export function readDepositNodeBatches(input: AsyncIterable<Buffer | string | Uint8Array>, options: ReadOptions = {}): AsyncGenerator<DepositNodeEvent[]> {
  return read(input, options, true) as AsyncGenerator<DepositNodeEvent[]>;
}

async function* read(input: AsyncIterable<Buffer | string | Uint8Array>, options: ReadOptions, nodes: boolean, lean?: (log: ObjectLog) => RdeObject | null): AsyncGenerator<Array<DepositEvent | DepositNodeEvent>> {
  const file = options.file;
  let bytes = 0;
  const counting = (async function* () {
    for await (const chunk of input) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      yield chunk;
    }
  })();
  let root: XmlNode | null = null;
  let attrs: RootAttributes | null = null;
  let watermark: string | undefined;
  let envelope: DepositEnvelope | null = null;
  const counts: Partial<Record<ObjectKind, number>> = {};
  let deletes = 0;

  const needEnvelope = (node: { line: number; column: number }, what: string): void => {
    if (envelope) return;
    if (watermark === undefined) throw envelopeError(file, node, 'watermark', `<rde:watermark> must come before ${what}`);
    throw envelopeError(file, node, 'rdeMenu', `<rde:rdeMenu> must come before ${what}`);
  };

  for await (const pieces of xmlPieceBatches(counting, file, lean ? { lean } : {})) {
    const out: Array<DepositEvent | DepositNodeEvent> = [];
    try {
      for (const piece of pieces) {
        if (options.signal?.aborted) throw new StrongroomError('INTERRUPTED', 'reading the deposit was interrupted');
        switch (piece.kind) {
          case 'root':
            root = piece.node;
            attrs = rootAttributes(root, file);
            break;
          case 'watermark': {
            if (watermark !== undefined) throw envelopeError(file, piece.node, 'watermark', 'appears twice');
            if (envelope) throw envelopeError(file, piece.node, 'watermark', 'must come before <rde:rdeMenu>');
            const raw = simpleText(piece.node, file, 'watermark');
            const canonical = tryCanonicalDateTime(raw);
            if (canonical === null) throw envelopeError(file, piece.node, 'watermark', `"${raw.slice(0, 40)}" is not an RFC 3339 date-time`);
            watermark = canonical;
            break;
          }
          case 'menu': {
            if (envelope) throw envelopeError(file, piece.node, 'rdeMenu', 'appears twice');
            if (watermark === undefined) throw envelopeError(file, piece.node, 'watermark', '<rde:watermark> is missing (it must come before <rde:rdeMenu>)');
            const m = menu(piece.node, file);
            envelope = { ...attrs!, watermark, ...m };
            out.push({ type: 'deposit', envelope });
            break;
          }
          case 'delete': {
            needEnvelope(piece.node, '<rde:deletes>');
            for (const entry of readDeletes(piece.node, file)) {
              deletes++;
              out.push({ type: 'delete', delete: entry, line: piece.node.line, column: piece.node.column });
            }
            break;
          }
          case 'content': {
            needEnvelope(piece.node, '<rde:contents>');
            if (nodes) {
              out.push({ type: 'node', node: piece.node, line: piece.node.line, column: piece.node.column });
              break;
            }
            const object = readObject(piece.node, file);
            counts[object.kind] = (counts[object.kind] ?? 0) + 1;
            out.push({ type: 'object', object, line: piece.node.line, column: piece.node.column });
            break;
          }
          case 'object': {
            needEnvelope(piece, '<rde:contents>');
            counts[piece.object.kind] = (counts[piece.object.kind] ?? 0) + 1;
            out.push({ type: 'object', object: piece.object, line: piece.line, column: piece.column });
            break;
          }
          case 'end':
            if (!envelope) throw envelopeError(file, root ?? { line: 1, column: 1 }, 'rdeMenu', 'the deposit has no <rde:watermark> and <rde:rdeMenu>');
            out.push({ type: 'end', bytes, counts, deletes });
            break;
        }
      }
    } catch (err) {
      // The events before the problem are delivered first.
      if (out.length > 0) yield out;
      throw err;
    }
    if (out.length > 0) yield out;
  }
}

export { readObject, readDeletes } from './objects.js';
export type { XmlNode } from './xml-stream.js';
