// Editing through the public JS API: RePaintScheduler and DDIMInverseScheduler against diffusers' dumps, the
// inpaint and invert pipelines replaying RePaintPipeline and diffusers' inversion loop on unet_tiny, pictures
// (PNG bytes and canvas pixels) fitted to the model, the editing calls' errors, and Generator's editing in its
// worker on the shipped Fashion-MNIST model.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  DDIMInverseScheduler, Generator, imageToImage, imageToImageStartTimestep, imageToTensor, inpaint, invert, invertedSampling,
  ready, RePaintScheduler, sample, slerp, toPNG, UNet2DModel,
} from '../../web/src/index.js';
import { asTensor, assertClose, readReferenceJson, readSafetensors, referencePath, ROOT, withScheduler } from './helpers.js';

// The editing schedulers are plain float32 arithmetic in diffusers' order: as in the native reference tests
// (tests/unit/diffusion/editing_schedulers_reference_test.cc), |a-b| <= 1e-6 + 1e-6·|b|; the relative part
// covers x0 near t = T, where one float32 ulp is ~1e-5 and wasm's multiply-add rounds twice.
const STEP_ATOL = 1e-6;
const STEP_RTOL = 1e-6;
const MODEL = join(ROOT, 'models/fashion-mnist');

let tiny;
before(async () => {
  await ready();
  tiny = await UNet2DModel.fromPretrained(referencePath('unet_tiny'));
});
after(() => tiny?.dispose());

describe('RePaintScheduler', () => {
  const ref = readReferenceJson('repaint.json');
  const st = readSafetensors(referencePath('repaint.safetensors')).tensors;
  const get = (key) => asTensor(st[key]);

  test('jump schedules', () => {
    for (const c of ref.timesteps) {
      withScheduler(RePaintScheduler, { num_train_timesteps: c.num_train_timesteps }, (s) => {
        s.setTimesteps(c.num_inference_steps, { jumpLength: c.jump_length, jumpNSample: c.jump_n_sample });
        assert.deepEqual(Array.from(s.timesteps), c.timesteps, `n=${c.num_inference_steps} jumps ${c.jump_length}x${c.jump_n_sample}`);
      });
    }
  });

  test(`${ref.step_cases.length} steps with the stored noise`, () => {
    for (const c of ref.step_cases) {
      withScheduler(RePaintScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps, { jumpLength: c.jump_length, jumpNSample: c.jump_n_sample });
        const k = c.key;
        const out = s.step(get(`${k}.model_output`), c.timestep, get(`${k}.sample`), get(`${k}.original_image`), get(`${k}.mask`),
                           { noise: get(`${k}.noise`) });
        assertClose(assert, `${k}.prev_sample`, out.prevSample.data, st[`${k}.prev_sample`].data, STEP_ATOL, STEP_RTOL);
        assertClose(assert, `${k}.pred_original_sample`, out.predOriginalSample.data, st[`${k}.pred_original_sample`].data,
                    STEP_ATOL, STEP_RTOL);
      });
    }
  });

  test(`${ref.undo_cases.length} undo steps, T/n draws each`, () => {
    for (const c of ref.undo_cases) {
      withScheduler(RePaintScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        assert.equal(s.undoDraws, c.noise_draws);
        const out = s.undoStep(get(`${c.key}.sample`), c.timestep, { noise: get(`${c.key}.noise`) });
        assertClose(assert, `${c.key}.output`, out.data, st[`${c.key}.output`].data, STEP_ATOL, STEP_RTOL);
      });
    }
  });

  test('has no addNoise (as diffusers), and a wrong mask shape names itself', () => {
    withScheduler(RePaintScheduler, {}, (s) => {
      assert.throws(() => s.addNoise({ data: new Float32Array(1), shape: [1] }, { data: new Float32Array(1), shape: [1] }, [1]),
                    /addNoise is not available for RePaintScheduler/);
      s.setTimesteps(10);
      const x = { data: new Float32Array(16), shape: [1, 1, 4, 4] };
      assert.throws(() => s.step(x, 900, x, x, { data: new Float32Array(9), shape: [1, 1, 3, 3] }), /mask/);
    });
  });
});

describe('DDIMInverseScheduler', () => {
  const ref = readReferenceJson('ddim_inverse.json');
  const st = readSafetensors(referencePath('ddim_inverse.safetensors')).tensors;

  test('timesteps (leading, trailing, steps_offset)', () => {
    for (const c of ref.timesteps) {
      withScheduler(DDIMInverseScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        assert.deepEqual(Array.from(s.timesteps), c.timesteps, JSON.stringify(c.config));
      });
    }
  });

  test(`${ref.step_cases.length} inverse steps`, () => {
    for (const c of ref.step_cases) {
      withScheduler(DDIMInverseScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        const k = c.key;
        const out = s.step(asTensor(st[`${k}.model_output`]), c.timestep, asTensor(st[`${k}.sample`]));
        assertClose(assert, `${k}.prev_sample`, out.prevSample.data, st[`${k}.prev_sample`].data, STEP_ATOL, STEP_RTOL);
        assertClose(assert, `${k}.pred_original_sample`, out.predOriginalSample.data, st[`${k}.pred_original_sample`].data,
                    STEP_ATOL, STEP_RTOL);
      });
    }
  });
});

