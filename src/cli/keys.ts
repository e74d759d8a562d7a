/**
 * `strongroom keys`: generate, import, export, list and pin the registry's signing key and the
 * escrow agents' encryption keys.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { StrongroomError, messageOf } from '../common/errors.js';
import { Keyring, defaultKeyringDir, parseRole, type KeyRole } from '../ryde/keyring.js';
import { generateKeyPair, type KeyAlgorithmChoice } from '../ryde/keys.js';
import { parseProfileName } from '../ryde/profiles.js';
import { publishTemp, removeTemp, tempPathFor } from '../ryde/temp.js';
import { action, positiveInt, printResult, usageError, withCommon, type CommonOptions } from './command.js';
import { passphraseFrom } from './ryde-options.js';

function keyringOf(dir: string | undefined): Keyring {
  return new Keyring(dir ?? defaultKeyringDir());
}

async function writeNew(path: string, content: string, mode: number): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await writeFile(temp, content, { flag: 'wx', mode });
    await publishTemp(temp, path);
  } finally {
    await removeTemp(temp);
  }
}

/** Parse --expires: "never", or a number of days. */
function expiresIn(value: string): number {
  if (value === 'never') return 0;
  if (!/^\d+$/.test(value) || Number(value) <= 0) throw usageError(`--expires must be a number of days or "never", got "${value}"`);
  return Number(value) * 86_400;
}

