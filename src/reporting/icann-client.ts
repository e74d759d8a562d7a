/**
 * Client of ICANN's registry-interfaces API for escrow reports (draft-lozano-icann-registry-
 * interfaces; ICANN RA Specification 2 Part A §7; rde-standards.md §3.10):
 *
 *   PUT  {base}/report/registry-escrow-report/{tld}/{id}        body: the rdeReport XML
 *   HEAD {base}/info/report/registry-escrow-report/{tld}/{date}  200 received, 404 not
 *
 * with HTTP Basic authentication (user `{tld}_ry` by default, password issued by ICANN).
 *
 * The answer to a PUT is an iirdea `<response>` whose result code decides, whatever the HTTP
 * status (rejections can arrive with HTTP 200, so the code is always parsed):
 *   - 1000: accepted; then the status endpoint must confirm that ICANN holds a report for the
 *     watermark's date (retried while it answers 404: ICANN may take a moment);
 *   - 2007 (interface disabled for the TLD), HTTP 5xx and transport errors (connection refused
 *     or reset, timeouts): retried with exponential backoff, the same report each time (a PUT of
 *     the same id replaces the earlier one, so a retry after a lost answer is harmless);
 *   - any other code: REPORT_REFUSED carrying the code, msg and description — sending the same
 *     report again cannot help.
 * HTTP 401/403 are REPORT_AUTH_FAILED and a redirect or 404/405 without an iirdea answer is
 * REPORT_ENDPOINT_INVALID: neither is retried. The password never appears in messages or results.
 */
import { StrongroomError, messageOf } from '../common/errors.js';
import { progressOrNoop, type Progress } from '../common/progress.js';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, sleep as realSleep, type BackoffOptions, type Sleep } from '../common/backoff.js';
import { isRetryableResult, parseIirdeaResponse, RESULT_ACCEPTED, REPORT_RESULT_CODES, type IirdeaResult } from './iirdea.js';
import { checkFacts, rdeReportXml, type DepositFacts, type ReportOptions } from './report.js';

/** Production and test hosts of the interface (nomulus default configuration, rde-standards.md §3.10). */
export const ICANN_PRODUCTION_BASE = 'https://ry-api.icann.org';
export const ICANN_TEST_BASE = 'https://test-ry-api.icann.org:8543';

export interface IcannEndpoint {
  /** Scheme, host and optional path prefix, e.g. https://ry-api.icann.org. */
  baseUrl: string;
  /** Basic-auth user; default `{tld}_ry` (nomulus). */
  username?: string;
  password: string;
}

export interface SubmitOptions extends ReportOptions {
  backoff?: BackoffOptions;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** Ask the status endpoint afterwards (default true). */
  confirm?: boolean;
  signal?: AbortSignal;
  /** Injected by tests to run without waiting. */
  sleep?: Sleep;
  /** Notes on retries and waits (a stage never prints). */
  progress?: Progress;
}

/** One try, as the history of a submission records it. */
export interface Attempt {
  /** 'submit' (the PUT or POST) or 'confirm' (the status check). */
  request: 'submit' | 'confirm';
  /** HTTP status, or null when no answer arrived. */
  httpStatus: number | null;
  /** iirdea result code, when an answer carried one. */
  code?: number;
  /** What happened, for people (never the password). */
  outcome: string;
}

/** The outcome of an accepted submission (report or notification). */
export interface SubmissionResult {
  tld: string;
  url: string;
  code: number;
  msg: string;
  description?: string;
  /** PUT/POST attempts made. */
  attempts: number;
  confirmed: boolean;
  statusUrl?: string;
  history: Attempt[];
  seconds: number;
}

export interface SubmitResult extends SubmissionResult {
  id: string;
  resend: number;
}

/** Default request timeout. */
const DEFAULT_TIMEOUT_MS = 60_000;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Parse and check the base URL: https, or http only to a loopback host (test peers). */
export function parseBaseUrl(baseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new StrongroomError('REPORT_ENDPOINT_INVALID', `the ICANN base URL "${baseUrl}" is not a URL`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw new StrongroomError('REPORT_ENDPOINT_INVALID', `the ICANN base URL must use https (Basic credentials are sent with every request); http is allowed only to a loopback test peer, got ${url.protocol}//${url.host}`);
  }
  if (url.username !== '' || url.password !== '') throw new StrongroomError('REPORT_ENDPOINT_INVALID', 'the ICANN base URL must not carry credentials; give the password through a file or the environment');
  if (url.search !== '' || url.hash !== '') throw new StrongroomError('REPORT_ENDPOINT_INVALID', 'the ICANN base URL must not have a query or fragment');
  return url;
}

