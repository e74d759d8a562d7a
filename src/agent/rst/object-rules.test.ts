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
const SAMPLE_OPTIONS: ObjectRuleOptions = { tld: 'test', roidSuffix: 'TEST', dataModel: 'maximum', hostModel: 'objects', idnTables: ['pt-BR'], greeting: GREETING };
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
  const r = await run(await sample(), { tld: 'test' });
  assert.deepEqual(r.findings, []);
  assert.equal(r.notRun.length, 4, r.notRun.join('\n'));
  assert.ok(r.notRun.some((n) => /greeting/.test(n)));
  assert.ok(r.notRun.some((n) => /data model is not given/.test(n)));
  assert.ok(r.notRun.some((n) => /repository identifiers/.test(n)));
  assert.ok(r.notRun.some((n) => /rde-11/.test(n)));
  const diff = await run((await sample()).replace('type="FULL"', 'type="DIFF"'), { tld: 'test' });
  assert.deepEqual(diff.findings, [], 'a DIFF holds no EPP parameters: rde-13 counts only in a FULL');
});

test('value, model, policy and EPP parameter rules are flagged with RST codes, object ids and locations; references are not this stage\'s', async () => {
  const xml = (await sample())
    .replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>') // dangling host: the references stage's
    .replace('<rdeContact:id>sh8013</rdeContact:id>', '<rdeContact:id>jd1234</rdeContact:id>') // duplicate: the references stage's
    .replace(/<rdeDom:exDate>2015-04-03T22:00:00.0Z<\/rdeDom:exDate>\n    <\/rdeDom:domain>\n\n    <!-- Host: ns1.example.test -->/, '<rdeDom:exDate>2009-04-03T22:00:00.0Z</rdeDom:exDate>\n    </rdeDom:domain>\n\n    <!-- Host: ns1.example.test -->')
    .replace(/<rdePolicy:policy[\s\S]*?\/>/, '');
  const r = await run(xml);
  assert.deepEqual(summary(r), ['RDE_DOMAIN_HAS_INVALID_EXDATE example2.test', 'RDE_POLICY_OBJECT_MISSING test']);
  const exDate = r.findings.find((f) => f.code === 'RDE_DOMAIN_HAS_INVALID_EXDATE')!;
  assert.match(exDate.location!, /^\d+:\d+ /);
  const greeting = await run(await sample(), { ...SAMPLE_OPTIONS, greeting: { objURI: [...GREETING.objURI, 'urn:ietf:params:xml:ns:contact-1.0'], extURI: ['urn:ietf:params:xml:ns:secDNS-1.1'] } });
  assert.deepEqual(
    greeting.findings.map((f) => [f.code, f.message]),
    [
      ['RDE_GREETING_DOES_NOT_MATCH', 'objURI urn:ietf:params:xml:ns:contact-1.0 is in the greeting, not in the EPP parameters'],
      ['RDE_GREETING_DOES_NOT_MATCH', 'extURI urn:ietf:params:xml:ns:rgp-1.0 is in the EPP parameters, not in the greeting'],
    ],
  );
  const models = await run(await sample(), { ...SAMPLE_OPTIONS, hostModel: 'attributes', dataModel: 'minimum', idnTables: ['pt-BR', 'ja'] });
  assert.deepEqual(summary(models), [
    'RDE_IDN_OBJECT_MISSING ja',
    'RDE_POLICY_OBJECT_UNEXPECTED_OBJECTS test',
    'RDE_POLICY_OBJECT_UNEXPECTED_OBJECTS test',
    'SR_DOMAIN_NS_MODEL_MISMATCH example1.test',
    'SR_EPP_PARAMS_UNEXPECTED_OBJURI test',
  ]);
  const noEpp = await run((await sample()).replace(/<rdeEppParams:eppParams>[\s\S]*?<\/rdeEppParams:eppParams>/, ''));
  assert.deepEqual(summary(noEpp), ['SR_EPP_PARAMS_COUNT test']);
});

