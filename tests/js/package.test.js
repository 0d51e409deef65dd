// The npm package as a user gets it: `npm pack`, install the tarball into an empty project (offline:
// the package has no dependencies), and import it by name in Node.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { referencePath } from './helpers.js';
import { npm, packPackage } from './pack_helpers.js';
import { readmeJsBlocks } from './readme_blocks.js';

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

// The shipped pipelines, as diffusers loads them (no checkpoint, loss log or sample pictures), and the model card
// (npm ships every README anyway).
const SHIPPED_MODELS = ['models/README.md', ...['fashion-mnist-wide', 'fashion-mnist', 'toy2d'].flatMap((m) => [
  'model_index.json', 'sampling_defaults.json', 'scheduler/scheduler_config.json', 'unet/config.json',
  'unet/diffusion_pytorch_model.safetensors'].map((f) => `models/${m}/${f}`))];

test('the tarball holds both builds, the wrapper, the types and the shipped models, and no sources', () => {
  const files = packed.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'web/index.d.ts', 'web/src/index.js', 'dist/package.json',
                   'dist/simd/ddpm.mjs', 'dist/simd/ddpm.wasm', 'dist/simd-threads/ddpm.mjs',
                   'dist/simd-threads/ddpm.wasm', 'dist/simd-threads/ddpm.worker.js', 'web/bin/ddpm-wasm.js',
                   'dist/simd/ddpm-cli.js', 'dist/simd/ddpm-cli.wasm', 'dist/simd-threads/ddpm-cli.js',
                   'dist/simd-threads/ddpm-cli.wasm', 'dist/simd-threads/ddpm-cli.worker.js', ...SHIPPED_MODELS]) {
    assert.ok(files.includes(f), `${f} missing from ${packed.filename}`);
  }
  for (const f of files) assert.doesNotMatch(f, /^(src|tests|build|wasm|tools|web\/demo)\//, `${f} should not ship`);
  for (const f of files.filter((f) => f.startsWith('models/'))) assert.ok(SHIPPED_MODELS.includes(f), `${f} should not ship`);
  // Two wasm builds (module + CLI each) and 8.5 MB of models (fashion-mnist-wide's weights in F16): about 10 MB
  // compressed (F16 weights hardly compress).
  assert.ok(packed.size < 12e6, `${packed.filename} is ${(packed.size / 1e6).toFixed(1)} MB`);
});

function runInApp(code, timeout = 60000) {
  const file = join(work, 'app', `run-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, code);
  return JSON.parse(execFileSync(process.execPath, [file], { cwd: join(work, 'app'), encoding: 'utf8', timeout }));
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

test('the ddpm-wasm bin is installed and runs the CLI on the wasm build', () => {
  const bin = join(work, 'app', 'node_modules', '.bin', 'ddpm-wasm');
  const out = execFileSync(bin, ['info', '--model', referencePath('unet_cond')],
                           { cwd: join(work, 'app'), encoding: 'utf8', timeout: 60000 });
  assert.match(out, /UNet2DModel, 1 -> 1 channels/);
});

// Every ```js block under "## JavaScript" in the README runs as pasted, in the installed app (the models it loads are
// the package's own, node_modules/ddpm-wasm/models/): `check(logged, { code, extra })` gets the values its
// console.log logs, and `extra`, the value of an expression evaluated after the example (with its variables in
// scope). Each block needs an entry here (by a string it contains): a new block without one fails.
const pngWidth = (file) => readFileSync(join(work, 'app', file)).readUInt32BE(16);
// The toy example's samples against its data: the mean distance of each sample to the nearest of 3,000 data points.
const TOY_DISTANCE = `(() => {
  let far = 0;
  for (let i = 0; i < 1000; ++i) {
    let best = Infinity;
    for (let j = 0; j < 3000; ++j) best = Math.min(best, Math.hypot(xs.data[2 * i] - points.data[2 * j], xs.data[2 * i + 1] - points.data[2 * j + 1]));
    far += best / 1000;
  }
  return far;
})()`;
const README_CHECKS = [
  ['DDIMScheduler.fromConfig', ([build, x], { code }) => {
    assert.ok(code.trim().split('\n').length <= 12, 'the first example stays short');
    assert.equal(build, 'simd');
    assert.equal(x, '0.500');  // deterministic DDIM fed the true noise lands back on x0
  }],
  ['gen.generate({ numImages: 4', ([build, threads]) => {  // its worker loaded from node_modules
    assert.equal(build, 'simd-threads');
    assert.ok(threads >= 1);
    const png = readFileSync(join(work, 'app', 'samples.png'));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal(pngWidth('samples.png'), 2 * (32 + 2) + 2);  // a 2x2 grid of 32x32, 2 px apart and around
  }],
  ['UNet2DModel.fromPretrained', ([epsShape, imagesShape, files]) => {
    assert.deepEqual(epsShape, [1, 1, 32, 32]);
    assert.deepEqual(imagesShape, [4, 1, 32, 32]);
    assert.ok(files.includes('unet/diffusion_pytorch_model.safetensors') && files.includes('model_index.json'), String(files));
  }],
  ['gen.inpaint', ([start, shape]) => {
    assert.equal(start, 680);  // the shipped model's DDIM 50 at strength 0.7: the 16th of 980, 960, ...
    assert.deepEqual(shape, [1, 1, 32, 32]);
    assert.equal(pngWidth('edits.png'), 70);  // a 2x2 grid of 32x32
  }],
  ['toyDataset', ([shape], { extra: meanDistanceToData }) => {
    assert.deepEqual(shape, [1000, 2]);
    console.log(`README toy example: mean distance of its samples to the data ${meanDistanceToData.toFixed(4)}`);
    // N(0, I) points lie 0.28 from the nearest of 3,000 swiss-roll points; this 3,000-step run 0.037, the shipped
    // 20,000-step model 0.027.
    assert.ok(meanDistanceToData < 0.08, `mean distance of the samples to the data: ${meanDistanceToData}`);
  }, TOY_DISTANCE],
];

test('the README has the JavaScript examples these tests check, each once', () => {
  const blocks = readmeJsBlocks();
  for (const [marker] of README_CHECKS) {
    assert.equal(blocks.filter((b) => b.code.includes(marker)).length, 1, `one README js block with ${marker}`);
  }
});

for (const [i, { code, line }] of readmeJsBlocks().entries()) {
  test(`README example ${i + 1} (README.md line ${line}) runs as pasted from the packed package`, () => {
    const [, check, extra = 'null'] = README_CHECKS.find(([marker]) => code.includes(marker)) ?? [];
    assert.ok(check, `README.md line ${line}: add a check for this example to README_CHECKS`);
    assert.equal(code.match(/console\.log\(/g)?.length, 1, 'the example logs one line, which the check reads');
    const script = `${code.replace(/console\.log\((.*)\);/, 'globalThis.readmeLogged = [$1];')}
process.stdout.write(JSON.stringify({ logged: globalThis.readmeLogged, extra: ${extra} }));\n`;
    // Some examples sample 50 steps or train 3,000 toy steps: minutes on a busy machine.
    const out = runInApp(script, 300000);
    check(out.logged, { code, extra: out.extra });
  });
}
