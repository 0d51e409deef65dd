// Generator: the high-level API (DESIGN.md, "JavaScript", high level). The engine runs in a Worker
// (worker.js: a module Worker in browsers, a worker_threads Worker in Node) so that sampling never blocks
// the caller; requests go one at a time in call order, progress comes back with a preview of x0 each step,
// and an AbortSignal stops a run within one step.
import { checkDownloadOptions } from './model_files.js';
import { checkOptionNames, LOAD_OPTION_NAMES, OPTION_NAMES, RUN_OPTIONS } from './options.js';
import { invertedSampling } from './sampling_back.js';
import { Tensor } from './tensor.js';

const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';
const SCHEDULERS = ['ddpm', 'ddim', 'dpmpp'];
// threads: 'auto' leaves cores to the page and other work, as onnxruntime-web does (half the hardware threads,
// at most 4), but takes 2 on a 2-core machine, where that still pays. The worker starts the pthreads first.
const AUTO_MAX_THREADS = 4;
const MAX_THREADS = 64;
const autoThreads = (hw) => (hw <= 1 ? 1 : Math.min(AUTO_MAX_THREADS, Math.max(2, Math.ceil(hw / 2))));

/** An Error named 'AbortError' (a DOMException where there is one, as fetch() rejects with). */
function abortError(message, cause) {
  const e = typeof DOMException === 'function' ? new DOMException(message, 'AbortError') : Object.assign(new Error(message), { name: 'AbortError' });
  if (cause !== undefined) {
    try {
      Object.defineProperty(e, 'cause', { value: cause, configurable: true, writable: true });
    } catch {
      // a frozen DOMException: the cause is only extra detail
    }
  }
  return e;
}

/**
 * What an aborted request rejects with, as fetch() does: the signal's `reason` when the caller gave one
 * (`controller.abort(reason)`, or AbortSignal.timeout()'s TimeoutError). A plain `abort()`, whose reason is a
 * generic AbortError DOMException, rejects with an AbortError of our own instead, which says where the request
 * stopped (`message`), with that reason as its cause.
 */
function abortedWith(signal, message) {
  const reason = signal?.reason;
  const generic = reason === undefined || (typeof DOMException === 'function' && reason instanceof DOMException &&
                                           reason.name === 'AbortError');
  return generic ? abortError(message, reason) : reason;
}

/** The worker's { name, message } as an Error of the same kind, with the core's message unchanged. */
function errorFrom({ name, message }) {
  if (name === 'AbortError') return abortError(message);
  const Kind = { TypeError, RangeError, SyntaxError }[name] ?? Error;
  return new Kind(message);
}

const hardwareThreads = async () => {
  if (IS_NODE) return (await import('node:os')).availableParallelism?.() ?? 1;
  return globalThis.navigator?.hardwareConcurrency ?? 1;
};

/** { build, threads, why }: the build and thread count for `threads` ('auto' or a number) here. */
async function chooseBuild(threads, build) {
  if (threads !== 'auto' && (!Number.isInteger(threads) || threads < 1)) {
    throw new TypeError(`Generator.create: threads must be 'auto' or a positive integer, got ${threads}`);
  }
  if (!['auto', 'simd', 'simd-threads'].includes(build)) {
    throw new TypeError(`Generator.create: build '${build}' must be one of auto, simd, simd-threads`);
  }
  const hw = await hardwareThreads();
  const sab = typeof SharedArrayBuffer === 'function';
  const isolated = IS_NODE || globalThis.crossOriginIsolated === true;
  const why = IS_NODE ? 'Node worker thread with SharedArrayBuffer'
    : isolated && sab ? 'crossOriginIsolated and SharedArrayBuffer available'
      : !isolated ? 'not crossOriginIsolated (serve the page with COOP/COEP headers for threads)' : 'no SharedArrayBuffer';
  if (build === 'simd') return { build, threads: 1, why: 'requested build simd' };
  if (build === 'simd-threads' && !(isolated && sab)) {
    throw new Error(`Generator.create: build simd-threads needs SharedArrayBuffer: ${why}`);
  }
  if (threads === 1 && build === 'auto') return { build: 'simd', threads: 1, why: 'threads: 1 requested' };
  if (!(isolated && sab)) {
    const note = threads === 'auto' ? why : `threads: ${threads} requested, but ${why}; using 1`;
    if (threads !== 'auto') console.warn(`ddpm-wasm Generator: ${note}`);
    return { build: 'simd', threads: 1, why: note };
  }
  const n = threads === 'auto' ? autoThreads(hw) : Math.min(threads, MAX_THREADS);
  if (n === 1 && build === 'auto') return { build: 'simd', threads: 1, why: `${why}; 1 hardware thread` };
  let note = build === 'simd-threads' ? `requested build simd-threads (${why})` : why;
  if (threads === 'auto') note += `; ${n} threads for ${hw} hardware threads`;
  else if (n < threads) note += `; threads: ${threads} requested, capped at ${MAX_THREADS}`;
  return { build: 'simd-threads', threads: n, why: note };
}