test('FULL deposits of the fixture registry (both TLDs) are clean with their models', async (t) => {
  const db = (await embeddedTestDb(t)).db;
  await loadFixtureRegistry(db);
  const dir = await mkdtemp(join(tmpdir(), 'sr-rst-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const cases: Array<[string, ObjectRuleOptions]> = [
    ['example', { tld: 'example', roidSuffix: 'EXAMPLE', hostModel: 'objects', dataModel: 'maximum', repositoryTlds: ['example', 'xn--q9jyb4c'], roidSuffixes: ['EXAMPLE', 'MINNA'] }],
    ['xn--q9jyb4c', { tld: 'xn--q9jyb4c', roidSuffix: 'MINNA', hostModel: 'attributes', dataModel: 'per-registrar', repositoryTlds: ['example', 'xn--q9jyb4c'], roidSuffixes: ['EXAMPLE', 'MINNA'] }],
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

test('agent verify runs object-rules as a built-in stage: a rule break fails it; rules without configuration are listed, not passed', async (t) => {
  const { tempDir } = await import('../../ryde/testing/fixtures.js');
  const { agentKeys, sampleXml, sealXml, sealedFiles } = await import('../testing/deposits.js');
  const { groupDepositFiles } = await import('../../ryde/decoder.js');
  const { depositKey } = await import('../../ryde/naming.js');
  const { verifyDeposit, reportText } = await import('../verify/verify.js');
  const dir = tempDir(t, 'sr-rst-stage-');
  const keys = await agentKeys(dir);
  const input = (files: string[]) => {
    const [group] = groupDepositFiles(files);
    return { name: group!.name, key: depositKey(group!.name), parts: [...group!.parts.keys()].map((part) => ({ part, ryde: group!.parts.get(part)!, sig: group!.sigs.get(part)! })) };
  };
  const { tld: _tld, ...rules } = SAMPLE_OPTIONS;
  void _tld;
  const base = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, skipChain: true };
  const xml = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }).replace('<rdeDom:exDate>2015-04-03T22:00:00.0Z</rdeDom:exDate>', '<rdeDom:exDate>2009-04-03T22:00:00.0Z</rdeDom:exDate>');
  const sealed = await sealXml(keys.keys, join(dir, 'in'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  const failed = await verifyDeposit(input(sealedFiles(sealed)), { ...base, rules });
  assert.equal(failed.status, 'FAIL');
  assert.equal(failed.stages.find((s) => s.id === 'object-rules')?.status, 'FAIL');
  const finding = failed.findings.find((f) => f.stage === 'object-rules')!;
  assert.deepEqual([finding.code, finding.object], ['RDE_DOMAIN_HAS_INVALID_EXDATE', 'example1.test']);

  const clean = await sealXml(keys.keys, join(dir, 'clean'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  const configured = await verifyDeposit(input(sealedFiles(clean)), { ...base, rules });
  assert.equal(configured.status, 'PASS', reportText(configured));
  assert.equal(configured.stages.find((s) => s.id === 'object-rules')?.rulesNotRun, undefined);
  const unset = await verifyDeposit(input(sealedFiles(clean)), base);
  const stage = unset.stages.find((s) => s.id === 'object-rules')!;
  assert.equal(stage.status, 'PASS');
  assert.equal(stage.rulesNotRun?.length, 4);
  assert.match(reportText(unset), /rule NOT RUN: registrant requirement \(rde-07\) and data-model policy rules/);
});

test('objects before the header wait for its TLD: the same findings, in the same order, as with the TLD given (whether they waited whole or as findings)', async () => {
  const header = /\n\s*<rdeHeader:header>[\s\S]*?<\/rdeHeader:header>/;
  const xml = (await sample())
    .replace('<rdeContact:email>jdoe@example.test</rdeContact:email>', '<rdeContact:email>not an e-mail</rdeContact:email>') // a contact's finding (its rules do not read the TLD)
    .replace('<rdeDom:exDate>2015-04-03T22:00:00.0Z</rdeDom:exDate>', '<rdeDom:exDate>2009-04-03T22:00:00.0Z</rdeDom:exDate>') // a domain's (they do)
    .replace('<rdeRegistrar:gurid>123</rdeRegistrar:gurid>', '<rdeRegistrar:gurid>x</rdeRegistrar:gurid>');
  const last = xml.replace(header, '').replace('</rde:contents>', `${header.exec(xml)![0]}\n  </rde:contents>`);
  assert.notEqual(last, xml);
  const given = await run(last);
  assert.ok(given.findings.length >= 3, JSON.stringify(given.findings));
  const { tld: _tld, ...rest } = SAMPLE_OPTIONS;
  void _tld;
  // The header's TLD is read from the header (the file name's, `fallbackTld`, would break the domain rules).
  const waited = await run(last, { ...rest, fallbackTld: 'elsewhere' });
  assert.deepStrictEqual(waited, given);
});
