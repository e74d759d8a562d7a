/**
 * The verification pipeline's plug-in point: a check stage.
 *
 * A stage declares what it needs from the stages before it (`needs`) and reports findings
 * through `emit`; it never throws for what it found. The runner (verify.ts) runs the stages in
 * Spec 2 Part A §8 order and decides each stage's status:
 *
 *   PASS     it ran to the end and emitted no error finding;
 *   FAIL     it emitted an error finding, or threw an integrity/input error (the verdict of
 *            the container stages: a bad signature IS the result);
 *   ERROR    it could not do its job (a tool crashed, the catalog failed …): the deposit is
 *            neither passed nor failed by it;
 *   NOT RUN  a need was not met (an earlier stage failed, no catalog …) or the stage declined
 *            (`{ notRun }`), with the reason. A NOT RUN stage is never counted as passed: it
 *            blocks an overall PASS unless it says it is not applicable or skipped on request
 *            (`blocking: false`).
 *
 * Other helpers' checks (the XML structure checker, the typed reader's semantic rules) plug
 * in as stages of kind 'xml' / 'semantic' reading `ctx.plaintext()`.
 */
import type { Finding, Severity } from '../../common/findings.js';
import type { Progress } from '../../common/progress.js';
import type { Catalog } from '../catalog.js';
import type { DecryptionKey, VerificationKey } from '../../ryde/keys.js';
import type { DepositName } from '../../ryde/naming.js';
import type { DepositEvent } from '../../reader/index.js';
import type { ObjectRuleResult } from '../rst/object-rules.js';

export type StageStatus = 'PASS' | 'FAIL' | 'ERROR' | 'NOT RUN';

/** What a stage can need before it runs. */
export type StageNeed = 'signatures' | 'plaintext' | 'summary' | 'catalog';

export type StageKind = 'container' | 'xml' | 'semantic' | 'chain';

/** One part of a deposit to verify: local paths of the .ryde and .sig files. */
export interface DepositPart {
  part: number;
  ryde: string;
  sig: string;
}

export interface DepositInput {
  /** The deposit's Spec 2 name (part 1). */
  name: DepositName;
  /** `{tld}_{date}_{type}_R{rev}` */
  key: string;
  parts: DepositPart[];
}

/** What the XML pass learns about the deposit (RFC 8909 container and RFC 9022 header). */
export interface DepositSummary {
  /** The root is <rde:deposit> in the RFC 8909 namespace. */
  rootOk: boolean;
  type?: string;
  id?: string;
  prevId?: string;
  resend?: number;
  watermark?: string;
  menuUris: string[];
  headers: number;
  headerTld?: string;
  counts: Array<{ uri: string; rcdn?: string; registrarId?: string; value: string }>;
  /** Objects in <rde:contents> (header excluded) by namespace URI. */
  objects: Record<string, number>;
  /** Objects in <rde:deletes> by namespace URI. */
  deletes: Record<string, number>;
}

export interface VerifyLimits {
  /** Largest deposit XML accepted (bytes, after decompression). */
  maxXmlBytes: number;
  /** Largest ratio of decompressed to sealed bytes, applied past `ratioGraceBytes`. */
  maxRatio: number;
  ratioGraceBytes: number;
}

/** Defaults: a zip bomb is cut off long before the disk fills (docs/agent.md). */
export const DEFAULT_LIMITS: VerifyLimits = {
  maxXmlBytes: 256 * 2 ** 30,
  maxRatio: 300,
  ratioGraceBytes: 64 * 2 ** 20,
};

