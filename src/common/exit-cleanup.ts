/**
 * Cleanup on every exit path we can see, for the whole process: one set of actions run on
 * process `exit` and on SIGINT, SIGTERM, SIGHUP (cleanup, then the signal is re-raised so the
 * exit status still says so). Users: RyDE's temporary files (src/ryde/temp.ts), the restore
 * staging directory and the drill's scratch directory (a plaintext cluster), the wal-fetch temp
 * file (a plaintext segment), a drill's temporary server that must not outlive us. The code
 * that creates them removes them on success and error; these hooks cover the rest.
 * A SIGKILL cannot be seen: the drill and restore leave their directory behind, with a name
 * that says what it is (`strongroom-drill-*`, `.<target>.strongroom-restore-*`).
 */
import { rmSync } from 'node:fs';

const actions = new Set<() => void>();
let hooked = false;

function runAll(): void {
  for (const action of [...actions].reverse()) {
    try {
      action();
    } catch {
      // best effort: the process is going away
    }
  }
  actions.clear();
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', runAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      runAll();
      process.removeListener(signal, handler);
      process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

/** Run `action` (synchronous) if the process exits or is signalled before `release()` is called. */
export function onAbort(action: () => void): () => void {
  hook();
  actions.add(action);
  return () => {
    actions.delete(action);
  };
}

/** Remove `path` (recursively) if the process exits or is signalled before `release()`. */
export function removeOnAbort(path: string): () => void {
  return onAbort(() => rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));
}
