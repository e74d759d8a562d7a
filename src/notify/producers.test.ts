import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { writeFullDeposit } from '../deposit/full-deposit.js';
import { generateKeyPair, summarizeKey } from '../ryde/keys.js';
import { embeddedTestDb } from '../testing/databases.js';
import { FIXTURE_COUNTS, FIXTURE_WATERMARK, loadFixtureRegistry } from '../testing/fixture-registry.js';
import { parseNotifyEvent } from './events.js';
import { depositNotice, keyExpiryEvents } from './producers.js';
import { renderText } from './templates.js';

test('a deposit run becomes a notice with its id, type, counts, file size and timing, valid as an event', async (t) => {
  const { db } = await embeddedTestDb(t);
  await loadFixtureRegistry(db);
  const out = await mkdtemp(join(tmpdir(), 'sr-producers-'));
  t.after(() => rm(out, { recursive: true, force: true }));
  const result = await writeFullDeposit(db, { tld: 'example', outDir: out, watermark: FIXTURE_WATERMARK });
  const notice = depositNotice(result, { files: [{ name: 'example_2025-01-05_full_S1_R0.ryde', bytes: 777 }], timings: [{ stage: 'seal', seconds: 0.25 }], finishedAt: '2025-01-05T00:10:00Z' });
  assert.equal(notice.id, result.id);
  assert.equal(notice.type, 'FULL');
  assert.deepEqual(notice.counts, FIXTURE_COUNTS.example);
  assert.deepEqual(notice.files, [{ name: result.fileName, bytes: result.bytes }, { name: 'example_2025-01-05_full_S1_R0.ryde', bytes: 777 }]);
  assert.deepEqual(notice.timings.map((x) => x.stage), ['deposit', 'seal']);
  const event = parseNotifyEvent({ kind: 'deposit.succeeded', at: '2025-01-05T00:10:00Z', deposit: notice });
  assert.match(renderText(event).body, new RegExp(`Size {9}${result.bytes + 777} bytes`));
});

test('keys expiring within the window (or expired) become key.expiring events, soonest first; others none', async () => {
  const now = new Date('2026-01-10T00:00:00Z');
  const day = 86_400;
  const make = async (uid: string, expiresIn: number, created: Date) => {
    const { publicKey } = await generateKeyPair({ profile: 'rfc9580', uid, algorithm: 'ed25519', expiresIn, date: created });
    return summarizeKey(await openpgp.readKey({ armoredKey: publicKey }), { now });
  };
  const created = new Date('2026-01-01T00:00:00Z');
  const soon = await make('Registry <ry@registry.example>', 20 * day, created); // expires 2026-01-21: 11 days left
  const later = await make('Agent A <a@agent.example>', 365 * day, created); // a year: no event
  const gone = await make('Agent B <b@agent.example>', 5 * day, created); // expired 2026-01-06: 4 days ago
  const never = await make('Agent C <c@agent.example>', 0, created);
  const events = keyExpiryEvents(
    [
      { summary: soon, role: 'registry signing key', tlds: ['example', 'abc'] },
      { summary: later, role: 'escrow agent encryption key (a)', tlds: ['example'] },
      { summary: gone, role: 'escrow agent encryption key (b)', tlds: ['example'] },
      { summary: never, role: 'escrow agent encryption key (c)', tlds: ['example'] },
    ],
    now,
  );
  assert.deepEqual(
    events.map((e) => [e.key.role, e.daysLeft, e.key.expiresAt, e.tlds]),
    [
      ['escrow agent encryption key (b)', -4, '2026-01-06T00:00:00.000Z', ['example']],
      ['registry signing key', 11, '2026-01-21T00:00:00.000Z', ['abc', 'example']],
    ],
  );
  assert.equal(events[1]!.key.userId, 'Registry <ry@registry.example>');
  for (const e of events) parseNotifyEvent(JSON.parse(JSON.stringify(e)));
  assert.match(renderText(events[0]!).subject, /EXPIRED 4 day\(s\) ago/);
  assert.deepEqual(keyExpiryEvents([{ summary: soon, role: 'r', tlds: [] }], now, 10), [], 'outside a 10-day window');
});
