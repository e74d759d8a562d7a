/**
 * SSH host-key pinning. A destination pins its server's host key either as an OpenSSH
 * known_hosts text (one or more lines; plain, `[host]:port` and hashed `|1|salt|hash` host
 * fields) or as SHA-256 fingerprints (`SHA256:…`, as `ssh-keygen -lf` prints them).
 * Nothing is trusted on first use: an unknown key is refused (TRANSPORT_HOSTKEY_UNKNOWN), a key
 * that differs from the pinned one is refused as a possible interception
 * (TRANSPORT_HOSTKEY_CHANGED), a key marked `@revoked` is refused as changed.
 */
import { createHash, createHmac } from 'node:crypto';
import { StrongroomError } from '../common/errors.js';

export interface HostKeyPins {
  /** known_hosts lines (the contents of a known_hosts file). */
  knownHosts?: string;
  /** SHA-256 fingerprints (`SHA256:<base64 without padding>`). */
  fingerprints?: string[];
}

/** The OpenSSH SHA-256 fingerprint of a wire-format public key blob. */
export function fingerprintOf(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The host field OpenSSH writes for host:port (port 22 is bare). */
function hostField(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function hostMatches(pattern: string, wanted: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(wanted).digest('base64') === hash;
  }
  return pattern === wanted;
}

export type HostKeyVerdict = { ok: true; fingerprint: string } | { ok: false; error: StrongroomError };

/** Check a presented host key against the pins for host:port. */
export function checkHostKey(host: string, port: number, key: Buffer, pins: HostKeyPins): HostKeyVerdict {
  const fingerprint = fingerprintOf(key);
  const where = `${host}:${port}`;
  const blob = key.toString('base64');
  let pinnedForHost = 0;
  for (const raw of (pins.knownHosts ?? '').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    let fields = line.split(/\s+/);
    let marker: string | undefined;
    if (fields[0]?.startsWith('@')) {
      marker = fields[0];
      fields = fields.slice(1);
    }
    const [hosts, , keyBase64] = fields;
    if (!hosts || !keyBase64 || marker === '@cert-authority') continue;
    const wanted = hostField(host, port);
    if (!hosts.split(',').some((pattern) => hostMatches(pattern, wanted))) continue;
    if (marker === '@revoked') {
      if (keyBase64 === blob) return { ok: false, error: changed(where, fingerprint, 'the key is marked @revoked in the pinned known_hosts') };
      continue;
    }
    pinnedForHost += 1;
    if (keyBase64 === blob) return { ok: true, fingerprint };
  }
  for (const pinned of pins.fingerprints ?? []) {
    pinnedForHost += 1;
    if (pinned.replace(/=+$/, '') === fingerprint) return { ok: true, fingerprint };
  }
  if (pinnedForHost === 0) {
    return {
      ok: false,
      error: new StrongroomError(
        'TRANSPORT_HOSTKEY_UNKNOWN',
        `host key of ${where} is not pinned (presented ${fingerprint}); verify it out of band and add it to the destination's hostKey (fingerprint or known_hosts)`,
        { location: where, data: { retryable: false, fingerprint } },
      ),
    };
  }
  return { ok: false, error: changed(where, fingerprint, `it matches none of the ${pinnedForHost} pinned key(s)`) };
}

function changed(where: string, fingerprint: string, why: string): StrongroomError {
  return new StrongroomError(
    'TRANSPORT_HOSTKEY_CHANGED',
    `host key of ${where} is ${fingerprint} and ${why}: refusing to connect (possible interception; if the agent really changed its key, confirm the new fingerprint with them and update the pin)`,
    { location: where, data: { retryable: false, fingerprint } },
  );
}
