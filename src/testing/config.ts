/** Test helper for configuration files: the problems a file is refused with. */
import assert from 'node:assert/strict';
import { isStrongroomError } from '../common/errors.js';
import { parseConfig } from '../config/load.js';

/** Parses `text` (as /etc/strongroom.yaml), which must fail with CONFIG_INVALID, and returns its problems. */
export function configProblems(text: string): string[] {
  try {
    parseConfig(text, '/etc/strongroom.yaml');
  } catch (err) {
    assert.ok(isStrongroomError(err, 'CONFIG_INVALID'), String(err));
    return err.data!.problems as string[];
  }
  assert.fail('expected CONFIG_INVALID');
}
