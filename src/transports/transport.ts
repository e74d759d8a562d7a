/**
 * The transport interface: where sealed deposits and backups go (escrow agent SFTP, S3,
 * a directory, …) and where an agent's inbox is read from.
 *
 * Contract (every implementation runs the shared contract suite, ./contract-suite.ts):
 * - Names are relative, '/'-separated, without '..' or leading '/'; `validateName` refuses others.
 * - `put` is atomic: the object is visible under `name` only once complete (temporary name +
 *   rename, or the store's own atomic commit). A failed put leaves nothing under `name`.
 *   `put` replaces an existing object only when `overwrite` is set; otherwise it fails with
 *   TRANSPORT_EXISTS.
 * - `put` takes a `Body` whose `open()` may be called more than once: a retrying decorator starts
 *   the upload over by re-opening it. `size` and `sha256`, when given, are verified after upload.
 * - `get` returns a fresh stream of the whole object; TRANSPORT_NOT_FOUND when absent.
 * - `stat` returns null when absent. `list` yields every object under `prefix` (not temporaries).
 * - `remove` of an absent object is not an error (idempotent).
 * - Errors are StrongroomErrors with TRANSPORT_* codes; `retryable` in their data says whether
 *   a retry can help (connection drops) or not (authentication, host key, missing object).
 */
import type { Readable } from 'node:stream';
import { StrongroomError } from '../common/errors.js';

export interface Body {
  /** A fresh stream of the whole body; may be called again to start over. */
  open(): Readable | Promise<Readable>;
  /** Byte length when known (checked after upload). */
  size?: number;
  /** Hex SHA-256 when known (checked after upload where the store allows it). */
  sha256?: string;
  /** Set when the body is a local file: lets SFTP use its fast parallel upload. */
  path?: string;
}

export interface ObjectInfo {
  name: string;
  size: number;
  /** Last modification time, when the store tells. */
  modified?: Date;
}

export interface PutOptions {
  overwrite?: boolean;
  /** Object-lock retention (S3 compliance mode) for immutable copies. */
  retainUntil?: Date;
}

export interface PutResult extends ObjectInfo {
  /** Hex SHA-256 of what was stored, as verified after the upload. */
  sha256: string;
}

export interface Transport {
  /** 'directory' | 'sftp' | 's3' | 'memory' | … */
  readonly kind: string;
  /** Where it points, without secrets (for messages, reports and consent checks). */
  readonly description: string;
  put(name: string, body: Body, options?: PutOptions): Promise<PutResult>;
  get(name: string): Promise<Readable>;
  stat(name: string): Promise<ObjectInfo | null>;
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  remove(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Refuse names that could escape the destination or collide with temporaries. */
export function validateName(name: string): string {
  const bad =
    name === '' ||
    name.startsWith('/') ||
    name.includes('\\') ||
    name.includes('\0') ||
    name.split('/').some((part) => part === '' || part === '.' || part === '..' || part.startsWith('.sr-tmp-'));
  if (bad) throw new StrongroomError('TRANSPORT_NAME_INVALID', `invalid object name "${name}": relative, '/'-separated, no '.', '..' or empty parts`);
  return name;
}

/** Prefix of temporary names used while an upload is in flight (never listed). */
export const TEMP_PREFIX = '.sr-tmp-';
