// The package's `ddpm-wasm` bin (web/bin/ddpm-wasm.js): the ddpm CLI on the wasm builds, under Node.
// unet-forward on the reference unet_cond through each build must match diffusers within the reference
// README's float32 tolerance, |a-b| <= 1e-4 + 1e-4·|b|; bad input exits non-zero with one stderr line.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

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
});
