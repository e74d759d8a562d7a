import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawnSync } from 'node:child_process';
import { isStrongroomError } from '../common/errors.js';
import { dropProxy, startSshd, type TestSshd } from '../testing/sshd.js';
import { requireTool } from '../testing/tools.js';
import { bufferBody, readAll, sha256, transportContract } from './contract-suite.js';
import { SftpTransport, type SftpOptions } from './sftp.js';

let sshd: TestSshd | null = null;
const started = startSshd().then((server) => (sshd = server));
after(async () => {
  await started.catch(() => undefined);
  await sshd?.stop();
});

function options(server: TestSshd, extra: Partial<SftpOptions> = {}): SftpOptions {
  return {
    host: server.host,
    port: server.port,
    username: server.username,
    privateKey: server.clientKey,
    hostKey: { knownHosts: server.knownHosts },
    root: server.inbox,
    resume: { baseDelayMs: 5, maxDelayMs: 50 },
    ...extra,
  };
}

transportContract(
  'sftp (OpenSSH sshd)',
  async () => {
    const server = await started;
    return server ? new SftpTransport(options(server)) : null;
  },
  { tool: 'sshd' },
);

describe('sftp: host keys, authentication, resume', () => {
  let server: TestSshd | null = null;
  before(async () => {
    server = await started;
  });

  it('accepts a pinned SHA-256 fingerprint and refuses unknown and changed host keys', async (t) => {
    if (!requireTool(t, 'sshd', server !== null)) return;
    const s = server!;
    const byFingerprint = new SftpTransport(options(s, { hostKey: { fingerprints: [s.fingerprint] } }));
    await byFingerprint.put('fp.sig', bufferBody(Buffer.from('signed')));
    await byFingerprint.close();

    const unknown = new SftpTransport(options(s, { hostKey: {} }));
    await assert.rejects(unknown.stat('x.ryde'), (err: unknown) => isStrongroomError(err, 'TRANSPORT_HOSTKEY_UNKNOWN') && err.message.includes(s.fingerprint) && err.data?.retryable === false);
    const changed = new SftpTransport(options(s, { hostKey: { knownHosts: s.otherKnownHosts } }));
    await assert.rejects(changed.put('x.ryde', bufferBody(Buffer.from('x'))), (err: unknown) => isStrongroomError(err, 'TRANSPORT_HOSTKEY_CHANGED'));
    const wrongFingerprint = new SftpTransport(options(s, { hostKey: { fingerprints: ['SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'] } }));
    await assert.rejects(wrongFingerprint.stat('x.ryde'), (err: unknown) => isStrongroomError(err, 'TRANSPORT_HOSTKEY_CHANGED'));
    // A pin for another host:port does not count for this one: unknown, not changed.
    const otherHost = new SftpTransport(options(s, { hostKey: { knownHosts: s.knownHosts.replace('[127.0.0.1]', '[127.0.0.2]') } }));
    await assert.rejects(otherHost.stat('x.ryde'), (err: unknown) => isStrongroomError(err, 'TRANSPORT_HOSTKEY_UNKNOWN'));
  });

  it('accepts a hashed known_hosts entry (ssh-keygen -H)', async (t) => {
    if (!requireTool(t, 'sshd', server !== null)) return;
    const s = server!;
    const file = join(s.dir, 'known_hosts_hashed');
    await import('node:fs/promises').then((fs) => fs.writeFile(file, s.knownHosts));
    const hashed = spawnSync('ssh-keygen', ['-H', '-f', file], { encoding: 'utf8' });
    assert.equal(hashed.status, 0, hashed.stderr);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^\|1\|/);
    const transport = new SftpTransport(options(s, { hostKey: { knownHosts: text } }));
    assert.equal(await transport.stat('nothing-here.ryde'), null);
    await transport.close();
  });

  it('a key the server does not know fails with TRANSPORT_AUTH_FAILED, not retried', async (t) => {
    if (!requireTool(t, 'sshd', server !== null)) return;
    const s = server!;
    const stranger = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(s.dir, 'stranger')], { encoding: 'utf8' });
    assert.equal(stranger.status, 0);
    const transport = new SftpTransport(options(s, { privateKey: await readFile(join(s.dir, 'stranger')) }));
    await assert.rejects(transport.stat('x.ryde'), (err: unknown) => isStrongroomError(err, 'TRANSPORT_AUTH_FAILED') && err.data?.retryable === false);
  });

  it('resumes after connections dropped mid-upload and commits a verified copy', async (t) => {
    if (!requireTool(t, 'sshd', server !== null)) return;
    const s = server!;
    const proxy = await dropProxy(s.port);
    try {
      const data = randomBytes(8 * 1024 * 1024);
      // Pass the SSH handshake and cut twice inside the upload.
      proxy.dropAfter = [3_000_000, 4_000_000];
      // A small window (fastPut's 32 KiB × 64) so acknowledgements move the prefix before the cuts.
      const transport = new SftpTransport(options(s, { chunkSize: 32768, concurrency: 64, port: proxy.port, hostKey: { knownHosts: s.knownHosts.replace(`:${s.port}`, `:${proxy.port}`) } }));
      const result = await transport.put('resume/example_2026-11-22_full_S1_R0.ryde', bufferBody(data));
      assert.equal(result.sha256, sha256(data));
      assert.equal(proxy.drops, 2);
      const stats = transport.lastPut!;
      assert.equal(stats.resumes, 2);
      assert.ok(stats.resumedFrom.every((offset) => offset > 0), `each resume continued from an acknowledged offset: ${stats.resumedFrom.join(', ')}`);
      assert.ok(stats.bytesSent < 2 * data.length, `resumed rather than restarted: sent ${stats.bytesSent} for ${data.length}`);
      assert.deepEqual(await readFile(join(s.inbox, 'resume/example_2026-11-22_full_S1_R0.ryde')), data);
      assert.deepEqual(await readAll(await transport.get('resume/example_2026-11-22_full_S1_R0.ryde')), data);
      await transport.close();
    } finally {
      await proxy.close();
    }
  });
});
