// The Worker behind Generator (generator.js): it owns the wasm instance and the loaded model, so sampling
// never blocks the page. The same module runs as a browser module Worker and as a Node worker_threads
// Worker. The protocol lives here and in generator.js only:
//
//   page -> worker  { id, type, payload }
//     init      { build, why, threads, wasmPaths, model, control? }  -> result { info, modelInfo, config, schedulerConfig }
//     generate  { options, progress }                               -> progress* then result { images, steps, totalMs }
//     memory    {}                                                   -> result { heapBytes, mallocBytes }
//   worker -> page  { id, type: 'progress' | 'result' | 'error', payload }
//     error payload: { name, message } (the core's message as is)
//
// Cancelling: sampling is one synchronous wasm call, so the worker cannot read messages while it runs.
// With a SharedArrayBuffer (`control`, an Int32Array over it), the page stores the id of the request to
// stop in control[0]; the per-step callback sees it and stops the run at the end of that step. Without
// one (a page that is not cross-origin isolated), the page terminates this worker and starts another.
import { info as loadedInfo, memoryUsage, ready } from './loader.js';
import { readModelBytes, readModelFileMap, readModelFiles } from './model_files.js';
import { sample } from './pipeline.js';
import { UNet2DModel } from './unet.js';

const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';
const nodePort = IS_NODE ? (await import('node:worker_threads')).parentPort : null;
const post = nodePort ? (m, transfer) => nodePort.postMessage(m, transfer) : (m, transfer) => self.postMessage(m, transfer);

let unet = null;
let schedulerConfig = {};
let control = null;  // Int32Array over the page's SharedArrayBuffer: [0] = id of the request to stop

async function readModel(model) {
  switch (model.kind) {
    case 'location': return readModelFiles(model.location);
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
  async init({ build, why, threads, wasmPaths, model, control: shared }) {
    const reason = await loadBuild(build, why, wasmPaths);
    const files = await readModel(model);
    const actualThreads = loadedInfo.build === 'simd' ? 1 : threads;
    unet = UNet2DModel.fromFiles(files.config, files.weights, { threads: actualThreads });
    schedulerConfig = files.schedulerConfig === null ? {} : JSON.parse(files.schedulerConfig);
    control = shared ? new Int32Array(shared) : null;
    return {
      info: { build: loadedInfo.build, threads: actualThreads, why: reason, simd: loadedInfo.simd, version: loadedInfo.version,
              node: loadedInfo.node },
      modelInfo: unet.info,
      config: unet.config,
      schedulerConfig: files.schedulerConfig === null ? null : schedulerConfig,
    };
  },

  generate({ options, progress }, id) {
    if (!unet) throw new Error('the Generator has no model loaded');
    const stopped = () => control !== null && Atomics.load(control, 0) === id;
    if (stopped()) {
      const e = new Error('cancelled before the first step');
      e.name = 'AbortError';
      throw e;
    }
    const t0 = performance.now();
    let steps = 0;
    const onProgress = (p) => {
      steps = p.total;
      if (progress) {
        const preview = { data: p.preview.data, shape: p.preview.shape };
        post({ id, type: 'progress', payload: { step: p.step, total: p.total, timestep: p.timestep, preview,
                                                elapsedMs: performance.now() - t0 } },
             [preview.data.buffer]);
      }
      return !stopped();
    };
    let images;
    try {
      images = sample(unet, schedulerConfig, { ...options, onProgress });
    } catch (e) {
      if (e instanceof TypeError) e.message = e.message.replace(/^sample:/, 'generate:');
      throw e;
    }
    return { result: { images: { data: images.data, shape: images.shape }, steps, totalMs: performance.now() - t0 },
             transfer: [images.data.buffer] };
  },

  memory() {
    return memoryUsage();
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
let chain = Promise.resolve();
const enqueue = (msg) => {
  chain = chain.then(() => onMessage(msg));
};
if (nodePort) nodePort.on('message', enqueue);
else self.onmessage = (e) => enqueue(e.data);
