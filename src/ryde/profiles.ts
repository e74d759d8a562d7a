/**
 * Sealing profiles: what an escrow agent accepts, chosen per agent.
 *
 * - `rfc4880` (default): v4 keys (RSA ≥ 3072 bits, or EdDSA/ECDH on Curve25519 in their RFC 4880bis
 *   "legacy" encodings that gpg 2.2 reads), v4 signatures, PKESK v3, SEIPD v1 (CFB + MDC, RFC 4880
 *   §5.13) with AES-256. Spec 2 Part A §4 step 3 lists AES-128 among the suggested ciphers;
 *   AES-256 is an RFC 4880 cipher too, equally fast with AES-NI, and what gpg and openpgp.js
 *   prefer, so it is the default and AES-128 is available (`cipher: 'aes128'`).
 * - `rfc4880-no-mdc`: as `rfc4880` but a Symmetrically Encrypted Data packet (tag 9, RFC 4880
 *   §5.7) without the modification detection code, as Nomulus writes; only for agents that
 *   demand it, opt-in with a loud warning: the message's integrity then rests on the detached
 *   signatures alone.
 * - `rfc9580`: v6 keys with Ed25519 (27) and X25519 (25), v6 signatures, PKESK v6 and SEIPD v2
 *   (RFC 9580 §5.13.2) with AES-256 in OCB mode (the MUST-implement AEAD, §9.6), chunk size
 *   2^20 bytes (chunk size octet 14; RFC 9580 §5.13.2 allows 0–16).
 */
import { StrongroomError } from '../common/errors.js';
import { AEAD, SYM } from './packets.js';

export type ProfileName = 'rfc4880' | 'rfc4880-no-mdc' | 'rfc9580';
export const PROFILE_NAMES: readonly ProfileName[] = ['rfc4880', 'rfc4880-no-mdc', 'rfc9580'];
export const DEFAULT_PROFILE: ProfileName = 'rfc4880';

export type CipherName = 'aes128' | 'aes256';

export interface Profile {
  name: ProfileName;
  keyVersion: 4 | 6;
  /** 0 = SED (tag 9, no MDC), 1 = SEIPD v1, 2 = SEIPD v2. */
  encryption: 0 | 1 | 2;
  cipher: number;
  aead?: number;
  /** log2(AEAD chunk size) − 6, the chunk size octet of SEIPD v2. */
  chunkSizeOctet?: number;
}

export function parseProfileName(value: string): ProfileName {
  if ((PROFILE_NAMES as readonly string[]).includes(value)) return value as ProfileName;
  throw new StrongroomError('RYDE_INVALID_ARGUMENT', `unknown profile "${value}" (expected ${PROFILE_NAMES.join(', ')})`);
}

export function profile(name: ProfileName, cipher: CipherName = 'aes256'): Profile {
  const sym = cipher === 'aes128' ? SYM.AES128 : SYM.AES256;
  switch (name) {
    case 'rfc4880':
      return { name, keyVersion: 4, encryption: 1, cipher: sym };
    case 'rfc4880-no-mdc':
      return { name, keyVersion: 4, encryption: 0, cipher: sym };
    case 'rfc9580':
      return { name, keyVersion: 6, encryption: 2, cipher: sym, aead: AEAD.OCB, chunkSizeOctet: 14 };
  }
}

/** The warning every no-MDC seal and unseal prints. */
export const NO_MDC_WARNING =
  'profile rfc4880-no-mdc: the message carries no modification detection code (RFC 4880 tag 9); its integrity rests on the detached signatures alone. Use it only for an escrow agent that demands it.';
