import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { isStrongroomError, type StrongroomError } from '../common/errors.js';
import { OBJECT_URI } from '../model/namespaces.js';
import { IcannTestServer, type Fault, type IcannServerOptions } from '../testing/icann-server.js';
import { requireTool } from '../testing/tools.js';
import type { VerificationReport } from '../common/verification-report.js';
import { submitNotification, submitReport, type SubmitOptions } from './icann-client.js';
import { REPORT_RESULT_CODES } from './iirdea.js';
import { depositNotificationXml, missingDepositNotificationXml } from './notification.js';
import { rdeReportXml, type DepositFacts } from './report.js';

const PASSWORD = 'correct horse battery staple';

const FACTS: DepositFacts = {
  tld: 'example',
  id: '20250105F0000',
  resend: 0,
  type: 'FULL',
  watermark: '2025-01-05T00:00:00Z',
  header: {
    tld: 'example',
    count: [
      { uri: OBJECT_URI.domain, count: 5 },
      { uri: OBJECT_URI.host, count: 3 },
      { uri: OBJECT_URI.registrar, count: 3 },
    ],
  },
};

async function icann(t: TestContext, options: Partial<IcannServerOptions> = {}): Promise<IcannTestServer | null> {
  if (!requireTool(t, 'xmllint', undefined, 'the test ICANN peer validates reports with it')) return null;
  const server = new IcannTestServer({ credentials: { example: PASSWORD, '-bad': PASSWORD }, ...options });
  await server.start();
  t.after(() => server.stop());
  return server;
}

/** Options that record the backoff instead of waiting. */
function fast(sleeps: number[] = [], extra: SubmitOptions = {}): SubmitOptions {
  return { backoff: { attempts: 4, initialMs: 1000, maxMs: 30_000 }, sleep: async (ms) => void sleeps.push(ms), ...extra };
}

test('an accepted report: PUT with Basic auth as {tld}_ry, stored by the peer byte for byte, then confirmed by the status endpoint', async (t) => {
  const server = await icann(t);
  if (!server) return;
  const result = await submitReport(FACTS, { baseUrl: server.baseUrl, password: PASSWORD }, fast());
  assert.equal(result.code, 1000);
  assert.equal(result.attempts, 1);
  assert.equal(result.confirmed, true);
  assert.equal(result.url, `${server.baseUrl}/report/registry-escrow-report/example/20250105F0000`);
  assert.equal(result.statusUrl, `${server.baseUrl}/info/report/registry-escrow-report/example/2025-01-05`);
  assert.equal(server.reports.get('example/20250105F0000')?.xml, rdeReportXml(FACTS));
  assert.deepEqual(
    server.log.map((e) => [e.method, e.user, e.answered]),
    [
      ['PUT', 'example_ry', 200],
      ['HEAD', 'example_ry', 200],
    ],
  );
  assert.doesNotMatch(JSON.stringify(result), new RegExp(PASSWORD));
});

test('a resend replaces the stored report of the same id (re-PUT overwrites)', async (t) => {
  const server = await icann(t);
  if (!server) return;
  await submitReport(FACTS, { baseUrl: server.baseUrl, password: PASSWORD }, fast());
  await submitReport({ ...FACTS, resend: 1 }, { baseUrl: server.baseUrl, password: PASSWORD }, fast());
  assert.equal(server.reports.size, 1);
  assert.equal(server.reports.get('example/20250105F0000')?.resend, 1);
});

