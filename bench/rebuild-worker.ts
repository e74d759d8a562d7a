/**
 * Child process of bench/rebuild.ts, so that the measured run has a fresh heap and its own
 * peak RSS (`process.resourceUsage().maxRSS`):
 *
 *   rebuild <target-db-url> <deposit.xml>    rebuild into the (empty) target; prints the summary,
 *                                            CPU seconds and maxRSS as JSON
 */
import { ServerDb } from '../src/db/server.js';
import { rebuildFull } from '../src/rebuild/rebuild.js';

const [mode, url, file] = process.argv.slice(2);
if (mode !== 'rebuild' || !url || !file) {
  process.stderr.write('usage: rebuild-worker rebuild <target-db-url> <deposit.xml>\n');
  process.exit(2);
}
const started = process.hrtime.bigint();
const db = await ServerDb.open(url);
try {
  const cpu = process.cpuUsage();
  const summary = await rebuildFull(db, file);
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ ...summary, wallSeconds: seconds, cpuSeconds: (used.user + used.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS })}\n`);
} finally {
  await db.close();
}
