/**
 * The RST object rules (rde-07 … rde-14, ./object-rules.ts) as a verification stage of kind
 * 'semantic': two passes over the decrypted deposit, re-read from the encrypted spool.
 * Rules that could not run (models not configured, a DIFF's references, identifier sets past
 * the memory bound) make the stage NOT RUN with the reasons when nothing else was found, so a
 * deposit is never passed on rules that did not run; plug it in with
 * `verifyDeposit(input, { ...options, stages: [objectRulesStage({ hostModel, dataModel, … })] })`.
 */
import type { CheckStage } from '../verify/stage.js';
import { checkDepositObjects, type ObjectRuleOptions } from './object-rules.js';

export function objectRulesStage(options: Omit<ObjectRuleOptions, 'file'> = {}): CheckStage {
  return {
    id: 'object-rules',
    title: 'Objects and references (RST rde-07 … rde-14)',
    kind: 'semantic',
    needs: ['plaintext'],
    async run(ctx, emit) {
      const file = String(ctx.facts.xmlName ?? ctx.input.key);
      const result = await checkDepositObjects(() => ctx.plaintext!(), { ...options, file });
      for (const f of result.findings) emit(f);
      if (result.omitted > 0) emit({ code: 'SR_FINDINGS_OMITTED', severity: 'error', object: file, message: `${result.omitted} more object-rule findings not listed` });
      ctx.facts.objectRulesNotRun = result.notRun;
      if (result.notRun.length > 0 && !result.findings.some((f) => f.severity === 'error')) return { notRun: result.notRun.join('; ') };
    },
  };
}
