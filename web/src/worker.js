// The Worker behind Generator (generator.js): it owns the wasm instance and the loaded model, so sampling
// never blocks the page. The same module runs as a browser module Worker and as a Node worker_threads
// Worker. The protocol lives here and in generator.js only:
//
//   page -> worker  { id, type, payload }
//     init      { build, why, threads, wasmPaths, model, control?, download }
//               -> progress* { file, url, loaded, total, fromCache, done } (a model URL's files, when download)
//               then result { info, modelInfo, config, schedulerConfig, samplingDefaults }
//     generate  { options, progress }                               -> progress* then result { images, steps, totalMs }
//     inpaint, imageToImage, invert  { options, progress }           -> the same (imageToImage adds startTimestep)
//     imageToImageStartTimestep { options }                          -> result: a timestep
//     slerp     { a, b, t }                                          -> result: a Tensor
//     imageToTensor { picture, mask }                                -> result { tensor, note }
//     memory    {}                                                   -> result { heapBytes, mallocBytes }
//     trainer.create  { options }                                    -> result { handle }
//     trainer.train   { handle, dataset, steps, progress }           -> progress* then result { steps, losses, ... }
//     trainer.export  { handle }                                     -> result: the pipeline's files
//     trainer.dispose { handle }                                     -> result
//     cancel    { id }   (read at once, not queued)                  -> nothing: request id stops between steps
//   worker -> page  { id, type: 'progress' | 'result' | 'error', payload }
//     error payload: { name, message } (the core's message as is)
//
// Cancelling: sampling is one synchronous wasm call, so the worker cannot read messages while it runs.
// With a SharedArrayBuffer (`control`, an Int32Array over it), the page stores the id of the request to
// stop in control[0]; the per-step callback sees it and stops the run at the end of that step. Without
// one (a page that is not cross-origin isolated), the page terminates this worker and starts another; a
// training loop instead yields to the event loop between steps, so a cancel message reaches it.
import { getNative, info as loadedInfo, memoryUsage, ready } from './loader.js';
import { readModelBytes, readModelFileMap, readModelFiles } from './model_files.js';
import { BatchSampler } from './batch_sampler.js';
import { imageToImage, imageToImageStartTimestep, imageToTensor, inpaint, invert, slerp } from './editing.js';
import { sample } from './pipeline.js';
import { Trainer } from './trainer.js';
import { UNet2DModel } from './unet.js';

const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';
const nodePort = IS_NODE ? (await import('node:worker_threads')).parentPort : null;
const post = nodePort ? (m, transfer) => nodePort.postMessage(m, transfer) : (m, transfer) => self.postMessage(m, transfer);

let unet = null;
let schedulerConfig = {};
let poolThreads = 1;  // threads of each pool made here (the model's, trainers')
let control = null;  // Int32Array over the page's SharedArrayBuffer: [0] = id of the request to stop
const cancelled = new Set();  // ids of requests a cancel message stopped (without SharedArrayBuffer)
const trainers = new Map();   // handle -> { trainer, batchSize, seed, sampler, size }
let nextTrainer = 1;

const stopRequested = (id) => cancelled.has(id) || (control !== null && Atomics.load(control, 0) === id);

function abortError(message) {
  const e = new Error(message);
  e.name = 'AbortError';
  return e;
}

// A turn of the event loop (no timer clamping), so that cancel messages get read.
const yieldToEvents = IS_NODE ? () => new Promise((resolve) => setImmediate(resolve)) : () => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    resolve();
  };
  channel.port2.postMessage(null);
});

// The buffers a result may hand over (transfer) rather than copy: only ones the array owns outright.
const own = (...arrays) => arrays.filter((a) => a.byteOffset === 0 && a.byteLength === a.buffer.byteLength &&
                                               !(typeof SharedArrayBuffer === 'function' && a.buffer instanceof SharedArrayBuffer))
  .map((a) => a.buffer);

/**
 * Makes sure `count` pthread workers are loaded and idle before a pool that needs them is made. A pthread
 * whose worker is still loading starts only when this thread returns to its event loop, which a sampling
 * run or a training step never does: the pool would wait for it forever. (Emscripten's PThread: workers
 * in unusedWorkers are taken from the end, and `loaded` is set when one has instantiated the module.)
 */
async function ensurePthreads(count) {
  const P = getNative().PThread;
  if (!P || count <= 0) return;
  while (P.unusedWorkers.length < count) {
    P.allocateUnusedWorker();
    P.loadWasmModuleToWorker(P.unusedWorkers[P.unusedWorkers.length - 1]);
  }
  const deadline = performance.now() + 60000;
  while (P.unusedWorkers.slice(-count).some((w) => !w.loaded)) {
    if (performance.now() > deadline) throw new Error(`${count} pthread workers did not load within 60 s`);
    await yieldToEvents();
  }
}

function modelOf(what) {
  if (!unet) throw new Error(`${what}: this Generator has no model (Generator.create({ model }) loads one)`);
  return unet;
}

