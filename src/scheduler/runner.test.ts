import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { StrongroomError, isStrongroomError } from '../common/errors.js';
import { SPEC2_SCHEDULE } from './calendar.js';
import { DaemonLock } from './lock.js';
import { Scheduler, tldStatus, type Clock, type JobSteps, type SchedulerEvent, type StepContext } from './runner.js';
import { STEP_ORDER, StateStore } from './state.js';

/** A simulated clock: sleeping moves time forward instantly. */
class SimClock implements Clock {
  constructor(private t: number) {}
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
  async sleep(ms: number): Promise<void> {
    this.t += Math.max(0, ms);
  }
}

/** Steps that record each call; `failures` makes the named key:step throw that many times. */
function recordingSteps(calls: string[], failures = new Map<string, number>()): JobSteps {
  const step = (name: string) => async (ctx: StepContext) => {
    const id = `${ctx.record.key}:${name}`;
    const left = failures.get(id) ?? 0;
    if (left > 0) {
      failures.set(id, left - 1);
      throw new StrongroomError('TRANSPORT_IO', `injected failure of ${id}`);
    }
    calls.push(`${id}:R${ctx.record.resend}`);
    return { ran: id };
  };
  return Object.fromEntries(STEP_ORDER.map((s) => [s, step(s)])) as unknown as JobSteps;
}

async function withState<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-sched-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('two simulated weeks: every deposit runs each step exactly once, in order', () =>
  withState(async (dir) => {
    const clock = new SimClock(Date.parse('2026-11-15T00:00:00Z'));
    const calls: string[] = [];
    const events: SchedulerEvent[] = [];
    const store = await new StateStore(dir).init();
    const scheduler = new Scheduler({
      tlds: [{ tld: 'example', schedule: { ...SPEC2_SCHEDULE, thin: 'tue' } }],
      store,
      steps: recordingSteps(calls),
      clock,
      onEvent: (e) => {
        events.push(e);
      },
    });
    const stop = new AbortController();
    const end = Date.parse('2026-11-29T00:00:01Z');
    // Run the daemon loop; stop once the simulated clock passes the end.
    const origSleep = clock.sleep.bind(clock);
    clock.sleep = async (ms: number) => {
      await origSleep(ms);
      if (clock.now().getTime() >= end) stop.abort();
    };
    await scheduler.run(stop.signal);
    const keys = [...new Set(calls.map((c) => c.split(":")[0]!))];
    assert.equal(keys.filter((k) => k.endsWith('_full')).length, 3, 'FULLs on 15, 22 and 29 Nov');
    assert.deepEqual(keys.slice(0, 3), ['example_2026-11-15_full', 'example_2026-11-16_diff', 'example_2026-11-16_thin']);
    assert.equal(keys.filter((k) => k.endsWith('_diff')).length, 12);
    assert.equal(keys.filter((k) => k.endsWith('_thin')).length, 2);
    assert.equal(calls.length, keys.length * STEP_ORDER.length, 'each step once per deposit');
    assert.equal(new Set(calls).size, calls.length, 'no step twice');
    for (const key of keys) {
      const steps = calls.filter((c) => c.startsWith(`${key}:`)).map((c) => c.split(':')[1]);
      assert.deepEqual(steps, [...STEP_ORDER], `${key} steps in order`);
    }
    assert.equal(events.filter((e) => e.kind === 'complete').length, keys.length);
    assert.equal(events.filter((e) => e.kind === 'overdue').length, 0);
    // Running again at a moment already covered changes nothing.
    clock.set('2026-11-29T12:00:00Z');
    const again = await scheduler.tick();
    assert.deepEqual(again.ran, []);
  }));

test('downtime: missed days are caught up in watermark order, late ones announced overdue once', () =>
  withState(async (dir) => {
    const clock = new SimClock(Date.parse('2026-11-15T00:00:00Z'));
    const calls: string[] = [];
    const events: SchedulerEvent[] = [];
    const store = await new StateStore(dir).init();
    const make = () => new Scheduler({ tlds: [{ tld: 'example', schedule: SPEC2_SCHEDULE }], store, steps: recordingSteps(calls), clock, onEvent: (e) => void events.push(e) });
    await make().tick();
    // Down from Sunday until Thursday noon.
    clock.set('2026-11-19T12:00:00Z');
    await make().tick();
    const stages = calls.filter((c) => c.includes(':stage:')).map((c) => c.split(':')[0]);
    assert.deepEqual(stages, ['example_2026-11-15_full', 'example_2026-11-16_diff', 'example_2026-11-17_diff', 'example_2026-11-18_diff', 'example_2026-11-19_diff']);
    const overdue = events.filter((e) => e.kind === 'overdue').map((e) => e.key);
    assert.deepEqual(overdue, ['example_2026-11-16_diff', 'example_2026-11-17_diff', 'example_2026-11-18_diff']);
    await make().tick();
    assert.equal(events.filter((e) => e.kind === 'overdue').length, 3, 'announced once');
  }));

