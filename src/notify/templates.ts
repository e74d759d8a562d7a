/**
 * The text of notifications: subject and plain-text body for e-mail, and the JSON body of
 * webhooks. Deterministic: the same event gives the same bytes (no locale, no clock, fixed key
 * order), so messages can be compared, deduplicated and tested exactly.
 */
import { createHash } from 'node:crypto';
import { formatBytes } from '../ui/progress.js';
import type { DepositNotice, NotifyEvent } from './events.js';

/** Version of the webhook body's shape; bumped on incompatible changes. */
export const PAYLOAD_VERSION = 1;

export interface RenderedText {
  subject: string;
  body: string;
}

function seconds(s: number): string {
  return `${s.toFixed(2)} s`;
}

function depositLines(d: DepositNotice): string[] {
  const objects = Object.values(d.counts).reduce((sum, n) => sum + n, 0);
  const bytes = d.files.reduce((sum, f) => sum + f.bytes, 0);
  const total = d.timings.reduce((sum, t) => sum + t.seconds, 0);
  const lines = [
    `TLD          ${d.tld}`,
    `Deposit      ${d.id} (${d.type}, resend ${d.resend})`,
    `Watermark    ${d.watermark}`,
    `Objects      ${objects}`,
  ];
  for (const [kind, n] of Object.entries(d.counts)) lines.push(`  ${kind.padEnd(11)}${n}`);
  lines.push(`Size         ${bytes} bytes (${formatBytes(bytes)}) in ${d.files.length} file(s)`);
  for (const f of d.files) lines.push(`  ${f.name}  ${f.bytes} bytes`);
  lines.push(`Time         ${seconds(total)}`);
  for (const t of d.timings) lines.push(`  ${t.stage.padEnd(11)}${seconds(t.seconds)}`);
  if (d.startedAt) lines.push(`Started      ${d.startedAt}`);
  if (d.finishedAt) lines.push(`Finished     ${d.finishedAt}`);
  return lines;
}

/** Subject and body of the e-mail for an event. */
export function renderText(event: NotifyEvent, subjectPrefix = '[strongroom]'): RenderedText {
  const prefix = subjectPrefix === '' ? '' : `${subjectPrefix} `;
  let subject: string;
  let lines: string[];
  switch (event.kind) {
    case 'deposit.succeeded': {
      const d = event.deposit;
      subject = `${d.tld}: ${d.type} deposit ${d.id} R${d.resend} succeeded`;
      lines = [`The ${d.type} deposit ${d.id} of ${d.tld} succeeded at ${event.at}.`, '', ...depositLines(d)];
      if (event.destinations && event.destinations.length > 0) lines.push(`Delivered to ${event.destinations.join(', ')}`);
      break;
    }
    case 'deposit.failed': {
      const d = event.deposit;
      subject = `${d.tld}: ${d.type} deposit ${d.id} R${d.resend} FAILED at ${event.stage} (${event.error.code})`;
      lines = [
        `The ${d.type} deposit ${d.id} of ${d.tld} failed at stage "${event.stage}" at ${event.at}.`,
        '',
        `Error        ${event.error.code}`,
        `Message      ${event.error.message}`,
        '',
        ...depositLines(d),
      ];
      break;
    }
    case 'deposit.overdue': {
      const d = event.deposit;
      subject = `${d.tld}: ${d.type} deposit ${d.id} is OVERDUE (deadline ${event.deadline})`;
      lines = [`The ${d.type} deposit ${d.id} of ${d.tld} was due by ${event.deadline} and has not succeeded (checked at ${event.at}).`, '', ...depositLines(d)];
      const last = event.lastSucceeded;
      lines.push(last ? `Last success ${last.id} (${last.type}) for ${last.watermark}${last.finishedAt ? `, finished ${last.finishedAt}` : ''}` : 'Last success none recorded');
      break;
    }
    case 'key.expiring': {
      const k = event.key;
      const when = event.daysLeft < 0 ? `EXPIRED ${-event.daysLeft} day(s) ago` : event.daysLeft === 0 ? 'expires TODAY' : `expires in ${event.daysLeft} day(s)`;
      subject = `${k.role} ${k.fingerprint.slice(-16)} ${when}`;
      lines = [
        `The ${k.role} ${when} (${k.expiresAt}); checked at ${event.at}.`,
        '',
        `Fingerprint  ${k.fingerprint}`,
        ...(k.userId ? [`User ID      ${k.userId}`] : []),
        `Expires      ${k.expiresAt}`,
        `TLDs         ${event.tlds.length > 0 ? event.tlds.join(', ') : 'none'}`,
        '',
        'Deposits signed or encrypted with an expired key are refused; renew or replace the key and distribute it (Spec 2 Part A §6).',
      ];
      break;
    }
  }
  return { subject: `${prefix}${subject}`, body: `${lines.join('\n')}\n` };
}

/** The webhook body: the event with a version, as UTF-8 JSON with a fixed key order. */
export function renderPayload(event: NotifyEvent): string {
  const { kind, at, ...rest } = event;
  return JSON.stringify({ version: PAYLOAD_VERSION, event: kind, at, ...rest });
}

/** A stable id of one notification (same event, same id): Message-ID and X-Strongroom-Delivery. */
export function deliveryId(event: NotifyEvent): string {
  return createHash('sha256').update(renderPayload(event)).digest('hex').slice(0, 32);
}
