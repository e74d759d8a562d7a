/** The list of command modules. Add one line per command file. */
import type { Command } from 'commander';
import { register as registerDeposit } from './deposit.js';

export function registerCommands(program: Command): void {
  registerDeposit(program);
}
