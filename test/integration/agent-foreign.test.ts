/**
 * Issue 6 item 8, foreign deposits: deposits written by other producers must verify with
 * `strongroom agent verify` whatever their prefixes, whitespace, object order or optional
 * elements — the official RFC 8909/9022 samples as published (../shared/rde/samples, never
 * copied) and hand-written variants of them — while a dangling host reference and a wrong count
 * in such a deposit are flagged with the RST codes. Every variant is also checked by xmllint's
 * second opinion (--schema), so a variant that is not in fact valid cannot pass here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_STATUS } from '../../src/common/errors.js';
import { agentKeys, sealXml, sealedFiles } from '../../src/agent/testing/deposits.js';
import { tempDir } from '../../src/ryde/testing/fixtures.js';
import { CLI, RDE_SCHEMA, SAMPLES_DIR } from '../../src/testing/paths.js';
import { requireTool } from '../../src/testing/tools.js';

interface Report {
  status: string;
  stages: Array<{ id: string; status: string; rulesNotRun?: string[] }>;
  findings: Array<{ code: string; severity: string; object?: string; stage: string; message: string }>;
}

const FULL = readFileSync(join(SAMPLES_DIR, 'example-full.xml'), 'utf8');
const DIFF = readFileSync(join(SAMPLES_DIR, 'example-diff.xml'), 'utf8');

/** Prefixes a foreign producer might pick instead of the RFC's (rde → r, rdeDom → dom …). */
const PREFIXES: Record<string, string> = {
  rde: 'r',
  rdeHeader: 'hdr',
  rdeDom: 'dom',
  rdeHost: 'h',
  rdeContact: 'c',
  rdeRegistrar: 'rr',
  rdeIDN: 'idn',
  rdeNNDN: 'nndn',
  rdeEppParams: 'ep',
  rdePolicy: 'pol',
  domain: 'eppd',
  contact: 'eppc',
  secDNS: 'ds',
  epp: 'e',
};

function renamePrefixes(xml: string): string {
  return xml.replace(/(<\/?|xmlns:)([A-Za-z]+):?/g, (whole: string, lead: string, prefix: string) => {
    const renamed = PREFIXES[prefix];
    if (renamed === undefined) return whole;
    return lead === 'xmlns:' ? `xmlns:${renamed}` : whole.endsWith(':') ? `${lead}${renamed}:` : whole;
  });
}

/** Domain objects in the default namespace, declared on each object (no prefix at all). */
function defaultNamespaceDomains(xml: string): string {
  return xml.replace(/<rdeDom:domain>([\s\S]*?)<\/rdeDom:domain>/g, (_: string, body: string) => `<domain xmlns="urn:ietf:params:xml:ns:rdeDomain-1.0">${body.replace(/<(\/?)rdeDom:/g, '<$1')}</domain>`);
}