export interface VerifyContext {
  input: DepositInput;
  decryptionKeys: readonly DecryptionKey[];
  verificationKeys: readonly VerificationKey[];
  allowNoMdc: boolean;
  limits: VerifyLimits;
  now: Date;
  progress: Progress;
  catalog?: Catalog;
  /** Set by the container stages. */
  signaturesOk?: boolean;
  /**
   * The decrypted deposit XML (never plaintext on disk): re-read from the encrypted spool, or
   * in the single pass this stage's branch of the one decoded stream (readable once).
   */
  plaintext?: () => AsyncIterable<Buffer>;
  xmlSize?: number;
  summary?: DepositSummary;
  /** Facts for the report (signer, recipient, cipher, compression, sizes …). */
  facts: Record<string, unknown>;
  /**
   * For stages that declare `sharesObjectPass`: the typed reader's events of the deposit, one
   * at a time, from one branch of a single reader pass shared with the other such stages
   * (src/common/tee.ts). A stage reads either this or `objectBatches`, once.
   */
  objects?: () => AsyncIterable<DepositEvent>;
  /** The same branch in batches (readDepositBatches, lean: a slice of the input at a time), for stages that keep up with the reader by the batch. */
  objectBatches?: () => AsyncIterable<readonly DepositEvent[]>;
  /**
   * The kept chain a DIFF builds on (the last verified FULL before `watermark`, then the
   * verified DIFFs after it, in watermark order), as stored in the repository; given by the
   * catalog's owner (verify-stored.ts). Without it a DIFF's references are NOT RUN.
   */
  chainBase?: ChainBase;
  /**
   * In the single pass with a catalog: the typed reader, object-rules and the references'
   * rows run on the semantic worker (semantic-worker.ts); these stages take their results from
   * it instead of reading `objects`/`objectBatches`.
   */
  offload?: SemanticOffload;
}

/** What the semantic worker computes for the object stages (each promise rejects when it could not: never a silent pass). */
export interface SemanticOffload {
  objectRules: Promise<ObjectRuleResult>;
  references: {
    /** The envelope's type and watermark, from the reader's first batch (rejects with the reader's error). */
    head: Promise<{ type?: string; watermark?: string } | undefined>;
    /** The rows' COPY text (references.ts batchCopyText), read once; `return()` stops the worker making it. */
    text: AsyncIterable<string>;
  };
}

/** Finds the stored deposits a DIFF of `tld` with `watermark` builds on (oldest first). */
export type ChainBase = (tld: string, watermark: string, key: string) => Promise<DepositInput[]>;

export interface StageFinding {
  code: string;
  severity?: Severity;
  object?: string;
  location?: string;
  message: string;
}

/**
 * What a stage may return: nothing (it ran every rule), `notRun` (it could not do its job), or
 * `rulesNotRun` (it ran, but these rules of it did not, for want of configuration: listed in
 * the report, never counted as passed, not blocking), or `deferred` (it goes on in the
 * background — e.g. on a worker thread — and may still emit until the promise settles; later
 * stages must not need its result; the runner settles its status before the report).
 */
export type StageOutcome = void | { notRun: string; blocking?: boolean } | { rulesNotRun: string[] } | { deferred: Promise<void> };

export interface CheckStage {
  /** Stable id, e.g. 'signature', 'decrypt', 'xml-wellformed', 'chain'. */
  id: string;
  title: string;
  kind: StageKind;
  needs: readonly StageNeed[];
  /**
   * The stage reads the typed objects (src/reader) through `ctx.objects()`: consecutive such
   * stages run together on one reader pass instead of one pass each (the reader is the costly
   * part of a semantic check). Their findings are still reported stage by stage, in order.
   */
  sharesObjectPass?: boolean;
  run(ctx: VerifyContext, emit: (finding: StageFinding) => void): Promise<StageOutcome>;
}

export interface StageResult {
  id: string;
  title: string;
  kind: StageKind;
  status: StageStatus;
  /** Why it did not run, or what went wrong for ERROR. */
  reason?: string;
  /** Does this NOT RUN keep the deposit from passing? */
  blocking?: boolean;
  /** Rules of a stage that ran that did not run themselves, with why (never passed). */
  rulesNotRun?: string[];
  errors: number;
  warnings: number;
}

export type ReportFinding = Finding & { stage: string };
