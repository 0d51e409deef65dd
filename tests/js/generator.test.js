// Generator (the Worker API) in Node: the engine runs in a worker_threads Worker. Seeds, cancelling through
// an AbortSignal, the request queue, model sources (directory, bytes, a files map), errors, dispose, and the
// image helpers (toImageData, toPNG) that turn its output into pixels.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { inflateSync } from 'node:zlib';

import { BatchSampler, Generator, ready, Tensor, toImageData, toPNG, Trainer } from '../../web/src/index.js';
import { ROOT } from './helpers.js';

const MODEL = join(ROOT, 'models/fashion-mnist');
let gen;

before(async () => {
  gen = await Generator.create({ model: MODEL });
});

after(async () => {
  await gen?.dispose();
});

test('create loads the model in a worker and says which build runs and why', () => {
  assert.equal(gen.info.build, 'simd-threads');  // Node has SharedArrayBuffer, and the worker can end its pthreads
  assert.ok(gen.info.threads >= 1 && gen.info.threads <= 2, `threads ${gen.info.threads}`);
  assert.match(gen.info.why, /SharedArrayBuffer/);
  assert.equal(gen.info.cancel, 'flag');
  assert.ok(Object.isFrozen(gen.info));
  assert.deepEqual(gen.modelInfo.sampleSize, [32, 32]);
  assert.equal(gen.modelInfo.nullClassIndex, 10);
  assert.equal(gen.config.null_class_index, 10);
  assert.equal(gen.schedulerConfig.beta_schedule, 'linear');
});

test('the same seed gives identical images, another seed others', async () => {
  const opts = { steps: 3, numImages: 2, classLabels: [3, 7], guidanceScale: 2 };
  const a = await gen.generate({ ...opts, seed: 5 });
  const b = await gen.generate({ ...opts, seed: 5 });
  const c = await gen.generate({ ...opts, seed: 6 });
  assert.ok(a.images instanceof Tensor);
  assert.deepEqual(a.images.shape, [2, 1, 32, 32]);
  assert.ok(a.images.data.every(Number.isFinite));
  assert.deepEqual(a.images.data, b.images.data);
  assert.notDeepEqual(a.images.data, c.images.data);
  assert.equal(a.steps, 3);
  assert.ok(a.msPerStep > 0 && a.totalMs >= a.msPerStep);
});

test('generate() passes guidanceInterval to the worker: guided nowhere is guidance scale 1', async () => {
  const opts = { steps: 3, numImages: 2, classLabels: [3, 7], guidanceScale: 2, seed: 5 };
  const nowhere = await gen.generate({ ...opts, guidanceInterval: [5000, 6000] });
  assert.deepEqual(nowhere.images.data, (await gen.generate({ ...opts, guidanceScale: 1 })).images.data);
  assert.notDeepEqual(nowhere.images.data, (await gen.generate(opts)).images.data);
});

test('onProgress comes once per step with a preview of x0', async () => {
  const seen = [];
  const { images } = await gen.generate({ scheduler: 'dpmpp', steps: 4, numImages: 3, classLabels: 1, seed: 2,
                                          onProgress: (p) => seen.push(p) });
  assert.deepEqual(seen.map((p) => p.step), [1, 2, 3, 4]);
  assert.ok(seen.every((p) => p.total === 4 && p.preview instanceof Tensor && p.preview.shape.join() === '3,1,32,32'));
  assert.ok(seen.every((p, i) => i === 0 || p.timestep < seen[i - 1].timestep), 'timesteps descend');
  assert.ok(seen.every((p, i) => i === 0 || p.elapsedMs >= seen[i - 1].elapsedMs));
  assert.equal(images.shape[0], 3);
});