/** Relative URLs resolve against the page here, not against the worker's own URL there. */
function absolute(location) {
  if (IS_NODE || location instanceof URL) return String(location);
  return new URL(location, globalThis.document?.baseURI ?? globalThis.location?.href).href;
}

function wasmPathsFor(wasmPaths) {
  if (wasmPaths === undefined || wasmPaths === null) return undefined;
  if (typeof wasmPaths === 'string' || wasmPaths instanceof URL) return absolute(wasmPaths);
  if (typeof wasmPaths !== 'object') {
    throw new TypeError("Generator.create: wasmPaths must be a URL (the folder holding simd/ and simd-threads/) or { 'simd'?: url, 'simd-threads'?: url }");
  }
  return Object.fromEntries(Object.entries(wasmPaths).map(([k, v]) => [k, absolute(v)]));
}

const isBlob = (x) => typeof Blob === 'function' && x instanceof Blob;

/** The model option as the worker's init message carries it. */
function modelMessage(model) {
  if (typeof model === 'string' || model instanceof URL) return { kind: 'location', location: absolute(model) };
  if (model === null || typeof model !== 'object') {
    throw new TypeError('Generator.create: model must be a URL or directory, { config, weights }, a FileList/File[] of a ' +
                        'diffusers folder, or a { path: contents } map of one');
  }
  if ('weights' in model && 'config' in model) {
    const weights = model.weights;
    if (!(ArrayBuffer.isView(weights) || weights instanceof ArrayBuffer || isBlob(weights))) {
      throw new TypeError('Generator.create: model.weights must be the bytes of diffusion_pytorch_model.safetensors');
    }
    return { kind: 'bytes', config: model.config, weights, schedulerConfig: model.schedulerConfig ?? null,
             samplingDefaults: model.samplingDefaults ?? null };
  }
  // A FileList or File[] (a dropped or picked folder), or a { path: contents } map (Trainer.exportPipeline()).
  let files = model;
  if (typeof model[Symbol.iterator] === 'function' && !(model instanceof Map)) {
    files = Array.from(model);
    if (!files.every(isBlob)) throw new TypeError('Generator.create: model files must be File objects (a FileList or File[])');
    // A File's relative path does not survive postMessage in every browser: send it along.
    files = Object.fromEntries(files.map((f) => [f.webkitRelativePath || f.name, f]));
  }
  return { kind: 'files', files };
}

/** The options every cancellable run takes: an options object with onProgress and signal of the right kinds. */
function checkRunOptions(o, what) {
  if (o === null || typeof o !== 'object') throw new TypeError(`${what}: options must be an object`);
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw new TypeError(`${what}: onProgress must be a function`);
  if (o.signal !== undefined && o.signal !== null && (typeof o.signal.aborted !== 'boolean' || typeof o.signal.addEventListener !== 'function')) {
    throw new TypeError(`${what}: signal must be an AbortSignal`);
  }
}

const labelsMessage = (labels) => (typeof labels === 'number' ? [labels] : Array.from(labels, Number));

