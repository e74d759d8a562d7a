/**
 * One async iterable read by several consumers at once (`teeAsync`): each branch sees every
 * value in order; the source is pulled once. Memory stays bounded: a branch may run at most
 * `window` values ahead of the slowest branch still reading, then it waits. A branch that
 * stops early (break / return) no longer holds the others back; when every branch has stopped
 * the source is closed. An error of the source reaches every branch still reading.
 */
export function teeAsync<T>(source: AsyncIterable<T>, branches: number, window = 1024): AsyncIterable<T>[] {
  const iterator = source[Symbol.asyncIterator]();
  /** buffer[k] is the value at absolute position start + k. */
  let buffer: T[] = [];
  let start = 0;
  let done = false;
  let failure: { error: unknown } | null = null;
  let pulling: Promise<void> | null = null;
  const positions = new Array<number>(branches).fill(0);
  const active = new Array<boolean>(branches).fill(true);
  let wake: Array<() => void> = [];

  const notify = (): void => {
    const waiting = wake;
    wake = [];
    for (const resolve of waiting) resolve();
  };
  const slowest = (): number => {
    let min = Infinity;
    for (let index = 0; index < branches; index++) if (active[index] && positions[index]! < min) min = positions[index]!;
    return min;
  };
  const trim = (): void => {
    const min = slowest();
    const drop = Math.min(buffer.length, (min === Infinity ? start + buffer.length : min) - start);
    if (drop > 0) {
      buffer = buffer.slice(drop);
      start += drop;
      notify();
    }
  };
  const pull = (): Promise<void> => {
    pulling ??= iterator.next().then(
      (result) => {
        if (result.done) done = true;
        else buffer.push(result.value);
      },
      (error: unknown) => {
        failure = { error };
      },
    ).finally(() => {
      pulling = null;
      notify();
    });
    return pulling;
  };

  async function next(index: number): Promise<IteratorResult<T>> {
    for (;;) {
      const at = positions[index]!;
      if (at < start + buffer.length) {
        const value = buffer[at - start]!;
        positions[index] = at + 1;
        trim();
        return { value, done: false };
      }
      if (failure) throw failure.error;
      if (done) return { value: undefined, done: true };
      if (pulling) await pulling;
      else if (start + buffer.length - slowest() >= window) await new Promise<void>((resolve) => wake.push(resolve));
      else await pull();
    }
  }

  async function stop(index: number): Promise<void> {
    if (!active[index]) return;
    active[index] = false;
    trim();
    notify();
    if (!active.some(Boolean) && !done && !failure) {
      done = true;
      await iterator.return?.();
    }
  }

  return Array.from({ length: branches }, (_, index) => ({
    [Symbol.asyncIterator](): AsyncIterator<T> {
      return {
        next: () => next(index),
        return: async () => {
          await stop(index);
          return { value: undefined, done: true };
        },
      };
    },
  }));
}

/** The items of `batches` one at a time (for a consumer written against single items). */
export async function* eachOf<T>(batches: AsyncIterable<readonly T[]>): AsyncGenerator<T> {
  for await (const batch of batches) yield* batch;
}
