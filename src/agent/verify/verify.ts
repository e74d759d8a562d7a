/**
 * `verifyDeposit`: runs the check stages over one deposit in Spec 2 Part A §8 order and
 * returns the report. Order (each stage in its own module):
 *
 *   container  signature → decode (join, decrypt, decompress, safe untar)
 *   xml        xml-wellformed (no DOCTYPE, summary) → structure → schema (xmllint) → plug-ins of kind 'xml'
 *   semantic   container-rules (name vs content, rde-05, rde-06) → object-rules (per-object
 *              values, models, EPP parameters, policy: rde-07…rde-14) → references (FULL: every
 *              reference resolves, in a DIFF across the kept chain; no duplicates, no
 *              NNDN/domain conflict) → plug-ins of kind
 *              'semantic'
 *   chain      chain (catalog: prevId, order, gaps, FULL cadence)
 *
 * A stage whose needs are not met is NOT RUN with the reason; the overall status is FAIL when
 * any stage failed, else ERROR when any stage errored or a blocking stage did not run, else
 * PASS.
 *
 * The single pass (default without extra stages, `runSinglePass`): the deposit is decoded once,
 * in memory, and every stage reading the XML reads a branch of that one stream at the same
 * time — the structure checker and the well-formedness scan on a worker thread, the typed
 * reader feeding object-rules and references on a second worker (semantic-worker.ts; with a
 * catalog: the main thread decodes and streams the reference rows' COPY text into it), or on
 * the main thread without a catalog — their
 * verdicts settled once the stream ended authenticated, in stage order, as if run one by one.
 * With extra stages (which may re-read the XML) the decoded XML goes to the encrypted spool and
 * the stages run one after another. Either way nothing decrypted is written in clear (the
 * spool is encrypted and removed when the verification ends, whatever happens).
 */
import { FindingList } from '../../common/findings.js';
import type { VerificationReport, VerifiedDeposit } from '../../common/verification-report.js';
import type { DepositType, Header } from '../../model/objects.js';
import { noProgress, type Progress } from '../../common/progress.js';
import type { DecryptionKey, VerificationKey } from '../../ryde/keys.js';
import type { Catalog } from '../catalog.js';
import { DEFAULT_CHAIN_POLICY, chainStage, type ChainPolicy } from './chain.js';
import { decodeStage, decodedXml, findingFromError, isVerdict, signatureStage, type ContainerState } from './container.js';
import { StrongroomError } from '../../common/errors.js';
import { formatDepositName } from '../../ryde/naming.js';
import { xmllintSchemaStage } from './schema.js';
import { referencesStage } from './references.js';
import { containerRulesStage } from './semantic.js';
import { structureStage } from './structure.js';
import {
  DEFAULT_LIMITS,
  type ChainBase,
  type CheckStage,
  type DepositInput,
  type ReportFinding,
  type StageKind,
  type StageNeed,
  type StageFinding,
  type StageResult,
  type VerifyContext,
  type VerifyLimits,
} from './stage.js';
import { shareWellFormedScan, xmlWellFormedStage, type XmlPassShare } from './xml.js';
import { eachOf, teeAsync } from '../../common/tee.js';
import { readDepositBatches } from '../../reader/index.js';
import { objectRuleOptions, objectRulesStage } from '../rst/stage.js';
import { startSemanticWorker } from './semantic-worker.js';
import type { RegistryRuleConfig } from '../rst/object-rules.js';

export type VerifyStatus = 'PASS' | 'FAIL' | 'ERROR';

/**
 * The verification report: the shared VerificationReport (src/common/verification-report.ts,
 * what rdeNotification and the notifiers read) plus the stages, counts and facts.
 */
export interface VerifyReport extends VerificationReport {
  status: VerifyStatus;
  deposit: VerifiedDeposit & {
    /** `{tld}_{date}_{type}_R{rev}` */
    key: string;
    /** From the file name: the watermark date, the Spec 2 type, the resend. */
    date: string;
    nameType: string;
    rev: number;
    parts: number;
  };
  stages: StageResult[];
  findings: ReportFinding[];
  omittedFindings: number;
  summary: { errors: number; warnings: number; infos: number; omitted: number };
  facts: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
}