/** A picture as a message can carry it (the worker fits it to the model): a Blob is read, a Tensor copied. */
async function pictureMessage(picture, what) {
  if (picture === undefined || picture === null) return picture;
  if (isBlob(picture)) return new Uint8Array(await picture.arrayBuffer());
  if (picture instanceof ArrayBuffer) return picture.slice(0);
  if (ArrayBuffer.isView(picture)) return new Uint8Array(picture.buffer.slice(picture.byteOffset, picture.byteOffset + picture.byteLength));
  if (typeof picture === 'object' && 'shape' in picture && !('width' in picture)) {
    const t = Tensor.from(picture, what);
    return { data: t.data.slice(), shape: t.shape };  // a copy: the caller's buffer stays theirs
  }
  return picture;  // ImageData (structured-cloneable), or whatever the worker will name as wrong
}

/** A progress payload with Tensors for the caller's onProgress. */
const progressWith = (onProgress) => onProgress && ((p) => onProgress({
  step: p.step, total: p.total, timestep: p.timestep, elapsedMs: p.elapsedMs,
  preview: new Tensor(p.preview.data, p.preview.shape), latents: new Tensor(p.latents.data, p.latents.shape) }));

const imagesResult = (r) => ({ images: new Tensor(r.images.data, r.images.shape), steps: r.steps, totalMs: r.totalMs,
                               msPerStep: r.totalMs / r.steps });

// The options each editing request passes on as they are (pictures, tensors and onProgress apart); the core checks
// their values. The names each call takes are in options.js, as the synchronous calls take them.
const PICTURES = ['image', 'mask'];
const EDIT_TENSORS = ['noiseDraws'];
const editOptions = (type) => OPTION_NAMES[type].filter((k) => ![...PICTURES, ...EDIT_TENSORS, 'onProgress'].includes(k));

function checkGenerateOptions(o) {
  checkRunOptions(o, 'generate');
  checkOptionNames(o, [...OPTION_NAMES.sample, ...RUN_OPTIONS], 'generate');
  if (o.scheduler !== undefined && !SCHEDULERS.includes(o.scheduler)) {
    throw new Error(`generate: scheduler '${o.scheduler}' must be one of ${SCHEDULERS.join(', ')}`);
  }
  const options = {};
  for (const key of ['numImages', 'steps', 'scheduler', 'eta', 'seed', 'guidanceScale', 'guidanceInterval', 'clipSample']) {
    if (o[key] !== undefined) options[key] = o[key];
  }
  if (o.classLabels !== undefined && o.classLabels !== null) options.classLabels = labelsMessage(o.classLabels);
  if (o.latents !== undefined && o.latents !== null) {
    const t = Tensor.from(o.latents, 'generate: latents');
    options.latents = { data: t.data.slice(), shape: t.shape };  // a copy: the caller's buffer stays theirs
  }
  return options;
}

const WORKER_SCRIPT = './worker.js';

function crossOriginWorker(href) {
  const bootstrap = URL.createObjectURL(new Blob([`import ${JSON.stringify(href)};\n`], { type: 'text/javascript' }));
  try {
    return new Worker(bootstrap, { type: 'module' });
  } finally {
    setTimeout(() => URL.revokeObjectURL(bootstrap), 60000);  // the worker fetches it asynchronously
  }
}

/** A browser module Worker or a Node worker_threads Worker behind one small interface. */
async function startWorker() {
  if (IS_NODE) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(new URL('./worker.js', import.meta.url));
    return {
      post: (m, transfer) => w.postMessage(m, transfer),
      onMessage: (fn) => w.on('message', fn),
      onFailure: (fn) => {
        w.on('error', (e) => fn(e));
        w.on('exit', (code) => fn(new Error(`the Generator's worker exited (code ${code})`)));
        w.on('messageerror', (e) => fn(e));
      },
      terminate: () => w.terminate(),
      ref: () => w.ref(),
      unref: () => w.unref(),
    };
  }
  // The literal `new Worker(new URL(...), { type: 'module' })` is what bundlers (Vite) find and bundle. A package
  // imported from another origin (a CDN) cannot start a Worker from there: browsers refuse cross-origin worker
  // scripts. A same-origin blob: module that imports it works (modules load cross-origin with CORS).
  const crossOrigin = globalThis.location !== undefined && new URL(import.meta.url).origin !== globalThis.location.origin;
  // (The cross-origin URL is built from a variable: a bundler would copy a literal one as a raw asset.)
  const w = crossOrigin ? crossOriginWorker(new URL(WORKER_SCRIPT, import.meta.url).href)
    : new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  return {
    post: (m, transfer) => w.postMessage(m, transfer),
    onMessage: (fn) => w.addEventListener('message', (e) => fn(e.data)),
    onFailure: (fn) => {
      w.addEventListener('error', (e) => {
        e.preventDefault?.();
        fn(new Error(`the Generator's worker failed: ${e.message || 'could not load web/src/worker.js'}`));
      });
      w.addEventListener('messageerror', () => fn(new Error("the Generator's worker sent a message that could not be read")));
    },
    terminate: () => w.terminate(),
    ref: () => {},
    unref: () => {},
  };
}

