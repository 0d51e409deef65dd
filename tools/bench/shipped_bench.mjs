#!/usr/bin/env node
// One shipped-model cell of `npm run bench` (tools/bench.mjs runs each in its own process): web/bench/bench.js (the
// package's public API: peak, UNet forward at each batch, a DDIM sample) on one wasm build, in Node or in headless
// Chromium, and prints one JSON line (or { "skipped": reason }).
//   node tools/bench/shipped_bench.mjs --engine node|chromium --build simd|simd-threads --threads N
//        [--model models/fashion-mnist] [--first-visit-model models/fashion-mnist-wide (the demo's)]
//        [--batches 8,1] [--seconds 1] [--peak-seconds 0.5]
//        [--sample-steps 20] [--sample-batch 8] [--wasm-paths DIR] [--no-isolation] [--where worker|main]
// chromium: Debian's /usr/bin/chromium through playwright-core (no browser download), on web/bench/ served by
// tools/serve.mjs on a free port with COOP/COEP (the page is crossOriginIsolated, so simd-threads loads; with
// --no-isolation it is not), in a module Worker of the page as Generator runs (--where main: on the page's thread).
// The model and --wasm-paths must then lie in what serve.mjs serves (models/, dist/, web/).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const engine = opt('--engine', 'node');
const build = opt('--build', 'simd');
const threads = Number(opt('--threads', 1));
const model = resolve(ROOT, opt('--model', 'models/fashion-mnist'));
const firstVisitModel = resolve(ROOT, opt('--first-visit-model', 'models/fashion-mnist-wide'));
const wasmPaths = opt('--wasm-paths');
const params = {
  batches: opt('--batches', '8,1'), seconds: opt('--seconds', '1'), peakSeconds: opt('--peak-seconds', '0.5'),
  sampleSteps: opt('--sample-steps', '20'), sampleBatch: opt('--sample-batch', '8'), where: opt('--where', 'worker'),
};
const TIMEOUT_MS = Number(opt('--timeout', 600)) * 1e3;

function done(result) {
  console.log(JSON.stringify(result));
  process.exit(0);  // a pthread build keeps Node alive otherwise
}
const skip = (reason) => done({ skipped: reason });
const withTimeout = (promise, what) => Promise.race([promise, new Promise((_, reject) => {
  setTimeout(() => reject(new Error(`${what}: no result after ${TIMEOUT_MS / 1e3} s`)), TIMEOUT_MS).unref();
})]);

if (!existsSync(resolve(ROOT, 'dist', build, 'ddpm.mjs')) && !wasmPaths) skip(`dist/${build}/ddpm.mjs missing (npm run build)`);
for (const m of [model, firstVisitModel]) if (!existsSync(m)) skip(`${m} missing`);

if (engine === 'node') {
  try {
    const { runBench } = await import(pathToFileURL(resolve(ROOT, 'web', 'bench', 'bench.js')).href);
    const r = await withTimeout(runBench({
      model, firstVisitModel, build, threads, batches: params.batches.split(',').map(Number), seconds: Number(params.seconds),
      peakSeconds: Number(params.peakSeconds), sampleSteps: Number(params.sampleSteps),
      sampleBatch: Number(params.sampleBatch), wasmPaths: wasmPaths && resolve(wasmPaths),
    }), 'node');
    done({ engine: 'node', engine_version: `Node ${process.version}`, ...r });
  } catch (e) {
    skip(`failed: ${e.message}`);
  }
}
if (engine !== 'chromium') skip(`--engine ${engine}: expected node or chromium`);

// ---- Chromium ----
let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  skip('playwright-core is not installed (npm ci)');
}
if (!existsSync(CHROMIUM)) skip(`${CHROMIUM} missing (apt-get install chromium)`);
// A path under ROOT as the server's URL path, or null when serve.mjs would not serve it.
const served = (p) => {
  const rel = relative(ROOT, resolve(p)).split(sep).join('/');
  return /^(models|dist|web)(\/|$)/.test(rel) ? `/${rel}/` : null;
};
const modelPath = served(model);
const firstVisitPath = served(firstVisitModel);
for (const [m, p] of [[model, modelPath], [firstVisitModel, firstVisitPath]]) {
  if (!p) skip(`${m}: Chromium loads the model from the server, which serves only models/, dist/ and web/`);
}
const wasmPath = wasmPaths && served(wasmPaths);
if (wasmPaths && !wasmPath) skip(`--wasm-paths ${wasmPaths}: not under dist/ or web/, which the server serves`);

const server = spawn(process.execPath, [resolve(ROOT, 'tools', 'serve.mjs'), '--port', '0',
                                        ...(args.includes('--no-isolation') ? ['--no-isolation'] : [])],
                     { stdio: ['ignore', 'pipe', 'pipe'] });
let browser = null;
let result;
try {
  const base = await withTimeout(new Promise((res, rej) => {
    let text = '';
    server.stdout.on('data', (d) => {
      const m = /http:\/\/[^\s]+?\//.exec((text += d));
      if (m) res(m[0]);
    });
    server.stderr.on('data', (d) => { text += d; });
    server.on('exit', (code) => rej(new Error(`tools/serve.mjs exited (${code}): ${text.trim()}`)));
  }), 'serve.mjs');
  browser = await chromium.launch({ executablePath: CHROMIUM });
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  const q = new URLSearchParams({ build, threads: String(threads), model: modelPath, firstVisitModel: firstVisitPath, ...params });
  if (wasmPath) q.set('wasmPaths', wasmPath);
  await page.goto(`${base}web/bench/?${q}`);
  // The page's module sets window.benchResult; a page that failed to load never does.
  await page.waitForFunction(() => window.benchResult !== undefined || document.readyState === 'complete');
  if (await page.evaluate(() => window.benchResult === undefined)) {
    throw new Error(`web/bench/ did not start: ${problems.join('; ') || 'no benchResult'}`);
  }
  const r = await withTimeout(page.evaluate(() => window.benchResult), 'chromium page');
  result = { engine: 'chromium', engine_version: `Chromium ${browser.version()}`, ...r };
} catch (e) {
  result = { skipped: `failed: ${e.message.split('\n')[0]}` };
} finally {
  await browser?.close().catch(() => {});
  server.kill();
}
done(result);
