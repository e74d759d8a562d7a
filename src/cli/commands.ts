/** The list of command modules. Add one line per command file. */
import type { Command } from 'commander';
import { register as registerDb } from './db.js';
import { register as registerRegistry } from './registry.js';

export function registerCommands(program: Command): void {
  registerDb(program);
  registerRegistry(program);
}