export class Generator {
  #worker = null;
  #nextId = 1;
  #pending = new Map();   // id -> { resolve, reject, onProgress }
  #queue = Promise.resolve();
  #control = null;        // Int32Array over a SharedArrayBuffer, or null: then cancelling restarts the worker
  #init = null;           // the init payload, to start a fresh worker after a cancel without SharedArrayBuffer
  #restarting = null;     // the fresh worker's init, which the next request waits for
  #broken = null;         // an Error once the worker died or the generator was disposed
  #generation = 0;        // workers started so far: a trainer lives in one

  static #token = Symbol('Generator');

  /** Not for use: `await Generator.create({ model })`. */
  constructor(token) {
    if (token !== Generator.#token) throw new TypeError('use `await Generator.create({ model })`');
    /** { build, threads, why, simd, version, node, cancel }, frozen. */
    this.info = null;
    /** The model's UNet2DModelInfo (sampleSize, inChannels, numClassEmbeds, nullClassIndex, ...). */
    this.modelInfo = null;
    /** The model's config.json with defaults filled in. */
    this.config = null;
    /** The pipeline's scheduler_config.json, or null (a UNet folder: diffusers' DDPMScheduler defaults). */
    this.schedulerConfig = null;
    /** The pipeline's sampling_defaults.json, or null: what generate() uses for settings it is not given. */
    this.samplingDefaults = null;
  }

  /**
   * Starts a Worker, loads the wasm build that fits `threads` there, and the model into it.
   * model (optional: without one a Generator only trains, createTrainer from a unetConfig): a URL or (Node)
   * directory of a diffusers pipeline or UNet folder; { config, weights, schedulerConfig? };
   * a FileList/File[] of a dropped or picked diffusers folder; or a { path: contents } map of one
   * (Trainer.exportPipeline()'s result). threads: 'auto' (default) or a number. wasmPaths: the folder holding
   * the builds (simd/, simd-threads/), if not the package's dist/. For a model URL (fetched in the worker):
   * onDownload({ file, url, loaded, total, fromCache, done }) on this thread as each file arrives, and cache (true:
   * MODEL_CACHE_NAME, false: none, or a cache name), as UNet2DModel.fromPretrained's. An exception in onDownload
   * stops the load and rejects with it.
   */
  static async create(options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('Generator.create: expected { model, threads?, wasmPaths? }');
    checkOptionNames(options, LOAD_OPTION_NAMES.generatorCreate, 'Generator.create');
    checkDownloadOptions(options, 'Generator.create');
    // Without a model the worker only trains (createTrainer with a unetConfig); generate() then says so.
    const model = options.model === undefined || options.model === null ? null : modelMessage(options.model);
    if (model?.kind === 'location' && options.cache !== undefined) model.cache = options.cache;
    const choice = await chooseBuild(options.threads ?? 'auto', options.build ?? 'auto');
    const gen = new Generator(Generator.#token);
    const control = typeof SharedArrayBuffer === 'function' && (IS_NODE || globalThis.crossOriginIsolated === true)
      ? new SharedArrayBuffer(4) : null;
    gen.#control = control && new Int32Array(control);
    gen.#init = { build: choice.build, why: choice.why, threads: choice.threads, wasmPaths: wasmPathsFor(options.wasmPaths),
                  model, control };
    try {
      const r = await gen.#start(options.onDownload ?? undefined);
      gen.info = Object.freeze({ ...r.info, cancel: control ? 'flag' : 'restart' });
      gen.modelInfo = r.modelInfo;
      gen.config = r.config;
      gen.schedulerConfig = r.schedulerConfig;
      gen.samplingDefaults = r.samplingDefaults;
    } catch (e) {
      await gen.dispose();
      throw e;
    }
    return gen;
  }

  /**
   * A new worker with the model loaded (the init payload is copied, so a restart can send it again). `onDownload`
   * gets the download progress of a model URL (create's; a restart reloads quietly, from the cache where it can).
   */
  async #start(onDownload) {
    const worker = await startWorker();
    if (this.#broken?.disposed) {  // disposed while a restart was starting this worker
      worker.terminate();
      throw this.#broken;
    }
    this.#worker = worker;
    this.#generation += 1;
    worker.onMessage((m) => this.#onMessage(worker, m));
    worker.onFailure((e) => this.#onFailure(worker, e));
    const onProgress = onDownload && ((p) => {
      try {
        onDownload(p);
      } catch (e) {
        this.#onFailure(worker, e);  // rejects the init with it; create() then ends the worker
      }
    });
    return this.#request('init', { ...this.#init, download: !!onDownload }, { onProgress }).promise;
  }

  #onMessage(worker, { id, type, payload }) {
    if (worker !== this.#worker) return;  // a worker already replaced or terminated
    const p = this.#pending.get(id);
    if (!p) return;
    if (type === 'progress') {
      p.onProgress?.(payload);
      return;
    }
    this.#settle(id);
    if (type === 'result') p.resolve(payload);
    else p.reject(errorFrom(payload));
  }

  #onFailure(worker, error) {
    if (worker !== this.#worker) return;
    this.#broken ??= error instanceof Error ? error : new Error(String(error?.message ?? error));
    for (const [id, p] of this.#pending) {
      this.#settle(id);
      p.reject(this.#broken);
    }
  }

  #settle(id) {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker?.unref();  // Node: an idle Generator does not keep the process alive
  }

  /** Posts one request; { id, promise } of its result. */
  #request(type, payload, { onProgress } = {}) {
    const id = this.#nextId++;
    const promise = new Promise((resolve, reject) => {
      if (this.#broken) {
        reject(this.#broken);
        return;
      }
      this.#pending.set(id, { resolve, reject, onProgress });
      this.#worker.ref();
      try {
        this.#worker.post({ id, type, payload });
      } catch (e) {
        this.#settle(id);
        reject(e);
      }
    });
    return { id, promise };
  }

  /** Stops request `id`: through the shared flag (at the end of the current step), else by a cancel message the
   *  worker reads between steps (`inPlace`), else by a new worker. */
  #cancel(id, message, inPlace = false) {
    if (!this.#pending.has(id)) return;
    if (this.#control) {
      Atomics.store(this.#control, 0, id);
      return;
    }
    if (inPlace) {
      this.#worker.post({ id: 0, type: 'cancel', payload: { id } });
      return;
    }
    const p = this.#pending.get(id);
    const old = this.#worker;
    this.#worker = null;
    this.#settle(id);
    p.reject(abortError(`${message} (the worker was restarted: without SharedArrayBuffer it cannot be stopped in place)`));
    old.terminate();
    this.#restarting = this.#start().then(() => undefined, (e) => {
      this.#broken ??= new Error(`restarting the Generator's worker failed: ${e.message}`);
    });
  }

  /** Runs `task` when every earlier request is done; a signal that aborts before then rejects right away. */
  #enqueue(task, signal, what = 'request') {
    return new Promise((resolve, reject) => {
      let started = false;
      const early = () => {
        if (!started) reject(abortedWith(signal, `${what} was aborted while queued`));
      };
      signal?.addEventListener('abort', early, { once: true });
      this.#queue = this.#queue.then(async () => {
        started = true;
        signal?.removeEventListener('abort', early);
        if (signal?.aborted) {
          reject(abortedWith(signal, `${what} was aborted before it started`));
          return;
        }
        try {
          if (this.#restarting) await this.#restarting;
          if (this.#broken?.disposed) throw abortError('the Generator was disposed');
          if (this.#broken) throw this.#broken;
          resolve(await task());
        } catch (e) {
          reject(e);
        }
      });
    });
  }

  /**
   * Generates images (requests run one at a time, in call order). Options as sample(): numImages (1), scheduler,
   * steps, eta and guidanceScale (> 1 mixes in the model's null class, config null_class_index; each one not given
   * comes from the model's samplingDefaults, else ddim, 50 steps, eta 0, guidance 1), seed (0), classLabels, latents. onProgress({ step, total, timestep, preview,
   * latents, elapsedMs }) after each step (preview: the predicted x0; latents: x_{t-1}, the step's sample). signal: an AbortSignal; aborting stops the run
   * within one step and rejects with the signal's reason when one was given (as fetch() does), else with an AbortError
   * that says where it stopped. An option not named here is a TypeError that lists the valid ones.
   * @returns {Promise<{images: Tensor, steps: number, totalMs: number, msPerStep: number}>} images: x0 NCHW in [-1, 1]
   */
  generate(options = {}) {
    let opts;
    try {
      opts = checkGenerateOptions(options);
    } catch (e) {
      return Promise.reject(e);
    }
    const { signal, onProgress } = options;
    return this.#run('generate', { options: opts, progress: !!onProgress }, { what: 'generate', signal, progress: progressWith(onProgress) })
      .then(imagesResult);
  }

  /** An editing request: options as the synchronous call takes them, pictures read or copied for the worker. */
  async #edit(type, o, pictures) {
    checkRunOptions(o, type);
    checkOptionNames(o, [...OPTION_NAMES[type], ...RUN_OPTIONS], type);
    const options = {};
    for (const key of editOptions(type)) {
      if (o[key] !== undefined && o[key] !== null) options[key] = key === 'classLabels' ? labelsMessage(o[key]) : o[key];
    }
    for (const key of EDIT_TENSORS) {
      if (o[key] !== undefined && o[key] !== null) {
        const t = Tensor.from(o[key], `${type}: ${key}`);
        options[key] = { data: t.data.slice(), shape: t.shape };  // a copy: the caller's buffer stays theirs
      }
    }
    for (const key of pictures) options[key] = await pictureMessage(o[key], `${type}: ${key}`);
    return this.#run(type, { options, progress: !!o.onProgress }, { what: type, signal: o.signal, progress: progressWith(o.onProgress) });
  }

