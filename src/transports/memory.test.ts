import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { StrongroomError, isStrongroomError } from '../common/errors.js';
import { bufferBody, readAll, sha256, transportContract } from './contract-suite.js';
import { MemoryTransport } from './memory.js';
import { RetryTransport, backoffDelay } from './retry.js';

transportContract('memory', async () => new MemoryTransport());

describe('memory transport fault injection and RetryTransport', () => {
  it('a put dropped after N bytes fails retryable and stores nothing; the retry re-sends the whole body', async () => {
    const memory = new MemoryTransport();
    memory.injectFaults({ dropAfterBytes: 70_000, dropTimes: 2 });
    const data = randomBytes(200_000);
    const body = bufferBody(data);
    const delays: number[] = [];
    const retrying = new RetryTransport(memory, { attempts: 5, baseDelayMs: 100, random: () => 0.5, sleep: async (ms) => void delays.push(ms) });
    const result = await retrying.put('x/a.ryde', body);
    assert.equal(result.sha256, sha256(data));
    assert.equal(body.opens, 3);
    assert.deepEqual(delays, [50, 100], 'full jitter over 100·2^(n-1) with random 0.5');
    assert.equal(memory.bytesReceived, 2 * 70_000 + data.length);
    assert.deepEqual(await readAll(await memory.get('x/a.ryde')), data);
  });

  it('gives up with TRANSPORT_RETRIES_EXHAUSTED after the configured attempts', async () => {
    const memory = new MemoryTransport();
    memory.injectFaults({ dropAfterBytes: 10, dropTimes: 10 });
    const body = bufferBody(randomBytes(1000));
    const retrying = new RetryTransport(memory, { attempts: 3, sleep: async () => undefined });
    await assert.rejects(retrying.put('a.ryde', body), (err: unknown) => isStrongroomError(err, 'TRANSPORT_RETRIES_EXHAUSTED') && (err.data?.attempts as number) === 3);
    assert.equal(body.opens, 3);
    assert.equal(await memory.stat('a.ryde'), null);
  });

  it('does not retry errors that are not retryable (the n-th op fails for good)', async () => {
    const memory = new MemoryTransport();
    await memory.put('a.ryde', bufferBody(Buffer.from('a')));
    memory.injectFaults({ failOps: [{ op: 'get', nth: 1, retryable: false }] });
    const retrying = new RetryTransport(memory, { attempts: 5, sleep: async () => undefined });
    await assert.rejects(retrying.get('a.ryde'), (err: unknown) => isStrongroomError(err, 'TRANSPORT_FAULT_INJECTED'));
    assert.equal(memory.counts.get, 1);
    await assert.rejects(retrying.get('missing.ryde'), (err: unknown) => isStrongroomError(err, 'TRANSPORT_NOT_FOUND'));
    assert.equal(memory.counts.get, 2, 'a missing object is not retried');
    await assert.rejects(retrying.put('a.ryde', bufferBody(Buffer.from('b'))), (err: unknown) => isStrongroomError(err, 'TRANSPORT_EXISTS'));
  });

  it('retries the n-th stat, list and remove when the failure is retryable', async () => {
    const memory = new MemoryTransport();
    await memory.put('p/a.ryde', bufferBody(Buffer.from('a')));
    memory.injectFaults({ failOps: [{ op: 'stat', nth: 1 }, { op: 'list', nth: 1 }, { op: 'remove', nth: 1 }] });
    const retrying = new RetryTransport(memory, { sleep: async () => undefined });
    assert.equal((await retrying.stat('p/a.ryde'))?.size, 1);
    const names: string[] = [];
    for await (const info of retrying.list('p/')) names.push(info.name);
    assert.deepEqual(names, ['p/a.ryde']);
    await retrying.remove('p/a.ryde');
    assert.deepEqual(memory.counts, { put: 0, get: 0, stat: 2, list: 2, remove: 2 });
  });

  it('a put committed but reported as failed is recognised on retry instead of TRANSPORT_EXISTS', async () => {
    const memory = new MemoryTransport();
    const data = randomBytes(5000);
    // First attempt commits, then the "acknowledgement" is lost.
    const lossy = Object.create(memory) as MemoryTransport;
    let calls = 0;
    lossy.put = async (name, body, options) => {
      calls += 1;
      const result = await memory.put(name, body, options);
      if (calls === 1) throw new StrongroomError('TRANSPORT_IO', 'acknowledgement lost', { data: { retryable: true } });
      return result;
    };
    const retrying = new RetryTransport(lossy, { sleep: async () => undefined });
    const result = await retrying.put('a.ryde', bufferBody(data));
    assert.equal(result.sha256, sha256(data));
    assert.equal(calls, 2);
  });

  it('slow peers: delayMs holds every chunk, and the result is still exact', async () => {
    const memory = new MemoryTransport();
    memory.injectFaults({ delayMs: 2 });
    const data = randomBytes(300_000);
    assert.equal((await memory.put('slow.ryde', bufferBody(data))).sha256, sha256(data));
  });

  it('backoff is capped and never negative', () => {
    for (let attempt = 1; attempt <= 30; attempt += 1) {
      const delay = backoffDelay(attempt, { baseDelayMs: 1000, maxDelayMs: 8000, random: () => 0.999999 });
      assert.ok(delay >= 0 && delay < 8000);
    }
    assert.equal(backoffDelay(1, { baseDelayMs: 1000, random: () => 0 }), 0);
  });
});
