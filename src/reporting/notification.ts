/**
 * The escrow agent's notification to ICANN about a deposit: `<rdeNotification:notification>` of
 * draft-lozano-icann-registry-interfaces (schema ../shared/rde/report-schemas/
 * rdeNotification-1.0.xsd, draft 26), required by ICANN RA Specification 2 Part B §7.1–7.2:
 *
 *   DVPN  the deposit was verified and passed;
 *   DVFN  the deposit failed verification (or verification could not be completed) — with
 *         `<rdeNotification:results>` listing why;
 *   DRFN  a scheduled deposit was not received by its deadline.
 *
 * The draft leaves the verification result vocabulary to the agent (domain-os reads it the same
 * way): Strongroom's codes are the 4xxx table below, one per verification stage, stable (add
 * codes, never renumber). Each error finding becomes one `<iirdea:result>` whose description
 * carries the finding's own code, object, location and message. Output is deterministic: the
 * same report and options give the same bytes.
 */
import { StrongroomError } from '../common/errors.js';
import type { Finding } from '../common/findings.js';
import type { VerificationReport } from '../common/verification-report.js';
import { tryCanonicalDateTime } from '../model/datetime.js';
import type { DepositType } from '../model/objects.js';
import { NS_HEADER } from '../model/namespaces.js';
import { esc } from '../deposit/xml.js';
import { iirdeaResultElement, NS_IIRDEA, type IirdeaResult } from './iirdea.js';
import { NS_RDE_REPORT, reportElement, type DepositFacts } from './report.js';

/** draft-lozano-icann-registry-interfaces §4 (rdeNotification-1.0). */
export const NS_RDE_NOTIFICATION = 'urn:ietf:params:xml:ns:rdeNotification-1.0';

/** rdeNotification `version`: "1", the only version the draft defines. */
export const RDE_NOTIFICATION_VERSION = 1;

export type NotificationStatus = 'DVPN' | 'DVFN' | 'DRFN';

/**
 * Strongroom's verification result codes (iirdea codeType 1000..9999; the draft lets the agent
 * define them). Matched against a finding's code by the first rule whose pattern fits.
 */
export const VERIFICATION_RESULT_CODES: ReadonlyArray<{ code: number; msg: string; pattern: RegExp }> = [
  { code: 4001, msg: 'Deposit not received by its deadline', pattern: /^(DEPOSIT_NOT_RECEIVED|AGENT_DEPOSIT_MISSING)$/ },
  { code: 4002, msg: 'Deposit files incomplete or unexpected', pattern: /^(RYDE_PART_|RYDE_NAME_|RYDE_SIZE_|INTAKE_|AGENT_INTAKE_|RDE_MISSING_FILES$|RDE_INVALID_FILENAME$|AGENT_UNEXPECTED_FILE$|AGENT_NAME_REUSED$)/ },
  { code: 4101, msg: 'Signature verification failed', pattern: /^(RYDE_SIGNATURE_|SIGNATURE_|KEY_|RDE_INVALID_SIGNATURE$)/ },
  { code: 4201, msg: 'Decryption or decompression failed', pattern: /^(RYDE_NOT_A_RECIPIENT|RYDE_SESSION_KEY_|RYDE_MDC_|RYDE_AEAD_|RYDE_DECOMPRESS_|RYDE_PACKET_|RYDE_TRUNCATED|RYDE_TRAILING_|RYDE_PROFILE_|RYDE_UNSUPPORTED|DECRYPT_|RDE_DECRYPTION_FAILED$)/ },
  { code: 4301, msg: 'Deposit archive invalid or unsafe', pattern: /^(RYDE_TAR_|TAR_|ARCHIVE_|AGENT_LIMIT_EXCEEDED$)/ },
  { code: 4401, msg: 'Deposit XML not well-formed or not valid against the RFC 8909/9022 schemas', pattern: /^(XML_|SCHEMA_|STRUCTURE_|RDE_XML_PARSE_ERROR$|RDE_SCHEMA_VALIDATION_ERROR$)/ },
  { code: 4501, msg: 'Deposit content violates RFC 9022 or ICANN RDE rules', pattern: /^(RDE_|SR_|AGENT_NAME_CONTENT_MISMATCH$|AGENT_FULL_WITH_DELETES$)/ },
  { code: 4601, msg: 'Deposit chain invalid', pattern: /^CHAIN_/ },
];