export interface VerifyOptions {
  decryptionKeys: readonly DecryptionKey[];
  verificationKeys: readonly VerificationKey[];
  allowNoMdc?: boolean;
  /** The catalog, for the chain rules; without it they are NOT RUN (blocking unless skipChain). */
  catalog?: Catalog;
  skipChain?: boolean;
  /** The kept chain a DIFF's references resolve against (see VerifyContext.chainBase). */
  chainBase?: ChainBase;
  chainPolicy?: ChainPolicy;
  /** The schema set for the xmllint stage (all-rde-deposit.xsd). */
  schema?: string;
  /** The registry's configuration for the RST object rules (host and data model, roid suffixes, IDN tables, EPP greeting); rules needing what is absent are listed as not run. */
  rules?: RegistryRuleConfig;
  /**
   * Decode once and feed the XML to every stage reading it, in one pass (no spool). Default:
   * when no extra stages are given (they may re-read the XML: then it goes to the encrypted spool).
   */
  singlePass?: boolean;
  /**
   * With a catalog, object-rules and references (the typed reader, the rules, the reference
   * rows) run on a worker thread of their own (semantic-worker.ts; default true; false: on the main thread).
   */
  semanticWorker?: boolean;
  /** For tests: a fault injected into the semantic worker. */
  semanticFault?: 'rules' | 'references' | 'crash' | 'memory';
  /** Decoded chunks a branch of the single pass may run ahead of the slowest (default PASS_WINDOW; tests make it small). */
  passWindow?: number;
  /** Extra stages (other checkers), run after the built-in ones of the same kind. */
  stages?: readonly CheckStage[];
  limits?: Partial<VerifyLimits>;
  now?: Date;
  progress?: Progress;
  /** Findings kept in the report; more are only counted. */
  maxFindings?: number;
  /** When the deposit's last part arrived (the notification's reDate). */
  receivedAt?: string;
}

const KIND_ORDER: readonly StageKind[] = ['container', 'xml', 'semantic', 'chain'];

function needMet(ctx: VerifyContext, need: StageNeed): boolean {
  switch (need) {
    case 'signatures':
      return ctx.signaturesOk === true;
    case 'plaintext':
      return ctx.plaintext !== undefined;
    case 'summary':
      return ctx.summary !== undefined;
    case 'catalog':
      return ctx.catalog !== undefined;
  }
}

const NEED_TEXT: Record<StageNeed, string> = {
  signatures: 'the signatures were not all verified',
  plaintext: 'the deposit could not be opened (decrypt/decompress/untar did not pass)',
  summary: 'the deposit XML could not be read (not well-formed)',
  catalog: 'no catalog to check the chain against (give --db and --repo, or --no-chain)',
};

