/**
 * Domain objects (RFC 9022 §5.1, RFC 5731, RFC 5910 secDNS, RFC 3915 RGP).
 *
 * Regular domain i sits at block position p = perm(i − E) of its registrar (plan.ts); its
 * registrant is contact (k mod referenced) of the same registrar, k = its place in the block,
 * so contacts are shared (≈2 domains per registrant) and every referenced contact is used.
 *
 * Distributions (of regular domains): name servers none 3% (status `inactive`), an
 * in-bailiwick group 14% (+30% one external host), an external provider otherwise with 2/3/4
 * hosts 70/15/15% (providers skewed: x = ⌊used·u³⌋); DNSSEC 20% of delegated domains (DS
 * only 85%, DS with key data 5%, key data only 10%; 1/2/3 records 70/25/5%; maxSigLife 5%);
 * IDN 5%; pendingDelete 1% (RGP redemptionPeriod, pendingRestore or pendingDelete by the
 * deletion date; half already expired); pendingTransfer 0.5%; pendingCreate/Renew/Update
 * 0.05% each; completed transfers 8% (transfer data kept 60%), refused/cancelled 1%;
 * registrar lock (client delete/transfer/update prohibited) 35%, transfer lock only 10%,
 * clientRenewProhibited 3%, registry lock (server …) 2%, serverRenewProhibited 0.5%,
 * clientHold 0.5%, serverHold 0.3%; RGP addPeriod for domains younger than 5 days,
 * autoRenewPeriod 25% of those whose anniversary passed in the last 45 days, renewPeriod
 * 0.4%, transferPeriod for transfers in the last 5 days; updated 55%; contacts admin 90%,
 * tech 85%, billing 35%; registration periods beyond the next anniversary +1 year 10%,
 * +2..4 years 5%.
 */
import type { Domain, DomainContact, DomainTransferData, DsData, HostAddr, HostAttr, KeyData, NameServers, SecDns, Status } from '../model/objects.js';
import { HOUR, DAY, addYears, anniversaryAfter, iso } from './dates.js';
import { dsFor, FLAGS_KSK, FLAGS_ZSK, makeKey } from './dnssec.js';
import { EDGE_DOMAIN_COUNT, edgeExternalHosts } from './edge-cases.js';
import { otherRegistrar, ref, status } from './contacts.js';
import { groupHostAddrs, groupHostName, providerHostName, type ParentInfo } from './hosts.js';
import { LabelMaker } from './names.js';
import { HOSTS_PER_PROVIDER, PARENT_OFFSET, PARENT_STRIDE, PROVIDER_OFFSET, type Plan, type RegistrarSlot } from './plan.js';
import { Rng, stringHash } from './random.js';
import { between, registrationTime } from './timeline.js';

const STREAM = stringHash('domain');

/** A domain and, in the host-object model, the roids of its hostObj name servers. */
export interface GeneratedDomain {
  domain: Domain;
  nsRoids?: string[];
}

/** XSD maximum of domain statuses (domain:statusType maxOccurs, RFC 9022 rdeDomain). */
export const MAX_DOMAIN_STATUSES = 11;

export interface NameServer {
  name: string;
  roid: string;
  addrs: HostAddr[];
}

export interface SecDnsOptions {
  algs?: number[];
  digestTypes?: number[];
  maxSigLife?: number;
  /** Which DS records carry their key data (default: all for 'ds+key', none for 'ds'). */
  keyDataFor?: (n: number) => boolean;
}

/** DNSSEC for a domain: `kind` ds | ds+key | key, `count` records. */
export function secDns(rng: Rng, owner: string, kind: 'ds' | 'ds+key' | 'key', count: number, options: SecDnsOptions = {}): SecDns {
  const algRoll = rng.float();
  const alg = algRoll < 0.6 ? 13 : algRoll < 0.85 ? 8 : algRoll < 0.95 ? 15 : 14;
  const life = options.maxSigLife !== undefined ? { maxSigLife: options.maxSigLife } : {};
  if (kind === 'key') {
    const keyData: KeyData[] = [];
    for (let n = 0; n < count; n++) keyData.push(makeKey(rng, n === 0 ? FLAGS_KSK : FLAGS_ZSK, options.algs?.[n] ?? alg));
    return { ...life, keyData };
  }
  const dsData: DsData[] = [];
  for (let n = 0; n < count; n++) {
    const digestRoll = rng.float();
    const digestType = options.digestTypes?.[n] ?? (digestRoll < 0.9 ? 2 : digestRoll < 0.98 ? 4 : 1);
    const key = makeKey(rng, FLAGS_KSK, options.algs?.[n] ?? alg);
    dsData.push(dsFor(owner, key, digestType, options.keyDataFor?.(n) ?? kind === 'ds+key'));
  }
  return { ...life, dsData };
}

