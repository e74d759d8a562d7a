import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isStrongroomError } from '../../common/errors.js';
import { verificationKeysFrom } from '../../ryde/keys.js';
import { spoolDirectory } from '../../ryde/temp.js';
import { MAX_TAR_HEADERS, openTarReader } from '../../ryde/tar.js';
import { inputsFromFiles } from '../verify-stored.js';
import { tempDir } from '../../ryde/testing/fixtures.js';
import { serverTestDb } from '../../testing/databases.js';
import { Catalog } from '../catalog.js';
import { RDE_SCHEMA } from '../../testing/paths.js';
import { requireTool } from '../../testing/tools.js';
import { agentKeys, sampleXml, sealXml, sealedFiles } from '../testing/deposits.js';
import type { CheckStage, DepositInput } from './stage.js';
import { reportText, verifyDeposit, type VerifyOptions, type VerifyReport } from './verify.js';

function inputOf(files: string[]): DepositInput {
  return inputsFromFiles(files)[0]!;
}

function stageStatus(report: VerifyReport): Record<string, string> {
  return Object.fromEntries(report.stages.map((stage) => [stage.id, stage.status]));
}

function codes(report: VerifyReport): string[] {
  return [...new Set(report.findings.filter((finding) => finding.severity === 'error').map((finding) => finding.code))].sort();
}

async function setup(t: import('node:test').TestContext) {
  const dir = tempDir(t, 'sr-agent-verify-');
  const keys = await agentKeys(dir);
  const options: VerifyOptions = { decryptionKeys: [keys.keys.decryption], verificationKeys: keys.keys.verification, schema: RDE_SCHEMA, skipChain: true };
  return { dir, keys, options };
}

test('a sealed FULL in several parts passes every stage; the chain, skipped on request, is NOT RUN; nothing decrypted is left', async (t) => {
  if (!requireTool(t, 'xmllint')) return;
  const { dir, keys, options } = await setup(t);
  const sealed = await sealXml(keys.keys, join(dir, 'in'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }), { splitSize: 1024 });
  assert.ok(sealed.parts.length >= 2);
  // A spool of this test's own: the default one is shared with every other process of the user.
  const previousSpool = process.env.STRONGROOM_SPOOL_DIR;
  process.env.STRONGROOM_SPOOL_DIR = join(dir, 'spool');
  t.after(() => {
    if (previousSpool === undefined) delete process.env.STRONGROOM_SPOOL_DIR;
    else process.env.STRONGROOM_SPOOL_DIR = previousSpool;
  });
  const report = await verifyDeposit(inputOf(sealedFiles(sealed)), options);
  assert.equal(report.status, 'PASS', reportText(report));
  assert.deepEqual(stageStatus(report), { signature: 'PASS', decode: 'PASS', 'xml-wellformed': 'PASS', structure: 'PASS', schema: 'PASS', 'container-rules': 'PASS', 'object-rules': 'PASS', references: 'PASS', chain: 'NOT RUN' });
  assert.equal(report.stages.find((stage) => stage.id === 'chain')!.blocking, false);
  assert.deepEqual([report.deposit.type, report.deposit.id, report.deposit.watermark, report.deposit.prevId], ['FULL', '20101017001', '2010-10-17T00:00:00Z', undefined]);
  assert.equal(report.deposit.header?.count.find((count) => count.uri.endsWith('rdeDomain-1.0'))?.count, 2);
  assert.deepEqual(readdirSync(spoolDirectory()), [], 'the encrypted spool is removed');
  assert.match(reportText(report), /Verification of test_2010-10-17_full_R0: PASS/);
  assert.match(reportText(report), /NOT RUN +chain/);

  // Without a schema set xmllint's second opinion is NOT RUN, not blocking: the structure stage validated.
  const { schema: _schema, ...noSchema } = options;
  void _schema;
  const unchecked = await verifyDeposit(inputOf(sealedFiles(sealed)), noSchema);
  assert.equal(unchecked.status, 'PASS');
  assert.deepEqual([stageStatus(unchecked).schema, unchecked.stages.find((stage) => stage.id === 'schema')!.blocking], ['NOT RUN', false]);
  // A plug-in stage that cannot run blocks a PASS; one that finds an error fails the deposit.
  const declining: CheckStage = { id: 'plug-in', title: 'a plug-in', kind: 'semantic', needs: ['plaintext'], run: async () => ({ notRun: 'its reference table is unavailable' }) };
  const blocked = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...noSchema, stages: [declining] });
  assert.equal(blocked.status, 'ERROR');
  assert.deepEqual(blocked.stages.map((stage) => stage.id), ['signature', 'decode', 'xml-wellformed', 'structure', 'schema', 'container-rules', 'object-rules', 'references', 'plug-in', 'chain']);
  const finding: CheckStage = {
    id: 'plug-in',
    title: 'a plug-in',
    kind: 'xml',
    needs: ['plaintext'],
    run: async (ctx, emit) => {
      let bytes = 0;
      for await (const chunk of ctx.plaintext!()) bytes += chunk.length;
      emit({ code: 'PLUGIN_SAW', severity: 'error', message: `read ${bytes} bytes` });
    },
  };
  const failedByPlugin = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...noSchema, stages: [finding] });
  assert.equal(failedByPlugin.status, 'FAIL');
  assert.equal(failedByPlugin.findings[0]!.message, `read ${String(report.facts.xmlBytes)} bytes`);
  assert.deepEqual(failedByPlugin.stages.map((stage) => stage.id).slice(2, 6), ['xml-wellformed', 'structure', 'schema', 'plug-in']);
  // Without a catalog (and without skipChain) the chain rules block a PASS too.
  const noCatalog = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, skipChain: false });
  assert.equal(noCatalog.status, 'ERROR');
  assert.match(noCatalog.stages.find((stage) => stage.id === 'chain')!.reason!, /no catalog/);
});

