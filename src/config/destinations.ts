/**
 * The `destinations` section of a registry: where its deposits and backups may be sent.
 *
 *     destinations:
 *       agent:                              # the name used by `strongroom push --to agent`
 *         kind: sftp                        # directory | sftp | s3
 *         url: sftp://escrow@sftp.agent.example:22/inbox
 *         purpose: escrow-agent             # escrow-agent | second-agent | own-offsite
 *         consent: { granted: true, by: "J. Doe, CTO", date: 2026-11-01, reference: "CCB-14" }
 *         hostKey: { fingerprints: ["SHA256:…"] }   # or { knownHostsFile: known_hosts }
 *         credentials: { privateKey: { file: keys/agent_ed25519 } }
 *         cooldown: 2h                      # escrow-agent only (default 2h)
 *
 * Consent (seed 000: "no registry data will ever be transferred without registry consent") is
 * recorded per destination; a destination without `consent.granted: true` is valid
 * configuration but Strongroom refuses to send to it (DESTINATION_NOT_CONSENTED).
 */
import { z } from 'zod';
import { secretRefSchema } from './secrets.js';

export const PURPOSES = ['escrow-agent', 'second-agent', 'own-offsite'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** `30m`, `2h`, `1d`, `90s` → milliseconds. */
export const durationSchema = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 90s, 30m, 2h or 1d')
  .transform((text) => {
    const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(text)!;
    const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
    return Number(amount) * factor;
  });

export const consentSchema = z.strictObject({
  granted: z.boolean(),
  /** Who consented (a role or name on the registry's side). */
  by: z.string().min(1),
  /** When (YYYY-MM-DD). */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD'),
  /** The decision's reference (meeting minutes, ticket). */
  reference: z.string().min(1).optional(),
});

export const destinationSchema = z
  .strictObject({
    kind: z.enum(['directory', 'sftp', 's3']),
    url: z.string().min(1),
    purpose: z.enum(PURPOSES),
    consent: consentSchema.optional(),
    credentials: z
      .strictObject({
        privateKey: secretRefSchema.optional(),
        passphrase: secretRefSchema.optional(),
        accessKeyId: secretRefSchema.optional(),
        secretAccessKey: secretRefSchema.optional(),
      })
      .optional(),
    hostKey: z
      .strictObject({
        fingerprints: z.array(z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'an OpenSSH SHA256 fingerprint (ssh-keygen -l -E sha256)')).optional(),
        knownHostsFile: z.string().min(1).optional(),
      })
      .optional(),
    cooldown: durationSchema.optional(),
    /** S3: keep objects immutable (object lock, compliance mode) for this many days. */
    retentionDays: z.number().int().positive().optional(),
    /** After-upload verification (default sha256: read back and hash). */
    verify: z.enum(['sha256', 'size']).optional(),
    retry: z.strictObject({ attempts: z.number().int().min(1).max(20).optional(), baseDelay: durationSchema.optional() }).optional(),
  })
  .superRefine((dest, ctx) => {
    const scheme = { directory: ['file:', ''], sftp: ['sftp:'], s3: ['s3:'] }[dest.kind];
    const url = /^[a-z][a-z0-9+.-]*:/i.exec(dest.url)?.[0]?.toLowerCase() ?? '';
    if (!scheme.includes(url)) ctx.addIssue({ code: 'custom', path: ['url'], message: `a ${dest.kind} destination needs a ${scheme.filter(Boolean).join(' or ') || 'path'} URL, got "${dest.url}"` });
    if (dest.kind === 'sftp') {
      if (!dest.credentials?.privateKey) ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'an sftp destination needs credentials.privateKey (key authentication only)' });
      if (!dest.hostKey?.fingerprints?.length && !dest.hostKey?.knownHostsFile) {
        ctx.addIssue({ code: 'custom', path: ['hostKey'], message: 'an sftp destination needs its host key pinned: hostKey.fingerprints or hostKey.knownHostsFile' });
      }
    }
    if (dest.kind === 's3' && (!dest.credentials?.accessKeyId || !dest.credentials?.secretAccessKey)) {
      ctx.addIssue({ code: 'custom', path: ['credentials'], message: 'an s3 destination needs credentials.accessKeyId and credentials.secretAccessKey' });
    }
    if (dest.cooldown !== undefined && dest.purpose !== 'escrow-agent') {
      ctx.addIssue({ code: 'custom', path: ['cooldown'], message: 'cooldown applies to escrow-agent destinations only' });
    }
    if (dest.retentionDays !== undefined && dest.kind !== 's3') ctx.addIssue({ code: 'custom', path: ['retentionDays'], message: 'retentionDays needs an s3 destination (object lock)' });
  });

export type DestinationConfig = z.infer<typeof destinationSchema>;

export const destinationsSection = z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a destination name (lower case, digits, . _ -)'), destinationSchema);
