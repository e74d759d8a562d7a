/**
 * From configuration to a ready transport: find the destination, refuse it unless the
 * registry consented to it, read its secrets (files or environment only), build the transport
 * for its kind, and stack the policies of its purpose:
 *
 *     kind transport (directory | sftp | s3) → RetryTransport → [escrow-agent: SealedOnly → Cooldown]
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StrongroomError, messageOf } from '../common/errors.js';
import type { LoadedConfig } from '../config/load.js';
import type { DestinationConfig } from '../config/destinations.js';
import { readSecret, readSecretText } from '../config/secrets.js';
import { DirectoryTransport } from './directory.js';
import { CooldownTransport, SealedOnlyTransport } from './policy.js';
import { RetryTransport, type RetryPolicy } from './retry.js';
import { S3Transport } from './s3.js';
import { SftpTransport } from './sftp.js';
import type { Transport } from './transport.js';

/** Spec 2 deposits of one TLD closer than this are merged by escrow agents (issue 7 item 2). */
export const DEFAULT_COOLDOWN_MS = 2 * 3_600_000;

export interface OpenedDestination {
  registry: string;
  name: string;
  config: DestinationConfig;
  transport: Transport;
}

export interface OpenOptions {
  /** The registry id; may be omitted when the configuration has exactly one. */
  registry?: string;
  env?: NodeJS.ProcessEnv;
  /** Overrides of the retry policy (tests). */
  retry?: RetryPolicy;
  now?: () => Date;
}

/** Resolve `name` (or `registry/name`) to its registry and configuration. */
export function findDestination(loaded: LoadedConfig, spec: string, registryId?: string): { registry: string; name: string; config: DestinationConfig } {
  let wantedRegistry = registryId;
  let name = spec;
  if (spec.includes('/')) [wantedRegistry, name] = spec.split('/', 2) as [string, string];
  const registries = Object.keys(loaded.config.registries);
  if (!wantedRegistry) {
    const holders = registries.filter((id) => loaded.config.registries[id]!.destinations[name]);
    if (holders.length === 1) wantedRegistry = holders[0]!;
    else if (holders.length > 1) throw new StrongroomError('DESTINATION_UNKNOWN', `destination "${name}" exists in several registries (${holders.join(', ')}): say which with --registry or <registry>/${name}`);
  }
  const registry = wantedRegistry ? loaded.config.registries[wantedRegistry] : undefined;
  const config = registry?.destinations[name];
  if (!registry || !config) {
    throw new StrongroomError('DESTINATION_UNKNOWN', `no destination "${spec}" in ${loaded.path} (registries: ${registries.join(', ') || 'none'})`, { location: loaded.path });
  }
  return { registry: wantedRegistry!, name, config };
}

/** Refuse a destination the registry has not consented to, saying why and where to record it. */
export function checkConsent(loaded: LoadedConfig, registry: string, name: string, config: DestinationConfig): void {
  const where = loaded.where(['registries', registry, 'destinations', name]);
  if (!config.consent) {
    throw new StrongroomError(
      'DESTINATION_NOT_CONSENTED',
      `refusing to send registry ${registry}'s data to "${name}" (${config.purpose}, ${config.url}): no consent is recorded for it. Record the registry's decision as consent: { granted: true, by: …, date: … } in the destination (${where})`,
      { location: where, data: { registry, destination: name } },
    );
  }
  if (!config.consent.granted) {
    throw new StrongroomError(
      'DESTINATION_NOT_CONSENTED',
      `refusing to send registry ${registry}'s data to "${name}": its consent is recorded as not granted (by ${config.consent.by} on ${config.consent.date}) at ${where}`,
      { location: where, data: { registry, destination: name } },
    );
  }
}

function directoryPath(url: string, baseDir: string): string {
  const path = url.startsWith('file:') ? fileURLToPath(url) : url;
  return isAbsolute(path) ? path : resolve(baseDir, path);
}

