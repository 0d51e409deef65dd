// The shipped-model benchmark of `npm run bench` (tools/bench.mjs), one code path for Node and the browser:
// tools/bench/shipped_bench.mjs imports it in Node, and web/bench/index.html runs it in Chromium (headless, through
// playwright-core). Everything goes through the package's public API, as an application would use it:
//   1. ready({ build }), then measurePeakGflops(): the single-thread wasm simd128 peak of this engine, now
//   2. UNet2DModel.fromPretrained(model, { threads }); forward() at each batch: untimed warm-up (V8 compiles
//      wasm in its baseline tier first and swaps in the optimised code once it is hot), then timed runs for at
//      least `seconds` (and at least 5); median, min and mean per forward
//   3. sample() with DDIM for `sampleSteps` steps of `sampleBatch` images (guidance 1: one forward at that
//      batch per step), timed step by step through onProgress
//   4. the demo's first visit: sample() of FIRST_VISIT_IMAGES garments, one per class, with the demo's model
//      (`firstVisitModel`, default `model`) at its own sampling defaults (sampling_defaults.json: what the demo's
//      Generate tab draws on a first visit), timed whole
// GFLOP per forward is unet.info.flopsPerImage x batch: UNet2DModel::FlopsPerImage, the count `ddpm bench`
// uses (multiply-adds x 2 of the convolutions, linear layers and attention's Q·Kᵀ and P·V).
import { info, measurePeakGflops, ready, sample, Tensor, UNet2DModel } from '../src/index.js';
import { gaussians, mulberry32 } from '../src/random.js';

const now = () => performance.now();
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// Lets the browser (or Node) handle its messages between measurements; never inside a timed run.
const breathe = () => new Promise((resolve) => setTimeout(resolve, 0));

// N(0, 1) from a fixed-seed generator: the input does not change the work, only makes it a plausible one.
const normal = (n, seed) => gaussians(n, mulberry32(seed));

async function timeForward(unet, batch, seconds) {
  const { sampleSize: [h, w], inChannels, numClassEmbeds, flopsPerImage } = unet.info;
  const x = new Tensor(normal(batch * inChannels * h * w, batch), [batch, inChannels, h, w]);
  const timesteps = new Array(batch).fill(500);
  const labels = numClassEmbeds ? new Array(batch).fill(0) : undefined;
  const run = () => {
    const t0 = now();
    unet.forward(x, timesteps, labels);
    return now() - t0;
  };
  const firstMs = run();
  // Warm-up: a quarter of the budget, at least 2 more forwards.
  for (let n = 0, t0 = now(); n < 2 || now() - t0 < (seconds * 1e3) / 4; ++n) run();
  await breathe();
  const runs = [];
  for (let total = 0; runs.length < 5 || total < seconds * 1e3;) {
    runs.push(run());
    total += runs[runs.length - 1];
  }
  return {
    batch, median_ms: median(runs), min_ms: Math.min(...runs), mean_ms: runs.reduce((a, b) => a + b, 0) / runs.length,
    runs: runs.length, first_ms: firstMs, gflop: (flopsPerImage * batch) / 1e9,
  };
}

async function timeSample(unet, steps, numImages) {
  const stamps = [];
  const t0 = now();
  sample(unet, unet.schedulerConfig ?? {}, {
    scheduler: 'ddim', steps, numImages, seed: 0, guidanceScale: 1,
    classLabels: unet.info.numClassEmbeds ? Array.from({ length: numImages }, (_, i) => i % 10) : undefined,
    onProgress: () => { stamps.push(now()); },
  });
  const totalMs = now() - t0;
  const stepMs = stamps.map((t, i) => t - (i ? stamps[i - 1] : t0));
  return { scheduler: 'ddim', steps, num_images: numImages, guidance_scale: 1, total_ms: totalMs,
           ms_per_step: totalMs / steps, median_step_ms: median(stepMs), first_step_ms: stepMs[0] };
}

// The demo's first visit draws one garment of each class (web/demo/generate.js) with the model's defaults.
export const FIRST_VISIT_IMAGES = 10;

async function timeFirstVisit(unet, numImages) {
  const classes = unet.info.numClassEmbeds ? Array.from({ length: numImages }, (_, i) => i % 10) : undefined;
  let steps = 0;
  const t0 = now();
  sample(unet, unet.schedulerConfig ?? {}, { numImages, seed: 0, classLabels: classes, onProgress: ({ total }) => { steps = total; } });
  const totalMs = now() - t0;
  return { num_images: numImages, steps, defaults: unet.samplingDefaults ?? null, total_ms: totalMs };
}

/**
 * Runs the benchmark; resolves to a plain object (JSON-ready):
 * { build, simd, threads, peak: { target, gflops }, model, sample_size, flops_per_image, load_ms,
 *   forward: [{ batch, median_ms, min_ms, mean_ms, runs, first_ms, gflop }], sample: {...} | null,
 *   first_visit: { model, num_images, steps, defaults, total_ms } | null }
 * @param {{ model: string, build?: string, threads?: number, batches?: number[], seconds?: number,
 *           peakSeconds?: number, sampleSteps?: number, sampleBatch?: number, firstVisit?: boolean,
 *           firstVisitModel?: string, wasmPaths?: string, log?: (line: string) => void }} options
 */
export async function runBench(options) {
  const { model, build = 'auto', threads = 1, batches = [8, 1], seconds = 1, peakSeconds = 0.5,
          sampleSteps = 20, sampleBatch = 8, firstVisit = true, firstVisitModel = model, wasmPaths,
          log = () => {} } = options;
  await ready({ build, wasmPaths });
  log(`build ${info.build} (${info.why}), simd ${info.simd}`);
  // The peak first, on this thread alone, before any pool exists.
  const peak = measurePeakGflops(peakSeconds);
  log(`peak: ${peak.gflops.toFixed(2)} GFLOP/s per thread (${peak.target})`);
  await breathe();
  const t0 = now();
  const unet = await UNet2DModel.fromPretrained(model, { threads, cache: false });  // always the folder as it is now
  const loadMs = now() - t0;
  const { sampleSize, inChannels, flopsPerImage } = unet.info;
  if (!sampleSize) throw new Error(`${model}: config has no sample_size`);
  const result = {
    build: info.build, simd: info.simd, threads, peak, model: String(model),
    sample_size: [inChannels, ...sampleSize], flops_per_image: flopsPerImage, load_ms: loadMs, forward: [], sample: null,
    first_visit: null,
  };
  try {
    for (const batch of batches) {
      const r = await timeForward(unet, batch, seconds);
      log(`forward batch ${batch}: median ${r.median_ms.toFixed(2)} ms (${r.runs} runs)`);
      result.forward.push(r);
      await breathe();
    }
    if (sampleSteps > 0) {
      result.sample = await timeSample(unet, sampleSteps, sampleBatch);
      log(`sample: ${result.sample.ms_per_step.toFixed(2)} ms/step`);
      await breathe();
    }
    if (firstVisit) {
      const demo = firstVisitModel === model ? unet : await UNet2DModel.fromPretrained(firstVisitModel, { threads, cache: false });
      try {
        result.first_visit = { model: String(firstVisitModel), ...await timeFirstVisit(demo, FIRST_VISIT_IMAGES) };
      } finally {
        if (demo !== unet) demo.dispose();
      }
      log(`first visit: ${result.first_visit.num_images} images in ${result.first_visit.total_ms.toFixed(0)} ms`);
    }
  } finally {
    unet.dispose();
  }
  return result;
}