/**
 * A pipeline run (sampling or editing) for request `id`: `call(onProgress)` runs it; each step posts a progress
 * message (when the page asked for them) and reads the stop flag. Resolves to { images, steps, totalMs, ...extra }.
 */
function runPipeline(id, progress, what, call, extra = {}) {
  modelOf(what);
  const stopped = () => stopRequested(id);
  if (stopped()) throw abortError('cancelled before the first step');
  const t0 = performance.now();
  let steps = 0;
  const onProgress = (p) => {
    steps = p.total;
    if (progress) {
      const preview = { data: p.preview.data, shape: p.preview.shape };
      const latents = { data: p.latents.data, shape: p.latents.shape };
      post({ id, type: 'progress', payload: { step: p.step, total: p.total, timestep: p.timestep, preview, latents,
                                              elapsedMs: performance.now() - t0 } },
           own(preview.data, latents.data));
    }
    return !stopped();
  };
  const images = call(onProgress);
  return { result: { images: { data: images.data, shape: images.shape }, steps, totalMs: performance.now() - t0, ...extra },
           transfer: own(images.data) };
}

function trainerOf(handle) {
  const t = trainers.get(handle);
  if (!t) throw new Error('the trainer was disposed');
  return t;
}

/** The model's files; `onDownload` gets the progress of a model URL's (model.cache: the Cache API cache to use). */
async function readModel(model, onDownload) {
  switch (model.kind) {
    case 'location': return readModelFiles(model.location, { onDownload, cache: model.cache });
    case 'bytes': return readModelBytes(model);
    case 'files': return readModelFileMap(model.files);
    default: throw new TypeError(`unknown model kind '${model.kind}'`);
  }
}

async function loadBuild(build, why, wasmPaths) {
  try {
    await ready({ build, wasmPaths });
    return why;
  } catch (e) {
    // Only an automatic choice of threads falls back, and info.why says so.
    if (build !== 'simd-threads' || why.startsWith('requested')) throw e;
    try {
      await ready({ build: 'simd', wasmPaths });
    } catch (e2) {
      throw new Error(`neither build loads: simd-threads: ${e.message}; simd: ${e2.message}`);
    }
    return `${why}; but simd-threads failed to load (${e.message}), so simd`;
  }
}