function endpointUrl(base: URL, ...segments: string[]): string {
  return `${base.origin}${base.pathname.replace(/\/+$/, '')}/${segments.map(encodeURIComponent).join('/')}`;
}

/** Where a deposit's report is PUT. */
export function reportUrl(baseUrl: string, tld: string, id: string): string {
  return endpointUrl(parseBaseUrl(baseUrl), 'report', 'registry-escrow-report', tld, id);
}

/** The status endpoint for the reports of one UTC date (YYYY-MM-DD). */
export function reportStatusUrl(baseUrl: string, tld: string, date: string): string {
  return endpointUrl(parseBaseUrl(baseUrl), 'info', 'report', 'registry-escrow-report', tld, date);
}

function basicAuth(user: string, password: string): string {
  if (user.includes(':')) throw new StrongroomError('REPORT_CREDENTIALS_MISSING', 'the ICANN user name must not contain ":" (HTTP Basic)');
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

type Answer = { kind: 'http'; status: number; body: string; retryAfter: string | null; location: string | null } | { kind: 'transport'; error: string };

async function request(url: string, init: { method: string; headers: Record<string, string>; body?: string }, timeoutMs: number, signal?: AbortSignal): Promise<Answer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    const response = await fetch(url, { ...init, redirect: 'manual', signal: combined });
    const body = init.method === 'HEAD' ? '' : await response.text();
    return { kind: 'http', status: response.status, body, retryAfter: response.headers.get('retry-after'), location: response.headers.get('location') };
  } catch (err) {
    if (signal?.aborted) throw new StrongroomError('INTERRUPTED', 'the report submission was interrupted');
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = timeout.aborted ? `no answer within ${timeoutMs / 1000} s` : (cause?.code ?? cause?.message ?? messageOf(err));
    return { kind: 'transport', error: detail };
  }
}

function refused(what: string, result: IirdeaResult, httpStatus: number, history: Attempt[]): StrongroomError {
  const known = REPORT_RESULT_CODES[result.code]?.msg;
  return new StrongroomError(
    'REPORT_REFUSED',
    `ICANN refused ${what}: code ${result.code} ${result.msg}${result.description ? ` (${result.description})` : ''}${known && known !== result.msg ? ` [${known}]` : ''}`,
    { data: { code: result.code, msg: result.msg, ...(result.description ? { description: result.description } : {}), httpStatus, history } },
  );
}

/** One document for the interface: where it goes and where its receipt shows. */
interface Submission {
  /** For messages: "the report of deposit … (tld, resend n)". */
  what: string;
  method: 'PUT' | 'POST';
  url: string;
  xml: string;
  /** HEAD here answers 200 once ICANN holds it. */
  statusUrl: string;
  /** For messages: what the status endpoint is asked about. */
  statusWhat: string;
}

interface Delivered {
  result: IirdeaResult;
  attempts: number;
  confirmed: boolean;
  history: Attempt[];
}

/**
 * Send one document, classify the answers, retry what may be retried, then (unless told not to)
 * confirm through the status endpoint. Throws a StrongroomError carrying the history otherwise.
 */