/** Each rejection the interface lists, produced by the peer's own rules where our client can send such a report, scripted otherwise. */
const REJECTIONS: Array<{ code: number; how: string; facts?: Partial<DepositFacts>; server?: Partial<IcannServerOptions>; fault?: Fault }> = [
  { code: 2001, how: 'schema-invalid report (scripted: the client never builds one)', fault: { code: 2001, description: "'XX' could not be parsed as a number" } },
  { code: 2002, how: 'report exists and its cut-off has passed', server: { closed: ['example/20250105F0000'] } },
  { code: 2003, how: 'negative values (scripted: refused before sending)', fault: { code: 2003 } },
  { code: 2004, how: 'watermark in the future (peer clock in 2024)', server: { now: () => Date.parse('2024-06-01T00:00:00Z') } },
  { code: 2005, how: 'unsupported version (scripted)', fault: { code: 2005 } },
  { code: 2006, how: 'URL id differs from report id (scripted)', fault: { code: 2006 } },
  { code: 2008, how: 'watermark before the TLD was created', server: { tldCreated: { example: '2025-06-01T00:00:00Z' } } },
  { code: 2202, how: 'header TLD differs from URL TLD (scripted)', fault: { code: 2202 } },
  { code: 2205, how: 'a DIFF while a FULL is expected', facts: { type: 'DIFF', id: '20250105D0000' }, server: { expectFull: ['example'] } },
  { code: 2206, how: 'both csvDomain and rdeDomain counts', facts: { header: { tld: 'example', count: [{ uri: OBJECT_URI.domain, count: 1 }, { uri: 'urn:ietf:params:xml:ns:csvDomain-1.0', count: 1 }] } } },
  { code: 2209, how: 'missing TLD (scripted)', fault: { code: 2209 } },
  { code: 2210, how: 'an rcdn in a gTLD header', facts: { header: { tld: 'example', count: [{ uri: OBJECT_URI.domain, count: 1, rcdn: 'example' }] } } },
  { code: 2211, how: 'a duplicate count', facts: { header: { tld: 'example', count: [{ uri: OBJECT_URI.domain, count: 1 }, { uri: OBJECT_URI.domain, count: 2 }] } } },
  { code: 2212, how: 'an invalid label in the URL', facts: { tld: '-bad', header: { tld: '-bad', count: [{ uri: OBJECT_URI.domain, count: 1 }] } } },
  { code: 2002, how: 'a rejection answered with HTTP 200 is still a rejection', server: { closed: ['example/20250105F0000'], rejectWith200: true } },
];

for (const r of REJECTIONS) {
  test(`code ${r.code} (${r.how}) is REPORT_REFUSED with the code and message, not retried, nothing stored`, async (t) => {
    const server = await icann(t, r.server);
    if (!server) return;
    if (r.fault) server.faults.push(r.fault);
    const sleeps: number[] = [];
    const facts = { ...FACTS, ...r.facts };
    await assert.rejects(submitReport(facts, { baseUrl: server.baseUrl, password: PASSWORD }, fast(sleeps)), (err: StrongroomError) => {
      assert.equal(err.code, 'REPORT_REFUSED');
      assert.equal(err.exitStatus, 8);
      assert.equal(err.data?.code, r.code);
      assert.equal(err.data?.msg, REPORT_RESULT_CODES[r.code]!.msg);
      assert.match(err.message, new RegExp(`code ${r.code} `));
      return true;
    });
    assert.equal(server.log.filter((e) => e.method === 'PUT').length, 1, 'not retried');
    assert.deepEqual(sleeps, []);
    assert.equal(server.reports.size, 0);
  });
}

test('2007 (interface disabled) is retried with backoff, then refused with its code when it stays disabled', async (t) => {
  const server = await icann(t, { disabled: ['example'] });
  if (!server) return;
  const sleeps: number[] = [];
  await assert.rejects(submitReport(FACTS, { baseUrl: server.baseUrl, password: PASSWORD }, fast(sleeps)), (err) => isStrongroomError(err, 'REPORT_REFUSED') && err.data?.code === 2007);
  assert.equal(server.log.filter((e) => e.method === 'PUT').length, 4);
  assert.deepEqual(sleeps, [1000, 2000, 4000]);
});

