/**
 * `strongroom notify`: send one notification event (JSON) to the channels of a configuration
 * file's notify section — to test a configuration, or from an operator's own scripts. The
 * daemon sends the same events itself.
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { EXIT_STATUS, StrongroomError, messageOf } from '../common/errors.js';
import { parseNotifyConfig } from '../notify/config.js';
import { parseNotifyEvent } from '../notify/events.js';
import { assertDelivered, notify, type NotifyResult } from '../notify/notifier.js';
import { action, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface NotifyCliOptions extends CommonOptions {
  config: string;
  event: string;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return path === '-' ? await readStdin() : await readFile(path, 'utf8');
  } catch (err) {
    throw new StrongroomError('FILE_NOT_FOUND', `cannot read the ${what} ${path}: ${messageOf(err)}`, { location: path });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The notify section of a YAML/JSON file: its `notify` key, or the whole document. */
export async function loadNotifyConfig(path: string) {
  let document: unknown;
  try {
    document = parseYaml(await readText(path, 'configuration'));
  } catch (err) {
    if (err instanceof StrongroomError) throw err;
    throw new StrongroomError('NOTIFY_CONFIG_INVALID', `${path} is not valid YAML or JSON: ${messageOf(err)}`, { location: path });
  }
  const section = document !== null && typeof document === 'object' && 'notify' in document ? (document as { notify: unknown }).notify : document;
  return parseNotifyConfig(section, path);
}

function summary(result: NotifyResult): string {
  const lines = [`event       ${result.event} (delivery ${result.id})`];
  if (result.deliveries.length === 0) lines.push('channels    none subscribed to this event');
  for (const d of result.deliveries) {
    lines.push(`${d.channel.padEnd(20)}${d.ok ? 'delivered' : `FAILED ${d.code}`} after ${d.attempts} attempt(s)${d.status ? ` (${d.status})` : ''}${d.ok ? '' : `: ${d.message}`}`);
  }
  return lines.join('\n');
}

export async function runNotify(options: NotifyCliOptions): Promise<number> {
  const config = await loadNotifyConfig(options.config);
  let input: unknown;
  try {
    input = JSON.parse(await readText(options.event, 'event file'));
  } catch (err) {
    if (err instanceof StrongroomError) throw err;
    throw new StrongroomError('NOTIFY_EVENT_INVALID', `${options.event} is not JSON: ${messageOf(err)}`, { location: options.event });
  }
  const event = parseNotifyEvent(input, options.event);
  const result = await notify(event, config, { progress: progressFor(options) });
  if (result.deliveries.every((d) => d.ok)) {
    printResult(options, result, () => summary(result));
    return EXIT_STATUS.ok;
  }
  if (!options.json) process.stdout.write(`${summary(result)}\n`);
  assertDelivered(result);
  return EXIT_STATUS.ok;
}

export function register(program: Command): void {
  withCommon(
    program
      .command('notify')
      .description(
        'Send one notification event (deposit.succeeded, deposit.failed, deposit.overdue, key.expiring; JSON as in docs/notifications.md) ' +
          "to every e-mail and webhook channel of a configuration's notify section that subscribes to it. Secrets come from files or the environment.",
      )
      .requiredOption('--config <file>', 'YAML or JSON file with a notify section (or the section itself)')
      .requiredOption('--event <file>', 'the event as JSON ("-" reads standard input)'),
    [
      [EXIT_STATUS.config, 'the notify configuration is invalid'],
      [EXIT_STATUS.input, 'the event is not a valid notification event'],
      [EXIT_STATUS.io, 'at least one channel failed after its retries (each failure is listed with its NOTIFY_* code)'],
    ],
  ).action(action(async (options: NotifyCliOptions) => runNotify(options)));
}
