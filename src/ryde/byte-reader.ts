/**
 * Pull-based reading of exact byte counts from an async source of Buffers: the primitive the
 * OpenPGP and tar readers are built on. Holds at most one source chunk plus what the caller asks
 * for, so memory stays bounded by the source's chunk size.
 */

function toBuffer(value: Buffer | Uint8Array | string): Buffer {
  if (typeof value === 'string') return Buffer.from(value);
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export class ByteReader {
  private readonly iterator: AsyncIterator<Buffer | Uint8Array | string>;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private ended = false;
  /** Bytes handed out so far (for error locations). */
  position = 0;

  constructor(source: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer>) {
    this.iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (async function* () { yield* source; })();
  }

  /** Fill the buffer with at least `n` bytes unless the source ends first. */
  private async fill(n: number): Promise<void> {
    while (this.pendingLength < n && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = toBuffer(next.value);
      if (chunk.length === 0) continue;
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
    }
  }

  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.pending[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let offset = 0;
      while (offset < n) {
        const head = this.pending[0]!;
        const used = Math.min(head.length, n - offset);
        head.copy(out, offset, 0, used);
        offset += used;
        if (used === head.length) this.pending.shift();
        else this.pending[0] = head.subarray(used);
      }
    }
    this.pendingLength -= n;
    this.position += n;
    return out;
  }

  /** Exactly `n` bytes, or null when the source ended before (the short rest stays unread). */
  async readExact(n: number): Promise<Buffer | null> {
    await this.fill(n);
    if (this.pendingLength < n) return null;
    return this.take(n);
  }

  /** Up to `max` bytes (at least 1) as soon as any are available; null at the end. */
  async readSome(max: number): Promise<Buffer | null> {
    await this.fill(1);
    if (this.pendingLength === 0) return null;
    return this.take(Math.min(max, this.pending[0]!.length));
  }

  /** Buffer up to `n` bytes ahead and return how many are buffered (at most what the source gave). */
  async lookahead(n: number): Promise<number> {
    await this.fill(n);
    return this.pendingLength;
  }

  /** The next byte without consuming it, or null at the end. */
  async peekByte(): Promise<number | null> {
    await this.fill(1);
    return this.pendingLength === 0 ? null : this.pending[0]![0]!;
  }

  /** One byte, or null at the end. */
  async readByte(): Promise<number | null> {
    const b = await this.readExact(1);
    return b === null ? null : b[0]!;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    await this.fill(1);
    return this.pendingLength === 0;
  }

  /** Bytes still buffered (for callers that hand the rest to another layer). */
  async *rest(): AsyncGenerator<Buffer> {
    while (this.pending.length > 0) {
      const chunk = this.pending.shift()!;
      this.pendingLength -= chunk.length;
      this.position += chunk.length;
      yield chunk;
    }
    while (!this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = toBuffer(next.value);
      this.position += chunk.length;
      yield chunk;
    }
  }
}
