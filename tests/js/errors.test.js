// Errors reach JS as Error objects carrying the core's message; wrappers free their C++ objects.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, test } from 'node:test';

import { DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, info, memoryUsage, ready, Tensor, version } from '../../web/src/index.js';

before(async () => {
  await ready();
});

const randomTensor = (shape) => {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; ++i) t.data[i] = Math.sin(i * 12.9898) * 0.5;
  return t;
};

test('ready() reports the build and why', async () => {
  const again = await ready();
  assert.equal(again, info);
  assert.equal(info.build, 'simd');  // Node defaults to the single-thread build
  assert.match(info.why, /Node/);
  assert.equal(info.simd, 'WASM');
  assert.equal(version(), info.version);
  assert.equal(await ready({ build: 'simd' }), info);
  await assert.rejects(ready({ build: 'simd-threads' }), /already loaded with build 'simd'; cannot switch to 'simd-threads'/);
});

test('a bad config value throws an Error naming the key', () => {
  assert.throws(() => DDIMScheduler.fromConfig({ beta_schedule: 'cosine' }),
                (e) => e instanceof Error && /beta_schedule/.test(e.message) && /cosine/.test(e.message));
  assert.throws(() => DDPMScheduler.fromConfig({ prediction_type: 'noise' }),
                (e) => e instanceof Error && /prediction_type/.test(e.message));
  assert.throws(() => DDPMScheduler.fromConfig({ num_train_timesteps: 'many' }),
                (e) => e instanceof Error && /num_train_timesteps/.test(e.message));
  assert.throws(() => DDPMScheduler.fromConfig('{not json'), /not valid JSON/);
});

test('config keys: JSON text, objects and overrides (diffusers from_config)', () => {
  const a = DDPMScheduler.fromConfig('{"beta_schedule": "scaled_linear", "beta_start": 0.00085, "beta_end": 0.012}');
  const b = DDPMScheduler.fromConfig({ beta_schedule: 'linear', beta_start: 0.00085, beta_end: 0.012, unknown_key: 1 },
                                     { beta_schedule: 'scaled_linear' });
  try {
    assert.deepEqual(a.betas, b.betas);
    assert.ok(Math.abs(a.betas[0] - 0.00085) < 1e-9);
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('a shape mismatch throws the core message', () => {
  const s = DDPMScheduler.fromConfig({});
  try {
    s.setTimesteps(10);
    const x = randomTensor([1, 3, 4, 4]);
    assert.throws(() => s.step(randomTensor([1, 3, 4, 5]), 900, x, { noise: x }), (e) => e instanceof Error &&
                  /\[1, ?3, ?4, ?5\]/.test(e.message) && /\[1, ?3, ?4, ?4\]/.test(e.message));
    assert.throws(() => s.addNoise(x, randomTensor([2, 3, 4, 4]), [1]), Error);
    assert.throws(() => s.addNoise(x, x, [1, 2]), Error);  // one timestep per batch element
    assert.throws(() => s.addNoise(x, x, [1000]), /1000/);  // out of [0, num_train_timesteps)
  } finally {
    s.dispose();
  }
});

test('tensors are validated before they reach the core', () => {
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), /5 elements but shape \[2,3\] needs 6/);
  const s = DDPMScheduler.fromConfig({});
  try {
    const x = randomTensor([1, 1, 2, 2]);
    assert.throws(() => s.step({ data: new Float32Array(3), shape: [1, 1, 2, 2] }, 10, x), /modelOutput/);
    assert.throws(() => s.step(x, 10, { shape: [1] }), /sample must be a Tensor/);
    assert.throws(() => s.step(x, 1.5, x), /timestep must be an integer/);
    // Plain objects and Tensors are interchangeable.
    const out = s.step({ data: x.data, shape: [1, 1, 2, 2] }, 0, x);
    assert.deepEqual(out.prevSample.shape, [1, 1, 2, 2]);
  } finally {
    s.dispose();
  }
});

test('dispose() frees the scheduler; later use throws', () => {
  const s = DDIMScheduler.fromConfig({});
  s.dispose();
  s.dispose();  // idempotent
  assert.equal(s.disposed, true);
  assert.throws(() => s.setTimesteps(10), /DDIMScheduler was disposed/);
  assert.throws(() => s.betas, /disposed/);
});

test('schedulers created and disposed leave malloc where it was', () => {
  const x = randomTensor([4, 3, 16, 16]);
  const run = () => {
    const s = DDIMScheduler.fromConfig({ beta_schedule: 'squaredcos_cap_v2' });
    s.setTimesteps(50);
    s.step(x, 980, x, { eta: 1, noise: x });
    s.addNoise(x, x, [1, 2, 3, 4]);
    s.dispose();
  };
  for (let i = 0; i < 20; ++i) run();
  const before = memoryUsage().mallocBytes;
  for (let i = 0; i < 200; ++i) run();
  const after = memoryUsage().mallocBytes;
  assert.equal(after, before);
});

test('DPMSolverMultistepScheduler has no getVelocity, as in diffusers', () => {
  const s = DPMSolverMultistepScheduler.fromConfig({});
  try {
    const x = randomTensor([1, 1, 2, 2]);
    assert.throws(() => s.getVelocity(x, x, [1]), /getVelocity is not available for DPMSolverMultistepScheduler/);
    s.setTimesteps(10);  // its addNoise reads the sigmas of the chosen timesteps
    assert.deepEqual(s.addNoise(x, x, [s.timesteps[0]]).shape, [1, 1, 2, 2]);
  } finally {
    s.dispose();
  }
});

test('schedulers that are never disposed are freed after garbage collection (FinalizationRegistry)', () => {
  // In a child process with --expose-gc, so that the collection can be forced.
  const script = `
    import { ready, memoryUsage, DDIMScheduler } from ${JSON.stringify(new URL('../../web/src/index.js', import.meta.url).href)};
    await ready();
    const before = memoryUsage().mallocBytes;
    (() => { for (let i = 0; i < 10; ++i) DDIMScheduler.fromConfig({}).setTimesteps(50); })();
    const held = memoryUsage().mallocBytes;
    for (let i = 0; i < 20 && memoryUsage().mallocBytes !== before; ++i) {
      globalThis.gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    console.log(JSON.stringify({ before, held, after: memoryUsage().mallocBytes }));`;
  const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script],
                                      { encoding: 'utf8', timeout: 60000 }));
  assert.ok(out.held > out.before, 'the schedulers held wasm memory');
  assert.equal(out.after, out.before);
});

