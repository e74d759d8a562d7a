import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../../src/testing/cli.js';
import { decodeHeader, startSmtpSink } from '../../src/testing/smtp.js';
import { startWebhookReceiver } from '../../src/testing/webhook-receiver.js';
import { verifySignature } from '../../src/notify/webhook.js';


const EVENT = {
  kind: 'deposit.failed',
  at: '2025-01-05T00:00:03Z',
  deposit: { tld: 'example', id: '20250105F0000', type: 'FULL', resend: 0, watermark: '2025-01-05T00:00:00Z', counts: { domain: 5 }, files: [{ name: 'example_2025-01-05_full_S1_R0.xml', bytes: 9000 }], timings: [{ stage: 'deposit', seconds: 0.75 }] },
  stage: 'seal',
  error: { code: 'KEY_EXPIRED', message: 'the agent key expired' },
};

test('strongroom notify: one event from a file to the e-mail and webhook channels of a YAML configuration', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sr-cli-notify-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const sink = await startSmtpSink(t, { user: 'bot', password: 'smtp-pw-1' });
  const receiver = await startWebhookReceiver(t);
  await writeFile(join(dir, 'smtp-password'), 'smtp-pw-1\n');
  const config = join(dir, 'strongroom.yaml');
  await writeFile(
    config,
    [
      'notify:',
      '  email:',
      '    host: 127.0.0.1',
      `    port: ${sink.port}`,
      '    tls: none',
      '    user: bot',
      `    password: { file: ${join(dir, 'smtp-password')} }`,
      '    from: strongroom@registry.example',
      '    to: [ops@registry.example]',
      '  webhooks:',
      '    - name: ops',
      `      url: ${receiver.url}`,
      '      secret: { env: SR_CLI_HOOK_SECRET }',
      '      retry: { attempts: 1 }',
      '',
    ].join('\n'),
  );
  const event = join(dir, 'event.json');
  await writeFile(event, JSON.stringify(EVENT));
  const env = { SR_CLI_HOOK_SECRET: 'cli-hook-secret' };

  const ok = await run(['notify', '--config', config, '--event', event, '--json'], env);
  assert.equal(ok.status, 0, ok.stderr + ok.stdout);
  const result = JSON.parse(ok.stdout) as { deliveries: Array<{ channel: string; ok: boolean }> };
  assert.deepEqual(result.deliveries.map((d) => [d.channel, d.ok]), [['email', true], ['webhook:ops', true]]);
  const [message] = await sink.messages();
  assert.match(decodeHeader(message!.headers.subject!), /FAILED at seal \(KEY_EXPIRED\)/);
  assert.ok(verifySignature('cli-hook-secret', receiver.requests[0]!.body, receiver.requests[0]!.headers['x-strongroom-signature'] as string));

  receiver.script.push(403);
  const failed = await run(['notify', '--config', config, '--event', event], env);
  assert.equal(failed.status, 7);
  assert.match(failed.stdout, /webhook:ops +FAILED NOTIFY_WEBHOOK_REJECTED/);
  assert.match(failed.stderr, /NOTIFY_DELIVERY_FAILED: 1 of 2/);

  await writeFile(event, JSON.stringify({ ...EVENT, at: 'yesterday' }));
  const bad = await run(['notify', '--config', config, '--event', event], env);
  assert.equal(bad.status, 4);
  assert.match(bad.stderr, /NOTIFY_EVENT_INVALID: [\s\S]*event\.at: must be an RFC 3339 date-time/);

  await writeFile(config, 'notify:\n  webhooks:\n    - name: x\n      url: nope\n');
  const badConfig = await run(['notify', '--config', config, '--event', event], env);
  assert.equal(badConfig.status, 3);
  assert.match(badConfig.stderr, /notify\.webhooks\[0\]\.url/);
});
