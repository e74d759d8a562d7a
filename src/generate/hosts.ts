/**
 * Host objects (RFC 9022 §5.2, RFC 5732) and the name-server names and glue the domains use
 * (as host objects, or as host attributes in the attribute model).
 *
 * In-bailiwick hosts come in groups under a parent domain of this TLD (ns1, ns2, and every
 * tenth group an ns3 that no domain uses); they carry glue: ns1 IPv4 + IPv6 60% of the time,
 * ns2 IPv4 (+ IPv6 50%), ns3 IPv4; 5% of hosts carry a second IPv4 address. They are
 * sponsored by the parent's registrar, created minutes after it, share its transfers
 * (trDate) and its pending transfer (`pendingTransfer`). External hosts belong to DNS
 * providers under other TLDs and carry no addresses. A host is `linked` exactly when a
 * domain uses it (the plan guarantees which ones are).
 */
import type { Host, HostAddr, Status } from '../model/objects.js';
import { DAY, MINUTE, iso } from './dates.js';
import { glue } from './addresses.js';
import { ref, status } from './contacts.js';
import type { Plan } from './plan.js';
import { Rng, stringHash } from './random.js';
import { between } from './timeline.js';
import { EXTERNAL_TLDS, PROVIDER_WORDS } from './vocabulary.js';

const STREAM_GROUP = stringHash('host/group');
const STREAM_PROVIDER = stringHash('host/provider');
const STREAM_GLUE = stringHash('host/glue');

/** Names of in-bailiwick group hosts under the parent domain `parent` (A-label FQDN). */
export function groupHostName(parent: string, k: number): string {
  return `ns${k + 1}.${parent}`;
}

/** Glue of host k of in-bailiwick group g (the same wherever the name appears). */
export function groupHostAddrs(plan: Plan, group: number, k: number): HostAddr[] {
  const rng = Rng.forObject(plan.key, STREAM_GLUE, group * 4 + k);
  const v4 = rng.chance(0.05) ? 2 : 1;
  const v6 = k === 0 ? (rng.chance(0.6) ? 1 : 0) : k === 1 ? (rng.chance(0.5) ? 1 : 0) : 0;
  return glue(plan.key, STREAM_GLUE, group, k, v4, v6);
}

/** Name of host k (0..3) of external provider x. */
export function providerHostName(plan: Plan, provider: number, k: number): string {
  const word = PROVIDER_WORDS[provider % PROVIDER_WORDS.length] as string;
  const round = Math.floor(provider / PROVIDER_WORDS.length);
  const tlds = plan.externalTlds(EXTERNAL_TLDS);
  return `ns${k + 1}.${word}${round === 0 ? '' : round}-${plan.tag}.${tlds[provider % tlds.length]}`;
}

/** What a group's hosts need to know about their parent domain. */
export interface ParentInfo {
  name: string;
  clID: string;
  crDate: number;
  trDate?: number;
  pendingTransfer: boolean;
}

/** Host-object statuses: `ok` only beside `linked` (RFC 5732 §2.3). */
function hostStatuses(rng: Rng, linked: boolean, pendingTransfer: boolean): Status[] {
  const out: Status[] = [];
  if (pendingTransfer) out.push(status(rng, 'pendingTransfer'));
  const pendingDelete = !linked && !pendingTransfer && rng.chance(0.2);
  if (pendingDelete) out.push(status(rng, 'pendingDelete'));
  else {
    if (rng.chance(0.1)) out.push(status(rng, 'clientDeleteProhibited'));
    if (rng.chance(0.01)) out.push(status(rng, 'serverDeleteProhibited'));
  }
  if (rng.chance(0.1)) out.push(status(rng, 'clientUpdateProhibited'));
  if (rng.chance(0.01)) out.push(status(rng, 'serverUpdateProhibited'));
  if (out.length === 0) out.push({ s: 'ok' });
  if (linked) out.push({ s: 'linked' });
  return out;
}

/** The hosts of in-bailiwick group g under `parent`. */
export function makeGroupHosts(plan: Plan, group: number, parent: ParentInfo): Host[] {
  const [first, count] = plan.groupHosts(group);
  const hosts: Host[] = [];
  for (let k = 0; k < count; k++) {
    const rng = Rng.forObject(plan.key, STREAM_GROUP, first + k);
    const crDate = parent.crDate + rng.between(5, 50) * MINUTE;
    const updated = rng.chance(0.3);
    hosts.push({
      name: groupHostName(parent.name, k),
      roid: plan.hostRoid(first + k),
      status: hostStatuses(rng, k < 2, parent.pendingTransfer),
      addr: groupHostAddrs(plan, group, k),
      clID: parent.clID,
      crRr: ref(rng, parent.clID, 0.2),
      crDate: iso(crDate),
      ...(updated ? { upRr: ref(rng, parent.clID, 0.2), upDate: iso(between(Math.max(crDate, parent.trDate ?? 0) + 1000, plan.asOf, rng.float())) } : {}),
      ...(parent.trDate !== undefined ? { trDate: iso(parent.trDate) } : {}),
    });
  }
  return hosts;
}

/** The four hosts of external provider x (`used`: some domain delegates to them). */
export function makeProviderHosts(plan: Plan, provider: number, used: boolean): Host[] {
  const first = plan.providerHosts(provider);
  const owner = plan.slot(Rng.forObject(plan.key, STREAM_PROVIDER, provider).weighted(plan.activeRegistrarWeights));
  const hosts: Host[] = [];
  for (let k = 0; k < 4; k++) {
    const rng = Rng.forObject(plan.key, STREAM_PROVIDER, first + k + 1);
    const crDate = between(plan.launch, plan.gaStart - DAY, rng.float());
    const updated = rng.chance(0.2);
    hosts.push({
      name: providerHostName(plan, provider, k),
      roid: plan.hostRoid(first + k),
      status: hostStatuses(rng, used, false),
      addr: [],
      clID: owner.id,
      crRr: ref(rng, owner.id, 0.2),
      crDate: iso(crDate),
      ...(updated ? { upRr: ref(rng, owner.id, 0.2), upDate: iso(between(crDate + 1000, plan.asOf, rng.float())) } : {}),
    });
  }
  return hosts;
}
