import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { isStrongroomError } from '../common/errors.js';
import { decodeHeader, startSmtpSink } from '../testing/smtp.js';
import { requireTool } from '../testing/tools.js';
import { startWebhookReceiver } from '../testing/webhook-receiver.js';
import { parseNotifyConfig, type NotifyConfig } from './config.js';
import { parseNotifyEvent, type DepositNotice, type NotifyEvent } from './events.js';
import { assertDelivered, notify } from './notifier.js';
import { deliveryId, renderPayload, renderText } from './templates.js';
import { verifySignature } from './webhook.js';

const SMTP_PASSWORD = 'smtp-pass-7f3a9';
const HOOK_SECRET = 'hook-secret-0c4e1d';

const DEPOSIT: DepositNotice = {
  tld: 'example',
  id: '20250105F0000',
  type: 'FULL',
  resend: 0,
  watermark: '2025-01-05T00:00:00Z',
  counts: { domain: 5, host: 3, contact: 3, registrar: 3 },
  files: [
    { name: 'example_2025-01-05_full_S1_R0.ryde', bytes: 20480 },
    { name: 'example_2025-01-05_full_S1_R0.sig', bytes: 119 },
  ],
  timings: [
    { stage: 'deposit', seconds: 1.25 },
    { stage: 'seal', seconds: 0.5 },
    { stage: 'deliver', seconds: 2 },
  ],
  startedAt: '2025-01-05T00:00:01Z',
  finishedAt: '2025-01-05T00:00:05Z',
};

const SUCCEEDED: NotifyEvent = { kind: 'deposit.succeeded', at: '2025-01-05T00:00:05Z', deposit: DEPOSIT, destinations: ['agent-sftp'] };
const FAILED: NotifyEvent = { kind: 'deposit.failed', at: '2025-01-05T00:00:03Z', deposit: { ...DEPOSIT, files: [], timings: [{ stage: 'deposit', seconds: 1.25 }] }, stage: 'seal', error: { code: 'KEY_EXPIRED', message: 'the agent key expired' } };
const OVERDUE: NotifyEvent = {
  kind: 'deposit.overdue',
  at: '2025-01-07T00:05:00Z',
  deposit: { ...DEPOSIT, id: '20250106D0000', type: 'DIFF', watermark: '2025-01-06T00:00:00Z', counts: {}, files: [], timings: [] },
  deadline: '2025-01-06T23:59:00Z',
  lastSucceeded: { id: '20250105F0000', type: 'FULL', watermark: '2025-01-05T00:00:00Z', finishedAt: '2025-01-05T00:00:05Z' },
};
const KEY: NotifyEvent = {
  kind: 'key.expiring',
  at: '2025-01-05T06:00:00Z',
  key: { fingerprint: '0123456789ABCDEF0123456789ABCDEF01234567', userId: 'Example Registry <escrow@registry.example>', role: 'registry signing key', expiresAt: '2025-01-19T00:00:00Z' },
  daysLeft: 13,
  tlds: ['example'],
};

async function secretFile(t: TestContext, value: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-notify-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'secret');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return file;
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const recorder = (sleeps: number[]) => ({ sleep: async (ms: number) => void sleeps.push(ms) });

