/**
 * Start the SMTP sink (smtp-sink.ts) as a separate process for one test, and read what it
 * received. The process and its directory are removed when the test ends.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';

export interface SinkSettings {
  user?: string;
  password?: string;
  rejectRecipients?: string[];
  tempFailures?: number;
  tlsKey?: string;
  tlsCert?: string;
}

export interface ReceivedMessage {
  mailFrom: string | null;
  rcptTo: string[];
  user: string | null;
  /** The session ran over TLS (STARTTLS). */
  secure: boolean;
  raw: string;
  headers: Record<string, string>;
  /** The decoded text body. */
  text: string;
}

export interface SmtpSink {
  port: number;
  pid: number;
  messages(): Promise<ReceivedMessage[]>;
}

/** Decode a quoted-printable body (RFC 2045 §6.7). */
function decodeQuotedPrintable(body: string): string {
  const bytes = Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1');
  return bytes.toString('utf8');
}

function parseMessage(raw: string): { headers: Record<string, string>; text: string } {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.slice(split + 4);
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') body = decodeQuotedPrintable(body);
  else if (encoding === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
  return { headers, text: body.replace(/\r\n/g, '\n') };
}

/** Decode an RFC 2047 encoded-word header (=?UTF-8?Q?…?= / =?UTF-8?B?…?=). */
export function decodeHeader(value: string): string {
  return value.replace(/=\?utf-8\?([QB])\?([^?]*)\?=\s*/gi, (_, kind: string, text: string) =>
    kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : decodeQuotedPrintable(text.replace(/_/g, ' ')),
  );
}

export async function startSmtpSink(t: TestContext, settings: SinkSettings = {}): Promise<SmtpSink> {
  const dir = await mkdtemp(join(tmpdir(), 'sr-smtp-'));
  const script = fileURLToPath(new URL('./smtp-sink.js', import.meta.url));
  const child = spawn(process.execPath, [script, JSON.stringify({ dir, ...settings })], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the SMTP sink exited with ${code} before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    port,
    pid: child.pid!,
    async messages() {
      const names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
      const out: ReceivedMessage[] = [];
      for (const name of names) {
        const envelope = JSON.parse(await readFile(join(dir, name), 'utf8')) as { mailFrom: string | null; rcptTo: string[]; user: string | null; secure: boolean };
        const raw = await readFile(join(dir, name.replace(/\.json$/, '.eml')), 'utf8');
        out.push({ ...envelope, raw, ...parseMessage(raw) });
      }
      return out;
    },
  };
}
