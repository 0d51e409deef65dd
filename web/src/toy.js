// ToyMLPDenoiser: the toy 2-D denoiser of `ddpm train --data toy2d:NAME` (src/nn/toy_mlp.h), an MLP on
// [x, emb(t)] predicting ε for points in the plane, and toyDataset(), the point sets it trains on. Small
// enough to train in a page's own thread in seconds, which makes it the demo's picture of the reverse
// process: points drawn from N(0, I) flowing onto a swiss roll.
import { configText } from './config.js';
import { getNative } from './loader.js';
import { checkDownloadOptions, readModelFiles } from './model_files.js';
import { check, NativeObject } from './native.js';
import { checkOptionNames, LOAD_OPTION_NAMES, OPTION_NAMES } from './options.js';
import { sampleRun } from './pipeline.js';
import { Tensor } from './tensor.js';
import { asBytes } from './unet.js';

const CLASS_NAME = 'ToyMLPDenoiser';
const DEFAULT_CONFIG = { _class_name: CLASS_NAME, data_dim: 2, hidden: 128, num_hidden_layers: 3, time_embed_dim: 32 };

/** A config object or JSON text with _class_name ToyMLPDenoiser (Trainer.create tells models apart by it). */
export function isToyConfig(config) {
  try {
    return JSON.parse(configText(config, 'config'))._class_name === CLASS_NAME;
  } catch {
    return false;
  }
}

export class ToyMLPDenoiser extends NativeObject {
  #info = null;

  /**
   * Fresh weights (torch.nn.Linear's initialisation) for `config` (diffusers-style config.json keys: data_dim,
   * hidden, num_hidden_layers, time_embed_dim; missing keys take the shipped model's values) from `seed`.
   */
  static create(config = {}, { seed = 0 } = {}) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError('ToyMLPDenoiser.create: seed must be a non-negative integer');
    const text = configText({ ...DEFAULT_CONFIG, ...JSON.parse(configText(config, 'toy config')) }, 'toy config');
    const m = new ToyMLPDenoiser();
    try {
      check(m.native.create(text, seed));
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  }

  /** From config.json (object or JSON text) and the bytes of diffusion_pytorch_model.safetensors. */
  static fromFiles(config, weights) {
    const m = new ToyMLPDenoiser();
    try {
      check(m.native.load(configText(config, 'config.json'), asBytes(weights, 'ToyMLPDenoiser.fromFiles')));
    } catch (e) {
      m.dispose();
      throw e;
    }
    return m;
  }

  /** From a model or pipeline folder (a directory in Node, a URL anywhere), as `ddpm train` writes it. Options
   *  onDownload and cache, for a URL, as UNet2DModel.fromPretrained's. */
  static async fromPretrained(dirOrUrl, options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('ToyMLPDenoiser.fromPretrained: options must be an object');
    checkOptionNames(options, LOAD_OPTION_NAMES.toyFromPretrained, 'ToyMLPDenoiser.fromPretrained');
    checkDownloadOptions(options, 'ToyMLPDenoiser.fromPretrained');
    const files = await readModelFiles(dirOrUrl, options);
    const m = ToyMLPDenoiser.fromFiles(files.config, files.weights);
    try {
      m.schedulerConfig = files.schedulerConfig === null ? null : JSON.parse(files.schedulerConfig);
    } catch (e) {
      m.dispose();
      throw e;
    }
    await files.keep();  // a model that loaded: its downloaded files go into the cache
    return m;
  }

  constructor() {
    super(CLASS_NAME);
    /** The pipeline folder's scheduler_config.json (fromPretrained of a pipeline), else null. */
    this.schedulerConfig = null;
  }

  /** config.json's keys. */
  get config() {
    return JSON.parse(this.native.configJson());
  }

  /** { dataDim, hidden, numHiddenLayers, timeEmbedDim, numParameters } */
  get info() {
    this.#info ??= Object.freeze(this.native.info());
    return this.#info;
  }

  /** { config: JSON text, weights: Uint8Array }: the model's files, for Trainer.create to start from. */
  files() {
    return check(this.native.files());
  }

  /**
   * `numPoints` points [numPoints, dataDim] from N(0, I) through the reverse process: options as sample()'s
   * (scheduler, steps, eta, seed, latents: x_T [numPoints, dataDim], onProgress({ step, total, timestep, preview,
   * latents })) without classes; any other option is a TypeError that lists these.
   * `schedulerConfig`: the pipeline's scheduler_config.json ({} = diffusers' DDPM defaults).
   * @returns {Tensor}
   */
  sample(schedulerConfig = {}, options = {}) {
    checkOptionNames(options, OPTION_NAMES.toySample, 'ToyMLPDenoiser.sample');
    const { numPoints = 1, onProgress, latents, ...rest } = options;
    // The core samples points as [N, dataDim, 1, 1] images; callers see [N, dataDim].
    const flat = (t) => new Tensor(t.data, t.shape.slice(0, 2));
    const progress = typeof onProgress === 'function'
      ? (p) => onProgress({ ...p, preview: flat(p.preview), latents: flat(p.latents) }) : onProgress;
    let start = latents;
    if (latents !== undefined && latents !== null) {
      const t = Tensor.from(latents, 'latents');
      start = t.shape.length === 2 ? new Tensor(t.data, [...t.shape, 1, 1]) : t;
    }
    const run = sampleRun({ ...rest, numImages: numPoints, onProgress: progress, latents: start }, 'ToyMLPDenoiser.sample');
    const config = configText(schedulerConfig, 'scheduler config');
    return run((opts, onStep) => this.native.sample(config, opts, onStep));
  }
}

/**
 * `count` points [count, 2] of a toy set ('swissroll', 'moons' or 'gaussians': eight Gaussians on a circle), scaled
 * to roughly unit variance, the same for the same seed: what `ddpm train --data toy2d:NAME` trains on.
 * @returns {Tensor}
 */
export function toyDataset(name, count = 10000, seed = 0) {
  if (typeof name !== 'string') throw new TypeError("toyDataset: name must be 'swissroll', 'moons' or 'gaussians'");
  if (!Number.isSafeInteger(count) || count < 1) throw new TypeError('toyDataset: count must be a positive integer');
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError('toyDataset: seed must be a non-negative integer');
  const r = check(getNative().toyDataset(name, count, seed));
  return new Tensor(r.data, r.shape);
}
