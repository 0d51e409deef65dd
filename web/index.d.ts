// Types for ddpm-wasm (ESM). Tensors are row-major, NCHW for images, as in PyTorch.
// The image helpers and Generator's model sources name DOM types (ImageData, canvases, File, Blob).
/// <reference lib="dom" />

/** `{ data: Float32Array, shape: number[] }`; plain objects of this shape are accepted everywhere. */
export interface TensorLike {
  data: Float32Array;
  shape: readonly number[];
}

export declare class Tensor implements TensorLike {
  /** `data` is copied into a Float32Array only when it is not one; its length must match `shape`. */
  constructor(data: Float32Array | ArrayLike<number>, shape: readonly number[]);
  data: Float32Array;
  shape: number[];
  readonly size: number;
  static from(value: TensorLike | Tensor, name?: string): Tensor;
  static zeros(shape: readonly number[]): Tensor;
}

export type Build = 'simd' | 'simd-threads';

/** The folder holding `simd/` and `simd-threads/`, or a folder per build. */
export type WasmPaths = string | URL | { [build in Build]?: string | URL };

export interface ReadyOptions {
  /** Which wasm build to load. `auto` (default): simd-threads in a cross-origin isolated browser, else simd. */
  build?: 'auto' | Build;
  /** Where the builds are, if not in the package's dist/: the folder holding `simd/` and `simd-threads/` (a copy of
   *  dist/), or each build's own folder (holding ddpm.mjs, ddpm.wasm and ddpm.worker.js). A URL (relative to the
   *  page) in browsers; a directory or file: URL in Node. */
  wasmPaths?: WasmPaths;
}

export interface Info {
  build: Build;
  /** Why this build was chosen, e.g. 'crossOriginIsolated and SharedArrayBuffer available'. */
  why: string;
  /** Threads the build can use (1 for simd). */
  threads: number;
  /** Highway's SIMD target, 'WASM' for wasm-simd128. */
  simd: string;
  version: string;
  node: boolean;
}

/** Loads the wasm build once; later calls return the same promise, which resolves to the loaded build's Info. */
export declare function ready(options?: ReadyOptions): Promise<Info>;
/** Which build is loaded and why; null until ready() resolves (TypeScript cannot see that an `await ready()`
 *  before made it non-null: use ready()'s result, `const info = await ready()`). */
export declare let info: Info | null;
/** The package version, from the loaded module. */
export declare function version(): string;
/** wasm heap size and bytes held by malloc (to check that dispose() frees). */
export declare function memoryUsage(): { heapBytes: number; mallocBytes: number };
/**
 * The single-thread f32 peak of the loaded build's SIMD (wasm simd128 mul+add), measured for about `seconds`
 * (default 1; blocks ~1.25x that): the yardstick `npm run bench` divides by for "% of peak".
 */
export declare function measurePeakGflops(seconds?: number): { target: string; gflops: number };

/** Keys of diffusers' scheduler_config.json (snake_case); unknown keys are ignored. */
export interface SchedulerConfig {
  num_train_timesteps?: number;
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2' | 'sigmoid';
  trained_betas?: number[] | null;
  prediction_type?: 'epsilon' | 'sample' | 'v_prediction';
  timestep_spacing?: 'leading' | 'trailing' | 'linspace';
  steps_offset?: number;
  clip_sample?: boolean;
  clip_sample_range?: number;
  thresholding?: boolean;
  dynamic_thresholding_ratio?: number;
  sample_max_value?: number;
  rescale_betas_zero_snr?: boolean;
  /** DDPMScheduler */
  variance_type?: 'fixed_small' | 'fixed_small_log' | 'fixed_large' | 'fixed_large_log' | 'learned' | 'learned_range';
  /** DDIMScheduler */
  set_alpha_to_one?: boolean;
  /** DPMSolverMultistepScheduler */
  solver_order?: number;
  algorithm_type?: string;
  solver_type?: 'midpoint' | 'heun';
  lower_order_final?: boolean;
  euler_at_final?: boolean;
  use_karras_sigmas?: boolean;
  final_sigmas_type?: 'zero' | 'sigma_min';
  lambda_min_clipped?: number;
  [key: string]: unknown;
}

export interface StepOptions {
  /** DDIM: weight of the added noise (0 = deterministic DDIM). */
  eta?: number;
  /** The step's random draw (diffusers' variance_noise), shape of `sample`; when absent it is drawn from
   *  the scheduler's seeded stream (see manualSeed). */
  noise?: TensorLike;
  /** DDIM: recompute ε from the clipped x0. */
  useClippedModelOutput?: boolean;
}

export interface StepResult {
  prevSample: Tensor;
  predOriginalSample: Tensor;
}

