/**
 * Child process of bench/diff-deposit.ts: one measured deposit per process (fresh heap, own
 * peak RSS). Mode: `full|diff <db-url> <tld> <out-dir> <watermark> [jobs]`; prints the result,
 * CPU seconds and maxRSS as JSON.
 */
import { ServerDb } from '../src/db/server.js';
import { writeDeposit } from '../src/deposit/full-deposit.js';

const [mode, url, tld, outDir, watermark, jobs] = process.argv.slice(2);
if ((mode !== 'full' && mode !== 'diff') || !url || !tld || !outDir || !watermark) {
  process.stderr.write('usage: diff-deposit-worker full|diff <url> <tld> <out-dir> <watermark> [jobs]\n');
  process.exit(2);
}
const db = await ServerDb.open(url);
try {
  const cpu = process.cpuUsage();
  const result = await writeDeposit(db, { tld, outDir, watermark, ...(jobs === undefined ? {} : { jobs: Number(jobs) }) }, mode === 'full' ? 'FULL' : 'DIFF');
  const used = process.cpuUsage(cpu);
  const { findings, quarantined, ...rest } = result;
  process.stdout.write(
    `${JSON.stringify({ ...rest, errors: findings.errors, warnings: findings.warnings, quarantined: quarantined.length, cpuSeconds: (used.user + used.system) / 1e6, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
  );
} finally {
  await db.close();
}
