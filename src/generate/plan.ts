/**
 * The plan of a synthetic registry: every size, identifier scheme, date anchor and
 * "who owns what" rule, computed once from the options (tld, N, seed, host model, as-of).
 * The plan is small (one slot per registrar, at most 2,000) so any object can be generated
 * from its index alone, in any order, without holding other objects in memory.
 *
 * Layout of the index spaces (edge-case objects always come first):
 *
 *   domains   [0, E)                edge cases (edge-cases.ts)
 *             [E, N)                regular; r = i − E; p = perm(r) places the domain in its
 *                                   registrar's block [domainStart, domainStart + domainCount)
 *   contacts  [0, Ec)               edge cases
 *             per registrar block:  [0, referenced)  each is the registrant of the block's
 *                                                     domain k = local (so it is `linked`)
 *                                   [referenced, +orphans) never referenced
 *   hosts     [0, Eh)               edge cases
 *             in-bailiwick groups   group g = ns1, ns2 (+ ns3 every tenth group, never used)
 *                                   under the parent domain at p = 40g + 20
 *             external providers    provider x = ns1..ns4.<provider>-<tag>.<tld'>; providers
 *                                   x < providersUsed are all used by the domain at
 *                                   p = 40x + 7, the rest are never used
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { StrongroomError } from '../common/errors.js';
import { canonicalDateTime, tryCanonicalDateTime } from '../model/datetime.js';
import { addYears, DAY, startOfUtcDay } from './dates.js';
import { EDGE_CONTACT_COUNT, EDGE_DOMAIN_COUNT, EDGE_HOST_COUNT } from './edge-cases.js';
import { AffinePermutation, cumulate, firstAbove, seedKey, stringHash, type SeedKey } from './random.js';
import { IANA_ID_ICANN_SLA_MONITORING, IANA_ID_REGISTRY_OPERATOR } from './vocabulary.js';

export type HostModel = 'objects' | 'attributes';

export interface GenerateOptions {
  /** The TLD, A-label or U-label, without a dot. */
  tld: string;
  /** Total number of domains, edge cases included (at least EDGE_DOMAIN_COUNT). */
  domains: number;
  seed: string;
  hostModel?: HostModel;
  /** RFC 3339 instant the registry "is at"; default: the start of the current UTC day. */
  asOf?: string;
}

/** The TLD row when the database already has one (its repository id and host model win). */
export interface ExistingTld {
  roidSuffix: string;
  hostModel: HostModel;
  dataModel: string;
}

export type RegistrarRole = 'regular' | 'registry-operator' | 'sla-monitor';

export interface RegistrarSlot {
  index: number;
  id: string;
  role: RegistrarRole;
  gurid: number;
  status: 'ok' | 'readonly' | 'terminated';
  /** First position p of the registrar's domain block and its size. */
  domainStart: number;
  domainCount: number;
  /** First regular contact index of the registrar's contact block (global index). */
  contactStart: number;
  referencedContacts: number;
  orphanContacts: number;
}

/** The largest supported N: every index stays below 2^27 (exact modular arithmetic). */
export const MAX_DOMAINS = 100_000_000;
/** Registrars: max(20, N/5000), at most 2,000 (the brief's realism target). */
const MIN_REGISTRARS = 20;
const MAX_REGISTRARS = 2000;
/** Registry history: the TLD launched ten years before as-of, general availability 60 days later. */
const HISTORY_YEARS = 10;
const SUNRISE_DAYS = 60;
/** Block positions (mod 40) of parent domains of in-bailiwick hosts and of provider coverage. */
export const PARENT_STRIDE = 40;
export const PARENT_OFFSET = 20;
export const PROVIDER_OFFSET = 7;
/** External providers: about 0.5% of N, four name servers each (≈2% of N hosts); 5% unused. */
const PROVIDER_SHARE = 0.005;
export const HOSTS_PER_PROVIDER = 4;

function invalid(message: string): StrongroomError {
  return new StrongroomError('GENERATE_INVALID_ARGUMENT', message);
}

