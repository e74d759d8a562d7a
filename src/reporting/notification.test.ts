import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SaxesParser } from 'saxes';
import { isStrongroomError } from '../common/errors.js';
import type { Finding } from '../common/findings.js';
import type { VerificationReport } from '../common/verification-report.js';
import { OBJECT_URI } from '../model/namespaces.js';
import { assertReportValid, xmllintReport } from '../testing/report-schema.js';
import { requireTool } from '../testing/tools.js';
import { depositNotificationXml, missingDepositNotificationXml, resultCodeFor, type NotificationOptions } from './notification.js';

const OPTIONS: NotificationOptions = { deaName: 'Strongroom Escrow (test)' };

const PASSED: VerificationReport = {
  status: 'PASS',
  findings: [{ code: 'RDE_DOMAIN_OBJECT_MISSING', severity: 'warning', object: 'example', message: 'no domains' }],
  deposit: {
    tld: 'example',
    id: '20250105F0000',
    type: 'FULL',
    watermark: '2025-01-05T00:00:00Z',
    resend: 0,
    header: { tld: 'example', count: [{ uri: OBJECT_URI.domain, count: 5 }, { uri: OBJECT_URI.registrar, count: 3 }] },
    receivedAt: '2025-01-05T03:15:00Z',
    verifiedAt: '2025-01-05T05:20:07.5Z',
  },
};

/** Element text by local name, and the result codes, read back with a namespace-aware parser. */
function read(xml: string): { text: Record<string, string[]>; codes: number[]; descriptions: string[] } {
  const parser = new SaxesParser({ xmlns: true });
  const out = { text: {} as Record<string, string[]>, codes: [] as number[], descriptions: [] as string[] };
  let text = '';
  parser.on('opentag', (tag) => {
    text = '';
    if (tag.local === 'result') out.codes.push(Number(tag.attributes.code!.value));
  });
  parser.on('text', (t) => (text += t));
  parser.on('closetag', (tag) => {
    (out.text[tag.local] ??= []).push(text);
    if (tag.local === 'description') out.descriptions.push(text);
    text = '';
  });
  parser.write(xml).close();
  return out;
}

test('DVPN for a passing deposit: dates, lastFullDate and the registry report, valid against rdeNotification-1.0, deterministic', (t) => {
  const xml = depositNotificationXml(PASSED, OPTIONS);
  assert.equal(xml, depositNotificationXml(structuredClone(PASSED), OPTIONS));
  const r = read(xml);
  assert.deepEqual(r.text.status, ['DVPN']);
  assert.deepEqual(r.text.repDate, ['2025-01-05']);
  assert.deepEqual(r.text.reDate, ['2025-01-05T03:15:00Z']);
  assert.deepEqual(r.text.vaDate, ['2025-01-05T05:20:07.5Z']);
  assert.deepEqual(r.text.lastFullDate, ['2025-01-05']);
  assert.deepEqual(r.text.id, ['20250105F0000']);
  assert.deepEqual(r.codes, [], 'a pass carries no results');
  assertReportValid(t, xml);
});

test('DVFN lists each error finding as an iirdea result coded by stage, in order, warnings left out', (t) => {
  const findings: Finding[] = [
    { code: 'RYDE_SIGNATURE_BAD', severity: 'error', location: 'example_2025-01-05_full_S1_R0.sig', message: 'BAD signature' },
    { code: 'RYDE_MDC_MISMATCH', severity: 'error', message: 'integrity check failed' },
    { code: 'RDE_DOMAIN_OBJECT_MISSING', severity: 'warning', message: 'no domains' },
    { code: 'XML_NOT_WELL_FORMED', severity: 'error', location: 'line 3:7', message: 'unclosed tag' },
    { code: 'RDE_OBJECT_COUNT_MISMATCH', severity: 'error', object: 'example', location: 'rdeHeader:count', message: 'header says 5 domains, deposit holds 4' },
    { code: 'CHAIN_GAP', severity: 'error', message: 'no deposit for 2025-01-04' },
    { code: 'SOMETHING_NEW', severity: 'error', message: 'a check nobody mapped yet' },
  ];
  const failed: VerificationReport = { ...PASSED, status: 'FAIL', findings };
  const xml = depositNotificationXml(failed, OPTIONS);
  const r = read(xml);
  assert.deepEqual(r.text.status, ['DVFN']);
  assert.deepEqual(r.codes, [4101, 4201, 4401, 4501, 4601, 4900]);
  assert.equal(r.descriptions[3], 'RDE_OBJECT_COUNT_MISMATCH (example at rdeHeader:count): header says 5 domains, deposit holds 4');
  assert.equal(r.text.lastFullDate, undefined, 'a failed FULL is not the last good one');
  assert.deepEqual(r.text.id, ['20250105F0000'], 'the registry report is still attached when the header was read');
  assertReportValid(t, xml);
});