test('a wrong signer or a changed byte fails at the signature; nothing after it runs', async (t) => {
  const { dir, keys, options } = await setup(t);
  const sealed = await sealXml(keys.keys, join(dir, 'in'), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }), { splitSize: 2048 });
  const wrongSigner = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, verificationKeys: (await verificationKeysFrom(keys.keys.agent.publicKey, {}, 'agent')).keys });
  assert.equal(wrongSigner.status, 'FAIL');
  assert.deepEqual(codes(wrongSigner), ['RDE_INVALID_SIGNATURE']);
  assert.deepEqual(stageStatus(wrongSigner), { signature: 'FAIL', decode: 'NOT RUN', 'xml-wellformed': 'NOT RUN', structure: 'NOT RUN', schema: 'NOT RUN', 'container-rules': 'NOT RUN', 'object-rules': 'NOT RUN', references: 'NOT RUN', chain: 'NOT RUN' });

  const second = sealed.parts[1]!.ryde;
  const bytes = readFileSync(second);
  bytes[100] = bytes[100]! ^ 0x01;
  writeFileSync(second, bytes);
  const tampered = await verifyDeposit(inputOf(sealedFiles(sealed)), options);
  assert.equal(tampered.status, 'FAIL');
  assert.deepEqual(codes(tampered), ['RDE_INVALID_SIGNATURE']);
  assert.equal(tampered.findings[0]!.location, 'test_2010-10-17_full_S2_R0.ryde');
});

