/**
 * RyDE layer 3: the Compressed Data packet (RFC 9580 §5.6), algorithm ZIP (1 = raw DEFLATE,
 * RFC 1951), the algorithm Spec 2 Part A §4 step 3 suggests.
 *
 * Writer: DEFLATE is the most expensive step of sealing, so it runs in parallel on libuv's
 * thread pool (node:zlib's async one-shot API), pigz style: the literal packet stream is cut
 * into 1 MiB blocks; each block is deflated independently with the previous block's last
 * 32 KiB as preset dictionary and ended with a sync flush (byte-aligned, not final); the
 * outputs are concatenated in order and a final empty fixed-Huffman block (0x03 0x00) ends the
 * stream. The result is one valid DEFLATE stream (any inflater, gpg included, reads it), the
 * compression ratio is within a fraction of a percent of a single stream, and the bytes
 * depend only on the input and the level, never on timing: sealing stays deterministic.
 * At most `parallelism` blocks are in flight (default cores + 2), so memory is bounded.
 *
 * Reader: ZIP (1), ZLIB (2) or uncompressed (0) payloads, inflated with a streaming zlib
 * instance (also on the thread pool, overlapping decryption on the main thread). BZip2 is
 * refused (gpg can write it with --compress-algo bzip2; Node has no decoder).
 */
import { availableParallelism } from 'node:os';
import { constants, createInflate, createInflateRaw, deflateRaw, type ZlibOptions } from 'node:zlib';
import { StrongroomError, messageOf } from '../common/errors.js';
import { ByteReader } from './byte-reader.js';
import { COMPRESSION, TAG, framePartial, malformed, packetBody, packetTagOf, readPacketHeader, truncated } from './packets.js';
import { blocks, throughTransform } from './streams.js';

/** Input block size of the parallel compressor. */
export const COMPRESS_BLOCK = 1 << 20;
/** Output buffer of one block's deflate: large enough for one pass (no main-thread round trips). */
const DEFLATE_CHUNK = 512 * 1024;
/** DEFLATE's window: the dictionary each block inherits from the previous one. */
const WINDOW = 32 * 1024;
/** A final, empty, fixed-Huffman DEFLATE block: ends the stream (RFC 1951 §3.2.3, §3.2.6). */
const FINAL_EMPTY_BLOCK = Buffer.from([0x03, 0x00]);

export interface CompressOptions {
  /** zlib level 1–9 (default 6, as `gpg -z 6`). */
  level?: number;
  /**
   * Blocks compressed at once (default: cores + 2, so a finished block never leaves a core idle
   * while the main thread hands it on; measured on 2 cores: 2 → 6.7 s, 3 → 6.1 s, 4 → 5.9 s per GB).
   */
  parallelism?: number;
}

function deflateBlock(block: Buffer, dictionary: Buffer | undefined, level: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflateRaw(block, { level, chunkSize: DEFLATE_CHUNK, finishFlush: constants.Z_SYNC_FLUSH, ...(dictionary ? { dictionary } : {}) }, (err, out) => (err ? reject(err) : resolve(out)));
  });
}

/** Raw DEFLATE of a byte source, parallel and deterministic (see the header comment). */
export async function* deflateParallel(source: AsyncIterable<Buffer>, options: CompressOptions = {}): AsyncGenerator<Buffer> {
  const level = options.level ?? 6;
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new StrongroomError('RYDE_INVALID_ARGUMENT', `compression level must be 1–9, got ${level}`);
  const parallelism = Math.max(2, options.parallelism ?? availableParallelism() + 2);
  const inFlight: Array<Promise<Buffer>> = [];
  let previous: Buffer | undefined;
  try {
    for await (const block of blocks(source, COMPRESS_BLOCK)) {
      const dictionary = previous ? previous.subarray(Math.max(0, previous.length - WINDOW)) : undefined;
      const job = deflateBlock(block, dictionary, level);
      job.catch(() => undefined);
      inFlight.push(job);
      previous = block;
      if (inFlight.length >= parallelism) yield await inFlight.shift()!;
    }
    while (inFlight.length > 0) yield await inFlight.shift()!;
  } finally {
    inFlight.length = 0;
  }
  yield FINAL_EMPTY_BLOCK;
}

/** The compressor: yields a Compressed Data packet (ZIP) holding the source's packets. */
export function openCompressor(options: CompressOptions = {}): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  return (source) =>
    framePartial(
      TAG.COMPRESSED,
      (async function* body() {
        yield Buffer.from([COMPRESSION.ZIP]);
        yield* deflateParallel(source, options);
      })(),
    );
}

// Large output chunks and buffers let the inflater (thread pool) run ahead of the consumer
// (untar and the file writes), instead of working in lock step with it.
const INFLATE_OPTIONS: ZlibOptions & { highWaterMark: number } = { chunkSize: 1 << 20, highWaterMark: 4 << 20 };

export interface DecompressorOptions {
  where: string;
  /** Called with the compression algorithm found (0 when the message was not compressed). */
  onAlgorithm?: (algorithm: number) => void;
}

/**
 * The decompressor: reads the decrypted packet stream. A Compressed Data packet yields its
 * inflated content (a packet stream); a message that was not compressed (a literal packet
 * straight away) is passed through unchanged.
 */
export function openDecompressor(options: DecompressorOptions): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const { where } = options;
  return async function* decompressor(source) {
    const reader = new ByteReader(source);
    const ctb = await reader.peekByte();
    if (ctb === null) throw truncated('the encrypted content', reader.position, where);
    if (packetTagOf(ctb) === TAG.LITERAL) {
      options.onAlgorithm?.(COMPRESSION.NONE);
      yield* reader.rest();
      return;
    }
    const header = (await readPacketHeader(reader, where))!;
    if (header.tag !== TAG.COMPRESSED) throw malformed(`expected compressed or literal data, found packet tag ${header.tag}`, header.offset, where);
    const body = new ByteReader(packetBody(reader, header, where));
    const algorithm = await body.readByte();
    if (algorithm === null) throw truncated('the compressed data packet', reader.position, where);
    options.onAlgorithm?.(algorithm);
    let inflater;
    if (algorithm === COMPRESSION.ZIP) inflater = createInflateRaw(INFLATE_OPTIONS);
    else if (algorithm === COMPRESSION.ZLIB) inflater = createInflate(INFLATE_OPTIONS);
    else if (algorithm === COMPRESSION.NONE) inflater = undefined;
    else throw new StrongroomError('RYDE_UNSUPPORTED', `compression algorithm ${algorithm} is not supported (ZIP, ZLIB or none)`, { location: where });
    try {
      if (inflater) yield* throughTransform(body.rest(), inflater);
      else yield* body.rest();
    } catch (err) {
      if (err instanceof StrongroomError) throw err;
      throw new StrongroomError('RYDE_DECOMPRESS_FAILED', `the compressed data is corrupt: ${messageOf(err)}`, { location: where, cause: err });
    }
    const next = await readPacketHeader(reader, where);
    if (next !== null) throw new StrongroomError('RYDE_TRAILING_DATA', `packet tag ${next.tag} after the compressed data`, { location: `${where} at byte ${next.offset}` });
  };
}
