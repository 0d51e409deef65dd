// The package's `ddpm-wasm` bin (web/bin/ddpm-wasm.js): the ddpm CLI on the wasm builds, under Node.
// unet-forward on the reference unet_cond through each build must match diffusers within the reference
// README's float32 tolerance, |a-b| <= 1e-4 + 1e-4·|b|; bad input exits non-zero with one stderr line.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { Tensor, toPNG } from '../../web/src/index.js';
import { assertClose, readSafetensors, referencePath, ROOT } from './helpers.js';

const BIN = join(ROOT, 'web', 'bin', 'ddpm-wasm.js');
const ATOL = 1e-4, RTOL = 1e-4;  // shared/reference/README.md: float32 port against diffusers
const work = mkdtempSync(join(tmpdir(), 'ddpm-wasm-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

const run = (args, env = {}) => spawnSync(process.execPath, [BIN, ...args],
                                          { encoding: 'utf8', timeout: 120000, env: { ...process.env, ...env } });

for (const build of ['simd', 'simd-threads']) {
  test(`ddpm-wasm --build ${build} unet-forward matches diffusers on unet_cond`, () => {
    assert.ok(existsSync(join(ROOT, 'dist', build, 'ddpm-cli.js')), `dist/${build}/ddpm-cli.js (npm run build)`);
    const out = join(work, `${build}.safetensors`);
    const r = run(['--build', build, 'unet-forward', '--model', referencePath('unet_cond'),
                   '--input', referencePath('unet_cond/io.safetensors'), '--output', out, '--threads', '2']);
    assert.equal(r.status, 0, r.stderr);
    const got = readSafetensors(out).tensors['output.sample'];
    const want = readSafetensors(referencePath('unet_cond/io.safetensors')).tensors['output.sample'];
    assert.deepEqual(got.shape, want.shape);
    assertClose(assert, `${build} output.sample`, got.data, want.data, ATOL, RTOL);
  });
}

test('ddpm-wasm picks simd-threads by default and runs info', () => {
  const r = run(['info', '--model', referencePath('unet_cond')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /UNet2DModel, 1 -> 1 channels, sample size 32x32/);
  assert.match(r.stdout, /parameters: +1624449/);
});

test('a nonexistent model exits non-zero with one line on stderr and writes nothing', () => {
  const out = join(work, 'never.safetensors');
  const r = run(['unet-forward', '--model', join(work, 'no-such-model'),
                 '--input', referencePath('unet_cond/io.safetensors'), '--output', out]);
  assert.notEqual(r.status, 0);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^ddpm unet-forward: error: .*no-such-model/);
  assert.ok(!existsSync(out));
});

test('an unknown build is refused with the valid ones listed', () => {
  const r = run(['info', '--model', referencePath('unet_cond')], { DDPM_WASM_BUILD: 'gpu' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /build 'gpu' must be one of auto, simd-threads, simd/);
});

test('the installed bin is executable with a node shebang', () => {
  assert.match(execFileSync('head', ['-1', BIN], { encoding: 'utf8' }), /^#!\/usr\/bin\/env node/);
});

test("sample takes the model's sampling_defaults.json for what is not given, and says so; info prints it", () => {
  const dir = join(work, 'with-defaults');
  cpSync(join(ROOT, 'models', 'fashion-mnist'), dir, { recursive: true });
  writeFileSync(join(dir, 'sampling_defaults.json'), '{"scheduler": "dpmpp", "steps": 4, "guidance_scale": 1}\n');
  const info = run(['info', '--model', dir]);
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /sampling defaults: +dpmpp, 4 steps, eta 0, guidance scale 1 \(from .*sampling_defaults\.json\)/);
  const byDefaults = join(work, 'by-defaults.safetensors'), explicit = join(work, 'explicit.safetensors');
  const a = run(['sample', '--model', dir, '--num-images', '1', '--class', '2', '--output', byDefaults]);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stderr, /sampling defaults for what was not given: dpmpp, 4 steps/);
  const b = run(['sample', '--model', dir, '--num-images', '1', '--class', '2', '--scheduler', 'dpmpp', '--steps', '4',
                 '--eta', '0', '--guidance-scale', '1', '--output', explicit]);
  assert.equal(b.status, 0, b.stderr);
  assert.doesNotMatch(b.stderr, /sampling defaults/);
  assert.deepEqual(readFileSync(byDefaults), readFileSync(explicit));
  // A file with a guidance interval: it still applies when the four settings are given (and is said), until
  // --guidance-interval is given too.
  writeFileSync(join(dir, 'sampling_defaults.json'),
                '{"scheduler": "dpmpp", "steps": 4, "guidance_scale": 2, "guidance_interval": [300, 700]}\n');
  const flags = ['sample', '--model', dir, '--num-images', '1', '--class', '2', '--scheduler', 'dpmpp', '--steps', '4',
                 '--eta', '0', '--guidance-scale', '2'];
  const c = run([...flags, '--output', join(work, 'interval-default.safetensors')]);
  assert.equal(c.status, 0, c.stderr);
  assert.match(c.stderr, /sampling defaults for what was not given: dpmpp, 4 steps, eta 0, guidance scale 2 at t in \[300, 700\]/);
  const d = run([...flags, '--guidance-interval', '300,700', '--output', join(work, 'interval-given.safetensors')]);
  assert.equal(d.status, 0, d.stderr);
  assert.doesNotMatch(d.stderr, /sampling defaults/);
  assert.deepEqual(readFileSync(join(work, 'interval-default.safetensors')), readFileSync(join(work, 'interval-given.safetensors')));
});

// The bin alone, as installed in a package whose version is not ours and that has no dist/: --version and
// --help answer from the package without loading any wasm.
function barePackage(version) {
  const dir = join(work, `bare-${version}`);
  cpSync(join(ROOT, 'web', 'bin'), join(dir, 'web', 'bin'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'ddpm-wasm', version, type: 'module' }));
  return join(dir, 'web', 'bin', 'ddpm-wasm.js');
}
const runBin = (bin, args) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60000 });