/** No whitespace between tags at all; then CRLF line ends and spaces around attribute '='. */
function compact(xml: string): string {
  return xml.replace(/<!--[\s\S]*?-->/g, '').replace(/>\s+</g, '><');
}
function loose(xml: string): string {
  return xml.replace(/\n/g, '\r\n    ').replace(/ (uri|type|id|s)="/g, '\n\t $1 =  "');
}

/** The objects of <rde:contents> in reverse order: domains first, the header last. */
function reversedObjects(xml: string): string {
  const start = xml.indexOf('<rde:contents>') + '<rde:contents>'.length;
  const end = xml.indexOf('</rde:contents>');
  const body = xml.slice(start, end).replace(/<!--[\s\S]*?-->/g, '');
  const objects = body.match(/<(rdeHeader:header|rdeDom:domain|rdeHost:host|rdeContact:contact|rdeRegistrar:registrar|rdeIDN:idnTableRef|rdeNNDN:NNDN|rdeEppParams:eppParams)[\s>][\s\S]*?<\/\1>|<rdePolicy:policy[\s\S]*?\/>/g)!;
  return `${xml.slice(0, start)}\n${objects.reverse().join('\n')}\n${xml.slice(end)}`;
}

/** Optional objects and elements left out: no prevId, IDN table, NNDN, policy, upRr/upDate, trDate, fax, voice, a domain's crRr (glue addresses stay: RST requires them). */
function minimal(xml: string): string {
  let out = xml.replace(' prevId="20101010001"', '');
  for (const kind of ['rdeIDN-1.0', 'rdeNNDN-1.0', 'rdePolicy-1.0']) {
    out = out.replace(`<rde:objURI>urn:ietf:params:xml:ns:${kind}</rde:objURI>`, '').replace(new RegExp(`<rdeHeader:count\\s+uri="urn:ietf:params:xml:ns:${kind}">\\d+</rdeHeader:count>`), '');
  }
  return out
    .replace(/<rdeIDN:idnTableRef[\s\S]*?<\/rdeIDN:idnTableRef>/, '')
    .replace(/<rdeNNDN:NNDN>[\s\S]*?<\/rdeNNDN:NNDN>/, '')
    .replace(/<rdePolicy:policy[\s\S]*?\/>/, '')
    .replace(/<(rdeHost|rdeContact):upRr[^>]*>[^<]*<\/\1:upRr>/g, '')
    .replace(/<(rdeHost|rdeContact|rdeRegistrar):upDate>[^<]*<\/\1:upDate>/g, '')
    .replace(/<rdeContact:(fax|voice)[^>]*>[^<]*<\/rdeContact:\1>/g, '')
    .replace(/<rdeContact:trDate>[^<]*<\/rdeContact:trDate>/g, '')
    .replace(/<rdeDom:crRr[^>]*>[^<]*<\/rdeDom:crRr>/g, '');
}

const danglingHost = (xml: string) => xml.replace('<domain:hostObj>ns1.example.com</domain:hostObj>', '<domain:hostObj>ns7.example.net</domain:hostObj>');
const wrongCount = (xml: string) => xml.replace(/(uri="urn:ietf:params:xml:ns:rdeHost-1.0">)2</, '$13<');

test('foreign deposits verify with agent verify: the RFC samples and variants in prefixes, whitespace, order and optional parts; a dangling host and a wrong count are flagged', async (t) => {
  if (!requireTool(t, 'xmllint')) return;
  const dir = tempDir(t, 'sr-agent-foreign-');
  const keys = await agentKeys(dir);
  /**
   * Seals each deposit (the watermark moved to its own day, so that one `agent verify` call
   * takes them all: one CLI process, not one per variant) and returns the reports by label.
   */
  const verify = async (batch: string, deposits: Array<[string, string]>, type: 'full' | 'diff' = 'full'): Promise<Map<string, { exit: number | null; report: Report }>> => {
    const files: string[] = [];
    const labels = new Map<string, string>();
    for (const [index, [label, xml]] of deposits.entries()) {
      const date = `2010-11-${String(index + 1).padStart(2, '0')}`;
      const moved = xml.replace('2010-10-17T00:00:00Z', `${date}T00:00:00Z`);
      const dated = deposits.length === 1 ? xml : moved;
      const day = deposits.length === 1 ? '2010-10-17' : date;
      files.push(...sealedFiles(await sealXml(keys.keys, join(dir, batch, String(index)), { tld: 'test', date: day, type }, dated)));
      labels.set(`test_${day}_${type}_R0`, label);
    }
    const result = spawnSync(process.execPath, [CLI, 'agent', 'verify', '--json', '--key', keys.agentKey, '--signer', keys.registryPub, '--schema', RDE_SCHEMA, '--no-chain', ...files], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      env: { ...process.env, STRONGROOM_HOME: '/nonexistent-strongroom-home' },
    });
    let parsed: (Report & { deposit: { key: string } }) | { reports: Array<Report & { deposit: { key: string } }> };
    try {
      parsed = JSON.parse(result.stdout) as typeof parsed;
    } catch {
      throw new Error(`${batch}: not JSON:\n${result.stdout}\n${result.stderr}`);
    }
    const reports = 'reports' in parsed ? parsed.reports : [parsed];
    assert.equal(reports.length, deposits.length);
    return new Map(reports.map((report) => [labels.get(report.deposit.key)!, { exit: result.status, report }]));
  };
  const errors = (report: Report) => report.findings.filter((finding) => finding.severity === 'error');
  const variants: Array<[string, string]> = [
    ['sample as published', FULL],
    ['other prefixes', renamePrefixes(FULL)],
    ['default namespace on each domain', defaultNamespaceDomains(FULL)],
    ['no whitespace between tags', compact(FULL)],
    ['CRLF, indentation and spaced attributes', loose(FULL)],
    ['objects in reverse order, header last', reversedObjects(FULL)],
    ['optional objects and elements absent', minimal(FULL)],
    ['all at once', renamePrefixes(compact(reversedObjects(minimal(FULL))))],
  ];
  const published = (await verify('published', [variants[0]!])).get(variants[0]![0])!;
  const passed = await verify('variants', variants.slice(1));
  assert.equal([...passed.values()][0]!.exit, EXIT_STATUS.ok, 'every variant passes');
  for (const [label] of variants) {
    const { exit, report } = label === variants[0]![0] ? published : passed.get(label)!;
    assert.deepEqual([exit, report.status, errors(report)], [EXIT_STATUS.ok, 'PASS', []], `${label}: ${JSON.stringify(report.findings)}`);
    const stages = Object.fromEntries(report.stages.map((stage) => [stage.id, stage.status]));
    for (const id of ['signature', 'decode', 'xml-wellformed', 'structure', 'schema', 'container-rules', 'object-rules', 'references']) assert.equal(stages[id], 'PASS', `${label}: ${id}`);
    assert.ok(report.stages.find((stage) => stage.id === 'object-rules')!.rulesNotRun!.length > 0, `${label}: rules without configuration are listed as not run`);
  }

  // Faults in a foreign-looking deposit: caught with the RST codes, naming the object.
  const faults = await verify('faults', [
    ['dangling host', danglingHost(FULL)],
    ['dangling host, foreign', renamePrefixes(compact(reversedObjects(danglingHost(FULL))))],
    ['wrong count', wrongCount(FULL)],
    ['wrong count, foreign', renamePrefixes(loose(wrongCount(FULL)))],
  ]);
  for (const [label, { exit, report }] of faults) {
    assert.equal(exit, EXIT_STATUS.findings, label);
    assert.equal(report.status, 'FAIL', label);
    if (label.startsWith('dangling host')) {
      assert.deepEqual(
        errors(report).map((finding) => [finding.stage, finding.code, finding.object]),
        [['references', 'RDE_DOMAIN_HAS_MISSING_NAMESERVER', 'example1.test']],
        `${label}: ${JSON.stringify(report.findings)}`,
      );
      assert.match(errors(report)[0]!.message, /ns7\.example\.net/);
    } else {
      assert.deepEqual(errors(report).map((finding) => [finding.stage, finding.code]), [['container-rules', 'RDE_OBJECT_COUNT_MISMATCH']], `${label}: ${JSON.stringify(report.findings)}`);
      assert.match(errors(report)[0]!.message, /counts 3 object\(s\) of urn:ietf:params:xml:ns:rdeHost-1\.0, the deposit holds 2/);
    }
  }

  // The RFC's DIFF sample as published counts contacts its menu does not list: RST rde-05 flags it.
  const diff = (await verify('diff-sample', [['diff', DIFF]], 'diff')).get('diff')!;
  assert.equal(diff.exit, EXIT_STATUS.findings);
  assert.deepEqual(errors(diff.report).map((finding) => finding.code), ['RDE_MENU_AND_HEADER_URIS_DIFFER']);
  assert.equal(diff.report.stages.find((stage) => stage.id === 'references')!.status, 'NOT RUN', "a DIFF's references resolve across the chain");
});
