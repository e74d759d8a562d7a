/**
 * A light entry point with only the `pg` commands (`bin/strongroom-pg.js pg …`, same syntax as
 * `strongroom pg …`). PostgreSQL runs archive_command and restore_command once per WAL file, so
 * their start-up time adds up (a restore replays segment after segment): this entry loads
 * half of what the full CLI loads (measured: 1.1 s instead of 2.2 s per call on a busy 2-core
 * machine). `pg restore` configures restore_command with it.
 */
import { Command } from 'commander';
import { exitStatusHelp, runProgram } from './command.js';
import { register } from './pg.js';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('strongroom').showHelpAfterError().exitOverride().addHelpText('after', exitStatusHelp());
  register(program);
  await runProgram(program, argv);
}