test('aborting mid-run rejects with an AbortError within one step; memory goes back; the next run works', async () => {
  const request = { steps: 40, numImages: 4, classLabels: [0, 1, 2, 3], guidanceScale: 2 };
  await gen.generate({ ...request, steps: 2 });  // the model's buffers for this batch are kept for the next run
  const baseline = (await gen.memoryUsage()).mallocBytes;
  const controller = new AbortController();
  const steps = [];
  let abortedAt = 0;
  const run = gen.generate({
    ...request, signal: controller.signal,
    onProgress: (p) => {
      steps.push({ step: p.step, at: performance.now() });
      if (p.step === 2) {
        abortedAt = performance.now();
        controller.abort();
      }
    },
  });
  const error = await run.then(() => null, (e) => e);
  const rejectedAt = performance.now();
  assert.ok(error instanceof Error, `rejected with ${error}`);
  assert.equal(error.name, 'AbortError');
  assert.match(error.message, /aborted/);
  // The worker was at step 3 when the signal fired and stops at its end: at most one more progress event.
  assert.ok(steps.length <= 3, `${steps.length} steps ran`);
  const stepMs = steps[1].at - steps[0].at;
  assert.ok(rejectedAt - abortedAt < 3 * stepMs + 200, `rejected ${(rejectedAt - abortedAt).toFixed(0)} ms after abort(), ` +
                                                         `a step takes ${stepMs.toFixed(0)} ms`);
  assert.equal((await gen.memoryUsage()).mallocBytes, baseline, 'the cancelled run freed its memory');
  const next = await gen.generate({ steps: 2, classLabels: 4, seed: 1 });
  assert.deepEqual(next.images.shape, [1, 1, 32, 32]);
});

test('requests queue: a second generate starts after the first has finished', async () => {
  const events = [];
  const first = gen.generate({ steps: 3, classLabels: 1, onProgress: (p) => events.push(`a${p.step}`) })
    .then(() => events.push('a done'));
  const second = gen.generate({ steps: 2, classLabels: 2, onProgress: (p) => events.push(`b${p.step}`) })
    .then(() => events.push('b done'));
  await Promise.all([first, second]);
  assert.deepEqual(events, ['a1', 'a2', 'a3', 'a done', 'b1', 'b2', 'b done']);
});

test("an abort rejects with the signal's reason when one is given, as fetch does; a plain abort() with an AbortError", async () => {
  const reason = new Error('the user left');
  // Aborted before the call.
  await assert.rejects(gen.generate({ steps: 2, classLabels: 1, signal: AbortSignal.abort(reason) }), (e) => e === reason);
  const timeout = AbortSignal.timeout(0);
  await new Promise((resolve) => setTimeout(resolve, 20));
  await assert.rejects(gen.generate({ steps: 2, classLabels: 1, signal: timeout }), (e) => e === timeout.reason && e.name === 'TimeoutError');
  // While queued.
  const controller = new AbortController();
  const first = gen.generate({ steps: 4, classLabels: 1 });
  const queued = gen.generate({ steps: 2, classLabels: 1, signal: controller.signal });
  controller.abort(reason);
  await assert.rejects(queued, (e) => e === reason);
  await first;
  // Mid-run, and the editing calls likewise.
  const running = new AbortController();
  await assert.rejects(gen.generate({ steps: 20, classLabels: 1, signal: running.signal,
                                      onProgress: ({ step }) => { if (step === 2) running.abort(reason); } }), (e) => e === reason);
  const image = Tensor.zeros([1, 1, 32, 32]);
  const pre = AbortSignal.abort(reason);
  await assert.rejects(gen.inpaint({ image, mask: image, classLabels: [0], signal: pre }), (e) => e === reason);
  await assert.rejects(gen.imageToImage({ image, strength: 0.5, classLabels: [0], signal: pre }), (e) => e === reason);
  await assert.rejects(gen.invert({ image, classLabels: [0], signal: pre }), (e) => e === reason);
  // A plain abort() (its reason a generic AbortError): our AbortError, saying where it stopped, with it as the cause.
  const plain = AbortSignal.abort();
  await assert.rejects(gen.generate({ steps: 2, classLabels: 1, signal: plain }),
                       (e) => e.name === 'AbortError' && /generate was aborted before it started/.test(e.message) && e.cause === plain.reason);
});

test('a signal aborted before the run, or while queued, rejects at once and runs nothing', async () => {
  await assert.rejects(gen.generate({ steps: 2, classLabels: 1, signal: AbortSignal.abort() }), { name: 'AbortError' });
  const controller = new AbortController();
  let ran = false;
  const first = gen.generate({ steps: 4, classLabels: 1 });
  const queued = gen.generate({ steps: 2, classLabels: 1, signal: controller.signal, onProgress: () => { ran = true; } });
  controller.abort();
  await assert.rejects(queued, { name: 'AbortError', message: /while queued/ });
  await first;
  assert.equal(ran, false);
});

test('an exception in onProgress stops the run and is rethrown', async () => {
  const mine = new RangeError('stop here');
  await assert.rejects(gen.generate({ steps: 20, classLabels: 1, onProgress: (p) => { if (p.step === 1) throw mine; } }),
                       (e) => e === mine);
  assert.deepEqual((await gen.generate({ steps: 1, classLabels: 1 })).images.shape, [1, 1, 32, 32]);
});

