import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFullDeposit } from '../../deposit/full-deposit.js';
import { embeddedTestDb } from '../../testing/databases.js';
import { FIXTURE_WATERMARK, loadFixtureRegistry } from '../../testing/fixture-registry.js';
import { SAMPLES_DIR } from '../../testing/paths.js';
import { checkDepositObjects, type ObjectRuleOptions } from './object-rules.js';

const GREETING = { objURI: ['urn:ietf:params:xml:ns:domain-1.0', 'urn:ietf:params:xml:ns:host-1.0'], extURI: ['urn:ietf:params:xml:ns:rgp-1.0', 'urn:ietf:params:xml:ns:secDNS-1.1'] };
const SAMPLE_OPTIONS: ObjectRuleOptions = { roidSuffix: 'TEST', dataModel: 'maximum', hostModel: 'objects', idnTables: ['pt-BR'], greeting: GREETING };
const sample = () => readFile(join(SAMPLES_DIR, 'example-full.xml'), 'utf8');
async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}
const run = (xml: string, options: ObjectRuleOptions = SAMPLE_OPTIONS) => checkDepositObjects(() => once(Buffer.from(xml)), options);
const summary = (r: Awaited<ReturnType<typeof run>>) => r.findings.map((f) => `${f.code} ${f.object ?? ''}`).sort();

test('the RFC sample FULL deposit is clean under rde-07…rde-14 with its models given; nothing is skipped', async () => {
  const r = await run(await sample());
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.notRun, []);
  assert.equal(r.objects, 12);
});

test('what is not given is reported as not run, never as passed', async () => {
  const r = await run(await sample(), {});
  assert.deepEqual(r.findings, []);
  assert.equal(r.notRun.length, 4, r.notRun.join('\n'));
  assert.ok(r.notRun.some((n) => /greeting/.test(n)));
  assert.ok(r.notRun.some((n) => /registryDataModel/.test(n)));
  assert.ok(r.notRun.some((n) => /repository identifiers/.test(n)));
  assert.ok(r.notRun.some((n) => /rde-11/.test(n)));
  const diff = await run((await sample()).replace('type="FULL"', 'type="DIFF"').replace('<rdeDom:clID>RegistrarX</rdeDom:clID>', '<rdeDom:clID>RegistrarQ</rdeDom:clID>'));
  assert.deepEqual(diff.findings, [], 'references of a DIFF are the chain stage\'s job');
  assert.ok(diff.notRun.some((n) => /DIFF deposit may refer/.test(n)));
});

test('dangling references, duplicates, NNDN conflicts, dates and model rules are flagged with RST codes and object ids', async () => {
  const xml = (await sample())
    .replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>') // dangling host
    .replace('<rdeDom:contact type="admin">sh8013</rdeDom:contact>\n      <rdeDom:contact type="tech">sh8013</rdeDom:contact>\n      <rdeDom:clID>RegistrarX</rdeDom:clID>\n      <rdeDom:crRr>RegistrarX</rdeDom:crRr>', '<rdeDom:contact type="admin">nobody1</rdeDom:contact>\n      <rdeDom:contact type="tech">sh8013</rdeDom:contact>\n      <rdeDom:clID>RegistrarZ</rdeDom:clID>\n      <rdeDom:crRr>RegistrarX</rdeDom:crRr>')
    .replace('<rdeHost:clID>RegistrarX</rdeHost:clID>\n      <rdeHost:crRr>RegistrarX</rdeHost:crRr>\n      <rdeHost:crDate>1999-05-08T12:10:00.0Z</rdeHost:crDate>\n    </rdeHost:host>', '<rdeHost:clID>RegistrarY</rdeHost:clID>\n      <rdeHost:crRr>RegistrarX</rdeHost:crRr>\n      <rdeHost:crDate>1999-05-08T12:10:00.0Z</rdeHost:crDate>\n    </rdeHost:host>')
    .replace('<rdeNNDN:aName>xn--exampl-gva.test</rdeNNDN:aName>', '<rdeNNDN:aName>example1.test</rdeNNDN:aName>')
    .replace('<rdeContact:id>sh8013</rdeContact:id>', '<rdeContact:id>jd1234</rdeContact:id>')
    .replace(/<rdeDom:exDate>2015-04-03T22:00:00.0Z<\/rdeDom:exDate>\n    <\/rdeDom:domain>\n\n    <!-- Host: ns1.example.test -->/, '<rdeDom:exDate>2009-04-03T22:00:00.0Z</rdeDom:exDate>\n    </rdeDom:domain>\n\n    <!-- Host: ns1.example.test -->')
    .replace(/<rdePolicy:policy[\s\S]*?\/>/, '');
  const r = await run(xml);
  assert.deepEqual(summary(r), [
    'RDE_CONTACT_HAS_NON_UNIQUE_ID jd1234',
    'RDE_DOMAIN_HAS_INVALID_CLID example2.test',
    'RDE_DOMAIN_HAS_INVALID_EXDATE example2.test',
    'RDE_DOMAIN_HAS_MISSING_CONTACT example1.test',
    'RDE_DOMAIN_HAS_MISSING_CONTACT example1.test',
    'RDE_DOMAIN_HAS_MISSING_CONTACT example2.test',
    'RDE_DOMAIN_HAS_MISSING_CONTACT example2.test',
    'RDE_DOMAIN_HAS_MISSING_NAMESERVER example1.test',
    'RDE_HOST_HAS_INVALID_CLID ns1.example.com',
    'RDE_NNDN_CONFLICTS_WITH_DOMAIN example1.test',
    'RDE_POLICY_OBJECT_MISSING test',
  ]);
  const greeting = await run(await sample(), { ...SAMPLE_OPTIONS, greeting: { objURI: [...GREETING.objURI, 'urn:ietf:params:xml:ns:contact-1.0'], extURI: ['urn:ietf:params:xml:ns:secDNS-1.1'] } });
  assert.deepEqual(
    greeting.findings.map((f) => [f.code, f.message]),
    [
      ['RDE_GREETING_DOES_NOT_MATCH', 'objURI urn:ietf:params:xml:ns:contact-1.0 is in the greeting, not in the EPP parameters'],
      ['RDE_GREETING_DOES_NOT_MATCH', 'extURI urn:ietf:params:xml:ns:rgp-1.0 is in the EPP parameters, not in the greeting'],
    ],
  );
  const dangling = r.findings.find((f) => f.code === 'RDE_DOMAIN_HAS_MISSING_NAMESERVER')!;
  assert.match(dangling.message, /ns9\.example\.com/);
  assert.match(dangling.location!, /^\d+:\d+$/);
});

