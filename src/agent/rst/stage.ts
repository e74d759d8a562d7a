/**
 * The RST object rules (rde-07 … rde-14, ./object-rules.ts) as the built-in verification stage
 * `object-rules` (kind 'semantic'): one pass over the decrypted deposit, re-read from the
 * encrypted spool, with the header's TLD from the XML pass. `verifyDeposit` runs it with the
 * registry configuration it was given (`VerifyOptions.rules`; the CLI's --host-model,
 * --data-model, --roid-suffix, --idn-table).
 *
 * Never a silent pass: rules that need configuration that was not given are listed in the
 * stage's `rulesNotRun` (shown in every report; not blocking, as the xmllint second opinion
 * when not asked for); when the reader refuses the deposit no rule ran, so the stage is NOT RUN
 * (blocking) unless the structure findings already fail it.
 */
import type { CheckStage } from '../verify/stage.js';
import { checkDepositObjects, type RegistryRuleConfig } from './object-rules.js';

export function objectRulesStage(config: RegistryRuleConfig = {}): CheckStage {
  return {
    id: 'object-rules',
    title: 'Object values, host and data models, EPP parameters, policy (RST rde-07 … rde-14)',
    kind: 'semantic',
    needs: ['plaintext', 'summary'],
    sharesObjectPass: true,
    async run(ctx, emit) {
      const file = String(ctx.facts.xmlName ?? ctx.input.key);
      const tld = ctx.summary!.headerTld;
      if (ctx.summary!.headers !== 1 || !tld) return { notRun: 'the deposit has no single header with a TLD (see container-rules)' };
      const result = await checkDepositObjects(() => ctx.plaintext!(), { ...config, tld, file, ...(ctx.input.name.type === 'thin' ? { thin: true } : {}), ...(ctx.objects ? { events: ctx.objects() } : {}) });
      for (const f of result.findings) emit(f);
      if (result.omitted > 0) emit({ code: 'SR_FINDINGS_OMITTED', severity: 'error', object: file, message: `${result.omitted} more object-rule findings not listed` });
      if (result.refused) return { notRun: `no object rule ran to the end: ${result.refused}` };
      if (result.notRun.length > 0) return { rulesNotRun: result.notRun };
    },
  };
}