export async function verifyDeposit(input: DepositInput, options: VerifyOptions): Promise<VerifyReport> {
  const started = options.now ?? new Date();
  const state: ContainerState = { handles: [] };
  const ctx: VerifyContext = {
    input,
    decryptionKeys: options.decryptionKeys,
    verificationKeys: options.verificationKeys,
    allowNoMdc: options.allowNoMdc ?? false,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    now: started,
    progress: options.progress ?? noProgress,
    ...(options.catalog ? { catalog: options.catalog } : {}),
    ...(options.chainBase ? { chainBase: options.chainBase } : {}),
    facts: {},
  };
  const decode = decodeStage(state);
  // One pass over the XML for every built-in check; other checkers' stages may re-read it, from the encrypted spool.
  const singlePass = options.singlePass ?? (options.stages ?? []).length === 0;
  // In the single pass the structure worker also scans for xml-wellformed (the main thread runs the typed reader).
  const share: XmlPassShare = {};
  if (singlePass) shareWellFormedScan(share);
  const objectRules = objectRulesStage(options.rules);
  const references = referencesStage();
  const builtIn: CheckStage[] = [signatureStage(state), decode, xmlWellFormedStage(share), structureStage({ share }), xmllintSchemaStage(options.schema), containerRulesStage(), objectRules, references];
  const chain = chainStage(options.chainPolicy ?? DEFAULT_CHAIN_POLICY);
  const stages = [...builtIn, ...(options.stages ?? []), chain].sort((a, b) => KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind));
  const findings = new FindingList(options.maxFindings ?? 10_000);
  const reportFindings: ReportFinding[] = [];
  const results: StageResult[] = [];
  /** Stages still running in the background (`deferred`). */
  const deferred: Array<Promise<void>> = [];
  /** Runs one stage whose needs are met; findings go to `emit` (buffered when run in a group). */
  const runStage = async (stage: CheckStage, result: StageResult, stageCtx: VerifyContext, emit: (finding: StageFinding) => void): Promise<void> => {
    const failedWith = (err: unknown): void => {
      if (isVerdict(err)) {
        emit({ ...findingFromError(err), object: input.key });
        result.status = 'FAIL';
      } else {
        const finding = findingFromError(err);
        emit({ ...finding, code: 'AGENT_CHECK_ERROR', message: `the check could not run: ${finding.message}` });
        result.status = 'ERROR';
        result.reason = finding.message;
      }
    };
    try {
      const outcome = await stage.run(stageCtx, emit);
      if (outcome && 'deferred' in outcome) {
        // Settled before the report (and before the spool goes): FAIL/ERROR once it is known.
        deferred.push(
          outcome.deferred.then(
            () => {
              if (result.errors > 0) result.status = 'FAIL';
            },
            failedWith,
          ),
        );
        return;
      }
      if (outcome && 'notRun' in outcome && result.errors === 0) {
        Object.assign(result, { status: 'NOT RUN', reason: outcome.notRun, blocking: outcome.blocking ?? true });
      } else if (result.errors > 0) result.status = 'FAIL';
      if (outcome && 'notRun' in outcome && result.errors > 0) result.reason = outcome.notRun;
      if (outcome && 'rulesNotRun' in outcome && outcome.rulesNotRun.length > 0) result.rulesNotRun = outcome.rulesNotRun;
    } catch (err) {
      failedWith(err);
    }
  };
  const emitter = (stage: CheckStage, result: StageResult, sink: (finding: ReportFinding & { severity: 'error' | 'warning' | 'info' }) => void) =>
    (finding: StageFinding): void => {
      const full = { code: finding.code, severity: finding.severity ?? 'error', ...(finding.object !== undefined ? { object: finding.object } : {}), ...(finding.location !== undefined ? { location: finding.location } : {}), message: finding.message, stage: stage.id };
      if (full.severity === 'error') result.errors++;
      if (full.severity === 'warning') result.warnings++;
      sink(full);
    };
  const record = (full: ReportFinding): void => {
    const { stage: _stage, ...finding } = full;
    void _stage;
    findings.add(finding);
    if (reportFindings.length < (options.maxFindings ?? 10_000)) reportFindings.push(full);
  };
  const runGroup = async (group: Array<{ stage: CheckStage; result: StageResult }>, groupCtx: VerifyContext, sink: (position: number, finding: ReportFinding) => void): Promise<void> => {
    const file = String(ctx.facts.xmlName ?? input.key);
    // The built-in object-rules and references with a catalog: the reader, the rules and the rows on the semantic worker.
    const builtIn = options.semanticWorker !== false && groupCtx.catalog && group.length === 2 && group[0]!.stage === objectRules && group[1]!.stage === references;
    const ruleOptions = builtIn ? objectRuleOptions(groupCtx, options.rules ?? {}) : undefined;
    if (ruleOptions && !('notRun' in ruleOptions)) {
      const offload = startSemanticWorker(groupCtx.plaintext!(), { objectRules: ruleOptions, references: { thin: input.name.type === 'thin' }, file, ...(options.semanticFault ? { fault: options.semanticFault } : {}) });
      try {
        await Promise.all(group.map(({ stage: member, result: memberResult }, position) => runStage(member, memberResult, { ...groupCtx, offload }, emitter(member, memberResult, (finding) => sink(position, finding)))));
      } finally {
        await offload.close();
      }
      return;
    }
    // Batches of events (a slice of the input at a time), domains, hosts and contacts typed by the lean converter.
    const branches = teeAsync(readDepositBatches(groupCtx.plaintext!(), { file, lean: true }), group.length, OBJECT_BATCH_WINDOW);
    await Promise.all(
      group.map(({ stage: member, result: memberResult }, position) =>
        runStage(member, memberResult, { ...groupCtx, objectBatches: () => branches[position]!, objects: () => eachOf(branches[position]!) }, emitter(member, memberResult, (finding) => sink(position, finding))).finally(async () => {
          // A stage that stopped reading early must not hold the others back.
          await branches[position]![Symbol.asyncIterator]().return?.();
        }),
      ),
    );
  };
  /** Which stages the single pass ran (their results are settled by it). */
  const ranInPass = new Set<CheckStage>();
  try {
    for (let index = 0; index < stages.length; index++) {
      const stage = stages[index]!;
      if (ranInPass.has(stage)) continue;
      const result: StageResult = { id: stage.id, title: stage.title, kind: stage.kind, status: 'PASS', errors: 0, warnings: 0 };
      results.push(result);
      if (stage === chain && options.skipChain) {
        Object.assign(result, { status: 'NOT RUN', reason: 'skipped on request (--no-chain)', blocking: false });
        continue;
      }
      const unmet = stage.needs.find((need) => !needMet(ctx, need));
      if (unmet) {
        Object.assign(result, { status: 'NOT RUN', reason: NEED_TEXT[unmet], blocking: true });
        continue;
      }
      if (stage === decode && singlePass) {
        // Every later stage reading the XML reads it in this one pass; their results take their places in order.
        const consumers = stages.slice(index + 1).filter((later) => later.needs.includes('plaintext'));
        const placed = consumers.map((consumer) => ({ stage: consumer, result: { id: consumer.id, title: consumer.title, kind: consumer.kind, status: 'PASS', errors: 0, warnings: 0 } as StageResult }));
        await runSinglePass(ctx, state, { stage, result }, placed, { runStage, runGroup, emitter, record, deferred, window: options.passWindow ?? PASS_WINDOW });
        for (const consumer of consumers) ranInPass.add(consumer);
        results.push(...placed.map((item) => item.result));
        continue;
      }
      // Consecutive stages sharing the typed reader's pass run together on one pass.
      const group: Array<{ stage: CheckStage; result: StageResult }> = [{ stage, result }];
      while (stage.sharesObjectPass && stages[index + 1]?.sharesObjectPass && stages[index + 1]!.needs.every((need) => needMet(ctx, need))) {
        const next = stages[++index]!;
        const nextResult: StageResult = { id: next.id, title: next.title, kind: next.kind, status: 'PASS', errors: 0, warnings: 0 };
        results.push(nextResult);
        group.push({ stage: next, result: nextResult });
      }
      if (!stage.sharesObjectPass) {
        await runStage(stage, result, ctx, emitter(stage, result, record));
        continue;
      }
      const buffered = group.map(() => [] as ReportFinding[]);
      await runGroup(group, ctx, (position, finding) => buffered[position]!.push(finding));
      for (const list of buffered) for (const finding of list) record(finding);
    }
    await Promise.all(deferred);
  } finally {
    await Promise.allSettled(deferred);
    await state.spool?.dispose();
    for (const handle of state.handles) await handle.handle.close().catch(() => undefined);
  }
  // Results in stage order (the single pass placed its consumers' results together).
  const position = new Map(stages.map((stage, at) => [stage.id, at]));
  results.sort((a, b) => (position.get(a.id) ?? 0) - (position.get(b.id) ?? 0));
  // Deferred stages report late: findings are listed in stage order (stable within a stage).
  const stageOrder = new Map(results.map((result, position) => [result.id, position]));
  reportFindings.sort((a, b) => (stageOrder.get(a.stage) ?? 0) - (stageOrder.get(b.stage) ?? 0));
  const failed = results.some((result) => result.status === 'FAIL');
  const errored = results.some((result) => result.status === 'ERROR' || (result.status === 'NOT RUN' && result.blocking));
  const summary = ctx.summary;
  const name = input.name;
  const xmlType = summary?.type === 'FULL' || summary?.type === 'DIFF' || summary?.type === 'INCR' ? (summary.type as DepositType) : undefined;
  const finished = options.now ?? new Date();
  return {
    status: failed ? 'FAIL' : errored ? 'ERROR' : 'PASS',
    deposit: {
      key: input.key,
      tld: name.tld,
      date: name.date,
      nameType: name.type,
      rev: name.rev,
      parts: input.parts.length,
      name: input.key,
      type: xmlType ?? (name.type === 'diff' ? 'DIFF' : 'FULL'),
      watermark: summary?.watermark ?? `${name.date}T00:00:00Z`,
      resend: summary?.resend !== undefined && Number.isInteger(summary.resend) ? summary.resend : name.rev,
      ...(summary?.id !== undefined ? { id: summary.id } : {}),
      ...(summary?.prevId !== undefined ? { prevId: summary.prevId } : {}),
      ...(summary ? headerOf(summary) : {}),
      ...(options.receivedAt ? { receivedAt: options.receivedAt } : {}),
      verifiedAt: finished.toISOString(),
      ...(typeof ctx.facts.sealedBytes === 'number' ? { bytes: ctx.facts.sealedBytes } : {}),
    },
    stages: results,
    findings: reportFindings,
    omittedFindings: findings.omitted,
    summary: { errors: findings.errors, warnings: findings.count('warning'), infos: findings.count('info'), omitted: findings.omitted },
    facts: ctx.facts,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
  };
}

