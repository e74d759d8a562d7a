/**
 * `strongroom demo`: the whole loop on a sample registry, needing nothing installed. So far:
 * generate a registry into an embedded database, write a FULL deposit of it. Later work adds
 * the next steps of the loop (seal, deliver, verify, rebuild) to `runDemo`.
 */
import type { Command } from 'commander';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EXIT_STATUS, StrongroomError } from '../common/errors.js';
import type { Progress } from '../common/progress.js';
import { EmbeddedDb } from '../db/embedded.js';
import { writeFullDeposit, type DepositResult } from '../deposit/full-deposit.js';
import { generateRegistry, type GenerateSummary } from '../generate/generate.js';
import { Plan, type GenerateOptions } from '../generate/plan.js';
import { depositSummary } from './deposit.js';
import { action, positiveInt, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface DemoOptions extends CommonOptions {
  dir?: string;
  tld: string;
  domains: number;
  seed: string;
  asOf?: string;
}

export interface DemoResult {
  dir: string;
  registry: { database: string } & GenerateSummary;
  deposit: DepositResult;
}

/** A fresh directory for the demo: the one given (which must be empty) or a new temporary one. */
async function demoDirectory(dir: string | undefined): Promise<string> {
  if (dir === undefined) return mkdtemp(join(tmpdir(), 'strongroom-demo-'));
  const path = resolve(dir);
  await mkdir(path, { recursive: true });
  if ((await readdir(path)).length > 0) {
    throw new StrongroomError('DEMO_DIR_NOT_EMPTY', `${path} is not empty; the demo writes into a new or empty directory only`, { location: path });
  }
  return path;
}

/** Run the demo: generate a registry into `dir/registry`, deposit it into `dir/deposits`. */
export async function runDemo(options: { dir?: string; generate: GenerateOptions; progress?: Progress }): Promise<DemoResult> {
  new Plan(options.generate); // bad arguments fail before anything is created
  const dir = await demoDirectory(options.dir);
  const db = await EmbeddedDb.open(join(dir, 'registry'));
  try {
    options.progress?.note(`demo: generating a registry of ${options.generate.domains} domains of .${options.generate.tld} into ${join(dir, 'registry')}`);
    const registry = await generateRegistry(db, options.generate, options.progress);
    const deposits = join(dir, 'deposits');
    await mkdir(deposits);
    options.progress?.note(`demo: writing a FULL deposit at the registry's moment ${registry.asOf}`);
    const deposit = await writeFullDeposit(db, {
      tld: registry.tld,
      outDir: deposits,
      watermark: registry.asOf,
      ...(options.progress ? { progress: options.progress } : {}),
    });
    return { dir, registry: { database: db.description, ...registry }, deposit };
  } finally {
    await db.close();
  }
}

function demoText(r: DemoResult): string {
  const registryDir = join(r.dir, 'registry');
  return [
    `Strongroom demo in ${r.dir}`,
    '',
    `1. A sample registry: .${r.registry.tld} with ${r.registry.objects.domain} domains, ${r.registry.objects.contact} contacts, ` +
      `${r.registry.objects.host} hosts and ${r.registry.objects.registrar} registrars (seed "${r.registry.seed}", as of ${r.registry.asOf}),`,
    `   in an embedded PostgreSQL database: ${registryDir}`,
    '',
    `2. A FULL escrow deposit of it (RFC 8909/9022 XML, ICANN Spec 2 name), from one snapshot:`,
    depositSummary(r.deposit)
      .split('\n')
      .map((line) => `   ${line}`)
      .join('\n'),
    '',
    'Try next:',
    `   xmllint --noout --stream --schema <RFC 9022 schemas>/all-rde-deposit.xsd ${r.deposit.file}`,
    `   strongroom deposit --db ${registryDir} --tld ${r.registry.tld} --type full --out ${join(r.dir, 'deposits')} --watermark ${r.registry.asOf} --resend 1`,
    `   (the same seed and --as-of give byte-identical files: SHA-256 ${r.deposit.sha256.slice(0, 16)}…)`,
  ].join('\n');
}

export function register(program: Command): void {
  withCommon(
    program
      .command('demo')
      .description('Generate a sample registry in an embedded database and write a FULL deposit of it, printing where everything is. Needs nothing installed.')
      .option('--dir <dir>', 'a new or empty directory to work in (default: a new temporary directory)')
      .option('--tld <tld>', 'the sample TLD', 'example')
      .option('--domains <n>', 'number of domains in the sample registry', positiveInt('--domains'), 1000)
      .option('--seed <seed>', 'generator seed: the same seed and --as-of give the same files', 'strongroom-demo')
      .option('--as-of <time>', 'the moment the registry is at and the deposit represents (default: the start of the current UTC day)'),
  ).action(
    action(async (options: DemoOptions) => {
      const generate: GenerateOptions = { tld: options.tld, domains: options.domains, seed: options.seed, ...(options.asOf ? { asOf: options.asOf } : {}) };
      const result = await runDemo({ ...(options.dir ? { dir: options.dir } : {}), generate, progress: progressFor(options) });
      printResult(options, result, () => demoText(result));
      return EXIT_STATUS.ok;
    }),
  );
}