test('the notify configuration: defaults filled in, and each mistake reported with its path', () => {
  const config = parseNotifyConfig({ email: { host: 'smtp.example.net', user: 'bot', password: { env: 'SMTP_PW' }, from: 'sr@registry.example', to: ['ops@registry.example'] }, webhooks: [{ name: 'ops', url: 'https://hooks.example/x', secret: { file: '/etc/secret' } }] });
  assert.equal(config.email?.port, 587);
  assert.equal(config.email?.tls, 'starttls');
  assert.deepEqual(config.email?.events, ['deposit.succeeded', 'deposit.failed', 'deposit.overdue', 'key.expiring']);
  assert.deepEqual(config.webhooks[0]?.retry, { attempts: 5, initialSeconds: 2, maxSeconds: 300 });
  assert.deepEqual(parseNotifyConfig(undefined), { webhooks: [] });

  const problems: Array<[unknown, RegExp]> = [
    [{ webhooks: [{ name: 'a', url: 'ftp://x/y', secret: { env: 'S' } }] }, /notify\.webhooks\[0\]\.url: must be an http\(s\) URL/],
    [{ webhooks: [{ name: 'a', url: 'https://u:p@x/y', secret: { env: 'S' } }] }, /notify\.webhooks\[0\]\.url: must not carry credentials/],
    [{ webhooks: [{ name: 'a', url: 'https://x/y', secret: { env: 'S', file: '/f' } }] }, /notify\.webhooks\[0\]\.secret: give exactly one of file or env/],
    [{ webhooks: [{ name: 'a', url: 'https://x/y', secret: { env: 'S' }, events: ['deposit.exploded'] }] }, /notify\.webhooks\[0\]\.events\[0\]/],
    [{ webhooks: [{ name: 'a', url: 'https://x/y', secret: { env: 'S' } }, { name: 'a', url: 'https://x/z', secret: { env: 'S' } }] }, /notify\.webhooks: webhook names must be unique/],
    [{ email: { host: 'smtp.example.net', tls: 'none', user: 'bot', password: { env: 'P' }, from: 'a@b', to: ['c@d'] } }, /notify\.email\.tls: tls: none would send the SMTP password in clear/],
    [{ email: { host: 'h', user: 'bot', from: 'a@b', to: ['c@d'] } }, /notify\.email\.password: user and password go together/],
    [{ email: { host: 'h', from: 'not-an-address', to: [] } }, /notify\.email\.from: must be an e-mail address[\s\S]*notify\.email\.to: /],
    [{ email: { host: 'h', from: 'a@b', to: ['c@d'], password_file: '/x' } }, /notify\.email: Unrecognized key/],
  ];
  for (const [input, pattern] of problems) {
    assert.throws(() => parseNotifyConfig(input, 'strongroom.yaml'), (err) => isStrongroomError(err, 'NOTIFY_CONFIG_INVALID') && pattern.test(err.message) && err.message.startsWith('strongroom.yaml:'), String(pattern));
  }
});

test('templates are deterministic and carry the deposit id, type, counts, sizes and timings', () => {
  const text = renderText(SUCCEEDED);
  assert.deepEqual(renderText(structuredClone(SUCCEEDED)), text);
  assert.equal(text.subject, '[strongroom] example: FULL deposit 20250105F0000 R0 succeeded');
  assert.equal(
    text.body,
    [
      'The FULL deposit 20250105F0000 of example succeeded at 2025-01-05T00:00:05Z.',
      '',
      'TLD          example',
      'Deposit      20250105F0000 (FULL, resend 0)',
      'Watermark    2025-01-05T00:00:00Z',
      'Objects      14',
      '  domain     5',
      '  host       3',
      '  contact    3',
      '  registrar  3',
      'Size         20599 bytes (20.1 KiB) in 2 file(s)',
      '  example_2025-01-05_full_S1_R0.ryde  20480 bytes',
      '  example_2025-01-05_full_S1_R0.sig  119 bytes',
      'Time         3.75 s',
      '  deposit    1.25 s',
      '  seal       0.50 s',
      '  deliver    2.00 s',
      'Started      2025-01-05T00:00:01Z',
      'Finished     2025-01-05T00:00:05Z',
      'Delivered to agent-sftp',
      '',
    ].join('\n'),
  );
  assert.equal(renderText(FAILED).subject, '[strongroom] example: FULL deposit 20250105F0000 R0 FAILED at seal (KEY_EXPIRED)');
  assert.match(renderText(FAILED).body, /Error {8}KEY_EXPIRED\nMessage {6}the agent key expired/);
  assert.equal(renderText(OVERDUE, '').subject, 'example: DIFF deposit 20250106D0000 is OVERDUE (deadline 2025-01-06T23:59:00Z)');
  assert.match(renderText(OVERDUE).body, /Last success 20250105F0000 \(FULL\) for 2025-01-05T00:00:00Z/);
  assert.equal(renderText(KEY).subject, '[strongroom] registry signing key 0123456789ABCDEF0123456789ABCDEF01234567'.replace('0123456789ABCDEF0123456789ABCDEF01234567', '89ABCDEF01234567') + ' expires in 13 day(s)');
  assert.match(renderText({ ...KEY, daysLeft: -2 } as NotifyEvent).subject, /EXPIRED 2 day\(s\) ago/);
  const payload = JSON.parse(renderPayload(SUCCEEDED)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(payload), ['version', 'event', 'at', 'deposit', 'destinations']);
  assert.equal(deliveryId(SUCCEEDED), deliveryId(structuredClone(SUCCEEDED)));
  for (const event of [SUCCEEDED, FAILED, OVERDUE, KEY]) assert.deepEqual(parseNotifyEvent(JSON.parse(JSON.stringify(event))), event, 'events survive JSON');
  assert.throws(() => parseNotifyEvent({ ...KEY, key: { ...(KEY as { key: object }).key, fingerprint: 'xyz' } }), (err) => isStrongroomError(err, 'NOTIFY_EVENT_INVALID') && /event\.key\.fingerprint/.test(err.message));
  assert.throws(() => parseNotifyEvent({ kind: 'deposit.exploded', at: SUCCEEDED.at }), (err) => isStrongroomError(err, 'NOTIFY_EVENT_INVALID'));
  assert.notEqual(deliveryId(SUCCEEDED), deliveryId(FAILED));
});