/** The runner's pieces the single pass uses (verifyDeposit's closures). */
interface PassRunner {
  runStage(stage: CheckStage, result: StageResult, stageCtx: VerifyContext, emit: (finding: StageFinding) => void): Promise<void>;
  runGroup(group: Array<{ stage: CheckStage; result: StageResult }>, groupCtx: VerifyContext, sink: (position: number, finding: ReportFinding) => void): Promise<void>;
  emitter(stage: CheckStage, result: StageResult, sink: (finding: ReportFinding) => void): (finding: StageFinding) => void;
  record(finding: ReportFinding): void;
  deferred: Array<Promise<void>>;
  window: number;
}

/** Batches of the typed reader's events (an input chunk's each) one object stage may read ahead of another (a few hundred objects; every one held survives young-generation collections). */
const OBJECT_BATCH_WINDOW = 8;

/** Decoded chunks a branch of the single pass may run ahead of the slowest (bounded memory). */
const PASS_WINDOW = 64;

/**
 * The single pass: the deposit is decoded once (join → decrypt → decompress → untar, in
 * memory) and every stage reading the XML (`consumers`: well-formedness, structure, xmllint,
 * and the typed reader's group — object-rules, references) reads its own branch of that one
 * stream at the same time. What they found counts only once the stream has ended authenticated
 * (MDC/AEAD checked, limits kept): if decoding fails, they are NOT RUN and their findings are
 * dropped, as when the decode stage fails before them; a consumer needing the XML summary is
 * NOT RUN, its findings dropped, when the well-formedness stage did not pass. Nothing is
 * written to disk.
 */
