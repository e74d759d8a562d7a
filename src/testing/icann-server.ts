/**
 * A local HTTP peer that behaves like ICANN's registry-interfaces escrow-report API (test only).
 *
 * It is a real HTTP server on 127.0.0.1: it checks Basic credentials (`{tld}_ry` per TLD),
 * validates each PUT body with `xmllint` against the official report schemas (../shared),
 * applies the draft's rules and answers each with its iirdea result code (1000, 2001–2212, the
 * list of rde-standards.md §3.10), stores accepted reports, and answers the HEAD status endpoint
 * from what it stored. The escrow agent's side is there too: POST of rdeNotification documents
 * to /report/escrow-agent-notification/{tld} with the agent's account, and its status endpoint.
 * A script of faults (HTTP errors, forced codes, dropped connections) is
 * consumed one entry per PUT before the rules apply, to inject failures.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SaxesParser } from 'saxes';
import { iirdeaResponseXml, REPORT_RESULT_CODES } from '../reporting/iirdea.js';
import { REPORT_SCHEMA } from './paths.js';

const NS_REPORT = 'urn:ietf:params:xml:ns:rdeReport-1.0';
const NS_HEADER = 'urn:ietf:params:xml:ns:rdeHeader-1.0';
const NS_CSV_DOMAIN = 'urn:ietf:params:xml:ns:csvDomain-1.0';
const NS_RDE_DOMAIN = 'urn:ietf:params:xml:ns:rdeDomain-1.0';

/** One scripted answer to the next PUT. */
export type Fault = { http: number; retryAfter?: string } | { code: number; httpStatus?: number; description?: string } | { drop: true };

export interface IcannServerOptions {
  /** TLD → password of `{tld}_ry`. */
  credentials: Record<string, string>;
  /** TLDs whose interface is disabled (2007). */
  disabled?: string[];
  /** TLD → creation date-time (2008 for reports dated before it). */
  tldCreated?: Record<string, string>;
  /** TLDs that expect a FULL next (a DIFF is then 2205). */
  expectFull?: string[];
  /** `{tld}/{id}` of reports whose cut-off has passed (2002 when sent again). */
  closed?: string[];
  /** Status checks answered 404 before stored reports show (a lagging status endpoint). */
  statusLag?: number;
  /** Answer rejections with HTTP 200 instead of 400 (icann-client saw both). */
  rejectWith200?: boolean;
  /** The server's clock (2004 "in the future"). */
  now?: () => number;
  /** The escrow agent's account: may POST notifications for every TLD of `credentials`. */
  agent?: { user: string; password: string };
}

export interface StoredNotification {
  tld: string;
  xml: string;
  status: string;
  repDate: string;
}

export interface StoredReport {
  tld: string;
  id: string;
  xml: string;
  watermark: string;
  resend: number;
}

export interface RequestLog {
  method: string;
  path: string;
  user: string | null;
  answered: number | 'dropped';
  code?: number;
}

interface ParsedReport {
  id: string;
  version: string;
  kind: string;
  watermark: string;
  crDate: string;
  resend: string;
  tld: string | null;
  counts: Array<{ uri: string; count: string; rcdn?: string; registrarId?: string }>;
}

function parseReport(xml: string): ParsedReport {
  const parser = new SaxesParser({ xmlns: true });
  const r: ParsedReport = { id: '', version: '', kind: '', watermark: '', crDate: '', resend: '', tld: null, counts: [] };
  let text = '';
  let countAttrs: Record<string, string> = {};
  parser.on('opentag', (tag) => {
    text = '';
    if (tag.uri === NS_HEADER && tag.local === 'count') countAttrs = Object.fromEntries(Object.values(tag.attributes).map((a) => [a.local, a.value]));
  });
  parser.on('text', (t) => (text += t));
  parser.on('closetag', (tag) => {
    const value = text.trim();
    if (tag.uri === NS_REPORT && tag.local in r && tag.local !== 'counts' && tag.local !== 'tld') (r as unknown as Record<string, string>)[tag.local] = value;
    if (tag.uri === NS_HEADER && tag.local === 'tld') r.tld = value;
    if (tag.uri === NS_HEADER && tag.local === 'count') r.counts.push({ uri: countAttrs.uri ?? '', count: value, ...(countAttrs.rcdn ? { rcdn: countAttrs.rcdn } : {}), ...(countAttrs.registrarId ? { registrarId: countAttrs.registrarId } : {}) });
    text = '';
  });
  parser.write(xml).close();
  return r;
}

