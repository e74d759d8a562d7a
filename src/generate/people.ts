/**
 * People, organisations and places: postal info, phone numbers and e-mail addresses for
 * contacts and registrars, drawn per country from ./vocabulary.ts.
 *
 * RFC 5733 §2.3: `int` postal info uses only 7-bit ASCII; `loc` may use any script, and the
 * generator writes it in the country's own script (Japanese, Chinese, Korean, Cyrillic,
 * Greek, Arabic, Hebrew, Devanagari, Thai, Latin with diacritics). Phone numbers follow
 * contact:e164StringType `+CC.NUMBER` (≤ 17 chars); countries are ISO 3166-1 alpha-2.
 */
import type { Address, ContactPostalInfo, Phone, PostalType } from '../model/objects.js';
import { cumulate, type Rng } from './random.js';
import { COUNTRIES, EXTRA_LINES, MAIL_DOMAINS, type Country } from './vocabulary.js';

const COUNTRY_WEIGHTS = cumulate(COUNTRIES.map((c) => c.weight));

export function pickCountry(rng: Rng): Country {
  return COUNTRIES[rng.weighted(COUNTRY_WEIGHTS)] as Country;
}

export function countryByCode(cc: string): Country {
  const country = COUNTRIES.find((c) => c.cc === cc);
  if (!country) throw new RangeError(`no country ${cc} in the vocabulary`);
  return country;
}

/** True when the country's local forms differ from the ASCII ones (a `loc` postal info makes sense). */
export function hasLocalScript(country: Country): boolean {
  return country.given.some(([, loc]) => loc !== undefined) || country.cities.some(([, loc]) => loc !== undefined);
}

function fillPattern(pattern: string, rng: Rng): string {
  let out = '';
  for (const ch of pattern) out += ch === '9' ? String(rng.int(10)) : ch === 'A' ? String.fromCharCode(65 + rng.int(26)) : ch;
  return out;
}

/** A person (given, family) in both forms. */
export interface Person {
  country: Country;
  intName: string;
  locName: string;
  intFamily: string;
  locFamily: string;
  intGiven: string;
}

export function pickPerson(rng: Rng, country: Country): Person {
  const [intGiven, locGivenRaw] = rng.pick(country.given);
  const [intFamily, locFamilyRaw] = rng.pick(country.family);
  const locGiven = locGivenRaw ?? intGiven;
  const locFamily = locFamilyRaw ?? intFamily;
  // East Asian and Vietnamese names are written family name first; Chinese, Korean and
  // Hong Kong names without a space.
  const separator = ['CN', 'KR', 'HK'].includes(country.cc) ? '' : ' ';
  const locName = country.familyFirst === true && locFamilyRaw !== undefined ? `${locFamily}${separator}${locGiven}` : `${locGiven} ${locFamily}`;
  return { country, intName: `${intGiven} ${intFamily}`, locName, intFamily, locFamily, intGiven };
}

/** A street address in both forms; `streets` lines (0..3). */
export function pickAddress(rng: Rng, country: Country, streets: number): { int: Address; loc: Address } {
  const [cityInt, cityLoc, spInt, spLoc] = rng.pick(country.cities);
  const intStreet: string[] = [];
  const locStreet: string[] = [];
  // Line 1 a street, lines 2 and 3 floor/unit/building details (different ones).
  const extras = country.extras ?? EXTRA_LINES;
  const firstExtra = rng.int(extras.length);
  for (let n = 0; n < streets; n++) {
    const [patternInt, patternLoc] = (n === 0 ? rng.pick(country.streets) : extras[(firstExtra + n - 1) % extras.length]) as readonly [string, string?];
    const number = String(rng.between(1, n === 0 ? 250 : 40));
    intStreet.push(patternInt.replace('#', number));
    locStreet.push((patternLoc ?? patternInt).replace('#', number));
  }
  const pc = country.pc === undefined ? undefined : fillPattern(country.pc, rng);
  const withSp = spInt !== undefined;
  const int: Address = { street: intStreet, city: cityInt, ...(withSp ? { sp: spInt } : {}), ...(pc ? { pc } : {}), cc: country.cc };
  const loc: Address = { street: locStreet, city: cityLoc ?? cityInt, ...(withSp ? { sp: spLoc ?? spInt } : {}), ...(pc ? { pc } : {}), cc: country.cc };
  return { int, loc };
}

export function pickOrg(rng: Rng, person: Person): { int: string; loc: string } {
  const [patternInt, patternLoc] = rng.pick(person.country.orgs);
  return { int: patternInt.replace('%', person.intFamily), loc: (patternLoc ?? patternInt).replace('%', person.locFamily) };
}

/** Which postal info a contact carries. */
export type PostalShape = 'int' | 'loc' | 'both';

/**
 * Postal info for a contact. Countries without a local script only get `int`; others get
 * `int` (45%), both (40%) or `loc` only (15%).
 */
export function contactPostalInfo(rng: Rng, person: Person, options: { streets: number; org: boolean; shape?: PostalShape }): ContactPostalInfo[] {
  const local = hasLocalScript(person.country);
  const roll = rng.float();
  const shape: PostalShape = options.shape ?? (!local ? 'int' : roll < 0.45 ? 'int' : roll < 0.85 ? 'both' : 'loc');
  const address = pickAddress(rng, person.country, options.streets);
  const org = options.org ? pickOrg(rng, person) : undefined;
  const out: ContactPostalInfo[] = [];
  const make = (type: PostalType): ContactPostalInfo => ({
    type,
    name: type === 'int' ? person.intName : person.locName,
    ...(org ? { org: type === 'int' ? org.int : org.loc } : {}),
    addr: type === 'int' ? address.int : address.loc,
  });
  if (shape !== 'loc') out.push(make('int'));
  if (shape !== 'int') out.push(make('loc'));
  return out;
}

/** A phone number `+CC.NNNN…` with an optional extension. */
export function phone(rng: Rng, country: Country, extensionChance: number): Phone {
  const digits = 14 - country.dial.length - rng.int(4); // keeps the whole ≤ 17 characters
  const number = `+${country.dial}.${String(rng.between(2, 9))}${rng.digits(Math.max(5, digits - 1))}`;
  return rng.chance(extensionChance) ? { number, ext: String(rng.between(1, 9999)) } : { number };
}

/** An ASCII mailbox at an RFC 2606 domain: RFC 5322 §3.4.1 dot-atom local part. */
export function email(rng: Rng, person: Person): string {
  const local = `${person.intGiven}.${person.intFamily}`.toLowerCase().replace(/[^a-z0-9.]+/g, '').replace(/\.+/g, '.').replace(/^\.|\.$/g, '');
  const suffix = rng.chance(0.6) ? String(rng.between(1, 999)) : '';
  return `${local || 'contact'}${suffix}@${rng.pick(MAIL_DOMAINS)}`;
}
