// Types for ddpm-wasm (ESM). Tensors are row-major, NCHW for images, as in PyTorch.

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

export interface ReadyOptions {
  /** Which wasm build to load. `auto` (default): simd-threads in a cross-origin isolated browser, else simd. */
  build?: 'auto' | Build;
  /** Browser only: the URL folder holding ddpm.wasm (and ddpm.worker.js), if not beside ddpm.mjs. */
  wasmPaths?: string;
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

/** Loads the wasm build once; later calls return the same promise. */
export declare function ready(options?: ReadyOptions): Promise<Info>;
/** Which build is loaded and why; null until ready() resolves. */
export declare let info: Info | null;
/** The package version, from the loaded module. */
export declare function version(): string;
/** wasm heap size and bytes held by malloc (to check that dispose() frees). */
export declare function memoryUsage(): { heapBytes: number; mallocBytes: number };

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

declare class Scheduler {
  /** From a scheduler_config.json (object or JSON text); `overrides` win, as diffusers' from_config(config, **kwargs).
   *  Throws an Error naming the key for a bad value. */
  static fromConfig<T extends Scheduler>(this: new () => T, config?: SchedulerConfig | string,
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
  step(modelOutput: TensorLike, timestep: number, sample: TensorLike, options?: StepOptions): StepResult;
  /** sqrt(ᾱ_t)·x0 + sqrt(1-ᾱ_t)·noise; one timestep per batch element (or one for all). */
  addNoise(originalSamples: TensorLike, noise: TensorLike, timesteps: number | ArrayLike<number>): Tensor;
  /** sqrt(ᾱ_t)·noise - sqrt(1-ᾱ_t)·sample. */
  getVelocity(sample: TensorLike, noise: TensorLike, timesteps: number | ArrayLike<number>): Tensor;
  /** Frees the wasm memory now (a FinalizationRegistry also frees forgotten schedulers, eventually). */
  dispose(): void;
}

export declare class DDPMScheduler extends Scheduler {}
export declare class DDIMScheduler extends Scheduler {}
export declare class DPMSolverMultistepScheduler extends Scheduler {}
