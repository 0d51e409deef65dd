// The npm package as a user gets it: `npm pack`, install the tarball into an empty project (offline:
// the package has no dependencies), and import it by name in Node.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { referencePath, ROOT } from './helpers.js';
import { npm, packPackage } from './pack_helpers.js';

const work = mkdtempSync(join(tmpdir(), 'ddpm-wasm-pack-'));
let packed;

before(() => {
  packed = packPackage(work);
  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  npm(['install', '--offline', packed.tarball], app);
});

after(() => rmSync(work, { recursive: true, force: true }));

test('the tarball holds both builds, the wrapper and the types, and no sources', () => {
  const files = packed.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'web/index.d.ts', 'web/src/index.js', 'dist/package.json',
                   'dist/simd/ddpm.mjs', 'dist/simd/ddpm.wasm', 'dist/simd-threads/ddpm.mjs',
                   'dist/simd-threads/ddpm.wasm', 'dist/simd-threads/ddpm.worker.js', 'web/bin/ddpm-wasm.js',
                   'dist/simd/ddpm-cli.js', 'dist/simd/ddpm-cli.wasm', 'dist/simd-threads/ddpm-cli.js',
                   'dist/simd-threads/ddpm-cli.wasm', 'dist/simd-threads/ddpm-cli.worker.js']) {
    assert.ok(files.includes(f), `${f} missing from ${packed.filename}`);
  }
  for (const f of files) assert.doesNotMatch(f, /^(src|tests|build|wasm|tools|web\/demo)\//, `${f} should not ship`);
});

function runInApp(code) {
  const file = join(work, 'app', `run-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: join(work, 'app'), encoding: 'utf8', timeout: 60000 }));
}

test("import { ... } from 'ddpm-wasm' works in an installed project", () => {
  const out = runInApp(`
    import { ready, info, Tensor, DDPMScheduler, DDIMScheduler } from 'ddpm-wasm';
    await ready();
    const s = DDIMScheduler.fromConfig({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
    s.setTimesteps(10);
    const x = new Tensor(new Float32Array(8).fill(0.5), [2, 1, 2, 2]);
    const { prevSample } = s.step(x, s.timesteps[0], x);
    console.log(JSON.stringify({ build: info.build, timesteps: Array.from(s.timesteps), shape: prevSample.shape,
                                 ddpm: typeof DDPMScheduler.fromConfig }));
    s.dispose();
  `);
  assert.equal(out.build, 'simd');
  assert.deepEqual(out.timesteps, [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
  assert.deepEqual(out.shape, [2, 1, 2, 2]);
  assert.equal(out.ddpm, 'function');
});

test('the threaded build loads from node_modules (its CommonJS pthread worker included)', () => {
  const out = runInApp(`
    import { ready, DDPMScheduler } from 'ddpm-wasm';
    const info = await ready({ build: 'simd-threads' });
    const s = DDPMScheduler.fromConfig({});
    console.log(JSON.stringify({ build: info.build, threads: info.threads, betas: s.betas.length }));
    process.exit(0);  // a pthread module keeps Node alive otherwise
  `);
  assert.equal(out.build, 'simd-threads');
  assert.ok(out.threads >= 1);
  assert.equal(out.betas, 1000);
});

test("the README's JavaScript example runs as written", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const example = readme.split('## JavaScript')[1]?.match(/```js\n([\s\S]*?)```/)?.[1];
  assert.ok(example, 'README.md has a ```js block under ## JavaScript');
  assert.ok(example.trim().split('\n').length <= 12, 'the example stays short');
  const logged = example.replace(/console\.log\((.*)\);/, 'process.stdout.write(JSON.stringify([$1]));');
  const [build, x] = runInApp(logged);
  assert.equal(build, 'simd');
  assert.equal(x, '0.500');  // deterministic DDIM fed the true noise lands back on x0
});

test('the ddpm-wasm bin is installed and runs the CLI on the wasm build', () => {
  const bin = join(work, 'app', 'node_modules', '.bin', 'ddpm-wasm');
  const out = execFileSync(bin, ['info', '--model', referencePath('unet_cond')],
                           { cwd: join(work, 'app'), encoding: 'utf8', timeout: 60000 });
  assert.match(out, /UNet2DModel, 1 -> 1 channels/);
});

/**
 * Runs the first ```js block under "## JavaScript" of the README that contains `marker`, in the installed app with
 * models/ beside it, its console.log turned into JSON on stdout: the logged values.
 */
function runReadmeExample(marker) {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const blocks = [...readme.split('## JavaScript')[1].matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  const example = blocks.find((b) => b.includes(marker));
  assert.ok(example, `README.md has a \`\`\`js block with ${marker} under ## JavaScript`);
  try {
    symlinkSync(join(ROOT, 'models'), join(work, 'app', 'models'));
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
  return runInApp(example.replace(/console\.log\((.*)\);/, 'process.stdout.write(JSON.stringify([$1]));'));
}

test("the README's Generator example runs as written, its worker loaded from node_modules", () => {
  const [build, threads] = runReadmeExample('Generator.create');
  assert.equal(build, 'simd-threads');
  assert.ok(threads >= 1);
  const png = readFileSync(join(work, 'app', 'samples.png'));
  assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
  assert.equal(png.readUInt32BE(16), 64);  // 2x2 grid of 32x32
});

test("the README's editing example runs as written from the packed package", () => {
  const [start, shape] = runReadmeExample('gen.inpaint');
  assert.equal(start, 680);  // the shipped model's DDIM 50 at strength 0.7: the 16th of 980, 960, ...
  assert.deepEqual(shape, [1, 1, 32, 32]);
  const png = readFileSync(join(work, 'app', 'edits.png'));
  assert.equal(png.readUInt32BE(16), 64);  // a 2x2 grid of 32x32
});