test('FULL deposits of the fixture registry (both TLDs) are clean with their models', async (t) => {
  const db = (await embeddedTestDb(t)).db;
  await loadFixtureRegistry(db);
  const dir = await mkdtemp(join(tmpdir(), 'sr-rst-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cases: Array<[string, ObjectRuleOptions]> = [
    ['example', { roidSuffix: 'EXAMPLE', hostModel: 'objects', dataModel: 'maximum', repositoryTlds: ['example', 'xn--q9jyb4c'], roidSuffixes: ['EXAMPLE', 'MINNA'] }],
    ['xn--q9jyb4c', { roidSuffix: 'MINNA', hostModel: 'attributes', dataModel: 'per-registrar', repositoryTlds: ['example', 'xn--q9jyb4c'], roidSuffixes: ['EXAMPLE', 'MINNA'] }],
  ];
  for (const [tld, options] of cases) {
    const result = await writeFullDeposit(db, { tld, outDir: dir, watermark: FIXTURE_WATERMARK });
    const xml = await readFile(result.file);
    const r = await checkDepositObjects(() => once(xml), options);
    const errors = r.findings.filter((f) => f.severity === 'error');
    assert.deepEqual(errors, [], `${tld}: ${JSON.stringify(errors.slice(0, 3))}`);
    assert.ok(r.objects > 5);
  }
});

test('agent verify with the object-rules stage: a dangling host reference fails the deposit; unset models make it NOT RUN', async (t) => {
  const { tempDir } = await import('../../ryde/testing/fixtures.js');
  const { agentKeys, sampleXml, sealXml, sealedFiles } = await import('../testing/deposits.js');
  const { groupDepositFiles } = await import('../../ryde/decoder.js');
  const { depositKey } = await import('../../ryde/naming.js');
  const { verifyDeposit } = await import('../verify/verify.js');
  const { objectRulesStage } = await import('./stage.js');
  const dir = tempDir(t, 'sr-rst-stage-');
  const keys = await agentKeys(dir);
  const input = (files: string[]) => {
    const [group] = groupDepositFiles(files);
    return { name: group!.name, key: depositKey(group!.name), parts: [...group!.parts.keys()].map((part) => ({ part, ryde: group!.parts.get(part)!, sig: group!.sigs.get(part)! })) };
  };
  const base = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true };
  const xml = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }).replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>');
  const sealed = await sealXml(keys.keys, join(dir, 'in'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  const failed = await verifyDeposit(input(sealedFiles(sealed)), { ...base, stages: [objectRulesStage(SAMPLE_OPTIONS)] });
  assert.equal(failed.stages.find((s) => s.id === 'object-rules')?.status, 'FAIL');
  const finding = failed.findings.find((f) => f.stage === 'object-rules')!;
  assert.equal(finding.code, 'RDE_DOMAIN_HAS_MISSING_NAMESERVER');
  assert.equal(finding.object, 'example1.test');

  const clean = await sealXml(keys.keys, join(dir, 'clean'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  const unset = await verifyDeposit(input(sealedFiles(clean)), { ...base, stages: [objectRulesStage({})] });
  const stage = unset.stages.find((s) => s.id === 'object-rules')!;
  assert.equal(stage.status, 'NOT RUN');
  assert.match(stage.reason ?? '', /registryDataModel/);
  assert.notEqual(unset.status, 'PASS', 'a NOT RUN stage blocks a PASS');
});
