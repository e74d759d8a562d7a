/**
 * `strongroom registry generate`: load a deterministic synthetic registry (src/generate).
 */
import { Option, type Command } from 'commander';
import { openDb } from '../db/open.js';
import { generateRegistry, type GenerateSummary } from '../generate/generate.js';
import { churnRegistry, CHURN_MIX, CHURN_MIX_STRESS, MAX_CHURN_CHANGES, parseChurnMix, type ChurnSummary } from '../generate/churn.js';
import { EDGE_DOMAIN_COUNT } from '../generate/edge-cases.js';
import { MAX_DOMAINS, Plan, type GenerateOptions, type HostModel } from '../generate/plan.js';
import { action, positiveInt, printResult, progressFor, withCommon, type CommonOptions } from './command.js';

interface GenerateCliOptions extends CommonOptions {
  db: string;
  tld: string;
  domains: number;
  seed: string;
  hostModel?: HostModel;
  asOf?: string;
}

function summaryText(s: GenerateSummary, where: string): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const o = s.objects;
  return [
    `generated TLD ${s.tld} into ${where}: host model ${s.hostModel}, data model ${s.dataModel}, seed "${s.seed}", as of ${s.asOf}`,
    `  registrars ${n(o.registrar)}  contacts ${n(o.contact)}  hosts ${n(o.host)}  domains ${n(o.domain)}  IDN tables ${n(o.idnTable)}  NNDN ${n(o.nndn)}  EPP parameters ${n(o.eppParams)}  policies ${n(o.policy)}`,
    `  ${n(s.totalRows)} rows in ${s.seconds.toFixed(2)} s (${n(s.rowsPerSecond)} rows/s; foreign keys: ${s.foreignKeys})`,
  ].join('\n');
}

interface ChurnCliOptions extends CommonOptions {
  db: string;
  tld?: string;
  changes: number;
  seed: string;
  at?: string;
  mix?: string;
}

function churnText(s: ChurnSummary, where: string): string {
  const ops = Object.entries(s.applied)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${op} ${n}`)
    .join(', ');
  return `applied ${s.changes} changes to TLD ${s.tld} in ${where} (seed "${s.seed}", last at ${s.at}) in ${s.seconds.toFixed(2)} s: ${ops}`;
}

export function register(program: Command): void {
  const group = program.command('registry').description('reference registries');
  withCommon(
    group
      .command('churn')
      .description('apply a deterministic, realistic random workload to a registry: creations, updates, host renames, transfers, renewals, deletions, re-registrations, contact updates; one transaction per change')
      .requiredOption('--db <db>', 'postgres:// URL, or the embedded database directory')
      .option('--tld <tld>', 'the TLD whose domains change (default: the only TLD in the database)')
      .requiredOption('--changes <n>', `number of changes (1..${MAX_CHURN_CHANGES.toLocaleString('en-US')})`, positiveInt('--changes'))
      .requiredOption('--seed <seed>', 'any string; the same seed on the same registry makes the same changes')
      .option('--at <date-time>', 'RFC 3339 time of the last change; change i of N is (N-1-i) ms earlier (default: now)')
      .option('--mix <mix>', 'operation weights: a named mix (default, stress) and/or operation=weight pairs overriding it, comma-separated')
      .addHelpText(
        'after',
        `
Default mix (relative weights): ${Object.entries(CHURN_MIX).map(([op, w]) => `${op} ${w}`).join(', ')}.
Mix "stress" (every hard case often): ${Object.entries(CHURN_MIX_STRESS).map(([op, w]) => `${op} ${w}`).join(', ')}.
Contacts and hosts keep a true "linked" status (one that lost its last link loses it).
Pin --at for reproducible data: the default moves with the clock.`,
      ),
  ).action(
    action(async (_options: unknown, cmd: Command) => {
      const options = cmd.optsWithGlobals<ChurnCliOptions>();
      const db = await openDb(options.db);
      try {
        const summary = await churnRegistry(db, {
          changes: options.changes,
          seed: options.seed,
          ...(options.tld ? { tld: options.tld } : {}),
          ...(options.at ? { at: options.at } : {}),
          ...(options.mix !== undefined ? { mix: parseChurnMix(options.mix) } : {}),
        });
        printResult(options, { database: db.description, ...summary }, () => churnText(summary, db.description));
      } finally {
        await db.close();
      }
    }),
  );
  withCommon(
    group
      .command('generate')
      .description('generate a deterministic synthetic registry for one TLD into the reference schema (one transaction: all or nothing)')
      .requiredOption('--db <db>', 'postgres:// URL, or a directory for the embedded database (created if missing); the schema is migrated first')
      .requiredOption('--tld <tld>', 'the TLD (A-label or U-label, no dot); it must have no objects yet')
      .requiredOption('--domains <n>', `number of domains, ${EDGE_DOMAIN_COUNT} edge cases included (${EDGE_DOMAIN_COUNT}..${MAX_DOMAINS.toLocaleString('en-US')})`, positiveInt('--domains'))
      .requiredOption('--seed <seed>', 'any string; the same seed gives the same registry')
      .addOption(new Option('--host-model <model>', 'name servers as host objects or as host attributes of domains').choices(['objects', 'attributes']))
      .option('--as-of <date-time>', 'RFC 3339 instant the registry is at: every creation and update before it, expiry after it (default: the start of the current UTC day)')
      .addHelpText(
        'after',
        `
The same --tld, --domains, --seed, --host-model and --as-of give byte-identical rows in the
embedded database and on a server. Pin --as-of for reproducible output: the default moves
every day. The host model defaults to "objects" (or the model of an existing TLD row).
A TLD that already has objects is refused (exit status 8).`,
      ),
  ).action(
    action(async (_options: unknown, cmd: Command) => {
      const options = cmd.optsWithGlobals<GenerateCliOptions>();
      const generate: GenerateOptions = {
        tld: options.tld,
        domains: options.domains,
        seed: options.seed,
        ...(options.hostModel ? { hostModel: options.hostModel } : {}),
        ...(options.asOf ? { asOf: options.asOf } : {}),
      };
      new Plan(generate); // bad arguments fail before the database is opened
      const db = await openDb(options.db);
      try {
        const summary = await generateRegistry(db, generate, progressFor(options));
        printResult(options, { database: db.description, ...summary }, () => summaryText(summary, db.description));
      } finally {
        await db.close();
      }
    }),
  );
}
