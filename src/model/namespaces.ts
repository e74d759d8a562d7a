/**
 * XML namespace URIs of RFC 8909 (container), RFC 9022 (objects) and the EPP schemas they
 * import. The prefixes are the ones Strongroom writes; readers never rely on prefixes.
 */

/** RFC 8909 §4 (container). */
export const NS_RDE = 'urn:ietf:params:xml:ns:rde-1.0';
/** RFC 9022 §4 common types (rrType). */
export const NS_RDE_COMMON = 'urn:ietf:params:xml:ns:rdeDnrdCommon-1.0';
/** RFC 9022 header, domain, host, contact, registrar, IDN, NNDN, EPP parameters, policy. */
export const NS_HEADER = 'urn:ietf:params:xml:ns:rdeHeader-1.0';
export const NS_DOMAIN = 'urn:ietf:params:xml:ns:rdeDomain-1.0';
export const NS_HOST = 'urn:ietf:params:xml:ns:rdeHost-1.0';
export const NS_CONTACT = 'urn:ietf:params:xml:ns:rdeContact-1.0';
export const NS_REGISTRAR = 'urn:ietf:params:xml:ns:rdeRegistrar-1.0';
export const NS_IDN = 'urn:ietf:params:xml:ns:rdeIDN-1.0';
export const NS_NNDN = 'urn:ietf:params:xml:ns:rdeNNDN-1.0';
export const NS_EPP_PARAMS = 'urn:ietf:params:xml:ns:rdeEppParams-1.0';
export const NS_POLICY = 'urn:ietf:params:xml:ns:rdePolicy-1.0';
/** EPP namespaces imported by RFC 9022 (RFC 5730–5733, RFC 5910, RFC 3915). */
export const NS_EPP = 'urn:ietf:params:xml:ns:epp-1.0';
export const NS_EPPCOM = 'urn:ietf:params:xml:ns:eppcom-1.0';
export const NS_EPP_DOMAIN = 'urn:ietf:params:xml:ns:domain-1.0';
export const NS_EPP_HOST = 'urn:ietf:params:xml:ns:host-1.0';
export const NS_EPP_CONTACT = 'urn:ietf:params:xml:ns:contact-1.0';
export const NS_SECDNS = 'urn:ietf:params:xml:ns:secDNS-1.1';
export const NS_RGP = 'urn:ietf:params:xml:ns:rgp-1.0';

/** Prefixes Strongroom declares on `<rde:deposit>` (RFC 9022 examples use the same ones). */
export const PREFIXES: Readonly<Record<string, string>> = {
  rde: NS_RDE,
  rdeDnrdCommon: NS_RDE_COMMON,
  rdeHeader: NS_HEADER,
  rdeDomain: NS_DOMAIN,
  rdeHost: NS_HOST,
  rdeContact: NS_CONTACT,
  rdeRegistrar: NS_REGISTRAR,
  rdeIDN: NS_IDN,
  rdeNNDN: NS_NNDN,
  rdeEppParams: NS_EPP_PARAMS,
  rdePolicy: NS_POLICY,
  epp: NS_EPP,
  domain: NS_EPP_DOMAIN,
  host: NS_EPP_HOST,
  contact: NS_EPP_CONTACT,
  secDNS: NS_SECDNS,
  rgp: NS_RGP,
};

/** Object kind → the namespace whose URI appears in rdeMenu/objURI and header counts. */
export const OBJECT_URI = {
  domain: NS_DOMAIN,
  host: NS_HOST,
  contact: NS_CONTACT,
  registrar: NS_REGISTRAR,
  idnTable: NS_IDN,
  nndn: NS_NNDN,
  eppParams: NS_EPP_PARAMS,
  policy: NS_POLICY,
  header: NS_HEADER,
} as const;

/** rdeMenu/version: RFC 8909 XSD restricts it to the single value "1.0". */
export const RDE_MENU_VERSION = '1.0';