async function deliver(doc: Submission, user: string, password: string, options: SubmitOptions): Promise<Delivered> {
  if (password === '') throw new StrongroomError('REPORT_CREDENTIALS_MISSING', 'no ICANN password was given');
  const authorization = basicAuth(user, password);
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  if (!Number.isInteger(backoff.attempts) || backoff.attempts < 1) throw new StrongroomError('REPORT_INVALID_ARGUMENT', 'attempts must be a positive integer');
  const wait = options.sleep ?? realSleep;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { url } = doc;
  const history: Attempt[] = [];
  const progress = progressOrNoop(options.progress);
  const pause = async (attempt: number, retryAfter: number | undefined) => {
    const ms = backoffDelay(backoff, attempt, retryAfter);
    const last = history[history.length - 1];
    progress.note(`${doc.what}: ${last?.request ?? 'request'} attempt ${attempt} of ${backoff.attempts}: ${last?.outcome ?? ''}${last?.httpStatus ? ` (HTTP ${last.httpStatus})` : ''}; next in ${ms / 1000} s`);
    await wait(ms, options.signal);
  };

  let accepted: IirdeaResult | null = null;
  let attempts = 0;
  for (let attempt = 1; attempt <= backoff.attempts && accepted === null; attempt++) {
    attempts = attempt;
    const answer = await request(url, { method: doc.method, headers: { authorization, 'content-type': 'text/xml; charset=utf-8', accept: 'text/xml, application/xml' }, body: doc.xml }, timeoutMs, options.signal);
    let retryAfter: number | undefined;
    if (answer.kind === 'transport') {
      history.push({ request: 'submit', httpStatus: null, outcome: `transport error: ${answer.error}` });
    } else if (answer.status === 401 || answer.status === 403) {
      history.push({ request: 'submit', httpStatus: answer.status, outcome: 'authentication refused' });
      throw new StrongroomError('REPORT_AUTH_FAILED', `ICANN refused the credentials of user ${user} (HTTP ${answer.status}) at ${url}`, { data: { httpStatus: answer.status, history } });
    } else if (answer.status >= 300 && answer.status < 400) {
      history.push({ request: 'submit', httpStatus: answer.status, outcome: 'redirect' });
      throw new StrongroomError('REPORT_ENDPOINT_INVALID', `the ICANN interface answered ${url} with a redirect (HTTP ${answer.status}${answer.location ? ` to ${answer.location}` : ''}); credentials are not sent elsewhere: fix the base URL`, { data: { httpStatus: answer.status, history } });
    } else if (answer.status >= 500) {
      retryAfter = parseRetryAfter(answer.retryAfter);
      history.push({ request: 'submit', httpStatus: answer.status, outcome: `server error` });
    } else {
      let result: IirdeaResult;
      try {
        result = parseIirdeaResponse(answer.body);
      } catch (err) {
        history.push({ request: 'submit', httpStatus: answer.status, outcome: 'answer without an iirdea result' });
        if (answer.status === 404 || answer.status === 405) {
          throw new StrongroomError('REPORT_ENDPOINT_INVALID', `${url} is not an ICANN registry-interfaces endpoint (HTTP ${answer.status}); check the base URL`, { data: { httpStatus: answer.status, history } });
        }
        throw new StrongroomError('REPORT_RESPONSE_INVALID', `ICANN answered ${doc.what} with HTTP ${answer.status} but ${messageOf(err)}`, { data: { httpStatus: answer.status, history }, cause: err });
      }
      history.push({ request: 'submit', httpStatus: answer.status, code: result.code, outcome: result.msg });
      if (result.code === RESULT_ACCEPTED) {
        if (answer.status < 200 || answer.status > 299) {
          throw new StrongroomError('REPORT_RESPONSE_INVALID', `ICANN answered code 1000 with HTTP ${answer.status}; the submission's outcome is unclear`, { data: { httpStatus: answer.status, history } });
        }
        accepted = result;
        break;
      }
      if (!isRetryableResult(result.code) || attempt === backoff.attempts) throw refused(doc.what, result, answer.status, history);
    }
    if (attempt < backoff.attempts) await pause(attempt, retryAfter);
  }
  if (accepted === null) {
    const last = history[history.length - 1];
    throw new StrongroomError('REPORT_TRANSPORT_FAILED', `${doc.what} could not be delivered after ${attempts} attempt(s): ${last?.outcome ?? 'no attempt'}${last?.httpStatus ? ` (HTTP ${last.httpStatus})` : ''}`, { data: { history } });
  }
  if (options.confirm === false) return { result: accepted, attempts, confirmed: false, history };

  for (let attempt = 1; attempt <= backoff.attempts; attempt++) {
    const answer = await request(doc.statusUrl, { method: 'HEAD', headers: { authorization } }, timeoutMs, options.signal);
    let retryAfter: number | undefined;
    if (answer.kind === 'transport') history.push({ request: 'confirm', httpStatus: null, outcome: `transport error: ${answer.error}` });
    else {
      history.push({ request: 'confirm', httpStatus: answer.status, outcome: answer.status === 200 ? 'received' : answer.status === 404 ? 'nothing for this date yet' : 'unexpected status' });
      if (answer.status === 200) return { result: accepted, attempts, confirmed: true, history };
      if (answer.status === 401 || answer.status === 403) {
        throw new StrongroomError('REPORT_AUTH_FAILED', `the ICANN status endpoint refused the credentials of user ${user} (HTTP ${answer.status})`, { data: { httpStatus: answer.status, history } });
      }
      if (answer.status !== 404 && answer.status < 500) {
        throw new StrongroomError('REPORT_NOT_CONFIRMED', `the ICANN status endpoint ${doc.statusUrl} answered HTTP ${answer.status}; ${doc.what} was accepted (code 1000) but its receipt is unconfirmed`, { data: { history } });
      }
      if (answer.status >= 500) retryAfter = parseRetryAfter(answer.retryAfter);
    }
    if (attempt < backoff.attempts) await pause(attempt, retryAfter);
  }
  throw new StrongroomError('REPORT_NOT_CONFIRMED', `ICANN accepted ${doc.what} (code 1000) but its status endpoint still shows nothing ${doc.statusWhat} after ${backoff.attempts} check(s)`, { data: { history } });
}

