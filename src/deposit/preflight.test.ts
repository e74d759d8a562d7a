import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Finding } from '../common/findings.js';
import type { Contact, Domain, EppParams, Host, Nndn, Registrar } from '../model/objects.js';
import { requireTool } from '../testing/tools.js';
import { xmllintDeposit } from '../testing/rde-schema.js';
import { dateKey, dcpProblem, isAnyUri, ObjectChecker, referenceCheckCodes, type PreflightContext } from './preflight.js';

const ctx: PreflightContext = {
  tld: { name: 'example', roidSuffix: 'EXAMPLE', hostModel: 'objects', dataModel: 'maximum' },
  watermark: '2025-01-05T00:00:00Z',
  repositoryTlds: ['example', 'other'],
  roidSuffixes: ['EXAMPLE', 'OTHER'],
};
const checker = new ObjectChecker(ctx);

function run<T>(check: (value: T, out: Finding[]) => void, value: T): string[] {
  const out: Finding[] = [];
  check(value, out);
  return out.map((f) => `${f.severity === 'error' ? '' : `${f.severity}:`}${f.code}`);
}

const domain = (): Domain => ({
  name: 'good.example',
  roid: 'D1-EXAMPLE',
  status: [{ s: 'ok' }],
  rgpStatus: [],
  registrant: 'jd1234',
  contact: [{ type: 'admin', id: 'sh8013' }],
  ns: { hostObj: ['ns1.good.example'] },
  clID: 'RegistrarX',
  crDate: '2020-01-01T00:00:00Z',
  exDate: '2026-01-01T00:00:00Z',
});
const checkDomain = (d: Domain) => run((v: Domain, o) => checker.checkDomain(v, o), d);

test('a well-formed domain passes; each broken field gives its RST code', () => {
  assert.deepEqual(checkDomain(domain()), []);
  const cases: Array<[string, (d: Domain) => void]> = [
    ['RDE_DOMAIN_HAS_INVALID_NAME', (d) => (d.name = 'good.other')],
    ['RDE_DOMAIN_HAS_INVALID_NAME', (d) => (d.name = '-bad.example')],
    ['RDE_DOMAIN_HAS_MISSING_NAME', (d) => (d.name = '')],
    ['RDE_DOMAIN_HAS_INVALID_ROID', (d) => (d.roid = 'D1_EXAMPLE')],
    ['RDE_DOMAIN_HAS_INVALID_ROID', (d) => (d.roid = 'D1-OTHER')],
    ['RDE_DOMAIN_HAS_MISSING_STATUS', (d) => (d.status = [])],
    ['RDE_DOMAIN_HAS_INVALID_STATUS', (d) => (d.status = [{ s: 'linked' }])],
    ['RDE_DOMAIN_HAS_INVALID_STATUS', (d) => (d.status = [{ s: 'ok' }, { s: 'ok' }])],
    ['RDE_DOMAIN_HAS_INVALID_STATUS', (d) => (d.status = [...'abcdefghijkl'].map(() => ({ s: 'inactive' })))],
    ['RDE_DOMAIN_HAS_MISSING_REGISTRANT', (d) => delete d.registrant],
    ['RDE_DOMAIN_HAS_INVALID_REGISTRANT', (d) => (d.registrant = 'ab')],
    ['RDE_DOMAIN_HAS_MISSING_CLID', (d) => (d.clID = '')],
    ['RDE_DOMAIN_HAS_INVALID_CLID', (d) => (d.clID = 'a-registrar-id-longer-than-16')],
    ['RDE_DOMAIN_HAS_INVALID_CRRR', (d) => (d.crRr = { id: 'RegistrarX', client: 'x' })],
    ['RDE_DOMAIN_HAS_MISSING_CRDATE', (d) => delete d.crDate],
    ['RDE_DOMAIN_HAS_INVALID_CRDATE', (d) => (d.crDate = '2025-01-05T00:00:00Z')],
    ['RDE_DOMAIN_HAS_MISSING_EXDATE', (d) => delete d.exDate],
    ['RDE_DOMAIN_HAS_INVALID_EXDATE', (d) => (d.exDate = '2025-01-04T23:59:59Z')],
    ['SR_DOMAIN_HAS_INVALID_UPDATE', (d) => (d.upDate = '2025-01-05T00:00:00.000001Z')],
    ['SR_DOMAIN_HAS_INVALID_CONTACT', (d) => (d.contact = [{ type: 'owner' as 'admin', id: 'sh8013' }])],
    ['SR_DOMAIN_HAS_INVALID_NAMESERVER', (d) => (d.ns = { hostObj: ['not a host'] })],
    ['SR_DOMAIN_HAS_INVALID_NAMESERVER', (d) => (d.ns = { hostAttr: [{ hostName: 'ns.other', hostAddr: [{ ip: 'v4', addr: '2001:db8::1' }] }] })],
    ['SR_DOMAIN_HAS_INVALID_SECDNS', (d) => (d.secDNS = { maxSigLife: 0, dsData: [{ keyTag: 1, alg: 8, digestType: 2, digest: 'ABCD' }] })],
    ['SR_DOMAIN_HAS_INVALID_SECDNS', (d) => (d.secDNS = { dsData: [{ keyTag: 1, alg: 8, digestType: 2, digest: 'XYZ' }] })],
    ['SR_DOMAIN_HAS_INVALID_SECDNS', (d) => (d.secDNS = { maxSigLife: 60, dsData: [] })],
    ['SR_DOMAIN_HAS_INVALID_SECDNS', (d) => (d.secDNS = { keyData: [{ flags: 70000, protocol: 3, alg: 8, pubKey: 'AA==' }] })],
    ['SR_DOMAIN_HAS_INVALID_RGPSTATUS', (d) => (d.rgpStatus = [{ s: 'gracePeriod' }])],
    ['SR_DOMAIN_HAS_INVALID_RGPSTATUS', (d) => (d.rgpStatus = [{ s: 'addPeriod', lang: 'x&y' }])],
    ['SR_DOMAIN_HAS_INVALID_TRNDATA', (d) => (d.trnData = { trStatus: 'waiting', reRr: { id: 'RegistrarX' }, reDate: '2024-01-01T00:00:00Z', acRr: { id: 'RegistrarY' }, acDate: '2024-01-06T00:00:00Z' })],
  ];
  for (const [code, mutate] of cases) {
    const d = domain();
    mutate(d);
    assert.ok(checkDomain(d).includes(code), `${code} expected, got ${checkDomain(d).join(', ')}`);
  }
});

