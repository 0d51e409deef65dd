// sample(): the reverse process with a UNet2DModel through the public JS API.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { DDIMScheduler, memoryUsage, ready, sample, Tensor, UNet2DModel } from '../../web/src/index.js';
import { referencePath, ROOT } from './helpers.js';

let cond;     // unet_cond: 10 classes, no null class
let guided;   // the shipped fashion-mnist pipeline: 10 classes + a null class (index 10) for guidance

before(async () => {
  await ready();
  cond = await UNet2DModel.fromPretrained(referencePath('unet_cond'));
  guided = await UNet2DModel.fromPretrained(join(ROOT, 'models/fashion-mnist'));
});

after(() => {
  cond.dispose();
  guided.dispose();
});

const latents = (n) => {
  const t = Tensor.zeros([n, 1, 32, 32]);
  for (let i = 0; i < t.size; ++i) t.data[i] = Math.sin(i * 12.9898) * 1.3;
  return t;
};

test('the same seed gives identical images, another seed others', () => {
  const opts = { steps: 3, numImages: 2, classLabels: [3, 7] };
  const a = sample(cond, {}, { ...opts, seed: 11 });
  const b = sample(cond, {}, { ...opts, seed: 11 });
  const c = sample(cond, {}, { ...opts, seed: 12 });
  assert.ok(a instanceof Tensor);
  assert.deepEqual(a.shape, [2, 1, 32, 32]);
  assert.ok(a.data.every(Number.isFinite));
  assert.deepEqual(a.data, b.data);
  assert.notDeepEqual(a.data, c.data);
});

test('deterministic DDIM from given latents equals a loop of forward() and DDIMScheduler.step()', () => {
  const x = latents(2);
  const steps = 4;
  const got = sample(cond, {}, { scheduler: 'ddim', steps, numImages: 2, classLabels: [1, 8], latents: x, seed: 99 });
  const s = DDIMScheduler.fromConfig({});
  try {
    s.setTimesteps(steps);
    let cur = x;
    for (const t of s.timesteps) cur = s.step(cond.forward(cur, [t], [1, 8]), t, cur).prevSample;
    assert.deepEqual(got.data, cur.data);  // the same code path, so the same bits
  } finally {
    s.dispose();
  }
});

test('onProgress is called once per step with the timestep and a preview of x0', () => {
  const seen = [];
  const steps = 5;
  sample(cond, {}, { scheduler: 'dpmpp', steps, classLabels: [2], onProgress: (p) => { seen.push(p); } });
  assert.equal(seen.length, steps);
  assert.deepEqual(seen.map((p) => p.step), [1, 2, 3, 4, 5]);
  assert.ok(seen.every((p) => p.total === steps));
  assert.ok(seen.every((p) => p.preview instanceof Tensor && p.preview.shape.join() === '1,1,32,32'));
  const ts = seen.map((p) => p.timestep);
  assert.deepEqual(ts, [...ts].sort((x, y) => y - x), 'timesteps descend');
});

test('onProgress returning false stops the run with an AbortError, and memory goes back', () => {
  const run = (stopAt) => {
    let calls = 0;
    assert.throws(() => sample(guided, {}, { steps: 10, classLabels: [1], guidanceScale: 3, onProgress: () => ++calls < stopAt }),
                  (e) => e instanceof Error && e.name === 'AbortError' && new RegExp(`cancelled at step ${stopAt}`).test(e.message));
    assert.equal(calls, stopAt);
  };
  run(1);  // warm up allocator pools
  const before = memoryUsage().mallocBytes;
  run(2);
  run(10);
  assert.equal(memoryUsage().mallocBytes, before);
});

test('an exception in onProgress stops the run and is rethrown as is', () => {
  const mine = new RangeError('stop here');
  let calls = 0;
  assert.throws(() => sample(cond, {}, { steps: 5, classLabels: [0], onProgress: () => { if (++calls === 3) throw mine; } }),
                (e) => e === mine);
  assert.equal(calls, 3);
});

