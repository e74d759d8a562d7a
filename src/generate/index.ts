/**
 * Deterministic synthetic registries (`strongroom registry generate`).
 *
 * `plan.ts` turns (TLD, N, seed, host model, as-of) into sizes, identifier schemes and
 * ownership rules; the factories (`registrars.ts`, `contacts.ts`, `hosts.ts`, `domains.ts`,
 * `tld-objects.ts`, `edge-cases.ts`) make any object from its index as a src/model object;
 * `rows.ts` writes model objects as reference-schema COPY rows; `generate.ts` streams a whole
 * registry into a database in one transaction. docs/commands/registry-generate.md describes
 * the data (distributions, edge cases) and the guarantees.
 */
export { generateRegistry, writeRegistry, registryObjects, objectCounts, type GeneratedObject, type GenerateSummary, type LoadOptions, type ObjectCounts, type ForeignKeyMode } from './generate.js';
export { Plan, defaultAsOf, normaliseTld, deriveRoidSuffix, MAX_DOMAINS, type GenerateOptions, type HostModel } from './plan.js';
export { DomainFactory, type GeneratedDomain } from './domains.js';
export { makeContact } from './contacts.js';
export { makeRegistrar } from './registrars.js';
export { makeGroupHosts, makeProviderHosts } from './hosts.js';
export { EDGE_DOMAIN_COUNT, EDGE_CONTACT_COUNT, EDGE_HOST_COUNT } from './edge-cases.js';
export { TABLES, TABLE_ORDER, copyStatement, domainRows, contactRows, hostRows, registrarRows, type RowSink, type TableName } from './rows.js';
export { churnRegistry, CHURN_MIX, CHURN_MIX_STRESS, CHURN_MIXES, CHURN_OPERATIONS, MAX_CHURN_CHANGES, parseChurnMix, type ChurnMix, type ChurnOptions, type ChurnSummary, type ChurnOperation } from './churn.js';
