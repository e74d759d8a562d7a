/**
 * Validation of deposit XML against the official RFC 8909/9022 schemas (read from ../shared,
 * never copied) with `xmllint --stream`, the streaming validator escrow agents use
 * (rde-standards.md §6.3, stack.md §4.7). Callers first `requireTool(t, 'xmllint')`.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { requireTool } from './tools.js';
import { RDE_SCHEMA } from './paths.js';

export interface SchemaVerdict {
  valid: boolean;
  /** xmllint's messages (errors name line and element). */
  output: string;
}

export function xmllintDeposit(file: string): SchemaVerdict {
  const result = spawnSync('xmllint', ['--noout', '--stream', '--schema', RDE_SCHEMA, file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { valid: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Assert that `file` validates (skips on machines without xmllint, fails under CI). */
export function assertSchemaValid(t: TestContext, file: string): void {
  if (!requireTool(t, 'xmllint')) return;
  const verdict = xmllintDeposit(file);
  assert.ok(verdict.valid, `${file} is not schema-valid:\n${verdict.output}`);
}