/** Validate a TLD given as A-label or U-label; returns [A-label, U-label]. */
export function normaliseTld(input: string): [string, string] {
  const trimmed = input.trim().replace(/^\./, '').replace(/\.$/, '');
  if (trimmed === '' || trimmed.includes('.')) throw invalid(`--tld must be one label without dots, got "${input}"`);
  const ascii = domainToASCII(trimmed.toLowerCase());
  const ldh = /^[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
  if (ascii === '' || !ldh.test(ascii) || (ascii.slice(2, 4) === '--' && !ascii.startsWith('xn--'))) {
    throw invalid(`--tld "${input}" is not a valid top-level domain label (letters, digits, hyphens; an IDN in U- or A-label form)`);
  }
  const unicode = domainToUnicode(ascii);
  if (ascii.startsWith('xn--') && (unicode === '' || unicode === ascii)) throw invalid(`--tld "${input}" is not a valid A-label`);
  return [ascii, unicode];
}

/**
 * The repository id (roid suffix after '-', RFC 5730 §2.8, `\w{1,8}`) derived from the TLD:
 * its letters and digits upper-cased, or the first four and a 4-character hash when longer.
 */
export function deriveRoidSuffix(tld: string): string {
  const alnum = tld.replace(/[^a-z0-9]/gi, '').toUpperCase();
  if (alnum.length >= 1 && alnum.length <= 8) return alnum;
  const hash = (stringHash(tld) % 36 ** 4).toString(36).toUpperCase().padStart(4, '0');
  return `${alnum.slice(0, 4)}${hash}`;
}

/** Default --as-of: the start of the current UTC day (the only use of the clock). */
export function defaultAsOf(now: number = Date.now()): string {
  return canonicalDateTime(new Date(startOfUtcDay(now)).toISOString());
}

/** Largest-remainder apportionment of `total` to `weights` (deterministic tie-break: index). */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum === 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map((x) => Math.floor(x));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, index) => ({ index, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    if ((weights[index] as number) > 0) {
      counts[index] = (counts[index] as number) + 1;
      left--;
    }
  }
  return counts;
}

export class Plan {
  readonly tld: string;
  readonly tldUnicode: string;
  readonly roidSuffix: string;
  /** Lower-case repository id: the suffix of every generated registrar and contact id. */
  readonly tag: string;
  readonly hostModel: HostModel;
  readonly seed: string;
  readonly key: SeedKey;
  readonly asOf: number;
  readonly asOfText: string;
  /** TLD launch (sunrise) and general availability. */
  readonly launch: number;
  readonly gaStart: number;

  readonly domainCount: number;
  readonly regularDomainCount: number;
  readonly registrars: RegistrarSlot[];
  /** Regular registrars are slots [0, regularRegistrarCount). */
  readonly regularRegistrarCount: number;
  /** Cumulative market weights of registrars that can still take part in transfers. */
  readonly activeRegistrarWeights: number[];
  /** Cumulative weights of registrars that appear in history (losing side of old transfers). */
  readonly historyRegistrarWeights: number[];
  private readonly blockEnds: number[];
  private readonly contactBlockEnds: number[];
  readonly domainPermutation: AffinePermutation | null;

  readonly contactCount: number;
  readonly parentGroups: number;
  readonly providers: number;
  readonly providersUsed: number;
  readonly inBailiwickHostCount: number;
  readonly externalHostCount: number;
  /** Host objects (0 in the host-attribute model). */
  readonly hostCount: number;

