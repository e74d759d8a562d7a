/**
 * Test-only: a deposit document from model objects through the real serialisers of
 * src/deposit/serialize.ts, with the envelope the FULL writer uses (all prefixes declared on
 * the root). Lets reader and rebuild tests make deposits — including broken or hand-varied
 * ones — without a database.
 */
import { contactXml, domainXml, eppParamsXml, headerXml, hostXml, idnTableXml, nndnXml, policyXml, registrarXml } from '../deposit/serialize.js';
import { esc } from '../deposit/xml.js';
import { OBJECT_URI, PREFIXES } from '../model/namespaces.js';
import type { DepositType, RdeObject } from '../model/objects.js';

export interface EnvelopeOptions {
  type?: DepositType;
  id?: string;
  prevId?: string;
  resend?: number;
  watermark: string;
  /** Menu URIs; default: the URIs of the kinds present (header excluded), in first-seen order. */
  objURI?: string[];
  /** Already serialised `<rde:deletes>` children. */
  deletes?: string[];
}

export function objectXml(o: RdeObject): string {
  switch (o.kind) {
    case 'domain':
      return domainXml(o.value);
    case 'host':
      return hostXml(o.value);
    case 'contact':
      return contactXml(o.value);
    case 'registrar':
      return registrarXml(o.value);
    case 'idnTable':
      return idnTableXml(o.value);
    case 'nndn':
      return nndnXml(o.value);
    case 'eppParams':
      return eppParamsXml(o.value);
    case 'policy':
      return policyXml(o.value);
    case 'header':
      return headerXml(o.value);
  }
}

/** A whole deposit document holding `objects` in the given order. */
export function depositXml(objects: readonly RdeObject[], options: EnvelopeOptions): string {
  const xmlns = Object.entries(PREFIXES)
    .map(([prefix, uri]) => `\n    xmlns:${prefix}="${esc(uri)}"`)
    .join('');
  const uris = options.objURI ?? [...new Set(objects.filter((o) => o.kind !== 'header').map((o) => OBJECT_URI[o.kind]))];
  const attrs = `type="${options.type ?? 'FULL'}" id="${options.id ?? '20250105001'}"${options.prevId ? ` prevId="${options.prevId}"` : ''} resend="${options.resend ?? 0}"`;
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<rde:deposit${xmlns}\n    ${attrs}>\n  <rde:watermark>${options.watermark}</rde:watermark>\n  <rde:rdeMenu>\n    <rde:version>1.0</rde:version>`;
  for (const uri of uris) out += `\n    <rde:objURI>${uri}</rde:objURI>`;
  out += '\n  </rde:rdeMenu>';
  if (options.deletes) out += `\n  <rde:deletes>${options.deletes.join('')}\n  </rde:deletes>`;
  out += '\n  <rde:contents>';
  for (const o of objects) out += objectXml(o);
  return `${out}\n  </rde:contents>\n</rde:deposit>\n`;
}
