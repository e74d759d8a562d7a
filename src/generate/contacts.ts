/**
 * Contact objects (RFC 9022 §5.3, RFC 5733). Contacts belong to their registrar's block
 * (plan.ts): the first `referencedContacts` are registrants of the block's domains (status
 * `linked`), the rest (≈10% of the block's domain count) are orphans nobody references.
 *
 * Distributions: postal info int only / both / loc only 45/40/15% where the country has a
 * local script (int only elsewhere); 0/1/2/3 street lines 1/55/35/9%; organisation 35%;
 * voice 85% (extension 8%); fax 15% (extension 20%); disclose element 38% (flag=false
 * hiding some fields 30%, flag=true 8%); registrar lock statuses 8–10% each, server
 * statuses 1%; completed transfers 4%, pending 0.3%, rejected/cancelled 0.5%.
 */
import type { Contact, ContactTransferData, Disclose, PostalType, RegistrarRef, Status } from '../model/objects.js';
import { DAY, iso } from './dates.js';
import { contactPostalInfo, email, phone, pickCountry, pickPerson } from './people.js';
import type { Plan, RegistrarSlot } from './plan.js';
import { Rng, stringHash } from './random.js';
import { between, contactCreationTime } from './timeline.js';
import { STATUS_REASONS } from './vocabulary.js';

const STREAM = stringHash('contact');

/** A registrar reference with a client (the registrar's acting user) some of the time. */
export function ref(rng: Rng, id: string, clientChance: number): RegistrarRef {
  return rng.chance(clientChance) ? { id, client: `${rng.pick(['api', 'epp', 'web', 'bulk'])}-${rng.between(1, 99)}` } : { id };
}

/** A registrar other than `not`, drawn from cumulative weights. */
export function otherRegistrar(plan: Plan, rng: Rng, weights: readonly number[], not: string): RegistrarSlot {
  for (let attempt = 0; attempt < 20; attempt++) {
    const candidate = plan.slot(rng.weighted(weights));
    if (candidate.id !== not) return candidate;
  }
  return plan.slot(plan.slot(0).id === not ? 1 : 0);
}

/** A status with a reason text some of the time. */
export function status(rng: Rng, s: string, reasonChance = 0.03): Status {
  if (!rng.chance(reasonChance)) return { s };
  const [lang, text] = rng.pick(STATUS_REASONS);
  return lang === 'en' && rng.chance(0.5) ? { s, text } : { s, lang, text };
}