describe('editing pipelines on unet_tiny, against diffusers', () => {
  test('inpaint replays RePaintPipeline (eta 0 and 1, undo steps included)', () => {
    const ref = readReferenceJson('repaint_pipeline.json');
    const st = readSafetensors(referencePath('repaint_pipeline.safetensors')).tensors;
    for (const run of ref.runs) {
      const k = run.key;
      let steps = 0;
      const x0 = inpaint(tiny, run.scheduler_config, {
        image: asTensor(st[`${k}.original_image`]), mask: asTensor(st[`${k}.mask`]), steps: run.num_inference_steps,
        jumpLength: run.jump_length, jumpNSample: run.jump_n_sample, eta: run.eta, noiseDraws: asTensor(st[`${k}.noise`]),
        onProgress: ({ step, total, preview }) => {
          steps = step;
          assert.equal(total, run.timesteps.length);
          assert.deepEqual(preview.shape, [2, 3, 16, 16]);
        },
      });
      assert.equal(steps, run.timesteps.length);
      // As natively: the UNet is within 1e-4 + 1e-4|b| of diffusers' and the RePaint arithmetic is exact.
      assertClose(assert, `repaint_pipeline ${k} x_0`, x0.data, st[`${k}.x_0`].data, 1e-4, 1e-4);
    }
  });

  test("invert gives diffusers' x_T, and DDIM from it (invertedSampling) the reconstruction", () => {
    const ref = readReferenceJson('inversion.json');
    const st = readSafetensors(referencePath('inversion.safetensors')).tensors;
    const n = ref.num_inference_steps;
    const xT = invert(tiny, ref.scheduler_config, { image: asTensor(st.x_0), steps: n });
    // reference/README: float32 vs float64 differ by 2.4e-6 on x_T: compare within about 1e-4 ...
    assertClose(assert, 'inversion x_T', xT.data, st.x_T.data, 1e-4, 0);
    const back = sample(tiny, ref.scheduler_config, { ...invertedSampling({ steps: n }), numImages: 2, latents: xT });
    // ... and the reconstruction (values up to ~42; 5.0e-4 float32 vs float64) within about 5e-3.
    assertClose(assert, 'inversion reconstruction', back.data, st.reconstruction.data, 5e-3, 0);
  });

  test('imageToImage starts where strength says and reports only the steps it runs', () => {
    const image = { data: new Float32Array(2 * 3 * 16 * 16).fill(0.25), shape: [2, 3, 16, 16] };
    assert.equal(imageToImageStartTimestep(tiny, {}, { strength: 0.5, scheduler: 'ddim', steps: 50 }), 480);
    assert.equal(imageToImageStartTimestep(tiny, {}, { strength: 1, scheduler: 'ddim', steps: 50 }), 980);
    const timesteps = [];
    const x = imageToImage(tiny, {}, { image, strength: 0.3, scheduler: 'ddim', steps: 10,
                                       onProgress: ({ timestep, total }) => { timesteps.push(timestep); assert.equal(total, 3); } });
    assert.deepEqual(timesteps, [200, 100, 0]);
    assert.deepEqual(x.shape, [2, 3, 16, 16]);
    assert.throws(() => imageToImage(tiny, {}, { image, strength: 0 }), /\(0, 1\]/);
    assert.throws(() => imageToImage(tiny, {}, { image }), /strength \(in \(0, 1\]\) is required/);
  });

  test('slerp: the ends, the unit-norm middle of orthogonal inputs, and a shape mismatch', () => {
    const a = { data: Float32Array.from([1, 0]), shape: [1, 2] };
    const b = { data: Float32Array.from([0, 1]), shape: [1, 2] };
    assert.deepEqual(Array.from(slerp(a, b, 0).data), [1, 0]);
    const mid = slerp(a, b, 0.5).data;
    assert.ok(Math.abs(mid[0] - Math.SQRT1_2) < 1e-6 && Math.abs(mid[1] - Math.SQRT1_2) < 1e-6, `slerp middle ${mid}`);
    assert.throws(() => slerp(a, { data: new Float32Array(3), shape: [1, 3] }, 0.5), /shape/);
    assert.throws(() => slerp(a, b, 2), /\[0, 1\]/);
  });

  test('errors name the call and the option; a throwing onProgress stops the run and is rethrown', () => {
    const image = { data: new Float32Array(3 * 16 * 16), shape: [1, 3, 16, 16] };
    const mask = { data: new Float32Array(16 * 16), shape: [1, 1, 16, 16] };
    assert.throws(() => inpaint(tiny, {}, { mask }), /inpaint: image is required/);
    assert.throws(() => inpaint(tiny, {}, { image, mask, steps: 2.5 }), /inpaint: steps must be an integer/);
    assert.throws(() => inpaint(tiny, {}, { image, mask: 'x' }), /inpaint: mask must be a Tensor/);
    assert.throws(() => invert(tiny, {}, { image, classLabels: [3] }), /class/);
    assert.throws(() => invert({}, {}, { image }), /invert: unet must be a UNet2DModel/);
    // An option a call does not take is a TypeError naming it and listing the ones it takes.
    const unknown = (call, name, list) => assert.throws(call, (e) => e instanceof TypeError &&
      e.message.endsWith(`unknown option '${name}'; the options are ${list}`));
    unknown(() => inpaint(tiny, {}, { image, mask, jumpLenght: 2 }), 'jumpLenght',
            'image, mask, classLabels, guidanceScale, seed, onProgress, steps, jumpLength, jumpNSample, eta, noiseDraws');
    unknown(() => imageToImage(tiny, {}, { image, strength: 0.5, strenght: 0.5 }), 'strenght',
            'image, strength, classLabels, guidanceScale, seed, onProgress, scheduler, steps, eta, guidanceInterval');
    unknown(() => imageToImageStartTimestep(tiny, {}, { strength: 0.5, image }), 'image', 'strength, scheduler, steps');
    unknown(() => invert(tiny, {}, { image, guidanceScale: 2 }), 'guidanceScale', 'image, classLabels, steps, onProgress');
    let calls = 0;
    assert.throws(() => invert(tiny, {}, { image, steps: 5, onProgress: () => { calls += 1; throw new RangeError('stop here'); } }),
                  /stop here/);
    assert.equal(calls, 1);
    assert.throws(() => invert(tiny, {}, { image, steps: 5, onProgress: () => false }), (e) => e.name === 'AbortError');
  });
});