test('bad requests reject with Errors carrying the core message', async () => {
  const bad = (options, kind, pattern) => assert.rejects(gen.generate(options), (e) => e instanceof kind && pattern.test(e.message));
  await bad({ steps: 0, classLabels: [1] }, Error, /^steps 0 must be in 1\.\.1000/);
  await bad({ steps: 2, classLabels: [10] }, Error, /class label 10 is out of range: the model has 10 classes/);
  await bad({ steps: 2 }, Error, /class-conditional/);
  await bad({ scheduler: 'euler', classLabels: [1] }, Error, /scheduler 'euler' must be one of ddpm, ddim, dpmpp/);
  await bad({ steps: 1.5, classLabels: [1] }, TypeError, /^generate: steps must be an integer/);
  await bad({ steps: 2, classLabels: [1], latents: Tensor.zeros([1, 1, 8, 8]) }, Error, /latents shape/);
  await bad({ signal: 'stop' }, TypeError, /signal must be an AbortSignal/);
  // An unknown option is an error naming it, not a silent default (sample()'s options plus signal).
  await bad({ steps: 2, classLabels: [1], guidanceScal: 2 }, TypeError,
            /^generate: unknown option 'guidanceScal'; the options are scheduler, steps, eta, numImages, classLabels, guidanceScale, guidanceInterval, seed, latents, clipSample, onProgress, signal$/);
  await bad({ classLabels: [1], stpes: undefined }, TypeError, /unknown option 'stpes'/);
  await assert.rejects(gen.imageToImageStartTimestep({ strength: 0.5, classLabels: [1] }),
                       (e) => e instanceof TypeError && /^imageToImageStartTimestep: unknown option 'classLabels'; the options are strength, scheduler, steps$/.test(e.message));
  // The generator is still usable.
  assert.equal((await gen.generate({ steps: 1, classLabels: 2 })).steps, 1);
});

test('models from bytes and from a files map give the same images as from the folder', async () => {
  const opts = { steps: 2, classLabels: 5, seed: 9 };
  const single = await Generator.create({ model: MODEL, threads: 1 });
  const config = readFileSync(join(MODEL, 'unet/config.json'), 'utf8');
  const weights = readFileSync(join(MODEL, 'unet/diffusion_pytorch_model.safetensors'));
  const scheduler = readFileSync(join(MODEL, 'scheduler/scheduler_config.json'), 'utf8');
  const bytes = await Generator.create({ model: { config, weights, schedulerConfig: scheduler }, threads: 1 });
  const files = await Generator.create({
    model: { 'fashion-mnist/model_index.json': readFileSync(join(MODEL, 'model_index.json')),
             'fashion-mnist/unet/config.json': config, 'fashion-mnist/unet/diffusion_pytorch_model.safetensors': weights,
             'fashion-mnist/scheduler/scheduler_config.json': scheduler, 'fashion-mnist/loss.png': new Uint8Array(3) },
    threads: 1,
  });
  try {
    assert.equal(single.info.build, 'simd');
    assert.equal(single.info.why, 'threads: 1 requested');
    assert.equal(files.schedulerConfig.beta_schedule, 'linear');
    const [a, b, c] = await Promise.all([single, bytes, files].map((g) => g.generate(opts)));
    assert.deepEqual(b.images.data, a.images.data);
    assert.deepEqual(c.images.data, a.images.data);
    // The same seed gives the same images in both builds.
    assert.deepEqual((await gen.generate(opts)).images.data, a.images.data);
  } finally {
    await Promise.all([single.dispose(), bytes.dispose(), files.dispose()]);
  }
});

test('a bad model rejects create with a clear Error and leaves no worker behind', async () => {
  await assert.rejects(Generator.create({ model: 'http://127.0.0.1:9/no-model/' }),
                       (e) => e instanceof Error && /^http:\/\/127\.0\.0\.1:9\/no-model\/model_index\.json: /.test(e.message));
  await assert.rejects(Generator.create({ model: join(ROOT, 'no/such/dir') }), /no\/such\/dir: not a directory/);
  await assert.rejects(Generator.create({ model: join(ROOT, 'models/toy2d') }), /'ToyMLPDenoiser'; only UNet2DModel is supported/);
  await assert.rejects(Generator.create({ model: { 'a/readme.txt': 'hi' } }), /no model_index\.json, and no config\.json/);
  await assert.rejects(Generator.create({ model: { 'unet/config.json': '{}', 'model_index.json': '{}' } }),
                       /no diffusion_pytorch_model\.safetensors/);
  await assert.rejects(Generator.create({ model: 42 }), TypeError);
  await assert.rejects(Generator.create({ model: MODEL, threads: 0 }), /threads must be 'auto' or a positive integer/);
});

