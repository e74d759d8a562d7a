/**
 * `strongroom push --to <destination> <files…>`: send files to a configured destination, after
 * checking the registry's consent; escrow agents get only .ryde/.sig and at most one deposit
 * per TLD per cooldown.
 */
import type { Command } from 'commander';
import { EXIT_STATUS } from '../common/errors.js';
import { loadConfig } from '../config/load.js';
import { pushFiles } from '../transports/deliver.js';
import { openDestination } from '../transports/destinations.js';
import { action, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface PushCliOptions extends CommonOptions {
  to: string;
  config?: string;
  registry?: string;
  overwrite?: boolean;
}

export function register(program: Command): void {
  withCommon(
    program
      .command('push')
      .description(
        "Send files to a destination of the configuration (SFTP, S3 or a directory). Refused unless the registry consented to that destination. Each file is verified after upload (size and SHA-256) and appears under its final name only when complete. Escrow agents receive only sealed .ryde files and .sig signatures, at most one deposit per TLD per cooldown (default 2h); other destinations also get a <file>.sha256 sidecar for `strongroom pull`.",
      )
      .argument('<files...>', 'local files to send (sent under their base names)')
      .requiredOption('--to <destination>', 'destination name from the configuration (or <registry>/<name>)')
      .option('--config <file>', 'configuration file (default $STRONGROOM_CONFIG or ./strongroom.yaml)')
      .option('--registry <id>', 'registry whose destination it is (when the name is in several)')
      .option('--overwrite', 'replace objects that already exist (default: refuse)'),
    [[EXIT_STATUS.refused, 'refused: no consent for the destination, a file an escrow agent may not receive, cooldown, or the object exists']],
  ).action(
    action(async (files: string[], options: PushCliOptions) => {
      const progress = progressFor(options);
      const loaded = await loadConfig(options.config);
      const destination = await openDestination(loaded, options.to, options.registry ? { registry: options.registry } : {});
      try {
        const retentionDays = destination.config.retentionDays;
        const results = await pushFiles(destination.transport, files, {
          sidecars: destination.config.purpose !== 'escrow-agent',
          ...(options.overwrite ? { overwrite: true } : {}),
          ...(retentionDays ? { retainUntil: new Date(Date.now() + retentionDays * 86_400_000) } : {}),
          progress,
        });
        printResult(
          options,
          { registry: destination.registry, destination: destination.name, purpose: destination.config.purpose, target: destination.transport.description, sent: results },
          () => [`sent ${results.length} file(s) to ${destination.registry}/${destination.name} (${destination.transport.description}):`, ...results.map((r) => `  ${r.name}  ${r.size} bytes  sha256 ${r.sha256}`)].join('\n'),
        );
      } finally {
        await destination.transport.close();
      }
    }),
  );
}
