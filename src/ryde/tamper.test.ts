/**
 * Tamper evidence: every modification of a sealed deposit is detected with a specific error
 * code, and nothing is written to the output directory when it is.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type ErrorCode, isStrongroomError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { unsealFiles, type UnsealOptions } from './decoder.js';
import { sealFile, type SealResult } from './encoder.js';
import { profile } from './profiles.js';
import { PART_NOTATION, finishSignature, parseSignature, startSignatureHash } from './signature.js';
import { depositXml, tempDir, testKeys, type TestKeys } from './testing/fixtures.js';

const NAME = 'example_2024-01-07_full_S1_R0.xml';

async function sealed(dir: string, keys: TestKeys, splitSize = 12_000, seed = 31): Promise<SealResult> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, NAME), depositXml(300_000, seed));
  return sealFile(join(dir, NAME), { outDir: join(dir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880'), splitSize });
}

function filesOf(result: SealResult): string[] {
  return result.parts.flatMap((part) => [part.ryde, part.sig]);
}

/** A sealed deposit in `dir` with its file list and unseal options (output in dir/back). */
async function fixture(dir: string): Promise<{ keys: TestKeys; result: SealResult; files: string[]; out: string; options: UnsealOptions }> {
  const keys = await testKeys('rfc4880');
  const result = await sealed(dir, keys);
  const out = join(dir, 'back');
  return { keys, result, files: filesOf(result), out, options: { outDir: out, decryptionKeys: [keys.decryption], verificationKeys: keys.verification } };
}

async function expectCode(files: string[], options: UnsealOptions, codes: readonly ErrorCode[]): Promise<ErrorCode> {
  try {
    await unsealFiles(files, options);
  } catch (err) {
    if (isStrongroomError(err) && codes.includes(err.code)) return err.code;
    throw err;
  }
  assert.fail(`expected one of ${codes.join(', ')}, but the deposit opened`);
}

