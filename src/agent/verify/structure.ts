/**
 * XML stage `structure` (Spec 2 Part A §8 step 4; ICANN RST rde-04): Strongroom's own streaming
 * structure checker (src/agent/structure) over the decrypted deposit from the encrypted spool —
 * well-formedness and validity against the RFC 8909/9022 schemas (element order,
 * cardinalities, types, enumerations, patterns), with findings that name the object and path.
 */
import { checkStructure } from '../structure/checker.js';
import type { CheckStage } from './stage.js';

export function structureStage(maxFindings = 1000): CheckStage {
  return {
    id: 'structure',
    title: 'RFC 8909/9022 structure (Strongroom structure checker, rde-04)',
    kind: 'xml',
    needs: ['plaintext'],
    async run(ctx, emit) {
      const source = String(ctx.facts.xmlName ?? ctx.input.key);
      const task = ctx.progress.task(`check structure of ${ctx.input.key}`, 'bytes', ctx.xmlSize);
      const counted = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of ctx.plaintext!()) {
          task.add(chunk.length);
          yield chunk;
        }
      };
      const result = await checkStructure(counted(), { source, maxFindings });
      task.done();
      for (const finding of result.findings) {
        emit({ code: finding.code, severity: finding.severity, ...(finding.object ? { object: finding.object } : {}), location: finding.location ?? `${source} ${finding.path}`, message: finding.message });
      }
      if (result.omitted > 0) emit({ code: 'RDE_SCHEMA_VALIDATION_ERROR', severity: 'error', location: source, message: `${result.omitted} more structure finding(s) not listed` });
      ctx.facts.elements = result.elements;
    },
  };
}