test('more threads than the build prestarts: the worker starts them first', async () => {
  const wide = await Generator.create({ model: MODEL, threads: 3 });
  try {
    assert.equal(wide.info.threads, 3);
    assert.equal(wide.info.build, 'simd-threads');
    const opts = { steps: 2, numImages: 3, classLabels: [1, 2, 3], seed: 4 };
    // Threads split output channels and rows, never a sum: the same bits for any thread count.
    assert.deepEqual((await wide.generate(opts)).images.data, (await gen.generate(opts)).images.data);
  } finally {
    await wide.dispose();
  }
});

test('wasmPaths names where the builds are', async () => {
  const dist = await Generator.create({ model: MODEL, wasmPaths: join(ROOT, 'dist') });
  const single = await Generator.create({ model: MODEL, threads: 1, wasmPaths: { simd: new URL('../../dist/simd/', import.meta.url) } });
  try {
    assert.equal(dist.info.build, 'simd-threads');
    assert.equal(single.info.build, 'simd');
    assert.equal((await single.generate({ steps: 1, classLabels: 0 })).steps, 1);
  } finally {
    await Promise.all([dist.dispose(), single.dispose()]);
  }
  await assert.rejects(Generator.create({ model: MODEL, wasmPaths: join(ROOT, 'no-dist') }),
                       /neither build loads: simd-threads: .*no-dist\/simd-threads\/ddpm\.mjs.*; simd: .*no-dist\/simd\/ddpm\.mjs/);
  await assert.rejects(Generator.create({ model: MODEL, wasmPaths: 3 }), TypeError);
});

test('dispose rejects what is running and queued with an AbortError, and later calls with an Error', async () => {
  const g = await Generator.create({ model: MODEL, threads: 1 });
  const running = g.generate({ steps: 30, numImages: 4, classLabels: 1 });
  const queued = g.generate({ steps: 2, classLabels: 1 });
  const checks = [assert.rejects(running, { name: 'AbortError' }), assert.rejects(queued, { name: 'AbortError' })];
  await new Promise((r) => setTimeout(r, 50));
  await g.dispose();
  await Promise.all(checks);
  await assert.rejects(g.generate({ steps: 1, classLabels: 1 }), /the Generator was disposed/);
  await g.dispose();  // twice is fine
});

// A tiny class-conditional UNet (8x8, 1 channel, 3 classes + a null class) for training in the worker.
const TINY = { sample_size: 8, in_channels: 1, out_channels: 1, block_out_channels: [8, 16], norm_num_groups: 4,
               layers_per_block: 1, down_block_types: ['DownBlock2D', 'DownBlock2D'], up_block_types: ['UpBlock2D', 'UpBlock2D'],
               num_class_embeds: 4, null_class_index: 3 };

function tinyDataset(n) {
  const images = Tensor.zeros([n, 1, 8, 8]);
  const labels = [];
  for (let i = 0; i < n; ++i) {
    labels.push(i % 3);
    for (let p = 0; p < 64; ++p) images.data[i * 64 + p] = (p % 8 < 4) === (i % 3 === 0) ? 0.8 : -0.8;
  }
  return { images, labels };
}

