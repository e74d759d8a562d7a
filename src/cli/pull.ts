/**
 * `strongroom pull --from <outbox> --to <dir>`: the registry's own copy fetches new files from
 * the operator's outbox (the operator never gets access to the copy).
 */
import type { Command } from 'commander';
import { isAbsolute, resolve } from 'node:path';
import { EXIT_STATUS } from '../common/errors.js';
import { loadConfig } from '../config/load.js';
import { DirectoryTransport } from '../transports/directory.js';
import { pullOutbox } from '../transports/deliver.js';
import { findDestination, transportFor } from '../transports/destinations.js';
import { RetryTransport } from '../transports/retry.js';
import type { Transport } from '../transports/transport.js';
import { action, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface PullCliOptions extends CommonOptions {
  from: string;
  to: string;
  config?: string;
  registry?: string;
}

export function register(program: Command): void {
  withCommon(
    program
      .command('pull')
      .description(
        "Fetch new files from an outbox (pull mode: the registry's own copy pulls, so the operator cannot reach it). Every file needs a <file>.sha256 sidecar; it is fetched under a temporary name, its size and SHA-256 checked, then renamed. Files already fetched are skipped (running again is harmless); local files that differ are never overwritten.",
      )
      .requiredOption('--from <outbox>', 'the outbox: a destination name from the configuration (sftp, s3 or directory), or a local directory path')
      .requiredOption('--to <dir>', 'local directory of the registry copy')
      .option('--config <file>', 'configuration file (default $STRONGROOM_CONFIG or ./strongroom.yaml); needed when --from is a name')
      .option('--registry <id>', 'registry whose configuration names the outbox'),
    [[EXIT_STATUS.findings, 'some files were not fetched: no sidecar, verification failed, or a local file differs']],
  ).action(
    action(async (options: PullCliOptions) => {
      const progress = progressFor(options);
      let outbox: Transport;
      if (options.from.includes('/') || options.from.startsWith('.') || isAbsolute(options.from)) {
        outbox = new DirectoryTransport(resolve(options.from));
      } else {
        const loaded = await loadConfig(options.config);
        const { name, config } = findDestination(loaded, options.from, options.registry);
        outbox = new RetryTransport(await transportFor(loaded, name, config));
      }
      try {
        const result = await pullOutbox(outbox, new DirectoryTransport(resolve(options.to)), { progress });
        printResult(options, { from: outbox.description, to: resolve(options.to), ...result }, () =>
          [
            `pulled from ${outbox.description}: ${result.fetched.length} fetched, ${result.alreadyPresent.length} already present, ${result.findings.length} problem(s)`,
            ...result.fetched.map((f) => `  fetched ${f.name}  ${f.size} bytes  sha256 ${f.sha256}`),
            ...result.findings.map((f) => `  ${f.severity} ${f.code}: ${f.message}`),
          ].join('\n'),
        );
        return result.findings.some((finding) => finding.severity === 'error') ? EXIT_STATUS.findings : EXIT_STATUS.ok;
      } finally {
        await outbox.close();
      }
    }),
  );
}