export function register(program: Command): void {
  const keys = program.command('keys').description("Manage the registry's signing key and the escrow agents' encryption keys (keyring with fingerprint pinning).");

  withCommon(
    keys
      .command('generate')
      .description('Generate a key pair: <prefix>.pub.asc (public) and <prefix>.key.asc (secret, mode 0600), ASCII-armoured, importable by gpg.')
      .requiredOption('--uid <uid>', 'user ID, e.g. "Example Registry RDE <rde@registry.example>"')
      .requiredOption('--out <prefix>', 'output path prefix')
      .option('--profile <profile>', 'rfc4880 (v4 keys, default) | rfc4880-no-mdc | rfc9580 (v6 Ed25519/X25519)', 'rfc4880')
      .option('--algorithm <algorithm>', 'rsa3072 (default for rfc4880) | rsa4096 | ed25519')
      .option('--expires <days>', 'validity in days, or "never"', '730')
      .option('--passphrase-file <file>', 'protect the secret key with this passphrase (or $STRONGROOM_KEY_PASSPHRASE)'),
  ).action(
    action(async (options: CommonOptions & { uid: string; out: string; profile: string; algorithm?: string; expires: string; passphraseFile?: string }) => {
      const profileName = parseProfileName(options.profile);
      if (options.algorithm !== undefined && !['rsa3072', 'rsa4096', 'ed25519'].includes(options.algorithm)) throw usageError(`--algorithm must be rsa3072, rsa4096 or ed25519, got "${options.algorithm}"`);
      const passphrase = passphraseFrom(options.passphraseFile);
      for (const path of [`${options.out}.pub.asc`, `${options.out}.key.asc`]) {
        if (existsSync(path)) throw new StrongroomError('RYDE_TARGET_EXISTS', `${path} already exists; not replacing a key file`, { location: path });
      }
      const pair = await generateKeyPair({
        profile: profileName,
        uid: options.uid,
        ...(options.algorithm ? { algorithm: options.algorithm as KeyAlgorithmChoice } : {}),
        expiresIn: expiresIn(options.expires),
        ...(passphrase !== undefined ? { passphrase } : {}),
      });
      const publicPath = `${options.out}.pub.asc`;
      const secretPath = `${options.out}.key.asc`;
      await writeNew(secretPath, pair.privateKey, 0o600);
      await writeNew(publicPath, pair.publicKey, 0o644);
      printResult(options, { fingerprint: pair.fingerprint, public: publicPath, secret: secretPath }, () => `generated ${pair.fingerprint}\n  public ${publicPath}\n  secret ${secretPath}`);
    }),
  );

  withCommon(
    keys
      .command('import')
      .description('Import key files into the keyring for a role: "registry" (the signing key) or "agent:<name>" (an escrow agent). A pinned role refuses unpinned keys.')
      .argument('<files...>', 'key files (armoured or binary)')
      .requiredOption('--role <role>', 'registry | agent:<name>')
      .option('--keyring <dir>', 'keyring directory (default $STRONGROOM_HOME/keys or ~/.config/strongroom/keys)')
      .option('--pin', "pin the imported keys' fingerprints (after confirming them out of band, Spec 2 §6)"),
  ).action(
    action(async (files: string[], options: CommonOptions & { role: string; keyring?: string; pin?: boolean }) => {
      const role = parseRole(options.role);
      const keyring = keyringOf(options.keyring);
      const imported: Array<{ file: string; fingerprint: string; path: string; secret: boolean }> = [];
      for (const file of files) {
        let data: Buffer;
        try {
          data = await readFile(file);
        } catch (err) {
          throw new StrongroomError('FILE_NOT_FOUND', `cannot read ${file}: ${messageOf(err)}`, { location: file });
        }
        imported.push({ file, ...(await keyring.import(role, data, { ...(options.pin ? { pin: true } : {}), where: file })) });
      }
      printResult(options, { keyring: keyring.dir, role, imported }, () => imported.map((entry) => `${role}: ${entry.fingerprint} (${entry.secret ? 'secret' : 'public'}) → ${entry.path}`).join('\n'));
    }),
  );

  withCommon(
    keys
      .command('export')
      .description('Print (or write) a key of the keyring, ASCII-armoured: the public key, or the secret key with --secret.')
      .argument('<fingerprint>', 'primary key fingerprint')
      .requiredOption('--role <role>', 'registry | agent:<name>')
      .option('--keyring <dir>', 'keyring directory')
      .option('--secret', 'export the secret key')
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(
    action(async (fingerprint: string, options: CommonOptions & { role: string; keyring?: string; secret?: boolean; out?: string }) => {
      const armored = await keyringOf(options.keyring).export(parseRole(options.role), fingerprint, { ...(options.secret ? { secret: true } : {}) });
      if (options.out) {
        await writeNew(options.out, armored, options.secret ? 0o600 : 0o644);
        printResult(options, { written: options.out }, () => `written ${options.out}`);
      } else if (options.json) {
        printResult(options, { armored }, () => armored);
      } else {
        process.stdout.write(armored);
      }
    }),
  );

  withCommon(
    keys
      .command('list')
      .description('List the keyring: role, fingerprint, algorithm, expiry, status (valid, expiring, expired, revoked) and pinning.')
      .option('--role <role>', 'only this role')
      .option('--keyring <dir>', 'keyring directory')
      .option('--warn-days <n>', 'call a key "expiring" within this many days (default 30)', positiveInt('--warn-days')),
  ).action(
    action(async (options: CommonOptions & { role?: string; keyring?: string; warnDays?: number }) => {
      const keyring = keyringOf(options.keyring);
      const role: KeyRole | undefined = options.role ? parseRole(options.role) : undefined;
      const entries = await keyring.list({ ...(role ? { role } : {}), ...(options.warnDays !== undefined ? { warnDays: options.warnDays } : {}) });
      printResult(options, { keyring: keyring.dir, keys: entries }, () =>
        entries.length === 0
          ? `no keys in ${keyring.dir}`
          : entries
              .map(
                (entry) =>
                  `${entry.role}\t${entry.key.fingerprint}\tv${entry.key.version} ${entry.key.algorithm}\t${entry.key.secret ? 'secret' : 'public'}\t${entry.key.status}${entry.key.expires ? ` (expires ${entry.key.expires.slice(0, 10)})` : ''}\t${entry.pinned ? 'pinned' : 'unpinned'}\t${entry.key.userIds.join('; ')}`,
              )
              .join('\n'),
      );
    }),
  );

  withCommon(
    keys
      .command('pin')
      .description("Pin a fingerprint for a role: from then on the role's keys must be pinned.")
      .argument('<fingerprint>', 'primary key fingerprint (40 or 64 hex digits)')
      .requiredOption('--role <role>', 'registry | agent:<name>')
      .option('--keyring <dir>', 'keyring directory'),
  ).action(
    action(async (fingerprint: string, options: CommonOptions & { role: string; keyring?: string }) => {
      const keyring = keyringOf(options.keyring);
      const role = parseRole(options.role);
      await keyring.pin(role, fingerprint);
      const pins = await keyring.pins(role);
      printResult(options, { role, pins }, () => `${role} pins: ${pins.join(', ')}`);
    }),
  );
}