test('dropped connections, 5xx (with Retry-After) and 2007 are retried; the report then goes through', async (t) => {
  const server = await icann(t);
  if (!server) return;
  server.faults.push({ drop: true }, { http: 503, retryAfter: '7' }, { http: 500 }, { code: 2007 });
  const sleeps: number[] = [];
  const notes: string[] = [];
  const progress = { task: () => ({ add() {}, done() {} }), note: (m: string) => void notes.push(m), warn() {} };
  const result = await submitReport(FACTS, { baseUrl: server.baseUrl, password: PASSWORD }, fast(sleeps, { backoff: { attempts: 5, initialMs: 1000, maxMs: 30_000 }, progress }));
  assert.equal(result.code, 1000);
  assert.equal(result.attempts, 5);
  assert.equal(notes.length, 4);
  assert.match(notes[1]!, /^the report of deposit 20250105F0000 \(example, resend 0\): submit attempt 2 of 5: server error \(HTTP 503\); next in 7 s$/);
  assert.deepEqual(sleeps, [1000, 7000, 4000, 8000]);
  assert.deepEqual(
    result.history.map((h) => [h.request, h.httpStatus, h.code ?? null]),
    [
      ['submit', null, null],
      ['submit', 503, null],
      ['submit', 500, null],
      ['submit', 400, 2007],
      ['submit', 200, 1000],
      ['confirm', 200, null],
    ],
  );
  assert.match(result.history[0]!.outcome, /transport error/);
});

test('a peer that stays unreachable or keeps failing ends in REPORT_TRANSPORT_FAILED after the configured attempts', async (t) => {
  const server = await icann(t);
  if (!server) return;
  server.faults.push({ http: 502 }, { http: 502 }, { http: 502 }, { http: 502 });
  await assert.rejects(submitReport(FACTS, { baseUrl: server.baseUrl, password: PASSWORD }, fast()), (err) => isStrongroomError(err, 'REPORT_TRANSPORT_FAILED') && /4 attempt/.test(err.message) && /HTTP 502/.test(err.message));

  // A port nobody listens on: connection refused every time.
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const sleeps: number[] = [];
  await assert.rejects(submitReport(FACTS, { baseUrl: `http://127.0.0.1:${port}`, password: PASSWORD }, fast(sleeps)), (err) => isStrongroomError(err, 'REPORT_TRANSPORT_FAILED') && /ECONNREFUSED/.test(err.message));
  assert.equal(sleeps.length, 3);
});

test('wrong credentials are REPORT_AUTH_FAILED at once; the password appears nowhere in the error', async (t) => {
  const server = await icann(t);
  if (!server) return;
  await assert.rejects(submitReport(FACTS, { baseUrl: server.baseUrl, password: 'wrong-secret-value' }, fast()), (err: StrongroomError) => {
    assert.equal(err.code, 'REPORT_AUTH_FAILED');
    assert.match(err.message, /example_ry/);
    assert.doesNotMatch(JSON.stringify(err.toJSON()), /wrong-secret-value/);
    return true;
  });
  assert.equal(server.log.length, 1);
  await assert.rejects(submitReport(FACTS, { baseUrl: server.baseUrl, username: 'someone', password: PASSWORD }, fast()), (err) => isStrongroomError(err, 'REPORT_AUTH_FAILED'));
});

test('the status endpoint is asked again while it lags; a report it never shows is REPORT_NOT_CONFIRMED', async (t) => {
  const lagging = await icann(t, { statusLag: 2 });
  if (!lagging) return;
  const sleeps: number[] = [];
  const result = await submitReport(FACTS, { baseUrl: lagging.baseUrl, password: PASSWORD }, fast(sleeps));
  assert.equal(result.confirmed, true);
  assert.equal(lagging.log.filter((e) => e.method === 'HEAD').length, 3);
  assert.deepEqual(sleeps, [1000, 2000]);

  const never = await icann(t, { statusLag: 100 });
  if (!never) return;
  await assert.rejects(submitReport(FACTS, { baseUrl: never.baseUrl, password: PASSWORD }, fast()), (err) => isStrongroomError(err, 'REPORT_NOT_CONFIRMED') && /2025-01-05/.test(err.message));
  assert.equal(never.reports.size, 1, 'the report itself was accepted');
});

