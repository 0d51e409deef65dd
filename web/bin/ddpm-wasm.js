#!/usr/bin/env node
// `ddpm-wasm` (the package's bin): the `ddpm` CLI of shared DESIGN.md (info, unet-forward, sample,
// train, bench) on the WebAssembly build, under this Node. It runs dist/<build>/ddpm-cli.js, an
// Emscripten program with direct access to the file system (NODERAWFS), as a child process: the
// child's exit code and output are the command's.
//
//   ddpm-wasm [--build simd|simd-threads] <subcommand> [options]     (or DDPM_WASM_BUILD=simd ...)
//
// The build defaults to simd-threads (wasm SIMD + pthreads; Node always has SharedArrayBuffer and
// worker_threads) when it is in dist/, else simd (one thread). `--threads N` is the subcommands' own.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIST = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const BUILDS = ['simd-threads', 'simd'];

const args = process.argv.slice(2);
let build = process.env.DDPM_WASM_BUILD || 'auto';
if (args[0] === '--build' || args[0]?.startsWith('--build=')) {
  build = args[0] === '--build' ? args[1] : args[0].slice('--build='.length);
  args.splice(0, args[0] === '--build' ? 2 : 1);
}

const cliOf = (b) => join(DIST, b, 'ddpm-cli.js');
const threadsUsable = typeof SharedArrayBuffer === 'function';
if (build !== 'auto' && !BUILDS.includes(build)) {
  console.error(`ddpm-wasm: error: build '${build}' must be one of auto, ${BUILDS.join(', ')}`);
  process.exit(2);
}
const chosen = build !== 'auto' ? build
  : BUILDS.find((b) => existsSync(cliOf(b)) && (b !== 'simd-threads' || threadsUsable));
if (!chosen || !existsSync(cliOf(chosen))) {
  console.error(`ddpm-wasm: error: ${cliOf(chosen ?? 'simd')} is missing (build it with: npm run build)`);
  process.exit(1);
}

// --no-experimental-fetch: Emscripten 3.1.6 would fetch() the .wasm path under Node 20 (the CLI is also
// linked with synchronous compilation, so this is belt and braces).
const child = spawn(process.execPath, ['--no-experimental-fetch', cliOf(chosen), ...args], { stdio: 'inherit' });
// Ctrl-C reaches the child too (same process group); let it decide, and report what it did.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('error', (e) => {
  console.error(`ddpm-wasm: error: cannot run ${process.execPath}: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
