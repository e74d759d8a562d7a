import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tempDir } from '../../ryde/testing/fixtures.js';
import { serverTestDb } from '../../testing/databases.js';
import { RDE_SCHEMA } from '../../testing/paths.js';
import { requireTool } from '../../testing/tools.js';
import { Catalog } from '../catalog.js';
import { agentKeys, sampleXml, sealXml, sealedFiles } from '../testing/deposits.js';
import { inputsFromFiles } from '../verify-stored.js';
import { reportText, verifyDeposit, type VerifyOptions, type VerifyReport } from './verify.js';

/** What a report says, without the times. */
function verdict(report: VerifyReport): unknown {
  return { status: report.status, stages: report.stages, findings: report.findings, summary: report.summary, deposit: { ...report.deposit, verifiedAt: undefined }, facts: report.facts };
}

const HEADER = /<rdeHeader:header>[\s\S]*?<\/rdeHeader:header>/;

test('the single pass (decode once, every check on one stream) reports exactly what the stage-by-stage run over the encrypted spool does', async (t) => {
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  const schema = requireTool(t, 'xmllint') ? { schema: RDE_SCHEMA } : {};
  const dir = tempDir(t, 'sr-agent-single-pass-');
  const keys = await agentKeys(dir);
  const options: VerifyOptions = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true, catalog: new Catalog(server.db), ...schema };
  const cases: Array<[string, (xml: string) => string]> = [
    ['clean', (xml) => xml],
    ['count', (xml) => xml.replace('uri="urn:ietf:params:xml:ns:rdeDomain-1.0">2<', 'uri="urn:ietf:params:xml:ns:rdeDomain-1.0">3<')],
    ['doctype', (xml) => xml.replace('<rde:deposit', '<!DOCTYPE rde:deposit [<!ENTITY a "aaaa">]>\n<rde:deposit')],
    ['broken', (xml) => xml.replace('</rde:contents>', '</rde:content>')],
    ['tld', (xml) => xml.replace('<rdeHeader:tld>test</rdeHeader:tld>', '<rdeHeader:tld>other</rdeHeader:tld>')],
    ['no header', (xml) => xml.replace(HEADER, '')],
    ['two headers', (xml) => xml.replace(HEADER, (header) => `${header}${header}`)],
    // The header after every object: the object rules wait for its TLD.
    ['header last, other tld', (xml) => xml.replace(HEADER, '').replace('</rde:contents>', `${HEADER.exec(xml)![0].replace('>test<', '>other<')}</rde:contents>`)],
    ['dangling host', (xml) => xml.replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>')],
    ['reader refuses', (xml) => xml.replace('<rdeDom:roid>Dexample1-TEST</rdeDom:roid>', '')],
  ];
  for (const [label, mutate] of cases) {
    const sealed = await sealXml(keys.keys, join(dir, label), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', mutate }));
    const input = inputsFromFiles(sealedFiles(sealed))[0]!;
    const now = new Date();
    // With a catalog the object stages run on the semantic worker by default; on the main thread when told not to.
    const single = await verifyDeposit(input, { ...options, now });
    const onMain = await verifyDeposit(input, { ...options, now, semanticWorker: false });
    const spooled = await verifyDeposit(input, { ...options, now, singlePass: false, semanticWorker: false });
    assert.deepEqual(verdict(single), verdict(spooled), `${label}:\n${reportText(single)}\n${reportText(spooled)}`);
    assert.deepEqual(verdict(onMain), verdict(spooled), `${label} (semantic pass on the main thread):\n${reportText(onMain)}\n${reportText(spooled)}`);
    if (label === 'clean') assert.equal(single.status, 'PASS', reportText(single));
    else assert.notEqual(single.status, 'PASS', `${label}: ${reportText(single)}`);
  }
});

test('single pass: when the stream does not decode to its end, no check that read it is reported, only the decode failure', async (t) => {
  const dir = tempDir(t, 'sr-agent-single-pass-limit-');
  const keys = await agentKeys(dir);
  // A broken reference early in the XML, then far more bytes than the size limit allows.
  const padding = `<!-- ${'x'.repeat(256 * 1024)} -->`;
  const xml = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', mutate: (text) => text.replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>').replace('</rde:deposit>', `${padding}</rde:deposit>`) });
  const sealed = await sealXml(keys.keys, join(dir, 'in'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  const report = await verifyDeposit(inputsFromFiles(sealedFiles(sealed))[0]!, { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true, limits: { maxXmlBytes: 128 * 1024 } });
  assert.equal(report.status, 'FAIL');
  assert.deepEqual(
    report.stages.map((stage) => `${stage.id} ${stage.status}`),
    ['signature PASS', 'decode FAIL', 'xml-wellformed NOT RUN', 'structure NOT RUN', 'schema NOT RUN', 'container-rules NOT RUN', 'object-rules NOT RUN', 'references NOT RUN', 'chain NOT RUN'],
  );
  assert.deepEqual(report.findings.map((finding) => `${finding.stage} ${finding.code}`), ['decode AGENT_LIMIT_EXCEEDED']);
});

