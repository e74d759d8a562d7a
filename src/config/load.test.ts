import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configProblems } from '../testing/config.js';
import { parseConfig } from './load.js';

const GOOD = `version: 1
state: /var/lib/strongroom
registries:
  example:
    tlds: [example, xn--80akhbyknj4f]
    destinations:
      agent:
        kind: sftp
        url: sftp://escrow@sftp.agent.example:2222/inbox
        purpose: escrow-agent
        consent: { granted: true, by: "J. Doe, CTO", date: 2026-11-01, reference: CCB-14 }
        hostKey: { fingerprints: ["SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"] }
        credentials: { privateKey: { file: keys/agent_ed25519 } }
        cooldown: 90m
      vault:
        kind: s3
        url: s3://registry-vault/deposits?endpoint=https://s3.example.net&region=eu-west-1
        purpose: own-offsite
        credentials:
          accessKeyId: { env: VAULT_KEY_ID }
          secretAccessKey: { file: /etc/strongroom/vault.secret }
        retentionDays: 90
      outbox:
        kind: directory
        url: /srv/outbox
        purpose: own-offsite
`;


describe('configuration file', () => {
  it('parses a complete file into typed sections (durations in ms, defaults filled)', () => {
    const loaded = parseConfig(GOOD, '/etc/strongroom.yaml');
    const example = loaded.config.registries.example!;
    assert.deepEqual(example.tlds, ['example', 'xn--80akhbyknj4f']);
    assert.equal(example.destinations.agent!.cooldown, 90 * 60_000);
    assert.equal(example.destinations.agent!.consent?.granted, true);
    assert.equal(example.destinations.vault!.retentionDays, 90);
    assert.equal(example.destinations.outbox!.consent, undefined, 'consent is optional in the file; sending is what is refused');
    assert.equal(loaded.baseDir, '/etc');
    assert.equal(loaded.where(['registries', 'example', 'destinations', 'vault']), '/etc/strongroom.yaml:15:7');
  });

  it('names the file, line, column and path of an unknown key (a typo never disables a setting silently)', () => {
    const text = GOOD.replace('        cooldown: 90m\n', '        cooldwn: 90m\n');
    assert.deepEqual(configProblems(text), ['/etc/strongroom.yaml:14:9 registries.example.destinations.agent.cooldwn: unknown key "cooldwn"']);
  });

  it('reports every problem at once, each at its line', () => {
    const text = GOOD.replace('kind: sftp', 'kind: ftp').replace('purpose: own-offsite\n        credentials', 'purpose: backup\n        credentials').replace('version: 1', 'version: 2');
    const found = configProblems(text);
    assert.equal(found.length, 3, found.join('\n'));
    assert.match(found[0]!, /^\/etc\/strongroom\.yaml:1:10 version: /);
    assert.match(found.find((p) => p.includes('.kind'))!, /^\/etc\/strongroom\.yaml:8:15 registries\.example\.destinations\.agent\.kind: /);
    assert.match(found.find((p) => p.includes('.purpose'))!, /^\/etc\/strongroom\.yaml:18:18 registries\.example\.destinations\.vault\.purpose: /);
  });

  it('requires a pinned host key and a private key for sftp, and refuses secrets written inline', () => {
    const noPin = GOOD.replace('        hostKey: { fingerprints: ["SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"] }\n', '');
    assert.match(configProblems(noPin).join('\n'), /agent\.hostKey: an sftp destination needs its host key pinned/);
    const inline = GOOD.replace('{ env: VAULT_KEY_ID }', 'AKIAEXAMPLE');
    assert.match(configProblems(inline).join('\n'), /:20:24 registries\.example\.destinations\.vault\.credentials\.accessKeyId: a secret reference/);
    const badUrl = GOOD.replace('url: /srv/outbox', 'url: sftp://x/outbox');
    assert.match(configProblems(badUrl).join('\n'), /outbox\.url: a directory destination needs a file: URL/);
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    assert.match(configProblems('version: 1\nregistries:\n  a: [\n')[0]!, /^\/etc\/strongroom\.yaml:\d+:\d+ /);
    assert.match(configProblems('version: 1\nversion: 1\nregistries: {}\n')[0]!, /^\/etc\/strongroom\.yaml:2:1 .*unique/i);
  });
});