function parseNotification(xml: string): { root: string; version: string; status: string; repDate: string; headerTld: string | null } {
  const parser = new SaxesParser({ xmlns: true });
  const n = { root: '', version: '', status: '', repDate: '', headerTld: null as string | null };
  let depth = 0;
  let text = '';
  parser.on('opentag', (tag) => {
    depth++;
    text = '';
    if (depth === 1) n.root = tag.local;
  });
  parser.on('text', (t) => (text += t));
  parser.on('closetag', (tag) => {
    const value = text.trim();
    if (depth === 2 && tag.local === 'version') n.version = value;
    if (depth === 2 && tag.local === 'status') n.status = value;
    if (depth === 2 && tag.local === 'repDate') n.repDate = value;
    if (tag.uri === NS_HEADER && tag.local === 'tld') n.headerTld = value;
    text = '';
    depth--;
  });
  parser.write(xml).close();
  return n;
}

/** xmllint --schema on a document given on stdin: null when valid, else its messages. */
function schemaErrors(xml: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', ['--noout', '--schema', REPORT_SCHEMA, '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve(status === 0 ? null : output.trim()));
    child.stdin.end(xml);
  });
}

export class IcannTestServer {
  readonly reports = new Map<string, StoredReport>();
  readonly notifications: StoredNotification[] = [];
  readonly log: RequestLog[] = [];
  readonly faults: Fault[] = [];
  private statusChecks = 0;
  private server: Server | null = null;
  baseUrl = '';

  constructor(readonly options: IcannServerOptions) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private user(req: IncomingMessage): { user: string; password: string } | null {
    const header = req.headers.authorization ?? '';
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (!m) return null;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }

  private authorised(tld: string, creds: { user: string; password: string } | null): boolean {
    const expected = this.options.credentials[tld];
    return creds !== null && expected !== undefined && creds.user === `${tld}_ry` && creds.password === expected;
  }