  constructor(options: GenerateOptions, existing?: ExistingTld) {
    [this.tld, this.tldUnicode] = normaliseTld(options.tld);
    if (!Number.isSafeInteger(options.domains) || options.domains < EDGE_DOMAIN_COUNT || options.domains > MAX_DOMAINS) {
      throw invalid(`--domains must be an integer from ${EDGE_DOMAIN_COUNT} (the edge cases every registry contains) to ${MAX_DOMAINS.toLocaleString('en-US')}, got ${options.domains}`);
    }
    if (options.seed === '') throw invalid('--seed must not be empty');
    const requested = options.hostModel;
    if (requested !== undefined && requested !== 'objects' && requested !== 'attributes') throw invalid(`--host-model must be "objects" or "attributes", got "${String(requested)}"`);
    if (existing && requested !== undefined && existing.hostModel !== requested) {
      throw invalid(`TLD ${this.tld} already exists with host model "${existing.hostModel}", not "${requested}"`);
    }
    if (existing && existing.dataModel !== 'per-registrar') {
      throw invalid(`TLD ${this.tld} already exists with data model "${existing.dataModel}"; the generator makes "per-registrar" data (contacts, and a domain without registrant)`);
    }
    this.hostModel = existing?.hostModel ?? requested ?? 'objects';
    this.roidSuffix = existing?.roidSuffix ?? deriveRoidSuffix(this.tld);
    if (!/^[A-Za-z0-9_]{1,8}$/.test(this.roidSuffix)) {
      throw invalid(`TLD ${this.tld} has repository id "${this.roidSuffix}", which the generator cannot use (RFC 5730 roid suffix \\w{1,8}, ASCII)`);
    }
    this.tag = this.roidSuffix.toLowerCase();
    this.seed = options.seed;
    this.key = seedKey(options.seed);
    const asOfText = options.asOf === undefined ? defaultAsOf() : tryCanonicalDateTime(options.asOf);
    if (asOfText === null) throw invalid(`--as-of must be an RFC 3339 date-time such as 2026-01-01T00:00:00Z, got "${options.asOf}"`);
    this.asOfText = asOfText;
    this.asOf = Date.parse(asOfText);
    this.launch = addYears(startOfUtcDay(this.asOf), -HISTORY_YEARS);
    if (new Date(this.launch).getUTCFullYear() < 1990) throw invalid(`--as-of ${asOfText} is too early: the generated history needs ${HISTORY_YEARS} years after 1990`);
    this.gaStart = this.launch + SUNRISE_DAYS * DAY;

    this.domainCount = options.domains;
    const regular = options.domains - EDGE_DOMAIN_COUNT;
    this.regularDomainCount = regular;

    // Registrars: Zipf market shares (weight 1/(rank+1)); every 29th and the third-to-last are
    // read-only (half share); the second-to-last was terminated and the last is newly
    // accredited: both sponsor nothing.
    const count = Math.min(MAX_REGISTRARS, Math.max(MIN_REGISTRARS, Math.round(options.domains / 5000)));
    this.regularRegistrarCount = count;
    const weights: number[] = [];
    const statuses: RegistrarSlot['status'][] = [];
    for (let r = 0; r < count; r++) {
      const terminated = r === count - 2;
      const fresh = r === count - 1;
      const readonly = !terminated && !fresh && (r % 29 === 28 || r === count - 3);
      statuses.push(terminated ? 'terminated' : readonly ? 'readonly' : 'ok');
      weights.push(terminated || fresh ? 0 : (readonly ? 0.5 : 1) / (r + 1));
    }
    const domainCounts = apportion(regular, weights);
    this.registrars = [];
    let domainStart = 0;
    let contactStart = EDGE_CONTACT_COUNT;
    for (let r = 0; r < count; r++) {
      const domains = domainCounts[r] as number;
      const referenced = Math.ceil(domains / 2);
      const orphans = Math.floor(domains / 10);
      this.registrars.push({
        index: r,
        id: `rr${String(r + 1).padStart(4, '0')}-${this.tag}`,
        role: 'regular',
        // IANA Registrar IDs: unique, positive, in the range real accreditations use.
        gurid: 1000 + r,
        status: statuses[r] as RegistrarSlot['status'],
        domainStart,
        domainCount: domains,
        contactStart,
        referencedContacts: referenced,
        orphanContacts: orphans,
      });
      domainStart += domains;
      contactStart += referenced + orphans;
    }
    this.contactCount = contactStart;
    const special = (role: RegistrarRole, id: string, gurid: number): RegistrarSlot => ({
      index: this.registrars.length, id, role, gurid, status: 'ok', domainStart: 0, domainCount: 0, contactStart: 0, referencedContacts: 0, orphanContacts: 0,
    });
    this.registrars.push(special('registry-operator', `ry-${this.tag}`, IANA_ID_REGISTRY_OPERATOR));
    this.registrars.push(special('sla-monitor', `sla-${this.tag}`, IANA_ID_ICANN_SLA_MONITORING));
    this.blockEnds = this.registrars.slice(0, count).map((slot) => slot.domainStart + slot.domainCount);
    this.contactBlockEnds = this.registrars.slice(0, count).map((slot) => slot.contactStart + slot.referencedContacts + slot.orphanContacts);
    this.activeRegistrarWeights = cumulate(weights);
    this.historyRegistrarWeights = cumulate(weights.map((w, r) => (r === count - 2 ? 1 / 10 : w)));
    this.domainPermutation = regular > 0 ? new AffinePermutation(regular, this.key, stringHash('domain-permutation')) : null;

    this.parentGroups = regular > PARENT_OFFSET ? Math.floor((regular - PARENT_OFFSET - 1) / PARENT_STRIDE) + 1 : 0;
    const slots = regular > PROVIDER_OFFSET ? Math.floor((regular - PROVIDER_OFFSET - 1) / PARENT_STRIDE) + 1 : 0;
    this.providers = regular > 0 ? Math.max(2, Math.round(regular * PROVIDER_SHARE)) : 0;
    this.providersUsed = Math.min(slots, Math.max(1, Math.floor(this.providers * 0.95)));
    this.inBailiwickHostCount = 2 * this.parentGroups + Math.floor(this.parentGroups / 10);
    this.externalHostCount = HOSTS_PER_PROVIDER * this.providers;
    this.hostCount = this.hostModel === 'objects' ? EDGE_HOST_COUNT + this.inBailiwickHostCount + this.externalHostCount : 0;
  }

