/**
 * The Strongroom object model: one TypeScript type per RFC 9022 object, field for field.
 *
 * Every stage speaks these types: sources yield them, the deposit writer serialises them,
 * the deposit reader parses them back, the rebuild loads them and the agent checks them.
 * Field order follows the XSD sequences of RFC 9022 §5 (the writer relies on it).
 *
 * Conventions:
 * - Optional XML elements are optional properties; `undefined` means "absent".
 * - Date-times are RFC 3339 strings in UTC with a `Z` suffix, as canonicalised by
 *   `canonicalDateTime()` in ./datetime.ts (RFC 8909 §4.1 wants UTC).
 * - Repeated elements are arrays in document order; the order is preserved end to end so a
 *   rebuilt registry re-deposits byte-identically.
 */

/** An EPP status with its optional language tag and free text (domain/host/contact statusType). */
export interface Status {
  s: string;
  /** `lang` attribute; absent means the schema default `en`. */
  lang?: string;
  /** Free-text reason inside the element. */
  text?: string;
}

/** rdeDnrdCommon:rrType — a registrar id with the optional acting client (RFC 9022 §4.x). */
export interface RegistrarRef {
  id: string;
  client?: string;
}

/** contact:e164Type value with its optional extension attribute `x`. */
export interface Phone {
  number: string;
  ext?: string;
}

export type PostalType = 'int' | 'loc';

/** Postal address shared by contacts and registrars (contact:addrType / rdeRegistrar:addrType). */
export interface Address {
  /** 0..3 street lines. */
  street: string[];
  city: string;
  sp?: string;
  pc?: string;
  cc: string;
}

/** contact:postalInfoType. */
export interface ContactPostalInfo {
  type: PostalType;
  name: string;
  org?: string;
  addr: Address;
}

/** rdeRegistrar:postalInfoType (address only). */
export interface RegistrarPostalInfo {
  type: PostalType;
  addr: Address;
}

export type RegistrarStatus = 'ok' | 'readonly' | 'terminated';

/** RFC 9022 §5.4 Registrar object (rdeRegistrar:registrar). */
export interface Registrar {
  id: string;
  name: string;
  /** IANA Registrar ID; RST rde-10 requires it although the XSD makes it optional. Kept as a
   * decimal string because xs:positiveInteger is unbounded. */
  gurid?: string;
  status?: RegistrarStatus;
  postalInfo: RegistrarPostalInfo[];
  voice?: Phone;
  fax?: Phone;
  email?: string;
  url?: string;
  whoisInfo?: { name?: string; url?: string };
  crDate?: string;
  upDate?: string;
}

/** Transfer data of a contact (rdeContact:transferDataType). */
export interface ContactTransferData {
  trStatus: string;
  reRr: RegistrarRef;
  reDate: string;
  acRr: RegistrarRef;
  acDate: string;
}

/** Transfer data of a domain (rdeDomain:transferDataType): adds the optional exDate. */
export interface DomainTransferData extends ContactTransferData {
  exDate?: string;
}

/** contact:discloseType. Lists name the postalInfo types the flag applies to. */
export interface Disclose {
  flag: boolean;
  name: PostalType[];
  org: PostalType[];
  addr: PostalType[];
  voice: boolean;
  fax: boolean;
  email: boolean;
}

/** RFC 9022 §5.3 Contact object (rdeContact:contact). */
export interface Contact {
  id: string;
  roid: string;
  status: Status[];
  postalInfo: ContactPostalInfo[];
  voice?: Phone;
  fax?: Phone;
  email: string;
  clID: string;
  crRr?: RegistrarRef;
  crDate?: string;
  upRr?: RegistrarRef;
  upDate?: string;
  trDate?: string;
  trnData?: ContactTransferData;
  disclose?: Disclose;
}

export type IpVersion = 'v4' | 'v6';

/** host:addrType. `ip` absent in XML means v4 (schema default); we always materialise it. */
export interface HostAddr {
  ip: IpVersion;
  addr: string;
}

/** RFC 9022 §5.2 Host object (rdeHost:host). */
export interface Host {
  name: string;
  roid: string;
  status: Status[];
  addr: HostAddr[];
  clID: string;
  crRr?: RegistrarRef;
  crDate?: string;
  upRr?: RegistrarRef;
  upDate?: string;
  trDate?: string;
}

/** domain:hostAttrType: a name server given by attributes (host-attribute model). */
export interface HostAttr {
  hostName: string;
  hostAddr: HostAddr[];
}

/** domain:nsType is a choice: host objects by name, or host attributes. */
export type NameServers = { hostObj: string[] } | { hostAttr: HostAttr[] };

/** secDNS:keyDataType (RFC 5910). */
export interface KeyData {
  flags: number;
  protocol: number;
  alg: number;
  pubKey: string;
}

/** secDNS:dsDataType (RFC 5910). */
export interface DsData {
  keyTag: number;
  alg: number;
  digestType: number;
  /** hexBinary, upper-case as written by most registries; kept verbatim. */
  digest: string;
  keyData?: KeyData;
}

