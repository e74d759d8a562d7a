/**
 * XML stage `schema` (Spec 2 Part A §8 step 4; RST rde-04 RDE_SCHEMA_VALIDATION_ERROR): the
 * deposit validated against the RFC 8909/9022 schemas by `xmllint --stream --schema`, the
 * streaming validator escrow agents use (stack.md §4.7). The decrypted XML is piped into
 * xmllint's standard input from the encrypted spool: it never touches the disk in clear.
 *
 * A second opinion next to Strongroom's own structure checker (structure.ts), which always runs:
 * the operator asks for it by giving the schema set (`--schema all-rde-deposit.xsd`; Strongroom
 * does not ship the official schemas). Without --schema it is NOT RUN and does not block a
 * PASS; asked for but without xmllint, it is NOT RUN and blocks.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { StrongroomError } from '../../common/errors.js';
import type { CheckStage } from './stage.js';

/** Validity errors reported one by one; more are counted in one last finding. */
const MAX_SCHEMA_FINDINGS = 200;

export function xmllintSchemaStage(schema: string | undefined): CheckStage {
  return {
    id: 'schema',
    title: 'Second opinion: xmllint --stream --schema (rde-04)',
    kind: 'xml',
    needs: ['plaintext', 'summary'],
    async run(ctx, emit) {
      if (!schema) return { notRun: 'no second opinion asked for (--schema <all-rde-deposit.xsd> runs xmllint too); the structure stage validates', blocking: false };
      if (!existsSync(schema)) throw new StrongroomError('FILE_NOT_FOUND', `schema ${schema} not found`, { location: schema });
      if (spawnSync('xmllint', ['--version']).error) return { notRun: 'xmllint is not installed (Debian package libxml2-utils)' };
      const child = spawn('xmllint', ['--noout', '--stream', '--schema', schema, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
      const where = String(ctx.facts.xmlName ?? ctx.input.key);
      let reported = 0;
      let more = 0;
      let pending = '';
      let failedLine = false;
      const onLine = (line: string): void => {
        if (/ fails to validate$/.test(line) || / validates$/.test(line)) {
          failedLine = / fails to validate$/.test(line);
          return;
        }
        const match = /^-:(\d+): (.*)$/.exec(line);
        if (!match) return;
        if (reported >= MAX_SCHEMA_FINDINGS) {
          more++;
          return;
        }
        reported++;
        emit({ code: 'RDE_SCHEMA_VALIDATION_ERROR', severity: 'error', location: `${where}:${match[1]}`, message: match[2]!.replace(/\s+/g, ' ').trim() });
      };
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) onLine(line);
      });
      const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
      child.stdin.on('error', () => undefined); // xmllint may stop reading early: its status says why
      for await (const chunk of ctx.plaintext!()) {
        if (child.stdin.destroyed) continue;
        if (!child.stdin.write(chunk)) await Promise.race([once(child.stdin, 'drain'), once(child.stdin, 'close')]);
      }
      child.stdin.end();
      const [status] = await exited;
      if (pending) onLine(pending);
      if (more > 0) emit({ code: 'RDE_SCHEMA_VALIDATION_ERROR', severity: 'error', location: where, message: `${more} more schema validity errors not listed` });
      if (status === 0) return;
      if ((status === 3 || status === 4) && (reported > 0 || failedLine)) {
        if (reported === 0) emit({ code: 'RDE_SCHEMA_VALIDATION_ERROR', severity: 'error', location: where, message: 'the deposit does not validate against the schemas' });
        return;
      }
      throw new StrongroomError('TOOL_MISSING', `xmllint exited with status ${status} without a validity verdict (schema unusable?)`);
    },
  };
}
