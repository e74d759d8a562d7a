/**
 * Registrar objects (RFC 9022 §5.4). Regular registrars get Zipf market shares in the plan;
 * here they get names, IANA ids, addresses and contact points. Besides them every registry
 * has the registry operator acting as registrar (IANA id 9999, sponsors nic.<tld>) and
 * ICANN's SLA-monitoring registrar (IANA id 9997, no objects at all).
 *
 * Shares of optional fields among regular registrars: loc postal info 40% (where the
 * country has a local script), voice 95% (extension 20%), fax 40% (extension 10%), e-mail
 * 98%, URL 90%, whois name 80%, whois URL 70%, upDate 60%.
 */
import type { Registrar, RegistrarPostalInfo } from '../model/objects.js';
import { DAY, iso } from './dates.js';
import { countryByCode, hasLocalScript, phone, pickAddress, pickCountry } from './people.js';
import type { Plan } from './plan.js';
import { Rng, stringHash } from './random.js';
import { ASCII_WORDS, REGISTRAR_NAME_PATTERNS } from './vocabulary.js';

const STREAM = stringHash('registrar');

function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/** A unique trade name per registrar number (the word pair is injective in r). */
function tradeName(rng: Rng, r: number): { name: string; slug: string } {
  const first = ASCII_WORDS[r % ASCII_WORDS.length] as string;
  const second = r >= ASCII_WORDS.length ? (ASCII_WORDS[Math.floor(r / ASCII_WORDS.length) - 1] as string) : '';
  const core = capitalise(first) + capitalise(second);
  const pattern = rng.pick(REGISTRAR_NAME_PATTERNS);
  const partner = capitalise(rng.pick(ASCII_WORDS));
  let count = 0;
  const name = pattern.replace(/%/g, () => (count++ === 0 ? core : partner));
  return { name, slug: `${first}${second}-domains` };
}

export function makeRegistrar(plan: Plan, slotIndex: number): Registrar {
  const slot = plan.slot(slotIndex);
  const rng = Rng.forObject(plan.key, STREAM, slotIndex);
  // The registry operator sits in Hong Kong (addresses without state or postal code); the
  // largest registrar in the United States (both): the nullable address fields occur both ways.
  const country = slot.role === 'registry-operator' ? countryByCode('HK') : slot.index === 0 ? countryByCode('US') : pickCountry(rng);
  // Street lines 1..3; the newest registrar has none yet (0..3 is what the schema allows).
  const address = pickAddress(rng, country, slot.role === 'regular' && slot.index === plan.regularRegistrarCount - 1 ? 0 : rng.between(1, 3));
  if (slot.role === 'sla-monitor') {
    // The monitoring registrar: the minimum a registrar object can be (no postal info, no
    // contact points, no status, no dates) apart from the IANA id RST requires.
    return { id: slot.id, name: 'ICANN SLA Monitoring', gurid: String(slot.gurid), postalInfo: [] };
  }
  if (slot.role === 'registry-operator') {
    return {
      id: slot.id,
      name: `${plan.tld.toUpperCase()} Registry Operator (registrar of record for registry-held names)`,
      gurid: String(slot.gurid),
      status: 'ok',
      postalInfo: [{ type: 'int', addr: address.int }, { type: 'loc', addr: address.loc }],
      voice: phone(rng, country, 0),
      email: `registry-ops@nic.${plan.tld}`,
      url: `https://nic.${plan.tld}/`,
      crDate: iso(plan.launch - 30 * DAY),
    };
  }
  const { name, slug } = tradeName(rng, slot.index);
  // The largest registrar fills every optional field, so each occurs whatever N is.
  const full = slot.index === 0;
  const chance = (p: number) => full || rng.chance(p);
  const postalInfo: RegistrarPostalInfo[] = [{ type: 'int', addr: address.int }];
  if (hasLocalScript(country) && chance(0.4)) postalInfo.push({ type: 'loc', addr: address.loc });
  const fresh = slot.index === plan.regularRegistrarCount - 1;
  const crDate = fresh ? plan.asOf - 20 * DAY - rng.int(DAY) : plan.launch - rng.between(1, 90) * DAY + rng.int(DAY);
  const voice = chance(0.95) ? phone(rng, country, full ? 1 : 0.2) : undefined;
  const fax = chance(0.4) ? phone(rng, country, full ? 1 : 0.1) : undefined;
  const email = chance(0.98) ? `${rng.pick(['support', 'abuse', 'registry', 'domains'])}@${slug}.example` : undefined;
  const url = chance(0.9) ? `https://www.${slug}.example/` : undefined;
  const whoisName = chance(0.8) ? `whois.${slug}.example` : undefined;
  const whoisUrl = chance(0.7) ? `https://rdap.${slug}.example/` : undefined;
  const terminated = slot.status === 'terminated';
  const upDate = terminated ? plan.asOf - rng.between(200, 700) * DAY : !fresh && chance(0.6) ? crDate + Math.floor(rng.float() * (plan.asOf - crDate)) : undefined;
  return {
    id: slot.id,
    name,
    gurid: String(slot.gurid),
    status: slot.status,
    postalInfo,
    ...(voice ? { voice } : {}),
    ...(fax ? { fax } : {}),
    ...(email ? { email } : {}),
    ...(url ? { url } : {}),
    ...(whoisName || whoisUrl ? { whoisInfo: { ...(whoisName ? { name: whoisName } : {}), ...(whoisUrl ? { url: whoisUrl } : {}) } } : {}),
    crDate: iso(Math.floor(crDate / 1000) * 1000),
    ...(upDate !== undefined ? { upDate: iso(Math.floor(upDate / 1000) * 1000) } : {}),
  };
}
