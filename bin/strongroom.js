#!/usr/bin/env node
// Entry point of the `strongroom` command; the implementation is compiled to dist/ by `npm install`.
import('../dist/src/cli/main.js')
  .then((cli) => cli.main(process.argv))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write('strongroom: not built yet; run `npm install` (or `npm run build`) in the package directory\n');
      process.exit(70);
    }
    throw err;
  });
