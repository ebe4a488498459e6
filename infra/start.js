// @ts-check
/**
 * What `npm start` runs: the build (`tsc -b`), saying so and how long it took — a first build
 * takes a while and used to pass in silence — then the launcher (dist/local/start.js) in this
 * same process, so that a Ctrl-C reaches the launcher directly and it can stop the stack in order.
 * Plain JavaScript: it runs before anything is compiled.
 */
'use strict';
const { spawnSync } = require('node:child_process');
const { resolve } = require('node:path');

const startedAt = Date.now();
process.stdout.write('launcher | building (tsc -b)…\n');
const build = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b'], { cwd: resolve(__dirname, '..'), stdio: 'inherit' });
if (build.status !== 0) {
  process.stderr.write(`launcher | the build failed (${build.error ? build.error.message : `tsc exit code ${build.status}`}); nothing started\n`);
  process.exit(build.status || 1);
}
process.stdout.write(`launcher | built in ${((Date.now() - startedAt) / 1000).toFixed(1)} s\n`);
require('./dist/local/start.js');
