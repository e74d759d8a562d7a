/**
 * Verifying deposits: given as files (`inputsFromFiles`) or stored in the repository
 * (`verifyStored`, which also records the result: the JSON and text reports and the
 * rdeNotification (DVPN/DVFN, src/reporting) next to the deposit in the repository, the
 * catalog's status and header facts, and a 'verify' audit entry).
 */
import { basename, join, relative } from 'node:path';
import { StrongroomError } from '../common/errors.js';
import { groupDepositFiles } from '../ryde/decoder.js';
import { depositKey, parseDepositName } from '../ryde/naming.js';
import type { AgentContext } from './context.js';
import { depositNotificationXml } from '../reporting/notification.js';
import type { DepositRow } from './catalog.js';
import type { ChainBase, DepositInput } from './verify/stage.js';
import { reportText, verifyDeposit, type VerifyOptions, type VerifyReport } from './verify/verify.js';

/** Group .ryde/.sig files into deposits (RYDE_PART_MISSING etc. when incomplete). */
export function inputsFromFiles(files: readonly string[]): DepositInput[] {
  return groupDepositFiles(files).map((group) => ({
    name: group.name,
    key: depositKey(group.name),
    parts: [...group.parts.keys()].sort((a, b) => a - b).map((part) => ({ part, ryde: group.parts.get(part)!, sig: group.sigs.get(part)! })),
  }));
}

/** The deposit as stored: its objects in the repository under their original part numbers. */
export async function storedInput(agent: AgentContext, key: string): Promise<DepositInput> {
  const deposit = await agent.catalog.depositByKey(key);
  if (!deposit) throw new StrongroomError('AGENT_NOT_FOUND', `no deposit ${key} in the catalog`);
  if (deposit.deleted_at) throw new StrongroomError('AGENT_NOT_FOUND', `deposit ${key} was deleted on ${deposit.deleted_at} (${deposit.delete_reason ?? ''})`);
  const files = await agent.catalog.files(key);
  const parts = new Map<number, { ryde?: string; sig?: string }>();
  for (const file of files) {
    if (!(await agent.repo.has(file.sha256))) throw new StrongroomError('AGENT_OBJECT_MISSING', `${file.name} (object ${file.sha256}) is missing from the repository`, { location: agent.repo.objectPath(file.sha256) });
    const entry = parts.get(file.part) ?? {};
    entry[file.kind] = agent.repo.objectPath(file.sha256);
    parts.set(file.part, entry);
  }
  const first = files.find((file) => file.part === 1 && file.kind === 'ryde');
  if (!first) throw new StrongroomError('AGENT_NOT_FOUND', `deposit ${key} has no part 1 in the catalog`);
  const name = { ...parseDepositName(first.name), part: 1 };
  return {
    name: { tld: name.tld, date: name.date, type: name.type, rev: name.rev, part: 1 },
    key,
    parts: [...parts.entries()].sort(([a], [b]) => a - b).map(([part, entry]) => ({ part, ryde: entry.ryde!, sig: entry.sig! })),
  };
}

/**
 * The kept chain a DIFF of `tld` with `watermark` builds on, from the catalog: the last
 * verified FULL before the watermark, then every verified DIFF after it and before the
 * watermark, oldest first (of resends of one name, the latest verified revision). Deleted,
 * failed and unverified deposits are not links of the chain; BRDA (thin) deposits neither.
 */
export function chainBaseOf(agent: AgentContext): ChainBase {
  return async (tld, watermark, key) => {
    const at = Date.parse(watermark);
    const rows = (await agent.catalog.deposits({ tld }))
      .filter((row): row is DepositRow & { watermark: string } => row.status === 'verified' && row.deleted_at === null && row.watermark !== null && row.key !== key && row.type !== 'thin' && Date.parse(row.watermark) < at)
      .sort((a, b) => Date.parse(a.watermark) - Date.parse(b.watermark) || a.rev - b.rev);
    // One link per name (the latest verified resend).
    const byName = new Map<string, DepositRow & { watermark: string }>();
    for (const row of rows) byName.set(`${row.name_date}_${row.type}`, row);
    const links = [...byName.values()].sort((a, b) => Date.parse(a.watermark) - Date.parse(b.watermark));
    const full = links.map((row) => row.type).lastIndexOf('full');
    if (full < 0) return [];
    return Promise.all(links.slice(full).map((row) => storedInput(agent, row.key)));
  };
}

export interface StoredVerification {
  report: VerifyReport;
  /** Report files, relative to the repository: JSON, text, and the rdeNotification (DVPN/DVFN). */
  json: string;
  text: string;
  notification: string;
}

/** The rdeNotification deaName when none is configured. */
export const DEFAULT_DEA_NAME = 'Strongroom escrow agent';

/** Verify a stored deposit against the catalog's chain and record everything about it. */
export async function verifyStored(agent: AgentContext, key: string, options: Omit<VerifyOptions, 'catalog'> & { deaName?: string }): Promise<StoredVerification> {
  const input = await storedInput(agent, key);
  const received = (await agent.catalog.depositByKey(key))!.received_at;
  const report = await verifyDeposit(input, { ...options, catalog: agent.catalog, chainBase: chainBaseOf(agent), receivedAt: received });
  const finished = new Date(report.finishedAt);
  const run = (await agent.catalog.verificationCount(key)) + 1;
  const dir = agent.repo.reportDir(input.name.tld, key);
  const jsonPath = join(dir, `verify-${String(run).padStart(3, '0')}.json`);
  const textPath = join(dir, `verify-${String(run).padStart(3, '0')}.txt`);
  const text = reportText(report);
  const xmlRead = report.stages.some((stage) => stage.id === 'xml-wellformed' && stage.status === 'PASS');
  const lastFull = (await agent.catalog.deposits({ tld: input.name.tld, includeDeleted: true }))
    .filter((row) => row.type === 'full' && row.status === 'verified' && row.key !== key)
    .map((row) => row.name_date)
    .concat(report.status === 'PASS' && input.name.type === 'full' ? [input.name.date] : [])
    .sort()
    .at(-1);
  const notification = depositNotificationXml(report, { deaName: options.deaName ?? DEFAULT_DEA_NAME, ...(lastFull ? { lastFullDate: lastFull } : {}) });
  const xmlPath = join(dir, `verify-${String(run).padStart(3, '0')}.xml`);
  await agent.repo.writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  await agent.repo.writeFile(textPath, text);
  await agent.repo.writeFile(xmlPath, notification);
  const json = relative(agent.repo.root, jsonPath);
  await agent.catalog.recordVerification({
    key,
    status: report.status,
    startedAt: new Date(report.startedAt),
    finishedAt: finished,
    errors: report.summary.errors,
    warnings: report.summary.warnings,
    reportJson: json,
    reportText: relative(agent.repo.root, textPath),
    ...(xmlRead
      ? {
          header: {
            ...(report.deposit.id !== undefined ? { id: report.deposit.id } : {}),
            ...(report.deposit.prevId !== undefined ? { prevId: report.deposit.prevId } : {}),
            ...(report.deposit.watermark !== undefined ? { watermark: report.deposit.watermark } : {}),
            ...(report.deposit.resend !== undefined ? { resend: report.deposit.resend } : {}),
          },
        }
      : {}),
  });
  await agent.audit.append('verify', key, { status: report.status, errors: report.summary.errors, warnings: report.summary.warnings, report: basename(jsonPath) }, finished);
  return { report, json, text: relative(agent.repo.root, textPath), notification: relative(agent.repo.root, xmlPath) };
}