test('classifier-free guidance uses the null class', () => {
  const x = latents(1);
  const base = { steps: 2, classLabels: [4], latents: x };
  const plain = sample(guided, {}, base);
  const mixed = sample(guided, {}, { ...base, guidanceScale: 3 });
  assert.notDeepEqual(plain.data, mixed.data);
  assert.deepEqual(sample(guided, {}, { ...base, guidanceScale: 1 }).data, plain.data);
});

test('guidanceInterval guides only at the timesteps it names; not given, the model default applies', () => {
  const base = { scheduler: 'ddim', steps: 4, numImages: 2, classLabels: [4, 7], latents: latents(2), guidanceScale: 3 };
  const everywhere = sample(guided, {}, base);
  assert.deepEqual(sample(guided, {}, { ...base, guidanceInterval: [0, 999] }).data, everywhere.data);
  // No timestep inside: the conditional prediction alone, as guidance scale 1.
  assert.deepEqual(sample(guided, {}, { ...base, guidanceInterval: [1000, 2000] }).data,
                   sample(guided, {}, { ...base, guidanceScale: 1 }).data);
  // DDIM 4 of 1000 ("leading") runs t = 750, 500, 250, 0: [200, 600] guides the middle two.
  const middle = sample(guided, {}, { ...base, guidanceInterval: [200, 600] });
  assert.notDeepEqual(middle.data, everywhere.data);
  assert.notDeepEqual(middle.data, sample(guided, {}, { ...base, guidanceScale: 1 }).data);
  const keep = guided.samplingDefaults;
  try {
    guided.samplingDefaults = { ...keep, guidance_interval: [200, 600] };
    assert.deepEqual(sample(guided, {}, base).data, middle.data);
    assert.deepEqual(sample(guided, {}, { ...base, guidanceInterval: [0, 999] }).data, everywhere.data);  // the caller's wins
  } finally {
    guided.samplingDefaults = keep;
  }
  assert.throws(() => sample(guided, {}, { ...base, guidanceInterval: [600, 200] }),
                (e) => /^guidance interval \[600, 200\] must be two timesteps lo <= hi, lo >= 0$/.test(e.message));
  for (const bad of [5, [1], [1, 2.5], '0,999']) {
    assert.throws(() => sample(guided, {}, { ...base, guidanceInterval: bad }),
                  (e) => e instanceof TypeError && /^sample: guidanceInterval must be \[lo, hi\], two integer timesteps$/.test(e.message));
  }
});

test('bad requests throw Errors with the core message', () => {
  const bad = (options, pattern, model = cond) => assert.throws(() => sample(model, {}, options),
                                                               (e) => e instanceof Error && pattern.test(e.message));
  bad({ steps: 0, classLabels: [1] }, /^steps 0 must be in 1\.\.1000/);
  bad({ steps: 2000, classLabels: [1] }, /steps 2000 must be in 1\.\.1000/);
  bad({ steps: 2, classLabels: [10] }, /^class label 10 is out of range: the model has 10 classes \(0\.\.9\)$/);
  bad({ steps: 2, classLabels: [10] }, /class label 10 is out of range: the model has 10 classes/, guided);  // the null class
  bad({ steps: 2, classLabels: [-1] }, /class label -1 is out of range/);
  bad({ steps: 2 }, /class-conditional/);
  bad({ steps: 2, classLabels: [1, 2, 3], numImages: 2 }, /3 class labels for 2 images/);
  bad({ steps: 2, classLabels: [1], guidanceScale: 2 }, /null class/);
  bad({ steps: 2, classLabels: [1], numImages: 0 }, /num_images must be at least 1/);
  bad({ steps: 2, classLabels: [1], numImages: 2 ** 21 }, /cannot allocate 2097152 images of \[1, 32, 32\]/);  // 8 GiB
  bad({ scheduler: 'euler', classLabels: [1] }, /scheduler 'euler' must be one of ddpm, ddim, dpmpp/);
  bad({ steps: 2, classLabels: [1], latents: Tensor.zeros([1, 1, 16, 16]) }, /latents shape \[1, ?1, ?16, ?16\]/);
  assert.throws(() => sample(cond, { beta_schedule: 'cosine' }, { steps: 2, classLabels: [1] }), /beta_schedule/);
  assert.throws(() => sample(cond, {}, { steps: 1.5, classLabels: [1] }), /steps must be an integer/);
  assert.throws(() => sample(cond, {}, { seed: -1, classLabels: [1] }), /seed must be a non-negative integer/);
  assert.throws(() => sample({}, {}, {}), /unet must be a UNet2DModel/);
});

