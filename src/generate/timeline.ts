/**
 * When things happened. Registrations in a registrar's block are spread over the registry's
 * life with a density rising linearly towards as-of (t = GA + span·√x): the registry grows.
 * Domain k of a block is never created before domain k−1, and a contact's creation time is
 * taken from the first domain that uses it minus at least an hour, so every contact exists
 * before the domains that reference it.
 */
import { HOUR, DAY, wholeSeconds } from './dates.js';
import type { Plan, RegistrarSlot } from './plan.js';
import { hash32, hashFloat, stringHash } from './random.js';

const STREAM_DOMAIN = stringHash('timeline/domain');
const STREAM_CONTACT = stringHash('timeline/contact');

function span(plan: Plan): number {
  return plan.asOf - HOUR - plan.gaStart;
}

/** Creation time of domain k of a registrar block (ms). One in seven keeps milliseconds. */
export function registrationTime(plan: Plan, slot: RegistrarSlot, k: number): number {
  const jitter = hashFloat(plan.key, STREAM_DOMAIN, slot.index, k);
  const x = (k + 0.05 + 0.9 * jitter) / slot.domainCount;
  const t = plan.gaStart + Math.floor(span(plan) * Math.sqrt(x));
  return hash32(plan.key, STREAM_DOMAIN ^ 1, slot.index, k) % 7 === 0 ? t : wholeSeconds(t);
}

/** Creation time of the contact first used by domain `local` of the block (ms). */
export function contactCreationTime(plan: Plan, slot: RegistrarSlot, local: number): number {
  const x = local / Math.max(1, slot.domainCount);
  const t = plan.gaStart + Math.floor(span(plan) * Math.sqrt(x));
  return wholeSeconds(t - HOUR - Math.floor(hashFloat(plan.key, STREAM_CONTACT, slot.index, local) * 2 * DAY));
}

/** A uniform instant in [from, to) (whole seconds). */
export function between(from: number, to: number, u: number): number {
  return wholeSeconds(from + Math.floor(u * Math.max(0, to - from)));
}
