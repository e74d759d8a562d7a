/**
 * SFTP faults scripted at the protocol level (ssh2 Server over a real directory): what the
 * transport does when the server lies, fails a write, answers slowly, is cut after an exact
 * number of written bytes, or performs a rename whose acknowledgement never arrives.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isStrongroomError } from '../../src/common/errors.js';
import { startFaultServer, type FaultServer } from '../../src/testing/sftp-fault-server.js';
import { bufferBody, sha256 } from '../../src/transports/contract-suite.js';
import { SftpTransport } from '../../src/transports/sftp.js';

describe('sftp against a scripted faulty server', () => {
  let server: FaultServer;
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sr-sftp-faults-'));
    server = await startFaultServer(root);
  });
  after(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.faults = {};
    server.counts = { connections: 0, writes: 0, renames: 0, drops: 0 };
  });

  // fastPut's window (32 KiB × 64): the cut offsets below are placed relative to its 2 MiB in flight.
  const transport = () =>
    new SftpTransport({ chunkSize: 32768, concurrency: 64, host: '127.0.0.1', port: server.port, username: 'escrow', privateKey: server.clientKey, hostKey: { knownHosts: server.knownHosts }, root: '/', resume: { baseDelayMs: 2, maxDelayMs: 10 } });

  it('a server that acknowledges writes but stores other bytes is caught by the read-back: nothing under the name', async () => {
    server.faults = { corrupt: true };
    const sftp = transport();
    await assert.rejects(sftp.put('lie/example_2026-11-22_full_S1_R0.ryde', bufferBody(randomBytes(100_000))), (err: unknown) => isStrongroomError(err, 'TRANSPORT_VERIFY_FAILED') && /SHA-256/.test(err.message));
    assert.deepEqual(await readdir(join(root, 'lie')), [], 'neither the object nor its temporary is left');
    await sftp.close();
  });

  it("a write the server refuses (FAILURE) is not retried and the temporary is removed", async () => {
    server.faults = { failWrite: 5 };
    const sftp = transport();
    await assert.rejects(sftp.put('refused/a.ryde', bufferBody(randomBytes(300_000))), (err: unknown) => isStrongroomError(err, 'TRANSPORT_IO') && err.data?.retryable === false);
    assert.equal(server.counts.connections, 1, 'no reconnection for a refusal');
    assert.deepEqual(await readdir(join(root, 'refused')), []);
    await sftp.close();
  });

  it('a slow server still ends in a complete, verified upload', async () => {
    server.faults = { writeDelayMs: 3 };
    const sftp = transport();
    const data = randomBytes(200_000);
    assert.equal((await sftp.put('slow/a.ryde', bufferBody(data))).sha256, sha256(data));
    assert.deepEqual(await readFile(join(root, 'slow/a.ryde')), data);
    await sftp.close();
  });

  it('a rename performed but not acknowledged is recognised on reconnection (no duplicate, no failure)', async () => {
    server.faults = { loseRenameAck: 1 };
    const sftp = transport();
    const data = randomBytes(50_000);
    const result = await sftp.put('ack/example_2026-11-22_diff_S1_R0.ryde', bufferBody(data));
    assert.equal(result.sha256, sha256(data));
    assert.equal(server.counts.drops, 1);
    assert.equal(server.counts.renames, 1, 'the rename was not repeated');
    assert.deepEqual(await readdir(join(root, 'ack')), ['example_2026-11-22_diff_S1_R0.ryde']);
    await sftp.close();
  });

  it('connections cut after exact numbers of written bytes resume from the acknowledged prefix', async () => {
    const data = randomBytes(8 * 1024 * 1024);
    // Past the first 2 MiB burst (64 writes of 32 KiB in flight), writes are clocked by acknowledgements.
    server.faults = { dropAfterWriteBytes: [2_600_000, 2_300_000, 2_200_000] };
    const sftp = transport();
    assert.equal((await sftp.put('cut/a.ryde', bufferBody(data))).sha256, sha256(data));
    assert.equal(server.counts.drops, 3);
    const stats = sftp.lastPut!;
    assert.equal(stats.resumes, 3);
    assert.ok(stats.resumedFrom[0]! > 0 && stats.resumedFrom[0]! <= 2_600_000, `first resume from ${stats.resumedFrom[0]}`);
    assert.ok(stats.resumedFrom[1]! > stats.resumedFrom[0]! && stats.resumedFrom[2]! > stats.resumedFrom[1]!, `resumes move forward: ${stats.resumedFrom.join(', ')}`);
    assert.ok(stats.bytesSent < 2 * data.length, `resumed, not restarted: ${stats.bytesSent} bytes sent for ${data.length}`);
    assert.deepEqual(await readFile(join(root, 'cut/a.ryde')), data);
    assert.deepEqual(await readdir(join(root, 'cut')), ['a.ryde']);
    await sftp.close();
  });
});