function submissionResult(tld: string, doc: Submission, done: Delivered, options: SubmitOptions, started: bigint): SubmissionResult {
  return {
    tld,
    url: doc.url,
    code: done.result.code,
    msg: done.result.msg,
    ...(done.result.description ? { description: done.result.description } : {}),
    attempts: done.attempts,
    confirmed: done.confirmed,
    ...(options.confirm === false ? {} : { statusUrl: doc.statusUrl }),
    history: done.history,
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
  };
}

/**
 * Build the rdeReport of `facts`, PUT it, and confirm it through the status endpoint.
 * Resolves only when ICANN answered 1000 (and, unless `confirm: false`, the status endpoint
 * confirmed); every other outcome throws a StrongroomError whose data carries the history.
 */
export async function submitReport(facts: DepositFacts, endpoint: IcannEndpoint, options: SubmitOptions = {}): Promise<SubmitResult> {
  const started = process.hrtime.bigint();
  checkFacts(facts);
  const base = parseBaseUrl(endpoint.baseUrl);
  const date = facts.watermark.slice(0, 10);
  const doc: Submission = {
    what: `the report of deposit ${facts.id} (${facts.tld}, resend ${facts.resend})`,
    method: 'PUT',
    url: endpointUrl(base, 'report', 'registry-escrow-report', facts.tld, facts.id),
    xml: rdeReportXml(facts, options),
    statusUrl: endpointUrl(base, 'info', 'report', 'registry-escrow-report', facts.tld, date),
    statusWhat: `for ${facts.tld} on ${date}`,
  };
  const done = await deliver(doc, endpoint.username ?? `${facts.tld}_ry`, endpoint.password, options);
  return { ...submissionResult(facts.tld, doc, done, options, started), id: facts.id, resend: facts.resend };
}

/**
 * The escrow agent's side (Spec 2 Part B §7.1–7.2): POST an rdeNotification document
 * (notification.ts) to `{base}/report/escrow-agent-notification/{tld}` and confirm it through
 * `HEAD {base}/info/report/escrow-agent-notification/{tld}/{repDate}`. The method and path are
 * those of python-rri and icann-client (rde-standards.md §3.10 marks them unverified against the
 * draft); the answers are handled exactly as for reports. The agent's user name is issued by
 * ICANN, so it is required.
 */
export async function submitNotification(tld: string, xml: string, repDate: string, endpoint: IcannEndpoint & { username: string }, options: Omit<SubmitOptions, 'crDate'> = {}): Promise<SubmissionResult> {
  const started = process.hrtime.bigint();
  const base = parseBaseUrl(endpoint.baseUrl);
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(tld)) throw new StrongroomError('REPORT_INVALID_ARGUMENT', `TLD "${tld}" is not a lower-case A-label`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(repDate)) throw new StrongroomError('REPORT_INVALID_ARGUMENT', `repDate "${repDate}" is not a date (YYYY-MM-DD)`);
  const doc: Submission = {
    what: `the ${tld} escrow notification of ${repDate}`,
    method: 'POST',
    url: endpointUrl(base, 'report', 'escrow-agent-notification', tld),
    xml,
    statusUrl: endpointUrl(base, 'info', 'report', 'escrow-agent-notification', tld, repDate),
    statusWhat: `for ${tld} on ${repDate}`,
  };
  return submissionResult(tld, doc, await deliver(doc, endpoint.username, endpoint.password, options), options, started);
}
