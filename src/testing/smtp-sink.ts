/**
 * A real SMTP server process for tests (smtp-server, run by `startSmtpSink` as a child process
 * on a free loopback port). Each accepted message is written to the output directory as
 * `{n}.eml` (the raw message) and `{n}.json` (envelope and authenticated user), each under a
 * temporary name and renamed, so a reader never sees half a message.
 *
 * Behaviour, from the JSON in argv[2]: `user`/`password` require AUTH PLAIN/LOGIN with those
 * credentials (535 otherwise); `rejectRecipients` answers 550 to those RCPT TO; `tempFailures`
 * answers 451 to the first n DATA commands; `tlsKey`/`tlsCert` (PEM files) offer STARTTLS. On start it prints `{"port": n}` on stdout.
 */
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';

interface SinkOptions {
  dir: string;
  user?: string;
  password?: string;
  rejectRecipients?: string[];
  tempFailures?: number;
  /** PEM files: offer STARTTLS with this key and certificate. */
  tlsKey?: string;
  tlsCert?: string;
}

function smtpError(message: string, responseCode: number): Error {
  return Object.assign(new Error(message), { responseCode });
}

const options = JSON.parse(process.argv[2] ?? '{}') as SinkOptions;
let sequence = 0;
let tempFailures = options.tempFailures ?? 0;

const server = new SMTPServer({
  secure: false,
  disabledCommands: [...(options.tlsKey === undefined ? ['STARTTLS'] : []), ...(options.user === undefined ? ['AUTH'] : [])],
  ...(options.tlsKey !== undefined && options.tlsCert !== undefined ? { key: readFileSync(options.tlsKey), cert: readFileSync(options.tlsCert) } : {}),
  allowInsecureAuth: true,
  authOptional: options.user === undefined,
  authMethods: ['PLAIN', 'LOGIN'],
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === options.user && auth.password === options.password) callback(null, { user: auth.username });
    else callback(smtpError('Authentication credentials invalid', 535));
  },
  onRcptTo(address, _session, callback) {
    if (options.rejectRecipients?.includes(address.address)) callback(smtpError(`No such mailbox ${address.address}`, 550));
    else callback();
  },
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (tempFailures > 0) {
        tempFailures--;
        callback(smtpError('Try again later', 451));
        return;
      }
      const n = String(++sequence).padStart(4, '0');
      const envelope = {
        mailFrom: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address,
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
        user: session.user ?? null,
        secure: session.secure,
      };
      const write = async () => {
        await writeFile(join(options.dir, `.${n}.eml.tmp`), Buffer.concat(chunks));
        await rename(join(options.dir, `.${n}.eml.tmp`), join(options.dir, `${n}.eml`));
        await writeFile(join(options.dir, `.${n}.json.tmp`), JSON.stringify(envelope));
        await rename(join(options.dir, `.${n}.json.tmp`), join(options.dir, `${n}.json`));
      };
      write().then(
        () => callback(),
        (err: Error) => callback(err),
      );
    });
  },
});

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
