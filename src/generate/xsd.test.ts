import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RDE_SCHEMA } from '../testing/paths.js';
import { requireTool } from '../testing/tools.js';
import { registryObjects } from './generate.js';
import { Plan, type HostModel } from './plan.js';
import { depositXml } from './testing/xml.js';

for (const hostModel of ['objects', 'attributes'] as HostModel[]) {
  test(`every generated object is valid by the RFC 8909/9022 schemas (${hostModel} model)`, async (t) => {
    if (!requireTool(t, 'xmllint')) return;
    const plan = new Plan({ tld: hostModel === 'objects' ? 'example' : 'xn--p1ai', domains: 2500, seed: 'xsd', asOf: '2026-03-01T00:00:00Z', hostModel });
    const dir = await mkdtemp(join(tmpdir(), 'sr-xsd-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'deposit.xml');
    await writeFile(file, depositXml(plan.tld, plan.asOfText, registryObjects(plan)));
    const result = spawnSync('xmllint', ['--noout', '--schema', RDE_SCHEMA, file], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr.split('\n').slice(0, 10).join('\n'));
    assert.match(result.stderr, /validates/);
  });
}
