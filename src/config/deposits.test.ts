import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SPEC2_SCHEDULE } from '../scheduler/calendar.js';
import { depositSchedule } from './deposits.js';
import { configProblems } from '../testing/config.js';
import { parseConfig } from './load.js';

const GOOD = `version: 1
registries:
  example:
    tlds: [example]
    destinations:
      agent:
        kind: directory
        url: /srv/inbox
        purpose: escrow-agent
        consent: { granted: true, by: "J. Doe, CTO", date: 2026-11-01 }
    deposits:
      db: postgres://registry@db.internal/registry
      schedule: spec2
      brda: tue
      since: 2026-11-15
      sealing:
        key: keys/registry.key.asc
        passphrase: { file: keys/registry.pass }
        recipients: [keys/agent.pub.asc]
        splitSize: 2G
      deliverTo: [agent]
      icann: { baseUrl: "https://ry-api.icann.org", password: { env: ICANN_PASSWORD } }
      notify:
        email: { host: smtp.example.net, from: sr@registry.example, to: [ops@registry.example] }
`;


describe('deposits section', () => {
  it('parses schedule, sealing, delivery, ICANN and notify settings with their defaults', () => {
    const deposits = parseConfig(GOOD, '/etc/strongroom.yaml').config.registries.example!.deposits!;
    assert.equal(deposits.sealing.splitSize, 2 * 1024 ** 3);
    assert.equal(deposits.sealing.profile, 'rfc4880');
    assert.equal(deposits.sealing.armor, false);
    assert.deepEqual(deposits.sealing.passphrase, { file: 'keys/registry.pass' });
    assert.deepEqual(deposits.retry, { base: 60_000, max: 3_600_000 });
    assert.deepEqual(depositSchedule(deposits), { ...SPEC2_SCHEDULE, thin: 'tue' });
    assert.equal(deposits.notify?.email?.port, 587);
  });

  it('takes a registry\'s own schedule and checks it', () => {
    const custom = GOOD.replace('schedule: spec2', 'schedule: { full: [sun, wed], diff: [mon, tue, thu, fri, sat], watermarkTime: "02:00" }');
    const deposits = parseConfig(custom, '/etc/strongroom.yaml').config.registries.example!.deposits!;
    assert.deepEqual(depositSchedule(deposits), { full: ['sun', 'wed'], diff: ['mon', 'tue', 'thu', 'fri', 'sat'], thin: 'tue', watermarkTime: '02:00', deadlineTime: '23:59' });
    const late = GOOD.replace('schedule: spec2', 'schedule: { full: [sun], watermarkTime: "23:59", deadlineTime: "01:00" }');
    assert.match(configProblems(late).join('\n'), /^\/etc\/strongroom\.yaml:\d+:\d+ registries\.example\.deposits\.schedule: schedule\.deadlineTime 01:00 must be after watermarkTime 23:59/m);
    const noFull = GOOD.replace('schedule: spec2', 'schedule: { full: [], diff: [mon] }');
    assert.match(configProblems(noFull).join('\n'), /deposits\.schedule/);
  });

  it('names the line and column of each problem: unknown keys, secrets written inline, unknown destinations, bad weekdays', () => {
    const text = GOOD.replace('        splitSize: 2G\n', '        splitSize: 2G\n        passwrd: x\n')
      .replace('passphrase: { file: keys/registry.pass }', 'passphrase: hunter2')
      .replace('brda: tue', 'brda: tuesday');
    const found = configProblems(text);
    assert.deepEqual(found.map((p) => p.split(' ').slice(0, 2).join(' ')), [
      '/etc/strongroom.yaml:14:13 registries.example.deposits.brda:',
      '/etc/strongroom.yaml:18:21 registries.example.deposits.sealing.passphrase:',
      '/etc/strongroom.yaml:21:9 registries.example.deposits.sealing.passwrd:',
    ]);
    assert.match(found[1]!, /a secret reference, \{ file: <path> \} or \{ env: <NAME> \}/);
    assert.doesNotMatch(found.join('\n'), /hunter2/, 'the inline secret is not repeated');
    const stranger = configProblems(GOOD.replace('deliverTo: [agent]', 'deliverTo: [agent, vault]'));
    assert.deepEqual(stranger, ['/etc/strongroom.yaml:21:26 registries.example.deposits.deliverTo.1: no destination "vault" in this registry (destinations: agent)']);
  });

  it('requires the sealing keys and a database', () => {
    const text = GOOD.replace('      db: postgres://registry@db.internal/registry\n', '').replace('        recipients: [keys/agent.pub.asc]\n', '');
    const found = configProblems(text);
    assert.ok(found.some((p) => /deposits\.db: /.test(p)), found.join('\n'));
    assert.ok(found.some((p) => /deposits\.sealing\.recipients: /.test(p)), found.join('\n'));
  });
});