function emailConfig(port: number, passwordFile: string, extra: Record<string, unknown> = {}): NotifyConfig {
  return parseNotifyConfig({
    email: { host: '127.0.0.1', port, tls: 'none', user: 'escrow-bot', password: { file: passwordFile }, from: 'strongroom@registry.example', to: ['ops@registry.example', 'noc@registry.example'], retry: { attempts: 3, initialSeconds: 2, maxSeconds: 60 }, ...extra },
  });
}

test('e-mail through a real SMTP server process: authenticated, envelope and headers right, the whole text received', async (t) => {
  const sink = await startSmtpSink(t, { user: 'escrow-bot', password: SMTP_PASSWORD });
  const config = emailConfig(sink.port, await secretFile(t, SMTP_PASSWORD));
  for (const event of [SUCCEEDED, FAILED, OVERDUE, KEY]) {
    const result = await notify(event, config);
    assert.deepEqual(result.deliveries.map((d) => [d.channel, d.ok, d.attempts]), [['email', true, 1]], JSON.stringify(result));
  }
  const messages = await sink.messages();
  assert.equal(messages.length, 4);
  const [first] = messages;
  assert.equal(first!.user, 'escrow-bot');
  assert.equal(first!.mailFrom, 'strongroom@registry.example');
  assert.deepEqual(first!.rcptTo, ['ops@registry.example', 'noc@registry.example']);
  assert.equal(decodeHeader(first!.headers.subject!), renderText(SUCCEEDED).subject);
  assert.equal(first!.headers['message-id'], `<${deliveryId(SUCCEEDED)}@strongroom>`);
  assert.equal(first!.headers['x-strongroom-event'], 'deposit.succeeded');
  assert.equal(new Date(first!.headers.date!).toISOString(), '2025-01-05T00:00:05.000Z');
  assert.equal(first!.text.trimEnd(), renderText(SUCCEEDED).body.trimEnd());
  assert.equal(decodeHeader(messages[3]!.headers.subject!), renderText(KEY).subject);
  for (const m of messages) assert.doesNotMatch(m.raw, new RegExp(SMTP_PASSWORD));
});

test('e-mail failures carry codes: bad password NOTIFY_SMTP_AUTH_FAILED, refused recipient NOTIFY_SMTP_REJECTED, neither retried', async (t) => {
  const sink = await startSmtpSink(t, { user: 'escrow-bot', password: SMTP_PASSWORD, rejectRecipients: ['noc@registry.example'] });
  const sleeps: number[] = [];
  const wrong = await notify(SUCCEEDED, emailConfig(sink.port, await secretFile(t, 'not-the-password')), recorder(sleeps));
  assert.equal(wrong.deliveries[0]!.code, 'NOTIFY_SMTP_AUTH_FAILED');
  assert.equal(wrong.deliveries[0]!.status, 535);
  assert.equal(wrong.deliveries[0]!.attempts, 1);
  assert.doesNotMatch(JSON.stringify(wrong), /not-the-password/);

  const partly = await notify(SUCCEEDED, emailConfig(sink.port, await secretFile(t, SMTP_PASSWORD)), recorder(sleeps));
  assert.equal(partly.deliveries[0]!.code, 'NOTIFY_SMTP_REJECTED');
  assert.match(partly.deliveries[0]!.message!, /noc@registry\.example.*delivered to ops@registry\.example/);
  const all = await notify(SUCCEEDED, emailConfig(sink.port, await secretFile(t, SMTP_PASSWORD), { to: ['noc@registry.example'] }), recorder(sleeps));
  assert.equal(all.deliveries[0]!.code, 'NOTIFY_SMTP_REJECTED');
  assert.equal(all.deliveries[0]!.status, 550);
  assert.deepEqual(sleeps, []);
  assert.deepEqual((await sink.messages()).map((m) => m.rcptTo), [['ops@registry.example']]);
});

