// sample(): the reverse process with a UNet2DModel, synchronously (the same loop as `ddpm sample`,
// src/diffusion/pipeline.h): N(0, I) latents from a seeded Philox stream (same seed, same images in
// every build), the model's prediction at each timestep, with classifier-free guidance if asked, and
// the chosen scheduler's step.
import { configText } from './config.js';
import { getNative } from './loader.js';
import { check } from './native.js';
import { Tensor } from './tensor.js';
import { labelList, UNet2DModel } from './unet.js';

// Types are checked here; values (ranges, the scheduler's name) by the core, whose messages list the valid ones.
function optionalNumber(value, name, valid = Number.isFinite) {
  if (value !== undefined && !valid(value)) {
    throw new TypeError(`sample: ${name} must be ${valid === Number.isFinite ? 'a finite number' : 'an integer'}`);
  }
  return value;
}

/**
 * sample()'s options checked and converted for the core, and a runner that calls a native sampling
 * function with them: `run(nativeSample)` passes (options, onStep) and returns the result Tensor, turning an
 * exception thrown by `onProgress` (which must not unwind through C++ frames) into the run's exception.
 * Shared by sample() and ToyMLPDenoiser.sample().
 */
export function sampleRun(options, what = 'sample', samplingDefaults = null) {
  const scheduler = options.scheduler;
  if (scheduler !== undefined && typeof scheduler !== 'string') {
    throw new TypeError(`${what}: scheduler must be 'ddpm', 'ddim' or 'dpmpp'`);
  }
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError(`${what}: seed must be a non-negative integer`);
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`${what}: onProgress must be a function`);
  const opts = {
    scheduler,
    steps: optionalNumber(options.steps, 'steps', Number.isInteger),
    eta: optionalNumber(options.eta, 'eta'),
    numImages: optionalNumber(options.numImages ?? 1, 'numImages', Number.isInteger),
    classLabels: labelList(options.classLabels, `${what}: classLabels`),
    guidanceScale: optionalNumber(options.guidanceScale, 'guidanceScale'),
    seed,
    latents: options.latents === undefined || options.latents === null ? undefined : Tensor.from(options.latents, 'latents'),
    // Unset scheduler, steps, eta and guidance come from here, by the core's rule (ResolveSampling).
    samplingDefaults: samplingDefaults === null ? undefined : JSON.stringify(samplingDefaults),
  };
  // The callback runs inside the wasm call: an exception must not unwind through C++ frames (their
  // destructors would not run), so it is caught here, stops the run, and is rethrown afterwards.
  let thrown;
  const onStep = onProgress && ((p) => {
    try {
      return onProgress({ ...p, preview: new Tensor(p.preview.data, p.preview.shape),
                          latents: new Tensor(p.latents.data, p.latents.shape) });
    } catch (e) {
      thrown = { error: e };
      return false;
    }
  });
  return (nativeSample) => {
    let r;
    try {
      r = check(nativeSample(opts, onStep));
    } catch (e) {
      if (thrown) throw thrown.error;
      throw e;
    }
    return new Tensor(r.data, r.shape);
  };
}

/**
 * Generates images: x_T ~ N(0, I) (or `latents`) denoised in `steps` steps. `schedulerConfig` is the
 * pipeline's scheduler_config.json (object or JSON text; {} = diffusers' DDPM defaults), read by the
 * scheduler `options.scheduler` names. Settings the caller leaves out (scheduler, steps, eta, guidanceScale)
 * come from `unet.samplingDefaults` (the pipeline's sampling_defaults.json), else ddim, 50 steps, eta 0,
 * guidance 1; naming a scheduler without steps gives that scheduler's own count (1000 ddpm, 50 ddim,
 * 20 dpmpp). Returns x_0 NCHW [numImages, C, H, W] as the model produces it (typically in [-1, 1]).
 *
 * `onProgress({ step, total, timestep, preview, latents })` runs after every step (`preview`: the predicted x_0,
 * `latents`: x_{t-1}, the sample the step produced, as diffusers' callbacks call it); returning `false` stops the
 * run, which then throws an Error named 'AbortError'. An exception thrown by `onProgress` stops the run too and
 * is rethrown.
 */
export function sample(unet, schedulerConfig = {}, options = {}) {
  if (!(unet instanceof UNet2DModel)) throw new TypeError('sample: unet must be a UNet2DModel');
  const run = sampleRun(options, 'sample', unet.samplingDefaults);
  const config = configText(schedulerConfig, 'scheduler config');
  return run((opts, onStep) => getNative().sample(unet.native, config, opts, onStep));
}