  /**
   * Inpainting (RePaint) in the worker: regenerates where `mask` is black (0) and keeps `image` where it is white (1).
   * image and mask: Tensors in the model's layout, ImageData, PNG bytes or a Blob (fitted to the model as
   * `ddpm inpaint` fits them). Options as inpaint() (classLabels, guidanceScale, steps, jumpLength, jumpNSample, eta,
   * seed, noiseDraws) plus onProgress and signal, as generate().
   * @returns {Promise<{images: Tensor, steps: number, totalMs: number, msPerStep: number}>}
   */
  async inpaint(options = {}) {
    return imagesResult(await this.#edit('inpaint', options, ['image', 'mask']));
  }

  /**
   * Image-to-image (SDEdit) in the worker: `image` noised to where `strength` (0, 1] puts it on the schedule, then
   * denoised (to another class with classLabels). Options as imageToImage() plus onProgress and signal.
   * @returns {Promise<{images: Tensor, startTimestep: number, steps: number, totalMs: number, msPerStep: number}>}
   */
  async imageToImage(options = {}) {
    const r = await this.#edit('imageToImage', options, ['image']);
    return { ...imagesResult(r), startTimestep: r.startTimestep };
  }

  /** The timestep imageToImage({ strength, scheduler?, steps? }) starts from (e.g. 480 of 1000). */
  imageToImageStartTimestep(options = {}) {
    try {
      checkOptionNames(options, OPTION_NAMES.imageToImageStartTimestep, 'imageToImageStartTimestep');
    } catch (e) {
      return Promise.reject(e);
    }
    return this.#enqueue(() => this.#request('imageToImageStartTimestep', { options: { ...options } }).promise);
  }

  /**
   * DDIM inversion in the worker: the x_T (`latents`) that `generate({ ...sampleBack, latents })` turns back into
   * `image`. Options: image, classLabels (its class), steps (50), onProgress, signal.
   * @returns {Promise<{latents: Tensor, sampleBack: object, steps: number, totalMs: number, msPerStep: number}>}
   */
  async invert(options = {}) {
    const r = imagesResult(await this.#edit('invert', options, ['image']));
    return { latents: r.images, sampleBack: invertedSampling({ steps: r.steps, classLabels: options.classLabels }), steps: r.steps,
             totalMs: r.totalMs, msPerStep: r.msPerStep };
  }

  /** Spherical interpolation between two x_T (invert()'s latents, or noise): t = 0 gives a, t = 1 gives b. */
  async slerp(a, b, t) {
    const r = await this.#enqueue(async () => this.#request('slerp', { a: await pictureMessage(a, 'slerp: a'),
                                                                        b: await pictureMessage(b, 'slerp: b'), t }).promise);
    return new Tensor(r.data, r.shape);
  }

  /** A picture (ImageData, PNG bytes, a Blob) fitted to the model's input: { tensor, note }; `mask` reads a mask. */
  async imageToTensor(picture, { mask = false } = {}) {
    const message = await pictureMessage(picture, 'imageToTensor');
    const r = await this.#enqueue(() => this.#request('imageToTensor', { picture: message, mask }).promise);
    return { tensor: new Tensor(r.tensor.data, r.tensor.shape), note: r.note };
  }

  /**
   * A cancellable request, queued: progress payloads go to `progress` (an exception there stops the run and is
   * rethrown). `inPlace`: the worker reads a cancel message between steps (a training loop yields to its event
   * loop), so no restart is needed without SharedArrayBuffer.
   */
  #run(type, payload, { what, signal, progress, inPlace = false, before }) {
    return this.#enqueue(async () => {
      before?.();
      let thrown = null;
      let aborted = false;
      let step = 0;
      let total = 0;
      const { id, promise } = this.#request(type, payload, {
        onProgress: (p) => {
          ({ step, total } = p);
          if (aborted || thrown || !progress) return;
          try {
            progress(p);
          } catch (e) {
            thrown = { error: e };
            this.#cancel(id, `onProgress threw at step ${step}`, inPlace);
          }
        },
      });
      const onAbort = () => {
        aborted = true;
        this.#cancel(id, `${what} was aborted after step ${step}${total ? ` of ${total}` : ''}`, inPlace);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const r = await promise;
        if (thrown) throw thrown.error;
        if (aborted) throw abortedWith(signal, `${what} was aborted (but it had finished)`);
        return r;
      } catch (e) {
        if (thrown) throw thrown.error;
        if (aborted && e.name === 'AbortError') {
          throw abortedWith(signal, e.message.startsWith(`${what} was aborted`) ? e.message : `${what} was aborted (${e.message})`);
        }
        throw e;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    }, signal, what);
  }

  /**
   * A trainer in the worker (DESIGN.md: `gen.createTrainer`): `ddpm train`'s trainer on a fresh UNet from
   * `unetConfig` (initialised from `seed`), or, without one, on this Generator's model (fine-tuning). Options:
   * schedulerConfig (default: the model's, else DDPM's defaults), lr, batchSize (default 16), emaDecay (0: no EMA),
   * seed, and Trainer.create's other options (betas, weightDecay, maxGradNorm, predictionType, labelDropout,
   * randomFlip, warmupSteps, totalSteps, minSnrGamma, ema), threads (default: the Generator's).
   * @returns {Promise<GeneratorTrainer>}
   */
  async createTrainer(options = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('createTrainer: expected an options object');
    const { batchSize = 16 } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError('createTrainer: batchSize must be a positive integer');
    if (options.emaDecay !== undefined && (typeof options.emaDecay !== 'number' || !(options.emaDecay >= 0 && options.emaDecay < 1))) {
      throw new RangeError('createTrainer: emaDecay must be in [0, 1) (0: no EMA)');
    }
    const plain = JSON.parse(JSON.stringify({ ...options, batchSize }));  // configs and numbers only: nothing to clone badly
    let generation;
    const r = await this.#enqueue(() => {
      generation = this.#generation;
      return this.#request('trainer.create', { options: plain }).promise;
    });
    // A trainer lives in its worker: a cancelled generate that restarted the worker (no SharedArrayBuffer) ended it.
    const alive = () => {
      if (this.#generation !== generation && !this.#broken) {
        throw new Error('the trainer was lost: a cancelled generate restarted the worker (no SharedArrayBuffer)');
      }
    };
    return new GeneratorTrainer(GeneratorTrainer.token, r.handle, batchSize, r.threads, {
      run: (type, payload, opts) => this.#run(type, payload, { ...opts, before: alive }),
      call: (type, payload) => this.#enqueue(() => {
        alive();
        return this.#request(type, payload).promise;
      }),
    });
  }

  /** The worker's wasm memory: { heapBytes, mallocBytes } (after earlier requests finish). */
  memoryUsage() {
    return this.#enqueue(() => this.#request('memory', {}).promise);
  }

  /** Terminates the worker, which frees all its memory. Requests in flight or queued reject with an AbortError. */
  async dispose() {
    if (this.#broken?.disposed) return;
    const disposed = Object.assign(new Error('the Generator was disposed'), { disposed: true });
    this.#broken = disposed;
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.reject(abortError('the Generator was disposed'));
    }
    const w = this.#worker;
    this.#worker = null;
    await w?.terminate();
  }
}