export function makeContact(plan: Plan, index: number): Contact {
  const slot = plan.registrarOfContact(index);
  const local = index - slot.contactStart;
  const linked = local < slot.referencedContacts;
  const rng = Rng.forObject(plan.key, STREAM, index);
  const person = pickPerson(rng, pickCountry(rng));
  const streetRoll = rng.float();
  const streets = streetRoll < 0.01 ? 0 : streetRoll < 0.56 ? 1 : streetRoll < 0.91 ? 2 : 3;
  const postalInfo = contactPostalInfo(rng, person, { streets, org: rng.chance(0.35) });
  const voice = rng.chance(0.85) ? phone(rng, person.country, 0.08) : undefined;
  const fax = rng.chance(0.15) ? phone(rng, person.country, 0.2) : undefined;
  const crDate = linked ? contactCreationTime(plan, slot, local) : between(plan.gaStart, plan.asOf - DAY, rng.float());

  // Transfers: completed (the contact came from another registrar), pending, or refused.
  const transferRoll = rng.float();
  let trDate: number | undefined;
  let trnData: ContactTransferData | undefined;
  let creator = slot.id;
  const pending = transferRoll < 0.003 && !linked;
  if (transferRoll >= 0.003 && transferRoll < 0.043 && plan.asOf - crDate > 70 * DAY) {
    const loser = otherRegistrar(plan, rng, plan.historyRegistrarWeights, slot.id);
    creator = loser.id;
    trDate = between(crDate + 60 * DAY, plan.asOf - DAY, rng.float());
    if (rng.chance(0.5)) {
      const reDate = trDate - rng.between(1, 5) * DAY;
      trnData = { trStatus: rng.chance(0.6) ? 'serverApproved' : 'clientApproved', reRr: ref(rng, slot.id, 0.3), reDate: iso(reDate), acRr: ref(rng, loser.id, 0.2), acDate: iso(trDate) };
    }
  } else if (pending) {
    const gainer = otherRegistrar(plan, rng, plan.activeRegistrarWeights, slot.id);
    const reDate = between(Math.max(crDate + DAY, plan.asOf - 5 * DAY), plan.asOf - 1000, rng.float());
    trnData = { trStatus: 'pending', reRr: ref(rng, gainer.id, 0.3), reDate: iso(reDate), acRr: { id: slot.id }, acDate: iso(reDate + 5 * DAY) };
  } else if (transferRoll >= 0.043 && transferRoll < 0.048 && plan.asOf - crDate > 10 * DAY) {
    const gainer = otherRegistrar(plan, rng, plan.activeRegistrarWeights, slot.id);
    const reDate = between(crDate + DAY, plan.asOf - 6 * DAY, rng.float());
    trnData = {
      trStatus: rng.pick(['clientRejected', 'clientCancelled', 'serverCancelled']),
      reRr: ref(rng, gainer.id, 0.3), reDate: iso(reDate), acRr: ref(rng, slot.id, 0.2), acDate: iso(reDate + rng.between(1, 5) * DAY),
    };
  }

  const updated = rng.chance(0.5);
  const upDate = updated ? between(Math.max(crDate, trDate ?? 0) + 1000, plan.asOf, rng.float()) : undefined;

  // Statuses (RFC 5733 §2.2): `ok` only alongside `linked`; pending* exclusive of each other
  // and of the matching prohibition.
  const statuses: Status[] = [];
  const pendingDelete = !linked && !pending && rng.chance(0.02);
  const pendingUpdate = !pendingDelete && !pending && rng.chance(0.002);
  if (pending) statuses.push(status(rng, 'pendingTransfer'));
  if (pendingDelete) statuses.push(status(rng, 'pendingDelete'));
  if (pendingUpdate) statuses.push(status(rng, 'pendingUpdate'));
  if (!pendingDelete && rng.chance(0.08)) statuses.push(status(rng, 'clientDeleteProhibited'));
  if (!pending && rng.chance(0.1)) statuses.push(status(rng, 'clientTransferProhibited'));
  if (!pendingUpdate && rng.chance(0.08)) statuses.push(status(rng, 'clientUpdateProhibited'));
  if (!pendingDelete && rng.chance(0.01)) statuses.push(status(rng, 'serverDeleteProhibited'));
  if (!pending && rng.chance(0.01)) statuses.push(status(rng, 'serverTransferProhibited'));
  if (!pendingUpdate && rng.chance(0.01)) statuses.push(status(rng, 'serverUpdateProhibited'));
  if (statuses.length === 0) statuses.push({ s: 'ok' });
  if (linked) statuses.push({ s: 'linked' });

  return {
    id: plan.contactId(index),
    roid: plan.contactRoid(index),
    status: statuses,
    postalInfo,
    ...(voice ? { voice } : {}),
    ...(fax ? { fax } : {}),
    email: email(rng, person),
    clID: slot.id,
    crRr: ref(rng, creator, 0.25),
    crDate: iso(crDate),
    ...(upDate !== undefined ? { upRr: ref(rng, slot.id, 0.3), upDate: iso(upDate) } : {}),
    ...(trDate !== undefined ? { trDate: iso(trDate) } : {}),
    ...(trnData ? { trnData } : {}),
    ...disclosure(rng, postalInfo.map((p) => p.type), postalInfo.some((p) => p.org !== undefined), voice !== undefined, fax !== undefined),
  };
}

/** The disclose element (RFC 5733 §2.9): absent 62%, flag=false 30%, flag=true 8%. */
function disclosure(rng: Rng, types: PostalType[], org: boolean, voice: boolean, fax: boolean): { disclose?: Disclose } {
  const roll = rng.float();
  if (roll >= 0.38) return {};
  const flag = roll < 0.08;
  const subset = () => (rng.chance(0.6) ? [...types] : [types[rng.int(types.length)] as PostalType]);
  const disclose: Disclose = {
    flag,
    name: rng.chance(flag ? 0.3 : 0.7) ? subset() : [],
    org: org && rng.chance(0.5) ? subset() : [],
    addr: rng.chance(flag ? 0.2 : 0.7) ? subset() : [],
    voice: voice && rng.chance(0.5),
    fax: fax && rng.chance(0.5),
    email: rng.chance(flag ? 0.8 : 0.6),
  };
  if (disclose.name.length + disclose.org.length + disclose.addr.length === 0 && !disclose.voice && !disclose.fax && !disclose.email) disclose.email = true;
  return { disclose };
}
