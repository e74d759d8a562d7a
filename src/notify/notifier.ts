/**
 * Send one event to every configured channel that subscribes to it (e-mail, webhooks), each
 * with its own retries, and report each delivery's outcome. A failing channel never stops the
 * others, and `notify` never throws for a delivery problem: callers decide (the CLI turns
 * failures into NOTIFY_DELIVERY_FAILED with `assertDelivered`). Channels run one after another,
 * in configuration order, so results are deterministic.
 */
import { StrongroomError } from '../common/errors.js';
import { readSecret } from '../common/secret.js';
import type { NotifyConfig } from './config.js';
import { sendEmail } from './email.js';
import type { NotifyEvent } from './events.js';
import { deliveryId } from './templates.js';
import { sendWebhook, type DeliveryResult, type SendOptions } from './webhook.js';

export interface NotifyOptions extends SendOptions {
  /** Environment for secrets given by variable (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface NotifyResult {
  event: NotifyEvent['kind'];
  id: string;
  deliveries: DeliveryResult[];
}

export async function notify(event: NotifyEvent, config: NotifyConfig, options: NotifyOptions = {}): Promise<NotifyResult> {
  const id = deliveryId(event);
  const deliveries: DeliveryResult[] = [];
  const email = config.email;
  if (email !== undefined && email.events.includes(event.kind)) {
    let password: string | undefined;
    try {
      password = email.password === undefined ? undefined : await readSecret(email.password, 'notify.email.password', 'NOTIFY_SECRET_MISSING', options.env);
      deliveries.push(await sendEmail(event, email, password, options));
    } catch (err) {
      if (!(err instanceof StrongroomError)) throw err;
      deliveries.push({ channel: 'email', kind: 'email', ok: false, attempts: 0, code: err.code, message: err.message, id: `<${id}@strongroom>` });
    }
  }
  for (const hook of config.webhooks) {
    if (!hook.events.includes(event.kind)) continue;
    try {
      const secret = await readSecret(hook.secret, `notify.webhooks.${hook.name}.secret`, 'NOTIFY_SECRET_MISSING', options.env);
      deliveries.push(await sendWebhook(event, hook, secret, options));
    } catch (err) {
      if (!(err instanceof StrongroomError)) throw err;
      deliveries.push({ channel: `webhook:${hook.name}`, kind: 'webhook', ok: false, attempts: 0, code: err.code, message: err.message, id });
    }
  }
  return { event: event.kind, id, deliveries };
}

/** Throw NOTIFY_DELIVERY_FAILED naming every failed channel and its code. */
export function assertDelivered(result: NotifyResult): void {
  const failed = result.deliveries.filter((d) => !d.ok);
  if (failed.length === 0) return;
  throw new StrongroomError('NOTIFY_DELIVERY_FAILED', `${failed.length} of ${result.deliveries.length} notification(s) of ${result.event} failed: ${failed.map((d) => `${d.channel} ${d.code}: ${d.message}`).join('; ')}`, {
    data: { deliveries: result.deliveries },
  });
}