test('exDate in the past is fine for a domain pending deletion; registrant is optional outside the maximum model', () => {
  const d = domain();
  d.exDate = '2024-01-01T00:00:00Z';
  d.status = [{ s: 'pendingDelete' }];
  assert.deepEqual(checkDomain(d), []);
  const perRegistrar = new ObjectChecker({ ...ctx, tld: { ...ctx.tld, dataModel: 'per-registrar' } });
  const noRegistrant = domain();
  delete noRegistrant.registrant;
  assert.deepEqual(run((v: Domain, o) => perRegistrar.checkDomain(v, o), noRegistrant), []);
});

test('hosts: roid suffix of the repository, glue for subordinate hosts, valid addresses', () => {
  const host = (): Host => ({ name: 'ns1.good.example', roid: 'H1-OTHER', status: [{ s: 'ok' }, { s: 'linked' }], addr: [{ ip: 'v4', addr: '192.0.2.1' }], clID: 'RegistrarX' });
  const check = (h: Host) => run((v: Host, o) => checker.checkHost(v, o), h);
  assert.deepEqual(check(host()), []);
  const external = host();
  external.name = 'ns1.example.com';
  external.addr = [];
  assert.deepEqual(check(external), [], 'an external host needs no glue');
  const cases: Array<[string, (h: Host) => void]> = [
    ['RDE_HOST_HAS_MISSING_IP_ADDRESS', (h) => (h.addr = [])],
    ['RDE_HOST_HAS_MISSING_IP_ADDRESS', (h) => ((h.name = 'ns.sub.other'), (h.addr = []))],
    ['RDE_HOST_HAS_INVALID_IP_ADDRESS', (h) => (h.addr = [{ ip: 'v6', addr: '192.0.2.1' }])],
    ['RDE_HOST_HAS_INVALID_IP_ADDRESS', (h) => (h.addr = [{ ip: 'v4', addr: '300.1.1.1' }])],
    ['RDE_HOST_HAS_INVALID_ROID', (h) => (h.roid = 'H1-ELSEWHERE')],
    ['RDE_HOST_HAS_INVALID_NAME', (h) => (h.name = 'ns1_bad.example')],
    ['RDE_HOST_HAS_MISSING_STATUS', (h) => (h.status = [])],
    ['RDE_HOST_HAS_INVALID_STATUS', (h) => (h.status = [{ s: 'clientHold' }])],
    ['RDE_HOST_HAS_MISSING_CLID', (h) => (h.clID = '')],
  ];
  for (const [code, mutate] of cases) {
    const h = host();
    mutate(h);
    assert.ok(check(h).includes(code), `${code} expected, got ${check(h).join(', ')}`);
  }
});