test('temporary SMTP failures (451) are retried with backoff; an unreachable relay ends in NOTIFY_SMTP_FAILED', async (t) => {
  const sink = await startSmtpSink(t, { user: 'escrow-bot', password: SMTP_PASSWORD, tempFailures: 2 });
  const file = await secretFile(t, SMTP_PASSWORD);
  const sleeps: number[] = [];
  const notes: string[] = [];
  const progress = { task: () => ({ add() {}, done() {} }), note: (m: string) => void notes.push(m), warn() {} };
  const result = await notify(SUCCEEDED, emailConfig(sink.port, file), { ...recorder(sleeps), progress });
  assert.deepEqual(result.deliveries.map((d) => [d.ok, d.attempts]), [[true, 3]]);
  assert.equal(notes.length, 2);
  assert.match(notes[0]!, /^email via 127\.0\.0\.1:\d+: attempt 1 of 3: .*451.*; next in 2 s$/);
  assert.deepEqual(sleeps, [2000, 4000]);
  assert.equal((await sink.messages()).length, 1);

  const down = await notify(SUCCEEDED, emailConfig(await closedPort(), file), recorder([]));
  assert.equal(down.deliveries[0]!.code, 'NOTIFY_SMTP_FAILED');
  assert.equal(down.deliveries[0]!.attempts, 3);
  assert.match(down.deliveries[0]!.message!, /ECONNECTION|ECONNREFUSED/);
});