/** A tiny deterministic PRNG, so a failing flip can be replayed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

test('1200 random byte flips across parts and signatures: every one is detected with a specific code', async (t) => {
  const dir = tempDir(t);
  const keys = await testKeys('rfc4880', 'ed25519');
  const result = await sealed(dir, keys);
  const files = filesOf(result);
  assert.ok(result.parts.length >= 3, `${result.parts.length} parts`);
  const out = join(dir, 'back');
  mkdirSync(out);
  const options: UnsealOptions = { outDir: out, decryptionKeys: [keys.decryption], verificationKeys: keys.verification };
  await unsealFiles(files, { ...options, outDir: join(dir, 'clean') }); // the untouched set opens
  const original = new Map(files.map((file) => [file, readFileSync(file)]));
  const random = prng(20240107);
  const tally = new Map<string, number>();
  const FLIPS = 1200;
  for (let flip = 0; flip < FLIPS; flip++) {
    // Half the flips in parts, half in signatures.
    const pool = flip % 2 === 0 ? files.filter((file) => file.endsWith('.ryde')) : files.filter((file) => file.endsWith('.sig'));
    const file = pool[Math.floor(random() * pool.length)]!;
    const bytes = Buffer.from(original.get(file)!);
    const offset = Math.floor(random() * bytes.length);
    const mask = 1 + Math.floor(random() * 255);
    bytes[offset] = bytes[offset]! ^ mask;
    writeFileSync(file, bytes);
    const expected: ErrorCode[] = file.endsWith('.ryde') ? ['RYDE_SIGNATURE_BAD'] : ['RYDE_SIGNATURE_BAD', 'RYDE_SIGNATURE_MALFORMED', 'RYDE_SIGNATURE_WRONG_KEY'];
    const code = await expectCode(files, options, expected).catch((err: unknown) => {
      throw new Error(`flip ${flip}: ${basename(file)} byte ${offset} ^ 0x${mask.toString(16)}: ${String(err)}`);
    });
    const key = `${file.endsWith('.ryde') ? 'part' : 'signature'} → ${code}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    writeFileSync(file, original.get(file)!);
  }
  t.diagnostic(JSON.stringify(Object.fromEntries(tally)));
  assert.equal([...tally.values()].reduce((sum, n) => sum + n, 0), FLIPS);
  assert.deepEqual(readdirSync(out), [], 'no output, not even a temp file, after any failed unseal');
});

test('truncated, missing, reordered and foreign parts are each refused with their own code', async (t) => {
  const dir = tempDir(t);
  const { keys, result, files, out, options } = await fixture(dir);
  const s1 = result.parts[0]!;
  const s2 = result.parts[1]!;

  // Truncated part.
  const s2bytes = readFileSync(s2.ryde);
  const s2sig = readFileSync(s2.sig);
  writeFileSync(s2.ryde, s2bytes.subarray(0, s2bytes.length - 100));
  assert.equal(await expectCode(files, options, ['RYDE_SIGNATURE_BAD']), 'RYDE_SIGNATURE_BAD');
  writeFileSync(s2.ryde, s2bytes);

  // Missing middle part, missing last part.
  assert.equal(await expectCode(files.filter((file) => !file.includes('_S2_')), options, ['RYDE_PART_MISSING']), 'RYDE_PART_MISSING');
  const last = result.parts.length;
  assert.equal(await expectCode(files.filter((file) => !file.includes(`_S${last}_`)), options, ['RYDE_PART_MISSING']), 'RYDE_PART_MISSING');

  // Parts out of order: S1 and S2 swapped (each with its own valid signature).
  const swap = (a: string, b: string): void => {
    renameSync(a, `${a}.swap`);
    renameSync(b, a);
    renameSync(`${a}.swap`, b);
  };
  swap(s1.ryde, s2.ryde);
  swap(s1.sig, s2.sig);
  assert.equal(await expectCode(files, options, ['RYDE_PART_MISPLACED']), 'RYDE_PART_MISPLACED');
  swap(s1.ryde, s2.ryde);
  swap(s1.sig, s2.sig);

  // A part from another seal of the same deposit (a re-run): signed, same name, other seal.
  const other = await sealed(join(dir, 'other'), keys);
  copyFileSync(other.parts[1]!.ryde, s2.ryde);
  copyFileSync(other.parts[1]!.sig, s2.sig);
  assert.equal(await expectCode(files, options, ['RYDE_PART_FOREIGN']), 'RYDE_PART_FOREIGN');
  writeFileSync(s2.ryde, s2bytes);
  writeFileSync(s2.sig, s2sig);

  // A part of another deposit renamed into this one.
  const foreignDir = join(dir, 'foreign');
  mkdirSync(foreignDir);
  writeFileSync(join(foreignDir, 'example_2024-01-14_full_S1_R0.xml'), depositXml(300_000, 77));
  const foreign = await sealFile(join(foreignDir, 'example_2024-01-14_full_S1_R0.xml'), { outDir: join(foreignDir, 'out'), signingKey: keys.signing, recipients: [keys.recipient], profile: profile('rfc4880'), splitSize: 12_000 });
  copyFileSync(foreign.parts[1]!.ryde, s2.ryde);
  copyFileSync(foreign.parts[1]!.sig, s2.sig);
  assert.equal(await expectCode(files, options, ['RYDE_PART_FOREIGN']), 'RYDE_PART_FOREIGN');
  writeFileSync(s2.ryde, s2bytes);
  writeFileSync(s2.sig, s2sig);

  await unsealFiles(files, options); // restored: opens again
  assert.deepEqual(readdirSync(out), [NAME]);
});

test('wrong recipient, another signer, an MDC failure under a valid signature, and a part rewritten between the passes', async (t) => {
  const dir = tempDir(t);
  const { keys, result, files, out, options } = await fixture(dir);

  const stranger = await testKeys('rfc4880', undefined, 'stranger');
  assert.equal(await expectCode(files, { ...options, decryptionKeys: [stranger.decryption] }, ['RYDE_NOT_A_RECIPIENT']), 'RYDE_NOT_A_RECIPIENT');

  // A signature by another key (a valid signature, wrong signer).
  const s1 = result.parts[0]!;
  const s1sig = readFileSync(s1.sig);
  // testKeys(…, 'ed25519', …) has its own registry key: a stranger to this RSA registry key.
  const forger = await testKeys('rfc4880', 'ed25519', 'forger');
  const state = startSignatureHash(forger.signing.version);
  state.hash.update(readFileSync(s1.ryde));
  writeFileSync(s1.sig, finishSignature(state, forger.signing, { created: new Date() }));
  assert.equal(await expectCode(files, options, ['RYDE_SIGNATURE_WRONG_KEY']), 'RYDE_SIGNATURE_WRONG_KEY');
  writeFileSync(s1.sig, s1sig);

  // Modified ciphertext re-signed by the registry itself: the signature is valid, the MDC is
  // not; the MDC failure takes precedence over whatever the garbled plaintext broke first.
  const lastPart = result.parts[result.parts.length - 1]!;
  const lastBytes = readFileSync(lastPart.ryde);
  const lastSig = readFileSync(lastPart.sig);
  const modified = Buffer.from(lastBytes);
  const middle = modified.length >> 1;
  modified[middle] = modified[middle]! ^ 0x40;
  writeFileSync(lastPart.ryde, modified);
  const resign = startSignatureHash(4);
  resign.hash.update(modified);
  const notation = parseSignature(lastSig, 'sig');
  writeFileSync(lastPart.sig, finishSignature(resign, keys.signing, { created: new Date(), notations: [{ name: PART_NOTATION, value: (await notation).notations.get(PART_NOTATION)! }] }));
  assert.equal(await expectCode(files, options, ['RYDE_MDC_MISMATCH']), 'RYDE_MDC_MISMATCH');
  writeFileSync(lastPart.ryde, lastBytes);
  writeFileSync(lastPart.sig, lastSig);

  // A part rewritten after its signature was verified (between the hashing and decoding passes):
  // a Progress that starts the decode task is the fault injector.
  const s2 = result.parts[1]!;
  const s2bytes = readFileSync(s2.ryde);
  const injector: Progress = {
    task: (name) => {
      if (name.startsWith('unseal')) {
        const changed = Buffer.from(s2bytes);
        changed[10] = changed[10]! ^ 1;
        writeFileSync(s2.ryde, changed);
      }
      return { add: () => undefined, done: () => undefined };
    },
    note: () => undefined,
    warn: () => undefined,
  };
  assert.equal(await expectCode(files, { ...options, progress: injector }, ['RYDE_PART_CHANGED']), 'RYDE_PART_CHANGED');
  writeFileSync(s2.ryde, s2bytes);
  assert.deepEqual(readdirSync(out).filter((file) => !file.startsWith('.')), []);
  assert.deepEqual(readdirSync(out), []);
});