if (typeof Symbol.asyncDispose === 'symbol') {
  Generator.prototype[Symbol.asyncDispose] = function asyncDispose() {
    return this.dispose();
  };
}

/** A trainer living in a Generator's worker; see Generator.createTrainer. Its requests share the Generator's queue. */
export class GeneratorTrainer {
  static token = Symbol('GeneratorTrainer');
  #handle;
  #gen;
  #disposed = false;

  constructor(token, handle, batchSize, threads, gen) {
    if (token !== GeneratorTrainer.token) throw new TypeError('use `await generator.createTrainer(options)`');
    this.#handle = handle;
    this.#gen = gen;
    /** Images per step. */
    this.batchSize = batchSize;
    /** Threads of the trainer's pool (the Generator's, unless options.threads said otherwise). */
    this.threads = threads;
  }

  #check(what) {
    if (this.#disposed) throw new Error(`${what}: the trainer was disposed`);
  }

  /**
   * `steps` optimisation steps on `dataset` ({ images: NCHW [N, C, H, W] in [-1, 1], labels?: one per image }),
   * batches drawn without replacement from a seeded shuffle (a new one each epoch). onProgress({ step, total, loss,
   * gradNorm, lr, trainerStep, elapsedMs }) after each step. Aborting `signal` stops after the current step and
   * rejects with an AbortError; the steps taken are kept. Resolves to { steps, losses, trainerStep, totalMs }.
   */
  async train({ dataset, steps, onProgress, signal } = {}) {
    this.#check('train');
    if (!Number.isInteger(steps) || steps < 1) throw new TypeError('train: steps must be a positive integer');
    if (onProgress !== undefined && typeof onProgress !== 'function') throw new TypeError('train: onProgress must be a function');
    if (dataset === null || typeof dataset !== 'object') throw new TypeError('train: dataset must be { images: Tensor [N, C, H, W], labels? }');
    const images = Tensor.from(dataset.images, 'train: dataset.images');
    if (images.shape.length !== 4) throw new RangeError(`train: dataset.images must be [N, C, H, W], got [${images.shape}]`);
    let labels;
    if (dataset.labels !== undefined && dataset.labels !== null) {
      labels = Array.from(dataset.labels, Number);
      if (labels.length !== images.shape[0]) {
        throw new RangeError(`train: ${labels.length} labels for ${images.shape[0]} images`);
      }
    }
    const r = await this.#gen.run('trainer.train', { handle: this.#handle, steps, progress: !!onProgress,
                                                     dataset: { images: { data: images.data, shape: images.shape }, labels } },
                                  { what: 'train', signal, progress: onProgress, inPlace: true });
    return { steps: r.steps, losses: r.losses, trainerStep: r.trainerStep, totalMs: r.totalMs };
  }

  /** The model as a diffusers pipeline folder (EMA weights when there is an EMA); Generator.create takes it as `model`. */
  async exportPipeline() {
    this.#check('exportPipeline');
    return this.#gen.call('trainer.export', { handle: this.#handle });
  }

  /** Frees the trainer's memory in the worker. */
  async dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#gen.call('trainer.dispose', { handle: this.#handle }).catch(() => {});  // gone with its worker already
  }
}
