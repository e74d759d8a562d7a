/**
 * The RST object rules (rde-07 … rde-14, ./object-rules.ts) as the built-in verification stage
 * `object-rules` (kind 'semantic'): one pass over the decrypted deposit, re-read from the
 * encrypted spool or fed by the single pass, with the header's TLD from the XML pass or the header object. `verifyDeposit` runs it with the
 * registry configuration it was given (`VerifyOptions.rules`; the CLI's --host-model,
 * --data-model, --roid-suffix, --idn-table).
 *
 * Never a silent pass: rules that need configuration that was not given are listed in the
 * stage's `rulesNotRun` (shown in every report; not blocking, as the xmllint second opinion
 * when not asked for); when the reader refuses the deposit no rule ran, so the stage is NOT RUN
 * (blocking) unless the structure findings already fail it.
 */
import type { CheckStage, VerifyContext } from '../verify/stage.js';
import { NO_HEADER, checkDepositObjects, type ObjectRuleOptions, type RegistryRuleConfig } from './object-rules.js';

/** The options object-rules runs checkDepositObjects with in `ctx` (plain data: the semantic worker gets them too), or why it does not run. */
export function objectRuleOptions(ctx: VerifyContext, config: RegistryRuleConfig): ObjectRuleOptions | { notRun: string } {
  const file = String(ctx.facts.xmlName ?? ctx.input.key);
  // In the single pass (verify.ts) the XML summary is not known yet: the TLD comes from the header as it is read.
  const summary = ctx.summary;
  if (summary && (summary.headers !== 1 || !summary.headerTld)) return { notRun: NO_HEADER };
  const tld = summary ? { tld: summary.headerTld! } : { fallbackTld: ctx.input.name.tld };
  return { ...config, ...tld, file, ...(ctx.input.name.type === 'thin' ? { thin: true } : {}) };
}

export function objectRulesStage(config: RegistryRuleConfig = {}): CheckStage {
  return {
    id: 'object-rules',
    title: 'Object values, host and data models, EPP parameters, policy (RST rde-07 … rde-14)',
    kind: 'semantic',
    needs: ['plaintext', 'summary'],
    sharesObjectPass: true,
    async run(ctx, emit) {
      const options = objectRuleOptions(ctx, config);
      if ('notRun' in options) return options;
      // On the semantic worker of the single pass (verify.ts) the same checkDepositObjects ran with these same options.
      const result = ctx.offload ? await ctx.offload.objectRules : await checkDepositObjects(() => ctx.plaintext!(), { ...options, ...(ctx.objectBatches ? { batches: ctx.objectBatches() } : {}) });
      if (result.refused === NO_HEADER) return { notRun: NO_HEADER };
      for (const f of result.findings) emit(f);
      if (result.omitted > 0) emit({ code: 'SR_FINDINGS_OMITTED', severity: 'error', object: options.file, message: `${result.omitted} more object-rule findings not listed` });
      if (result.refused) return { notRun: `no object rule ran to the end: ${result.refused}` };
      if (result.notRun.length > 0) return { rulesNotRun: result.notRun };
    },
  };
}
