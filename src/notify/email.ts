/**
 * E-mail delivery through an SMTP relay (nodemailer): one plain-text message per event, with a
 * deterministic Message-ID (`<delivery id@strongroom>`) and Date (the event's time), so a retry
 * or a second run produces the same message and mail systems can deduplicate it.
 *
 * Failures are classified from the SMTP reply: TLS not offered or a certificate not trusted is
 * NOTIFY_SMTP_TLS_FAILED (never downgraded to plain text), authentication refused (535/534/530,
 * EAUTH) is NOTIFY_SMTP_AUTH_FAILED and permanent rejections (other 5xx, or any recipient refused) are
 * NOTIFY_SMTP_REJECTED, both at once; temporary failures (4xx such as 421/451) and connection
 * problems are retried with backoff, then NOTIFY_SMTP_FAILED. The password is read from its
 * file or variable just before sending and never appears in results.
 */
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { backoffDelay, sleep as realSleep } from '../common/backoff.js';
import { messageOf, type ErrorCode } from '../common/errors.js';
import { progressOrNoop } from '../common/progress.js';
import type { EmailConfig } from './config.js';
import type { NotifyEvent } from './events.js';
import { deliveryId, renderText } from './templates.js';
import type { DeliveryResult, SendOptions } from './webhook.js';

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

const AUTH_REPLIES = new Set([530, 534, 535, 538]);

/** TLS could not be set up: no STARTTLS offered (ETLS), or the certificate is not trusted or not for this host. */
const TLS_PROBLEM = /certificate|self[- ]signed|CERT_|altnames|unable to (get|verify)/i;

function classify(err: SmtpError): { code: ErrorCode; retry: boolean } {
  const reply = err.responseCode;
  if (err.code === 'ETLS' || TLS_PROBLEM.test(err.message ?? '')) return { code: 'NOTIFY_SMTP_TLS_FAILED', retry: false };
  if (err.code === 'EAUTH' || (reply !== undefined && AUTH_REPLIES.has(reply))) return { code: 'NOTIFY_SMTP_AUTH_FAILED', retry: false };
  if (reply !== undefined && reply >= 500) return { code: 'NOTIFY_SMTP_REJECTED', retry: false };
  return { code: 'NOTIFY_SMTP_FAILED', retry: true };
}

export async function sendEmail(event: NotifyEvent, config: EmailConfig, password: string | undefined, options: SendOptions = {}): Promise<DeliveryResult> {
  const id = deliveryId(event);
  const messageId = `<${id}@strongroom>`;
  const result: DeliveryResult = { channel: 'email', kind: 'email', ok: false, attempts: 0, id: messageId };
  const fail = (code: ErrorCode, message: string, status?: number): DeliveryResult => Object.assign(result, { ok: false, code, message, ...(status === undefined ? {} : { status }) });
  let ca: string | undefined;
  if (config.caFile !== undefined) {
    try {
      ca = await readFile(config.caFile, 'utf8');
    } catch (err) {
      return fail('NOTIFY_CONFIG_INVALID', `email: cannot read caFile ${config.caFile}: ${messageOf(err)}`);
    }
  }
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.tls === 'implicit',
    requireTLS: config.tls === 'starttls',
    ignoreTLS: config.tls === 'none',
    ...(config.user !== undefined && password !== undefined ? { auth: { user: config.user, pass: password } } : {}),
    connectionTimeout: config.timeoutSeconds * 1000,
    greetingTimeout: config.timeoutSeconds * 1000,
    socketTimeout: config.timeoutSeconds * 1000,
    tls: { minVersion: 'TLSv1.2', ...(ca === undefined ? {} : { ca }) },
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const text = renderText(event, config.subjectPrefix);
  const backoff = { attempts: config.retry.attempts, initialMs: config.retry.initialSeconds * 1000, maxMs: config.retry.maxSeconds * 1000 };
  const wait = options.sleep ?? realSleep;
  try {
    for (let attempt = 1; attempt <= backoff.attempts; attempt++) {
      result.attempts = attempt;
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: config.to,
          subject: text.subject,
          text: text.body,
          messageId,
          date: new Date(event.at),
          headers: { 'X-Strongroom-Event': event.kind },
        });
        const rejected = (info.rejected ?? []).map(String);
        if (rejected.length > 0) return fail('NOTIFY_SMTP_REJECTED', `email: the relay refused recipient(s) ${rejected.join(', ')}; delivered to ${(info.accepted ?? []).map(String).join(', ') || 'nobody'}`);
        return Object.assign(result, { ok: true });
      } catch (err) {
        const smtp = err as SmtpError;
        const { code, retry } = classify(smtp);
        const detail = `${smtp.code ?? 'error'}${smtp.responseCode ? ` ${smtp.responseCode}` : ''}: ${(smtp.response ?? smtp.message ?? messageOf(err)).trim()}`;
        if (!retry) return fail(code, `email via ${config.host}:${config.port} refused: ${detail}`, smtp.responseCode);
        if (attempt === backoff.attempts) return fail('NOTIFY_SMTP_FAILED', `email via ${config.host}:${config.port} failed after ${attempt} attempt(s): ${detail}`, smtp.responseCode);
        const ms = backoffDelay(backoff, attempt);
        progressOrNoop(options.progress).note(`email via ${config.host}:${config.port}: attempt ${attempt} of ${backoff.attempts}: ${detail}; next in ${ms / 1000} s`);
        await wait(ms, options.signal);
      }
    }
    return fail('NOTIFY_SMTP_FAILED', 'email: no attempt made');
  } finally {
    transport.close();
  }
}
