/**
 * The transport contract as tests (restic's backend/test suite): every implementation runs
 * `transportContract(label, setup)` from its own test file, against a real peer (directory,
 * OpenSSH sshd, s3rver) or in memory. The rules checked are the ones written in transport.ts:
 * atomic put, overwrite rules, size and SHA-256 verification, get/stat/list/remove semantics,
 * temporaries never listed, idempotent remove, name validation, and a re-openable body that a
 * retry starts over.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it, type TestContext } from 'node:test';
import { StrongroomError, isStrongroomError } from '../common/errors.js';
import { requireTool } from '../testing/tools.js';
import { RetryTransport, isRetryable } from './retry.js';
import { TEMP_PREFIX, type Body, type Transport } from './transport.js';

export interface ContractOptions {
  /** External tool the setup needs (the tests skip or fail like requireTool when setup returns null). */
  tool?: string;
  /** Size of the large round trip (default 3 MiB; S3 uses more than one multipart part). */
  largeSize?: number;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A body over a buffer, in chunks of `chunk` bytes; counts how often it was opened. */
export function bufferBody(data: Buffer, extra: Partial<Body> = {}, chunk = 65536): Body & { opens: number } {
  const body = {
    opens: 0,
    open(): Readable {
      body.opens += 1;
      return Readable.from(
        (function* () {
          for (let offset = 0; offset < data.length; offset += chunk) yield data.subarray(offset, offset + chunk);
        })(),
      );
    },
    size: data.length,
    sha256: sha256(data),
    ...extra,
  };
  return body;
}

