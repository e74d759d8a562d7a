/**
 * Child process of bench/ryde.ts: runs one seal or unseal in a fresh process and reports its
 * wall time and peak RSS (process.resourceUsage().maxRSS), so the parent's own memory (data
 * generation, gpg plumbing) never counts.
 *
 *   node dist/bench/ryde-worker.js seal   <xml> <outDir> <registry.key.asc> <agent.pub.asc> [profile]
 *   node dist/bench/ryde-worker.js unseal <outDir> <inDir> <agent.key.asc> <registry.pub.asc> [profile]
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { unsealFiles } from '../src/ryde/decoder.js';
import { sealFile } from '../src/ryde/encoder.js';
import { loadSealKeys, loadUnsealKeys } from '../src/ryde/load.js';
import { parseProfileName, profile } from '../src/ryde/profiles.js';

const [mode, first, second, keyFile, otherKey, profileArg] = process.argv.slice(2);
const profileName = parseProfileName(profileArg ?? 'rfc4880');
const started = process.hrtime.bigint();
let bytes = 0;
if (mode === 'seal') {
  const keys = await loadSealKeys({ profile: profileName, keyFile: keyFile!, recipientFiles: [otherKey!] });
  const result = await sealFile(first!, { outDir: second!, signingKey: keys.signingKey, recipients: keys.recipients, profile: profile(profileName) });
  bytes = result.plaintextSize;
} else if (mode === 'unseal') {
  const keys = await loadUnsealKeys({ profile: profileName, keyFile: keyFile!, signerFiles: [otherKey!] });
  const files = readdirSync(second!).filter((file) => file.endsWith('.ryde') || file.endsWith('.sig')).map((file) => join(second!, file));
  const [result] = await unsealFiles(files, { outDir: first!, decryptionKeys: keys.decryptionKeys, verificationKeys: keys.verificationKeys });
  bytes = result!.size;
} else {
  throw new Error(`unknown mode ${mode}`);
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(`${JSON.stringify({ mode, seconds, bytes, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`);
