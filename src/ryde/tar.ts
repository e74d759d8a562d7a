/**
 * RyDE layer 1: the tarball (Spec 2 Part A §4 step 2) holding the deposit's XML file.
 *
 * Writer: one POSIX ustar entry (IEEE 1003.1-2001 §ustar), regular file, mode 0644, uid/gid 0,
 * no user/group names, mtime = the caller's deterministic date (the watermark), then the data
 * padded to 512 bytes and the two zero blocks of the end-of-archive marker. No record padding to
 * 10240 bytes (tar readers do not need it; Nomulus' RydeTar omits it too). A tar header needs
 * the size before the data, so the caller passes it and the writer checks it at the end
 * (Nomulus `openTarWriter(os, expectedSize, …)`); sizes ≥ 8 GiB, which do not fit the 11 octal
 * digits of ustar, get a pax extended header carrying `size` (POSIX pax, understood by GNU tar,
 * bsdtar and tar-stream).
 *
 * Reader: a deliberately narrow extractor for exactly one regular file. It accepts ustar, GNU
 * (`ustar  `) and pax headers (GNU tar's default output, so `tar cf` made by hand works), checks
 * every header checksum, and refuses links, directories, devices, GNU long names, sparse files,
 * names with a directory part or `..`, a second entry, and anything non-zero after the
 * end-of-archive marker: an archive cannot place a file anywhere but where the caller decides.
 */
import { StrongroomError } from '../common/errors.js';
import { ByteReader } from './byte-reader.js';

const BLOCK = 512;
/** 11 octal digits: the largest size a ustar header can hold (8 GiB − 1). */
const USTAR_MAX_SIZE = 8 ** 11 - 1;

export interface TarEntry {
  name: string;
  size: number;
  mtime: Date;
}

function writeString(header: Buffer, offset: number, length: number, value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > length) throw new StrongroomError('RYDE_INVALID_ARGUMENT', `tar field too long: "${value}"`);
  bytes.copy(header, offset);
}

