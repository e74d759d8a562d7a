import { test } from 'node:test';
import assert from 'node:assert/strict';
import { teeAsync } from './tee.js';

async function* numbers(n: number, pulled: { count: number }, failAt?: number): AsyncGenerator<number> {
  for (let value = 0; value < n; value++) {
    if (value === failAt) throw new Error('source failed');
    pulled.count++;
    yield value;
  }
}

test('every branch sees every value once, in order; the source is read once', async () => {
  const pulled = { count: 0 };
  const [a, b, c] = teeAsync(numbers(1000, pulled), 3, 16);
  const collect = async (it: AsyncIterable<number>, out: number[]) => {
    for await (const value of it) {
      out.push(value);
      if (value % 7 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return out;
  };
  const [x, y, z] = await Promise.all([collect(a!, []), collect(b!, []), collect(c!, [])]);
  const all = Array.from({ length: 1000 }, (_, i) => i);
  assert.deepEqual([x, y, z], [all, all, all]);
  assert.equal(pulled.count, 1000);
});

test('a fast branch waits for the slow one: never more than the window ahead', async () => {
  const pulled = { count: 0 };
  const [fast, slow] = teeAsync(numbers(100, pulled), 2, 10);
  const fastIt = fast![Symbol.asyncIterator]();
  const seen: number[] = [];
  const running = (async () => {
    for (;;) {
      const r = await fastIt.next();
      if (r.done) return;
      seen.push(r.value);
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(seen.length, 10, 'the fast branch stops at the window');
  assert.ok(pulled.count <= 11);
  let slowCount = 0;
  for await (const _ of slow!) slowCount++;
  await running;
  assert.deepEqual([seen.length, slowCount], [100, 100]);
});

test('a branch that stops early does not hold the others back; an error reaches every reader', async () => {
  const pulled = { count: 0 };
  const [quitter, reader] = teeAsync(numbers(50, pulled), 2, 4);
  for await (const value of quitter!) if (value === 2) break;
  let n = 0;
  for await (const _ of reader!) n++;
  assert.equal(n, 50);
  const [a, b] = teeAsync(numbers(50, { count: 0 }, 30), 2, 8);
  const drain = async (it: AsyncIterable<number>) => {
    for await (const _ of it);
  };
  const results = await Promise.allSettled([drain(a!), drain(b!)]);
  assert.deepEqual(results.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['source failed', 'source failed']);
});
