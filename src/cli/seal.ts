/**
 * `strongroom seal`: deposit XML file(s) → Spec 2 processed files (.ryde) and signatures (.sig).
 */
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { loadSealKeys } from '../ryde/load.js';
import { profile, parseProfileName, type CipherName } from '../ryde/profiles.js';
import { sealFile, type SealResult } from '../ryde/encoder.js';
import { action, positiveInt, printResult, progressFor, usageError, withCommon, type CommonOptions } from './command.js';
import { byteSize, collect, keySourceOptions } from './ryde-options.js';

interface SealCliOptions extends CommonOptions {
  key?: string;
  recipient: string[];
  keyring?: string;
  agent?: string;
  out: string;
  profile: string;
  cipher?: string;
  splitSize?: number;
  armor?: boolean;
  compressLevel?: number;
  passphraseFile?: string;
  warnDays?: number;
}

export function register(program: Command): void {
  withCommon(
    program
      .command('seal')
      .description(
        'Seal deposit XML files for the escrow agent (Spec 2 §4): tar → OpenPGP literal → ZIP → encrypt to the agent key(s) → split → one detached signature per part. Writes {tld}_{date}_{type}_S{n}_R{rev}.ryde and .sig; nothing is written in the clear.',
      )
      .argument('<files...>', 'deposit XML files named {tld}_{YYYY-MM-DD}_{full|diff|thin}_S1_R{rev}.xml')
      .requiredOption('--out <dir>', 'output directory')
      .option('--key <file>', "the registry's secret signing key (armoured or binary); default: the keyring's registry key")
      .option('--recipient <file>', "an escrow agent's public key (repeat for several: key rollover, several agents)", collect, [])
      .option('--keyring <dir>', 'keyring directory (default $STRONGROOM_HOME/keys or ~/.config/strongroom/keys); its pins apply')
      .option('--agent <name>', "use the keyring's keys of this escrow agent as recipients (and its pins)")
      .option('--profile <profile>', 'rfc4880 (default) | rfc4880-no-mdc (only for agents that demand it) | rfc9580', 'rfc4880')
      .option('--cipher <cipher>', 'aes256 (default) or aes128')
      .option('--split-size <bytes>', "the escrow agent's file size limit (e.g. 2G): larger messages are split into S1..Sn", byteSize('--split-size'))
      .option('--armor', 'ASCII-armoured signatures (ICANN RST); binary by default (Spec 2 §4 step 5)')
      .option('--compress-level <n>', 'DEFLATE level 1-9 (default 6)', positiveInt('--compress-level'))
      .option('--passphrase-file <file>', 'passphrase of the secret key (or $STRONGROOM_KEY_PASSPHRASE)')
      .option('--warn-days <n>', 'warn when a key expires within this many days (default 30)', positiveInt('--warn-days')),
  ).action(
    action(async (files: string[], options: SealCliOptions) => {
      const profileName = parseProfileName(options.profile);
      if (options.cipher !== undefined && options.cipher !== 'aes128' && options.cipher !== 'aes256') throw usageError(`--cipher must be aes128 or aes256, got "${options.cipher}"`);
      const progress = progressFor(options);
      const keys = await loadSealKeys({
        profile: profileName,
        ...(options.key ? { keyFile: options.key } : {}),
        recipientFiles: options.recipient,
        ...keySourceOptions(options),
      });
      for (const warning of keys.warnings) progress.warn(warning);
      await mkdir(options.out, { recursive: true });
      const results: SealResult[] = [];
      for (const file of files) {
        results.push(
          await sealFile(file, {
            outDir: options.out,
            signingKey: keys.signingKey,
            recipients: keys.recipients,
            profile: profile(profileName, (options.cipher as CipherName | undefined) ?? 'aes256'),
            ...(options.splitSize !== undefined ? { splitSize: options.splitSize } : {}),
            ...(options.armor ? { armorSignatures: true } : {}),
            ...(options.compressLevel !== undefined ? { compressionLevel: options.compressLevel } : {}),
            progress,
          }),
        );
      }
      printResult(options, { sealed: results, warnings: keys.warnings }, () =>
        results
          .map((result) =>
            [
              `${result.deposit}: ${result.plaintextSize} bytes sealed into ${result.parts.length} part(s), ${result.sealedSize} bytes (profile ${result.profile})`,
              `  signer ${result.signer}; recipients ${result.recipients.join(', ')}`,
              ...result.parts.map((part) => `  ${part.ryde} (${part.size} bytes) + ${part.sig}`),
            ].join('\n'),
          )
          .join('\n'),
      );
    }),
  );
}
