/**
 * XML stage `structure` (Spec 2 Part A §8 step 4; ICANN RST rde-04): Strongroom's own streaming
 * structure checker (src/agent/structure) over the decrypted deposit (its branch of the single
 * pass, or the encrypted spool) —
 * well-formedness and validity against the RFC 8909/9022 schemas (element order,
 * cardinalities, types, enumerations, patterns), with findings that name the object and path.
 *
 * By default the check runs on a worker thread (src/agent/structure/worker.ts) and the stage
 * is deferred: the verification goes on with the semantic stages while it runs, and its
 * findings and status are settled before the report is made (nothing later needs them). In
 * the single pass the worker also runs the xml-wellformed stage's scan (`share`).
 */
import { checkStructure, type StructureResult } from '../structure/checker.js';
import { checkStructureInWorker } from '../structure/worker.js';
import type { CheckStage, StageFinding, VerifyContext } from './stage.js';
import type { XmlPassShare } from './xml.js';

export function structureStage(options: { maxFindings?: number; inWorker?: boolean; share?: XmlPassShare } = {}): CheckStage {
  const maxFindings = options.maxFindings ?? 1000;
  const report = (ctx: VerifyContext, source: string, result: StructureResult, emit: (finding: StageFinding) => void): void => {
    for (const finding of result.findings) {
      emit({ code: finding.code, severity: finding.severity, ...(finding.object ? { object: finding.object } : {}), location: finding.location ?? `${source} ${finding.path}`, message: finding.message });
    }
    if (result.omitted > 0) emit({ code: 'RDE_SCHEMA_VALIDATION_ERROR', severity: 'error', location: source, message: `${result.omitted} more structure finding(s) not listed` });
    ctx.facts.elements = result.elements;
  };
  return {
    id: 'structure',
    title: 'RFC 8909/9022 structure (Strongroom structure checker, rde-04)',
    kind: 'xml',
    needs: ['plaintext'],
    async run(ctx, emit) {
      const source = String(ctx.facts.xmlName ?? ctx.input.key);
      const task = ctx.progress.task(`check structure of ${ctx.input.key}`, 'bytes', ctx.xmlSize);
      const settle = options.share?.settle;
      if (options.inWorker !== false) {
        // In the single pass the worker also runs the xml-wellformed stage's scan on the same bytes (one copy to the thread).
        const checked = checkStructureInWorker(ctx.plaintext!(), { source, maxFindings }, (bytes) => task.add(bytes), settle ? { where: source } : undefined).then(
          (result) => {
            task.done();
            if (settle) settle.resolve(result.scanned ?? { finding: { code: 'AGENT_CHECK_ERROR', severity: 'error', message: 'the structure worker did not scan the deposit' } });
            report(ctx, source, result, emit);
          },
          (err: unknown) => {
            settle?.reject(err);
            throw err;
          },
        );
        return { deferred: checked };
      }
      settle?.reject(new Error('the structure check does not run on a worker: no shared well-formedness scan'));
      const counted = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of ctx.plaintext!()) {
          task.add(chunk.length);
          yield chunk;
        }
      };
      const result = await checkStructure(counted(), { source, maxFindings });
      task.done();
      report(ctx, source, result, emit);
    },
  };
}
