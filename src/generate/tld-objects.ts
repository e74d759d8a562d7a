/**
 * The per-TLD objects: the TLD row, IDN table references, NNDN objects, EPP parameters and
 * policy objects (RFC 9022 §5.5 and the NNDN, EPP parameters and policy objects).
 */
import type { EppParams, IdnTableRef, Nndn, Policy } from '../model/objects.js';
import { NS_EPP_CONTACT, NS_EPP_DOMAIN, NS_EPP_HOST, NS_RGP, NS_SECDNS } from '../model/namespaces.js';
import { DAY, iso } from './dates.js';
import { edgeNames } from './edge-cases.js';
import type { Plan } from './plan.js';

/**
 * Registry data model (RST `general.registryDataModel`): "per-registrar". Contacts are
 * escrowed (RST rde-05), but a registrant is not required of every domain (RST rde-07 requires
 * it only for "maximum"), which the edge case "domain with zero contacts" needs.
 */
export const DATA_MODEL = 'per-registrar';

/** IDN tables, ids = language tags (RST rde-11). `zh-Hant` holds the traditional variants. */
export const IDN_TABLE_IDS = ['de', 'ja', 'zh-Hans', 'zh-Hant'] as const;

export function idnTables(plan: Plan): IdnTableRef[] {
  return IDN_TABLE_IDS.map((id) => ({
    id,
    // IANA Repository of IDN Practices naming: <tld>_<tag>_<version>.txt
    url: `https://www.iana.org/domains/idn-tables/tables/${plan.tld}_${id.toLowerCase()}_1.0.txt`,
    urlPolicy: `https://nic.${plan.tld}/idn/${id}/policy.html`,
  }));
}

/**
 * NNDN objects: two-letter codes blocked (Registry Agreement Specification 5 §2), names the
 * registry withholds (Specification 5 §3: www, whois, rdds), a withheld Japanese IDN, and IDN
 * variants of registered names — mirrored (`straße` → strasse, mirroringNS false; a mixed-script
 * 图書館 → 图书馆, mirroringNS absent) and blocked (圖书馆, mirroringNS true).
 */
export function nndns(plan: Plan): Nndn[] {
  const names = edgeNames(plan);
  const fqdn = (label: string) => `${label}.${plan.tld}`;
  const launch = iso(plan.launch);
  return [
    { aName: fqdn('de'), nameState: 'blocked', crDate: launch },
    { aName: fqdn('fr'), nameState: 'blocked', crDate: launch },
    { aName: fqdn('jp'), nameState: 'blocked', crDate: launch },
    { aName: fqdn('us'), nameState: 'blocked' },
    { aName: fqdn('www'), nameState: 'withheld', crDate: launch },
    { aName: fqdn('whois'), nameState: 'withheld', crDate: launch },
    { aName: fqdn('rdds'), nameState: 'withheld' },
    { aName: fqdn('xn--r8jz45g'), uName: `例え.${plan.tldUnicode}`, idnTableId: 'ja', nameState: 'withheld', crDate: iso(plan.launch + 30 * DAY) },
    { ...names.strasseVariant, idnTableId: 'de', originalName: names.strasse, nameState: 'mirrored', mirroringNS: false, crDate: iso(plan.asOf - 2500 * DAY) },
    { ...names.libraryMixed, idnTableId: 'zh-Hans', originalName: names.library.aName, nameState: 'mirrored', crDate: iso(plan.asOf - 1800 * DAY) },
    { ...names.libraryMixedBlocked, idnTableId: 'zh-Hant', originalName: names.library.aName, nameState: 'blocked', mirroringNS: true, crDate: iso(plan.asOf - 1800 * DAY) },
  ];
}

/** EPP greeting parameters (RFC 5730 §2.4); RST rde-13 wants the secDNS-1.1 and rgp-1.0 extensions. */
export function eppParams(plan: Plan): EppParams {
  return {
    version: ['1.0'],
    lang: ['en', 'fr'],
    objURI: plan.hostModel === 'objects' ? [NS_EPP_DOMAIN, NS_EPP_HOST, NS_EPP_CONTACT] : [NS_EPP_DOMAIN, NS_EPP_CONTACT],
    extURI: [NS_SECDNS, NS_RGP, 'urn:ietf:params:xml:ns:launch-1.0', 'urn:ietf:params:xml:ns:epp:fee-1.0'],
    dcp: {
      access: 'all',
      statement: [
        { purpose: ['admin', 'prov'], recipient: { other: false, ours: [null], public: true, same: false, unrelated: false }, retention: 'stated' },
        {
          purpose: ['contact', 'other'],
          recipient: { other: true, ours: ['Data escrow agent & ICANN <compliance>'], public: false, same: true, unrelated: true },
          retention: 'legal',
        },
      ],
      expiry: { relative: 'P1Y' },
    },
  };
}

/** Policy objects: elements this registry always provides although the schema makes them optional. */
export function policies(): Policy[] {
  return [
    { scope: '//rde:deposit/rde:contents/rdeDomain:domain', element: 'rdeDomain:crDate' },
    { scope: '//rde:deposit/rde:contents/rdeDomain:domain', element: 'rdeDomain:exDate' },
    { scope: '//rde:deposit/rde:contents/rdeRegistrar:registrar', element: 'rdeRegistrar:gurid' },
  ];
}
