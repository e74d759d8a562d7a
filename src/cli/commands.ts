/** The list of command modules. Add one line per command file. */
import type { Command } from 'commander';
import { register as registerCompare } from './compare.js';
import { register as registerAgent } from './agent.js';
import { register as registerDaemon } from './daemon.js';
import { register as registerDb } from './db.js';
import { register as registerDemo } from './demo.js';
import { register as registerDeposit } from './deposit.js';
import { register as registerJournal } from './journal.js';
import { register as registerKeys } from './keys.js';
import { register as registerRebuild } from './rebuild.js';
import { register as registerNotify } from './notify.js';
import { register as registerPull } from './pull.js';
import { register as registerPush } from './push.js';
import { register as registerPg } from './pg.js';
import { register as registerRegistry } from './registry.js';
import { register as registerReport } from './report.js';
import { register as registerSeal } from './seal.js';
import { register as registerUnseal } from './unseal.js';

export function registerCommands(program: Command): void {
  registerDb(program);
  registerRegistry(program);
  registerDeposit(program);
  registerJournal(program);
  registerDemo(program);
  registerSeal(program);
  registerUnseal(program);
  registerKeys(program);
  registerRebuild(program);
  registerCompare(program);
  registerReport(program);
  registerNotify(program);
  registerPush(program);
  registerPull(program);
  registerAgent(program);
  registerPg(program);
  registerDaemon(program);
}
