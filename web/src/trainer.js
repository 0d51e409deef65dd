// Trainer: the DDPM trainer of `ddpm train` (src/train/trainer.h) on a UNet2DModel, one synchronous
// step at a time: t ~ U{0..T-1}, ε ~ N(0, I), x_t = sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·ε, the MSE against ε
// (or v, or x0: predictionType), gradient clipping, AdamW and an EMA of the weights (diffusers' EMAModel).
// Names follow diffusers: parameters by state_dict key, options as torch.optim.AdamW and EMAModel.
import { configText } from './config.js';
import { check, NativeObject } from './native.js';
import { Tensor } from './tensor.js';
import { ToyMLPDenoiser } from './toy.js';
import { asBytes, labelList, resolveThreads, UNet2DModel, unetSource } from './unet.js';

const PREDICTION_TYPES = ['epsilon', 'v_prediction', 'sample'];

const isNumber = (x) => typeof x === 'number' && !Number.isNaN(x);

// Types are checked here; ranges by the core (CheckTrainOptions), whose message names the option.
function nativeOptions(options) {
  const out = {};
  for (const key of ['lr', 'eps', 'weightDecay', 'maxGradNorm', 'warmupSteps', 'totalSteps', 'minSnrGamma', 'labelDropout', 'seed']) {
    if (options[key] === undefined) continue;
    if (!isNumber(options[key])) throw new TypeError(`Trainer.create: ${key} must be a number`);
    out[key] = options[key];
  }
  for (const key of ['warmupSteps', 'totalSteps', 'seed']) {
    if (out[key] !== undefined && (!Number.isSafeInteger(out[key]) || out[key] < 0)) {
      throw new TypeError(`Trainer.create: ${key} must be a non-negative integer`);
    }
  }
  if (options.betas !== undefined) {
    const b = options.betas;
    if (!Array.isArray(b) || b.length !== 2 || !b.every(isNumber)) throw new TypeError('Trainer.create: betas must be [beta1, beta2]');
    out.betas = [b[0], b[1]];
  }
  if (options.randomFlip !== undefined) out.randomFlip = options.randomFlip === true;
  const ema = options.ema;
  if (ema === false) {
    out.ema = false;
  } else if (ema !== undefined && ema !== true) {
    if (ema === null || typeof ema !== 'object') throw new TypeError('Trainer.create: ema must be false or { decay, useEmaWarmup, invGamma, power, ... }');
    out.ema = {};
    for (const key of ['decay', 'minDecay', 'updateAfterStep', 'invGamma', 'power']) {
      if (ema[key] === undefined) continue;
      if (!isNumber(ema[key])) throw new TypeError(`Trainer.create: ema.${key} must be a number`);
      out.ema[key] = ema[key];
    }
    if (ema.useEmaWarmup !== undefined) out.ema.useEmaWarmup = ema.useEmaWarmup === true;
  }
  return out;
}

function nativeBatch(batch, what) {
  if (batch === null || typeof batch !== 'object') throw new TypeError(`${what}: expected { x0, classLabels?, noise?, timesteps? }`);
  return {
    x0: Tensor.from(batch.x0, 'x0'),
    classLabels: labelList(batch.classLabels, `${what}: classLabels`),
    noise: batch.noise === undefined || batch.noise === null ? undefined : Tensor.from(batch.noise, 'noise'),
    timesteps: labelList(batch.timesteps, `${what}: timesteps`),
  };
}

function tensors(named) {
  const out = {};
  for (const [name, t] of Object.entries(named)) out[name] = new Tensor(t.data, t.shape);
  return out;
}

