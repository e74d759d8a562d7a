/**
 * RyDE: sealing deposits into Spec 2 processed files (tar → OpenPGP literal → ZIP compression →
 * encryption to the escrow agent → split → detached signatures) and opening them again, plus the
 * keys and keyrings that go with it. See docs/ryde.md for the design and the measurements
 * behind the engine choice.
 *
 * The deposit writer's entry points:
 *   - `openEncryptedSpool()` to stage the XML without plaintext at rest and learn its size;
 *   - `loadSealKeys()` (or the lower-level key functions) to get checked keys;
 *   - `sealDeposit({ name, size, source }, options)` to write the .ryde/.sig files.
 */
export { sealDeposit, sealFile, type SealInput, type SealOptions, type SealResult, type SealedPart } from './encoder.js';
export { unsealDeposit, unsealFiles, groupDepositFiles, type UnsealOptions, type UnsealResult } from './decoder.js';
export { openEncryptedSpool, type EncryptedSpool } from './spool.js';
export { parseDepositName, formatDepositName, depositKey, type DepositName, type DepositKind } from './naming.js';
export { profile, parseProfileName, PROFILE_NAMES, DEFAULT_PROFILE, NO_MDC_WARNING, type Profile, type ProfileName, type CipherName } from './profiles.js';
export {
  readKeyFile,
  parseKey,
  signingKeyFrom,
  verificationKeysFrom,
  recipientKeyFrom,
  decryptionKeyFrom,
  generateKeyPair,
  summarizeKey,
  fingerprintOf,
  DEFAULT_WARN_DAYS,
  type KeyPolicy,
  type SigningKey,
  type VerificationKey,
  type RecipientKey,
  type DecryptionKey,
  type KeySummary,
} from './keys.js';
export { loadSealKeys, loadUnsealKeys, type LoadKeysOptions, type SealKeysOptions, type UnsealKeysOptions } from './load.js';
export { Keyring, defaultKeyringDir, parseRole, type KeyRole } from './keyring.js';
export { sweepStaleTemps, spoolDirectory } from './temp.js';