test('contacts: RST rde-09 rules and the XSD limits', () => {
  const contact = (): Contact => ({
    id: 'jd1234',
    roid: 'C1-EXAMPLE',
    status: [{ s: 'linked' }],
    postalInfo: [{ type: 'int', name: 'J', addr: { street: ['a'], city: 'c', cc: 'US' } }],
    voice: { number: '+1.7035555555', ext: '12' },
    email: 'j.d+x@example.test',
    clID: 'RegistrarX',
  });
  const check = (c: Contact) => run((v: Contact, o) => checker.checkContact(v, o), c);
  assert.deepEqual(check(contact()), []);
  const cases: Array<[string, (c: Contact) => void]> = [
    ['RDE_CONTACT_HAS_INVALID_ID', (c) => (c.id = 'x')],
    ['RDE_CONTACT_HAS_INVALID_ROID', (c) => (c.roid = 'nope')],
    ['RDE_CONTACT_HAS_MISSING_POSTALINFO', (c) => (c.postalInfo = [])],
    ['RDE_CONTACT_HAS_MULTIPLE_POSTALINFO_TYPES', (c) => c.postalInfo.push({ ...c.postalInfo[0]! })],
    ['RDE_CONTACT_HAS_INVALID_CC', (c) => (c.postalInfo[0]!.addr.cc = 'XK')],
    ['RDE_CONTACT_HAS_INVALID_CC', (c) => (c.postalInfo[0]!.addr.cc = 'USA')],
    ['RDE_CONTACT_HAS_INVALID_STREET', (c) => (c.postalInfo[0]!.addr.street = ['1', '2', '3', '4'])],
    ['RDE_CONTACT_HAS_INVALID_CITY', (c) => (c.postalInfo[0]!.addr.city = '')],
    ['RDE_CONTACT_HAS_INVALID_NAME', (c) => (c.postalInfo[0]!.name = '')],
    ['SR_CONTACT_HAS_INVALID_ADDRESS', (c) => (c.postalInfo[0]!.addr.pc = '12345678901234567')],
    ['RDE_CONTACT_HAS_INVALID_EMAIL', (c) => (c.email = 'not-an-address')],
    ['RDE_CONTACT_HAS_INVALID_EMAIL', (c) => (c.email = 'a@@b')],
    ['RDE_CONTACT_HAS_MISSING_EMAIL', (c) => (c.email = '')],
    ['RDE_CONTACT_HAS_INVALID_VOICE', (c) => (c.voice = { number: '+1 703 555 5555' })],
    ['SR_CONTACT_HAS_INVALID_FAX', (c) => (c.fax = { number: '+1234.5' })],
    ['RDE_CONTACT_HAS_MISSING_STATUS', (c) => (c.status = [])],
    ['RDE_CONTACT_HAS_INVALID_STATUS', (c) => (c.status = Array.from({ length: 8 }, () => ({ s: 'linked' })))],
    ['SR_CONTACT_HAS_INVALID_DISCLOSE', (c) => (c.disclose = { flag: false, name: ['both' as 'int'], org: [], addr: [], voice: false, fax: false, email: false })],
    ['SR_CONTACT_HAS_INVALID_CRDATE', (c) => (c.crDate = '2030-01-01T00:00:00Z')],
  ];
  for (const [code, mutate] of cases) {
    const c = contact();
    mutate(c);
    assert.ok(check(c).includes(code), `${code} expected, got ${check(c).join(', ')}`);
  }
  const eai = contact();
  eai.email = 'josé@exämple.test';
  assert.deepEqual(check(eai), [], 'internationalised mailboxes (RFC 6531) are accepted');
});

