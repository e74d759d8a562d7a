/**
 * The `notify` section of Strongroom's configuration: where notifications go (one SMTP
 * relay with its recipients, any number of webhooks), which events each channel receives, and
 * how hard to retry. A zod schema, so the configuration module can embed it as one key and
 * users get precise errors (`notify.webhooks[0].url: …`). Secrets (SMTP password, webhook HMAC
 * key) are named by file or environment variable, never written in the file.
 *
 *   notify:
 *     email:
 *       host: smtp.example.net
 *       port: 587
 *       tls: starttls              # starttls (default) | implicit | none (loopback relays only)
 *       user: escrow-bot
 *       password: { file: /etc/strongroom/smtp-password }
 *       from: strongroom@registry.example
 *       to: [escrow-ops@registry.example]
 *       events: [deposit.failed, deposit.overdue, key.expiring]
 *     webhooks:
 *       - name: ops
 *         url: https://hooks.registry.example/strongroom
 *         secret: { env: STRONGROOM_WEBHOOK_SECRET }
 */
import { z } from 'zod';
import { StrongroomError } from '../common/errors.js';

/** What Strongroom notifies about. */
export const NOTIFY_EVENTS = ['deposit.succeeded', 'deposit.failed', 'deposit.overdue', 'key.expiring'] as const;
export type NotifyEventKind = (typeof NOTIFY_EVENTS)[number];

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export const secretSourceSchema = z
  .object({
    file: z.string().min(1).optional(),
    env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name')
      .optional(),
  })
  .strict()
  .refine((s) => (s.file === undefined) !== (s.env === undefined), { message: 'give exactly one of file or env' });

const retrySchema = z
  .object({
    /** Attempts in all, the first included. */
    attempts: z.number().int().min(1).max(20).default(5),
    initialSeconds: z.number().positive().max(3600).default(2),
    maxSeconds: z.number().positive().max(86_400).default(300),
  })
  .strict();

const eventsSchema = z.array(z.enum(NOTIFY_EVENTS)).min(1).default([...NOTIFY_EVENTS]);

const address = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, 'must be an e-mail address (local@domain)');

export const emailConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(587),
    /** starttls: upgrade and require TLS; implicit: TLS from the first byte (port 465); none: plain text. */
    tls: z.enum(['starttls', 'implicit', 'none']).default('starttls'),
    /** PEM file of the CA that signed the relay's certificate (default: the system CAs). */
    caFile: z.string().min(1).optional(),
    user: z.string().min(1).optional(),
    password: secretSourceSchema.optional(),
    from: address,
    to: z.array(address).min(1),
    events: eventsSchema,
    subjectPrefix: z.string().max(64).default('[strongroom]'),
    timeoutSeconds: z.number().positive().max(600).default(30),
    retry: retrySchema.default({ attempts: 5, initialSeconds: 2, maxSeconds: 300 }),
  })
  .strict()
  .refine((e) => (e.user === undefined) === (e.password === undefined), { message: 'user and password go together', path: ['password'] })
  .refine((e) => e.tls !== 'none' || LOOPBACK.has(e.host) || e.user === undefined, {
    message: 'tls: none would send the SMTP password in clear; use starttls or implicit (none is allowed with a password only to a loopback relay)',
    path: ['tls'],
  });

export const webhookConfigSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (up to 64)'),
    url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL')
      .refine((u) => !/^[a-z]+:\/\/[^/]*@/i.test(u), 'must not carry credentials'),
    /** Key of the HMAC-SHA256 signature of every body. */
    secret: secretSourceSchema,
    events: eventsSchema,
    timeoutSeconds: z.number().positive().max(600).default(30),
    retry: retrySchema.default({ attempts: 5, initialSeconds: 2, maxSeconds: 300 }),
  })
  .strict();

export const notifyConfigSchema = z
  .object({
    email: emailConfigSchema.optional(),
    webhooks: z.array(webhookConfigSchema).default([]),
  })
  .strict()
  .refine((c) => new Set(c.webhooks.map((w) => w.name)).size === c.webhooks.length, { message: 'webhook names must be unique', path: ['webhooks'] });

export type NotifyConfig = z.infer<typeof notifyConfigSchema>;
export type EmailConfig = z.infer<typeof emailConfigSchema>;
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;
export type RetryConfig = z.infer<typeof retrySchema>;

/** One line per problem: `notify.webhooks[0].url: must be an http(s) URL`. */
export function formatIssues(error: z.ZodError, prefix: string): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : `${out}.${String(key)}`), prefix);
    return `${path}: ${issue.message}`;
  });
}

/** Validate a parsed `notify` section; `where` names its origin (file) in the error. */
export function parseNotifyConfig(input: unknown, where = 'configuration'): NotifyConfig {
  const result = notifyConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const lines = formatIssues(result.error, 'notify');
    throw new StrongroomError('NOTIFY_CONFIG_INVALID', `${where}: the notify section is invalid:\n  ${lines.join('\n  ')}`, { location: where, data: { issues: lines } });
  }
  return result.data;
}
