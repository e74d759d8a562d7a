/**
 * The `deposits` section of a registry: what the daemon (`strongroom daemon`) deposits, when,
 * sealed how, sent where, reported to whom and announced to whom.
 *
 *     registries:
 *       example:
 *         tlds: [example]
 *         destinations: { agent: { … } }           # destinations.ts
 *         deposits:
 *           db: postgres://registry@db.internal/registry   # or a directory (embedded database)
 *           schedule: spec2                        # or { full: [sun], diff: [mon, …], watermarkTime: "00:00", deadlineTime: "23:59" }
 *           brda: tue                              # Spec 4 §3.1 BRDA weekday designated by ICANN (optional)
 *           since: 2026-11-15                      # first watermark date on a fresh state directory
 *           sealing:
 *             key: keys/registry.key.asc           # the registry's secret signing key
 *             passphrase: { file: keys/registry.pass }   # or { env: NAME }; never in the file, never on argv
 *             recipients: [keys/agent.pub.asc]
 *             profile: rfc4880                     # rfc4880 | rfc4880-no-mdc | rfc9580
 *             splitSize: 2G
 *             armor: false
 *             keyWarnDays: 30                      # key.expiring notifications from N days before a key expires
 *           deliverTo: [agent]                     # destination names of this registry (consent checked when sending)
 *           icann: { baseUrl: https://ry-api.icann.org, username: example_ry, password: { env: ICANN_PASSWORD } }
 *           notify: { email: { … }, webhooks: [ … ] }   # src/notify/config.ts
 *           retry: { base: 1m, max: 1h }
 *
 * Paths (db directory, key files, secret files) are relative to the configuration file.
 */
import { z } from 'zod';
import { StrongroomError } from '../common/errors.js';
import { SPEC2_SCHEDULE, WEEKDAYS, validateSchedule, type DepositSchedule } from '../scheduler/calendar.js';
import { notifyConfigSchema } from '../notify/config.js';
import { durationSchema } from './destinations.js';
import { secretRefSchema } from './secrets.js';

const weekday = z.enum(WEEKDAYS);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a UTC time of day HH:MM');

/** `512M`, `2G`, or a plain byte count. */
const byteSizeSchema = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d+([KMGT])?$/i, 'a byte size such as 1048576, 512M or 2G')
    .transform((text) => {
      const [, digits, unit] = /^(\d+)([KMGT])?$/i.exec(text)!;
      const power = { '': 0, K: 1, M: 2, G: 3, T: 4 }[(unit ?? '').toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
      return Number(digits) * 1024 ** power;
    }),
]);

export const customScheduleSchema = z.strictObject({
  full: z.array(weekday).min(1, 'at least one weekday needs a FULL deposit (a DIFF chain must start somewhere)'),
  diff: z.array(weekday).default([]),
  /** Spec 2 Part A §1.1–1.2: 00:00 UTC. */
  watermarkTime: hhmm.default('00:00'),
  /** Spec 2 Part A §2: 23:59 UTC. */
  deadlineTime: hhmm.default('23:59'),
});

export const sealingSchema = z.strictObject({
  key: z.string().min(1),
  passphrase: secretRefSchema.optional(),
  recipients: z.array(z.string().min(1)).min(1, 'at least one escrow agent public key'),
  profile: z.enum(['rfc4880', 'rfc4880-no-mdc', 'rfc9580']).default('rfc4880'),
  cipher: z.enum(['aes128', 'aes256']).default('aes256'),
  splitSize: byteSizeSchema.optional(),
  armor: z.boolean().default(false),
  /** Days before a sealing key (ours or an agent's) expires from which every deposit's notify step warns (key.expiring). */
  keyWarnDays: z.number().int().min(0).max(3650).default(30),
});

export const icannSchema = z.strictObject({
  baseUrl: z.string().regex(/^https?:\/\//, 'an https URL (http only to a loopback test server)'),
  /** Default `{tld}_ry`. */
  username: z.string().min(1).optional(),
  password: secretRefSchema,
});

export const depositsSchema = z
  .strictObject({
    db: z.string().min(1),
    schedule: z.union([z.literal('spec2'), customScheduleSchema], { error: 'spec2 or a custom schedule { full: [weekdays], diff: [weekdays], watermarkTime, deadlineTime }' }).default('spec2'),
    brda: weekday.optional(),
    since: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').optional(),
    sealing: sealingSchema,
    deliverTo: z.array(z.string().min(1)).default([]),
    icann: icannSchema.optional(),
    notify: notifyConfigSchema.optional(),
    retry: z.strictObject({ base: durationSchema.default(60_000), max: durationSchema.default(3_600_000) }).default({ base: 60_000, max: 3_600_000 }),
    /** Worker threads of the FULL writer (server databases; default one per CPU, 0 none). */
    jobs: z.number().int().min(0).max(64).optional(),
  })
  .superRefine((d, ctx) => {
    if (typeof d.schedule === 'object') {
      try {
        validateSchedule({ ...d.schedule, thin: d.brda ?? null });
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['schedule'], message: (err as Error).message.replace(/^schedule\.\w+: /, '') });
      }
    }
    if (new Set(d.deliverTo).size !== d.deliverTo.length) ctx.addIssue({ code: 'custom', path: ['deliverTo'], message: 'a destination is named twice' });
  });

export type DepositsConfig = z.infer<typeof depositsSchema>;

/** The calendar of a registry's deposits section. */
export function depositSchedule(d: DepositsConfig): DepositSchedule {
  const base = d.schedule === 'spec2' ? SPEC2_SCHEDULE : { ...d.schedule };
  return validateSchedule({ ...base, thin: d.brda ?? null });
}

/** Cross-section checks of one registry: `deliverTo` names its own destinations. */
export function checkDepositsSection(registry: { tlds: string[]; destinations: Record<string, unknown>; deposits?: DepositsConfig | undefined }, ctx: z.RefinementCtx): void {
  const d = registry.deposits;
  if (!d) return;
  d.deliverTo.forEach((name, index) => {
    if (!(name in registry.destinations)) {
      ctx.addIssue({ code: 'custom', path: ['deposits', 'deliverTo', index], message: `no destination "${name}" in this registry (destinations: ${Object.keys(registry.destinations).join(', ') || 'none'})` });
    }
  });
  if (registry.tlds.length === 0) ctx.addIssue({ code: 'custom', path: ['tlds'], message: 'a registry with deposits needs at least one TLD' });
}

/** The deposits section of a registry, or a clear error when it has none. */
export function requireDeposits(registry: string, section: DepositsConfig | undefined, file: string): DepositsConfig {
  if (!section) throw new StrongroomError('CONFIG_INVALID', `registry ${registry} in ${file} has no deposits section: nothing to schedule`, { location: file });
  return section;
}
