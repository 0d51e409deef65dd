#!/usr/bin/env node
// `npm run bench`: the UNet forward of ddpm-wasm against onnxruntime, side by side in one run, on
// unet_cond (shared/reference/unet_cond weights; shared/bench/unet_cond.onnx, the same weights, for
// onnxruntime), at batch 8 and batch 1, with the machine's single-thread peaks measured in the same run;
// then the shipped model (models/fashion-mnist) through the package's JS API in Node and in headless Chromium.
//
//   node tools/bench.mjs [--batches 8,1] [--seconds 3] [--shared ../shared] [--sample-steps 20]
//                        [--only native,xnnpack,wasm,ort-node,ort-web,sample,node,chromium,train]
//                        [--diffusers-src DIR]   (train: the PyTorch baseline's diffusers v0.31.0 tree)
//                        [--wasm-paths DIR]   (node/chromium rows: a copy of dist/, under dist/ or web/)
//                        [--shipped DIR]      (node/chromium rows: another pipeline folder under the project root)
//                        [--demo-model DIR]   (the first-visit row's model; default the demo's, models/fashion-mnist-wide)
//
// Engines (each cell in its own process; a missing engine prints "skipped: reason"):
//   ours native     build/native/ddpm bench (if built), 1 and 2 threads; also with --backend xnnpack
//                   (Debian's XNNPACK for the convolutions), the measurement behind our default backend
//   ours wasm       dist/simd/ddpm-cli.js bench under Node, 1 thread; dist/simd-threads/ddpm-cli.js, 2 threads
//   ort-node        onnxruntime-node (CPU EP), intra_op_num_threads 1 and 2, sequential execution
//   ort-web         onnxruntime-web, wasm EP under Node, 1 and 2 threads
// Each cell reports the median time per forward (after a warm-up) and GFLOP/s from the FLOP count of
// shared/bench/README.md (0.8356 GFLOP per image). Then the ratios behind the performance goals, and a
// 50-step DDIM sample of one 32x32 image with the wasm simd-threads CLI on 2 threads.
//
// Shipped model (groups node and chromium; tools/bench/shipped_bench.mjs, one process per engine and build):
// web/bench/bench.js, the same code in Node and in Chromium, on the package (dist/simd with 1 thread,
// dist/simd-threads with 2): ready({ build }), measurePeakGflops() (wasm simd128, 1 thread, in that engine, before
// the model), UNet2DModel.fromPretrained(models/fashion-mnist, { threads }), forward() at each batch (median after
// a warm-up), sample() with DDIM, --sample-steps steps of 8 images at guidance 1 (ms/step), and the demo's first
// visit (10 garments at the model's sampling_defaults.json) against issue 12's budget (Chromium: 3 s per 8 garments
// on simd-threads with 2 threads, 6 s on simd with 1; x 10/8 for the demo's 10). GFLOP per
// forward: unet.info.flopsPerImage x batch (UNet2DModel::FlopsPerImage, the count `ddpm bench` prints).
// Chromium is Debian's /usr/bin/chromium, headless through playwright-core, on web/bench/ served by
// tools/serve.mjs with COOP/COEP (cross-origin isolated), the engine in a module Worker as Generator runs it.
// % of peak divides by the peak measured in that same engine run; Node / Chromium ratios close the section.
// Training (group train; tools/bench/train_bench.mjs): `ddpm bench --train` on the shipped and the wide model's
// configs at batch 64, 1 and 2 threads beside the peak of the same run, and PyTorch (diffusers' UNet2DModel,
// shared/bench/torch_train_bench.py) on the same config right after, where a diffusers source is given.
// The machine may be shared: for figures worth quoting, run it while nothing else is busy.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const SHARED = resolve(ROOT, opt('--shared', '../shared'));
const MODEL = join(SHARED, 'reference', 'unet_cond');
const ONNX = join(SHARED, 'bench', 'unet_cond.onnx');
const BATCHES = opt('--batches', '8,1').split(',').map(Number);
const SECONDS = Number(opt('--seconds', 3));
const ONLY = opt('--only', 'native,xnnpack,wasm,ort-node,ort-web,sample,node,chromium,train').split(',');
const SHIPPED = resolve(ROOT, opt('--shipped', join('models', 'fashion-mnist')));  // a pipeline folder under ROOT
// The demo's Generate model (web/demo/generate.js), whose first visit is timed against the budget.
const DEMO_MODEL = resolve(ROOT, opt('--demo-model', join('models', 'fashion-mnist-wide')));
const SAMPLE_STEPS = Number(opt('--sample-steps', 20));
const WASM_PATHS = opt('--wasm-paths');
const GFLOP_PER_IMAGE = 0.8356;  // shared/bench/README.md: 835,600,384 FLOP (multiply-add = 2)