test('registrars: gurid is required (RST rde-10), ids and names have limits', () => {
  const registrar = (): Registrar => ({ id: 'RegistrarX', name: 'X', gurid: '123', postalInfo: [], url: 'https://x.example/' });
  const check = (r: Registrar) => run((v: Registrar, o) => checker.checkRegistrar(v, o), r);
  assert.deepEqual(check(registrar()), []);
  const cases: Array<[string, (r: Registrar) => void]> = [
    ['RDE_REGISTRAR_HAS_MISSING_GURID', (r) => delete r.gurid],
    ['RDE_REGISTRAR_HAS_INVALID_GURID', (r) => (r.gurid = '0')],
    ['RDE_REGISTRAR_HAS_INVALID_ID', (r) => (r.id = 'R ')],
    ['RDE_REGISTRAR_HAS_MISSING_NAME', (r) => (r.name = '')],
    ['SR_REGISTRAR_HAS_INVALID_URL', (r) => (r.url = 'http://x.example/[a]')],
    ['SR_REGISTRAR_HAS_INVALID_CC', (r) => (r.postalInfo = [{ type: 'int', addr: { street: [], city: 'c', cc: 'ZZ' } }])],
    ['SR_REGISTRAR_HAS_INVALID_POSTALINFO', (r) => (r.postalInfo = [{ type: 'int', addr: { street: [], city: 'c', cc: 'US' } }, { type: 'int', addr: { street: [], city: 'c', cc: 'US' } }])],
  ];
  for (const [code, mutate] of cases) {
    const r = registrar();
    mutate(r);
    assert.ok(check(r).includes(code), `${code} expected, got ${check(r).join(', ')}`);
  }
});

test('EPP parameters: the DCP shape, and RST expectations as warnings', () => {
  const params = (): EppParams => ({
    version: ['1.0'],
    lang: ['en'],
    objURI: ['urn:ietf:params:xml:ns:domain-1.0'],
    extURI: ['urn:ietf:params:xml:ns:secDNS-1.1', 'urn:ietf:params:xml:ns:rgp-1.0'],
    dcp: { access: 'all', statement: [{ purpose: ['admin'], recipient: { other: false, ours: [], public: false, same: false, unrelated: false }, retention: 'stated' }] },
  });
  const check = (e: EppParams) => run((v: EppParams, o) => checker.checkEppParams(v, o), e);
  assert.deepEqual(check(params()), []);
  const noExt = params();
  noExt.extURI = [];
  assert.deepEqual(check(noExt), ['warning:SR_EPP_PARAMS_MISSING_EXTURI', 'warning:SR_EPP_PARAMS_MISSING_EXTURI']);
  const badVersion = params();
  badVersion.version = ['2.0'];
  assert.deepEqual(check(badVersion), ['SR_EPP_PARAMS_INVALID']);
  assert.equal(dcpProblem({ access: 'everyone', statement: [] }), 'access is not one of all, none, null, other, personal, personalAndOther');
  assert.match(dcpProblem({ access: 'all', statement: [{ purpose: ['admin'], recipient: { other: 'no' }, retention: 'stated' }] })!, /recipient.other/);
  assert.match(dcpProblem({ ...params().dcp, expiry: { relative: 'one year' } })!, /expiry/);
  assert.equal(dcpProblem({ ...params().dcp, expiry: { relative: 'P1Y2M' } }), null);
});

test('NNDN: name state and names', () => {
  const check = (n: Nndn) => run((v: Nndn, o) => checker.checkNndn(v, o), n);
  assert.deepEqual(check({ aName: 'reserved.example', nameState: 'blocked' }), []);
  assert.deepEqual(check({ aName: 'reserved.example', nameState: 'reserved' as 'blocked' }), ['SR_NNDN_HAS_INVALID_NAMESTATE']);
  assert.deepEqual(check({ aName: 'bad name', nameState: 'withheld' }), ['SR_NNDN_HAS_INVALID_ANAME']);
});

test('findings never quote personal values', () => {
  const out: Finding[] = [];
  checker.checkContact(
    {
      id: 'jd1234',
      roid: 'C1-EXAMPLE',
      status: [{ s: 'linked' }],
      postalInfo: [{ type: 'int', name: 'Secret Person', addr: { street: ['Secret Street 1'], city: 'Secretville', cc: 'QQ' } }],
      voice: { number: '+1 555 SECRET' },
      email: 'secret-at-example',
      clID: 'RegistrarX',
    },
    out,
  );
  assert.ok(out.length >= 3);
  for (const f of out) assert.doesNotMatch(`${f.message} ${f.location} ${f.object}`, /[Ss]ecret|QQ|555/);
});

