/**
 * Small stream helpers shared by the RyDE layers.
 */
import { Readable, type Duplex } from 'node:stream';

/**
 * Run an async source through a Node Transform (zlib, for instance) and yield its output;
 * errors on either side end the generator, and stopping early destroys both.
 */
export async function* throughTransform(source: AsyncIterable<Buffer>, transform: Duplex): AsyncGenerator<Buffer> {
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (err) => transform.destroy(err));
  input.pipe(transform);
  try {
    for await (const chunk of transform) yield chunk as Buffer;
  } finally {
    input.destroy();
    transform.destroy();
  }
}

/** Re-chunk a byte source into blocks of exactly `size` bytes (the last may be shorter). */
export async function* blocks(source: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let block = Buffer.allocUnsafe(size);
  let filled = 0;
  for await (const chunk of source) {
    let offset = 0;
    while (offset < chunk.length) {
      if (filled === 0 && chunk.length - offset >= size) {
        yield chunk.subarray(offset, offset + size);
        offset += size;
        continue;
      }
      const used = chunk.copy(block, filled, offset, Math.min(chunk.length, offset + size - filled));
      filled += used;
      offset += used;
      if (filled === size) {
        yield block;
        block = Buffer.allocUnsafe(size);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield block.subarray(0, filled);
}
