// The toy 2-D denoiser through the JS API: toyDataset, ToyMLPDenoiser (the shipped models/toy2d sampled
// exactly as the `ddpm-wasm sample` CLI samples it), and Trainer on it: the loss falls, the export is a
// pipeline folder that loads back, and bad input gets the core's message; unknown options are refused. (The README's
// toy example runs, and is checked for landing on the swiss roll, from the packed package: package.test.js.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { memoryUsage, ready, toyDataset, ToyMLPDenoiser, Trainer } from '../../web/src/index.js';
import { readSafetensors, ROOT } from './helpers.js';

const SHIPPED = join(ROOT, 'models', 'toy2d');
const work = mkdtempSync(join(tmpdir(), 'ddpm-wasm-toy-'));
after(() => rmSync(work, { recursive: true, force: true }));
before(async () => {
  await ready();
});

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;

test('toyDataset: [count, 2] points, seeded, roughly unit variance; unknown names are refused', () => {
  const a = toyDataset('swissroll', 5000, 3);
  const b = toyDataset('swissroll', 5000, 3);
  const c = toyDataset('swissroll', 5000, 4);
  assert.deepEqual(a.shape, [5000, 2]);
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
  for (const name of ['swissroll', 'moons', 'gaussians']) {
    const p = toyDataset(name, 4000).data;
    const v = mean(Array.from(p, (x) => x * x)) - mean(Array.from(p)) ** 2;
    assert.ok(v > 0.3 && v < 3, `${name}: variance per coordinate ${v}`);
  }
  assert.throws(() => toyDataset('spiral', 10), /toy2d set 'spiral' must be one of swissroll, moons, gaussians/);
  assert.throws(() => toyDataset('moons', 0), TypeError);
});

test('ToyMLPDenoiser.fromPretrained(models/toy2d) samples what the ddpm-wasm CLI samples, bit for bit', () => {
  const out = join(work, 'cli.safetensors');
  const r = spawnSync(process.execPath, [join(ROOT, 'web', 'bin', 'ddpm-wasm.js'), '--build', 'simd', 'sample', '--model', SHIPPED,
                                         '--num-images', '300', '--seed', '7', '--steps', '40', '--output', out],
                      { encoding: 'utf8', timeout: 120000 });
  assert.equal(r.status, 0, r.stderr);
  const want = readSafetensors(out).tensors.points;
  return ToyMLPDenoiser.fromPretrained(SHIPPED).then((toy) => {
    try {
      assert.deepEqual(toy.info, { dataDim: 2, hidden: 128, numHiddenLayers: 3, timeEmbedDim: 32, numParameters: toy.info.numParameters });
      assert.equal(toy.schedulerConfig._class_name, 'DDPMScheduler');
      const frames = [];
      const got = toy.sample(toy.schedulerConfig, { numPoints: 300, seed: 7, steps: 40,
                                                    onProgress: (p) => { frames.push(p); } });
      assert.deepEqual(got.shape, [300, 2]);
      assert.deepEqual(want.shape, [300, 2]);
      assert.deepEqual(got.data, want.data);  // the same wasm code and Philox stream: identical
      // Progress: every step, [N, 2] frames, the last step's latents are the result.
      assert.equal(frames.length, 40);
      assert.deepEqual(frames.map((f) => f.step), Array.from({ length: 40 }, (_, i) => i + 1));
      assert.deepEqual(frames[0].latents.shape, [300, 2]);
      assert.deepEqual(frames[0].preview.shape, [300, 2]);
      assert.deepEqual(frames.at(-1).latents.data, got.data);
      // Caller-supplied x_T [N, 2]: the first step's noise replaced, so the same start gives the same points.
      const xT = { data: Float32Array.from({ length: 20 }, (_, i) => Math.sin(i)), shape: [10, 2] };
      const a = toy.sample({}, { numPoints: 10, steps: 5, latents: xT });
      assert.deepEqual(a.shape, [10, 2]);
      assert.deepEqual(toy.sample({}, { numPoints: 10, steps: 5, latents: xT, seed: 99 }).data, a.data);
      assert.throws(() => toy.sample({}, { numPoints: 10, steps: 5, latents: { data: new Float32Array(6), shape: [3, 2] } }),
                    /latents/);
      // A swiss roll has a hole in the middle: far fewer samples near the origin than from N(0, I).
      const near = (d) => Array.from({ length: d.length / 2 }, (_, i) => Math.hypot(d[2 * i], d[2 * i + 1]) < 0.25).filter(Boolean).length;
      assert.ok(near(got.data) < 0.5 * near(frames[0].latents.data) + 5,
                `near the origin: ${near(got.data)} of the samples vs ${near(frames[0].latents.data)} at the first step`);
      assert.throws(() => toy.sample({}, { numPoints: 4, classLabels: [1] }), /ToyMLPDenoiser.sample: unknown option 'classLabels'/);
    } finally {
      toy.dispose();
    }
  });
});

