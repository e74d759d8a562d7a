#!/usr/bin/env node
// Runs compiled benchmarks (dist/bench/<name>.js). Arguments name the benchmarks to run
// (`npm run bench -- ryde`); without arguments every bench/*.ts that is not a helper
// (*-worker.ts) runs. Heavy benchmarks should run under `flock /tmp/strongroom-heavy.lock`.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = join('dist', 'bench');
const all = existsSync(dir) ? readdirSync(dir).filter((file) => file.endsWith('.js') && !file.endsWith('-worker.js')).map((file) => file.slice(0, -3)) : [];
const names = process.argv.slice(2).length > 0 ? process.argv.slice(2) : all.sort();
let failed = 0;
for (const name of names) {
  const file = join(dir, `${name}.js`);
  if (!existsSync(file)) {
    console.error(`no benchmark named ${name} (have: ${all.join(', ') || 'none'})`);
    process.exit(2);
  }
  console.log(`== bench ${name}`);
  const result = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (result.status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