async function runSinglePass(
  ctx: VerifyContext,
  state: ContainerState,
  decode: { stage: CheckStage; result: StageResult },
  consumers: Array<{ stage: CheckStage; result: StageResult }>,
  runner: PassRunner,
): Promise<void> {
  const { input } = ctx;
  const where = formatDepositName(input.name, 'ryde');
  const task = ctx.progress.task(`decrypt and check ${input.key}`, 'bytes', state.handles.reduce((sum, handle) => sum + handle.size, 0));
  const decodeFindings: StageFinding[] = [];
  let bytes = 0;
  let failure: { error: unknown } | undefined;
  let complete = false;
  const iterator = (async function* () {
    try {
      for await (const chunk of decodedXml(ctx, state, (finding) => decodeFindings.push(finding), (n) => task.add(n))) {
        bytes += chunk.length;
        yield chunk;
      }
      complete = true;
    } catch (error) {
      failure ??= { error };
      throw error;
    }
  })();
  // The first chunk before the consumers start: the tar header names the XML file (facts.xmlName, their locations).
  const head = await iterator.next().catch(() => undefined);
  const buffered = consumers.map(() => [] as ReportFinding[]);
  const contexts: VerifyContext[] = [];
  if (head && !failure) {
    const rest = (async function* () {
      if (head.done) return;
      yield head.value;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    })();
    const plain = consumers.map((consumer, position) => ({ ...consumer, position })).filter(({ stage }) => !stage.sharesObjectPass);
    const group = consumers.map((consumer, position) => ({ ...consumer, position })).filter(({ stage }) => stage.sharesObjectPass);
    const branches = teeAsync(rest, plain.length + (group.length > 0 ? 1 : 0) + 1, runner.window);
    const readOnce = (branch: AsyncIterable<Buffer>): (() => AsyncIterable<Buffer>) => {
      let taken = false;
      return () => {
        if (taken) throw new StrongroomError('INTERNAL', 'in the single pass the deposit XML can be read once per stage');
        taken = true;
        return branch;
      };
    };
    const close = async (branch: AsyncIterable<Buffer>): Promise<void> => {
      await branch[Symbol.asyncIterator]().return?.();
    };
    const runs = plain.map(async ({ stage, result, position }, index) => {
      const stageCtx: VerifyContext = { ...ctx, plaintext: readOnce(branches[index]!) };
      contexts.push(stageCtx);
      // A stage going on in the background (the structure worker) still reads its branch; any
      // other stage's branch is closed as soon as it returns, or the others would wait for it.
      let background: Promise<void> | undefined;
      const watched: CheckStage = {
        ...stage,
        run: async (runCtx, emit) => {
          const outcome = await stage.run(runCtx, emit);
          if (outcome && 'deferred' in outcome) background = outcome.deferred;
          return outcome;
        },
      };
      await runner.runStage(watched, result, stageCtx, runner.emitter(stage, result, (finding) => buffered[position]!.push(finding)));
      await background?.catch(() => undefined);
      await close(branches[index]!);
    });
    if (group.length > 0) {
      const branch = branches[plain.length]!;
      const groupCtx: VerifyContext = { ...ctx, plaintext: readOnce(branch) };
      contexts.push(groupCtx);
      runs.push(
        runner
          .runGroup(
            group.map(({ stage, result }) => ({ stage, result })),
            groupCtx,
            (member, finding) => buffered[group[member]!.position]!.push(finding),
          )
          .finally(() => close(branch)),
      );
    }
    // The stream is read to its end whatever the consumers do: its end is what authenticates it.
    const drain = (async () => {
      for await (const chunk of branches.at(-1)!) void chunk;
    })().catch(() => undefined);
    await Promise.all(runs);
    await drain;
  }
  task.done();
  const decodeStageRun: CheckStage = {
    ...decode.stage,
    async run(_ctx, emit) {
      for (const finding of decodeFindings) emit(finding);
      if (failure) {
        if (!isVerdict(failure.error)) throw failure.error;
        emit({ ...findingFromError(failure.error, where), object: input.key });
        return;
      }
      if (!complete) throw new StrongroomError('INTERNAL', 'the deposit was not read to its end');
    },
  };
  await runner.runStage(decodeStageRun, decode.result, ctx, runner.emitter(decode.stage, decode.result, runner.record));
  const decoded = decode.result.status === 'PASS';
  if (decoded) {
    ctx.xmlSize = bytes;
    ctx.facts.xmlBytes = bytes;
    ctx.summary = contexts.find((stageCtx) => stageCtx.summary !== undefined)?.summary;
  }
  for (const [position, { stage, result }] of consumers.entries()) {
    const unmet: StageNeed | undefined = !decoded ? 'plaintext' : stage.needs.includes('summary') && !ctx.summary ? 'summary' : undefined;
    if (unmet) {
      Object.assign(result, { status: 'NOT RUN', reason: NEED_TEXT[unmet], blocking: true, errors: 0, warnings: 0 });
      delete result.rulesNotRun;
      continue;
    }
    for (const finding of buffered[position]!) runner.record(finding);
  }
}