/** Build the bare transport of a destination (no consent check, no policies): also used by pull. */
export async function transportFor(loaded: LoadedConfig, name: string, config: DestinationConfig, env: NodeJS.ProcessEnv = process.env): Promise<Transport> {
  const baseDir = loaded.baseDir;
  const creds = config.credentials ?? {};
  if (config.kind === 'directory') return new DirectoryTransport(directoryPath(config.url, baseDir));
  let url: URL;
  try {
    url = new URL(config.url);
  } catch (err) {
    throw new StrongroomError('TRANSPORT_URL_INVALID', `destination ${name}: bad URL "${config.url}": ${messageOf(err)}`);
  }
  if (config.kind === 'sftp') {
    if (url.password) throw new StrongroomError('TRANSPORT_URL_INVALID', `destination ${name}: no password in the URL; sftp uses key authentication (credentials.privateKey)`);
    const knownHosts = config.hostKey?.knownHostsFile ? await readFile(resolve(baseDir, config.hostKey.knownHostsFile), 'utf8').catch((err) => {
      throw new StrongroomError('CONFIG_SECRET_UNREADABLE', `destination ${name}: cannot read hostKey.knownHostsFile: ${messageOf(err)}`);
    }) : undefined;
    return new SftpTransport({
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : 22,
      username: decodeURIComponent(url.username),
      privateKey: await readSecret(creds.privateKey!, baseDir, env),
      ...(creds.passphrase ? { passphrase: await readSecretText(creds.passphrase, baseDir, env) } : {}),
      hostKey: { ...(knownHosts ? { knownHosts } : {}), ...(config.hostKey?.fingerprints ? { fingerprints: config.hostKey.fingerprints } : {}) },
      root: decodeURIComponent(url.pathname) || '.',
      ...(config.verify ? { verify: config.verify } : {}),
    });
  }
  return new S3Transport({
    bucket: url.hostname,
    prefix: decodeURIComponent(url.pathname.replace(/^\//, '')),
    ...(url.searchParams.get('endpoint') ? { endpoint: url.searchParams.get('endpoint')! } : {}),
    ...(url.searchParams.get('region') ? { region: url.searchParams.get('region')! } : {}),
    ...(url.searchParams.get('checksums') === 'off' ? { checksums: 'off' as const } : {}),
    credentials: { accessKeyId: await readSecretText(creds.accessKeyId!, baseDir, env), secretAccessKey: await readSecretText(creds.secretAccessKey!, baseDir, env) },
    ...(config.verify ? { verify: config.verify } : {}),
  });
}

/** Where persistent state lives: `state` in the configuration, else $STRONGROOM_STATE, else next to the file. */
export function stateDir(loaded: LoadedConfig, env: NodeJS.ProcessEnv = process.env): string {
  return resolve(loaded.baseDir, loaded.config.state ?? env.STRONGROOM_STATE ?? '.strongroom-state');
}

/** Open a destination for sending: consent checked, secrets read, policies stacked. */
export async function openDestination(loaded: LoadedConfig, spec: string, options: OpenOptions = {}): Promise<OpenedDestination> {
  const { registry, name, config } = findDestination(loaded, spec, options.registry);
  checkConsent(loaded, registry, name, config);
  const env = options.env ?? process.env;
  let transport: Transport = new RetryTransport(await transportFor(loaded, name, config, env), {
    ...(config.retry?.attempts ? { attempts: config.retry.attempts } : {}),
    ...(config.retry?.baseDelay ? { baseDelayMs: config.retry.baseDelay } : {}),
    ...options.retry,
  });
  if (config.purpose === 'escrow-agent') {
    transport = new CooldownTransport(new SealedOnlyTransport(transport), {
      stateFile: join(stateDir(loaded, env), 'cooldown', `${registry}.${name}.json`),
      cooldownMs: config.cooldown ?? DEFAULT_COOLDOWN_MS,
      ...(options.now ? { now: options.now } : {}),
    });
  }
  return { registry, name, config, transport };
}