test('an unknown option is a TypeError naming it and listing the valid ones, not a silent default', () => {
  const unknown = (options, name) => assert.throws(() => sample(cond, {}, options), (e) => e instanceof TypeError &&
    e.message === `sample: unknown option '${name}'; the options are scheduler, steps, eta, numImages, classLabels, ` +
                  'guidanceScale, guidanceInterval, seed, latents, clipSample, onProgress');
  unknown({ steps: 2, classLabels: [1], guidanceScal: 2 }, 'guidanceScal');
  unknown({ stpes: 2, classLabels: [1] }, 'stpes');
  unknown({ classLabels: [1], num_images: 2 }, 'num_images');  // diffusers' spelling is not ours
  unknown({ classLabels: [1], signal: undefined }, 'signal');  // generate()'s, not sample()'s; whatever the value
  // null as the scheduler config (a UNet folder's unet.schedulerConfig): diffusers' defaults, as {}.
  assert.deepEqual(sample(cond, null, { steps: 2, classLabels: [1] }).data, sample(cond, {}, { steps: 2, classLabels: [1] }).data);
});

test("a pipeline's sampling_defaults.json fills the settings a caller leaves out, by the core's rule", () => {
  // The shipped pipeline's file is read by fromPretrained.
  assert.deepEqual(guided.samplingDefaults, { scheduler: 'ddim', steps: 50, eta: 0, guidance_scale: 1,
                                              inpaint: { steps: 50, jump_length: 10, jump_n_sample: 5 } });
  const keep = guided.samplingDefaults;
  try {
    guided.samplingDefaults = { scheduler: 'dpmpp', steps: 3, guidance_scale: 2 };
    const opts = { numImages: 2, classLabels: [1, 8], seed: 5 };
    let total = 0;
    const byDefaults = sample(guided, {}, { ...opts, onProgress: (p) => { total = p.total; } });
    assert.equal(total, 3);
    const explicit = sample(guided, {}, { ...opts, scheduler: 'dpmpp', steps: 3, guidanceScale: 2 });
    assert.deepEqual(byDefaults.data, explicit.data);
    // A caller's value wins over the file's.
    const unguided = sample(guided, {}, { ...opts, guidanceScale: 1 });
    assert.notDeepEqual(unguided.data, byDefaults.data);
    assert.deepEqual(unguided.data, sample(guided, {}, { ...opts, scheduler: 'dpmpp', steps: 3, guidanceScale: 1 }).data);
  } finally {
    guided.samplingDefaults = keep;
  }
});

test('a named scheduler without steps runs its own step count, not the model default', () => {
  const keep = guided.samplingDefaults;
  guided.samplingDefaults = { scheduler: 'dpmpp', steps: 3 };
  let total = 0;
  try {
    assert.throws(() => sample(guided, {}, { scheduler: 'ddim', classLabels: [0],
                                             onProgress: (p) => { total = p.total; return false; } }),
                  { name: 'AbortError' });
    assert.equal(total, 50);
    // A bad value in the file is an error that names the file and the key.
    guided.samplingDefaults = { steps: 0 };
    assert.throws(() => sample(guided, {}, { classLabels: [0] }), /sampling_defaults\.json.*steps/);
  } finally {
    guided.samplingDefaults = keep;
  }
});