test("ddpm-wasm --version prints package.json's version and exits 0, without the wasm", () => {
  const bin = barePackage('9.8.7-test');
  for (const args of [['--version'], ['--build', 'simd', '--version']]) {
    const r = runBin(bin, args);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'ddpm-wasm 9.8.7-test\n');
    assert.equal(r.stderr, '');
  }
  const ours = run(['--version']);
  assert.equal(ours.status, 0, ours.stderr);
  assert.equal(ours.stdout, `ddpm-wasm ${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
});

test('ddpm-wasm --help names the program and describes --build and DDPM_WASM_BUILD, even without a build', () => {
  const r = runBin(barePackage('0.0.0-help'), ['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: ddpm-wasm \[--build simd\|simd-threads\] SUBCOMMAND/m);
  assert.match(r.stdout, /^ {2}--build simd\|simd-threads +\S/m);
  assert.match(r.stdout, /DDPM_WASM_BUILD=simd\|simd-threads/);
  assert.match(r.stderr, /ddpm-cli\.js is missing \(build it with: npm run build\)/);
  assert.doesNotMatch(r.stdout, /ddpm-cli\.js|this\.program|web\/bin/);
});

test('ddpm-wasm --build without a value is refused, naming the choices', () => {
  const r = runBin(barePackage('0.0.0-build'), ['--build']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^ddpm-wasm: error: --build needs a value: simd-threads or simd/);
});

// With the builds (dist/): the CLI's own help and version speak as ddpm-wasm, never as its file.
test("ddpm-wasm --help is the CLI's help under the name ddpm-wasm, then the launcher's options", () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'simd', 'ddpm-cli.js')), 'dist/simd/ddpm-cli.js (npm run build)');
  const r = run(['--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^Usage: ddpm-wasm \[OPTIONS\] SUBCOMMAND$/m);
  assert.match(r.stdout, /^ {2}sample\b/m);
  assert.match(r.stdout, /^ {2}--build simd\|simd-threads +\S/m);
  assert.match(r.stdout, /DDPM_WASM_BUILD/);
  const sub = run(['--build', 'simd', 'sample', '--help']);
  assert.equal(sub.status, 0, sub.stderr);
  assert.match(sub.stdout, /^Usage: ddpm-wasm sample \[OPTIONS\]$/m);
  for (const out of [r.stdout, sub.stdout]) assert.doesNotMatch(out, /ddpm-cli\.js|this\.program/);
  // The wasm CLI's own --version: the same package.json version, built in by CMake.
  for (const build of ['simd', 'simd-threads']) {
    const v = spawnSync(process.execPath, [join(ROOT, 'dist', build, 'ddpm-cli.js'), '--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout, run(['--version']).stdout);
  }
});

test('ddpm-wasm info takes the toy 2-D model, as sample does', () => {
  const r = run(['info', '--model', join(ROOT, 'models', 'toy2d')]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^model: +ToyMLPDenoiser, 2-D points/m);
  assert.match(r.stdout, /^parameters: +54274 /m);
  assert.match(r.stdout, /^scheduler: +DDPMScheduler/m);
  assert.match(r.stdout, /^sampling defaults: +ddim, 50 steps/m);
});

test("the CLI's PNG grids and toPNG share one padding rule: 2 px between and around several images, none for one", () => {
  const pngSize = (bytes) => [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
  for (const n of [1, 4, 5]) {
    const out = join(work, `grid-${n}.png`);
    const r = run(['sample', '--model', join(ROOT, 'models', 'fashion-mnist'), '--class', '1', '--num-images', String(n),
                   '--steps', '1', '--output', out]);
    assert.equal(r.status, 0, r.stderr);
    const cli = pngSize(readFileSync(out));
    assert.deepEqual(cli, pngSize(Buffer.from(toPNG(Tensor.zeros([n, 1, 32, 32])))), `${n} images`);
    assert.deepEqual(cli, { 1: [32, 32], 4: [70, 70], 5: [104, 70] }[n]);
  }
});

test('Ctrl-C during ddpm-wasm train checkpoints, says where it stopped and how to resume, and --resume continues', async () => {
  const out = join(work, 'interrupted');
  const args = (steps) => ['train', '--data', 'toy2d:moons', '--out', out, '--steps', String(steps), '--batch-size', '64',
                           '--lr-schedule', 'constant', '--warmup-steps', '10', '--checkpoint-every', '100000000',
                           '--sample-every', '100000000'];
  // In a process group of its own, which gets the SIGINT as a terminal's Ctrl-C would send it: to the launcher and
  // to the wasm program it runs.
  const child = spawn(process.execPath, [BIN, ...args(100000000)], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  const exited = once(child, 'exit');
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no progress line within 120 s:\n${stderr}`)), 120000);
    child.stderr.on('data', (text) => {
      stderr += text;
      if (/^train \[/m.test(stderr)) {  // the first progress line: training runs
        clearTimeout(timer);
        resolve();
      }
    });
  }).catch((e) => {
    process.kill(-child.pid, 'SIGKILL');
    throw e;
  });
  process.kill(-child.pid, 'SIGINT');
  const [code, signal] = await exited;
  assert.equal(signal, null, stderr);
  assert.equal(code, 130, stderr);
  const stopped = /^ddpm train: stopped at step (\d+); continue with --resume$/m.exec(stderr);
  assert.ok(stopped, `no "stopped at step N" line:\n${stderr}`);
  const step = Number(stopped[1]);
  assert.equal(readSafetensors(join(out, 'checkpoint.safetensors')).metadata.step, String(step));
  // --resume continues from there (the constant schedule may be extended to a nearer end).
  const resumed = run([...args(step + 3), '--resume']);
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stderr, /wrote /);
  assert.equal(readSafetensors(join(out, 'checkpoint.safetensors')).metadata.step, String(step + 3));
});

