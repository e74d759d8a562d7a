/**
 * THE Strongroom configuration file (YAML), one section per concern. Each concern owns its
 * schema in its own file under src/config/ and adds one line here:
 *
 *     version: 1
 *     state: /var/lib/strongroom          # where persistent state lives (cooldowns, cursors …)
 *     registries:
 *       <registry id>:
 *         tlds: [example]
 *         destinations: { … }             # destinations.ts
 *         deposits: { … }                 # deposits.ts (the daemon's schedule, sealing, delivery, reporting)
 *
 * Objects are strict: an unknown key is an error that names its line, so a typo never
 * silently disables a safety setting.
 */
import { z } from 'zod';
import { destinationsSection } from './destinations.js';
import { checkDepositsSection, depositsSchema } from './deposits.js';

/** Sections of one registry. Add a line per concern (schedules, agent, backup …). */
export const registrySchema = z.strictObject({
  tlds: z.array(z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'a TLD in A-label form')).default([]),
  destinations: destinationsSection.default({}),
  deposits: depositsSchema.optional(),
}).superRefine(checkDepositsSection);

/** Top-level sections. Add a line per concern. */
export const configSchema = z.strictObject({
  version: z.literal(1),
  state: z.string().min(1).optional(),
  registries: z.record(z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'a registry id (lower case, digits, . _ -)'), registrySchema),
});

export type StrongroomConfig = z.infer<typeof configSchema>;
export type RegistryConfig = z.infer<typeof registrySchema>;