const NATIVE = join(ROOT, 'build', 'native', 'ddpm');
const WASM_CLI = { simd: join(ROOT, 'dist', 'simd', 'ddpm-cli.js'),
                   'simd-threads': join(ROOT, 'dist', 'simd-threads', 'ddpm-cli.js') };
const NODE = [process.execPath, '--no-experimental-fetch'];

// Runs a command, returns the last JSON line of its stdout, or { skipped } with a reason.
function runJson(cmd, cmdArgs, timeoutMs = 600000) {
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  if (r.error) return { skipped: `${cmd}: ${r.error.message}` };
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) {
    const why = (r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.status ?? r.signal}`;
    return { skipped: `failed: ${why}` };
  }
  return JSON.parse(line);
}

function oursCell(kind, threads, batch, backend = 'auto') {
  const base = ['bench', '--model', MODEL, '--batch', String(batch), '--threads', String(threads),
                '--seconds', String(SECONDS), '--backend', backend, '--json'];
  if (kind === 'native') {
    if (!existsSync(NATIVE)) return { skipped: 'build/native/ddpm not built (cmake --preset native && cmake --build --preset native)' };
    return runJson(NATIVE, base);
  }
  const cli = WASM_CLI[kind];
  if (!existsSync(cli)) return { skipped: `${cli.slice(ROOT.length + 1)} missing (npm run build)` };
  return runJson(NODE[0], [...NODE.slice(1), cli, ...base]);
}

function ortCell(engine, threads, batch) {
  if (!existsSync(ONNX)) return { skipped: `${ONNX} missing` };
  return runJson(process.execPath, [join(ROOT, 'tools', 'bench', 'ort_bench.mjs'), '--engine', engine, '--model', ONNX,
                                    '--threads', String(threads), '--batch', String(batch), '--seconds', String(SECONDS)]);
}

const ENGINES = [
  { key: 'native-1', group: 'native', label: 'ours native', threads: 1, run: (b) => oursCell('native', 1, b) },
  { key: 'native-2', group: 'native', label: 'ours native', threads: 2, run: (b) => oursCell('native', 2, b) },
  { key: 'xnn-1', group: 'xnnpack', label: 'ours native, XNNPACK conv', threads: 1,
    run: (b) => oursCell('native', 1, b, 'xnnpack') },
  { key: 'xnn-2', group: 'xnnpack', label: 'ours native, XNNPACK conv', threads: 2,
    run: (b) => oursCell('native', 2, b, 'xnnpack') },
  { key: 'wasm-1', group: 'wasm', label: 'ours wasm simd', threads: 1, run: (b) => oursCell('simd', 1, b) },
  { key: 'wasm-2', group: 'wasm', label: 'ours wasm simd-threads', threads: 2, run: (b) => oursCell('simd-threads', 2, b) },
  { key: 'ort-node-1', group: 'ort-node', label: 'onnxruntime-node', threads: 1, run: (b) => ortCell('node', 1, b) },
  { key: 'ort-node-2', group: 'ort-node', label: 'onnxruntime-node', threads: 2, run: (b) => ortCell('node', 2, b) },
  { key: 'ort-web-1', group: 'ort-web', label: 'onnxruntime-web (wasm)', threads: 1, run: (b) => ortCell('web', 1, b) },
  { key: 'ort-web-2', group: 'ort-web', label: 'onnxruntime-web (wasm)', threads: 2, run: (b) => ortCell('web', 2, b) },
].filter((e) => ONLY.includes(e.group));

const REFERENCE_GROUPS = ['native', 'xnnpack', 'wasm', 'ort-node', 'ort-web', 'sample'];
if (ONLY.some((g) => REFERENCE_GROUPS.includes(g)) && !existsSync(join(MODEL, 'config.json'))) {
  console.error(`bench: ${MODEL} not found (pass --shared DIR, the folder with reference/ and bench/)`);
  process.exit(1);
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.log(`ddpm-wasm bench, ${new Date().toISOString()}` +
            (ENGINES.length ? `: unet_cond 1x32x32 (${GFLOP_PER_IMAGE} GFLOP per image)` : ''));
console.log(`machine: ${cpu}, ${cpus().length} logical cores; Node ${process.version}; load average ` +
            `${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
const SHIPPED_CELLS = ['node', 'chromium'].filter((g) => ONLY.includes(g)).length * 2;
console.error('bench: running (each cell in its own process, ~' +
              `${Math.round(ENGINES.length * BATCHES.length * (SECONDS + 2) + SHIPPED_CELLS * (BATCHES.length * SECONDS * 1.3 + 5))} s) ...`);

// results[key][batch] = { median_ms, min_ms, runs, ... } or { skipped }
const results = {};
const peaks = {};  // target -> best GFLOP/s of one thread seen in this run
for (const batch of BATCHES) {
  for (const e of ENGINES) {
    const r = e.run(batch);
    (results[e.key] ??= {})[batch] = r;
    for (const [t, g] of Object.entries(r.peaks ?? {})) peaks[t] = Math.max(peaks[t] ?? 0, g);
    process.stderr.write(`  ${e.label} ${e.threads} thr, batch ${batch}: ` +
                         `${r.skipped ? `skipped: ${r.skipped}` : `${r.median_ms.toFixed(2)} ms`}\n`);
  }
}

const verdict = (x, goal) => (x == null ? 'n/a' : x >= goal ? 'met' : 'MISSED');
const fmt = (x, d = 1) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(d));
const gflops = (r, batch) => (r && !r.skipped ? (GFLOP_PER_IMAGE * batch) / (r.median_ms / 1e3) : null);
const peakNames = { AVX3: 'AVX3 (AVX-512 FMA)', AVX2: 'AVX2+FMA', WASM: 'wasm simd128 (mul+add)' };

if (ENGINES.length) {
  console.log('');
  console.log('peaks, 1 thread, measured in this run (register-only FMA / mul+add loop, best window):');
  for (const t of ['AVX3', 'AVX2', 'WASM']) {
    if (peaks[t]) console.log(`  ${(peakNames[t]).padEnd(24)} ${fmt(peaks[t])} GFLOP/s`);
  }
  for (const t of Object.keys(peaks)) if (!peakNames[t]) console.log(`  ${t.padEnd(24)} ${fmt(peaks[t])} GFLOP/s`);

  // % of peak: native engines against AVX2+FMA x threads (the goal's yardstick), wasm engines against
  // simd128 x threads.
  function pctPeak(e, r, batch) {
    const g = gflops(r, batch);
    if (g == null) return '-';
    const wasm = e.key.startsWith('wasm') || e.key.startsWith('ort-web');
    const p = wasm ? peaks.WASM : peaks.AVX2;
    return p ? `${fmt((100 * g) / (p * e.threads))}% ${wasm ? 'simd128' : 'AVX2'}` : '-';
  }

  console.log('');
  console.log('engine                        thr  batch  median ms    min ms  ms/image  GFLOP/s  % of peak (x thr)');
  for (const batch of BATCHES) {
    for (const e of ENGINES) {
      const r = results[e.key][batch];
      const head = `${e.label.padEnd(28)} ${String(e.threads).padStart(4)} ${String(batch).padStart(6)}`;
      if (r.skipped) {
        console.log(`${head}  skipped: ${r.skipped}`);
        continue;
      }
      console.log(`${head} ${fmt(r.median_ms, 2).padStart(10)} ${fmt(r.min_ms, 2).padStart(9)} ` +
                  `${fmt(r.median_ms / batch, 2).padStart(9)} ${fmt(gflops(r, batch)).padStart(8)}  ${pctPeak(e, r, batch)}`);
    }
  }

  // Ratios behind the goals (> 1 means the first engine is faster), per batch.
  const ms = (key, batch) => {
    const r = results[key]?.[batch];
    return r && !r.skipped ? r.median_ms : null;
  };
  console.log('');
  console.log('ratios (speed-up = their ms / our ms)                         ' +
              BATCHES.map((b) => `batch ${b}`.padStart(10)).join('') + '   goal');
  function ratioRow(label, f, goal, unit = 'x') {
    const vals = BATCHES.map((b) => f(b));
    const cells = vals.map((v) => (v == null ? '-' : `${fmt(v, unit === '%' ? 1 : 2)}${unit}`).padStart(10)).join('');
    console.log(`  ${label.padEnd(60)}${cells}   ${unit === '%' ? '>= ' + goal + '%' : '>= ' + goal + 'x'}: ` +
                vals.map((v) => verdict(v, goal)).join(' / '));
  }
  const div = (a, b) => (a == null || b == null ? null : a / b);
  ratioRow('ours wasm simd (1 thr) vs onnxruntime-web (1 thr)', (b) => div(ms('ort-web-1', b), ms('wasm-1', b)), 1.5);
  ratioRow('ours wasm simd-threads (2 thr) vs onnxruntime-web (2 thr)', (b) => div(ms('ort-web-2', b), ms('wasm-2', b)), 1.5);
  ratioRow('ours native (1 thr) vs onnxruntime-node (1 thr)', (b) => div(ms('ort-node-1', b), ms('native-1', b)), 1.0);
  ratioRow('ours native (2 thr) vs onnxruntime-node (2 thr)', (b) => div(ms('ort-node-2', b), ms('native-2', b)), 1.0);
  ratioRow('ours native: 2 threads vs 1 thread', (b) => div(ms('native-1', b), ms('native-2', b)), 1.8);
  ratioRow('ours native: our conv vs XNNPACK conv (1 thr)', (b) => div(ms('xnn-1', b), ms('native-1', b)), 1.0);
  ratioRow('ours native: our conv vs XNNPACK conv (2 thr)', (b) => div(ms('xnn-2', b), ms('native-2', b)), 1.0);
  ratioRow('ours wasm: simd-threads (2 thr) vs simd (1 thr)', (b) => div(ms('wasm-1', b), ms('wasm-2', b)), 1.8);
  const pct = (key, b, peak, thr) => {
    const g = gflops(results[key]?.[b], b);
    return g == null || !peak ? null : (100 * g) / (peak * thr);
  };
  ratioRow('ours native 1 thr, % of AVX2+FMA peak', (b) => pct('native-1', b, peaks.AVX2, 1), 55, '%');
  ratioRow('ours wasm simd 1 thr, % of simd128 peak', (b) => pct('wasm-1', b, peaks.WASM, 1), 60, '%');
  console.log('  (goals: ratios at batch 8; % of peak at batch 8)');
}

// A 50-step DDIM sample of one 32x32 image: wasm simd-threads CLI, 2 threads. "sampling" is the
// denoising loop as the CLI's progress line times it; "wall" adds Node start-up, model load and the PNG.
if (ONLY.includes('sample')) {
  console.log('');
  const cli = WASM_CLI['simd-threads'];
  if (!existsSync(cli)) {
    console.log(`DDIM 50 steps, 1 image, wasm simd-threads 2 thr: skipped: ${cli.slice(ROOT.length + 1)} missing (npm run build)`);
  } else {
    const work = mkdtempSync(join(tmpdir(), 'ddpm-bench-'));
    const loops = [], walls = [];
    let error = null;
    for (let i = 0; i < 3 && !error; ++i) {
      const t0 = performance.now();
      const r = spawnSync(NODE[0], [...NODE.slice(1), cli, 'sample', '--model', MODEL, '--scheduler', 'ddim', '--steps', '50',
                                    '--num-images', '1', '--class', '3', '--seed', String(i), '--threads', '2',
                                    '--output', join(work, `s${i}.png`)], { cwd: ROOT, encoding: 'utf8', timeout: 120000 });
      walls.push(performance.now() - t0);
      const m = /\bin ([\d.]+)s/.exec(r.stderr ?? '');
      if (r.status !== 0 || !m) error = (r.stderr || '').trim().split('\n').pop() || `exit ${r.status}`;
      else loops.push(Number(m[1]) * 1e3);
    }
    rmSync(work, { recursive: true, force: true });
    const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
    if (error) console.log(`DDIM 50 steps, 1 image, wasm simd-threads 2 thr: skipped: failed: ${error}`);
    else {
      console.log(`DDIM 50 steps, 1 image 32x32, wasm simd-threads, 2 threads: sampling ${fmt(med(loops), 0)} ms ` +
                  `(median of 3; ${fmt(med(loops) / 50, 1)} ms per step), wall ${fmt(med(walls), 0)} ms with Node ` +
                  `start-up and model load   goal < 1000 ms: ${verdict(1000 / med(loops), 1)}`);
    }
  }
}

// The shipped model through the package's JS API (web/bench/bench.js), in Node and in headless Chromium: each
// engine and build in its own process (tools/bench/shipped_bench.mjs), the wasm simd128 peak measured in each.
const SHIPPED_ENGINES = [{ engine: 'node', label: 'Node' }, { engine: 'chromium', label: 'Chromium' }]
  .filter((e) => ONLY.includes(e.engine));
const SHIPPED_BUILDS = [{ build: 'simd', threads: 1 }, { build: 'simd-threads', threads: 2 }];
if (SHIPPED_ENGINES.length) {
  const shipped = {};  // shipped[engine][build] = bench.js result or { skipped }
  for (const e of SHIPPED_ENGINES) {
    for (const b of SHIPPED_BUILDS) {
      const a = [join(ROOT, 'tools', 'bench', 'shipped_bench.mjs'), '--engine', e.engine, '--build', b.build,
                 '--threads', String(b.threads), '--model', SHIPPED, '--first-visit-model', DEMO_MODEL,
                 '--batches', BATCHES.join(','),
                 '--seconds', String(SECONDS), '--sample-steps', String(SAMPLE_STEPS)];
      if (WASM_PATHS) a.push('--wasm-paths', WASM_PATHS);
      const r = runJson(process.execPath, a);
      (shipped[e.engine] ??= {})[b.build] = r;
      process.stderr.write(`  ${e.label} ${b.build} ${b.threads} thr: ${r.skipped ? `skipped: ${r.skipped}` :
        r.forward.map((f) => `batch ${f.batch} ${f.median_ms.toFixed(2)} ms`).join(', ')}\n`);
    }
  }
  const ok = (e, b) => {
    const r = shipped[e]?.[b];
    return r && !r.skipped ? r : null;
  };
  const any = SHIPPED_ENGINES.flatMap((e) => SHIPPED_BUILDS.map((b) => ok(e.engine, b.build))).find(Boolean);
  // Per engine: the best single-thread simd128 peak of its runs (each run measures it before loading the model).
  const enginePeak = (e) => Math.max(0, ...SHIPPED_BUILDS.map((b) => ok(e, b.build)?.peak.gflops ?? 0)) || null;
  const fwd = (e, b, batch) => ok(e, b)?.forward.find((f) => f.batch === batch) ?? null;
  const rel = relative(ROOT, SHIPPED);

  console.log('');
  if (any) {
    console.log(`shipped model ${rel}: ${any.sample_size.join('x')}, ${fmt(any.flops_per_image / 1e9, 4)} GFLOP per image ` +
                '(UNet2DModel.info.flopsPerImage), through the package API (web/bench/bench.js)');
  } else {
    console.log(`shipped model ${rel}, through the package API (web/bench/bench.js)`);
  }
  console.log('wasm simd128 peak, 1 thread, measured in the same engine run (register-only mul+add loop, best window):');
  for (const e of SHIPPED_ENGINES) {
    const r = SHIPPED_BUILDS.map((b) => ok(e.engine, b.build)).find(Boolean);
    if (!r) continue;
    const where = e.engine === 'chromium' ? ` (headless, ${r.cross_origin_isolated ? '' : 'not '}crossOriginIsolated, ` +
      `${r.where === 'main' ? 'page thread' : 'module Worker'})` : '';
    console.log(`  ${`${r.engine_version}${where}`.padEnd(72)} ${fmt(enginePeak(e.engine)).padStart(6)} GFLOP/s`);
  }

  console.log('');
  console.log('engine                        thr  batch  median ms    min ms  ms/image  GFLOP/s  % of peak (x thr)');
  for (const batch of BATCHES) {
    for (const e of SHIPPED_ENGINES) {
      for (const b of SHIPPED_BUILDS) {
        const head = `${`${e.label}, ${b.build}`.padEnd(28)} ${String(b.threads).padStart(4)} ${String(batch).padStart(6)}`;
        const r = shipped[e.engine][b.build];
        const f = fwd(e.engine, b.build, batch);
        if (!f) {
          console.log(`${head}  skipped: ${r.skipped ?? `batch ${batch} missing`}`);
          continue;
        }
        const g = f.gflop / (f.median_ms / 1e3);
        console.log(`${head} ${fmt(f.median_ms, 2).padStart(10)} ${fmt(f.min_ms, 2).padStart(9)} ` +
                    `${fmt(f.median_ms / batch, 2).padStart(9)} ${fmt(g).padStart(8)}  ` +
                    `${fmt((100 * g) / (r.peak.gflops * b.threads))}% simd128`);
      }
    }
  }

  if (SAMPLE_STEPS > 0) {
    console.log('');
    const n = any?.sample?.num_images ?? 8;
    console.log(`sample(), DDIM ${SAMPLE_STEPS} steps, ${n} images, guidance 1   thr   ms/step  median step   total ms  GFLOP/s`);
    for (const e of SHIPPED_ENGINES) {
      for (const b of SHIPPED_BUILDS) {
        const r = shipped[e.engine][b.build];
        const head = `  ${`${e.label}, ${b.build}`.padEnd(48)} ${String(b.threads).padStart(3)}`;
        if (!r.skipped && !r.sample) continue;
        if (r.skipped) {
          console.log(`${head}  skipped: ${r.skipped}`);
          continue;
        }
        const s = r.sample;
        const g = (r.flops_per_image * s.num_images * s.steps) / 1e9 / (s.total_ms / 1e3);
        console.log(`${head} ${fmt(s.ms_per_step, 2).padStart(9)} ${fmt(s.median_step_ms, 2).padStart(12)} ` +
                    `${fmt(s.total_ms, 0).padStart(10)} ${fmt(g).padStart(8)}`);
      }
    }
  }

  // Issue 12's browser budget: 8 garments within 3 s on simd-threads with 2 threads, 6 s on simd with 1, in
  // Chromium. The demo's first visit draws FIRST_VISIT_IMAGES (web/bench/bench.js: 10, one per class, at the model's
  // sampling_defaults.json), timed as it is, against the same rate: the budget x FIRST_VISIT_IMAGES / 8.
  // Node's rows are for comparison.
  const BUDGET_MS_PER_8 = { simd: 6000, 'simd-threads': 3000 };
  const fv = any?.first_visit;
  if (fv) {
    const d = fv.defaults ?? {};
    const interval = d.guidance_interval ? ` at t in [${d.guidance_interval.join(', ')}]` : '';
    const what = `${d.scheduler ?? 'ddim'} ${fv.steps} steps, eta ${d.eta ?? 0}, guidance ${d.guidance_scale ?? 1}${interval}`;
    console.log('');
    const model = /models\/[^/]+/.exec(String(fv.model))?.[0] ?? fv.model;  // a path in Node, a URL in Chromium
    console.log(`first visit: ${fv.num_images} images with ${model} at its defaults (${what}); budget: issue 12's 3 s ` +
                `(simd-threads) or 6 s (simd) per 8 images, x ${fv.num_images}/8`);
    console.log(`${''.padEnd(74)} thr   total ms  budget ms`);
    for (const e of SHIPPED_ENGINES) {
      for (const b of SHIPPED_BUILDS) {
        const r = ok(e.engine, b.build);
        if (!r?.first_visit) continue;
        const ms = r.first_visit.total_ms, budget = (BUDGET_MS_PER_8[b.build] * r.first_visit.num_images) / 8;
        const verdictText = e.engine === 'chromium' ? (ms <= budget ? 'within budget' : 'OVER budget') : '(Node: no budget)';
        console.log(`  ${`${e.label}, ${b.build}`.padEnd(72)} ${String(b.threads).padStart(3)} ${fmt(ms, 0).padStart(10)} ` +
                    `${String(budget).padStart(10)}  ${verdictText}`);
      }
    }
  }

  // Median forward ms and the sample's ms/step, first / second: > 1 means the second ran faster.
  console.log('');
  const cols = [...BATCHES.map((b) => `batch ${b}`), ...(SAMPLE_STEPS > 0 ? ['DDIM step'] : [])];
  const row = (label, vals) => console.log(`  ${label.padEnd(58)}` +
    vals.map((v) => (v == null ? '-' : `${fmt(v, 2)}x`).padStart(11)).join(''));
  const msOf = (e, b) => [...BATCHES.map((batch) => fwd(e, b, batch)?.median_ms ?? null),
                          ...(SAMPLE_STEPS > 0 ? [ok(e, b)?.sample?.ms_per_step ?? null] : [])];
  const ratio = (num, den) => num.map((x, i) => (x == null || den[i] == null ? null : x / den[i]));
  console.log(`${'ratios (first ms / second ms, > 1: the second is faster)'.padEnd(60)}` +
              cols.map((c) => c.padStart(11)).join(''));
  for (const b of SHIPPED_BUILDS) {
    row(`Node / Chromium, ${b.build} (${b.threads} thr)`, ratio(msOf('node', b.build), msOf('chromium', b.build)));
  }
  for (const e of SHIPPED_ENGINES) {
    row(`${e.label}: simd-threads (2 thr) vs simd (1 thr)`, ratio(msOf(e.engine, 'simd'), msOf(e.engine, 'simd-threads')));
  }
  const pn = enginePeak('node'), pc = enginePeak('chromium');
  console.log(`  ${'simd128 peak, Chromium GFLOP/s / Node GFLOP/s'.padEnd(58)}` +
              `${(pn && pc ? `${fmt(pc / pn, 2)}x` : '-').padStart(11)}`);
  if (!(ONLY.includes('node') && ONLY.includes('chromium'))) console.log('  (Node / Chromium needs both: --only node,chromium)');
}

// Training speed (group train): tools/bench/train_bench.mjs, `ddpm bench --train` against the peak and PyTorch.
if (ONLY.includes('train')) {
  const trainArgs = [join(ROOT, 'tools', 'bench', 'train_bench.mjs'), '--shared', SHARED];
  if (opt('--diffusers-src')) trainArgs.push('--diffusers-src', resolve(opt('--diffusers-src')));
  spawnSync(process.execPath, trainArgs, { cwd: ROOT, stdio: 'inherit' });
}