export class Trainer extends NativeObject {
  /**
   * A trainer for `model`: a UNet2DModel or a ToyMLPDenoiser (its weights are the starting point), or a
   * config.json (object or JSON text; a UNet's, or a toy MLP's with _class_name 'ToyMLPDenoiser'): fresh
   * weights initialised as torch does, from `options.seed`.
   * options: scheduler (the noise schedule, a scheduler_config.json; {} = DDPM defaults), lr, betas, eps,
   * weightDecay (torch.optim.AdamW), maxGradNorm (<= 0: no clipping), predictionType (overrides the
   * scheduler config's prediction_type), ema (false, or EMAModel's decay, useEmaWarmup, invGamma, power,
   * minDecay, updateAfterStep), warmupSteps, totalSteps (linear warmup, then cosine decay to 0 at
   * totalSteps; both 0: constant lr), labelDropout (needs the config's null_class_index), randomFlip,
   * minSnrGamma, seed (timesteps, noise, dropout and flips when a batch does not give them), threads.
   */
  static create(model, options = {}) {
    let config;
    let weights;
    if (model instanceof UNet2DModel) {
      const source = unetSource(model);
      if (!source || model.disposed) throw new Error('Trainer.create: the UNet2DModel was disposed or never loaded');
      ({ config, weights } = source);
    } else if (model instanceof ToyMLPDenoiser) {
      ({ config, weights } = model.files());
    } else if (typeof model === 'string' || (model !== null && typeof model === 'object' && !ArrayBuffer.isView(model))) {
      config = configText(model, 'unet config');
    } else {
      throw new TypeError('Trainer.create: model must be a UNet2DModel, a ToyMLPDenoiser, or a config (object or JSON text)');
    }
    if (options.predictionType !== undefined && !PREDICTION_TYPES.includes(options.predictionType)) {
      throw new Error(`Trainer.create: predictionType '${options.predictionType}' must be one of ${PREDICTION_TYPES.join(', ')}`);
    }
    const scheduler = configText(options.scheduler, 'scheduler config',
                                 options.predictionType === undefined ? undefined : { prediction_type: options.predictionType });
    const threads = resolveThreads(options.threads, 'Trainer.create');
    const t = new Trainer();
    try {
      check(t.native.create(config, weights === undefined ? undefined : asBytes(weights, 'Trainer.create'),
                            scheduler, nativeOptions(options), threads));
    } catch (e) {
      t.dispose();
      throw e;
    }
    return t;
  }

  constructor() {
    super('Trainer');
  }

  /**
   * One optimisation step on a batch: x0 NCHW in the model's range (typically [-1, 1]), classLabels for
   * class-conditional models; noise (x0's shape) and timesteps (one per image) are drawn from the
   * seeded stream when absent. Returns the loss before the update, the gradient norm before clipping,
   * the learning rate used and the number of steps taken.
   * @returns {{loss: number, gradNorm: number, lr: number, step: number}}
   */
  step(batch) {
    return check(this.native.step(nativeBatch(batch, 'step')));
  }

  /**
   * The loss and its gradients for a batch, without updating anything.
   * inputGradient is d loss / d x_t (null for a ToyMLPDenoiser, which does not compute it).
   * @returns {{loss: number, gradients: Record<string, Tensor>, inputGradient: Tensor | null}}
   */
  lossAndGradients(batch) {
    const r = check(this.native.lossAndGradients(nativeBatch(batch, 'lossAndGradients')));
    const dx = r.inputGradient;
    return { loss: r.loss, gradients: tensors(r.gradients), inputGradient: dx === null ? null : new Tensor(dx.data, dx.shape) };
  }

  /** The current weights by diffusers state_dict key (copies). */
  parameters() {
    return tensors(check(this.native.parameters()));
  }

  /** The EMA weights by state_dict key (copies), or null when created with ema: false. */
  emaParameters() {
    const r = check(this.native.emaParameters());
    return r === null ? null : tensors(r);
  }

  /**
   * The model as a diffusers pipeline folder (EMA weights when there is an EMA), as `ddpm train` writes it:
   * { 'model_index.json': string, 'scheduler/scheduler_config.json': string, 'unet/config.json': string,
   *   'unet/diffusion_pytorch_model.safetensors': Uint8Array }.
   */
  exportPipeline() {
    return check(this.native.exportPipeline());
  }
}