  private answer(res: ServerResponse, entry: RequestLog, code: number, description?: string, httpStatus?: number): void {
    const msg = REPORT_RESULT_CODES[code]?.msg ?? 'Unknown result';
    const status = httpStatus ?? (code === 1000 || this.options.rejectWith200 ? 200 : 400);
    entry.answered = status;
    entry.code = code;
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' });
    res.end(iirdeaResponseXml({ code, msg, ...(description ? { description } : {}) }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const creds = this.user(req);
    const entry: RequestLog = { method: req.method ?? '', path, user: creds?.user ?? null, answered: 0 };
    this.log.push(entry);
    const segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);

    if (segments[0] === 'info' && segments[1] === 'report' && segments[2] === 'registry-escrow-report' && segments.length === 5) {
      const [, , , tld, date] = segments as [string, string, string, string, string];
      if (!this.authorised(tld, creds)) return this.unauthorised(res, entry);
      if (req.method !== 'HEAD' && req.method !== 'GET') return this.status(res, entry, 405);
      this.statusChecks++;
      const found = [...this.reports.values()].some((r) => r.tld === tld && r.watermark.slice(0, 10) === date);
      return this.status(res, entry, found && this.statusChecks > (this.options.statusLag ?? 0) ? 200 : 404);
    }
    if (segments[0] === 'info' && segments[1] === 'report' && segments[2] === 'escrow-agent-notification' && segments.length === 5) {
      const [, , , tld, date] = segments as [string, string, string, string, string];
      if (!this.agentAuthorised(tld, creds)) return this.unauthorised(res, entry);
      if (req.method !== 'HEAD' && req.method !== 'GET') return this.status(res, entry, 405);
      return this.status(res, entry, this.notifications.some((n) => n.tld === tld && n.repDate === date) ? 200 : 404);
    }
    if (segments[0] === 'report' && segments[1] === 'escrow-agent-notification' && segments.length === 3) {
      const tld = segments[2]!;
      if (req.method !== 'POST') return this.status(res, entry, 405);
      if (!this.agentAuthorised(tld, creds)) return this.unauthorised(res, entry);
      const fault = this.faults.shift();
      if (fault !== undefined && this.injected(fault, req, res, entry)) return;
      const invalid = await schemaErrors(body);
      if (invalid !== null) return this.answer(res, entry, 2001, invalid.split('\n')[0]);
      const n = parseNotification(body);
      if (n.root !== 'notification') return this.answer(res, entry, 2001, `root element ${n.root}`);
      if (n.version !== '1') return this.answer(res, entry, 2005);
      if (n.headerTld !== null && n.headerTld !== tld) return this.answer(res, entry, 2202, `URL ${tld}, header ${n.headerTld}`);
      if (Date.parse(`${n.repDate}T00:00:00Z`) > (this.options.now?.() ?? Date.now())) return this.answer(res, entry, 2004);
      this.notifications.push({ tld, xml: body, status: n.status, repDate: n.repDate });
      return this.answer(res, entry, 1000);
    }
    if (segments[0] !== 'report' || segments[1] !== 'registry-escrow-report' || segments.length !== 4) return this.status(res, entry, 404);
    if (req.method !== 'PUT') return this.status(res, entry, 405);
    const [, , tld, id] = segments as [string, string, string, string];
    if (!this.authorised(tld, creds)) return this.unauthorised(res, entry);

    const fault = this.faults.shift();
    if (fault !== undefined && this.injected(fault, req, res, entry)) return;

    if (!/^(?!-)[a-z0-9-]{1,63}(?<!-)$/.test(tld)) return this.answer(res, entry, 2212, `"${tld}" is not a valid label`);
    if (this.options.disabled?.includes(tld)) return this.answer(res, entry, 2007);
    const invalid = await schemaErrors(body);
    if (invalid !== null) return this.answer(res, entry, 2001, invalid.split('\n')[0]);
    const r = parseReport(body);
    if (r.version !== '1') return this.answer(res, entry, 2005, `version ${r.version}`);
    if (r.id !== id) return this.answer(res, entry, 2006, `URL id ${id}, report id ${r.id}`);
    if (r.tld === null || r.tld === '') return this.answer(res, entry, 2209);
    if (r.tld !== tld) return this.answer(res, entry, 2202, `URL ${tld}, header ${r.tld}`);
    if (r.counts.some((c) => Number(c.count) < 0)) return this.answer(res, entry, 2003);
    const now = this.options.now?.() ?? Date.now();
    if (Date.parse(r.watermark) > now || Date.parse(r.crDate) > now) return this.answer(res, entry, 2004);
    const created = this.options.tldCreated?.[tld];
    if (created !== undefined && Date.parse(r.watermark) < Date.parse(created)) return this.answer(res, entry, 2008);
    if (r.counts.some((c) => c.rcdn !== undefined)) return this.answer(res, entry, 2210);
    const keys = r.counts.map((c) => `${c.uri} ${c.rcdn ?? ''} ${c.registrarId ?? ''}`);
    if (new Set(keys).size !== keys.length) return this.answer(res, entry, 2211);
    if (r.counts.some((c) => c.uri === NS_CSV_DOMAIN) && r.counts.some((c) => c.uri === NS_RDE_DOMAIN)) return this.answer(res, entry, 2206);
    if (r.kind === 'DIFF' && this.options.expectFull?.includes(tld)) return this.answer(res, entry, 2205);
    if (this.options.closed?.includes(`${tld}/${id}`)) return this.answer(res, entry, 2002);
    this.reports.set(`${tld}/${id}`, { tld, id, xml: body, watermark: r.watermark, resend: Number(r.resend) });
    return this.answer(res, entry, 1000);
  }

  /** Answer a scripted fault; true when it was answered. */
  private injected(fault: Fault, req: IncomingMessage, res: ServerResponse, entry: RequestLog): boolean {
    if ('drop' in fault) {
      entry.answered = 'dropped';
      req.socket.destroy();
    } else if ('http' in fault) {
      res.writeHead(fault.http, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
      entry.answered = fault.http;
      res.end('scripted failure');
    } else this.answer(res, entry, fault.code, fault.description, fault.httpStatus);
    return true;
  }

  private agentAuthorised(tld: string, creds: { user: string; password: string } | null): boolean {
    const agent = this.options.agent;
    return agent !== undefined && creds !== null && tld in this.options.credentials && creds.user === agent.user && creds.password === agent.password;
  }

  private unauthorised(res: ServerResponse, entry: RequestLog): void {
    entry.answered = 401;
    res.writeHead(401, { 'www-authenticate': 'Basic realm="ICANN registry interfaces"' });
    res.end();
  }

  private status(res: ServerResponse, entry: RequestLog, status: number): void {
    entry.answered = status;
    res.writeHead(status);
    res.end();
  }
}
