/**
 * `strongroom seal`: deposit XML file(s) → Spec 2 processed files (.ryde) and signatures (.sig).
 */
import type { Command } from 'commander';
import { mkdir } from 'node:fs/promises';
import { sealFile, type SealResult } from '../ryde/encoder.js';
import { action, printResult, progressFor, withCommon, type CommonOptions } from './command.js';
import { sealSetup, withSealOptions, type SealCliOptions } from './ryde-options.js';

interface SealCommandOptions extends CommonOptions, SealCliOptions {
  out: string;
}

export function register(program: Command): void {
  const command = program
    .command('seal')
    .description(
      'Seal deposit XML files for the escrow agent (Spec 2 §4): tar → OpenPGP literal → ZIP → encrypt to the agent key(s) → split → one detached signature per part. Writes {tld}_{date}_{type}_S{n}_R{rev}.ryde and .sig; nothing is written in the clear.',
    )
    .argument('<files...>', 'deposit XML files named {tld}_{YYYY-MM-DD}_{full|diff|thin}_S1_R{rev}.xml')
    .requiredOption('--out <dir>', 'output directory');
  withCommon(withSealOptions(command)).action(
    action(async (files: string[], options: SealCommandOptions) => {
      const progress = progressFor(options);
      const { seal, warnings } = await sealSetup(options, progress);
      await mkdir(options.out, { recursive: true });
      const results: SealResult[] = [];
      for (const file of files) {
        results.push(await sealFile(file, { ...seal, outDir: options.out, progress }));
      }
      printResult(options, { sealed: results, warnings }, () =>
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
