#!/usr/bin/env node
// `npm run build` (also `prepack` and `npm start`): builds the two wasm flavours into dist/ through their
// CMake presets. Incremental: configures a preset only once, and ninja skips what is up to date.
//   node tools/build.mjs [wasm|wasm-threads ...]   (default: both)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const presets = process.argv.slice(2).length ? process.argv.slice(2) : ['wasm', 'wasm-threads'];
// Emscripten's linker needs Debian's acorn (shared/TOOLCHAIN.md).
const env = { ...process.env, NODE_PATH: process.env.NODE_PATH ?? '/usr/share/nodejs' };

function run(cmd, args) {
  // Progress goes to stderr so that `npm pack --json` (prepack) keeps a clean stdout.
  const r = spawnSync(cmd, args, { cwd: ROOT, env, stdio: [0, 2, 2] });
  if (r.error?.code === 'ENOENT') {
    console.error(`build: '${cmd}' not found; install the toolchain with: bash tools/setup.sh`);
    process.exit(1);
  }
  if (r.status !== 0) {
    console.error(`build: '${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
}

for (const preset of presets) {
  if (!existsSync(join(ROOT, 'build', preset, 'build.ninja'))) run('cmake', ['--preset', preset]);
  const t0 = performance.now();
  run('cmake', ['--build', '--preset', preset, '-j2', '--target', 'ddpm_dist']);
  console.error(`build: ${preset} -> dist/ (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
