import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isStrongroomError } from '../common/errors.js';
import { parseConfig } from '../config/load.js';
import { bufferBody } from './contract-suite.js';
import { openDestination } from './destinations.js';

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function setup(consent: string) {
  const dir = await mkdtemp(join(tmpdir(), 'sr-destinations-'));
  dirs.push(dir);
  const text = `version: 1
state: ${join(dir, 'state')}
registries:
  example:
    tlds: [example, test]
    destinations:
      agent:
        kind: directory
        url: ${join(dir, 'agent')}
        purpose: escrow-agent
${consent}
      copy:
        kind: directory
        url: copy
        purpose: own-offsite
`;
  await writeFile(join(dir, 'strongroom.yaml'), text);
  return { dir, loaded: parseConfig(text, join(dir, 'strongroom.yaml')) };
}

const CONSENTED = '        consent: { granted: true, by: "registry CTO", date: 2026-11-01 }';

describe('destinations: consent, sealed files only, cooldown', () => {
  it('refuses a destination without recorded consent, saying why and where to record it', async () => {
    const { loaded, dir } = await setup('');
    await assert.rejects(openDestination(loaded, 'copy'), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'DESTINATION_NOT_CONSENTED'));
      assert.equal(err.category, 'refused');
      assert.match(err.message, /no consent is recorded/);
      assert.match(err.message, /strongroom\.yaml:12:7/);
      return true;
    });
    assert.equal(existsSync(join(dir, 'copy')), false);
  });

  it('refuses consent recorded as not granted', async () => {
    const { loaded } = await setup('        consent: { granted: false, by: "CCB", date: 2026-11-02, reference: "CCB-15: declined" }');
    await assert.rejects(openDestination(loaded, 'example/agent'), (err: unknown) => isStrongroomError(err, 'DESTINATION_NOT_CONSENTED') && /not granted \(by CCB on 2026-11-02\)/.test(err.message));
  });

  it('an escrow agent gets only .ryde and .sig files with Spec 2 names', async () => {
    const { loaded, dir } = await setup(CONSENTED);
    const { transport } = await openDestination(loaded, 'agent');
    for (const name of ['example_2026-11-22_full_S1_R0.xml', 'example_2026-11-22_full_S1_R0.tar', 'example_2026-11-22_full_S1_R0.ryde.sha256', 'notes.ryde', 'dump.sql']) {
      const body = bufferBody(Buffer.from('plaintext'));
      await assert.rejects(transport.put(name, body), (err: unknown) => isStrongroomError(err, 'DESTINATION_FILE_REFUSED'), name);
      assert.equal(body.opens, 0);
    }
    await transport.put('example_2026-11-22_full_S1_R0.ryde', bufferBody(randomBytes(100)));
    await transport.put('example_2026-11-22_full_S1_R0.sig', bufferBody(randomBytes(10)));
    assert.deepEqual((await readdir(join(dir, 'agent'))).sort(), ['example_2026-11-22_full_S1_R0.ryde', 'example_2026-11-22_full_S1_R0.sig']);
  });

  it('one deposit per TLD per cooldown; the state survives a restart; other TLDs and later times pass', async () => {
    const { loaded } = await setup(`${CONSENTED}\n        cooldown: 2h`);
    let now = new Date('2026-11-22T00:05:00Z');
    const clock = { now: () => now };
    const first = await openDestination(loaded, 'agent', clock);
    await first.transport.put('example_2026-11-22_full_S1_R0.ryde', bufferBody(randomBytes(100)));
    await first.transport.put('example_2026-11-22_full_S2_R0.ryde', bufferBody(randomBytes(100)));
    await first.transport.put('example_2026-11-22_full_S1_R0.sig', bufferBody(randomBytes(10)));
    await first.transport.put('test_2026-11-22_full_S1_R0.ryde', bufferBody(randomBytes(100)));
    // A restart: a new process opens the destination again.
    now = new Date('2026-11-22T01:00:00Z');
    const second = await openDestination(loaded, 'agent', clock);
    await assert.rejects(second.transport.put('example_2026-11-22_diff_S1_R0.ryde', bufferBody(randomBytes(100))), (err: unknown) => {
      assert.ok(isStrongroomError(err, 'TRANSPORT_COOLDOWN'));
      assert.equal(err.data?.nextAllowed, '2026-11-22T02:05:00.000Z');
      assert.match(err.message, /example_2026-11-22_full_R0/);
      return true;
    });
    now = new Date('2026-11-22T02:05:01Z');
    await second.transport.put('example_2026-11-22_diff_S1_R0.ryde', bufferBody(randomBytes(100)));
  });
});