test('endpoint checks: https only (http only to loopback), no credentials in the URL, a wrong path is REPORT_ENDPOINT_INVALID', async (t) => {
  for (const baseUrl of ['http://ry-api.icann.org', 'https://user:pw@ry-api.icann.org', 'ftp://ry-api.icann.org', 'not a url']) {
    await assert.rejects(submitReport(FACTS, { baseUrl, password: PASSWORD }, fast()), (err) => isStrongroomError(err, 'REPORT_ENDPOINT_INVALID'), baseUrl);
  }
  const server = await icann(t);
  if (!server) return;
  await assert.rejects(submitReport(FACTS, { baseUrl: `${server.baseUrl}/wrong/prefix`, password: PASSWORD }, fast()), (err) => isStrongroomError(err, 'REPORT_ENDPOINT_INVALID') && /HTTP 404/.test(err.message));
});

// The escrow agent's side: notifications to ICANN.

const AGENT = { user: 'strongroom-agent', password: 'agent-secret-9' };

const VERIFIED: VerificationReport = {
  status: 'PASS',
  findings: [],
  deposit: { ...FACTS, receivedAt: '2025-01-05T03:00:00Z', verifiedAt: '2025-01-05T04:00:00Z' },
};

test('agent notifications: DVPN and DRFN POSTed with the agent account, stored, confirmed; 5xx retried', async (t) => {
  const server = await icann(t, { agent: AGENT });
  if (!server) return;
  server.faults.push({ http: 503 });
  const sleeps: number[] = [];
  const endpoint = { baseUrl: server.baseUrl, username: AGENT.user, password: AGENT.password };
  const passed = await submitNotification('example', depositNotificationXml(VERIFIED, { deaName: 'Strongroom test agent' }), '2025-01-05', endpoint, fast(sleeps));
  assert.deepEqual([passed.code, passed.attempts, passed.confirmed], [1000, 2, true]);
  assert.equal(passed.url, `${server.baseUrl}/report/escrow-agent-notification/example`);
  assert.deepEqual(sleeps, [1000]);
  const missing = missingDepositNotificationXml({ tld: 'example', type: 'DIFF', watermark: '2025-01-06T00:00:00Z', deadline: '2025-01-06T23:59:00Z' }, { deaName: 'Strongroom test agent', repDate: '2025-01-07' });
  await submitNotification('example', missing, '2025-01-07', endpoint, fast());
  assert.deepEqual(server.notifications.map((n) => [n.tld, n.status, n.repDate]), [
    ['example', 'DVPN', '2025-01-05'],
    ['example', 'DRFN', '2025-01-07'],
  ]);
  assert.deepEqual(server.log.filter((e) => e.method !== 'PUT').map((e) => [e.method, e.answered]), [
    ['POST', 503],
    ['POST', 200],
    ['HEAD', 200],
    ['POST', 200],
    ['HEAD', 200],
  ]);
});

test('agent notifications: the registry account is refused, a report of another TLD is 2202', async (t) => {
  const server = await icann(t, { agent: AGENT, credentials: { example: PASSWORD, other: PASSWORD } });
  if (!server) return;
  const xml = depositNotificationXml(VERIFIED, { deaName: 'Strongroom test agent' });
  await assert.rejects(submitNotification('example', xml, '2025-01-05', { baseUrl: server.baseUrl, username: 'example_ry', password: PASSWORD }, fast()), (err) => isStrongroomError(err, 'REPORT_AUTH_FAILED'));
  await assert.rejects(submitNotification('other', xml, '2025-01-05', { baseUrl: server.baseUrl, username: AGENT.user, password: AGENT.password }, fast()), (err) => isStrongroomError(err, 'REPORT_REFUSED') && err.data?.code === 2202 && /the other escrow notification of 2025-01-05/.test(err.message));
  assert.equal(server.notifications.length, 0);
});