/** A body whose first `failures` opens break after the first chunk. */
export function flakyBody(data: Buffer, failures: number): Body & { opens: number } {
  const body = {
    opens: 0,
    open(): Readable {
      body.opens += 1;
      const fail = body.opens <= failures;
      return Readable.from(
        (async function* () {
          yield data.subarray(0, Math.min(data.length, 1000));
          if (fail) throw new Error('source broke off (injected)');
          if (data.length > 1000) yield data.subarray(1000);
        })(),
      );
    },
    size: data.length,
    sha256: sha256(data),
  };
  return body;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function listNames(transport: Transport, prefix?: string): Promise<string[]> {
  const names: string[] = [];
  for await (const info of transport.list(prefix)) names.push(info.name);
  return names.sort();
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<StrongroomError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(isStrongroomError(err), `expected a StrongroomError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

/** Register the contract tests for one implementation. `setup` returns null when its peer is unavailable. */
export function transportContract(label: string, setup: () => Promise<Transport | null>, options: ContractOptions = {}): void {
  describe(`transport contract: ${label}`, () => {
    let transport: Transport | null = null;
    let counter = 0;
    const unique = (stem: string) => `c${++counter}-${stem}`;

    before(async () => {
      transport = await setup();
    });
    after(async () => {
      await transport?.close();
    });

    /** The transport under test, or null after skipping (requireTool semantics). */
    const ready = (t: TestContext): Transport | null => {
      if (transport) return transport;
      requireTool(t, options.tool ?? label, false, `the ${label} transport could not be set up`);
      return null;
    };

    it('put stores the exact bytes and reports size and SHA-256; get and stat agree', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const data = randomBytes(200_000);
      const name = `${unique('dir')}/sub/example_2026-11-21_full_S1_R0.ryde`;
      const result = await tr.put(name, bufferBody(data));
      assert.deepEqual({ name: result.name, size: result.size, sha256: result.sha256 }, { name, size: data.length, sha256: sha256(data) });
      assert.deepEqual(await readAll(await tr.get(name)), data);
      assert.equal((await tr.stat(name))?.size, data.length);
    });

    it('large multi-chunk bodies and empty bodies round-trip', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const large = randomBytes(options.largeSize ?? 3 * 1024 * 1024);
      const largeName = unique('large.bin');
      assert.equal((await tr.put(largeName, bufferBody(large, {}, 100_003))).sha256, sha256(large));
      assert.equal(sha256(await readAll(await tr.get(largeName))), sha256(large));
      const emptyName = unique('empty.bin');
      const empty = await tr.put(emptyName, bufferBody(Buffer.alloc(0)));
      assert.equal(empty.size, 0);
      assert.equal((await readAll(await tr.get(emptyName))).length, 0);
      assert.equal((await tr.stat(emptyName))?.size, 0);
    });

    it('a body given as a local file (Body.path) is stored exactly', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const dir = await mkdtemp(join(tmpdir(), 'sr-contract-'));
      try {
        const data = randomBytes(1_500_000);
        const path = join(dir, 'local.ryde');
        await writeFile(path, data);
        const name = unique('from-file.ryde');
        const body = { ...bufferBody(data), path };
        assert.equal((await tr.put(name, body)).sha256, sha256(data));
        assert.deepEqual(await readAll(await tr.get(name)), data);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('put refuses to replace an existing object unless overwrite is set', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const name = unique('once.sig');
      const first = randomBytes(1000);
      const second = randomBytes(2000);
      await tr.put(name, bufferBody(first));
      const refusedBody = bufferBody(second);
      await rejectsWith(tr.put(name, refusedBody), 'TRANSPORT_EXISTS');
      assert.deepEqual(await readAll(await tr.get(name)), first, 'the refused put left the original in place');
      await tr.put(name, bufferBody(second), { overwrite: true });
      assert.deepEqual(await readAll(await tr.get(name)), second);
      assert.deepEqual(await listNames(tr, name), [name]);
    });

    it('a size or SHA-256 mismatch fails with TRANSPORT_VERIFY_FAILED and leaves nothing', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const data = randomBytes(50_000);
      const prefix = unique('verify');
      await rejectsWith(tr.put(`${prefix}/size.bin`, bufferBody(data, { size: data.length + 1 })), 'TRANSPORT_VERIFY_FAILED');
      await rejectsWith(tr.put(`${prefix}/hash.bin`, bufferBody(data, { sha256: sha256(Buffer.from('other')) })), 'TRANSPORT_VERIFY_FAILED');
      assert.equal(await tr.stat(`${prefix}/size.bin`), null);
      assert.equal(await tr.stat(`${prefix}/hash.bin`), null);
      assert.deepEqual(await listNames(tr, prefix), []);
    });

    it('a put whose body breaks off is retryable and leaves nothing under the name', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const name = unique('broken.ryde');
      const err = await tr.put(name, flakyBody(randomBytes(20_000), 1)).then(
        () => assert.fail('the put should have failed'),
        (e: unknown) => e,
      );
      assert.ok(isRetryable(err), `a broken body is a retryable StrongroomError, got ${String(err)}`);
      assert.equal(await tr.stat(name), null);
      assert.deepEqual(await listNames(tr, name), []);
    });

    it('RetryTransport re-opens the body and completes the put', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const data = randomBytes(30_000);
      const body = flakyBody(data, 2);
      const delays: number[] = [];
      const retrying = new RetryTransport(tr, { attempts: 4, baseDelayMs: 10, sleep: async (ms) => void delays.push(ms) });
      const name = unique('retried.ryde');
      const result = await retrying.put(name, body);
      assert.equal(body.opens, 3, 'two broken attempts, then a complete one');
      assert.equal(delays.length, 2);
      assert.equal(result.sha256, sha256(data));
      assert.deepEqual(await readAll(await tr.get(name)), data);
    });

    it('an upload in flight is invisible to stat, get and list (no temporaries listed)', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const prefix = unique('inflight');
      const name = `${prefix}/slow.ryde`;
      const data = randomBytes(300_000);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let started!: () => void;
      const startedP = new Promise<void>((resolve) => (started = resolve));
      const body: Body = {
        open: () =>
          Readable.from(
            (async function* () {
              yield data.subarray(0, 100_000);
              started();
              await gate;
              yield data.subarray(100_000);
            })(),
          ),
        size: data.length,
        sha256: sha256(data),
      };
      const putting = tr.put(name, body);
      await startedP;
      assert.equal(await tr.stat(name), null);
      await rejectsWith(tr.get(name), 'TRANSPORT_NOT_FOUND');
      assert.deepEqual(await listNames(tr, prefix), []);
      release();
      await putting;
      assert.deepEqual(await listNames(tr, prefix), [name]);
      const all = await listNames(tr);
      assert.ok(all.includes(name));
      assert.ok(!all.some((n) => n.split('/').some((part) => part.startsWith(TEMP_PREFIX))), `no temporaries in ${all.join(', ')}`);
    });

    it('get of an absent object is TRANSPORT_NOT_FOUND and stat is null', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      await rejectsWith(tr.get(unique('absent.ryde')), 'TRANSPORT_NOT_FOUND');
      assert.equal(await tr.stat(unique('absent.ryde')), null);
      assert.equal(await tr.stat(`${unique('no-such-dir')}/absent.ryde`), null);
    });

    it('list yields every object under a prefix with its size, nested ones included', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const prefix = unique('list');
      const names = [`${prefix}/a.ryde`, `${prefix}/b/c.sig`, `${prefix}/b/d/e.ryde`];
      for (const [index, name] of names.entries()) await tr.put(name, bufferBody(Buffer.alloc(index + 1, 7)));
      await tr.put(`${prefix}-other/x.ryde`, bufferBody(Buffer.from('x')));
      const listed: Array<[string, number]> = [];
      for await (const info of tr.list(`${prefix}/`)) listed.push([info.name, info.size]);
      listed.sort((a, b) => (a[0] < b[0] ? -1 : 1));
      assert.deepEqual(listed, names.map((name, index) => [name, index + 1]));
      assert.deepEqual(await listNames(tr, `${prefix}/b/`), names.slice(1));
      assert.deepEqual(await listNames(tr, `${unique('empty-prefix')}/`), []);
    });

    it('remove deletes, and removing an absent object is not an error', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const name = unique('gone.ryde');
      await tr.put(name, bufferBody(Buffer.from('bye')));
      await tr.remove(name);
      assert.equal(await tr.stat(name), null);
      await tr.remove(name);
      await tr.remove(`${unique('never')}/there.ryde`);
    });

    it('names that could escape or collide with temporaries are refused before any I/O', async (t) => {
      const tr = ready(t);
      if (!tr) return;
      const bad = ['', '/abs.ryde', '../up.ryde', 'a/../b.ryde', 'a//b.ryde', './x.ryde', 'a\\b.ryde', `x/${TEMP_PREFIX}y.ryde`, 'trailing/'];
      for (const name of bad) {
        const body = bufferBody(Buffer.from('x'));
        await rejectsWith(tr.put(name, body), 'TRANSPORT_NAME_INVALID');
        assert.equal(body.opens, 0, `the body of "${name}" was never opened`);
        await rejectsWith(tr.get(name), 'TRANSPORT_NAME_INVALID');
        await rejectsWith(tr.stat(name), 'TRANSPORT_NAME_INVALID');
        await rejectsWith(tr.remove(name), 'TRANSPORT_NAME_INVALID');
      }
    });
  });
}
