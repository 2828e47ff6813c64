#!/usr/bin/env node
/**
 * `npm run cli`, `npm start` and `npm run demo` build the API first, but only when a source changed
 * since the last build (a build takes ten seconds or more; the CLI itself starts in about one). Plain
 * JavaScript, run by node directly: compiling this check would cost what it saves.
 *
 * Stale: no build yet, or a file under the sources newer than the stamp the last build left. An
 * installation without sources (the service image) is never stale.
 */
'use strict';
const { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { execFileSync } = require('node:child_process');

/** What a build of the API is made from. */
const SOURCES = ['apps/api', 'libs', 'tsconfig.json', 'nest-cli.json', 'package-lock.json'];
/** Left by the last build; `nest build` empties dist/apps/api first, so a failed build leaves none. */
const STAMP = 'dist/apps/api/.built';

/** The newest modification time (ms) among the files under `paths`, 0 when there are none. */
function newestSource(root, paths = SOURCES) {
  let newest = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'node_modules') visit(join(path, entry));
    } else if (stat.mtimeMs > newest && !path.endsWith('.spec.ts')) {
      newest = stat.mtimeMs;
    }
  };
  for (const path of paths) visit(join(root, path));
  return newest;
}

function isStale(root) {
  if (!existsSync(join(root, 'apps/api'))) return false;
  const newest = newestSource(root);
  const stamp = join(root, STAMP);
  return !existsSync(stamp) || statSync(stamp).mtimeMs < newest;
}

function buildIfStale(root) {
  if (!isStale(root)) return false;
  const started = new Date();
  process.stderr.write('Sources changed since the last build: building the API (nest build api)…\n');
  execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js', { paths: [root] }), 'build', 'api'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  // Dated when the build began: a file saved during the build counts as changed next time.
  const stamp = join(root, STAMP);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, '');
  utimesSync(stamp, started, started);
  return true;
}

module.exports = { newestSource, isStale, buildIfStale, STAMP };

if (require.main === module) buildIfStale(join(__dirname, '..'));