describe('pictures', () => {
  test('a PNG and the same pixels as ImageData become the same tensor, fitted to the model', async () => {
    const unet = await UNet2DModel.fromPretrained(MODEL);  // 32x32, 1 channel
    try {
      // A 40x36 RGBA picture: centre-cropped to 36x36 and shrunk to 32x32, grey by stb's rule.
      const width = 40;
      const height = 36;
      const rgba = new Uint8ClampedArray(width * height * 4);
      for (let i = 0; i < rgba.length; ++i) rgba[i] = (i * 53 + 7) % 256;
      const pixels = { data: rgba, width, height };
      const fromCanvas = imageToTensor(pixels, unet);
      assert.deepEqual(fromCanvas.tensor.shape, [1, 1, 32, 32]);
      assert.match(fromCanvas.note, /centre-cropped 40x36 to 36x36.*32x32/);
      const png = pngOf(rgba, width, height);
      const fromPng = imageToTensor(png, unet);
      assert.deepEqual(Array.from(fromPng.tensor.data), Array.from(fromCanvas.tensor.data));
      assert.ok(fromPng.tensor.data.every((v) => v >= -1 && v <= 1));
      // A mask is split at 0.5: white keeps (1), black fills (0).
      const mask = imageToTensor(pixels, unet, { mask: true }).tensor;
      assert.ok(mask.data.every((v) => v === 0 || v === 1) && mask.data.includes(0) && mask.data.includes(1));
      assert.throws(() => imageToTensor(new Uint8Array([1, 2, 3]), unet), /imageToTensor: picture: .*PNG/);
      assert.throws(() => imageToTensor({ data: new Uint8ClampedArray(5), width: 2, height: 2 }, unet), /5 bytes.*16/);
    } finally {
      unet.dispose();
    }
  });
});

// A PNG of RGBA pixels, through the package's own encoder (toPNG writes [-1, 1] tensors: map the bytes there and back).
function pngOf(rgba, width, height) {
  const n = width * height;
  const data = new Float32Array(4 * n);
  for (let c = 0; c < 4; ++c) for (let i = 0; i < n; ++i) data[c * n + i] = (rgba[4 * i + c] / 255) * 2 - 1;
  return toPNG({ data, shape: [1, 4, height, width] });
}