test('Trainer on a fresh ToyMLPDenoiser: the loss falls, the export loads back as a pipeline folder', () => {
  const data = toyDataset('moons', 4096, 0);
  const toy = ToyMLPDenoiser.create({ hidden: 64, num_hidden_layers: 2 }, { seed: 1 });
  const trainer = Trainer.create(toy, { lr: 3e-3, ema: { decay: 0.99 }, seed: 2, scheduler: { clip_sample: false } });
  try {
    const batch = 128;
    const losses = [];
    for (let s = 0; s < 400; ++s) {
      const start = (s * batch) % data.shape[0];
      const x0 = { data: data.data.subarray(2 * start, 2 * (start + batch)), shape: [batch, 2] };
      losses.push(trainer.step({ x0 }).loss);
    }
    const first = mean(losses.slice(0, 40));
    const last = mean(losses.slice(-40));
    assert.ok(last < 0.8 * first, `mean loss of the first 40 steps ${first.toFixed(4)}, of the last 40 ${last.toFixed(4)}`);

    const g = trainer.lossAndGradients({ x0: { data: data.data.subarray(0, 64), shape: [32, 2] } });
    assert.equal(g.inputGradient, null);
    assert.deepEqual(Object.keys(g.gradients).sort(), ['layers.0.bias', 'layers.0.weight', 'layers.1.bias', 'layers.1.weight',
                                                       'layers.2.bias', 'layers.2.weight', 'layers.3.bias', 'layers.3.weight']);

    const files = trainer.exportPipeline();
    assert.deepEqual(JSON.parse(files['model_index.json']).unet, ['ddpm_wasm', 'ToyMLPDenoiser']);
    assert.equal(JSON.parse(files['unet/config.json']).hidden, 64);
    const back = ToyMLPDenoiser.fromFiles(files['unet/config.json'], files['unet/diffusion_pytorch_model.safetensors']);
    try {
      const pts = back.sample(files['scheduler/scheduler_config.json'], { numPoints: 200, steps: 30 });
      assert.deepEqual(pts.shape, [200, 2]);
      assert.ok(pts.data.every(Number.isFinite));
    } finally {
      back.dispose();
    }
  } finally {
    trainer.dispose();
    toy.dispose();
  }
});

test('ToyMLPDenoiser: bad configs and weights get the core\'s message; dispose returns the memory', () => {
  const before = memoryUsage().mallocBytes;
  assert.throws(() => ToyMLPDenoiser.create({ hidden: 0 }), /hidden.*must be in 1\.\.4096/);
  assert.throws(() => ToyMLPDenoiser.create({ time_embed_dim: 3 }), /time_embed_dim.*must be even/);
  const good = ToyMLPDenoiser.create({}, { seed: 0 });
  const { config, weights } = good.files();
  assert.throws(() => ToyMLPDenoiser.fromFiles(config, weights.subarray(0, weights.length - 10)), /safetensors/);
  assert.throws(() => ToyMLPDenoiser.fromFiles({ ...JSON.parse(config), hidden: 64 }, weights), /has shape \[128, 34\], config expects \[64, 34\]/);
  assert.throws(() => good.sample({}, { numPoints: 4, numImages: 4 }), (e) => e instanceof TypeError &&
    e.message === "ToyMLPDenoiser.sample: unknown option 'numImages'; the options are scheduler, steps, eta, numPoints, " +
                  'seed, latents, clipSample, onProgress');
  assert.throws(() => good.sample(null, { steps: 2, guidanceScale: 2 }), /unknown option 'guidanceScale'/);  // no classes
  good.dispose();
  assert.throws(() => good.sample({}, {}), /ToyMLPDenoiser was disposed/);
  assert.equal(memoryUsage().mallocBytes, before);
});

