/**
 * ASCII armour (RFC 9580 §6) for detached signatures: Spec 2 §4 step 5 wants binary
 * signatures, ICANN's RDE test system asks for armoured ones, so both are written and read.
 * The CRC-24 line is written for v4 signatures (gpg 2.2 and RFC 4880 expect it) and left out
 * for v6 (RFC 9580 §6.1: SHOULD NOT be generated); when present on input it must match.
 */
import { StrongroomError } from '../common/errors.js';

function crc24(data: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let bit = 0; bit < 8; bit++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}

export function armor(type: string, data: Buffer, withChecksum: boolean): string {
  const lines = [`-----BEGIN PGP ${type}-----`, ''];
  const base64 = data.toString('base64');
  for (let offset = 0; offset < base64.length; offset += 64) lines.push(base64.slice(offset, offset + 64));
  if (withChecksum) {
    const crc = Buffer.alloc(3);
    crc.writeUIntBE(crc24(data), 0, 3);
    lines.push(`=${crc.toString('base64')}`);
  }
  lines.push(`-----END PGP ${type}-----`, '');
  return lines.join('\n');
}

/** True when `data` starts like an armoured block (after optional whitespace). */
export function looksArmored(data: Buffer): boolean {
  return /^\s*-----BEGIN PGP /.test(data.subarray(0, 64).toString('latin1'));
}

/** Decode one armoured block of the given type; strict about structure and checksum. */
export function dearmor(text: string, type: string, where: string): Buffer {
  const lines = text.split(/\r?\n/).map((line) => line.replace(/[ \t]+$/, ''));
  const begin = lines.findIndex((line) => line.trim() !== '');
  if (begin === -1 || lines[begin] !== `-----BEGIN PGP ${type}-----`) {
    throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', `not an armoured PGP ${type}`, { location: where });
  }
  const end = lines.indexOf(`-----END PGP ${type}-----`, begin + 1);
  if (end === -1) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', `armoured PGP ${type} has no END line`, { location: where });
  if (lines.slice(end + 1).some((line) => line.trim() !== '')) {
    throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', `text after the armoured PGP ${type}`, { location: where });
  }
  let index = begin + 1;
  // Armour headers ("Key: Value") up to the blank line.
  while (index < end && lines[index] !== '') {
    if (!/^[A-Za-z][A-Za-z0-9-]*: /.test(lines[index]!)) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'malformed armour header line', { location: where });
    index++;
  }
  if (index >= end) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'armour has no body', { location: where });
  index++;
  let body = '';
  let checksum: string | undefined;
  for (; index < end; index++) {
    const line = lines[index]!;
    if (line.startsWith('=')) {
      if (index !== end - 1) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'armour checksum is not the last line', { location: where });
      checksum = line.slice(1);
      break;
    }
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'invalid base64 in armour', { location: where });
    body += line;
  }
  if (body.length % 4 !== 0 || /=[^=]/.test(body)) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'invalid base64 in armour', { location: where });
  const data = Buffer.from(body, 'base64');
  if (data.toString('base64') !== body) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'non-canonical base64 in armour', { location: where });
  if (checksum !== undefined) {
    const expected = Buffer.alloc(3);
    expected.writeUIntBE(crc24(data), 0, 3);
    if (checksum !== expected.toString('base64')) throw new StrongroomError('RYDE_SIGNATURE_MALFORMED', 'armour checksum mismatch', { location: where });
  }
  return data;
}
