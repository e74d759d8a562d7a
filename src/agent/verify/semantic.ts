/**
 * Semantic stage `container-rules` (Spec 2 Part A §8 step 5; ICANN RST rde-05/rde-06), on the
 * container facts of the XML pass:
 *
 * - the file name and the content agree: header TLD = name TLD, watermark date = name date,
 *   RFC 8909 type matches the name's type (full ↔ FULL, diff ↔ DIFF/INCR, thin ↔ FULL),
 *   `resend` = R{rev} (Spec 2 Part A §5, RFC 8909 §5.1);
 * - exactly one header (RFC 9022 §5.1);
 * - rde-05: the menu's object URIs equal the header's count URIs
 *   (RDE_MENU_AND_HEADER_URIS_DIFFER; the header's own URI in the menu is tolerated, as the
 *   RFC 9022 examples list it);
 * - rde-06: every object kind present has a count (RDE_UNEXPECTED_OBJECT) and, for FULL
 *   deposits, each count equals the objects present (RDE_OBJECT_COUNT_MISMATCH). The meaning of
 *   counts in a DIFF is not settled (rde-standards.md §2.10), so DIFF counts are not compared.
 *
 * Per-object rules (rde-07…rde-14) come from the typed reader's stages.
 */
import { NS_HEADER } from '../../model/namespaces.js';
import type { CheckStage } from './stage.js';

const TYPE_FOR_NAME: Record<string, string[]> = { full: ['FULL'], diff: ['DIFF', 'INCR'], thin: ['FULL'] };

export function containerRulesStage(): CheckStage {
  return {
    id: 'container-rules',
    title: 'Name vs content, header, menu vs header URIs, counts (rde-05, rde-06)',
    kind: 'semantic',
    needs: ['summary'],
    async run(ctx, emit) {
      const summary = ctx.summary!;
      const { name, key } = ctx.input;
      const object = summary.id ?? key;
      const mismatch = (message: string): void => emit({ code: 'AGENT_NAME_CONTENT_MISMATCH', severity: 'error', object, message });
      if (!summary.type || !TYPE_FOR_NAME[name.type]!.includes(summary.type)) mismatch(`the file name says ${name.type}, the deposit's type is ${summary.type ?? '(none)'}`);
      if (!summary.id || !/^\w{1,13}$/.test(summary.id)) {
        emit({ code: 'RDE_INVALID_DEPOSIT_ID', severity: 'error', object, message: `deposit id "${summary.id ?? ''}" is not 1-13 word characters (RFC 8909 §5.1)` });
      }
      if (!summary.watermark) mismatch('the deposit has no watermark');
      else if (summary.watermark.slice(0, 10) !== name.date) mismatch(`the file name's date ${name.date} is not the watermark's date (${summary.watermark})`);
      const resend = summary.resend ?? 0;
      if (resend !== name.rev) mismatch(`the file name says R${name.rev}, the deposit's resend is ${summary.resend ?? '0 (absent)'}`);
      if (summary.headers !== 1) {
        emit({ code: 'RDE_MISSING_HEADER', severity: 'error', object, message: `the deposit holds ${summary.headers} headers, exactly one is required (RFC 9022 §5.1)` });
        return;
      }
      if (summary.headerTld !== name.tld) mismatch(`the header's TLD is "${summary.headerTld ?? ''}", the file name's is "${name.tld}"`);

      const menu = new Set(summary.menuUris.filter((uri) => uri !== NS_HEADER));
      const headerUris = new Set(summary.counts.map((count) => count.uri));
      const onlyMenu = [...menu].filter((uri) => !headerUris.has(uri)).sort();
      const onlyHeader = [...headerUris].filter((uri) => !menu.has(uri)).sort();
      if (onlyMenu.length > 0 || onlyHeader.length > 0) {
        emit({
          code: 'RDE_MENU_AND_HEADER_URIS_DIFFER',
          severity: 'error',
          object,
          message: `menu and header URIs differ: only in the menu ${JSON.stringify(onlyMenu)}, only in the header ${JSON.stringify(onlyHeader)}`,
        });
      }
      const counted = new Map<string, number>();
      for (const count of summary.counts) {
        if (!/^\d+$/.test(count.value)) {
          emit({ code: 'RDE_SCHEMA_VALIDATION_ERROR', severity: 'error', object, message: `count for ${count.uri} is "${count.value}", not a number` });
          continue;
        }
        if (count.rcdn !== undefined || count.registrarId !== undefined) continue; // per-suffix/per-registrar sub-counts
        if (counted.has(count.uri)) emit({ code: 'RDE_DUPLICATE_COUNT', severity: 'error', object, message: `two counts for ${count.uri}` });
        counted.set(count.uri, Number(count.value));
      }
      for (const [uri, present] of Object.entries(summary.objects).sort(([a], [b]) => (a < b ? -1 : 1))) {
        if (!headerUris.has(uri)) emit({ code: 'RDE_UNEXPECTED_OBJECT', severity: 'error', object, message: `${present} object(s) of ${uri} present without a header count` });
      }
      if (summary.type === 'FULL') {
        for (const [uri, declared] of [...counted].sort(([a], [b]) => (a < b ? -1 : 1))) {
          const present = summary.objects[uri] ?? 0;
          if (declared !== present) {
            emit({ code: 'RDE_OBJECT_COUNT_MISMATCH', severity: 'error', object, message: `the header counts ${declared} object(s) of ${uri}, the deposit holds ${present}` });
          }
        }
        const deletes = Object.values(summary.deletes).reduce((sum, n) => sum + n, 0);
        if (deletes > 0) emit({ code: 'AGENT_FULL_WITH_DELETES', severity: 'error', object, message: `a FULL deposit lists ${deletes} deletion(s) (RFC 8909 §5: deletes belong to DIFF/INCR)` });
      }
    },
  };
}
