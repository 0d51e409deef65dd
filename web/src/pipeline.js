// sample(): the reverse process with a UNet2DModel, synchronously (the same loop as `ddpm sample`,
// src/diffusion/pipeline.h): N(0, I) latents from a seeded Philox stream (same seed, same images in
// every build), the model's prediction at each timestep, with classifier-free guidance if asked, and
// the chosen scheduler's step.
import { configText } from './config.js';
import { getNative } from './loader.js';
import { check } from './native.js';
import { checkOptionNames, OPTION_NAMES } from './options.js';
import { Tensor } from './tensor.js';
import { labelList, UNet2DModel } from './unet.js';

// Types are checked here; values (ranges, the scheduler's name) by the core, whose messages list the valid ones.
export function optionalNumber(value, name, valid = Number.isFinite, what = 'sample') {
  if (value !== undefined && !valid(value)) {
    throw new TypeError(`${what}: ${name} must be ${valid === Number.isFinite ? 'a finite number' : 'an integer'}`);
  }
  return value;
}

/** The guidanceInterval option: [lo, hi], two integer timesteps (the core checks 0 <= lo <= hi), or undefined. */
export function guidanceIntervalOption(value, what) {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length !== 2 || !value.every(Number.isSafeInteger)) {
    throw new TypeError(`${what}: guidanceInterval must be [lo, hi], two integer timesteps`);
  }
  return [...value];
}

/** The seed option: a non-negative safe integer, 0 when absent. */
export function seedOption(seed, what) {
  const s = seed ?? 0;
  if (!Number.isSafeInteger(s) || s < 0) throw new TypeError(`${what}: seed must be a non-negative integer`);
  return s;
}

/**
 * A runner for a native pipeline call that reports progress: `run(nativeCall)` passes it an onStep callback
 * (or undefined) and returns the result Tensor. `onProgress` gets { step, total, timestep, preview, latents }
 * with Tensors; an exception it throws (which must not unwind through C++ frames: their destructors would not
 * run) is caught, stops the run, and is rethrown afterwards. Shared by sample(), the toy's sample and editing.
 */
export function progressRun(onProgress, what) {
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError(`${what}: onProgress must be a function`);
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
  return (nativeCall) => {
    let r;
    try {
      r = check(nativeCall(onStep));
    } catch (e) {
      if (thrown) throw thrown.error;
      throw e;
    }
    return new Tensor(r.data, r.shape);
  };
}

/** A model's samplingDefaults (sampling_defaults.json as an object, or null) as the core takes it: JSON text, or
 *  undefined for none. The core fills each setting the caller leaves out from it. */
export const defaultsText = (samplingDefaults) => (samplingDefaults ? JSON.stringify(samplingDefaults) : undefined);

const latentsCount = (latents) => (Array.isArray(latents?.shape) && latents.shape.length > 0 ? latents.shape[0] : 1);

/**
 * sample()'s options checked and converted for the core, and a runner that calls a native sampling
 * function with them: `run(nativeSample)` passes (options, onStep) and returns the result Tensor.
 * Shared by sample() and ToyMLPDenoiser.sample().
 */
export function sampleRun(options, what = 'sample', samplingDefaults = null) {
  const scheduler = options.scheduler;
  if (scheduler !== undefined && typeof scheduler !== 'string') {
    throw new TypeError(`${what}: scheduler must be 'ddpm', 'ddim' or 'dpmpp'`);
  }
  if (options.clipSample !== undefined && typeof options.clipSample !== 'boolean') {
    throw new TypeError(`${what}: clipSample must be a boolean`);
  }
  const opts = {
    scheduler,
    steps: optionalNumber(options.steps, 'steps', Number.isInteger, what),
    eta: optionalNumber(options.eta, 'eta', Number.isFinite, what),
    // Given latents decide the count when the caller does not say (as `ddpm sample --latents`).
    numImages: optionalNumber(options.numImages ?? latentsCount(options.latents), 'numImages', Number.isInteger, what),
    classLabels: labelList(options.classLabels, `${what}: classLabels`),
    guidanceScale: optionalNumber(options.guidanceScale, 'guidanceScale', Number.isFinite, what),
    guidanceInterval: guidanceIntervalOption(options.guidanceInterval, what),
    seed: seedOption(options.seed, what),
    clipSample: options.clipSample,
    latents: options.latents === undefined || options.latents === null ? undefined : Tensor.from(options.latents, 'latents'),
    // Unset scheduler, steps, eta, guidance and its interval come from here, by the core's rule (ResolveSampling).
    samplingDefaults: defaultsText(samplingDefaults),
  };
  const run = progressRun(options.onProgress, what);
  return (nativeSample) => run((onStep) => nativeSample(opts, onStep));
}

/**
 * Generates images: x_T ~ N(0, I) (or `latents`) denoised in `steps` steps. `schedulerConfig` is the
 * pipeline's scheduler_config.json (object or JSON text; {} = diffusers' DDPM defaults), read by the
 * scheduler `options.scheduler` names. Settings the caller leaves out (scheduler, steps, eta, guidanceScale,
 * guidanceInterval) come from `unet.samplingDefaults` (the pipeline's sampling_defaults.json), else ddim, 50
 * steps, eta 0, guidance 1 at every timestep; `guidanceInterval: [lo, hi]` guides only at timesteps lo <= t <= hi; naming a scheduler without steps gives that scheduler's own count (1000 ddpm, 50 ddim,
 * 20 dpmpp). `clipSample` overrides the config's clip_sample (false to sample back from invert()'s latents).
 * Returns x_0 NCHW [numImages, C, H, W] as the model produces it (typically in [-1, 1]).
 *
 * `onProgress({ step, total, timestep, preview, latents })` runs after every step (`preview`: the predicted x_0,
 * `latents`: x_{t-1}, the sample the step produced, as diffusers' callbacks call it); returning `false` stops the
 * run, which then throws an Error named 'AbortError'. An exception thrown by `onProgress` stops the run too and
 * is rethrown. An option not named here is a TypeError that lists the valid ones.
 */
export function sample(unet, schedulerConfig = {}, options = {}) {
  if (!(unet instanceof UNet2DModel)) throw new TypeError('sample: unet must be a UNet2DModel');
  checkOptionNames(options, OPTION_NAMES.sample, 'sample');
  const run = sampleRun(options, 'sample', unet.samplingDefaults);
  const config = configText(schedulerConfig, 'scheduler config');
  return run((opts, onStep) => getNative().sample(unet.native, config, opts, onStep));
}
