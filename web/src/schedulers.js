// DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler, and for editing RePaintScheduler and
// DDIMInverseScheduler: thin wrappers over the C++ schedulers
// (src/diffusion/), which reproduce diffusers v0.31.0. Configs use diffusers' scheduler_config.json keys.
import { configText } from './config.js';
import { check, NativeObject } from './native.js';
import { Tensor } from './tensor.js';

function timestepList(timesteps) {
  if (typeof timesteps === 'number') return [timesteps];
  if (Array.isArray(timesteps) || ArrayBuffer.isView(timesteps)) return Array.from(timesteps, Number);
  throw new TypeError('timesteps must be a number or an array of integers');
}

function toTensor(result) {
  return new Tensor(result.data, result.shape);
}

function stepResult(r) {
  return { prevSample: toTensor(r.prevSample), predOriginalSample: toTensor(r.predOriginalSample) };
}

const optionalTensor = (value, name) => (value === undefined || value === null ? undefined : Tensor.from(value, name));

function checkTimestep(t) {
  if (!Number.isInteger(t)) throw new TypeError('step: timestep must be an integer');
}

class Scheduler extends NativeObject {
  #betas = null;
  #alphasCumprod = null;
  #timesteps = null;

  /**
   * Builds a scheduler from a diffusers scheduler_config.json (object or JSON text); unknown keys are
   * ignored and `overrides` replace keys, as in diffusers' `from_config(config, **kwargs)`.
   */
  static fromConfig(config = {}, overrides = undefined) {
    const s = new this();
    try {
      check(s.native.configure(configText(config, 'scheduler config', overrides)));
    } catch (e) {
      s.dispose();
      throw e;
    }
    return s;
  }

  constructor() {
    super(new.target.nativeName);  // explicit names survive minifiers that rename classes
  }

  /** The effective config: every key with its value (defaults filled in), as diffusers' `scheduler.config`. */
  get config() {
    return JSON.parse(this.native.configJson());
  }

  /** β_t for t in [0, num_train_timesteps), float32 as in diffusers. */
  get betas() {
    this.#betas ??= this.native.betas();
    return this.#betas.slice();
  }

  /** ᾱ_t = Π (1 - β_s), float32 as in diffusers. */
  get alphasCumprod() {
    this.#alphasCumprod ??= this.native.alphasCumprod();
    return this.#alphasCumprod.slice();
  }

  /** Chooses the n inference timesteps (diffusers' set_timesteps). */
  setTimesteps(numInferenceSteps, options = undefined) {
    if (!Number.isInteger(numInferenceSteps)) throw new TypeError('setTimesteps: numInferenceSteps must be an integer');
    check(this.nativeSetTimesteps(numInferenceSteps, options));
    this.#timesteps = null;
  }

  /** The native set_timesteps call (RePaint's takes its jump schedule too). */
  nativeSetTimesteps(numInferenceSteps) {
    return this.native.setTimesteps(numInferenceSteps);
  }

  /** The timesteps chosen by setTimesteps (descending), or all training timesteps before it is called. */
  get timesteps() {
    this.#timesteps ??= this.native.timesteps();
    return this.#timesteps.slice();
  }

  /** Seeds the stream that step() draws noise from when it is given none (a Philox stream, same in every build). */
  manualSeed(seed) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError('manualSeed: seed must be a non-negative integer');
    this.native.manualSeed(seed);
  }

  /**
   * One reverse step from `sample` at timestep `t`.
   * @returns {{prevSample: Tensor, predOriginalSample: Tensor}}
   */
  step(modelOutput, t, sample, options = {}) {
    checkTimestep(t);
    const opts = {
      eta: options.eta ?? 0,
      useClippedModelOutput: options.useClippedModelOutput ?? false,
      noise: optionalTensor(options.noise, 'noise'),
    };
    return stepResult(check(this.native.step(Tensor.from(modelOutput, 'modelOutput'), t, Tensor.from(sample, 'sample'), opts)));
  }

  /** Forward process: sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·noise, with one timestep per batch element. */
  addNoise(originalSamples, noise, timesteps) {
    if (typeof this.native.addNoise !== 'function') {
      throw new Error(`addNoise is not available for ${this.constructor.nativeName} (diffusers has none either)`);
    }
    return toTensor(check(this.native.addNoise(Tensor.from(originalSamples, 'originalSamples'),
                                               Tensor.from(noise, 'noise'), timestepList(timesteps))));
  }

  /** v-prediction target: sqrt(ᾱ_t)·noise - sqrt(1-ᾱ_t)·sample, with one timestep per batch element. */
  getVelocity(sample, noise, timesteps) {
    if (typeof this.native.getVelocity !== 'function') {
      throw new Error(`getVelocity is not available for ${this.constructor.nativeName} (diffusers has none either)`);
    }
    return toTensor(check(this.native.getVelocity(Tensor.from(sample, 'sample'), Tensor.from(noise, 'noise'),
                                                  timestepList(timesteps))));
  }
}