test('isAnyUri agrees with xmllint on what xs:anyURI accepts', async (t) => {
  if (!requireTool(t, 'xmllint')) return;
  const values = [
    'rdeDomain:registrant',
    "rdeDomain:contact[@type='admin']",
    'http://[2001:db8::1]/path?q=1#frag',
    'https://example.test/a%20b',
    'https://example.test/a%2',
    'urn:ietf:params:xml:ns:domain-1.0',
    'http://example.test/ünïcode',
    'http://example.test/a b',
    'relative/path',
    'x:y{z}',
    'http://exa mple',
    '#fragment',
    'http://example.test/^caret',
  ];
  const dir = await mkdtemp(join(tmpdir(), 'sr-anyuri-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const value of values) {
    const file = join(dir, 'policy.xml');
    const escaped = value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
    await writeFile(
      file,
      `<?xml version="1.0"?><rde:deposit xmlns:rde="urn:ietf:params:xml:ns:rde-1.0" xmlns:rdePolicy="urn:ietf:params:xml:ns:rdePolicy-1.0" type="FULL" id="x">` +
        `<rde:watermark>2025-01-01T00:00:00Z</rde:watermark><rde:rdeMenu><rde:version>1.0</rde:version><rde:objURI>urn:x</rde:objURI></rde:rdeMenu>` +
        `<rde:contents><rdePolicy:policy scope="x" element="${escaped}"/></rde:contents></rde:deposit>`,
    );
    assert.equal(isAnyUri(value), xmllintDeposit(file).valid, `isAnyUri(${JSON.stringify(value)})`);
  }
});

test('dates: canonical keys compare as instants; what is no RFC 3339 date-time is a finding', () => {
  assert.equal(dateKey('2025-01-05T00:00:00Z'), '2025-01-05T00:00:00.000000');
  assert.equal(dateKey('2025-01-05T00:00:00.5Z'), '2025-01-05T00:00:00.500000');
  assert.equal(dateKey('2025-01-05T01:00:00.123456+01:00'), '2025-01-05T00:00:00.123456');
  assert.ok(dateKey('2025-01-05T00:00:00Z')! < dateKey('2025-01-05T00:00:00.000001Z')!);
  assert.equal(dateKey('infinity'), null);
  assert.equal(dateKey('2020-01-01 00:00:00 BC'), null);
  const d = domain();
  d.exDate = 'infinity';
  d.upDate = '0044-03-15 12:00:00+00 BC';
  assert.deepEqual(checkDomain(d), ['SR_INVALID_DATE', 'SR_INVALID_DATE']);
});

test('docs/commands/deposit.md lists every finding code the pre-flight can report', async () => {
  const { PROJECT_ROOT } = await import('../testing/paths.js');
  const { readdir, readFile } = await import('node:fs/promises');
  const docs = await readFile(join(PROJECT_ROOT, 'docs/commands/deposit.md'), 'utf8');
  const documented = new Set(docs.match(/\b(?:RDE|SR)_[A-Z_]+[A-Z]\b/g));
  const codes = new Set(referenceCheckCodes());
  const dir = join(PROJECT_ROOT, 'src/deposit');
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
    // Quoted literals only; prefixes completed at run time are covered by referenceCheckCodes().
    for (const code of (await readFile(join(dir, file), 'utf8')).match(/'(?:RDE|SR)_[A-Z_]+[A-Z]'/g) ?? []) {
      if (!/_(HAS|UNKNOWN|INVALID)'$/.test(code)) codes.add(code.slice(1, -1));
    }
  }
  assert.ok(codes.size > 100);
  assert.deepEqual([...codes].filter((code) => !documented.has(code)).sort(), []);
});

test('duplicate statuses are found the same way in short lists and in long (hostile) ones', () => {
  const twice = (status: Domain['status']): string[] => {
    const out: Finding[] = [];
    checker.checkDomain({ ...domain(), status }, out);
    return out.map((f) => f.message).filter((m) => m.includes('appears twice'));
  };
  const short = [{ s: 'ok' }, { s: 'inactive' }, { s: 'ok' }];
  assert.equal(twice(short).length, 1);
  // 40 invalid values before the repeats: the long list takes the Set; the same statuses are reported.
  const long = [...Array.from({ length: 40 }, (_, n) => ({ s: `bogus${n}` })), ...short, { s: 'inactive' }];
  assert.deepEqual(twice(long).map((m) => m.replace(/.*(status "[^"]+" appears twice).*/, '$1')), ['status "ok" appears twice', 'status "inactive" appears twice']);
});