// Out of memory: more than a wasm32 build can address is an Error naming the size, not a wrapped (too small) buffer
// or an abort; the model or trainer goes on working at a size that fits.
test('out of memory in sampling and in a training step is an Error, and the object stays usable', async () => {
  const { readModelFiles } = await import('../../web/src/model_files.js');
  const { sample, Trainer, UNet2DModel } = await import('../../web/src/index.js');
  const files = await readModelFiles(new URL('../../models/fashion-mnist/', import.meta.url));
  const big = UNet2DModel.fromFiles({ ...JSON.parse(files.config), sample_size: 128 }, files.weights, { threads: 1 });
  try {
    // 1024 images of 128x128: an activation plan of several GB, beyond the 4 GB a wasm32 module addresses (in 32-bit
    // arithmetic the size wrapped around to a small, wrong number).
    assert.throws(() => sample(big, {}, { numImages: 1024, steps: 1, classLabels: [1] }),
                  /activation arena: cannot allocate \d+ MiB: more than this build can address \(4095 MiB\)/);
    const one = sample(big, {}, { numImages: 1, steps: 1, classLabels: [1] });
    assert.deepEqual(one.shape, [1, 1, 128, 128]);
  } finally {
    big.dispose();
  }

  const config = { sample_size: 64, in_channels: 1, out_channels: 1, block_out_channels: [256, 256], norm_num_groups: 8,
                   down_block_types: ['DownBlock2D', 'DownBlock2D'], up_block_types: ['UpBlock2D', 'UpBlock2D'],
                   layers_per_block: 1 };
  const trainer = Trainer.create(config, { seed: 0, threads: 1 });
  try {
    const huge = { data: new Float32Array(1024 * 64 * 64), shape: [1024, 1, 64, 64] };  // 4 GiB per activation
    assert.throws(() => trainer.step({ x0: huge }), /cannot allocate conv_in output \[1024, 64, 64, 256\]/);
    const r = trainer.step({ x0: { data: new Float32Array(16 * 16).fill(0.1), shape: [1, 1, 16, 16] } });
    assert.ok(Number.isFinite(r.loss));
    assert.equal(r.step, 1);  // the failed step changed nothing
  } finally {
    trainer.dispose();
  }
});