/** What every scheduler has; the step differs between the sampling schedulers and the editing ones. */
declare class SchedulerBase {
  /** From a scheduler_config.json (object or JSON text; null or absent: diffusers' defaults); `overrides` win, as
   *  diffusers' from_config(config, **kwargs). Throws an Error naming the key for a bad value. */
  static fromConfig<T extends SchedulerBase>(this: new () => T, config?: SchedulerConfig | string | null,
                                         overrides?: SchedulerConfig): T;
  /** Every key with its effective value, as diffusers' `scheduler.config`. */
  readonly config: SchedulerConfig;
  readonly betas: Float32Array;
  readonly alphasCumprod: Float32Array;
  /** After setTimesteps(n): the n timesteps, descending. */
  readonly timesteps: Int32Array;
  readonly disposed: boolean;
  setTimesteps(numInferenceSteps: number): void;
  /** Seeds the stream that noise is drawn from when step() is given none. */
  manualSeed(seed: number): void;
  /** Frees the wasm memory now (a FinalizationRegistry also frees forgotten schedulers, eventually). */
  dispose(): void;
}

declare class Scheduler extends SchedulerBase {
  step(modelOutput: TensorLike, timestep: number, sample: TensorLike, options?: StepOptions): StepResult;
  /** sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·noise; one timestep per batch element (or one for all). */
  addNoise(originalSamples: TensorLike, noise: TensorLike, timesteps: number | ArrayLike<number>): Tensor;
  /** sqrt(ᾱ_t)·noise - sqrt(1-ᾱ_t)·sample. */
  getVelocity(sample: TensorLike, noise: TensorLike, timesteps: number | ArrayLike<number>): Tensor;
}

export declare class DDPMScheduler extends Scheduler {}
export declare class DDIMScheduler extends Scheduler {}
export declare class DPMSolverMultistepScheduler extends Scheduler {}

/**
 * diffusers' RePaintScheduler (inpainting). setTimesteps(n, { jumpLength, jumpNSample }) makes the jump schedule,
 * which goes down and, at each jump, up again by jumpLength: step() where t goes down, undoStep() where it goes up.
 * Masks are [N or 1, 1, H, W]: 1 keeps the original, 0 is filled in. eta and clip_sample come from the config.
 */
export declare class RePaintScheduler extends SchedulerBase {
  setTimesteps(numInferenceSteps: number, options?: { jumpLength?: number; jumpNSample?: number }): void;
  /** One reverse step; `noise` (sample's shape) replays its single draw, else the seeded stream draws it. */
  step(modelOutput: TensorLike, timestep: number, sample: TensorLike, originalImage: TensorLike, mask: TensorLike,
       options?: { noise?: TensorLike }): StepResult;
  /** undoDraws forward steps from timestep t; `noise` is [undoDraws, ...sample.shape]. */
  undoStep(sample: TensorLike, timestep: number, options?: { noise?: TensorLike }): Tensor;
  /** num_train_timesteps / n. */
  readonly undoDraws: number;
}

/** diffusers' DDIMInverseScheduler: timesteps go up; step() takes the sample to timestep t (prevSample is noisier). */
export declare class DDIMInverseScheduler extends SchedulerBase {
  step(modelOutput: TensorLike, timestep: number, sample: TensorLike): StepResult;
}

/** Keys of diffusers' UNet2DModel config.json (snake_case); unknown keys are ignored. */
export interface UNet2DConfig {
  sample_size?: number | [number, number] | null;
  in_channels?: number;
  out_channels?: number;
  center_input_sample?: boolean;
  time_embedding_type?: 'positional';
  time_embedding_dim?: number | null;
  freq_shift?: number;
  flip_sin_to_cos?: boolean;
  down_block_types?: Array<'DownBlock2D' | 'AttnDownBlock2D'>;
  mid_block_type?: 'UNetMidBlock2D' | null;
  up_block_types?: Array<'UpBlock2D' | 'AttnUpBlock2D'>;
  block_out_channels?: number[];
  layers_per_block?: number;
  mid_block_scale_factor?: number;
  downsample_padding?: number;
  downsample_type?: 'conv';
  upsample_type?: 'conv';
  dropout?: number;
  act_fn?: 'silu';
  attention_head_dim?: number | null;
  norm_num_groups?: number;
  attn_norm_num_groups?: number | null;
  norm_eps?: number;
  resnet_time_scale_shift?: 'default' | 'scale_shift';
  add_attention?: boolean;
  num_class_embeds?: number | null;
  /** ddpm-wasm's own key (diffusers ignores it): the label trained as "no class", used by classifier-free guidance. */
  null_class_index?: number;
  [key: string]: unknown;
}

export interface UNet2DModelInfo {
  /** [height, width] of config.sample_size; null when the config has none. */
  sampleSize: readonly [number, number] | null;
  inChannels: number;
  outChannels: number;
  numClassEmbeds: number | null;
  /** The null class for guidance (config.json's null_class_index), if the model has one. */
  nullClassIndex: number | null;
  numParameters: number;
  /** FLOPs of one forward pass for one image of sampleSize (multiply-add = 2). */
  flopsPerImage: number | null;
}

export interface ModelOptions {
  /** Threads of the model's pool: 'auto' (default) uses the loaded build's (1 for simd, up to 2 for simd-threads). */
  threads?: number | 'auto';
}