/** Name servers as the TLD's host model wants them. */
export function nameServers(plan: Plan, servers: readonly NameServer[]): { ns?: NameServers; nsRoids?: string[] } {
  if (servers.length === 0) return {};
  if (plan.hostModel === 'objects') return { ns: { hostObj: servers.map((s) => s.name) }, nsRoids: servers.map((s) => s.roid) };
  return { ns: { hostAttr: servers.map((s): HostAttr => ({ hostName: s.name, hostAddr: s.addrs })) } };
}

/** Cap statuses at the XSD maximum by dropping the last client-set status. */
function capStatuses(statuses: Status[]): Status[] {
  while (statuses.length > MAX_DOMAIN_STATUSES) {
    let index = statuses.length - 1;
    for (let n = statuses.length - 1; n >= 0; n--) {
      if ((statuses[n] as Status).s.startsWith('client')) {
        index = n;
        break;
      }
    }
    statuses.splice(index, 1);
  }
  return statuses;
}

export class DomainFactory {
  readonly labels: LabelMaker;

  constructor(readonly plan: Plan) {
    this.labels = new LabelMaker(plan.regularDomainCount, plan.key);
  }

  /** A-label FQDN of regular domain i. */
  nameOf(index: number): string {
    return `${this.labels.label(index - EDGE_DOMAIN_COUNT).label}.${this.plan.tld}`;
  }

  /** What group g's hosts need from their parent domain (generates the parent). */
  parentOf(group: number): ParentInfo {
    const { domain } = this.regular(this.plan.domainAtPosition(PARENT_STRIDE * group + PARENT_OFFSET));
    return {
      name: domain.name,
      clID: domain.clID,
      crDate: Date.parse(domain.crDate as string),
      ...(domain.trDate !== undefined ? { trDate: Date.parse(domain.trDate) } : {}),
      pendingTransfer: domain.status.some((s) => s.s === 'pendingTransfer'),
    };
  }

  private groupServers(group: number): NameServer[] {
    const parent = this.nameOf(this.plan.domainAtPosition(PARENT_STRIDE * group + PARENT_OFFSET));
    const [first] = this.plan.groupHosts(group);
    return [0, 1].map((k) => ({ name: groupHostName(parent, k), roid: this.plan.hostRoid(first + k), addrs: groupHostAddrs(this.plan, group, k) }));
  }

  private providerServers(provider: number, count: number): NameServer[] {
    const first = this.plan.providerHosts(provider);
    const out: NameServer[] = [];
    for (let k = 0; k < count; k++) out.push({ name: providerHostName(this.plan, provider, k), roid: this.plan.hostRoid(first + k), addrs: [] });
    return out;
  }

  /** A provider for an ordinary domain: skewed towards the big ones; edge hosts in tiny registries. */
  private anyProviderServers(rng: Rng, count: number): NameServer[] {
    if (this.plan.providersUsed === 0) {
      return edgeExternalHosts(this.plan).slice(0, Math.min(count, 2)).map((h) => ({ name: h.name, roid: this.plan.hostRoid(h.index), addrs: [] }));
    }
    const u = rng.float();
    return this.providerServers(Math.floor(this.plan.providersUsed * u * u * u), count);
  }

  private chooseServers(rng: Rng, p: number): NameServer[] {
    const plan = this.plan;
    if (p % PARENT_STRIDE === PARENT_OFFSET) {
      const own = this.groupServers((p - PARENT_OFFSET) / PARENT_STRIDE);
      return rng.chance(0.25) ? [...own, ...this.anyProviderServers(rng, 1)] : own;
    }
    const provider = (p - PROVIDER_OFFSET) / PARENT_STRIDE;
    if (p % PARENT_STRIDE === PROVIDER_OFFSET && provider < plan.providersUsed) return this.providerServers(provider, HOSTS_PER_PROVIDER);
    const roll = rng.float();
    if (roll < 0.03) return [];
    if (roll < 0.17 && plan.parentGroups > 0) {
      const servers = this.groupServers(rng.int(plan.parentGroups));
      return rng.chance(0.3) ? [...servers, ...this.anyProviderServers(rng, 1)] : servers;
    }
    const countRoll = rng.float();
    return this.anyProviderServers(rng, countRoll < 0.7 ? 2 : countRoll < 0.85 ? 3 : 4);
  }

