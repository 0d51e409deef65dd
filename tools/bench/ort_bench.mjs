#!/usr/bin/env node
// One onnxruntime cell of `npm run bench` (tools/bench.mjs runs each in its own process): times the
// forward of an ONNX UNet export (shared/bench/README.md: inputs sample [B,C,H,W] f32, timestep [B]
// i64, class_labels [B] i64 when the graph has it) and prints one JSON line.
//   node tools/bench/ort_bench.mjs --engine node|web --model X.onnx --threads N --batch B
//                                  [--warmup 5] [--runs 20] [--seconds 3]
// onnxruntime-node: CPU EP, intraOpNumThreads = N, interOpNumThreads 1, sequential execution, all graph
// optimisations. onnxruntime-web: wasm EP under Node, numThreads = N, simd, no proxy worker.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const engine = opt('--engine', 'node');
const model = opt('--model');
const threads = Number(opt('--threads', 1));
const batch = Number(opt('--batch', 1));
const warmup = Number(opt('--warmup', 5));
const minRuns = Number(opt('--runs', 20));
const seconds = Number(opt('--seconds', 3));

function fail(reason) {
  console.log(JSON.stringify({ skipped: reason }));
  process.exit(0);
}

let ort;
try {
  ort = engine === 'web' ? await import('onnxruntime-web') : (await import('onnxruntime-node')).default;
} catch (e) {
  fail(`onnxruntime-${engine} not installed (npm ci): ${e.message.split('\n')[0]}`);
}

let session;
try {
  if (engine === 'web') {
    ort.env.wasm.numThreads = threads;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
    session = await ort.InferenceSession.create(new Uint8Array(readFileSync(model)),
                                                { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  } else {
    session = await ort.InferenceSession.create(model, {
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
      executionMode: 'sequential', graphOptimizationLevel: 'all',
    });
  }
} catch (e) {
  fail(`cannot load ${model}: ${e.message.split('\n')[0]}`);
}

// Shapes from the graph's first input where static (C, H, W), else unet_cond's 1x32x32.
const meta = session.inputMetadata?.find?.((m) => m.name === 'sample');
const dims = meta?.shape?.slice(1).map((d, i) => (typeof d === 'number' ? d : [1, 32, 32][i])) ?? [1, 32, 32];
const size = batch * dims.reduce((a, b) => a * b, 1);
const sample = new Float32Array(size);
for (let i = 0; i < size; ++i) sample[i] = Math.sin(i * 12.9898) * 1.7;  // any fixed, normal-ish input
const feeds = {
  sample: new ort.Tensor('float32', sample, [batch, ...dims]),
  timestep: new ort.Tensor('int64', BigInt64Array.from({ length: batch }, () => 500n), [batch]),
};
if (session.inputNames.includes('class_labels')) {
  feeds.class_labels = new ort.Tensor('int64', new BigInt64Array(batch), [batch]);
}

for (let i = 0; i < warmup; ++i) await session.run(feeds);
const times = [];
const t0 = performance.now();
while (times.length < minRuns || performance.now() - t0 < seconds * 1000) {
  const a = performance.now();
  await session.run(feeds);
  times.push(performance.now() - a);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({
  engine: `onnxruntime-${engine}`, version: ort.env.versions?.[engine] ?? ort.env.versions?.common, threads, batch,
  median_ms: times[times.length >> 1], min_ms: times[0], runs: times.length,
}));
process.exit(0);  // onnxruntime-web's thread pool would keep Node alive
