/**
 * `RegistrySource`: the registry as one consistent, read-only snapshot, object kind by object
 * kind, in a fixed order. The deposit writer (and later the DIFF writer and the rebuild
 * comparison) consume it; the PostgreSQL implementation is ./postgres-source.ts.
 *
 * Contract:
 * - Every iterable reads the same snapshot: objects committed after the snapshot never appear,
 *   objects committed before it always do, whichever iterable is read when.
 * - Order is deterministic and documented per iterable (byte order of the key, collation "C"),
 *   so the same snapshot always yields the same sequence.
 * - Memory stays bounded whatever the registry size: objects are produced page by page.
 * - Iterables may be consumed one at a time only (they share one database transaction).
 * - Values are as stored: a source does not judge them (the deposit pre-flight does).
 */
import type { Contact, Domain, EppParams, Host, IdnTableRef, Nndn, Policy, Registrar } from '../model/objects.js';

export type HostModel = 'objects' | 'attributes';
export type DataModel = 'minimum' | 'maximum' | 'per-registrar';

/** The TLD a source reads (rde.tld). */
export interface TldInfo {
  /** A-label, no dot. */
  name: string;
  /** Repository identifier registered with IANA (the roid part after '-'). */
  roidSuffix: string;
  /** Name servers as host objects or as domain attributes (RFC 5731 §1.1). */
  hostModel: HostModel;
  /** ICANN Registration Data Policy data model: decides whether contacts are escrowed. */
  dataModel: DataModel;
}

/** Which snapshot a source reads, and the moment it represents. */
export interface SnapshotInfo {
  /**
   * `pg_current_snapshot()::text` of the read transaction (xmin:xmax:xip-list). Recorded with
   * every deposit: an exact DIFF later contains what the next snapshot sees and this one did not.
   */
  snapshot: string;
  /** When the snapshot was taken (`clock_timestamp()` of its first statement), canonical RFC 3339. */
  snapshotTime: string;
  /** The moment the data represents: `snapshotTime` unless an earlier honourable one was asked for. */
  watermark: string;
}

/** The object kinds a source yields (everything in `<rde:contents>` except the header). */
export const SOURCE_KINDS = ['registrar', 'idnTable', 'contact', 'host', 'domain', 'nndn', 'eppParams', 'policy'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

export interface RegistrySource {
  readonly tld: TldInfo;
  readonly snapshot: SnapshotInfo;
  /** Every TLD name in the repository (for "subordinate host" rules); byte order. */
  readonly repositoryTlds: readonly string[];
  /** Every repository identifier (roid suffix) of the repository's TLDs; byte order. */
  readonly roidSuffixes: readonly string[];

  /** How many objects each iterable below will yield. */
  counts(): Promise<Record<SourceKind, number>>;

  /** All registrars of the repository (referenced ones are never deleted), by id. */
  registrars(): AsyncIterable<Registrar>;
  /** IDN tables of the TLD, by id. */
  idnTables(): AsyncIterable<IdnTableRef>;
  /**
   * All contacts of the repository, by id (contacts are repository objects shared by TLDs,
   * as in Nomulus). Empty for the `minimum` data model, which escrows no contacts.
   */
  contacts(): AsyncIterable<Contact>;
  /** All hosts of the repository, by roid. Empty for the host-attribute model. */
  hosts(): AsyncIterable<Host>;
  /**
   * Domains of the TLD, by roid. Name servers follow the TLD's host model (hostObj or hostAttr);
   * registrant and contacts are absent for the `minimum` data model.
   */
  domains(): AsyncIterable<Domain>;
  /** NNDN objects of the TLD, by aName. */
  nndns(): AsyncIterable<Nndn>;
  /** The EPP parameters of the TLD (RST expects exactly one). */
  eppParams(): AsyncIterable<EppParams>;
  /** Policy objects of the TLD, by their `ord`. */
  policies(): AsyncIterable<Policy>;
}