test('STARTTLS: the message goes encrypted to a relay whose certificate the configured CA vouches for; an untrusted certificate or a relay without STARTTLS is NOTIFY_SMTP_TLS_FAILED, never a plain-text fallback', async (t) => {
  if (!requireTool(t, 'openssl', undefined, 'to make a throwaway certificate')) return;
  const dir = await mkdtemp(join(tmpdir(), 'sr-notify-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  const file = await secretFile(t, SMTP_PASSWORD);
  const tls = await startSmtpSink(t, { user: 'escrow-bot', password: SMTP_PASSWORD, tlsKey: key, tlsCert: cert });
  const sleeps: number[] = [];

  const trusted = await notify(KEY, emailConfig(tls.port, file, { tls: 'starttls', caFile: cert }), recorder(sleeps));
  assert.deepEqual(trusted.deliveries.map((d) => [d.ok, d.code ?? null]), [[true, null]]);
  const [message] = await tls.messages();
  assert.equal(message!.secure, true, 'the session was encrypted');
  assert.equal(message!.user, 'escrow-bot');

  const untrusted = await notify(KEY, emailConfig(tls.port, file, { tls: 'starttls' }), recorder(sleeps));
  assert.deepEqual(untrusted.deliveries.map((d) => [d.ok, d.code, d.attempts]), [[false, 'NOTIFY_SMTP_TLS_FAILED', 1]]);
  const plain = await startSmtpSink(t, { user: 'escrow-bot', password: SMTP_PASSWORD });
  const downgrade = await notify(KEY, emailConfig(plain.port, file, { tls: 'starttls' }), recorder(sleeps));
  assert.deepEqual(downgrade.deliveries.map((d) => [d.ok, d.code, d.attempts]), [[false, 'NOTIFY_SMTP_TLS_FAILED', 1]]);
  assert.deepEqual(sleeps, []);
  assert.equal((await plain.messages()).length, 0);
  assert.equal((await tls.messages()).length, 1);
});

function hookConfig(url: string, extra: Record<string, unknown> = {}): NotifyConfig {
  return parseNotifyConfig({ webhooks: [{ name: 'ops', url, secret: { env: 'SR_TEST_HOOK_SECRET' }, retry: { attempts: 4, initialSeconds: 1, maxSeconds: 30 }, ...extra }] });
}
const ENV = { SR_TEST_HOOK_SECRET: HOOK_SECRET };

test('webhooks: a signed JSON POST the receiver can verify with the shared secret', async (t) => {
  const receiver = await startWebhookReceiver(t);
  const result = await notify(SUCCEEDED, hookConfig(receiver.url), { env: ENV });
  assert.deepEqual(result.deliveries.map((d) => [d.channel, d.ok, d.attempts, d.status]), [['webhook:ops', true, 1, 200]]);
  const [request] = receiver.requests;
  assert.equal(request!.method, 'POST');
  assert.equal(request!.path, '/hooks/strongroom');
  assert.equal(request!.headers['content-type'], 'application/json');
  assert.equal(request!.headers['x-strongroom-event'], 'deposit.succeeded');
  assert.equal(request!.headers['x-strongroom-delivery'], deliveryId(SUCCEEDED));
  const signature = request!.headers['x-strongroom-signature'] as string;
  assert.ok(verifySignature(HOOK_SECRET, request!.body, signature));
  assert.equal(verifySignature('another-secret', request!.body, signature), false);
  assert.equal(verifySignature(HOOK_SECRET, Buffer.concat([request!.body, Buffer.from(' ')]), signature), false);
  const body = JSON.parse(request!.body.toString('utf8')) as { version: number; event: string; deposit: DepositNotice };
  assert.equal(body.version, 1);
  assert.equal(body.event, 'deposit.succeeded');
  assert.deepEqual(body.deposit, DEPOSIT);
  assert.doesNotMatch(request!.body.toString('utf8') + JSON.stringify(request!.headers), new RegExp(HOOK_SECRET));
});

test('webhooks: dropped connections, 5xx and 429 (Retry-After) are retried with the same delivery id; 4xx is rejected at once; exhaustion fails', async (t) => {
  const receiver = await startWebhookReceiver(t);
  receiver.script.push('drop', 503, { status: 429, retryAfter: '9' });
  const sleeps: number[] = [];
  const result = await notify(FAILED, hookConfig(receiver.url), { env: ENV, ...recorder(sleeps) });
  assert.deepEqual(result.deliveries.map((d) => [d.ok, d.attempts, d.status]), [[true, 4, 200]]);
  assert.deepEqual(sleeps, [1000, 2000, 9000]);
  assert.equal(new Set(receiver.requests.map((r) => r.headers['x-strongroom-delivery'])).size, 1);
  assert.equal(new Set(receiver.requests.map((r) => r.headers['x-strongroom-signature'])).size, 1);

  receiver.script.push(400);
  const rejected = await notify(FAILED, hookConfig(receiver.url), { env: ENV, ...recorder(sleeps) });
  assert.deepEqual(rejected.deliveries.map((d) => [d.ok, d.code, d.attempts, d.status]), [[false, 'NOTIFY_WEBHOOK_REJECTED', 1, 400]]);
  receiver.script.push(307);
  const redirected = await notify(FAILED, hookConfig(receiver.url), { env: ENV, ...recorder(sleeps) });
  assert.match(redirected.deliveries[0]!.message!, /redirect/);

  receiver.script.push(500, 502, 503, 504);
  const exhausted = await notify(FAILED, hookConfig(receiver.url), { env: ENV, ...recorder(sleeps) });
  assert.deepEqual(exhausted.deliveries.map((d) => [d.ok, d.code, d.attempts, d.status]), [[false, 'NOTIFY_WEBHOOK_FAILED', 4, 504]]);
  assert.match(exhausted.deliveries[0]!.message!, /after 4 attempt\(s\): HTTP 504/);
});

test('notify: every subscribed channel is tried, failures reported per channel with codes, unsubscribed channels untouched', async (t) => {
  const sink = await startSmtpSink(t, { user: 'escrow-bot', password: SMTP_PASSWORD });
  const receiver = await startWebhookReceiver(t);
  const config = parseNotifyConfig({
    email: { host: '127.0.0.1', port: sink.port, tls: 'none', user: 'escrow-bot', password: { env: 'SR_TEST_SMTP_PW' }, from: 'sr@registry.example', to: ['ops@registry.example'], events: ['deposit.failed', 'deposit.overdue'] },
    webhooks: [
      { name: 'ops', url: receiver.url, secret: { env: 'SR_TEST_HOOK_SECRET' } },
      { name: 'nosecret', url: receiver.url, secret: { env: 'SR_TEST_UNSET_SECRET' } },
      { name: 'success-only', url: receiver.url, secret: { env: 'SR_TEST_HOOK_SECRET' }, events: ['deposit.succeeded'] },
    ],
  });
  const env = { ...ENV, SR_TEST_SMTP_PW: SMTP_PASSWORD };
  const result = await notify(OVERDUE, config, { env });
  assert.deepEqual(
    result.deliveries.map((d) => [d.channel, d.ok, d.code ?? null]),
    [
      ['email', true, null],
      ['webhook:ops', true, null],
      ['webhook:nosecret', false, 'NOTIFY_SECRET_MISSING'],
    ],
  );
  assert.equal(receiver.requests.length, 1);
  assert.throws(() => assertDelivered(result), (err) => isStrongroomError(err, 'NOTIFY_DELIVERY_FAILED') && /webhook:nosecret NOTIFY_SECRET_MISSING/.test(err.message) && /SR_TEST_UNSET_SECRET/.test(err.message));

  const success = await notify(SUCCEEDED, config, { env });
  assert.deepEqual(success.deliveries.map((d) => [d.channel, d.ok]), [['webhook:ops', true], ['webhook:nosecret', false], ['webhook:success-only', true]], 'e-mail is not subscribed to successes');
  assert.equal(receiver.requests.length, 3);
  assert.equal((await sink.messages()).length, 1);
  assertDelivered({ ...success, deliveries: success.deliveries.filter((d) => d.ok) });
});