test('content faults: wrong count, DOCTYPE, broken XML, name/content mismatch, unexpected object', async (t) => {
  const requireSchema = requireTool(t, 'xmllint');
  const { dir, keys, options } = await setup(t);
  const cases: Array<[string, (xml: string) => string, string[], Record<string, string>?]> = [
    ['count', (xml) => xml.replace('uri="urn:ietf:params:xml:ns:rdeDomain-1.0">2<', 'uri="urn:ietf:params:xml:ns:rdeDomain-1.0">3<'), ['RDE_OBJECT_COUNT_MISMATCH']],
    ['doctype', (xml) => xml.replace('<rde:deposit', '<!DOCTYPE rde:deposit [<!ENTITY a "aaaa">]>\n<rde:deposit'), ['RDE_XML_PARSE_ERROR'], { 'container-rules': 'NOT RUN' }],
    ['broken', (xml) => xml.replace('</rde:contents>', '</rde:content>'), ['RDE_XML_PARSE_ERROR'], { 'container-rules': 'NOT RUN', schema: 'NOT RUN' }],
    ['tld', (xml) => xml.replace('<rdeHeader:tld>test</rdeHeader:tld>', '<rdeHeader:tld>other</rdeHeader:tld>'), ['AGENT_NAME_CONTENT_MISMATCH', 'RDE_DOMAIN_HAS_INVALID_NAME']],
    [
      'menu',
      (xml) => xml.replace('<rde:objURI>urn:ietf:params:xml:ns:rdePolicy-1.0</rde:objURI>', ''),
      ['RDE_MENU_AND_HEADER_URIS_DIFFER'],
    ],
    [
      'unexpected',
      (xml) => xml.replace(/<rdeHeader:count\s+uri="urn:ietf:params:xml:ns:rdePolicy-1.0">1<\/rdeHeader:count>/, '').replace('<rde:objURI>urn:ietf:params:xml:ns:rdePolicy-1.0</rde:objURI>', ''),
      ['RDE_UNEXPECTED_OBJECT'],
    ],
    ['dangling host', (xml) => xml.replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>'), ['RDE_DOMAIN_HAS_MISSING_NAMESERVER']],
    ['dangling registrar', (xml) => xml.replace('<rdeHost:clID>RegistrarX</rdeHost:clID>', '<rdeHost:clID>RegistrarZ</rdeHost:clID>'), ['RDE_HOST_HAS_INVALID_CLID']],
    ['dangling registrant', (xml) => xml.replace('<rdeDom:registrant>jd1234</rdeDom:registrant>', '<rdeDom:registrant>nobody</rdeDom:registrant>'), ['RDE_DOMAIN_HAS_INVALID_REGISTRANT']],
    ['duplicate contact', (xml) => xml.replace('<rdeContact:id>sh8013</rdeContact:id>', '<rdeContact:id>jd1234</rdeContact:id>'), ['RDE_CONTACT_HAS_NON_UNIQUE_ID', 'RDE_DOMAIN_HAS_MISSING_CONTACT']],
  ];
  for (const [label, mutate, expected, stages] of cases) {
    const sealed = await sealXml(keys.keys, join(dir, label), { tld: 'test', date: '2010-10-17', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', mutate }));
    const report = await verifyDeposit(inputOf(sealedFiles(sealed)), requireSchema ? options : { ...options, schema: undefined });
    assert.equal(report.status, 'FAIL', `${label}: ${reportText(report)}`);
    assert.deepEqual(codes(report).filter((code) => code !== 'RDE_SCHEMA_VALIDATION_ERROR'), expected, `${label}: ${reportText(report)}`);
    for (const [stage, status] of Object.entries(stages ?? {})) assert.equal(stageStatus(report)[stage], status, `${label}: ${stage}`);
  }
  // The same file name with another date inside: the watermark does not match the name.
  const moved = await sealXml(keys.keys, join(dir, 'moved'), { tld: 'test', date: '2010-10-18', type: 'full' }, sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001' }));
  assert.deepEqual(codes(await verifyDeposit(inputOf(sealedFiles(moved)), { ...options, schema: undefined })), ['AGENT_NAME_CONTENT_MISMATCH']);
});

test('limits: a deposit that inflates past the ratio or the size limit is cut off (compression bomb)', async (t) => {
  const { dir, keys, options } = await setup(t);
  const padding = `<!--${' '.repeat(2_000_000)}-->`;
  const xml = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', mutate: (text) => text.replace('<rde:contents>', `<rde:contents>${padding}`) });
  const sealed = await sealXml(keys.keys, join(dir, 'bomb'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  const ratio = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, limits: { maxRatio: 50, ratioGraceBytes: 256 * 1024 } });
  assert.equal(ratio.status, 'FAIL');
  assert.deepEqual(codes(ratio), ['AGENT_LIMIT_EXCEEDED']);
  assert.match(ratio.findings[0]!.message, /more than 50 times/);
  const size = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, limits: { maxXmlBytes: 1_000_000 } });
  assert.deepEqual(codes(size), ['RYDE_TAR_INVALID'], reportText(size));
  assert.match(size.findings[0]!.message, /more than the limit of 1000000/);
  // The defaults let it through (ratio measured only past 64 MiB).
  const defaults = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, schema: undefined });
  assert.equal(stageStatus(defaults).decode, 'PASS');
});

