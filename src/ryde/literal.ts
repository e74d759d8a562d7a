/**
 * RyDE layer 2: the Literal Data packet (RFC 9580 §5.9) wrapping the tarball.
 *
 * Writer: format 'b' (binary), file name `<base>.tar` (Spec 2 §4 step 2 names the tarball
 * that way), date = the deposit's watermark date at 00:00:00Z, taken from the file name, so
 * that sealing is reproducible apart from the session key and the signature times (Nomulus
 * also uses the watermark). The body is framed with Partial Body Lengths because the tarball
 * of a large deposit exceeds the 4 GiB a fixed packet length can express.
 *
 * Reader: exactly one literal packet (format 'b'), optionally followed by Padding packets
 * (RFC 9580 §5.14); it yields the data and reports the header through `onHeader`.
 */
import { StrongroomError } from '../common/errors.js';
import { ByteReader } from './byte-reader.js';
import { TAG, framePartial, malformed, packetBody, readPacketHeader, readSmallBody, truncated } from './packets.js';

export interface LiteralHeader {
  fileName: string;
  date: Date;
}

function headerBytes(header: LiteralHeader): Buffer {
  const name = Buffer.from(header.fileName, 'utf8');
  if (name.length > 255) throw new StrongroomError('RYDE_INVALID_ARGUMENT', `literal file name too long: ${header.fileName}`);
  const out = Buffer.alloc(6 + name.length);
  out[0] = 0x62; // 'b'
  out[1] = name.length;
  name.copy(out, 2);
  out.writeUInt32BE(Math.floor(header.date.getTime() / 1000), 2 + name.length);
  return out;
}

export function openLiteralWriter(header: LiteralHeader): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const head = headerBytes(header);
  return (source) =>
    framePartial(
      TAG.LITERAL,
      (async function* body() {
        yield head;
        yield* source;
      })(),
    );
}

export interface LiteralReaderOptions {
  where: string;
  onHeader?: (header: LiteralHeader) => void;
}

export function openLiteralReader(options: LiteralReaderOptions): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const { where } = options;
  return async function* literalReader(source) {
    const reader = new ByteReader(source);
    const header = await readPacketHeader(reader, where);
    if (header === null) throw truncated('the compressed content', reader.position, where);
    if (header.tag !== TAG.LITERAL) throw malformed(`expected a literal data packet, found packet tag ${header.tag}`, header.offset, where);
    const body = new ByteReader(packetBody(reader, header, where));
    const head = await body.readExact(2);
    if (head === null) throw truncated('the literal data header', reader.position, where);
    if (head[0] !== 0x62) throw new StrongroomError('RYDE_UNSUPPORTED', `literal data format '${String.fromCharCode(head[0]!)}' is not binary ('b')`, { location: where });
    const rest = await body.readExact(head[1]! + 4);
    if (rest === null) throw truncated('the literal data header', reader.position, where);
    options.onHeader?.({ fileName: rest.subarray(0, head[1]!).toString('utf8'), date: new Date(rest.readUInt32BE(head[1]!) * 1000) });
    for await (const chunk of body.rest()) yield chunk;
    for (;;) {
      const next = await readPacketHeader(reader, where);
      if (next === null) return;
      if (next.tag !== TAG.PADDING && next.tag !== TAG.MARKER) {
        throw new StrongroomError('RYDE_TRAILING_DATA', `packet tag ${next.tag} after the literal data: a RyDE message holds exactly one file`, { location: `${where} at byte ${next.offset}` });
      }
      await readSmallBody(reader, next, where, 1 << 24);
    }
  };
}