test('finding text that XML cannot carry (controls, lone surrogates, markup) still gives a valid notification', (t) => {
  const failed: VerificationReport = {
    status: 'FAIL',
    findings: [{ code: 'RDE_BAD', severity: 'error', object: 'a<b>&"c"', location: 'line\t1\n2', message: `bell\u0007 nul\u0000 lone\uD800 ok\u00E9 \u{1F600} ]]>` }],
    deposit: { tld: 'example' },
  };
  const xml = depositNotificationXml(failed, { ...OPTIONS, deaName: 'Agent\twith\ttabs', repDate: '2025-01-06' });
  assertReportValid(t, xml);
  const r = read(xml);
  assert.match(r.descriptions[0]!, /bell\uFFFD nul\uFFFD lone\uFFFD ok\u00E9 \u{1F600} \]\]>/u);
  assert.deepEqual(r.text.deaName, ['Agent with tabs']);
  assert.equal(r.text.id, undefined, 'no report without a header');
});

test('results are capped with one entry for the rest; ERROR without findings says verification was incomplete', (t) => {
  const many: VerificationReport = {
    status: 'FAIL',
    findings: Array.from({ length: 150 }, (_, n) => ({ code: 'RDE_OBJECT_COUNT_MISMATCH', severity: 'error' as const, object: `d${n}.example`, message: 'x' })),
    omittedFindings: 7,
    deposit: { tld: 'example' },
  };
  const capped = read(depositNotificationXml(many, { ...OPTIONS, maxResults: 100, repDate: '2025-01-06' }));
  assert.equal(capped.codes.length, 101);
  assert.equal(capped.codes[100], 4902);
  assert.match(capped.descriptions[100]!, /^57 further/);

  const error: VerificationReport = { status: 'ERROR', findings: [], deposit: { tld: 'example', type: 'DIFF' } };
  const xml = depositNotificationXml(error, { ...OPTIONS, now: new Date('2025-01-06T10:00:00Z') });
  const r = read(xml);
  assert.deepEqual(r.codes, [4901]);
  assert.deepEqual(r.text.repDate, ['2025-01-06']);
  assertReportValid(t, xml);
});

test('DRFN for a deposit not received by its deadline, valid, naming what was due', (t) => {
  const xml = missingDepositNotificationXml({ tld: 'example', type: 'DIFF', watermark: '2025-01-06T00:00:00Z', deadline: '2025-01-06T23:59:00Z' }, { ...OPTIONS, repDate: '2025-01-07', lastFullDate: '2025-01-05' });
  const r = read(xml);
  assert.deepEqual(r.text.status, ['DRFN']);
  assert.deepEqual(r.codes, [4001]);
  assert.equal(r.descriptions[0], 'no DIFF deposit of example for 2025-01-06T00:00:00Z was received by 2025-01-06T23:59:00Z');
  assert.deepEqual(r.text.lastFullDate, ['2025-01-05']);
  assertReportValid(t, xml);
});

test('the schema check can fail: a notification with an unknown status or a result code out of range is rejected', (t) => {
  if (!requireTool(t, 'xmllint')) return;
  const xml = depositNotificationXml({ ...PASSED, status: 'FAIL', findings: [{ code: 'CHAIN_GAP', severity: 'error', message: 'gap' }] }, OPTIONS);
  assert.ok(xmllintReport(xml).valid);
  assert.equal(xmllintReport(xml.replace('>DVFN<', '>DVXN<')).valid, false);
  assert.equal(xmllintReport(xml.replace('code="4601"', 'code="999"')).valid, false);
  assert.equal(xmllintReport(xml.replace(/<rdeNotification:repDate>[^<]*<\/rdeNotification:repDate>\n/, '')).valid, false);
});

test('inconsistent input is refused: a PASS without the header or with error findings, bad dates, an empty agent name', () => {
  const invalid = (err: unknown) => isStrongroomError(err, 'REPORT_INVALID_ARGUMENT');
  assert.throws(() => depositNotificationXml({ ...PASSED, deposit: { tld: 'example' } }, OPTIONS), invalid);
  assert.throws(() => depositNotificationXml({ ...PASSED, findings: [{ code: 'X', severity: 'error', message: 'm' }] }, OPTIONS), invalid);
  assert.throws(() => depositNotificationXml(PASSED, { ...OPTIONS, repDate: '2025-02-30' }), invalid);
  assert.throws(() => depositNotificationXml(PASSED, { deaName: '' }), invalid);
  assert.throws(() => depositNotificationXml(PASSED, { deaName: 'x'.repeat(256) }), invalid);
  assert.equal(resultCodeFor('RDE_OBJECT_COUNT_MISMATCH').code, 4501);
});