/** The header as read, when it is complete enough to quote (numeric counts, a TLD). */
function headerOf(summary: NonNullable<VerifyContext['summary']>): { header?: Header } {
  if (summary.headers !== 1 || !summary.headerTld || summary.counts.some((count) => !/^\d+$/.test(count.value))) return {};
  return {
    header: {
      tld: summary.headerTld,
      count: summary.counts.map((count) => ({ uri: count.uri, count: Number(count.value), ...(count.rcdn !== undefined ? { rcdn: count.rcdn } : {}), ...(count.registrarId !== undefined ? { registrarId: count.registrarId } : {}) })),
    },
  };
}

/** The readable text form of a report. */
export function reportText(report: VerifyReport): string {
  const lines: string[] = [];
  lines.push(`Verification of ${report.deposit.key}: ${report.status}`);
  const deposit = report.deposit;
  lines.push(`  deposit id ${deposit.id ?? '(unread)'}${deposit.prevId ? ` (prevId ${deposit.prevId})` : ''}, ${deposit.type ?? '?'}, watermark ${deposit.watermark ?? '?'}, resend ${deposit.resend ?? 0}`);
  const facts = report.facts;
  lines.push(
    `  ${report.deposit.parts} part(s)${facts.sealedBytes !== undefined ? `, ${String(facts.sealedBytes)} sealed bytes` : ''}${facts.xmlBytes !== undefined ? `, ${String(facts.xmlBytes)} XML bytes` : ''}`,
  );
  if (facts.signer) lines.push(`  signed by ${String(facts.signer)}${facts.recipient ? `, encrypted (${String(facts.encryption)}) to ${String(facts.recipient)}` : ''}`);
  lines.push('', 'Stages:');
  for (const stage of report.stages) {
    const counts = stage.errors || stage.warnings ? ` (${stage.errors} error(s), ${stage.warnings} warning(s))` : '';
    lines.push(`  ${stage.status.padEnd(8)} ${stage.id.padEnd(16)} ${stage.title}${counts}${stage.reason ? `\n  ${''.padEnd(8)} ${''.padEnd(16)} ${stage.status === 'NOT RUN' ? 'not run' : stage.status === 'ERROR' ? 'error' : 'note'}: ${stage.reason}` : ''}`);
    for (const rule of stage.rulesNotRun ?? []) lines.push(`  ${''.padEnd(8)} ${''.padEnd(16)} rule NOT RUN: ${rule}`);
  }
  lines.push('', `Findings: ${report.summary.errors} error(s), ${report.summary.warnings} warning(s), ${report.summary.infos} info${report.summary.omitted ? `, ${report.summary.omitted} not listed` : ''}`);
  for (const finding of report.findings) {
    lines.push(`  ${finding.severity.padEnd(7)} ${finding.code}${finding.object ? ` [${finding.object}]` : ''}${finding.location ? ` at ${finding.location}` : ''}: ${finding.message}`);
  }
  return `${lines.join('\n')}\n`;
}
