import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { inputsFromFiles } from '../verify-stored.js';
import { tempDir } from '../../ryde/testing/fixtures.js';
import { agentKeys, sampleXml, sealXml, sealedFiles } from '../testing/deposits.js';
import type { DepositInput } from '../verify/stage.js';
import { verifyDeposit } from '../verify/verify.js';

function inputOf(files: string[]): DepositInput {
  return inputsFromFiles(files)[0]!;
}

test('agent verify runs the structure checker as a built-in stage: a sealed sample passes it, a broken one fails it with object and location', async (t) => {
  const dir = tempDir(t, 'sr-structure-stage-');
  const keys = await agentKeys(dir);
  const options = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true };
  const xml = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' });
  const good = await sealXml(keys.keys, join(dir, 'good'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  const report = await verifyDeposit(inputOf(sealedFiles(good)), options);
  const stage = report.stages.find((s) => s.id === 'structure');
  assert.equal(stage?.status, 'PASS', JSON.stringify(report.findings));

  const broken = xml.replace(/<rdeDom:status s="ok"\/>|<rdeDomain:status s="ok"\/>/, (m) => m.replace('"ok"', '"okay"'));
  assert.notEqual(broken, xml);
  const bad = await sealXml(keys.keys, join(dir, 'bad'), { tld: 'test', date: '2010-10-17', type: 'full' }, broken);
  const failed = await verifyDeposit(inputOf(sealedFiles(bad)), options);
  assert.equal(failed.stages.find((s) => s.id === 'structure')?.status, 'FAIL');
  assert.notEqual(failed.status, 'PASS');
  const finding = failed.findings.find((f) => f.stage === 'structure')!;
  assert.equal(finding.code, 'RDE_SCHEMA_VALIDATION_ERROR');
  assert.equal(finding.object, 'example1.test');
  assert.match(finding.location!, /:\d+:\d+ \/rde:deposit\/rde:contents\/rdeDom(ain)?:domain\[1\]\/rdeDom(ain)?:status$/);
  assert.match(finding.message, /"okay" is not one of the values of statusValueType/);
});
