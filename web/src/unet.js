// UNet2DModel: diffusers' UNet2DModel (v0.31.0) in wasm (src/nn/unet2d_model.h), built from a
// config.json and diffusion_pytorch_model.safetensors. Tensors are NCHW, as in PyTorch.
import { configText } from './config.js';
import { info as loadedInfo } from './loader.js';
import { checkDownloadOptions, readModelFiles } from './model_files.js';
import { check, NativeObject } from './native.js';
import { checkOptionNames, LOAD_OPTION_NAMES } from './options.js';
import { Tensor } from './tensor.js';

// The simd-threads build starts 2 pthreads ahead (-sPTHREAD_POOL_SIZE=2). More would start only once the
// caller returns to the event loop, which a synchronous forward pass never does.
const PRESTARTED_THREADS = 2;

/** Threads for a model's pool: `threads` if given, else what the loaded build offers (1 for simd). */
export function resolveThreads(threads, what) {
  if (threads === undefined || threads === 'auto') return Math.min(loadedInfo?.threads ?? 1, PRESTARTED_THREADS);
  if (!Number.isInteger(threads) || threads < 1) throw new TypeError(`${what}: threads must be 'auto' or a positive integer`);
  return threads;
}

/** Bytes from a Uint8Array, any other ArrayBuffer view (e.g. a Node Buffer) or an ArrayBuffer. */
export function asBytes(weights, what) {
  if (weights instanceof Uint8Array) return weights;
  if (ArrayBuffer.isView(weights)) return new Uint8Array(weights.buffer, weights.byteOffset, weights.byteLength);
  if (weights instanceof ArrayBuffer) return new Uint8Array(weights);
  throw new TypeError(`${what}: weights must be a Uint8Array or an ArrayBuffer (the .safetensors file's bytes)`);
}

/** Integers from a number or an array (timesteps, class labels); undefined stays undefined. */
export function labelList(labels, what) {
  if (labels === undefined || labels === null) return undefined;
  if (typeof labels === 'number') return [labels];
  if (Array.isArray(labels) || ArrayBuffer.isView(labels)) return Array.from(labels, Number);
  throw new TypeError(`${what} must be a number or an array of integers`);
}

// The files each model was built from, kept (not copied) for Trainer.create(unet): the wasm model packs
// its weights for inference and cannot give them back in diffusers' layout.
const sources = new WeakMap();

/** { config: JSON text, weights: Uint8Array } of a UNet2DModel, for Trainer.create. */
export function unetSource(unet) {
  return sources.get(unet);
}

export class UNet2DModel extends NativeObject {
  #config = null;
  #info = null;

  /**
   * From a config.json (object or JSON text) and the bytes of diffusion_pytorch_model.safetensors
   * (F32, F16 or BF16). Throws an Error naming the key or tensor that does not fit.
   * @param {{threads?: number | 'auto'}} [options]
   */
  static fromFiles(config, weights, options = {}) {
    const configJson = configText(config, 'unet config');
    const bytes = asBytes(weights, 'UNet2DModel.fromFiles');
    const m = new UNet2DModel();
    try {
      check(m.native.load(configJson, bytes, resolveThreads(options.threads, 'UNet2DModel.fromFiles')));
    } catch (e) {
      m.dispose();
      throw e;
    }
    sources.set(m, { config: configJson, weights: bytes });
    return m;
  }

  /**
   * From a UNet folder or a pipeline folder (model_index.json + unet/): a directory path or URL in Node,
   * a URL in a browser. A pipeline's scheduler/scheduler_config.json becomes `schedulerConfig`, its
   * sampling_defaults.json `samplingDefaults`. Options: threads (as fromFiles); for a URL, onDownload({ file, url,
   * loaded, total, fromCache, done }) as each file arrives, and cache: where the Cache API exists (browsers on https
   * or localhost) the files are kept in the cache MODEL_CACHE_NAME (true, the default), another one (its name), or
   * none (false), and read from there when kept (clearModelCache() forgets them).
   * @param {{threads?: number | 'auto', onDownload?: Function, cache?: boolean | string}} [options]
   */
  static async fromPretrained(dirOrUrl, options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('UNet2DModel.fromPretrained: options must be an object');
    checkOptionNames(options, LOAD_OPTION_NAMES.fromPretrained, 'UNet2DModel.fromPretrained');
    checkDownloadOptions(options, 'UNet2DModel.fromPretrained');
    const { onDownload, cache, ...rest } = options;
    const files = await readModelFiles(dirOrUrl, { onDownload, cache });
    const m = UNet2DModel.fromFiles(files.config, files.weights, rest);
    try {
      m.schedulerConfig = files.schedulerConfig === null ? null : JSON.parse(files.schedulerConfig);
      m.samplingDefaults = files.samplingDefaults === null ? null : JSON.parse(files.samplingDefaults);
    } catch (e) {
      m.dispose();
      throw e;
    }
    await files.keep();  // a model that loaded: its downloaded files go into the cache
    return m;
  }

  constructor() {
    super('UNet2DModel');
    /** The pipeline folder's scheduler_config.json (fromPretrained of a pipeline), else null. */
    this.schedulerConfig = null;
    /**
     * The pipeline folder's sampling_defaults.json ({ scheduler, steps, eta, guidance_scale }, each optional),
     * else null: sample() takes from it each setting its caller does not give.
     */
    this.samplingDefaults = null;
  }

  /** config.json as the model reads it: every diffusers key with its value, defaults filled in
   *  (and null_class_index when the model was trained with a null class for guidance). */
  get config() {
    this.#config ??= this.native.configJson();
    return JSON.parse(this.#config);
  }

  /**
   * { sampleSize: [h, w] | null, inChannels, outChannels, numClassEmbeds: number | null,
   *   nullClassIndex: number | null, numParameters, flopsPerImage: number | null }
   */
  get info() {
    if (!this.#info) {
      const i = this.native.info();
      if (i.sampleSize) Object.freeze(i.sampleSize);
      this.#info = Object.freeze(i);
    }
    return this.#info;
  }

  /**
   * The model's prediction (ε, v or x0, as it was trained) for `sample` NCHW [B, inChannels, H, W] at
   * `timesteps` (one, or one per sample); `classLabels` (one, or one per sample) for class-conditional models.
   * @returns {Tensor} NCHW [B, outChannels, H, W]
   */
  forward(sample, timesteps, classLabels = undefined) {
    const ts = labelList(timesteps, 'forward: timesteps');
    if (ts === undefined) throw new TypeError('forward: timesteps are required');
    const r = check(this.native.forward(Tensor.from(sample, 'sample'), ts, labelList(classLabels, 'forward: classLabels')));
    return new Tensor(r.data, r.shape);
  }
}