/** One file of a model fetched by URL, as it arrives (onDownload). */
export interface DownloadProgress {
  /** The file's path in the model folder, e.g. 'unet/diffusion_pytorch_model.safetensors'. */
  file: string;
  /** Its full URL (the Cache API key). */
  url: string;
  /** Bytes so far: 0 in the first event, the file's size in the last (done). */
  loaded: number;
  /** The size from Content-Length, or null while the server has not said (then the size once done). */
  total: number | null;
  /** Read from the Cache API: one event, loaded = total = the size, done. */
  fromCache: boolean;
  /** The file is complete (the last event of a file). */
  done: boolean;
}

/**
 * How a model is fetched when it is a URL. Where the Cache API exists (browsers on https or localhost, in pages and
 * workers) its files are kept in a cache once the model has loaded, keyed by URL, and a later load reads them from
 * there without a request; a download that breaks off, is not its Content-Length, or does not load is never kept.
 * Elsewhere (Node, plain http) every load downloads.
 */
export interface DownloadOptions {
  /** Progress of each file, from the first byte to done (files read from a directory report nothing). */
  onDownload?: (progress: DownloadProgress) => void;
  /** true (default): the cache MODEL_CACHE_NAME; a string: the cache of that name; false: neither read nor keep. */
  cache?: boolean | string;
}

/** The Cache API cache that keeps models fetched by URL: 'ddpm-wasm-models'. */
export declare const MODEL_CACHE_NAME: 'ddpm-wasm-models';
/**
 * Forgets models kept in the Cache API, so that the next load downloads them again (a model changed at the same
 * URL): no argument or a cache name deletes that whole cache; { model } deletes only the files under that model
 * folder's URL (in `cache`, default MODEL_CACHE_NAME). Resolves to whether anything was deleted (false without a
 * Cache API).
 */
export declare function clearModelCache(which?: string | { model?: string | URL; cache?: string }): Promise<boolean>;

/** diffusers' UNet2DModel (v0.31.0). Tensors are NCHW. */
export declare class UNet2DModel {
  /** From config.json (object or JSON text) and the bytes of diffusion_pytorch_model.safetensors (F32, F16 or BF16).
   *  The model keeps a reference to `weights` (for Trainer.create). Throws an Error naming a bad key or tensor. */
  static fromFiles(config: UNet2DConfig | string, weights: Uint8Array | ArrayBufferView | ArrayBuffer,
                   options?: ModelOptions): UNet2DModel;
  /** A UNet folder or a pipeline folder (model_index.json + unet/): a directory or a URL in Node, a URL in a browser.
   *  A URL downloads with `onDownload` progress and goes through the Cache API (`cache`). */
  static fromPretrained(dirOrUrl: string | URL, options?: ModelOptions & DownloadOptions): Promise<UNet2DModel>;
  /** Every config key with its effective value (defaults filled in), as diffusers' `unet.config`. */
  readonly config: UNet2DConfig;
  readonly info: UNet2DModelInfo;
  /** The pipeline's scheduler/scheduler_config.json when loaded from a pipeline folder, else null. */
  schedulerConfig: SchedulerConfig | null;
  /** The pipeline's sampling_defaults.json when loaded from a pipeline folder that has one, else null:
   *  sample() takes from it each setting its caller does not give. */
  samplingDefaults: SamplingDefaults | null;
  readonly disposed: boolean;
  /** The prediction (ε, v or x0, as trained) for `sample` [B, inChannels, H, W] at `timesteps` (one, or one per
   *  sample); `classLabels` (one, or one per sample) for class-conditional models. Returns [B, outChannels, H, W]. */
  forward(sample: TensorLike, timesteps: number | ArrayLike<number>, classLabels?: number | ArrayLike<number>): Tensor;
  /** Frees the wasm memory now (a FinalizationRegistry also frees forgotten models, eventually). */
  dispose(): void;
}

export interface SampleProgress {
  /** 1-based. */
  step: number;
  total: number;
  timestep: number;
  /** The model's current prediction of x0, [numImages, C, H, W]. */
  preview: Tensor;
  /** x_{t-1}: the sample this step produced (diffusers' `latents`), [numImages, C, H, W]. */
  latents: Tensor;
}

/**
 * A pipeline's recommended sampling settings (sampling_defaults.json beside model_index.json; diffusers ignores
 * the file). Each key is optional.
 */
export interface SamplingDefaults {
  scheduler?: 'ddpm' | 'ddim' | 'dpmpp';
  steps?: number;
  eta?: number;
  guidance_scale?: number;
  /** [lo, hi]: guidance applies only at timesteps lo <= t <= hi (absent: every timestep). */
  guidance_interval?: [number, number];
  /** RePaint's schedule for inpaint() when the caller gives none (else diffusers' 250, 10, 10). */
  inpaint?: { steps?: number; jump_length?: number; jump_n_sample?: number };
}

/** scheduler, steps, eta, guidanceScale and guidanceInterval not given come from the model's samplingDefaults, else the
 *  defaults below.
 *  Any other key is an error (a TypeError naming it and listing these), as in every sampling and editing call. */
