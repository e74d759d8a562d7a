/**
 * Test-only builders for the agent: deposit XML derived from the official RFC 8909/9022
 * samples (read from ../shared, never copied), sealed for real with src/ryde into .ryde/.sig
 * files, with test keys written to files as the CLI takes them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sealDeposit, type SealResult } from '../../ryde/encoder.js';
import { profile } from '../../ryde/profiles.js';
import { testKeys, type TestKeys } from '../../ryde/testing/fixtures.js';
import { SAMPLES_DIR } from '../../testing/paths.js';
import type { DepositKind } from '../../ryde/naming.js';

export interface SampleOptions {
  /** Deposit type in the XML. */
  type: 'FULL' | 'DIFF' | 'INCR';
  /** YYYY-MM-DD: the watermark is midnight UTC of this day. */
  date: string;
  id: string;
  prevId?: string;
  resend?: number;
  /** Edit the XML text last (to inject faults). */
  mutate?: (xml: string) => string;
}

/**
 * A deposit of TLD `test` from the RFC sample of its type: FULL from example-full.xml (2
 * domains, 2 hosts, 2 contacts …), DIFF/INCR from example-diff.xml (one delete, header only,
 * rdeContact added to its menu).
 */
export function sampleXml(options: SampleOptions): string {
  const file = options.type === 'FULL' ? 'example-full.xml' : 'example-diff.xml';
  let xml = readFileSync(join(SAMPLES_DIR, file), 'utf8');
  const attributes = `type="${options.type}" id="${options.id}"${options.prevId ? ` prevId="${options.prevId}"` : ''}${options.resend ? ` resend="${options.resend}"` : ''}`;
  xml = xml.replace(/<rde:deposit type="\w+" id="\w+"(?: prevId="\w+")?/, `<rde:deposit ${attributes}`);
  if (options.type !== 'FULL') {
    // The RFC sample DIFF counts contacts without listing rdeContact in its menu (ICANN RST
    // rde-05 would flag it): list it, so the DIFF is clean unless a test breaks it.
    xml = xml.replace('<rde:objURI>urn:ietf:params:xml:ns:rdeHost-1.0</rde:objURI>', '<rde:objURI>urn:ietf:params:xml:ns:rdeHost-1.0</rde:objURI>\n    <rde:objURI>urn:ietf:params:xml:ns:rdeContact-1.0</rde:objURI>');
  }
  xml = xml.replace(/<rde:watermark>[^<]*<\/rde:watermark>/, `<rde:watermark>${options.date}T00:00:00Z</rde:watermark>`);
  return options.mutate ? options.mutate(xml) : xml;
}

export interface AgentTestKeys {
  keys: TestKeys;
  /** The agent's secret key file. */
  agentKey: string;
  /** The registry's public key file. */
  registryPub: string;
  /** The agent's public key file (a wrong signer). */
  agentPub: string;
}

export async function agentKeys(dir: string): Promise<AgentTestKeys> {
  const keys = await testKeys('rfc4880', 'ed25519');
  const agentKey = join(dir, 'agent.key.asc');
  const registryPub = join(dir, 'registry.pub.asc');
  const agentPub = join(dir, 'agent.pub.asc');
  writeFileSync(agentKey, keys.agent.secretArmored, { mode: 0o600 });
  writeFileSync(registryPub, keys.registry.publicArmored);
  writeFileSync(agentPub, keys.agent.publicArmored);
  return { keys, agentKey, registryPub, agentPub };
}

/** Seal `xml` as `{tld}_{date}_{type}_S{n}_R{rev}` into `outDir`. */
export async function sealXml(
  keys: TestKeys,
  outDir: string,
  name: { tld: string; date: string; type: DepositKind; rev?: number },
  xml: string | Buffer,
  options: { splitSize?: number } = {},
): Promise<SealResult> {
  const data = Buffer.from(xml);
  return sealDeposit(
    { name: { tld: name.tld, date: name.date, type: name.type, rev: name.rev ?? 0, part: 1 }, size: data.length, source: [data] },
    {
      outDir,
      signingKey: keys.signing,
      recipients: [keys.recipient],
      profile: profile('rfc4880'),
      ...(options.splitSize ? { splitSize: options.splitSize } : {}),
      signedAt: new Date(Date.now() - 60_000),
    },
  );
}

/** The .ryde and .sig paths of a sealed deposit. */
export function sealedFiles(result: SealResult): string[] {
  return result.parts.flatMap((part) => [part.ryde, part.sig]);
}
