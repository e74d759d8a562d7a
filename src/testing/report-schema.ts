/**
 * Validation of report documents (rdeReport, rdeNotification, iirdea) against the official
 * registry-interfaces schemas read from ../shared (draft 26, all-reports.xsd wrapper) with
 * `xmllint`. Callers first `requireTool(t, 'xmllint')` (assertReportValid does it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';
import { REPORT_SCHEMA } from './paths.js';
import { requireTool } from './tools.js';

export interface ReportVerdict {
  valid: boolean;
  output: string;
}

/** Validate an XML document given as a string (fed to xmllint on stdin). */
export function xmllintReport(xml: string): ReportVerdict {
  const result = spawnSync('xmllint', ['--noout', '--schema', REPORT_SCHEMA, '-'], { input: xml, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { valid: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/** Assert that `xml` validates (skips on machines without xmllint, fails under CI). */
export function assertReportValid(t: TestContext, xml: string): boolean {
  if (!requireTool(t, 'xmllint')) return false;
  const verdict = xmllintReport(xml);
  assert.ok(verdict.valid, `not valid against the report schemas:\n${verdict.output}\n${xml}`);
  return true;
}
