/**
 * A small keyring: the registry's signing key and the escrow agents' encryption keys, with
 * fingerprint pinning per role. Plain files, so an operator can read and back it up:
 *
 *     <keyring>/registry/<FINGERPRINT>.asc        the registry's key (secret on the registry's
 *                                                 side, public on the agent's side)
 *     <keyring>/registry/pins                     pinned fingerprints, one per line, # comments
 *     <keyring>/agents/<agent>/<FINGERPRINT>.asc  an agent's key(s): several during a rollover
 *     <keyring>/agents/<agent>/pins
 *
 * A role whose `pins` file lists at least one fingerprint is pinned: importing or using a key
 * of that role whose primary fingerprint is not listed is refused (KEY_NOT_PINNED). Pins are
 * what Spec 2 Part A §6's out-of-band confirmation of a received public key produces.
 * Secret key files are written with mode 0600, the directories with 0700.
 * The default location is $STRONGROOM_HOME/keys, else ~/.config/strongroom/keys.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type * as openpgp from 'openpgp';
import { StrongroomError } from '../common/errors.js';
import { fingerprintOf, parseKey, summarizeKey, type KeySummary } from './keys.js';
import { tempPathFor, removeTemp } from './temp.js';

export type KeyRole = 'registry' | `agent:${string}`;

export function defaultKeyringDir(): string {
  const home = process.env.STRONGROOM_HOME;
  return home ? join(home, 'keys') : join(homedir(), '.config', 'strongroom', 'keys');
}

export function parseRole(value: string): KeyRole {
  if (value === 'registry') return value;
  const match = /^agent:([a-z0-9][a-z0-9._-]{0,63})$/.exec(value);
  if (match) return value as KeyRole;
  throw new StrongroomError('RYDE_INVALID_ARGUMENT', `unknown key role "${value}" (expected "registry" or "agent:<name>", name in a-z 0-9 . _ -)`);
}

const FINGERPRINT_RE = /^[0-9A-F]{40}$|^[0-9A-F]{64}$/;

export function normalizeFingerprint(value: string): string {
  const fingerprint = value.replace(/\s+/g, '').toUpperCase();
  if (!FINGERPRINT_RE.test(fingerprint)) throw new StrongroomError('RYDE_INVALID_ARGUMENT', `"${value}" is not a v4 (40 hex digits) or v6 (64 hex digits) fingerprint`);
  return fingerprint;
}

export interface KeyringEntry {
  role: KeyRole;
  path: string;
  pinned: boolean;
  key: openpgp.PublicKey | openpgp.PrivateKey;
}

export class Keyring {
  constructor(readonly dir: string) {}

  roleDir(role: KeyRole): string {
    return role === 'registry' ? join(this.dir, 'registry') : join(this.dir, 'agents', role.slice('agent:'.length));
  }

  async roles(): Promise<KeyRole[]> {
    const roles: KeyRole[] = [];
    if (existsSync(join(this.dir, 'registry'))) roles.push('registry');
    const agents = await readdir(join(this.dir, 'agents')).catch(() => [] as string[]);
    for (const agent of agents.sort()) roles.push(`agent:${agent}`);
    return roles;
  }

  /** Pinned fingerprints of a role (empty: pinning not configured). */
  async pins(role: KeyRole): Promise<string[]> {
    const text = await readFile(join(this.roleDir(role), 'pins'), 'utf8').catch(() => '');
    const pins: string[] = [];
    for (const [index, raw] of text.split('\n').entries()) {
      const line = raw.replace(/#.*/, '').trim();
      if (line === '') continue;
      try {
        pins.push(normalizeFingerprint(line));
      } catch {
        throw new StrongroomError('KEYRING_INVALID', `bad fingerprint on line ${index + 1}`, { location: join(this.roleDir(role), 'pins') });
      }
    }
    return pins;
  }

  async pin(role: KeyRole, fingerprint: string): Promise<void> {
    const normalized = normalizeFingerprint(fingerprint);
    const pins = await this.pins(role);
    if (pins.includes(normalized)) return;
    await mkdir(this.roleDir(role), { recursive: true, mode: 0o700 });
    await this.writeAtomic(join(this.roleDir(role), 'pins'), `${[...pins, normalized].join('\n')}\n`, 0o644);
  }

  private async writeAtomic(path: string, content: string, mode: number): Promise<void> {
    const temp = tempPathFor(path);
    try {
      await writeFile(temp, content, { mode, flag: 'wx' });
      await rename(temp, path);
    } finally {
      await removeTemp(temp);
    }
  }

  /** Keys stored for a role, parsed. */
  async entries(role: KeyRole): Promise<KeyringEntry[]> {
    const dir = this.roleDir(role);
    const files = (await readdir(dir).catch(() => [] as string[])).filter((file) => file.endsWith('.asc')).sort();
    const pins = await this.pins(role);
    const out: KeyringEntry[] = [];
    for (const file of files) {
      const path = join(dir, file);
      const key = await parseKey(await readFile(path), path);
      const fingerprint = fingerprintOf(key);
      if (file !== `${fingerprint}.asc`) throw new StrongroomError('KEYRING_INVALID', `${file} holds key ${fingerprint}`, { location: path });
      out.push({ role, path, pinned: pins.includes(fingerprint), key });
    }
    return out;
  }

  /**
   * Import a key for a role. With `pin`, its fingerprint is added to the role's pins; without,
   * a pinned role refuses an unpinned key. A secret key replaces a stored public key of the
   * same fingerprint; a public key never replaces a secret one.
   */
  async import(role: KeyRole, data: Buffer, options: { pin?: boolean; where?: string } = {}): Promise<{ fingerprint: string; path: string; secret: boolean }> {
    const where = options.where ?? 'key';
    const key = await parseKey(data, where);
    const fingerprint = fingerprintOf(key);
    if (options.pin) await this.pin(role, fingerprint);
    const pins = await this.pins(role);
    if (pins.length > 0 && !pins.includes(fingerprint)) {
      throw new StrongroomError('KEY_NOT_PINNED', `key ${fingerprint} is not pinned for ${role} (pinned: ${pins.join(', ')}); confirm it out of band and import with --pin`, { location: where });
    }
    const dir = this.roleDir(role);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const path = join(dir, `${fingerprint}.asc`);
    if (existsSync(path)) {
      const existing = await parseKey(await readFile(path), path);
      if (existing.isPrivate() && !key.isPrivate()) return { fingerprint, path, secret: true };
    }
    await this.writeAtomic(path, key.armor(), key.isPrivate() ? 0o600 : 0o644);
    return { fingerprint, path, secret: key.isPrivate() };
  }

  async find(role: KeyRole, fingerprint: string): Promise<KeyringEntry> {
    const normalized = normalizeFingerprint(fingerprint);
    const entry = (await this.entries(role)).find((candidate) => fingerprintOf(candidate.key) === normalized);
    if (!entry) throw new StrongroomError('KEY_NOT_FOUND', `no key ${normalized} for ${role} in ${this.dir}`, { location: this.roleDir(role) });
    return entry;
  }

  /** Armoured export: the public key, or the secret key when asked and present. */
  async export(role: KeyRole, fingerprint: string, options: { secret?: boolean } = {}): Promise<string> {
    const { key } = await this.find(role, fingerprint);
    if (options.secret) {
      if (!key.isPrivate()) throw new StrongroomError('KEY_NOT_SECRET', `only the public key of ${fingerprintOf(key)} is stored`);
      return key.armor();
    }
    return key.toPublic().armor();
  }

  async list(options: { role?: KeyRole; now?: Date; warnDays?: number } = {}): Promise<Array<{ role: KeyRole; pinned: boolean; key: KeySummary }>> {
    const roles = options.role ? [options.role] : await this.roles();
    const out: Array<{ role: KeyRole; pinned: boolean; key: KeySummary }> = [];
    for (const role of roles) {
      for (const entry of await this.entries(role)) {
        out.push({ role, pinned: entry.pinned, key: await summarizeKey(entry.key, { ...(options.now ? { now: options.now } : {}), ...(options.warnDays !== undefined ? { warnDays: options.warnDays } : {}) }) });
      }
    }
    return out;
  }
}
