/**
 * XML stage `xml-wellformed` (Spec 2 Part A §8 step 4, first half; ICANN RST rde-04
 * RDE_XML_PARSE_ERROR): one streaming pass of the byte-level XML scanner (src/common/xml-scan.ts:
 * strict XML 1.0 with namespaces, UTF-8 checked on the way) over the decrypted deposit:
 *
 * - the bytes must be UTF-8 (Spec 2 Part A §3.1) and well-formed;
 * - a DOCTYPE is refused (no DTD, so no entity expansion: "billion laughs" and external
 *   entities cannot happen; RFC 8909 deposits never need one);
 * - the root must be <deposit> in the RFC 8909 namespace.
 *
 * On the way it records the container facts the semantic and chain stages need
 * (DepositSummary: type, id, prevId, resend, watermark, menu URIs, header TLD and counts, and
 * the objects present by namespace). Memory is bounded: only short texts are kept.
 */
import { XmlScanner, type XName, type XmlScanHandler } from '../../common/xml-scan.js';
import { NS_HEADER, NS_RDE } from '../../model/namespaces.js';
import type { CheckStage, DepositSummary, StageFinding, VerifyContext } from './stage.js';

const MAX_TEXT = 4096;

export function emptySummary(): DepositSummary {
  return { rootOk: false, menuUris: [], headers: 0, counts: [], objects: {}, deletes: {} };
}

/** What the well-formedness scan found: the summary when well-formed, else its one finding. */
export interface WellFormedResult {
  summary?: DepositSummary;
  finding?: StageFinding;
}

/**
 * The well-formedness scan and summary, fed chunk by chunk (`write`, then `end`): used by the
 * stage below, and on the structure worker's thread in the single pass (structure.ts), which
 * sees the same bytes.
 */
export class WellFormedScan {
  private readonly summary = emptySummary();
  private readonly scanner: XmlScanner;
  private finding: StageFinding | undefined;
  /**
   * The scan's event consumer: the structure worker feeds it from the scanner it already runs
   * for the structure checker (one tokenizer for both), then takes `result()`.
   */
  readonly handler: XmlScanHandler;

  constructor(where: string) {
    const summary = this.summary;
    const fail = (code: string, message: string, line: number, column: number): void => {
      this.finding ??= { code, severity: 'error', location: `${where}:${line}:${column}`, message };
    };
    // Element path as interned expanded names.
    const stack: XName[] = [];
    let text: string | null = null;
    let countAttrs: { uri: string; rcdn?: string; registrarId?: string } | undefined;
    this.handler = {
      error(err) {
        if (err.kind === 'doctype') fail('RDE_XML_PARSE_ERROR', 'a DOCTYPE is not allowed in a deposit (entity expansion refused)', err.line, err.column);
        else if (err.kind === 'utf8') fail('RDE_XML_PARSE_ERROR', `the deposit is not valid UTF-8 (Spec 2 Part A §3.1): ${err.message}`, err.line, err.column);
        else fail('RDE_XML_PARSE_ERROR', `not well-formed XML: ${err.message}`, err.line, err.column);
      },
      open(s) {
        const depth = stack.length;
        if (depth > 3) {
          // Below the header's children: nothing of the summary is read there (most elements of a deposit).
          stack.push(s.xname);
          return;
        }
        const uri = s.ns;
        const local = s.local;
        const attr = (name: string): string | undefined => s.attr(name);
        if (depth === 0) {
          summary.rootOk = uri === NS_RDE && local === 'deposit';
          if (!summary.rootOk) fail('RDE_XML_PARSE_ERROR', `the root element is {${uri}}${local}, not {${NS_RDE}}deposit`, s.line, s.column);
          summary.type = attr('type');
          summary.id = attr('id');
          summary.prevId = attr('prevId');
          const resend = attr('resend');
          if (resend !== undefined) summary.resend = /^\d+$/.test(resend) ? Number(resend) : Number.NaN;
        }
        const parent = stack[depth - 1];
        const grand = stack[depth - 2];
        if (depth === 1 && uri === NS_RDE && local === 'watermark') text = '';
        if (depth === 2 && parent?.ns === NS_RDE && parent.local === 'rdeMenu' && uri === NS_RDE && local === 'objURI') text = '';
        if (depth === 2 && parent?.ns === NS_RDE && parent.local === 'contents') {
          if (uri === NS_HEADER && local === 'header') summary.headers++;
          else summary.objects[uri] = (summary.objects[uri] ?? 0) + 1;
        }
        if (depth === 2 && parent?.ns === NS_RDE && parent.local === 'deletes') summary.deletes[uri] = (summary.deletes[uri] ?? 0) + 1;
        if (depth === 3 && parent?.ns === NS_HEADER && parent.local === 'header' && grand?.local === 'contents') {
          if (uri === NS_HEADER && local === 'tld') text = '';
          if (uri === NS_HEADER && local === 'count') {
            text = '';
            countAttrs = { uri: attr('uri') ?? '' };
            const rcdn = attr('rcdn');
            const registrarId = attr('registrarId');
            if (rcdn !== undefined) countAttrs.rcdn = rcdn;
            if (registrarId !== undefined) countAttrs.registrarId = registrarId;
          }
        }
        stack.push(s.xname);
      },
      text(s) {
        if (text !== null && text.length < MAX_TEXT) text += s.text();
      },
      cdata(s) {
        if (text !== null && text.length < MAX_TEXT) text += s.text();
      },
      close(s) {
        stack.pop();
        if (text === null) return;
        const value = text.trim();
        text = null;
        if (s.ns === NS_RDE && s.local === 'watermark') summary.watermark = value;
        else if (s.ns === NS_RDE && s.local === 'objURI') summary.menuUris.push(value);
        else if (s.ns === NS_HEADER && s.local === 'tld') summary.headerTld = value;
        else if (s.ns === NS_HEADER && s.local === 'count' && countAttrs) {
          summary.counts.push({ ...countAttrs, value });
          countAttrs = undefined;
        }
      },
    };
    this.scanner = new XmlScanner(this.handler);
  }