export interface SampleOptions {
  /** Default: the model's, else 'ddim'. 'dpmpp' is DPM-Solver++ (multistep). */
  scheduler?: 'ddpm' | 'ddim' | 'dpmpp';
  /** Default: the model's (when the scheduler is the model's), else 1000 for ddpm, 50 for ddim, 20 for dpmpp. */
  steps?: number;
  /** DDIM's noise weight (0 = deterministic). Default: the model's, else 0. */
  eta?: number;
  /** Default 1. */
  numImages?: number;
  /** One for all images or one per image; required by class-conditional models. */
  classLabels?: number | ArrayLike<number>;
  /** Classifier-free guidance weight (1 = off); needs a model with a null class (info.nullClassIndex).
   *  Default: the model's, else 1. */
  guidanceScale?: number;
  /** [lo, hi]: classifier-free guidance applies only at timesteps lo <= t <= hi (0 .. num_train_timesteps - 1); the
   *  other steps run the conditional prediction alone, half the work. Default: the model's, else every timestep. */
  guidanceInterval?: [number, number];
  /** Seed of the initial noise and the schedulers' noise (Philox). Default 0. The same seed gives the same images bit
   *  for bit in both wasm builds, at any thread count (sample(), Generator, the ddpm-wasm CLI); the native CLI's
   *  differ by float32 rounding (about 1e-5). */
  seed?: number;
  /** x_T [numImages, C, H, W] instead of seeded noise. */
  latents?: TensorLike;
  /** Overrides the scheduler config's clip_sample (x0 clipped to [-1, 1]); false to sample back from invert(). */
  clipSample?: boolean;
  /** After every step; returning false stops the run, which then throws an Error named 'AbortError'. */
  onProgress?: (progress: SampleProgress) => boolean | void;
}

/**
 * Generates images with `unet` (synchronously): x_T ~ N(0, I) denoised in `steps` steps by the scheduler
 * `options.scheduler`, configured from `schedulerConfig` (a pipeline's scheduler_config.json, e.g.
 * `unet.schedulerConfig`; {} or null = diffusers' defaults). Returns x_0 [numImages, C, H, W] as the model produces
 * it, typically in [-1, 1]. Bad requests (a class label out of range, steps 0, an unknown option, ...) throw an Error
 * with the core's message.
 */
export declare function sample(unet: UNet2DModel, schedulerConfig?: SchedulerConfig | string | null,
                               options?: SampleOptions): Tensor;

// ---- Editing: inpainting (RePaint), image-to-image (SDEdit), DDIM inversion, interpolation ----