  /** Regular domain i (E ≤ i < N). */
  regular(index: number): GeneratedDomain {
    const plan = this.plan;
    const r = index - EDGE_DOMAIN_COUNT;
    const p = plan.position(r);
    const slot = plan.registrarAtPosition(p);
    const k = p - slot.domainStart;
    const rng = Rng.forObject(plan.key, STREAM, index);
    const { label, uLabel, idnTable } = this.labels.label(r);
    const name = `${label}.${plan.tld}`;
    const uName = uLabel !== undefined ? `${uLabel}.${plan.tldUnicode}` : plan.tld !== plan.tldUnicode ? `${label}.${plan.tldUnicode}` : undefined;
    const isParent = p % PARENT_STRIDE === PARENT_OFFSET;
    const crDate = registrationTime(plan, slot, k);
    const age = plan.asOf - crDate;

    // Life cycle.
    const life = rng.float();
    const pendingDelete = !isParent && life < 0.01;
    const pendingTransfer = !pendingDelete && life >= 0.01 && life < 0.015 && age > 61 * DAY;
    const otherPending = life >= 0.015 && life < 0.0165 ? (['pendingCreate', 'pendingRenew', 'pendingUpdate'] as const)[rng.int(3)] : undefined;
    const pendingOther = otherPending === 'pendingCreate' && age > 5 * DAY ? undefined : otherPending;

    const anniversary = anniversaryAfter(crDate, plan.asOf);
    const extraRoll = rng.float();
    let exDate = addYears(anniversary, extraRoll < 0.85 ? 0 : extraRoll < 0.95 ? 1 : rng.between(2, 4));

    // Transfers.
    const transferRoll = rng.float();
    let trDate: number | undefined;
    let trnData: DomainTransferData | undefined;
    let creator: string = slot.id;
    if (pendingTransfer) {
      const gainer = otherRegistrar(plan, rng, plan.activeRegistrarWeights, slot.id);
      const reDate = between(Math.max(crDate + 60 * DAY, plan.asOf - 5 * DAY), plan.asOf - 1000, rng.float());
      trnData = {
        trStatus: 'pending', reRr: ref(rng, gainer.id, 0.3), reDate: iso(reDate), acRr: ref(rng, slot.id, 0.2), acDate: iso(reDate + 5 * DAY), exDate: iso(addYears(exDate, 1)),
      };
    } else if (transferRoll < 0.08 && age > 70 * DAY) {
      const loser = otherRegistrar(plan, rng, plan.historyRegistrarWeights, slot.id);
      creator = loser.id;
      trDate = between(crDate + 60 * DAY, plan.asOf - HOUR, rng.float());
      if (rng.chance(0.6)) {
        trnData = {
          trStatus: rng.chance(0.65) ? 'serverApproved' : 'clientApproved',
          reRr: ref(rng, slot.id, 0.3), reDate: iso(trDate - rng.between(1, 5) * DAY), acRr: ref(rng, loser.id, 0.2), acDate: iso(trDate),
          ...(rng.chance(0.5) ? { exDate: iso(exDate) } : {}),
        };
      }
    } else if (transferRoll >= 0.08 && transferRoll < 0.09 && age > 10 * DAY) {
      const gainer = otherRegistrar(plan, rng, plan.activeRegistrarWeights, slot.id);
      const reDate = between(crDate + DAY, plan.asOf - 6 * DAY, rng.float());
      trnData = {
        trStatus: rng.pick(['clientRejected', 'clientCancelled', 'serverCancelled']),
        reRr: ref(rng, gainer.id, 0.3), reDate: iso(reDate), acRr: ref(rng, slot.id, 0.2), acDate: iso(reDate + rng.between(1, 5) * DAY),
      };
    }

    // Updates and the redemption grace period.
    const rgp: Status[] = [];
    let upDate: number | undefined;
    let upRr = slot.id;
    if (pendingDelete) {
      const deleted = between(Math.max(crDate + HOUR, plan.asOf - 35 * DAY), plan.asOf - HOUR, rng.float());
      upDate = deleted;
      const previous = addYears(anniversary, -1);
      if (rng.chance(0.5) && previous > crDate) exDate = previous; // expired, then deleted
      rgp.push(status(rng, plan.asOf - deleted < 30 * DAY ? (rng.chance(0.1) ? 'pendingRestore' : 'redemptionPeriod') : 'pendingDelete', 0.01));
    } else {
      if (age < 5 * DAY) rgp.push(status(rng, 'addPeriod', 0.01));
      const previous = addYears(anniversary, -1);
      if (previous > crDate && plan.asOf - previous < 45 * DAY && rng.chance(0.25)) {
        rgp.push(status(rng, 'autoRenewPeriod', 0.01));
        upDate = previous;
        upRr = plan.registryOperator.id;
      } else if (extraRoll < 0.85 && rng.chance(0.004)) {
        exDate = addYears(exDate, 1);
        upDate = between(Math.max(crDate, plan.asOf - 5 * DAY), plan.asOf, rng.float());
        rgp.push(status(rng, 'renewPeriod', 0.01));
      }
      if (trDate !== undefined && plan.asOf - trDate < 5 * DAY) rgp.push(status(rng, 'transferPeriod', 0.01));
      if (upDate === undefined && rng.chance(0.55)) {
        upDate = between(Math.max(crDate, trDate ?? 0) + 1000, plan.asOf, rng.float());
        if (rng.chance(0.08)) upRr = plan.registryOperator.id;
      }
    }

    // Name servers and DNSSEC.
    const servers = this.chooseServers(rng, p);
    const { ns, nsRoids } = nameServers(plan, servers);
    let dnssec: SecDns | undefined;
    if (servers.length > 0 && rng.chance(0.2)) {
      const kindRoll = rng.float();
      const countRoll = rng.float();
      const lifeRoll = rng.float();
      dnssec = secDns(rng, name, kindRoll < 0.85 ? 'ds' : kindRoll < 0.9 ? 'ds+key' : 'key', countRoll < 0.7 ? 1 : countRoll < 0.95 ? 2 : 3, {
        ...(lifeRoll < 0.05 ? { maxSigLife: rng.pick([86400, 604800, 1209600, 2592000]) } : {}),
      });
    }

    // Statuses (RFC 5731 §2.3): pending* exclusive of each other and of the matching
    // prohibition; `ok` alone; `inactive` exactly when there is no delegation.
    const statuses: Status[] = [];
    if (pendingDelete) statuses.push(status(rng, 'pendingDelete', 0.01));
    else if (pendingTransfer) statuses.push(status(rng, 'pendingTransfer', 0.01));
    else if (pendingOther) statuses.push(status(rng, pendingOther, 0.01));
    if (!pendingDelete && !pendingTransfer) {
      const lock = rng.float();
      if (lock < 0.35) {
        statuses.push(status(rng, 'clientDeleteProhibited'), status(rng, 'clientTransferProhibited'));
        if (pendingOther !== 'pendingUpdate') statuses.push(status(rng, 'clientUpdateProhibited'));
      } else if (lock < 0.45) statuses.push(status(rng, 'clientTransferProhibited'));
      if (pendingOther !== 'pendingRenew' && rng.chance(0.03)) statuses.push(status(rng, 'clientRenewProhibited'));
      if (rng.chance(0.02)) {
        statuses.push(status(rng, 'serverDeleteProhibited'), status(rng, 'serverTransferProhibited'));
        if (pendingOther !== 'pendingUpdate') statuses.push(status(rng, 'serverUpdateProhibited'));
      }
      if (pendingOther !== 'pendingRenew' && rng.chance(0.005)) statuses.push(status(rng, 'serverRenewProhibited'));
    }
    if (rng.chance(0.005)) statuses.push(status(rng, 'clientHold'));
    if (rng.chance(0.003)) statuses.push(status(rng, 'serverHold'));
    if (servers.length === 0) statuses.push(status(rng, 'inactive', 0.01));
    if (statuses.length === 0) statuses.push({ s: 'ok' });

    // Contacts: the registrant is shared with the block's domain k − referenced, k − 2·referenced …
    const contacts = this.contactsFor(rng, slot, k);

    const domain: Domain = {
      name,
      roid: plan.domainRoid(index),
      ...(uName !== undefined ? { uName } : {}),
      ...(idnTable !== undefined ? { idnTableId: idnTable } : {}),
      status: capStatuses(statuses),
      rgpStatus: rgp,
      registrant: contacts.registrant,
      contact: contacts.others,
      ...(ns ? { ns } : {}),
      clID: slot.id,
      ...(rng.chance(0.999) ? { crRr: ref(rng, creator, 0.2) } : {}),
      crDate: iso(crDate),
      exDate: iso(exDate),
      ...(upDate !== undefined ? { upRr: ref(rng, upRr, 0.25), upDate: iso(upDate) } : {}),
      ...(dnssec ? { secDNS: dnssec } : {}),
      ...(trDate !== undefined ? { trDate: iso(trDate) } : {}),
      ...(trnData ? { trnData } : {}),
    };
    return nsRoids ? { domain, nsRoids } : { domain };
  }

  private contactsFor(rng: Rng, slot: RegistrarSlot, k: number): { registrant: string; others: DomainContact[] } {
    const plan = this.plan;
    const own = k % slot.referencedContacts;
    const id = (local: number) => plan.contactId(slot.contactStart + local);
    const earlier = () => id(rng.int(own + 1));
    const registrant = id(own);
    const others: DomainContact[] = [];
    let admin: string | undefined;
    if (rng.chance(0.9)) {
      admin = rng.chance(0.6) ? registrant : earlier();
      others.push({ type: 'admin', id: admin });
    }
    if (rng.chance(0.85)) others.push({ type: 'tech', id: admin !== undefined && rng.chance(0.5) ? admin : earlier() });
    if (rng.chance(0.35)) others.push({ type: 'billing', id: earlier() });
    return { registrant, others };
  }
}
