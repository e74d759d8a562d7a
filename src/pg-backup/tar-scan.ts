/**
 * A streaming tar reader (POSIX ustar with pax `x` and GNU `L` long-name headers, base-256
 * sizes) as a synchronous state machine: `push(chunk)` returns the events that chunk
 * completes. The backup observes pg_basebackup's tar with it on the way to compression (file
 * sizes and SHA-256 for the manifest, `backup_label` and `backup_manifest` captured), and
 * restore extracts with it. Data slices are views of the pushed chunks (no copies).
 */
import { StrongroomError } from '../common/errors.js';

const BLOCK = 512;

export interface TarHeader {
  name: string;
  /** '0' regular file, '5' directory, '2' symlink, '1' hard link, … */
  type: string;
  mode: number;
  size: number;
  mtime: number;
  linkName: string;
}

/** An entry name as a clean relative path: no "./" prefix (pg_basebackup writes "./pg_wal/archive_status"), no trailing "/". */
export function normalizeEntryName(name: string): string {
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

export type TarEvent = { kind: 'entry'; header: TarHeader } | { kind: 'data'; data: Buffer } | { kind: 'entry-end' } | { kind: 'archive-end' };

function invalid(message: string, where: string): StrongroomError {
  return new StrongroomError('PG_TAR_INVALID', message, { location: where });
}

function cString(buf: Buffer, start: number, length: number): string {
  const slice = buf.subarray(start, start + length);
  const zero = slice.indexOf(0);
  return slice.subarray(0, zero === -1 ? length : zero).toString('utf8');
}

function number(buf: Buffer, start: number, length: number, where: string): number {
  const field = buf.subarray(start, start + length);
  if (field[0]! & 0x80) {
    // base-256 (GNU / star): big-endian with the top bit set
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    value += (field[0]! & 0x7f) * 256 ** (field.length - 1);
    if (!Number.isSafeInteger(value)) throw invalid('a tar number is too large', where);
    return value;
  }
  const text = cString(buf, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw invalid(`a tar header field is not octal ("${text}")`, where);
  return parseInt(text, 8);
}

function parsePax(data: Buffer, where: string): Map<string, string> {
  const out = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) throw invalid('malformed pax header', where);
    const length = Number(data.subarray(offset, space).toString('ascii'));
    if (!Number.isInteger(length) || length <= 0 || offset + length > data.length) throw invalid('malformed pax header', where);
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    offset += length;
  }
  return out;
}

export class TarScanner {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Bytes of the current entry's data still to come, then its padding. */
  private remaining = 0;
  private padding = 0;
  private inEntry = false;
  private ended = false;
  private zeroBlocks = 0;
  private meta: 'pax' | 'gnu-long' | undefined;
  private metaBuffer: Buffer[] = [];
  private overrides = new Map<string, string>();
  private position = 0;

  constructor(private readonly where: string) {}

  get done(): boolean {
    return this.ended;
  }

  private take(n: number): Buffer | null {
    if (this.pendingLength < n) return null;
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingLength = rest.length;
    return out;
  }

  push(chunk: Buffer): TarEvent[] {
    const events: TarEvent[] = [];
    let input = chunk;
    while (input.length > 0) {
      if (this.ended) {
        // Record padding after the end marker must be zeros.
        if (input.some((byte) => byte !== 0)) throw invalid('data after the end of the tar archive', this.where);
        return events;
      }
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, input.length);
        const data = input.subarray(0, n);
        input = input.subarray(n);
        this.remaining -= n;
        this.position += n;
        if (this.meta) this.metaBuffer.push(Buffer.from(data));
        else events.push({ kind: 'data', data });
        if (this.remaining === 0) this.finishData(events);
        continue;
      }
      if (this.padding > 0) {
        const n = Math.min(this.padding, input.length);
        input = input.subarray(n);
        this.padding -= n;
        this.position += n;
        continue;
      }
      this.pending.push(input);
      this.pendingLength += input.length;
      input = Buffer.alloc(0);
      const header = this.take(BLOCK);
      if (!header) break;
      const rest = this.take(this.pendingLength)!;
      this.position += BLOCK;
      this.readHeader(header, events);
      input = rest;
    }
    return events;
  }

  private finishData(events: TarEvent[]): void {
    if (this.meta) {
      const data = Buffer.concat(this.metaBuffer);
      if (this.meta === 'pax') for (const [key, value] of parsePax(data, this.where)) this.overrides.set(key, value);
      else this.overrides.set('path', cString(data, 0, data.length));
      this.meta = undefined;
      this.metaBuffer = [];
    } else {
      events.push({ kind: 'entry-end' });
      this.inEntry = false;
    }
  }

  private readHeader(block: Buffer, events: TarEvent[]): void {
    const where = `${this.where} at byte ${this.position - BLOCK}`;
    if (block.every((byte) => byte === 0)) {
      this.zeroBlocks++;
      if (this.zeroBlocks === 2) {
        this.ended = true;
        events.push({ kind: 'archive-end' });
      }
      return;
    }
    if (this.zeroBlocks > 0) throw invalid('a single zero block inside the tar archive', where);
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
    if (number(block, 148, 8, where) !== sum) throw invalid('tar header checksum mismatch', where);
    const type = String.fromCharCode(block[156]! || 0x30);
    const size = this.overrides.has('size') ? Number(this.overrides.get('size')) : number(block, 124, 12, where);
    if (!Number.isSafeInteger(size) || size < 0) throw invalid('invalid tar entry size', where);
    const padding = (BLOCK - (size % BLOCK)) % BLOCK;
    if (type === 'x' || type === 'L') {
      if (size > 1 << 20) throw invalid('oversized tar extension header', where);
      this.meta = type === 'x' ? 'pax' : 'gnu-long';
      this.remaining = size;
      this.padding = padding;
      if (size === 0) this.finishData(events);
      return;
    }
    if (type === 'g') {
      // Global pax header: nothing we use; skip its data.
      this.meta = 'pax';
      this.remaining = size;
      this.padding = padding;
      if (size === 0) this.finishData(events);
      this.overrides = new Map();
      return;
    }
    const prefix = block.subarray(257, 262).toString('ascii') === 'ustar' ? cString(block, 345, 155) : '';
    const baseName = cString(block, 0, 100);
    const name = this.overrides.get('path') ?? (prefix ? `${prefix}/${baseName}` : baseName);
    const linkName = this.overrides.get('linkpath') ?? cString(block, 157, 100);
    this.overrides = new Map();
    const header: TarHeader = { name, type, mode: number(block, 100, 8, where), size, mtime: number(block, 136, 12, where), linkName };
    events.push({ kind: 'entry', header });
    this.inEntry = true;
    const dataSize = type === '0' || type === '7' ? size : 0;
    if (dataSize !== size && size !== 0 && type !== '5') throw invalid(`tar entry ${name} of type '${type}' carries data`, where);
    this.remaining = dataSize;
    this.padding = type === '0' || type === '7' ? padding : 0;
    if (dataSize === 0) this.finishData(events);
  }

  /** Throw unless the archive ended properly. */
  finish(): void {
    if (!this.ended) throw invalid(this.inEntry || this.remaining > 0 ? 'the tar archive is truncated' : 'the tar archive has no end marker', this.where);
  }
}