test('tar: the reader refuses an endless run of headers and an entry over the size limit', async () => {
  const block = (typeflag: string, name: string, size: number): Buffer => {
    const header = Buffer.alloc(512);
    header.write(name, 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.fill(0x20, 148, 156);
    header.write(typeflag, 156);
    header.write('ustar\0', 257);
    header.write('00', 263);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    return header;
  };
  const pax = Buffer.from('18 comment=hello\n');
  const paxBlock = Buffer.concat([block('g', 'pax_global_header', pax.length), pax, Buffer.alloc(512 - pax.length)]);
  const archive = Buffer.concat([...Array.from({ length: MAX_TAR_HEADERS }, () => paxBlock), block('0', 'a.xml', 5), Buffer.from('hello'), Buffer.alloc(507 + 1024)]);
  const read = async (data: Buffer, maxEntrySize?: number): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of openTarReader({ where: 't', onEntry: () => undefined, ...(maxEntrySize !== undefined ? { maxEntrySize } : {}) })((async function* () { yield data; })())) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  await assert.rejects(read(archive), (err: unknown) => isStrongroomError(err, 'RYDE_TAR_INVALID') && /more than 8 tar headers/.test(err.message));
  const fewer = Buffer.concat([paxBlock, block('0', 'a.xml', 5), Buffer.from('hello'), Buffer.alloc(507 + 1024)]);
  assert.equal((await read(fewer)).toString(), 'hello');
  await assert.rejects(read(fewer, 4), (err: unknown) => isStrongroomError(err, 'RYDE_TAR_INVALID') && /more than the limit of 4/.test(err.message));
});

test('the rdeNotification result codes put every agent finding code in its stage', async () => {
  const { resultCodeFor } = await import('../../reporting/notification.js');
  const expected: Record<string, number> = {
    RDE_INVALID_SIGNATURE: 4101,
    RDE_DECRYPTION_FAILED: 4201,
    RDE_MISSING_FILES: 4002,
    RDE_INVALID_FILENAME: 4002,
    AGENT_UNEXPECTED_FILE: 4002,
    AGENT_LIMIT_EXCEEDED: 4301,
    RYDE_TAR_INVALID: 4301,
    RDE_XML_PARSE_ERROR: 4401,
    RDE_SCHEMA_VALIDATION_ERROR: 4401,
    RDE_OBJECT_COUNT_MISMATCH: 4501,
    RDE_MENU_AND_HEADER_URIS_DIFFER: 4501,
    AGENT_NAME_CONTENT_MISMATCH: 4501,
    CHAIN_PREVID_MISMATCH: 4601,
    CHAIN_GAP: 4601,
  };
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((code) => [code, resultCodeFor(code).code])), expected);
});