/** secDNS:dsOrKeyType: maxSigLife then DS data or key data (a choice). */
export type SecDns = { maxSigLife?: number } & ({ dsData: DsData[] } | { keyData: KeyData[] });

export type DomainContactType = 'admin' | 'billing' | 'tech';

export interface DomainContact {
  type: DomainContactType;
  id: string;
}

/** RFC 9022 §5.1 Domain object (rdeDomain:domain). */
export interface Domain {
  name: string;
  roid: string;
  uName?: string;
  idnTableId?: string;
  originalName?: string;
  /** 1..11 statuses. */
  status: Status[];
  rgpStatus: Status[];
  registrant?: string;
  contact: DomainContact[];
  ns?: NameServers;
  clID: string;
  crRr?: RegistrarRef;
  crDate?: string;
  exDate?: string;
  upRr?: RegistrarRef;
  upDate?: string;
  secDNS?: SecDns;
  trDate?: string;
  trnData?: DomainTransferData;
}

/** RFC 9022 §5.5 IDN table reference (rdeIDN:idnTableRef). */
export interface IdnTableRef {
  id: string;
  url: string;
  urlPolicy: string;
}

export type NameState = 'withheld' | 'blocked' | 'mirrored';

/** RFC 9022 NNDN object (rdeNNDN:NNDN). */
export interface Nndn {
  aName: string;
  uName?: string;
  idnTableId?: string;
  originalName?: string;
  nameState: NameState;
  /** `mirroringNS` attribute of nameState; absent means the schema default `true`. */
  mirroringNS?: boolean;
  crDate?: string;
}

export type DcpAccess = 'all' | 'none' | 'null' | 'other' | 'personal' | 'personalAndOther';
export type DcpPurpose = 'admin' | 'contact' | 'other' | 'prov';
export type DcpRecipientKind = 'other' | 'public' | 'same' | 'unrelated';
export type DcpRetention = 'business' | 'indefinite' | 'legal' | 'none' | 'stated';

/** epp:dcpStatementType. */
export interface DcpStatement {
  purpose: DcpPurpose[];
  recipient: {
    other: boolean;
    /** Each `<epp:ours>` with its optional recDesc (null when empty). */
    ours: (string | null)[];
    public: boolean;
    same: boolean;
    unrelated: boolean;
  };
  retention: DcpRetention;
}

/** epp:dcpType (RFC 5730 §2.4). */
export interface Dcp {
  access: DcpAccess;
  statement: DcpStatement[];
  expiry?: { absolute: string } | { relative: string };
}

/** RFC 9022 EPP parameters object (rdeEppParams:eppParams). */
export interface EppParams {
  version: string[];
  lang: string[];
  objURI: string[];
  /** svcExtension/extURI; empty array means no svcExtension element. */
  extURI: string[];
  dcp: Dcp;
}

/** RFC 9022 policy object (rdePolicy:policy). */
export interface Policy {
  scope: string;
  element: string;
}

/** One header count (rdeHeader:count). */
export interface HeaderCount {
  uri: string;
  count: number;
  rcdn?: string;
  registrarId?: string;
}

/** RFC 9022 header object (rdeHeader:header) — for gTLDs the `tld` choice. */
export interface Header {
  tld: string;
  count: HeaderCount[];
  contentTag?: string;
}

/** Discriminated union of everything that can appear in `<rde:contents>`. */
export type RdeObject =
  | { kind: 'domain'; value: Domain }
  | { kind: 'host'; value: Host }
  | { kind: 'contact'; value: Contact }
  | { kind: 'registrar'; value: Registrar }
  | { kind: 'idnTable'; value: IdnTableRef }
  | { kind: 'nndn'; value: Nndn }
  | { kind: 'eppParams'; value: EppParams }
  | { kind: 'policy'; value: Policy }
  | { kind: 'header'; value: Header };

export type ObjectKind = RdeObject['kind'];

/**
 * One entry of `<rde:deletes>`: the key RFC 9022 uses to name a deleted object.
 * Domains by name, hosts by roid (names are not stable across renames), contacts and
 * registrars by id, IDN tables by id, NNDN by aName.
 */
export type RdeDelete =
  | { kind: 'domain'; name: string }
  | { kind: 'host'; roid: string }
  | { kind: 'host'; name: string }
  | { kind: 'contact'; id: string }
  | { kind: 'registrar'; id: string }
  | { kind: 'idnTable'; id: string }
  | { kind: 'nndn'; aName: string };

export type DepositType = 'FULL' | 'INCR' | 'DIFF';

/** The RFC 8909 container attributes and menu of one deposit. */
export interface DepositEnvelope {
  type: DepositType;
  /** rde:depositIdType, pattern `\w{1,13}` (RFC 8909 §4 XSD). */
  id: string;
  prevId?: string;
  /** Resend counter; 0 when not a resend. */
  resend: number;
  watermark: string;
  /** rdeMenu/version, always "1.0". */
  version: string;
  /** rdeMenu/objURI in document order. */
  objURI: string[];
}
