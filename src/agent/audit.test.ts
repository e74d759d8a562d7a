import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { embeddedTestDb, serverTestDb } from '../testing/databases.js';
import { tempDir } from '../ryde/testing/fixtures.js';
import { isStrongroomError } from '../common/errors.js';
import { AuditLog, verifyAudit } from './audit.js';
import { openAgent } from './context.js';
import { Repository } from './repository.js';

test('repository: objects are content-addressed, read-only, idempotent, and a wrong expected hash keeps nothing', async (t) => {
  const dir = tempDir(t, 'sr-agent-repo-');
  const repo = new Repository(dir);
  await repo.init();
  const data = Buffer.from('sealed bytes as received');
  const sha = createHash('sha256').update(data).digest('hex');
  const first = await repo.put([data][Symbol.iterator]() as unknown as AsyncIterable<Buffer>);
  assert.deepEqual(first, { sha256: sha, size: data.length, created: true });
  assert.equal(statSync(repo.objectPath(sha)).mode & 0o777, 0o444);
  const again = await repo.put((async function* () { yield data; })());
  assert.equal(again.created, false);
  assert.ok(await repo.check(sha));
  await assert.rejects(
    repo.put((async function* () { yield Buffer.from('other'); })(), sha),
    (err: unknown) => isStrongroomError(err, 'AGENT_OBJECT_MISMATCH'),
  );
  // Nothing left behind: one object, no temporaries.
  assert.deepEqual(readdirSync(join(dir, 'objects', 'incoming')), []);
  assert.deepEqual(readdirSync(join(dir, 'objects', 'sha256', sha.slice(0, 2))), [sha]);
  await repo.writeFile(join(dir, 'reports', 'x.txt'), 'one');
  await assert.rejects(repo.writeFile(join(dir, 'reports', 'x.txt'), 'two'), (err: unknown) => isStrongroomError(err, 'AGENT_TARGET_EXISTS'));
  assert.equal(readFileSync(join(dir, 'reports', 'x.txt'), 'utf8'), 'one');
});

async function auditScenario(t: import('node:test').TestContext, dbSpec: string): Promise<void> {
  const dir = tempDir(t, 'sr-agent-audit-');
  const agent = await openAgent({ repo: dir, db: dbSpec });
  t.after(() => agent.db.close());
  const at = new Date('2026-01-05T10:00:00Z');
  await agent.audit.append('receive', 'example_2026-01-04_full_R0', { files: 2 }, at);
  await agent.audit.append('verify', 'example_2026-01-04_full_R0', { status: 'PASS' }, at);
  await agent.audit.append('delete', 'example_2025-12-01_full_R0', { reason: 'retention' }, at);
  await agent.audit.append('release', 'REL-1', { approvers: ['ann', 'bob'] }, at);
  const clean = await verifyAudit(agent.audit, agent.catalog);
  assert.deepEqual(clean, { ok: true, entries: 4, findings: [] });

  const original = readFileSync(agent.audit.path, 'utf8');
  const lines = original.trimEnd().split('\n');
  const codes = async (text: string): Promise<string[]> => {
    writeFileSync(agent.audit.path, text);
    const verdict = await verifyAudit(new AuditLog(agent.audit.path), agent.catalog);
    assert.equal(verdict.ok, false);
    return [...new Set(verdict.findings.map((finding) => finding.code))].sort();
  };
  // An edited field (the hash no longer matches, nothing else changed).
  assert.deepEqual(await codes(original.replace('"status":"PASS"', '"status":"FAIL"')), ['AUDIT_ENTRY_ALTERED']);
  // A deleted line in the middle.
  assert.deepEqual(await codes(`${[lines[0], lines[2], lines[3]].join('\n')}\n`), ['AUDIT_CHAIN_BROKEN', 'AUDIT_SEQUENCE_BROKEN']);
  // Two lines swapped.
  assert.deepEqual(await codes(`${[lines[0], lines[2], lines[1], lines[3]].join('\n')}\n`), ['AUDIT_CHAIN_BROKEN', 'AUDIT_SEQUENCE_BROKEN']);
  // The last line cut off: the chain is intact, the catalog's head says otherwise.
  assert.deepEqual(await codes(`${lines.slice(0, 3).join('\n')}\n`), ['AUDIT_HEAD_MISMATCH']);
  // A line rewritten with a recomputed hash still breaks the next line's link.
  const forged = JSON.parse(lines[1]!) as Record<string, unknown>;
  forged.details = { status: 'FAIL' };
  const { entryHash } = await import('./audit.js');
  const { hash: _old, ...body } = forged as { hash: string } & Parameters<typeof entryHash>[0];
  void _old;
  const reforged = JSON.stringify({ ...body, hash: entryHash(body) });
  assert.deepEqual(await codes(`${[lines[0], reforged, lines[2], lines[3]].join('\n')}\n`), ['AUDIT_CHAIN_BROKEN']);
  writeFileSync(agent.audit.path, original);
  assert.equal((await verifyAudit(agent.audit, agent.catalog)).ok, true);
}

test('audit log: edits, deletions, reordering and truncation are detected (embedded catalog)', async (t) => {
  const { spec } = await embeddedTestDb(t, { migrate: false });
  await auditScenario(t, spec);
});

test('audit log on a server catalog; concurrent appends keep one chain', async (t) => {
  const server = await serverTestDb(t, { migrate: false });
  if (!server) return;
  await auditScenario(t, server.spec);
  const dir = tempDir(t, 'sr-agent-audit2-');
  const agent = await openAgent({ repo: dir, db: server.spec });
  t.after(() => agent.db.close());
  await Promise.all(Array.from({ length: 20 }, (_, n) => agent.audit.append('receive', `d${n}`)));
  const verdict = await verifyAudit(agent.audit, agent.catalog);
  assert.deepEqual(verdict, { ok: true, entries: 20, findings: [] });
});