test('createTrainer trains in the worker, is seeded, stops on abort keeping its steps, and exports a pipeline Generator loads',
     async () => {
  const dataset = tinyDataset(10);
  const run = async () => {
    const t = await gen.createTrainer({ unetConfig: TINY, lr: 2e-3, batchSize: 4, emaDecay: 0.9, seed: 4, labelDropout: 0.2 });
    const seen = [];
    const r = await t.train({ dataset, steps: 4, onProgress: (p) => seen.push(p) });
    return { t, r, seen };
  };
  const a = await run();
  const b = await run();
  try {
    assert.deepEqual(a.seen.map((p) => p.step), [1, 2, 3, 4]);
    assert.ok(a.seen.every((p) => p.total === 4 && Number.isFinite(p.loss) && p.gradNorm > 0 && p.lr > 0));
    assert.equal(a.r.steps, 4);
    assert.equal(a.r.trainerStep, 4);
    assert.ok(a.r.losses instanceof Float32Array && a.r.losses.length === 4);
    assert.deepEqual(b.r.losses, a.r.losses, 'the same seed, the same batches and losses');

    // Abort in the middle: the steps taken stay taken, and training goes on from there.
    const controller = new AbortController();
    await assert.rejects(a.t.train({ dataset, steps: 50, signal: controller.signal,
                                     onProgress: (p) => { if (p.step === 2) controller.abort(); } }),
                         { name: 'AbortError', message: /train was aborted/ });
    const more = await a.t.train({ dataset, steps: 1 });
    assert.ok(more.trainerStep > 6 && more.trainerStep < 12, `trainer step ${more.trainerStep}`);

    const files = await a.t.exportPipeline();
    assert.equal(JSON.parse(files['unet/config.json']).null_class_index, 3);
    assert.ok(files['unet/diffusion_pytorch_model.safetensors'] instanceof Uint8Array);
    const trained = await Generator.create({ model: files, threads: 1 });
    try {
      const { images } = await trained.generate({ steps: 2, numImages: 2, classLabels: [0, 2], guidanceScale: 2 });
      assert.deepEqual(images.shape, [2, 1, 8, 8]);
      assert.ok(images.data.every(Number.isFinite));
    } finally {
      await trained.dispose();
    }
    await assert.rejects(a.t.train({ dataset: { images: dataset.images, labels: [1] }, steps: 1 }), /1 labels for 10 images/);
    await assert.rejects(a.t.train({ dataset: tinyDataset(2), steps: 1 }), /batchSize 4 is more than the dataset's 2 images/);
    await assert.rejects(gen.createTrainer({ unetConfig: { ...TINY, dropout: 0.5 } }), /dropout/);
  } finally {
    await a.t.dispose();
    await b.t.dispose();
  }
  await assert.rejects(a.t.train({ dataset, steps: 1 }), /the trainer was disposed/);
});

test('toImageData and toPNG map [-1, 1] to pixels as diffusers does', () => {
  const t = new Tensor([-1, -0.5, 0, 0.5, 1, 2, -3, NaN], [2, 1, 2, 2]);
  const img = toImageData(t, 1);
  assert.equal(img.width, 2);
  assert.equal(img.height, 2);
  // round(clamp(x / 2 + 0.5, 0, 1) * 255): 1 -> 255, 2 -> 255, -3 -> 0, NaN -> 0; gray goes to R, G and B.
  assert.deepEqual(Array.from(img.data), [255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
  assert.deepEqual(Array.from(toImageData(t, 0).data.filter((_, i) => i % 4 === 0)), [0, 64, 128, 191]);
  assert.throws(() => toImageData(t, 2), /index 2 is not in 0\.\.1/);
  assert.throws(() => toImageData(Tensor.zeros([1, 2, 2, 2])), /2 channels/);

  const png = (tensor, options) => {
    const bytes = toPNG(tensor, options);
    assert.deepEqual(Array.from(bytes.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const width = view.getUint32(16);
    const height = view.getUint32(20);
    const colorType = bytes[25];
    const idatLength = view.getUint32(33);
    const raw = inflateSync(bytes.subarray(41, 41 + idatLength));
    return { width, height, colorType, raw };
  };
  const one = png(t, { index: 0 });
  assert.deepEqual([one.width, one.height, one.colorType], [2, 2, 0]);
  assert.deepEqual(Array.from(one.raw), [0, 0, 64, 0, 128, 191]);  // filter byte 0, then the row
  const grid = png(t, { padding: 1, padValue: 7 });  // 2 images: 2 columns
  assert.deepEqual([grid.width, grid.height], [7, 4]);
  assert.deepEqual(Array.from(grid.raw.subarray(8, 16)), [0, 7, 0, 64, 7, 255, 255, 7]);
  const rgb = png(new Tensor(new Float32Array(3 * 70 * 400).fill(1), [1, 3, 70, 400]));  // > 64 KB: several stored blocks
  assert.deepEqual([rgb.width, rgb.height, rgb.colorType, rgb.raw.length], [400, 70, 2, 70 * 1201]);
});

test("toPNG's default padding is the CLI grids' rule: 2 px between and around several images, none for one", () => {
  const size = (tensor, options) => {
    const view = new DataView(toPNG(tensor, options).buffer);
    return [view.getUint32(16), view.getUint32(20)];
  };
  assert.deepEqual(size(Tensor.zeros([4, 1, 32, 32])), [70, 70]);         // 2x2: 2 * (32 + 2) + 2
  assert.deepEqual(size(Tensor.zeros([5, 3, 8, 8])), [32, 22]);           // 3 columns, 2 rows
  assert.deepEqual(size(Tensor.zeros([1, 1, 32, 32])), [32, 32]);         // one image is the image itself
  assert.deepEqual(size(Tensor.zeros([4, 1, 32, 32]), { index: 2 }), [32, 32]);
  assert.deepEqual(size(Tensor.zeros([4, 1, 32, 32]), { padding: 0 }), [64, 64]);
  assert.throws(() => toPNG(Tensor.zeros([1, 1, 2, 2]), { pading: 2 }),
                (e) => e instanceof TypeError && /^toPNG: unknown option 'pading'; the options are index, cols, padding, padValue$/.test(e.message));
});

test('a Generator without a model trains (createTrainer from a unetConfig) and says so when asked to generate', async () => {
  const bare = await Generator.create({ threads: 1 });
  try {
    assert.equal(bare.modelInfo, null);
    assert.equal(bare.config, null);
    await assert.rejects(bare.generate({ steps: 2 }), /generate: this Generator has no model \(Generator.create\(\{ model \}\) loads one\)/);
    await assert.rejects(bare.createTrainer({ batchSize: 2 }), /no unetConfig, and the Generator has no model to fine-tune/);
    const trainer = await bare.createTrainer({ unetConfig: TINY, batchSize: 2, seed: 1 });
    const r = await trainer.train({ dataset: tinyDataset(4), steps: 3 });
    assert.equal(r.steps, 3);
    assert.ok(Array.from(r.losses).every(Number.isFinite));
    await trainer.dispose();
  } finally {
    await bare.dispose();
  }
});

test("the worker's trainer draws `ddpm train`'s batches (the core's BatchSampler) for its seed", async () => {
  await ready({ build: 'simd' });
  // Every image different, so that another batch order gives other losses.
  const n = 7;
  const images = Tensor.zeros([n, 1, 8, 8]);
  for (let i = 0; i < n; ++i) for (let p = 0; p < 64; ++p) images.data[i * 64 + p] = Math.sin(i * 1.7 + p * 0.3) * 0.9;
  const labels = Array.from({ length: n }, (_, i) => i % 3);

  const bare = await Generator.create({ threads: 1 });  // the simd build, as on this thread: the same arithmetic
  let inWorker;
  try {
    const t = await bare.createTrainer({ unetConfig: TINY, batchSize: 3, seed: 11 });
    inWorker = (await t.train({ dataset: { images, labels }, steps: 5 })).losses;  // 15 draws: past an epoch's end
  } finally {
    await bare.dispose();
  }

  const sampler = new BatchSampler(n, 11);
  const trainer = Trainer.create(TINY, { seed: 11, threads: 1, scheduler: {} });
  try {
    const here = [];
    const epochs = [];
    for (let s = 0; s < 5; ++s) {
      const idx = sampler.next(3);
      const x0 = new Float32Array(3 * 64);
      idx.forEach((i, b) => x0.set(images.data.subarray(i * 64, (i + 1) * 64), b * 64));
      here.push(trainer.step({ x0: { data: x0, shape: [3, 1, 8, 8] }, classLabels: Array.from(idx, (i) => labels[i]) }).loss);
      epochs.push(sampler.epoch);
    }
    assert.deepEqual(Array.from(inWorker), Array.from(Float32Array.from(here)));
    assert.deepEqual(epochs, [0, 0, 1, 1, 2]);
  } finally {
    trainer.dispose();
    sampler.dispose();
  }
});

test('BatchSampler: each epoch a permutation, the same for the same seed, another for another seed', async () => {
  await ready({ build: 'simd' });
  const draw = (seed) => {
    const s = new BatchSampler(10, seed);
    try {
      return [Array.from(s.next(10)), Array.from(s.next(10))];
    } finally {
      s.dispose();
    }
  };
  const [first, second] = draw(3);
  assert.deepEqual([...first].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...second].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.notDeepEqual(first, second, 'each epoch reshuffles');
  assert.deepEqual(draw(3), [first, second]);
  assert.notDeepEqual(draw(4)[0], first);
  assert.throws(() => new BatchSampler(0, 1), /count must be a positive integer/);
});
