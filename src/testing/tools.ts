/**
 * Test helpers for external tools (gpg, xmllint, sshd, the PostgreSQL server …).
 *
 * On a user's machine a missing tool skips the test with a visible message. Under CI
 * (`STRONGROOM_REQUIRE_TOOLS=1`, set by .ci/run, which installs every tool) a missing tool
 * fails the test instead, so a broken CI image can never pass by skipping.
 */
import type { TestContext } from 'node:test';
import { spawnSync } from 'node:child_process';

export const TOOLS_REQUIRED = process.env.STRONGROOM_REQUIRE_TOOLS === '1';

const found = new Map<string, string | null>();

/** Absolute path of an executable on PATH (or in the usual sbin/postgres dirs), or null. */
export function whichTool(tool: string): string | null {
  if (found.has(tool)) return found.get(tool)!;
  const extra = ['/usr/sbin', '/sbin', '/usr/lib/postgresql/15/bin'];
  const path = [process.env.PATH ?? '', ...extra].join(':');
  const result = spawnSync('sh', ['-c', `command -v ${tool}`], { env: { ...process.env, PATH: path }, encoding: 'utf8' });
  const location = result.status === 0 ? result.stdout.trim() : null;
  found.set(tool, location);
  return location;
}

/**
 * Ensure `available` (or the tool on PATH) for this test: returns true when usable. When not,
 * skips the test with a message, or fails it under STRONGROOM_REQUIRE_TOOLS=1.
 */
export function requireTool(t: TestContext, tool: string, available: boolean = whichTool(tool) !== null, why = ''): boolean {
  if (available) return true;
  const message = `required tool missing: ${tool}${why ? ` (${why})` : ''}`;
  if (TOOLS_REQUIRED) throw new Error(`${message}; STRONGROOM_REQUIRE_TOOLS=1 forbids skipping`);
  t.diagnostic(message);
  t.skip(message);
  return false;
}
