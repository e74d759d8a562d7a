#!/usr/bin/env node
// The `pg` commands alone (`strongroom-pg pg wal-fetch …`): a faster start for archive_command
// and restore_command, which PostgreSQL runs once per WAL file. Same syntax as `strongroom pg`.
import('../dist/src/cli/pg-main.js')
  .then((cli) => cli.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('strongroom-pg: not built yet; run `npm install` (or `npm run build`) in the package directory\n');
      process.exit(70);
    }
    throw err;
  });