  write(chunk: Uint8Array): void {
    if (!this.finding) this.scanner.write(chunk);
  }

  end(): WellFormedResult {
    if (!this.finding) this.scanner.end();
    return this.result();
  }

  /** The outcome so far (after a scanner feeding `handler` ended). */
  result(): WellFormedResult {
    return this.finding ? { finding: this.finding } : { summary: this.summary };
  }
}

export function xmlWellFormedStage(share?: XmlPassShare): CheckStage {
  return {
    id: 'xml-wellformed',
    title: 'Well-formed UTF-8 XML, no DOCTYPE, <rde:deposit> root (rde-04)',
    kind: 'xml',
    needs: ['plaintext'],
    async run(ctx, emit) {
      let result: WellFormedResult;
      if (share?.wellFormed) {
        // In the single pass the structure worker scans the same bytes for this stage: its own branch is not read.
        await ctx.plaintext!()[Symbol.asyncIterator]().return?.();
        result = await share.wellFormed;
      } else result = await scanPlaintext(ctx);
      if (result.finding) emit(result.finding);
      else ctx.summary = result.summary;
    },
  };
}

async function scanPlaintext(ctx: VerifyContext): Promise<WellFormedResult> {
  const scan = new WellFormedScan(String(ctx.facts.xmlName ?? ctx.input.key));
  const task = ctx.progress.task(`parse ${ctx.input.key}`, 'bytes', ctx.xmlSize);
  try {
    for await (const chunk of ctx.plaintext!()) {
      task.add(chunk.length);
      scan.write(chunk); // after a failure it only drains: the stream is read to its end (its end is authenticated)
    }
  } finally {
    task.done();
  }
  return scan.end();
}

/**
 * Shared by the XML stages of one verification: in the single pass (verify.ts calls
 * `shareWellFormedScan`) the structure stage's worker also runs the well-formedness scan and
 * settles `wellFormed`.
 */
export interface XmlPassShare {
  wellFormed?: Promise<WellFormedResult>;
  settle?: { resolve(result: WellFormedResult): void; reject(error: unknown): void };
}

/** Ask the structure stage's worker for the well-formedness scan (the single pass). */
export function shareWellFormedScan(share: XmlPassShare): void {
  share.wellFormed = new Promise<WellFormedResult>((resolve, reject) => (share.settle = { resolve, reject }));
  share.wellFormed.catch(() => undefined);
}
