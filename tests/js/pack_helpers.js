// The npm package as a user gets it, for package.test.js and bundle.test.js: `npm pack` into a folder, and npm
// run quietly (no audit, no fund, errors only).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import { ROOT } from './helpers.js';

/** Runs npm in `cwd` and returns its stdout. */
export const npm = (args, cwd, options = {}) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'],
                                                             { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], ...options });

/**
 * `npm pack`s the repository into `dir` (prepack runs tools/build.mjs, a no-op when dist/ is up to date):
 * npm's JSON entry for the tarball ({ filename, files, ... }) plus `tarball`, its path.
 */
export function packPackage(dir) {
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', dir], ROOT));
  return { ...packed, tarball: join(dir, packed.filename) };
}