test('single pass: a deposit many times the pass window long goes through while a stage that reads nothing (xmllint not asked for) has returned', async (t) => {
  // A window of two chunks: a branch left open by a stage that returned would stop the pass at once.
  const dir = tempDir(t, 'sr-agent-single-pass-long-');
  const keys = await agentKeys(dir);
  // About 4 MiB of comments between the objects: many decoded chunks.
  const filler = Array.from({ length: 64 }, (_, n) => `<!-- ${String(n).padStart(4, '0')}${'z'.repeat(64 * 1024)} -->`).join('\n');
  const xml = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', mutate: (text) => text.replace('</rdeHeader:header>', `</rdeHeader:header>\n${filler}`) });
  const sealed = await sealXml(keys.keys, join(dir, 'in'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  const report = await verifyDeposit(inputsFromFiles(sealedFiles(sealed))[0]!, { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true, passWindow: 2 });
  assert.equal(report.status, 'PASS', reportText(report));
  assert.equal(report.facts.xmlBytes, Buffer.byteLength(xml));
  assert.equal(report.stages.find((stage) => stage.id === 'schema')!.status, 'NOT RUN');
});

test('single pass: a fault inside the semantic worker is reported as ERROR of the stages it hit, never a PASS; a decode failure ends it', async (t) => {
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  const dir = tempDir(t, 'sr-agent-semantic-worker-');
  const keys = await agentKeys(dir);
  const options: VerifyOptions = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true, catalog: new Catalog(server.db) };
  const sealed = await sealXml(keys.keys, join(dir, 'in'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  const input = inputsFromFiles(sealedFiles(sealed))[0]!;
  const clean = await verifyDeposit(input, options);
  assert.equal(clean.status, 'PASS', reportText(clean));
  const expected: Record<'rules' | 'references' | 'crash' | 'memory', string[]> = {
    rules: ['object-rules ERROR', 'references PASS'],
    references: ['object-rules PASS', 'references ERROR'],
    crash: ['object-rules ERROR', 'references ERROR'],
    // Past its heap limit (resourceLimits) the worker dies: ERROR, never a PASS.
    memory: ['object-rules ERROR', 'references ERROR'],
  };
  for (const fault of ['rules', 'references', 'crash', 'memory'] as const) {
    const report = await verifyDeposit(input, { ...options, semanticFault: fault });
    assert.equal(report.status, 'ERROR', `${fault}: ${reportText(report)}`);
    assert.deepEqual(
      report.stages.filter((stage) => stage.id === 'object-rules' || stage.id === 'references').map((stage) => `${stage.id} ${stage.status}`),
      expected[fault],
      `${fault}: ${reportText(report)}`,
    );
    for (const stage of report.stages.filter((stage) => stage.status === 'ERROR')) {
      assert.ok(stage.reason && stage.reason.length > 0, `${fault}: ${stage.id} says why`);
      assert.ok(report.findings.some((finding) => finding.stage === stage.id && finding.code === 'AGENT_CHECK_ERROR'), `${fault}: ${stage.id} has its finding`);
    }
    // Every other stage as in the clean run.
    assert.deepEqual(
      report.stages.filter((stage) => stage.status !== 'ERROR').map((stage) => `${stage.id} ${stage.status}`),
      clean.stages.filter((stage) => !report.stages.some((other) => other.id === stage.id && other.status === 'ERROR')).map((stage) => `${stage.id} ${stage.status}`),
    );
  }
  // The stream fails to decode to its end (size limit) while the worker reads it: only the decode failure, nothing hangs.
  const padding = `<!-- ${'x'.repeat(256 * 1024)} -->`;
  const big = await sealXml(keys.keys, join(dir, 'big'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', mutate: (text) => text.replace('</rde:deposit>', `${padding}</rde:deposit>`) }));
  const cut = await verifyDeposit(inputsFromFiles(sealedFiles(big))[0]!, { ...options, limits: { maxXmlBytes: 128 * 1024 }, passWindow: 2 });
  assert.equal(cut.status, 'FAIL');
  assert.deepEqual(cut.findings.map((finding) => `${finding.stage} ${finding.code}`), ['decode AGENT_LIMIT_EXCEEDED']);
  assert.deepEqual(cut.stages.filter((stage) => stage.kind === 'semantic').map((stage) => stage.status), ['NOT RUN', 'NOT RUN', 'NOT RUN']);
});