test('references through the catalog database (the path that spills): a dangling host and a duplicate are found', async (t) => {
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  const { dir, keys, options } = await setup(t);
  const xml = sampleXml({
    type: 'FULL',
    date: '2010-10-17',
    id: '20101017001',
    mutate: (text) =>
      text
        .replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>')
        .replace('<rdeContact:id>sh8013</rdeContact:id>', '<rdeContact:id>jd1234</rdeContact:id>')
        .replace('<rdeNNDN:aName>xn--exampl-gva.test</rdeNNDN:aName>', '<rdeNNDN:aName>EXAMPLE1.test</rdeNNDN:aName>')
        .replace('<rdeHost:upRr>RegistrarX</rdeHost:upRr>', '<rdeHost:upRr>RegistrarQ</rdeHost:upRr>'),
  });
  const sealed = await sealXml(keys.keys, join(dir, 'refs'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  const report = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, schema: undefined, catalog: new Catalog(server.db) });
  const references = report.findings.filter((finding) => finding.stage === 'references');
  assert.deepEqual(
    references.map((finding) => [finding.code, finding.object]),
    [
      ['RDE_DOMAIN_HAS_MISSING_CONTACT', 'example1.test'],
      ['RDE_DOMAIN_HAS_MISSING_CONTACT', 'example1.test'],
      ['RDE_DOMAIN_HAS_MISSING_CONTACT', 'example2.test'],
      ['RDE_DOMAIN_HAS_MISSING_CONTACT', 'example2.test'],
      ['RDE_NNDN_CONFLICTS_WITH_DOMAIN', 'EXAMPLE1.test'],
      ['RDE_DOMAIN_HAS_MISSING_NAMESERVER', 'example1.test'],
      ['SR_HOST_HAS_UNKNOWN_UPRR', 'ns1.example1.test'],
      ['RDE_CONTACT_HAS_NON_UNIQUE_ID', 'jd1234'],
    ],
    reportText(report),
  );
  // The in-memory path (no catalog) finds exactly the same, in the same order.
  const inMemory = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, schema: undefined });
  assert.deepEqual(
    inMemory.findings.filter((finding) => finding.stage === 'references').map((finding) => [finding.code, finding.object, finding.message]),
    references.map((finding) => [finding.code, finding.object, finding.message]),
  );
  // A DIFF's references resolve across the chain (references.test.ts); without a catalog holding it: NOT RUN, said so, not blocking.
  const diff = await sealXml(keys.keys, join(dir, 'diff'), { tld: 'test', date: '2010-10-18', type: 'diff' }, sampleXml({ type: 'DIFF', date: '2010-10-18', id: '20101018001', prevId: '20101017001' }));
  const diffReport = await verifyDeposit(inputOf(sealedFiles(diff)), { ...options, schema: undefined });
  const stage = diffReport.stages.find((item) => item.id === 'references')!;
  assert.deepEqual([stage.status, stage.blocking], ['NOT RUN', false]);
  assert.match(stage.reason!, /across the chain/);
  assert.equal(diffReport.status, 'PASS');
});

test('the stages reading typed objects (object-rules, references, plug-ins that say so) share one reader pass', async (t) => {
  const { dir, keys, options } = await setup(t);
  const xml = sampleXml({ type: 'FULL', date: '2010-10-17', id: '20101017001', mutate: (text) => text.replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns9.example.com</domain:hostObj>') });
  const sealed = await sealXml(keys.keys, join(dir, 'shared'), { tld: 'test', date: '2010-10-17', type: 'full' }, xml);
  let reads = 0;
  // An xml-kind plug-in (runs before the semantic stages) counts every later read of the spool.
  const counter: CheckStage = {
    id: 'count-reads',
    title: 'counts plaintext reads',
    kind: 'xml',
    needs: ['plaintext'],
    run: async (ctx) => {
      const plaintext = ctx.plaintext!;
      ctx.plaintext = () => {
        reads++;
        return plaintext();
      };
    },
  };
  let objects = 0;
  const sharing: CheckStage = {
    id: 'plug-in-objects',
    title: 'a plug-in on the shared pass',
    kind: 'semantic',
    needs: ['plaintext'],
    sharesObjectPass: true,
    run: async (ctx, emit) => {
      for await (const event of ctx.objects!()) if (event.type === 'object') objects++;
      emit({ code: 'PLUGIN_OBJECTS', severity: 'info', message: `${objects} objects` });
    },
  };
  const report = await verifyDeposit(inputOf(sealedFiles(sealed)), { ...options, schema: undefined, stages: [counter, sharing] });
  assert.equal(reads, 1, 'object-rules, references and the plug-in read the spool once, together');
  assert.equal(objects, 12);
  assert.deepEqual(report.stages.map((stage) => `${stage.id} ${stage.status}`).slice(-5), ['container-rules PASS', 'object-rules PASS', 'references FAIL', 'plug-in-objects PASS', 'chain NOT RUN']);
  // Findings stay grouped by stage, in stage order.
  assert.deepEqual(report.findings.filter((finding) => finding.stage !== 'structure').map((finding) => `${finding.stage} ${finding.code}`), ['references RDE_DOMAIN_HAS_MISSING_NAMESERVER', 'plug-in-objects PLUGIN_OBJECTS']);
});