/** A finding code no rule matches. */
export const RESULT_OTHER = { code: 4900, msg: 'Deposit failed verification' } as const;
/** Status ERROR without an error finding: verification could not be completed. */
export const RESULT_INCOMPLETE = { code: 4901, msg: 'Verification could not be completed' } as const;
/** The results list was capped: the rest is in the verification report. */
export const RESULT_MORE = { code: 4902, msg: 'Further findings omitted' } as const;

/** The result code and msg for a finding code. */
export function resultCodeFor(findingCode: string): { code: number; msg: string } {
  const rule = VERIFICATION_RESULT_CODES.find((r) => r.pattern.test(findingCode));
  return rule ? { code: rule.code, msg: rule.msg } : { ...RESULT_OTHER };
}

export interface NotificationOptions {
  /** Data escrow agent's name (1..255 characters). */
  deaName: string;
  /** Report date (YYYY-MM-DD); default: the date of `deposit.verifiedAt`, else of `now`. */
  repDate?: string;
  /** Date of the last FULL deposit that passed (YYYY-MM-DD); default: the watermark's date for a passing FULL. */
  lastFullDate?: string;
  /** The agent's clock, for repDate when nothing else gives it. */
  now?: Date;
  /** Results listed at most (default 100); more become one RESULT_MORE entry. */
  maxResults?: number;
}

export const DEFAULT_MAX_RESULTS = 100;

function invalidArgument(message: string): StrongroomError {
  return new StrongroomError('REPORT_INVALID_ARGUMENT', message);
}

function date(value: string, what: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || tryCanonicalDateTime(`${value}T00:00:00Z`) === null) throw invalidArgument(`${what} "${value}" is not a date (YYYY-MM-DD)`);
  return value;
}

function dateTime(value: string, what: string): string {
  const canonical = tryCanonicalDateTime(value);
  if (canonical === null) throw invalidArgument(`${what} "${value}" is not an RFC 3339 date-time`);
  return canonical;
}

