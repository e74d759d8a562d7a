/**
 * `strongroom unseal`: .ryde + .sig files → the deposit XML, after every signature verified.
 */
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { unsealFiles } from '../ryde/decoder.js';
import { loadUnsealKeys } from '../ryde/load.js';
import { parseProfileName } from '../ryde/profiles.js';
import { action, positiveInt, printResult, progressFor, withCommon, type CommonOptions } from './command.js';
import { collect, keySourceOptions } from './ryde-options.js';

interface UnsealCliOptions extends CommonOptions {
  key?: string;
  signer: string[];
  keyring?: string;
  agent?: string;
  out: string;
  profile?: string;
  passphraseFile?: string;
  warnDays?: number;
}

export function register(program: Command): void {
  withCommon(
    program
      .command('unseal')
      .description(
        "Open sealed deposits (Spec 2 §8 steps 1-3): verify every part's signature, join the parts, decrypt, decompress and extract the deposit XML. The output appears under its final name only after every check passed.",
      )
      .argument('<files...>', '.ryde and .sig files (all parts of one or more deposits, any order)')
      .requiredOption('--out <dir>', 'output directory for the deposit XML')
      .option('--key <file>', "the escrow agent's secret key; default: the keyring's keys of --agent")
      .option('--signer <file>', "the registry's public key (repeat for several); default: the keyring's registry key", collect, [])
      .option('--keyring <dir>', 'keyring directory (default $STRONGROOM_HOME/keys or ~/.config/strongroom/keys); its pins apply')
      .option('--agent <name>', "use the keyring's keys of this escrow agent")
      .option('--profile <profile>', 'restrict keys to a profile; rfc4880-no-mdc also accepts messages without MDC')
      .option('--passphrase-file <file>', 'passphrase of the secret key (or $STRONGROOM_KEY_PASSPHRASE)')
      .option('--warn-days <n>', 'warn when a key expires within this many days (default 30)', positiveInt('--warn-days')),
  ).action(
    action(async (files: string[], options: UnsealCliOptions) => {
      const profileName = options.profile === undefined ? undefined : parseProfileName(options.profile);
      const progress = progressFor(options);
      const keys = await loadUnsealKeys({
        ...(profileName ? { profile: profileName } : {}),
        ...(options.key ? { keyFile: options.key } : {}),
        signerFiles: options.signer,
        ...keySourceOptions(options),
      });
      for (const warning of keys.warnings) progress.warn(warning);
      await mkdir(options.out, { recursive: true });
      const results = await unsealFiles(files, {
        outDir: options.out,
        decryptionKeys: keys.decryptionKeys,
        verificationKeys: keys.verificationKeys,
        ...(profileName === 'rfc4880-no-mdc' ? { allowNoMdc: true } : {}),
        progress,
      });
      for (const result of results) for (const warning of result.warnings) progress.warn(warning);
      printResult(options, { unsealed: results, warnings: keys.warnings }, () =>
        results
          .map((result) => `${result.deposit}: ${result.parts} part(s) verified (signer ${result.signer}), ${result.encryption} decrypted for ${result.recipient}\n  ${result.file} (${result.size} bytes)`)
          .join('\n'),
      );
    }),
  );
}