const handlers = {
  async init({ build, why, threads, wasmPaths, model, control: shared, download }, id) {
    // The model downloads while the build compiles; a build that fails to load is the error reported first.
    const onDownload = download ? (p) => post({ id, type: 'progress', payload: p }) : undefined;
    const reading = model === null ? Promise.resolve(null) : readModel(model, onDownload);
    reading.catch(() => {});  // awaited below, after the build
    const reason = await loadBuild(build, why, wasmPaths);
    const files = await reading;
    const actualThreads = loadedInfo.build === 'simd' ? 1 : threads;
    await ensurePthreads(actualThreads - 1);
    if (files) unet = UNet2DModel.fromFiles(files.config, files.weights, { threads: actualThreads });
    poolThreads = actualThreads;
    const schedulerText = files?.schedulerConfig ?? null;
    schedulerConfig = schedulerText === null ? {} : JSON.parse(schedulerText);
    const defaultsText = files?.samplingDefaults ?? null;
    if (unet) unet.samplingDefaults = defaultsText === null ? null : JSON.parse(defaultsText);
    await files?.keep?.();  // a model URL's files, downloaded and loaded: kept in the browser's Cache API
    control = shared ? new Int32Array(shared) : null;
    return {
      info: { build: loadedInfo.build, threads: actualThreads, why: reason, simd: loadedInfo.simd, version: loadedInfo.version,
              node: loadedInfo.node },
      modelInfo: unet?.info ?? null,
      config: unet?.config ?? null,
      schedulerConfig: schedulerText === null ? null : schedulerConfig,
      samplingDefaults: unet?.samplingDefaults ?? null,
    };
  },

  generate({ options, progress }, id) {
    return runPipeline(id, progress, 'generate', (onProgress) => {
      try {
        return sample(unet, schedulerConfig, { ...options, onProgress });
      } catch (e) {
        if (e instanceof TypeError) e.message = e.message.replace(/^sample:/, 'generate:');
        throw e;
      }
    });
  },

  inpaint({ options, progress }, id) {
    return runPipeline(id, progress, 'inpaint', (onProgress) => inpaint(unet, schedulerConfig, { ...options, onProgress }));
  },

  imageToImage({ options, progress }, id) {
    return runPipeline(id, progress, 'imageToImage', (onProgress) => imageToImage(unet, schedulerConfig, { ...options, onProgress }),
                       { startTimestep: imageToImageStartTimestep(modelOf('imageToImage'), schedulerConfig,
                                                                  { strength: options.strength, scheduler: options.scheduler,
                                                                    steps: options.steps }) });
  },

  imageToImageStartTimestep({ options }) {
    return imageToImageStartTimestep(modelOf('imageToImageStartTimestep'), schedulerConfig, options);
  },

  invert({ options, progress }, id) {
    return runPipeline(id, progress, 'invert', (onProgress) => invert(unet, schedulerConfig, { ...options, onProgress }));
  },

  slerp({ a, b, t }) {
    const x = slerp(a, b, t);
    return { result: { data: x.data, shape: x.shape }, transfer: own(x.data) };
  },

  imageToTensor({ picture, mask }) {
    const { tensor, note } = imageToTensor(picture, modelOf('imageToTensor'), { mask });
    return { result: { tensor: { data: tensor.data, shape: tensor.shape }, note }, transfer: own(tensor.data) };
  },

  memory() {
    return memoryUsage();
  },

  async 'trainer.create'({ options }) {
    const { unetConfig, schedulerConfig: scheduler, batchSize, emaDecay, seed = 0, threads = poolThreads, ...rest } = options;
    if (!unetConfig && !unet) throw new Error('createTrainer: no unetConfig, and the Generator has no model to fine-tune');
    let { ema } = rest;
    if (emaDecay !== undefined) ema = emaDecay === 0 ? false : { ...(typeof ema === 'object' ? ema : {}), decay: emaDecay };
    const n = loadedInfo.build === 'simd' ? 1 : threads;
    await ensurePthreads(n - 1);
    const trainer = Trainer.create(unetConfig ?? unet, { ...rest, ema, seed, threads: n, scheduler: scheduler ?? schedulerConfig });
    const handle = nextTrainer++;
    trainers.set(handle, { trainer, batchSize, seed, sampler: null, size: -1 });
    return { handle, threads: n };
  },

  async 'trainer.train'({ handle, dataset, steps, progress }, id) {
    const t = trainerOf(handle);
    const { data, shape } = dataset.images;
    const [n, ...image] = shape;
    const imageSize = image.reduce((a, b) => a * b, 1);
    if (t.batchSize > n) throw new RangeError(`train: batchSize ${t.batchSize} is more than the dataset's ${n} images`);
    if (t.size !== n) {  // a new dataset starts a new shuffle, as a new `ddpm train` run would
      t.sampler?.dispose();
      Object.assign(t, { size: n, sampler: new BatchSampler(n, t.seed) });
    }
    const losses = new Float32Array(steps);
    const t0 = performance.now();
    let done = 0;
    let trainerStep = 0;
    for (; done < steps; ++done) {
      if (stopRequested(id)) break;
      // The next batch of `ddpm train`'s seeded shuffle (the core's BatchSampler, the same seed rule).
      const x0 = new Float32Array(t.batchSize * imageSize);
      const labels = dataset.labels ? new Array(t.batchSize) : undefined;
      t.sampler.next(t.batchSize).forEach((i, b) => {
        x0.set(data.subarray(i * imageSize, (i + 1) * imageSize), b * imageSize);
        if (labels) labels[b] = dataset.labels[i];
      });
      const r = t.trainer.step({ x0: { data: x0, shape: [t.batchSize, ...image] }, classLabels: labels });
      losses[done] = r.loss;
      trainerStep = r.step;
      if (progress) {
        post({ id, type: 'progress', payload: { step: done + 1, total: steps, loss: r.loss, gradNorm: r.gradNorm, lr: r.lr,
                                                trainerStep: r.step, elapsedMs: performance.now() - t0 } });
      }
      await yieldToEvents();
    }
    if (done < steps) throw abortError(`training cancelled after step ${done} of ${steps}`);
    return { result: { steps: done, losses, trainerStep, totalMs: performance.now() - t0 }, transfer: own(losses) };
  },

  'trainer.export'({ handle }) {
    const files = trainerOf(handle).trainer.exportPipeline();
    return { result: files, transfer: own(files['unet/diffusion_pytorch_model.safetensors']) };
  },

  'trainer.dispose'({ handle }) {
    trainers.get(handle)?.trainer.dispose();
    trainers.get(handle)?.sampler?.dispose();
    trainers.delete(handle);
  },
};

async function onMessage({ id, type, payload }) {
  try {
    const handler = handlers[type];
    if (!handler) throw new Error(`unknown request '${type}'`);
    const out = await handler(payload ?? {}, id);
    if (out && out.transfer) post({ id, type: 'result', payload: out.result }, out.transfer);
    else post({ id, type: 'result', payload: out });
  } catch (e) {
    post({ id, type: 'error', payload: { name: e?.name ?? 'Error', message: String(e?.message ?? e) } });
  }
}

// Requests are handled one at a time, in order (the page queues generate calls anyway).
// A cancel message is read at once: the request it names may be running.
let chain = Promise.resolve();
const enqueue = (msg) => {
  if (msg.type === 'cancel') {
    cancelled.add(msg.payload.id);
    return;
  }
  chain = chain.then(() => onMessage(msg)).then(() => cancelled.delete(msg.id));
};
if (nodePort) nodePort.on('message', enqueue);
else self.onmessage = (e) => enqueue(e.data);