/** Characters XML 1.0 cannot carry become U+FFFD, so a finding's text never breaks the document. */
function xmlSafe(text: string): string {
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

function deaName(value: string): string {
  // normalizedString 1..255: no TAB/LF/CR.
  const normalized = xmlSafe(value).replace(/[\t\n\r]/g, ' ');
  if (normalized.length < 1 || normalized.length > 255) throw invalidArgument(`deaName must have 1 to 255 characters, got ${normalized.length}`);
  return normalized;
}

function describe(f: Finding): string {
  const where = [f.object, f.location].filter((s) => s !== undefined && s !== '').join(' at ');
  return xmlSafe(`${f.code}${where ? ` (${where})` : ''}: ${f.message}`);
}

/** The `<iirdea:result>` entries of a failed verification. */
export function verificationResults(report: VerificationReport, maxResults = DEFAULT_MAX_RESULTS): IirdeaResult[] {
  const errors = report.findings.filter((f) => f.severity === 'error');
  const results: IirdeaResult[] = errors.slice(0, maxResults).map((f) => ({ ...resultCodeFor(f.code), description: describe(f) }));
  const more = errors.length - results.length + (report.omittedFindings ?? 0);
  if (more > 0) results.push({ ...RESULT_MORE, description: `${more} further finding(s) are listed in the verification report only` });
  if (results.length === 0) {
    results.push(report.status === 'ERROR' ? { ...RESULT_INCOMPLETE, description: 'verification stopped before every check ran; see the verification report' } : { ...RESULT_OTHER, description: 'the verification failed without an error finding; see the verification report' });
  }
  return results;
}

/** The deposit facts for the embedded rdeReport, when the verification learned all of them. */
function reportFacts(report: VerificationReport): DepositFacts | null {
  const d = report.deposit;
  if (d.id === undefined || d.type === undefined || d.watermark === undefined || d.header === undefined) return null;
  return { tld: d.tld, id: d.id, resend: d.resend ?? 0, type: d.type, watermark: d.watermark, header: d.header };
}

function documentXml(status: NotificationStatus, parts: { deaName: string; repDate: string; results?: IirdeaResult[]; reDate?: string; vaDate?: string; lastFullDate?: string; report?: DepositFacts | null }): string {
  const ns = [`xmlns:rdeNotification="${NS_RDE_NOTIFICATION}"`];
  if (parts.results !== undefined) ns.push(`xmlns:iirdea="${NS_IIRDEA}"`);
  if (parts.report) ns.push(`xmlns:rdeReport="${NS_RDE_REPORT}"`, `xmlns:rdeHeader="${NS_HEADER}"`);
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<rdeNotification:notification ${ns.join(' ')}>\n`;
  out += `  <rdeNotification:deaName>${esc(deaName(parts.deaName))}</rdeNotification:deaName>\n`;
  out += `  <rdeNotification:version>${RDE_NOTIFICATION_VERSION}</rdeNotification:version>\n`;
  out += `  <rdeNotification:repDate>${parts.repDate}</rdeNotification:repDate>\n`;
  out += `  <rdeNotification:status>${status}</rdeNotification:status>\n`;
  if (parts.results !== undefined) {
    out += '  <rdeNotification:results>\n';
    for (const r of parts.results) out += iirdeaResultElement(r, '    ');
    out += '  </rdeNotification:results>\n';
  }
  if (parts.reDate) out += `  <rdeNotification:reDate>${parts.reDate}</rdeNotification:reDate>\n`;
  if (parts.vaDate) out += `  <rdeNotification:vaDate>${parts.vaDate}</rdeNotification:vaDate>\n`;
  if (parts.lastFullDate) out += `  <rdeNotification:lastFullDate>${parts.lastFullDate}</rdeNotification:lastFullDate>\n`;
  if (parts.report) out += reportElement(parts.report, {}, '  ', false);
  return `${out}</rdeNotification:notification>\n`;
}

/** The status a verification outcome is notified as. */
export function notificationStatus(report: VerificationReport): 'DVPN' | 'DVFN' {
  return report.status === 'PASS' ? 'DVPN' : 'DVFN';
}

/**
 * DVPN or DVFN for a verified deposit. A PASS needs the deposit's id, type, watermark and header
 * (the notification then carries the registry's report); a FAIL/ERROR carries them when known.
 */
export function depositNotificationXml(report: VerificationReport, options: NotificationOptions): string {
  const status = notificationStatus(report);
  const d = report.deposit;
  const facts = reportFacts(report);
  if (status === 'DVPN') {
    if (facts === null) throw invalidArgument('a passing verification must know the deposit id, type, watermark and header');
    if (report.findings.some((f) => f.severity === 'error')) throw invalidArgument('a verification with error findings cannot be PASS');
  }
  const vaDate = d.verifiedAt === undefined ? undefined : dateTime(d.verifiedAt, 'verifiedAt');
  const reDate = d.receivedAt === undefined ? undefined : dateTime(d.receivedAt, 'receivedAt');
  const repDate = date(options.repDate ?? (vaDate ?? (options.now ?? new Date()).toISOString()).slice(0, 10), 'repDate');
  let lastFullDate = options.lastFullDate === undefined ? undefined : date(options.lastFullDate, 'lastFullDate');
  if (lastFullDate === undefined && status === 'DVPN' && d.type === 'FULL' && d.watermark !== undefined) lastFullDate = dateTime(d.watermark, 'watermark').slice(0, 10);
  return documentXml(status, {
    deaName: options.deaName,
    repDate,
    ...(status === 'DVFN' ? { results: verificationResults(report, options.maxResults ?? DEFAULT_MAX_RESULTS) } : {}),
    ...(reDate ? { reDate } : {}),
    ...(vaDate ? { vaDate } : {}),
    ...(lastFullDate ? { lastFullDate } : {}),
    report: facts,
  });
}

/** A scheduled deposit that did not arrive. */
export interface MissingDeposit {
  tld: string;
  type: DepositType;
  /** The watermark the deposit was due for (RFC 3339 UTC). */
  watermark: string;
  /** When it had to have arrived (RFC 3339 UTC), e.g. 23:59 UTC of the watermark's day (Spec 2 Part A §2). */
  deadline: string;
}

/** DRFN: the deposit was not received by its deadline (Spec 2 Part B §7.2). */
export function missingDepositNotificationXml(missing: MissingDeposit, options: NotificationOptions): string {
  const watermark = dateTime(missing.watermark, 'watermark');
  const deadline = dateTime(missing.deadline, 'deadline');
  const repDate = date(options.repDate ?? (options.now ?? new Date()).toISOString().slice(0, 10), 'repDate');
  const lastFullDate = options.lastFullDate === undefined ? undefined : date(options.lastFullDate, 'lastFullDate');
  const description = xmlSafe(`no ${missing.type} deposit of ${missing.tld} for ${watermark} was received by ${deadline}`);
  return documentXml('DRFN', {
    deaName: options.deaName,
    repDate,
    results: [{ code: 4001, msg: 'Deposit not received by its deadline', description }],
    ...(lastFullDate ? { lastFullDate } : {}),
  });
}
