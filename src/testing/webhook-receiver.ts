/**
 * A local HTTP webhook receiver for tests: records every request (headers and raw body) and
 * answers from a script of statuses (then 200), to inject failures.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  /** Answers for the next requests: a status, optionally with Retry-After, or 'drop' to cut the connection. */
  script: Array<number | { status: number; retryAfter: string } | 'drop'>;
}

export async function startWebhookReceiver(t: TestContext): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = { url: '', requests: [], script: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const next = receiver.script.shift() ?? 200;
      if (next === 'drop') {
        req.socket.destroy();
        return;
      }
      const status = typeof next === 'number' ? next : next.status;
      res.writeHead(status, typeof next === 'number' ? {} : { 'retry-after': next.retryAfter });
      res.end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/strongroom`;
  t.after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return receiver;
}
