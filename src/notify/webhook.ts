/**
 * Webhook delivery: one JSON POST per event, signed with HMAC-SHA256 over the exact body bytes
 * with the channel's secret:
 *
 *   Content-Type: application/json
 *   X-Strongroom-Event: deposit.succeeded
 *   X-Strongroom-Delivery: <32 hex, the same on every retry of this event: dedupe on it>
 *   X-Strongroom-Signature: sha256=<hex HMAC-SHA256(secret, body)>
 *
 * A receiver recomputes the HMAC over the raw body and compares in constant time
 * (`verifySignature`). Retried with backoff: transport errors, timeouts, HTTP 408, 429 and 5xx
 * (honouring Retry-After). Any other non-2xx answer, or a redirect, is NOTIFY_WEBHOOK_REJECTED
 * at once; retries exhausted is NOTIFY_WEBHOOK_FAILED. The secret never leaves the process.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { backoffDelay, parseRetryAfter, sleep as realSleep, type Sleep } from '../common/backoff.js';
import { messageOf, type ErrorCode } from '../common/errors.js';
import { progressOrNoop, type Progress } from '../common/progress.js';
import type { WebhookConfig } from './config.js';
import type { NotifyEvent } from './events.js';
import { deliveryId, renderPayload } from './templates.js';

export const SIGNATURE_HEADER = 'x-strongroom-signature';
export const EVENT_HEADER = 'x-strongroom-event';
export const DELIVERY_HEADER = 'x-strongroom-delivery';

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Constant-time check of a signature header against the raw body (for receivers). */
export function verifySignature(secret: string, body: string | Buffer, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The outcome of sending one event to one channel. */
export interface DeliveryResult {
  channel: string;
  kind: 'email' | 'webhook';
  ok: boolean;
  attempts: number;
  /** On failure: a NOTIFY_* code. */
  code?: ErrorCode;
  message?: string;
  /** Last HTTP status (webhooks) or SMTP reply code (email), when there was one. */
  status?: number;
  /** Webhook delivery id / e-mail Message-ID. */
  id: string;
}

export interface SendOptions {
  sleep?: Sleep;
  signal?: AbortSignal;
  /** Notes on retries (a stage never prints). */
  progress?: Progress;
}

function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export async function sendWebhook(event: NotifyEvent, config: WebhookConfig, secret: string, options: SendOptions = {}): Promise<DeliveryResult> {
  const body = renderPayload(event);
  const id = deliveryId(event);
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'strongroom',
    [EVENT_HEADER]: event.kind,
    [DELIVERY_HEADER]: id,
    [SIGNATURE_HEADER]: signBody(secret, body),
  };
  const backoff = { attempts: config.retry.attempts, initialMs: config.retry.initialSeconds * 1000, maxMs: config.retry.maxSeconds * 1000 };
  const wait = options.sleep ?? realSleep;
  const result: DeliveryResult = { channel: `webhook:${config.name}`, kind: 'webhook', ok: false, attempts: 0, id };
  const fail = (code: ErrorCode, message: string): DeliveryResult => Object.assign(result, { ok: false, code, message });
  for (let attempt = 1; attempt <= backoff.attempts; attempt++) {
    result.attempts = attempt;
    let retryAfter: number | undefined;
    let problem: string;
    const timeout = AbortSignal.timeout(config.timeoutSeconds * 1000);
    try {
      const response = await fetch(config.url, { method: 'POST', headers, body, redirect: 'manual', signal: options.signal ? AbortSignal.any([options.signal, timeout]) : timeout });
      await response.arrayBuffer().catch(() => undefined);
      result.status = response.status;
      if (response.status >= 200 && response.status < 300) return Object.assign(result, { ok: true });
      if (!retryable(response.status)) {
        return fail('NOTIFY_WEBHOOK_REJECTED', `webhook ${config.name} answered HTTP ${response.status}${response.status >= 300 && response.status < 400 ? ' (a redirect: not followed)' : ''}; not retried`);
      }
      retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      problem = `HTTP ${response.status}`;
    } catch (err) {
      if (options.signal?.aborted) return fail('NOTIFY_WEBHOOK_FAILED', `webhook ${config.name}: interrupted`);
      const cause = (err as { cause?: { code?: string } }).cause;
      problem = timeout.aborted ? `no answer within ${config.timeoutSeconds} s` : (cause?.code ?? messageOf(err));
    }
    if (attempt === backoff.attempts) return fail('NOTIFY_WEBHOOK_FAILED', `webhook ${config.name} failed after ${attempt} attempt(s): ${problem}`);
    const ms = backoffDelay(backoff, attempt, retryAfter);
    progressOrNoop(options.progress).note(`webhook ${config.name}: attempt ${attempt} of ${backoff.attempts}: ${problem}; next in ${ms / 1000} s`);
    await wait(ms, options.signal);
  }
  return fail('NOTIFY_WEBHOOK_FAILED', `webhook ${config.name}: no attempt made`);
}