function writeOctal(header: Buffer, offset: number, length: number, value: number): void {
  writeString(header, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

function ustarHeader(name: string, size: number, mtime: Date, typeflag: string): Buffer {
  const header = Buffer.alloc(BLOCK);
  writeString(header, 0, 100, name);
  writeOctal(header, 100, 8, 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, Math.floor(mtime.getTime() / 1000));
  header.fill(0x20, 148, 156);
  writeString(header, 156, 1, typeflag);
  writeString(header, 257, 6, 'ustar\0');
  writeString(header, 263, 2, '00');
  writeOctal(header, 329, 8, 0);
  writeOctal(header, 337, 8, 0);
  let sum = 0;
  for (const byte of header) sum += byte;
  writeString(header, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return header;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length = `${length}${body}`.length;
  return `${length}${body}`;
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The archive's total size for one entry of `size` bytes (what the literal packet declares). */
export function tarSize(size: number): number {
  const pax = size > USTAR_MAX_SIZE ? BLOCK * 2 : 0;
  return pax + BLOCK + size + padding(size) + 2 * BLOCK;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(name) || name === '.' || name === '..') {
    throw new StrongroomError('RYDE_INVALID_ARGUMENT', `tar entry name "${name}" must be a plain file name of at most 100 characters`);
  }
}

/**
 * The tar writer: yields the archive for one file whose bytes come from `source` and must
 * total exactly `entry.size` (RYDE_SIZE_MISMATCH otherwise).
 */
export function openTarWriter(entry: TarEntry): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  checkName(entry.name);
  return async function* tarWriter(source) {
    if (entry.size > USTAR_MAX_SIZE) {
      const records = Buffer.from(paxRecord('size', String(entry.size)), 'utf8');
      yield ustarHeader(`PaxHeader/${entry.name}`.slice(0, 100), records.length, entry.mtime, 'x');
      yield Buffer.concat([records, Buffer.alloc(padding(records.length))]);
      yield ustarHeader(entry.name, 0, entry.mtime, '0');
    } else {
      yield ustarHeader(entry.name, entry.size, entry.mtime, '0');
    }
    let written = 0;
    for await (const chunk of source) {
      written += chunk.length;
      if (written > entry.size) break;
      yield chunk;
    }
    if (written !== entry.size) {
      throw new StrongroomError('RYDE_SIZE_MISMATCH', `${entry.name}: expected ${entry.size} bytes, the source ${written > entry.size ? 'gave more' : `gave ${written}`}`, { location: entry.name });
    }
    yield Buffer.alloc(padding(entry.size) + 2 * BLOCK);
  };
}

function tarInvalid(message: string, where: string, position: number): StrongroomError {
  return new StrongroomError('RYDE_TAR_INVALID', message, { location: `${where} (tar offset ${position})` });
}

function readString(block: Buffer, offset: number, length: number): string {
  const field = block.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
}

function readNumber(block: Buffer, offset: number, length: number, what: string, where: string, position: number): number {
  const field = block.subarray(offset, offset + length);
  if (field[0]! & 0x80) {
    // GNU base-256: big-endian two's complement with the top bit of the first byte as marker.
    if (field[0] !== 0x80) throw tarInvalid(`negative or oversized ${what}`, where, position);
    let value = 0;
    for (let index = 1; index < length; index++) value = value * 256 + field[index]!;
    if (!Number.isSafeInteger(value)) throw tarInvalid(`oversized ${what}`, where, position);
    return value;
  }
  const text = readString(block, offset, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw tarInvalid(`${what} is not an octal number`, where, position);
  return parseInt(text, 8);
}

function checksumOk(block: Buffer, where: string, position: number): boolean {
  const stored = readNumber(block, 148, 8, 'checksum', where, position);
  let unsigned = 0;
  let signed = 0;
  for (let index = 0; index < BLOCK; index++) {
    const byte = index >= 148 && index < 156 ? 0x20 : block[index]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

function parsePax(data: Buffer, where: string, position: number): Map<string, string> {
  const records = new Map<string, string>();
  let offset = 0;
  while (offset < data.length) {
    const space = data.indexOf(0x20, offset);
    if (space === -1) throw tarInvalid('malformed pax record', where, position);
    const length = Number(data.subarray(offset, space).toString('ascii'));
    if (!Number.isSafeInteger(length) || length <= space - offset + 1 || offset + length > data.length) throw tarInvalid('malformed pax record length', where, position);
    const record = data.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals === -1 || data[offset + length - 1] !== 0x0a) throw tarInvalid('malformed pax record', where, position);
    records.set(record.slice(0, equals), record.slice(equals + 1));
    offset += length;
  }
  return records;
}

export interface TarReaderOptions {
  /** Where, for error messages (the .ryde name). */
  where: string;
  /**
   * Called once with the entry before its first byte is yielded; may throw to refuse the
   * name (for example when it is not the expected `<base>.xml`).
   */
  onEntry: (entry: TarEntry) => void | Promise<void>;
  /** Refuse an entry larger than this many bytes (RYDE_TAR_INVALID) before reading it. */
  maxEntrySize?: number;
}

/**
 * Headers (pax 'x'/'g' plus the entry's own) accepted before the entry: GNU tar writes at most
 * one pax header per entry and one global one, so anything beyond a handful is an attack on
 * the reader (an endless run of headers that never reaches a file).
 */
export const MAX_TAR_HEADERS = 8;

/**
 * The tar reader: yields the data of the archive's single regular file, after `onEntry`
 * accepted it, and checks the rest of the archive is only the end-of-archive marker.
 */
export function openTarReader(options: TarReaderOptions): (source: AsyncIterable<Buffer>) => AsyncGenerator<Buffer> {
  const { where } = options;
  return async function* tarReader(source) {
    const reader = new ByteReader(source);
    let pax: Map<string, string> | undefined;
    let entry: TarEntry | undefined;
    for (let headers = 1; ; headers++) {
      const position = reader.position;
      if (headers > MAX_TAR_HEADERS) throw tarInvalid(`more than ${MAX_TAR_HEADERS} tar headers before the file: refused`, where, position);
      const block = await reader.readExact(BLOCK);
      if (block === null) throw new StrongroomError('RYDE_TRUNCATED', 'the tar archive ends inside a header', { location: `${where} (tar offset ${position})` });
      if (block.every((byte) => byte === 0)) throw tarInvalid('the tar archive holds no file', where, position);
      if (!checksumOk(block, where, position)) throw tarInvalid('tar header checksum mismatch', where, position);
      const magic = block.subarray(257, 263).toString('latin1');
      if (magic !== 'ustar\0' && magic !== 'ustar ') throw tarInvalid('not a ustar/GNU/pax tar header', where, position);
      const typeflag = String.fromCharCode(block[156]!);
      const size = readNumber(block, 124, 12, 'size', where, position);
      if (typeflag === 'x' || typeflag === 'g') {
        if (size > 1 << 20) throw tarInvalid('implausibly large pax header', where, position);
        const data = await reader.readExact(size + padding(size));
        if (data === null) throw new StrongroomError('RYDE_TRUNCATED', 'the tar archive ends inside a pax header', { location: `${where} (tar offset ${position})` });
        if (typeflag === 'x') pax = parsePax(data.subarray(0, size), where, position);
        continue;
      }
      if (typeflag !== '0' && typeflag !== '\0') {
        throw tarInvalid(`tar entry type "${typeflag === '\0' ? 'NUL' : typeflag}" refused: only one regular file is allowed (no links, directories, devices, long names)`, where, position);
      }
      let name = readString(block, 0, 100);
      if (magic === 'ustar\0') {
        const prefix = readString(block, 345, 155);
        if (prefix !== '') name = `${prefix}/${name}`;
      }
      if (pax?.has('path')) name = pax.get('path')!;
      if (name.startsWith('./')) name = name.slice(2);
      if (name === '' || name.includes('/') || name.includes('\\') || name === '.' || name === '..' || /[\0-\x1f]/.test(name)) {
        throw tarInvalid(`tar entry name "${name}" refused: it must be a plain file name without a directory part`, where, position);
      }
      const entrySize = pax?.has('size') ? Number(pax.get('size')) : size;
      if (!Number.isSafeInteger(entrySize) || entrySize < 0) throw tarInvalid('invalid entry size', where, position);
      if (options.maxEntrySize !== undefined && entrySize > options.maxEntrySize) {
        throw tarInvalid(`the archive's file declares ${entrySize} bytes, more than the limit of ${options.maxEntrySize}`, where, position);
      }
      entry = { name, size: entrySize, mtime: new Date(readNumber(block, 136, 12, 'mtime', where, position) * 1000) };
      break;
    }
    await options.onEntry(entry);
    let remaining = entry.size;
    while (remaining > 0) {
      const chunk = await reader.readSome(Math.min(remaining, 1 << 20));
      if (chunk === null) throw new StrongroomError('RYDE_TRUNCATED', `the tar archive ends inside ${entry.name} (${remaining} bytes missing)`, { location: where });
      remaining -= chunk.length;
      yield chunk;
    }
    const pad = await reader.readExact(padding(entry.size));
    if (pad === null) throw new StrongroomError('RYDE_TRUNCATED', 'the tar archive ends inside the entry padding', { location: where });
    let zeros = 0;
    for await (const chunk of reader.rest()) {
      if (!chunk.every((byte) => byte === 0)) throw tarInvalid('data after the tar entry: only one file is allowed', where, reader.position);
      zeros += chunk.length;
    }
    if (zeros < 2 * BLOCK || zeros % BLOCK !== 0) throw new StrongroomError('RYDE_TRUNCATED', 'the tar archive lacks its end-of-archive marker', { location: where });
  };
}