export class DDPMScheduler extends Scheduler {
  static nativeName = 'DDPMScheduler';
}
export class DDIMScheduler extends Scheduler {
  static nativeName = 'DDIMScheduler';
}
/** DPM-Solver++ (multistep): step() keeps the previous x0 predictions, so call it once per timestep, in order;
 *  setTimesteps() starts a new run. */
export class DPMSolverMultistepScheduler extends Scheduler {
  static nativeName = 'DPMSolverMultistepScheduler';

  /** After setTimesteps(n): σ at each timestep, then the final σ (n + 1 values). */
  get sigmas() {
    return this.native.sigmas();
  }
}

/**
 * RePaint (diffusers' RePaintScheduler, for inpainting): `setTimesteps(n, { jumpLength, jumpNSample })` makes the
 * jump schedule, whose timesteps go down and, at each jump, up again by jumpLength. Where t goes down call
 * `step(modelOutput, t, sample, originalImage, mask)`; where it goes up, `undoStep(sample, tPrev)`. `mask` is
 * [N or 1, 1, H, W]: 1 keeps the original, 0 is filled in. eta and clip_sample come from the config.
 */
export class RePaintScheduler extends Scheduler {
  static nativeName = 'RePaintScheduler';

  nativeSetTimesteps(numInferenceSteps, { jumpLength = 10, jumpNSample = 10 } = {}) {
    if (!Number.isInteger(jumpLength) || !Number.isInteger(jumpNSample)) {
      throw new TypeError('setTimesteps: jumpLength and jumpNSample must be integers');
    }
    return this.native.setTimestepsJumps(numInferenceSteps, jumpLength, jumpNSample);
  }

  /** One reverse step; `noise` (shaped like sample) replays the step's one draw, else the seeded stream draws it. */
  step(modelOutput, t, sample, originalImage, mask, { noise } = {}) {
    checkTimestep(t);
    return stepResult(check(this.native.step(Tensor.from(modelOutput, 'modelOutput'), t, Tensor.from(sample, 'sample'),
                                             Tensor.from(originalImage, 'originalImage'), Tensor.from(mask, 'mask'),
                                             { noise: optionalTensor(noise, 'noise') })));
  }

  /** Noises `sample` forward from timestep t by undoDraws steps; `noise` is [undoDraws, ...sample.shape]. */
  undoStep(sample, t, { noise } = {}) {
    checkTimestep(t);
    return toTensor(check(this.native.undoStep(Tensor.from(sample, 'sample'), t, { noise: optionalTensor(noise, 'noise') })));
  }

  /** num_train_timesteps / n: the forward steps (and noise draws) of one undoStep. */
  get undoDraws() {
    return this.native.undoDraws();
  }
}

/**
 * DDIM run backwards (diffusers' DDIMInverseScheduler, for inversion): timesteps go up, and
 * `step(modelOutput, t, sample)` takes the sample to timestep t (prevSample is the noisier one).
 */
export class DDIMInverseScheduler extends Scheduler {
  static nativeName = 'DDIMInverseScheduler';

  step(modelOutput, t, sample) {
    checkTimestep(t);
    return stepResult(check(this.native.step(Tensor.from(modelOutput, 'modelOutput'), t, Tensor.from(sample, 'sample'))));
  }
}
