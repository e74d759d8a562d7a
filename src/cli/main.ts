/**
 * The `strongroom` command: registers every command module and runs commander.
 * Each command lives in its own file under src/cli/ and exports `register(program)`.
 */
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { exitStatusHelp, runProgram } from './command.js';
import { registerCommands } from './commands.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('strongroom')
    .description('Registry data escrow (RFC 8909/9022, ICANN Spec 2) and encrypted off-site PostgreSQL backups.')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride()
    .addHelpText('after', exitStatusHelp());
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await runProgram(buildProgram(), argv);
}
