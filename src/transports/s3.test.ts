import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startS3rver, type TestS3 } from '../testing/s3rver.js';
import { requireTool } from '../testing/tools.js';
import { bufferBody, readAll, sha256, transportContract } from './contract-suite.js';
import { S3Transport, type S3Options } from './s3.js';

let s3: TestS3 | null = null;
const started = startS3rver().then((server) => (s3 = server));
after(async () => {
  await started.catch(() => undefined);
  await s3?.stop();
});

const PART = 5 * 1024 * 1024;

function options(server: TestS3, extra: Partial<S3Options> = {}): S3Options {
  return { bucket: server.bucket, endpoint: server.endpoint, credentials: server.credentials, partSize: PART, ...extra };
}

/** Record the requests the SDK sends (command name and headers). */
function recordRequests(transport: S3Transport): Array<{ command: string; headers: Record<string, string> }> {
  const seen: Array<{ command: string; headers: Record<string, string> }> = [];
  transport.client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      seen.push({ command: String(context.commandName), headers: { ...(request.headers ?? {}) } });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'strongroomRecorder' },
  );
  return seen;
}

transportContract(
  's3 (s3rver)',
  async () => {
    const server = await started;
    return server ? new S3Transport(options(server, { prefix: 'contract' })) : null;
  },
  { tool: 's3rver', largeSize: 2 * PART + 12345 },
);

describe('s3: multipart, checksums, object lock', () => {
  let server: TestS3 | null = null;
  before(async () => {
    server = await started;
  });

  it('a body larger than a part goes up as a multipart upload with per-part SHA-256 checksums and reads back exactly', async (t) => {
    if (!requireTool(t, 's3rver', server !== null)) return;
    const transport = new S3Transport(options(server!, { prefix: 'multipart' }));
    const seen = recordRequests(transport);
    const data = randomBytes(2 * PART + 777);
    const result = await transport.put('example_2026-11-22_full_S1_R0.ryde', bufferBody(data));
    assert.equal(result.sha256, sha256(data));
    const commands = seen.map((request) => request.command);
    assert.ok(commands.includes('CreateMultipartUploadCommand'), commands.join(','));
    assert.equal(commands.filter((command) => command === 'UploadPartCommand').length, 3);
    assert.ok(commands.includes('CompleteMultipartUploadCommand'));
    for (const part of seen.filter((request) => request.command === 'UploadPartCommand')) {
      assert.ok(part.headers['x-amz-checksum-sha256'] || part.headers['x-amz-trailer']?.includes('sha256'), `part carries a SHA-256 checksum: ${JSON.stringify(part.headers)}`);
    }
    assert.ok(commands.includes('GetObjectCommand'), 'the object was read back to verify it');
    assert.deepEqual(await readAll(await transport.get('example_2026-11-22_full_S1_R0.ryde')), data);
    await transport.close();
  });

  it('retainUntil asks for compliance-mode object lock on the write', async (t) => {
    if (!requireTool(t, 's3rver', server !== null)) return;
    const transport = new S3Transport(options(server!, { prefix: 'locked', verify: 'size' }));
    const seen = recordRequests(transport);
    const until = new Date(Date.UTC(2027, 0, 31, 0, 0, 0));
    await transport.put('a.ryde', bufferBody(randomBytes(1000)), { retainUntil: until });
    const write = seen.find((request) => request.command === 'PutObjectCommand');
    assert.ok(write, seen.map((request) => request.command).join(','));
    assert.equal(write.headers['x-amz-object-lock-mode'], 'COMPLIANCE');
    assert.equal(new Date(write.headers['x-amz-object-lock-retain-until-date']!).toISOString(), until.toISOString());
    assert.ok(!seen.some((request) => request.command === 'GetObjectCommand'), "verify: 'size' does not read back");
    await transport.close();
  });

  it('a size mismatch aborts a multipart upload before it completes: nothing is committed', async (t) => {
    if (!requireTool(t, 's3rver', server !== null)) return;
    const transport = new S3Transport(options(server!, { prefix: 'abort' }));
    const seen = recordRequests(transport);
    const data = randomBytes(PART + 1000);
    await assert.rejects(transport.put('big.ryde', bufferBody(data, { size: data.length - 1 })), (err: { code?: string }) => err.code === 'TRANSPORT_VERIFY_FAILED');
    const commands = seen.map((request) => request.command);
    assert.ok(!commands.includes('CompleteMultipartUploadCommand'), commands.join(','));
    assert.equal(await transport.stat('big.ryde'), null);
    await transport.close();
  });

  it('wrong credentials are an authentication error, not retried', async (t) => {
    if (!requireTool(t, 's3rver', server !== null)) return;
    const transport = new S3Transport(options(server!, { credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'wrong' } }));
    await assert.rejects(transport.get('x.ryde'), (err: { code?: string; data?: { retryable?: boolean } }) => err.code === 'TRANSPORT_AUTH_FAILED' && err.data?.retryable === false);
    await transport.close();
  });
});