describe('Generator editing (the shipped Fashion-MNIST model, in its worker)', () => {
  let gen;
  before(async () => {
    gen = await Generator.create({ model: MODEL, threads: 2 });
  });
  after(async () => gen?.dispose());

  test('inpaint keeps the unmasked pixels exactly and fills the rest, with progress', async () => {
    const garment = (await gen.generate({ numImages: 1, classLabels: [7], steps: 10, seed: 1 })).images;
    const mask = { data: new Float32Array(32 * 32), shape: [1, 1, 32, 32] };
    for (let i = 0; i < 16 * 32; ++i) mask.data[i] = 1;  // keep the top half
    let last = null;
    const r = await gen.inpaint({ image: garment, mask, classLabels: [7], steps: 20, jumpLength: 5, jumpNSample: 2, seed: 3,
                                  onProgress: (p) => { last = p; } });
    assert.equal(last.step, last.total);
    assert.deepEqual(r.images.shape, [1, 1, 32, 32]);
    let kept = 0;
    for (let i = 0; i < 16 * 32; ++i) kept += r.images.data[i] === garment.data[i] ? 1 : 0;
    assert.equal(kept, 16 * 32, 'every kept pixel equals the original');
    assert.ok(r.images.data.subarray(16 * 32).some((v, i) => v !== garment.data[16 * 32 + i]), 'the lower half was repainted');
  });

  test('invert and sample back (sampleBack) give the garment again; imageToImage reports its start', async () => {
    const { images } = await gen.generate({ numImages: 2, classLabels: [1, 9], seed: 5, steps: 50, clipSample: false });
    const inv = await gen.invert({ image: images, classLabels: [1, 9], steps: 50 });
    assert.deepEqual(inv.latents.shape, [2, 1, 32, 32]);
    const back = await gen.generate({ ...inv.sampleBack, latents: inv.latents, numImages: 2 });
    let err = 0;
    for (let i = 0; i < images.data.length; ++i) err += Math.abs(back.images.data[i] - images.data[i]);
    err /= images.data.length;
    // A trained model comes back close (0.05 measured on garments); an unclipped run that did not match would be ~0.5.
    assert.ok(err < 0.15, `mean |reconstruction - image| = ${err}`);
    const i2i = await gen.imageToImage({ image: images, strength: 0.5, classLabels: [1, 9], scheduler: 'ddim', steps: 20 });
    assert.equal(i2i.startTimestep, 450);
    assert.equal(i2i.steps, 10);
    assert.equal(await gen.imageToImageStartTimestep({ strength: 0.5, scheduler: 'ddim', steps: 20 }), 450);
    const mid = await gen.slerp(inv.latents, negated(inv.latents), 0.5);
    assert.deepEqual(mid.shape, [2, 1, 32, 32]);
  });

  test("the Generator's editing calls take the synchronous calls' options plus signal, and refuse others", async () => {
    const image = { data: new Float32Array(32 * 32), shape: [1, 1, 32, 32] };
    const unknown = (promise, message) => assert.rejects(promise, (e) => e instanceof TypeError && e.message === message);
    await unknown(gen.inpaint({ image, mask: image, classLabels: [0], jumpLenght: 2 }),
                  "inpaint: unknown option 'jumpLenght'; the options are image, mask, classLabels, guidanceScale, seed, " +
                  'onProgress, steps, jumpLength, jumpNSample, eta, noiseDraws, signal');
    await unknown(gen.imageToImage({ image, strength: 0.5, classLabels: [0], numImages: 2 }),
                  "imageToImage: unknown option 'numImages'; the options are image, strength, classLabels, guidanceScale, " +
                  'seed, onProgress, scheduler, steps, eta, guidanceInterval, signal');
    await unknown(gen.invert({ image, classLabels: [0], seed: 1 }),
                  "invert: unknown option 'seed'; the options are image, classLabels, steps, onProgress, signal");
    // noiseDraws reaches the worker (it was dropped before): a wrong shape is the core's error.
    await assert.rejects(gen.inpaint({ image, mask: image, classLabels: [0], steps: 4, jumpLength: 2, jumpNSample: 1,
                                       noiseDraws: { data: new Float32Array(4), shape: [1, 1, 1, 2, 2] } }), /noise/);
  });

  test('an aborted edit rejects with an AbortError; a picture the worker cannot read says so', async () => {
    const image = { data: new Float32Array(32 * 32), shape: [1, 1, 32, 32] };
    const controller = new AbortController();
    await assert.rejects(gen.inpaint({ image, mask: image, classLabels: [0], steps: 50, signal: controller.signal,
                                       onProgress: ({ step }) => { if (step === 2) controller.abort(); } }),
                         (e) => e.name === 'AbortError');
    await assert.rejects(gen.imageToTensor(new Uint8Array([137, 80, 78, 71])), /imageToTensor: picture/);
    const fitted = await gen.imageToTensor(readFileSync(join(ROOT, 'models/fashion-mnist/samples.png')));
    assert.deepEqual(fitted.tensor.shape, [1, 1, 32, 32]);
    assert.match(fitted.note, /resized/);
  });
});

// The same latents negated: a second x_T to interpolate towards.
function negated(t) {
  return { data: t.data.map((v) => -v), shape: t.shape };
}
