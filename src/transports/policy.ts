/**
 * Delivery policies as transport decorators (restic style: wrappers over the same interface).
 *
 * - `SealedOnlyTransport`: an escrow agent receives only Spec 2 processed files and their
 *   signatures (`{tld}_{date}_{type}_S{n}_R{rev}.ryde|.sig`); anything else — XML in the clear,
 *   a tarball, a sidecar — is refused with DESTINATION_FILE_REFUSED before it is opened.
 * - `CooldownTransport`: at most one deposit per TLD per cooldown (default 2 h) to an escrow
 *   agent, because agents merge deposits that arrive close together. The parts and signatures
 *   of one deposit ({tld}_{date}_{type}_R{rev}) pass together; a different deposit of the same
 *   TLD within the cooldown is refused with TRANSPORT_COOLDOWN and the time it may be sent.
 *   The last delivery per TLD is kept in a JSON state file (written to a temporary name and
 *   renamed), so the cooldown survives restarts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { StrongroomError, isStrongroomError } from '../common/errors.js';
import { depositKey, parseDepositName } from '../ryde/naming.js';
import type { Body, ObjectInfo, PutOptions, PutResult, Transport } from './transport.js';

/** Forwards everything to `inner`; subclasses override what they police. */
abstract class Decorator implements Transport {
  readonly kind: string;
  readonly description: string;
  constructor(readonly inner: Transport) {
    this.kind = inner.kind;
    this.description = inner.description;
  }
  put(name: string, body: Body, options?: PutOptions): Promise<PutResult> {
    return this.inner.put(name, body, options);
  }
  get(name: string): Promise<Readable> {
    return this.inner.get(name);
  }
  stat(name: string): Promise<ObjectInfo | null> {
    return this.inner.stat(name);
  }
  list(prefix?: string): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix);
  }
  remove(name: string): Promise<void> {
    return this.inner.remove(name);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export class SealedOnlyTransport extends Decorator {
  override async put(name: string, body: Body, options?: PutOptions): Promise<PutResult> {
    const base = posix.basename(name);
    let ext: string | undefined;
    try {
      ext = parseDepositName(base).ext;
    } catch (err) {
      if (!isStrongroomError(err, 'RYDE_NAME_INVALID')) throw err;
    }
    if (ext !== 'ryde' && ext !== 'sig') {
      throw new StrongroomError(
        'DESTINATION_FILE_REFUSED',
        `refusing to send ${name} to escrow agent ${this.description}: an escrow agent receives only sealed Spec 2 files ({tld}_{date}_{type}_S{n}_R{rev}.ryde) and their .sig signatures`,
        { location: name },
      );
    }
    return this.inner.put(name, body, options);
  }
}

interface CooldownState {
  [tld: string]: { deposit: string; at: string };
}

export interface CooldownOptions {
  stateFile: string;
  cooldownMs: number;
  now?: () => Date;
}

export class CooldownTransport extends Decorator {
  constructor(
    inner: Transport,
    private readonly options: CooldownOptions,
  ) {
    super(inner);
  }

  private async state(): Promise<CooldownState> {
    try {
      return JSON.parse(await readFile(this.options.stateFile, 'utf8')) as CooldownState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new StrongroomError('CONFIG_INVALID', `cooldown state ${this.options.stateFile} is unreadable: ${(err as Error).message}`, { location: this.options.stateFile });
    }
  }

  /** When a deposit other than `deposit` may next go out for `tld` (null: now). */
  async nextAllowed(tld: string, deposit?: string): Promise<Date | null> {
    const last = (await this.state())[tld];
    if (!last || last.deposit === deposit) return null;
    const next = new Date(Date.parse(last.at) + this.options.cooldownMs);
    return next > (this.options.now?.() ?? new Date()) ? next : null;
  }

  override async put(name: string, body: Body, options?: PutOptions): Promise<PutResult> {
    let identity: { tld: string; deposit: string } | null = null;
    try {
      const parsed = parseDepositName(posix.basename(name));
      identity = { tld: parsed.tld, deposit: depositKey(parsed) };
    } catch (err) {
      if (!isStrongroomError(err, 'RYDE_NAME_INVALID')) throw err;
    }
    if (!identity) return this.inner.put(name, body, options);
    const next = await this.nextAllowed(identity.tld, identity.deposit);
    if (next) {
      const last = (await this.state())[identity.tld]!;
      throw new StrongroomError(
        'TRANSPORT_COOLDOWN',
        `not sending ${name} to ${this.description}: deposit ${last.deposit} of .${identity.tld} went out at ${last.at} and escrow agents merge deposits that arrive within ${Math.round(this.options.cooldownMs / 60000)} min; next allowed at ${next.toISOString()}`,
        { location: name, data: { nextAllowed: next.toISOString(), tld: identity.tld } },
      );
    }
    const result = await this.inner.put(name, body, options);
    const state = await this.state();
    if (state[identity.tld]?.deposit !== identity.deposit) {
      state[identity.tld] = { deposit: identity.deposit, at: (this.options.now?.() ?? new Date()).toISOString() };
      await mkdir(dirname(this.options.stateFile), { recursive: true });
      const temp = `${this.options.stateFile}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(temp, `${JSON.stringify(state, null, 2)}\n`);
        await rename(temp, this.options.stateFile);
      } finally {
        await rm(temp, { force: true });
      }
    }
    return result;
  }
}
