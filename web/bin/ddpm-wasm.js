#!/usr/bin/env node
// `ddpm-wasm` (the package's bin): the `ddpm` CLI of shared DESIGN.md (info, unet-forward, sample,
// train, bench) on the WebAssembly build, under this Node. It runs dist/<build>/ddpm-cli.js, an
// Emscripten program with direct access to the file system (NODERAWFS), as a child process: the
// child's exit code and output are the command's.
//
//   ddpm-wasm [--build simd|simd-threads] <subcommand> [options]     (or DDPM_WASM_BUILD=simd ...)
//   ddpm-wasm --version | --help
//
// The build defaults to simd-threads (wasm SIMD + pthreads; Node always has SharedArrayBuffer and
// worker_threads) when it is in dist/, else simd (one thread). `--threads N` is the subcommands' own.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST = join(PACKAGE, 'dist');
const BUILDS = ['simd-threads', 'simd'];

// What this launcher adds to the CLI's own options (printed with `--help`, after the CLI's help).
const LAUNCHER_HELP = `
ddpm-wasm options (before the subcommand):
  --build simd|simd-threads   the WebAssembly build that runs the command (default: simd-threads when
                              built, else simd); the environment variable DDPM_WASM_BUILD=simd|simd-threads
                              chooses too, --build wins
  --version                   print the package version and exit (without loading the wasm)
`;

const fail = (message, code) => {
  console.error(`ddpm-wasm: error: ${message} (see ddpm-wasm --help)`);
  process.exit(code);
};

const args = process.argv.slice(2);
let build = process.env.DDPM_WASM_BUILD || 'auto';
if (args[0] === '--build' || args[0]?.startsWith('--build=')) {
  build = args[0] === '--build' ? args[1] : args[0].slice('--build='.length);
  if (!build || build.startsWith('-')) fail(`--build needs a value: ${BUILDS.join(' or ')}`, 2);
  args.splice(0, args[0] === '--build' ? 2 : 1);
}

// --version: package.json's, the version the CLI itself reports (CMake builds it in from the same file).
if (args[0] === '--version') {
  console.log(`ddpm-wasm ${JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')).version}`);
  process.exit(0);
}

const cliOf = (b) => join(DIST, b, 'ddpm-cli.js');
const threadsUsable = typeof SharedArrayBuffer === 'function';
if (build !== 'auto' && !BUILDS.includes(build)) {
  console.error(`ddpm-wasm: error: build '${build}' must be one of auto, ${BUILDS.join(', ')}`);
  process.exit(2);
}
const chosen = build !== 'auto' ? build
  : BUILDS.find((b) => existsSync(cliOf(b)) && (b !== 'simd-threads' || threadsUsable));
const missing = !chosen || !existsSync(cliOf(chosen));

// --help (the program's, not a subcommand's): the CLI's help, then this launcher's options. Without a
// build there is no CLI to list the subcommands, and the launcher's part still answers.
if (args[0] === '--help' || args[0] === '-h') {
  if (missing) {
    process.stdout.write('ddpm-wasm: the ddpm CLI (info, sample, train, ...) on the WebAssembly build, under Node\n' +
                         'Usage: ddpm-wasm [--build simd|simd-threads] SUBCOMMAND [OPTIONS]\n' + LAUNCHER_HELP);
    console.error(`ddpm-wasm: note: ${cliOf(chosen ?? 'simd')} is missing (build it with: npm run build), ` +
                  'so the subcommands are not listed');
    process.exit(0);
  }
  const r = spawnSync(process.execPath, ['--no-experimental-fetch', cliOf(chosen), ...args],
                      { stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write((r.stdout ?? '') + LAUNCHER_HELP);
  process.exit(r.status ?? 1);
}

if (missing) {
  console.error(`ddpm-wasm: error: ${cliOf(chosen ?? 'simd')} is missing (build it with: npm run build)`);
  process.exit(1);
}

// Ctrl-C during `train` ends the run as natively: a checkpoint at the end of the current step, exit 130. The wasm
// program cannot take the signal itself (Node handles signals on its event loop, which main() does not return to
// while it trains), so it ignores SIGINT/SIGTERM and this launcher relays them through a pipe, descriptor 3, that a
// worker thread of the program watches (tools/cli/wasm_interrupt_pre.js). A second one kills it at once.
const INTERRUPT_FD = 3;
const training = args[0] === 'train';
const interrupted = { count: 0, forced: false };

// --no-experimental-fetch: Emscripten 3.1.6 would fetch() the .wasm path under Node 20 (the CLI is also
// linked with synchronous compilation, so this is belt and braces).
const child = spawn(process.execPath, ['--no-experimental-fetch', cliOf(chosen), ...args], training
  ? { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env: { ...process.env, DDPM_WASM_INTERRUPT_FD: String(INTERRUPT_FD) } }
  : { stdio: 'inherit' });
const relay = training ? child.stdio[INTERRUPT_FD] : null;
relay?.on('error', () => {});  // the program has exited: the next 'exit' event says how
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (!relay) {
      child.kill(sig);  // other subcommands: the child (same process group) decides, and the exit says what it did
      return;
    }
    if (++interrupted.count === 1) {
      console.error(`\nddpm-wasm: ${sig}: stopping at the end of this step with a checkpoint (again to stop at once, without one)`);
      relay.write('1');
      return;
    }
    interrupted.forced = true;
    child.kill('SIGKILL');
  });
}
child.on('error', (e) => {
  console.error(`ddpm-wasm: error: cannot run ${process.execPath}: ${e.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  if (interrupted.forced) {
    console.error('ddpm-wasm train: stopped without a checkpoint; --resume continues from the last one ' +
                  '(written every --checkpoint-every steps)');
    process.exit(130);
  }
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