  // ---- identifiers -------------------------------------------------------------------------

  domainRoid(index: number): string {
    return `D${index}-${this.roidSuffix}`;
  }

  contactId(index: number): string {
    return `c${index.toString(36)}-${this.tag}`;
  }

  contactRoid(index: number): string {
    return `C${index}-${this.roidSuffix}`;
  }

  hostRoid(index: number): string {
    return `H${index}-${this.roidSuffix}`;
  }

  registrarId(slot: number): string {
    return (this.registrars[slot] as RegistrarSlot).id;
  }

  slot(index: number): RegistrarSlot {
    return this.registrars[index] as RegistrarSlot;
  }

  get registryOperator(): RegistrarSlot {
    return this.registrars[this.regularRegistrarCount] as RegistrarSlot;
  }

  // ---- ownership ---------------------------------------------------------------------------

  /** The registrar slot whose domain block holds position p. */
  registrarAtPosition(p: number): RegistrarSlot {
    return this.registrars[firstAbove(this.blockEnds, p)] as RegistrarSlot;
  }

  /** The registrar slot of regular contact `index` (global contact index ≥ Ec). */
  registrarOfContact(index: number): RegistrarSlot {
    return this.registrars[firstAbove(this.contactBlockEnds, index)] as RegistrarSlot;
  }

  /** Block position of regular domain r (r = i − E). */
  position(regularIndex: number): number {
    return (this.domainPermutation as AffinePermutation).apply(regularIndex);
  }

  /** Domain index (i) of the regular domain at block position p. */
  domainAtPosition(p: number): number {
    return EDGE_DOMAIN_COUNT + (this.domainPermutation as AffinePermutation).invert(p);
  }

  /** First host index of in-bailiwick group g and its host count. */
  groupHosts(group: number): [number, number] {
    return [EDGE_HOST_COUNT + 2 * group + Math.floor(group / 10), group % 10 === 9 ? 3 : 2];
  }

  /** First host index of external provider x. */
  providerHosts(provider: number): number {
    return EDGE_HOST_COUNT + this.inBailiwickHostCount + HOSTS_PER_PROVIDER * provider;
  }

  /** Top-level domain for external provider names, never the generated TLD. */
  externalTlds(list: readonly string[]): string[] {
    return list.filter((t) => t !== this.tld);
  }
}