test('a failing step is retried with backoff and blocks the rest of the chain, not BRDA', () =>
  withState(async (dir) => {
    const clock = new SimClock(Date.parse('2026-11-16T00:00:00Z'));
    const calls: string[] = [];
    const events: SchedulerEvent[] = [];
    const failures = new Map([['example_2026-11-16_diff:deliver', 2]]);
    const store = await new StateStore(dir).init();
    await store.putCursor({ tld: 'example', from: '2026-11-16' });
    const scheduler = new Scheduler({
      tlds: [{ tld: 'example', schedule: { ...SPEC2_SCHEDULE, thin: 'wed' } }],
      store,
      steps: recordingSteps(calls, failures),
      clock,
      retry: { baseMs: 60_000, maxMs: 600_000 },
      onEvent: (e) => void events.push(e),
    });
    clock.set('2026-11-17T00:00:00Z');
    const first = await scheduler.tick();
    assert.deepEqual(first.failed, ['example_2026-11-16_diff:deliver']);
    // The 17th's DIFF waits for the 16th; the BRDA job of the 17th (thin on Wednesday) does not.
    assert.ok(!calls.some((c) => c.startsWith('example_2026-11-17_diff')));
    assert.ok(calls.some((c) => c.startsWith('example_2026-11-17_thin:notify')));
    let record = await store.getJob('example_2026-11-16_diff');
    assert.equal(record!.attempts, 1);
    assert.equal(record!.nextAttempt, '2026-11-17T00:01:00.000Z');
    // Too early: nothing runs.
    assert.deepEqual((await scheduler.tick()).ran, []);
    assert.equal((await scheduler.nextWake()).toISOString(), '2026-11-17T00:01:00.000Z');
    clock.set('2026-11-17T00:01:00Z');
    assert.deepEqual((await scheduler.tick()).failed, ['example_2026-11-16_diff:deliver']);
    record = await store.getJob('example_2026-11-16_diff');
    assert.equal(record!.nextAttempt, '2026-11-17T00:03:00.000Z', 'backoff doubles');
    clock.set('2026-11-17T00:03:00Z');
    const third = await scheduler.tick();
    assert.deepEqual(third.failed, []);
    assert.deepEqual(third.ran.slice(0, 3), ['example_2026-11-16_diff:deliver', 'example_2026-11-16_diff:report', 'example_2026-11-16_diff:notify']);
    assert.ok(third.ran.includes('example_2026-11-17_diff:notify'));
    assert.equal(calls.filter((c) => c.startsWith('example_2026-11-16_diff:stage')).length, 1, 'stage is not redone by a retry');
    assert.deepEqual(events.filter((e) => e.kind === 'failure').map((e) => (e as { attempt: number }).attempt), [1, 2]);
    const status = await tldStatus({ tld: 'example', schedule: SPEC2_SCHEDULE }, store, clock.now());
    assert.equal(status.pending.length, 0);
    assert.equal(status.lastComplete!.key, 'example_2026-11-17_diff');
    assert.equal(status.next.key, 'example_2026-11-18_diff');
  }));

test('shutdown mid-step costs no attempt; the step runs again on restart', () =>
  withState(async (dir) => {
    const clock = new SimClock(Date.parse('2026-11-22T01:00:00Z'));
    const store = await new StateStore(dir).init();
    const stop = new AbortController();
    let sealRuns = 0;
    const calls: string[] = [];
    const steps = recordingSteps(calls);
    steps.seal = async (ctx) => {
      sealRuns++;
      if (sealRuns === 1) {
        stop.abort();
        throw new StrongroomError('INTERRUPTED', 'stopping');
      }
      return { sealed: ctx.record.key };
    };
    const scheduler = new Scheduler({ tlds: [{ tld: 'example', schedule: SPEC2_SCHEDULE }], store, steps, clock });
    await scheduler.tick(stop.signal);
    let record = await store.getJob('example_2026-11-22_full');
    assert.deepEqual(Object.keys(record!.steps), ['stage']);
    assert.equal(record!.attempts, 0);
    await scheduler.tick();
    record = await store.getJob('example_2026-11-22_full');
    assert.deepEqual(Object.keys(record!.steps), [...STEP_ORDER]);
    assert.equal(sealRuns, 2);
  }));

test('resend runs the deposit again as R1; a never-staged job cannot be resent', () =>
  withState(async (dir) => {
    const clock = new SimClock(Date.parse('2026-11-22T01:00:00Z'));
    const store = await new StateStore(dir).init();
    const calls: string[] = [];
    const scheduler = new Scheduler({ tlds: [{ tld: 'example', schedule: SPEC2_SCHEDULE }], store, steps: recordingSteps(calls), clock });
    await scheduler.tick();
    await assert.rejects(scheduler.resend('example_2026-11-23_diff'), (err) => isStrongroomError(err, 'SCHEDULER_NOTHING_TO_RESEND'));
    const updated = await scheduler.resend('example_2026-11-22_full');
    assert.equal(updated.resend, 1);
    await scheduler.tick();
    assert.deepEqual(
      calls.filter((c) => c.endsWith(':R1')),
      STEP_ORDER.map((s) => `example_2026-11-22_full:${s}:R1`),
    );
  }));

test('one daemon per state directory; a stale lock of a dead process is taken over', () =>
  withState(async (dir) => {
    const lock = await DaemonLock.acquire(dir);
    await assert.rejects(DaemonLock.acquire(dir), (err) => isStrongroomError(err, 'SCHEDULER_LOCKED') && /another daemon holds/.test(err.message));
    await lock.release();
    const again = await DaemonLock.acquire(dir);
    await again.release();
    // A lock file left by a process that has exited.
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const deadPid = Number(child.stdout.toString());
    const { hostname } = await import('node:os');
    await writeFile(join(dir, 'daemon.lock'), JSON.stringify({ pid: deadPid, host: hostname(), since: '2026-01-01T00:00:00Z' }));
    const taken = await DaemonLock.acquire(dir);
    await taken.release();
  }));

test('a corrupt state record is reported with its path', () =>
  withState(async (dir) => {
    const store = await new StateStore(dir).init();
    await writeFile(join(dir, 'jobs', 'example_2026-11-22_full.json'), '{"key": ');
    await assert.rejects(store.getJob('example_2026-11-22_full'), (err) => isStrongroomError(err, 'SCHEDULER_STATE_INVALID') && err.message.includes('example_2026-11-22_full.json'));
  }));