/** A canvas's pixels: an ImageData, or anything with its RGBA `data`, `width` and `height`. */
export interface ImageDataSource {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

/**
 * A picture for the editing calls: a Tensor already in the model's layout ([N, C, H, W] in [-1, 1]; a mask
 * [N or 1, 1, H, W] of 1 = keep, 0 = fill in), or an ImageData or PNG bytes, which are fitted to the model as
 * `ddpm inpaint --image` fits a PNG (grey or RGB to its channels, centre crop and resize to its size; a mask is read
 * as grey and split at 0.5: white keeps, black fills in).
 */
export type Picture = TensorLike | ImageDataSource | Uint8Array | ArrayBuffer;

/** What every editing call takes. */
export interface EditOptions {
  /** The class (one for all images, or one per image); required by class-conditional models. */
  classLabels?: number | ArrayLike<number>;
  /** Classifier-free guidance weight (1 = off). */
  guidanceScale?: number;
  /** Seed of every random draw. Default 0. */
  seed?: number;
  /** After every step (undo steps included); returning false stops the run with an 'AbortError'. */
  onProgress?: (progress: SampleProgress) => boolean | void;
}

export interface InpaintOptions extends EditOptions {
  image: Picture;
  /** White (1) keeps the image, black (0) is filled in. */
  mask: Picture;
  /** RePaint's denoising steps. Default 250 (diffusers'). */
  steps?: number;
  /** Steps per jump back up the schedule. Default 10. */
  jumpLength?: number;
  /** Times each jump is taken. Default 10. */
  jumpNSample?: number;
  /** Noise weight in the filled region (0: DDIM-like, 1: DDPM-like). Default 0. */
  eta?: number;
  /** Every random draw [D, N, C, H, W] in RePaintPipeline's order, for exact replay. */
  noiseDraws?: TensorLike;
}

export interface ImageToImageOptions extends EditOptions {
  image: Picture;
  /** In (0, 1]: how far along the noise schedule to start (1 = from pure noise). */
  strength: number;
  /** scheduler, steps, eta, guidanceScale and guidanceInterval not given come from the model's samplingDefaults, as in
   *  sample(). */
  scheduler?: 'ddpm' | 'ddim' | 'dpmpp';
  steps?: number;
  eta?: number;
  /** [lo, hi]: guidance only at timesteps lo <= t <= hi, as in sample(). */
  guidanceInterval?: [number, number];
}

export interface InvertOptions extends Omit<EditOptions, 'guidanceScale' | 'seed'> {
  image: Picture;
  /** DDIM steps (sample back with the same number). Default 50. */
  steps?: number;
}

/** RePaint inpainting: regenerates where the mask is 0 and keeps the image where it is 1. x0 [N, C, H, W]. */
export declare function inpaint(unet: UNet2DModel, schedulerConfig: SchedulerConfig | string | null | undefined,
                                options: InpaintOptions): Tensor;
/** SDEdit: the image noised to where strength puts it, then denoised (to another class with classLabels). */
export declare function imageToImage(unet: UNet2DModel, schedulerConfig: SchedulerConfig | string | null | undefined,
                                     options: ImageToImageOptions): Tensor;
/** The timestep imageToImage with these options starts from (e.g. 480 of 1000). */
export declare function imageToImageStartTimestep(unet: UNet2DModel, schedulerConfig: SchedulerConfig | string | null | undefined,
                                                  options: Pick<ImageToImageOptions, 'strength' | 'scheduler' | 'steps'>): number;
/** DDIM inversion: the x_T from which sampling with invertedSampling({ steps }) gives the image back. */
export declare function invert(unet: UNet2DModel, schedulerConfig: SchedulerConfig | string | null | undefined,
                               options: InvertOptions): Tensor;

/** The sample()/generate() options that turn invert()'s x_T back into its image (DDIM, eta 0, unclipped). */
export interface InvertedSampling {
  scheduler: 'ddim';
  eta: 0;
  steps: number;
  guidanceScale: 1;
  clipSample: false;
  classLabels?: number | ArrayLike<number>;
}
export declare function invertedSampling(options?: { steps?: number; classLabels?: number | ArrayLike<number> }): InvertedSampling;
/** Spherical interpolation between two x_T of the same shape: t = 0 gives a, t = 1 gives b. */
export declare function slerp(a: TensorLike, b: TensorLike, t: number): Tensor;
/** A picture fitted to the model's input; `note` says what the fitting did ('' when the size already fit). */
export declare function imageToTensor(picture: Picture, unet: UNet2DModel, options?: { mask?: boolean }): { tensor: Tensor; note: string };

// ---- The toy 2-D denoiser (ddpm train --data toy2d:NAME) ----

/** config.json of a ToyMLPDenoiser (an MLP on [x, emb(t)] with SiLU, predicting ε). */
export interface ToyMLPConfig {
  _class_name?: 'ToyMLPDenoiser';
  /** Default 2. */
  data_dim?: number;
  /** Width of the hidden layers. Default 128. */
  hidden?: number;
  /** Linear+SiLU blocks after the input layer. Default 3. */
  num_hidden_layers?: number;
  /** Sinusoidal timestep embedding size (even). Default 32. */
  time_embed_dim?: number;
}

export interface ToyMLPInfo {
  dataDim: number;
  hidden: number;
  numHiddenLayers: number;
  timeEmbedDim: number;
  numParameters: number;
}

export interface ToySampleOptions extends Omit<SampleOptions, 'numImages' | 'classLabels' | 'guidanceScale' | 'latents'> {
  /** Default 1. */
  numPoints?: number;
  /** x_T [numPoints, dataDim] instead of seeded noise. */
  latents?: TensorLike;
}

/** The toy 2-D denoiser `ddpm train --data toy2d:NAME` trains (models/toy2d), small enough to train in a page. */
export declare class ToyMLPDenoiser {
  /** Fresh weights (torch.nn.Linear's init) from `seed`; missing config keys take the shipped model's values. */
  static create(config?: ToyMLPConfig | string, options?: { seed?: number }): ToyMLPDenoiser;
  static fromFiles(config: ToyMLPConfig | string, weights: Uint8Array | ArrayBuffer | ArrayBufferView): ToyMLPDenoiser;
  /** A model or pipeline folder: a directory or URL in Node, a URL in a browser (downloaded as UNet2DModel's). */
  static fromPretrained(dirOrUrl: string | URL, options?: DownloadOptions): Promise<ToyMLPDenoiser>;
  /** The pipeline folder's scheduler_config.json (fromPretrained of a pipeline), else null. */
  schedulerConfig: SchedulerConfig | null;
  readonly config: Required<ToyMLPConfig>;
  readonly info: Readonly<ToyMLPInfo>;
  readonly disposed: boolean;
  /** config.json text and the safetensors bytes of the current weights. */
  files(): { config: string; weights: Uint8Array };
  /** Points [numPoints, dataDim] from N(0, I) through the reverse process; progress tensors are [numPoints, dataDim]. */
  sample(schedulerConfig?: SchedulerConfig | string | null, options?: ToySampleOptions): Tensor;
  dispose(): void;
}

/** `count` points [count, 2] of a toy set (roughly unit variance, the same for the same seed). Default count 10000. */
export declare function toyDataset(name: 'swissroll' | 'moons' | 'gaussians', count?: number, seed?: number): Tensor;

/** diffusers.training_utils.EMAModel's options. */
export interface EmaOptions {
  /** Default 0.9999. */
  decay?: number;
  minDecay?: number;
  updateAfterStep?: number;
  /** Default false. */
  useEmaWarmup?: boolean;
  invGamma?: number;
  power?: number;
}

export interface TrainerOptions {
  /** The noise schedule (a scheduler_config.json); default {} or null: DDPMScheduler's defaults. */
  scheduler?: SchedulerConfig | string | null;
  /** torch.optim.AdamW: lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 1e-2 by default. */
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** clip_grad_norm_ bound, default 1; <= 0 disables clipping. */
  maxGradNorm?: number;
  /** Overrides the scheduler config's prediction_type (the regression target). */
  predictionType?: 'epsilon' | 'v_prediction' | 'sample';
  /** false for no EMA; default EMAModel's defaults. */
  ema?: false | EmaOptions;
  /** Linear warmup to lr over warmupSteps, then cosine decay to 0 at totalSteps (both 0: constant lr). */
  warmupSteps?: number;
  totalSteps?: number;
  /** min-SNR-γ loss weighting (0 = off). */
  minSnrGamma?: number;
  /** Probability of replacing a label by the null class (needs config null_class_index), for guidance. */
  labelDropout?: number;
  /** Horizontal flips with probability 1/2. */
  randomFlip?: boolean;
  /** Seeds fresh weights (a config) and the draws of timesteps, noise, dropout and flips. Default 0. */
  seed?: number;
  threads?: number | 'auto';
}

export interface TrainingBatch {
  /** [B, C, H, W] in the model's range (typically [-1, 1]). */
  x0: TensorLike;
  classLabels?: number | ArrayLike<number>;
  /** ε, x0's shape; drawn from the seeded stream when absent. */
  noise?: TensorLike;
  /** One per image in [0, num_train_timesteps); drawn when absent. */
  timesteps?: ArrayLike<number>;
}

export interface TrainStepResult {
  /** The loss before the update. */
  loss: number;
  /** The gradient norm before clipping. */
  gradNorm: number;
  /** The learning rate used. */
  lr: number;
  /** Steps taken so far. */
  step: number;
}

export interface PipelineFiles {
  'model_index.json': string;
  'scheduler/scheduler_config.json': string;
  'unet/config.json': string;
  'unet/diffusion_pytorch_model.safetensors': Uint8Array;
}

/** The DDPM trainer of `ddpm train` (ε-MSE, clipping, AdamW, EMA), one synchronous step at a time. */
/**
 * The seeded epoch shuffle `ddpm train` draws its batches with: each epoch a permutation of [0, count), the same
 * for the same seed in every build and natively. Generator's trainer uses it.
 */
export declare class BatchSampler {
  constructor(count: number, seed?: number);
  /** The next batchSize example indices; the epoch reshuffles when it runs out. */
  next(batchSize: number): Int32Array;
  readonly epoch: number;
  readonly cursor: number;
  dispose(): void;
}

export declare class Trainer {
  /** From a UNet2DModel or ToyMLPDenoiser (its weights are the start), or a config (fresh weights from
   *  options.seed; a ToyMLPConfig when its _class_name is 'ToyMLPDenoiser'). Throws an Error naming a bad option. */
  static create(model: UNet2DModel | ToyMLPDenoiser | UNet2DConfig | ToyMLPConfig | string, options?: TrainerOptions): Trainer;
  readonly disposed: boolean;
  step(batch: TrainingBatch): TrainStepResult;
  /** The loss and d loss / d every parameter (by state_dict key) and d loss / d x_t (null for a ToyMLPDenoiser),
   *  without an update. */
  lossAndGradients(batch: TrainingBatch): { loss: number; gradients: Record<string, Tensor>; inputGradient: Tensor | null };
  /** Copies of the weights by diffusers state_dict key. */
  parameters(): Record<string, Tensor>;
  /** Copies of the EMA weights, or null with ema: false. */
  emaParameters(): Record<string, Tensor> | null;
  /** The model as a diffusers pipeline folder (EMA weights when there is an EMA). */
  exportPipeline(): PipelineFiles;
  dispose(): void;
}

// ---- High level: Generator (the engine in a Worker) ----

/** A diffusers folder given as files: relative path -> contents (e.g. Trainer.exportPipeline()'s result). */
export type ModelFileMap = Record<string, string | Uint8Array | ArrayBuffer | ArrayBufferView | Blob>;

/** config.json and the weights' bytes (and optionally the scheduler_config.json to sample with). */
export interface ModelBytes {
  config: UNet2DConfig | string;
  weights: Uint8Array | ArrayBufferView | ArrayBuffer | Blob;
  schedulerConfig?: SchedulerConfig | string | null;
  /** The sampling settings generate() uses when not given (sampling_defaults.json's contents). */
  samplingDefaults?: SamplingDefaults | string | null;
}

/**
 * A diffusers pipeline or UNet folder: a URL (relative to the page in browsers) or, in Node, a directory; its files
 * (a FileList or File[] from a folder picker or a drop: found by relative path, e.g. `x/unet/config.json`);
 * a { path: contents } map; or the bytes.
 */
export type ModelSource = string | URL | ModelBytes | ModelFileMap | PipelineFiles | Map<string, ModelFileMap[string]> |
  Iterable<File> | ArrayLike<File>;

export interface GeneratorOptions extends DownloadOptions {
  /** The model to generate with. Optional: without one, the Generator only trains (createTrainer with a unetConfig),
   *  and generate() rejects saying so. A URL is fetched in the worker; onDownload still runs on the calling thread
   *  (an exception there stops the load and rejects create()). */
  model?: ModelSource;
  /** 'auto' (default): the threaded build where SharedArrayBuffer works (a cross-origin isolated page, Node) with half
   *  the hardware threads (at least 2, at most 4), else the single-thread build; info.why says which and why.
   *  1: the single-thread build. */
  threads?: number | 'auto';
  /** Force a build; 'simd-threads' where SharedArrayBuffer is missing rejects. Default 'auto'. */
  build?: 'auto' | Build;
  /** Where the builds are, if not the package's dist/ (beside web/src/ by default). */
  wasmPaths?: WasmPaths;
}

export interface GeneratorInfo {
  build: Build;
  /** Threads of the model's pool. */
  threads: number;
  /** Why this build and thread count, e.g. 'crossOriginIsolated and SharedArrayBuffer available; 2 of 8 hardware
   *  threads (at most 2)' or 'not crossOriginIsolated (serve the page with COOP/COEP headers for threads)'. */
  why: string;
  simd: string;
  version: string;
  node: boolean;
  /** How a run is stopped: 'flag' (a SharedArrayBuffer flag read after every step), or 'restart' (no
   *  SharedArrayBuffer: the worker is terminated and a new one loads the model again; trainers made before are
   *  lost, while training itself is always cancelled in place, between steps). */
  cancel: 'flag' | 'restart';
}

export interface GenerateProgress {
  /** 1-based. */
  step: number;
  total: number;
  timestep: number;
  /** The model's current prediction of x0, [numImages, C, H, W] in [-1, 1]. */
  preview: Tensor;
  /** x_{t-1}: the sample this step produced (diffusers' `latents`), [numImages, C, H, W]; noisy until the last steps. */
  latents: Tensor;
  /** Milliseconds since the run started (in the worker). */
  elapsedMs: number;
}

export interface GenerateOptions {
  /** Default 1. */
  numImages?: number;
  /** Default: 1000 for ddpm, 50 for ddim, 20 for dpmpp. */
  steps?: number;
  /** Default 'ddim'. */
  scheduler?: 'ddpm' | 'ddim' | 'dpmpp';
  /** DDIM's noise weight (0 = deterministic). */
  eta?: number;
  /** Seed of the initial noise and the schedulers' noise; the same images in every build. Default 0. */
  seed?: number;
  /** One for all images or one per image; required by class-conditional models. */
  classLabels?: number | ArrayLike<number>;
  /** Classifier-free guidance weight (1 = off, the default); > 1 mixes in the model's null class (config
   *  null_class_index). */
  guidanceScale?: number;
  /** [lo, hi]: classifier-free guidance applies only at timesteps lo <= t <= hi (0 .. num_train_timesteps - 1); the
   *  other steps run the conditional prediction alone, half the work. Default: the model's, else every timestep. */
  guidanceInterval?: [number, number];
  /** x_T [numImages, C, H, W] instead of seeded noise (copied). */
  latents?: TensorLike;
  /** Overrides the scheduler config's clip_sample; false to sample back from invert() (see its sampleBack). */
  clipSample?: boolean;
  /** After every step, on the calling thread. An exception stops the run and rejects generate() with it. */
  onProgress?: (progress: GenerateProgress) => void;
  /** Aborting stops the run within one step (a queued or already aborted request does not start); generate() then
   *  rejects with the signal's reason when one was given (`controller.abort(reason)`, AbortSignal.timeout()), as
   *  fetch() does, else with an AbortError (a DOMException) saying where it stopped. */
  signal?: AbortSignal;
}

/** An editing call's options in a Generator: pictures may be Blobs too, progress comes as generate()'s, and a
 *  signal aborts the run within one step, as generate()'s does (rejecting with its reason when one was given). */
export type GeneratorEditOptions<T extends object> = Omit<T, 'image' | 'mask' | 'onProgress'> &
  { onProgress?: (progress: GenerateProgress) => void; signal?: AbortSignal } &
  ('image' extends keyof T ? { image: Picture | Blob } : unknown) & ('mask' extends keyof T ? { mask: Picture | Blob } : unknown);

export interface GenerateResult {
  /** x0 [numImages, C, H, W], typically in [-1, 1]: see toImageData, toCanvas, toPNG. */
  images: Tensor;
  steps: number;
  totalMs: number;
  msPerStep: number;
}

/** Sampling in a Worker (a module Worker in browsers, a worker_threads Worker in Node). */
export declare class Generator {
  private constructor();
  /** Starts the worker and loads the build and the model; rejects with the loader's or the core's message. */
  static create(options: GeneratorOptions): Promise<Generator>;
  readonly info: GeneratorInfo;
  /** null for a Generator created without a model. */
  readonly modelInfo: UNet2DModelInfo | null;
  /** The model's config.json, defaults filled in (null without a model). */
  readonly config: UNet2DConfig | null;
  /** The pipeline's scheduler_config.json; null for a UNet folder (then diffusers' DDPMScheduler defaults). */
  readonly schedulerConfig: SchedulerConfig | null;
  /** The pipeline's sampling_defaults.json, or null: what generate() uses for settings it is not given. */
  readonly samplingDefaults: SamplingDefaults | null;
  /** Requests run one at a time, in call order. Bad requests reject with an Error carrying the core's message. */
  generate(options?: GenerateOptions): Promise<GenerateResult>;
  /** The worker's wasm memory, after the requests before it. */
  memoryUsage(): Promise<{ heapBytes: number; mallocBytes: number }>;
  /** Inpainting (RePaint) in the worker; pictures may also be Blobs. Options as inpaint(), plus signal. */
  inpaint(options: GeneratorEditOptions<InpaintOptions>): Promise<GenerateResult>;
  /** Image-to-image (SDEdit) in the worker; `startTimestep` is where strength put the run. */
  imageToImage(options: GeneratorEditOptions<ImageToImageOptions>): Promise<GenerateResult & { startTimestep: number }>;
  imageToImageStartTimestep(options: Pick<ImageToImageOptions, 'strength' | 'scheduler' | 'steps'>): Promise<number>;
  /** DDIM inversion in the worker: `generate({ ...sampleBack, latents })` gives the image back. */
  invert(options: GeneratorEditOptions<InvertOptions>): Promise<{ latents: Tensor; sampleBack: InvertedSampling; steps: number;
                                                                  totalMs: number; msPerStep: number }>;
  slerp(a: TensorLike, b: TensorLike, t: number): Promise<Tensor>;
  imageToTensor(picture: Picture | Blob, options?: { mask?: boolean }): Promise<{ tensor: Tensor; note: string }>;
  /** A trainer in the worker: a fresh UNet from `unetConfig`, or (without one) this Generator's model, fine-tuned. */
  createTrainer(options?: GeneratorTrainerOptions): Promise<GeneratorTrainer>;
  /** Terminates the worker (freeing its memory); running and queued requests reject with an AbortError. */
  dispose(): Promise<void>;
}

export interface GeneratorTrainerOptions extends Omit<TrainerOptions, 'scheduler'> {
  /** A fresh model from this config (weights from `seed`); default: the Generator's model. */
  unetConfig?: UNet2DConfig | string;
  /** The noise schedule; default (or null) the Generator's scheduler_config.json, else DDPMScheduler's defaults. */
  schedulerConfig?: SchedulerConfig | string | null;
  /** Images per step; default 16. */
  batchSize?: number;
  /** EMA decay (0: no EMA); default EMAModel's 0.9999. */
  emaDecay?: number;
}

/** Images (and labels) to train on: batches are drawn from a seeded shuffle, a new one each epoch. */
export interface TrainingDataset {
  /** [N, C, H, W] in [-1, 1]. Copied to the worker at each train() call. */
  images: TensorLike;
  /** One class per image, for class-conditional models. */
  labels?: ArrayLike<number>;
}

export interface TrainProgress {
  /** 1-based, within this train() call. */
  step: number;
  total: number;
  loss: number;
  gradNorm: number;
  lr: number;
  /** Steps the trainer has taken in all. */
  trainerStep: number;
  elapsedMs: number;
}

export interface TrainOptions {
  dataset: TrainingDataset;
  steps: number;
  onProgress?: (progress: TrainProgress) => void;
  /** Aborting stops after the current step (the steps taken are kept) and rejects with an AbortError. */
  signal?: AbortSignal;
}

/** A trainer in a Generator's worker (Generator.createTrainer); its requests share the Generator's queue. */
export declare class GeneratorTrainer {
  private constructor();
  readonly batchSize: number;
  readonly threads: number;
  train(options: TrainOptions): Promise<{ steps: number; losses: Float32Array; trainerStep: number; totalMs: number }>;
  /** The model as a diffusers pipeline folder (EMA weights when there is an EMA): Generator.create takes it as `model`. */
  exportPipeline(): Promise<PipelineFiles>;
  dispose(): Promise<void>;
}

/** What toImageData returns where ImageData does not exist (Node). */
export interface ImageDataLike {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** RGBA pixels of image `index` (default 0) of an NCHW tensor (C = 1, 3 or 4) in [-1, 1], mapped as diffusers
 *  does: round(clamp(x / 2 + 0.5, 0, 1) * 255). An ImageData where there is one, else a plain object. */
export declare function toImageData(tensor: TensorLike, index?: number): ImageData | ImageDataLike;

/** Draws image `index` into `canvas` (resized to the image), or into a new canvas; returns the canvas. */
export declare function toCanvas<C extends HTMLCanvasElement | OffscreenCanvas = HTMLCanvasElement>(
  tensor: TensorLike, index?: number, canvas?: C): C;

export interface PNGOptions {
  /** One image; without it, all images tiled into a grid. */
  index?: number;
  /** Grid columns; default ceil(sqrt(N)). */
  cols?: number;
  /** Pixels between and around the tiles; default 2 for several images, 0 for one (the rule of the CLI's grids). */
  padding?: number;
  /** Padding colour, 0..255; default 0. */
  padValue?: number;
}

/** A PNG file (8-bit gray, RGB or RGBA; uncompressed deflate) of one image or a grid of all of them. */
export declare function toPNG(tensor: TensorLike, options?: PNGOptions): Uint8Array;
