// examples/vite-app as a user builds it: the packed tarball installed into a copy of the example, `npm run build`
// (the model copied into public/, then `vite build`), the built dist/ served by a small static server, and the page
// in headless Chromium. With COOP/COEP it must be cross-origin isolated and get the threaded build (Generator's
// module Worker and Emscripten's pthread Workers, both bundled by Vite); without, the single-thread one, and the
// same pictures. Vite is the root devDependency (npm ci), used through a link: npm cannot install it offline from
// another project's lockfile. Screenshot: test-results/example-vite.png. Skipped (which fails `npm test`) when
// playwright-core, Chromium or Vite is missing.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync,
         writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { delimiter, extname, join, normalize, relative, sep } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium, CHROMIUM, RESULTS, skip as browserSkip } from './browser_harness.js';
import { ROOT } from './helpers.js';
import { npm, packPackage } from './pack_helpers.js';

const EXAMPLE = join(ROOT, 'examples', 'vite-app');
const VITE = join(ROOT, 'node_modules', 'vite');
const skip = browserSkip || (!existsSync(join(VITE, 'package.json')) && 'vite is not installed (npm ci)');

const work = mkdtempSync(join(tmpdir(), 'ddpm-wasm-bundle-'));
const app = join(work, 'vite-app');
const servers = [];
let browser = null;
let buildLog = '';

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm', '.safetensors': 'application/octet-stream',
};

/** Serves `dir` on 127.0.0.1 (a free port), with the COOP/COEP headers when `isolated`: its base URL. */
async function serveStatic(dir, isolated) {
  const headers = isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
                               'Cross-Origin-Resource-Policy': 'same-origin' } : {};
  const server = createServer((req, res) => {
    let file = join(dir, normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)));
    try {
      if (!file.startsWith(dir + sep) && file !== dir) throw new Error('outside');
      if (statSync(file).isDirectory()) file = join(file, 'index.html');
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream', ...headers });
      res.end(body);
    } catch {
      res.writeHead(404, headers);
      res.end();
    }
  });
  servers.push(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}/`;
}

before(() => {
  if (skip) return;
  const packed = packPackage(work);
  // The example as a user has it: its own files only (no node_modules, dist or copied model from a local run).
  cpSync(EXAMPLE, app, { recursive: true, filter: (f) => !/^(node_modules|dist|public)(\/|$)/.test(relative(EXAMPLE, f)) });
  const pkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8'));
  const rootVite = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies.vite;
  assert.equal(pkg.devDependencies.vite, `^${rootVite}`, 'the example asks for the Vite the root package.json pins');
  assert.equal(pkg.dependencies['ddpm-wasm'], `^${packed.version}`);
  pkg.dependencies['ddpm-wasm'] = `file:${packed.tarball}`;
  delete pkg.devDependencies.vite;
  writeFileSync(join(app, 'package.json'), JSON.stringify(pkg, null, 2));
  npm(['install', '--offline'], app);
  symlinkSync(VITE, join(app, 'node_modules', 'vite'), 'dir');
  buildLog = npm(['run', 'build'], app, {
    // NO_COLOR: plain text to match below (under CI=true, vite colours its output even into a pipe).
    env: { ...process.env, NO_COLOR: '1', DDPM_MODEL: join(ROOT, 'models', 'fashion-mnist'),
           PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${process.env.PATH}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
});

after(async () => {
  await browser?.close();
  for (const s of servers) s.close();
  rmSync(work, { recursive: true, force: true });
});

test('vite build bundles the example from the installed tarball: both builds, the workers, the model', { skip }, () => {
  assert.match(buildLog.replace(/\x1b\[[0-9;]*m/g, ''), /vite v\d+\.\d+\.\d+ building/);
  assert.match(buildLog, /✓ built in/);
  const dist = join(app, 'dist');
  const assets = readdirSync(join(dist, 'assets'));
  assert.equal(assets.filter((f) => f.endsWith('.wasm')).length, 2, `both wasm builds, once each: ${assets.join(' ')}`);
  // Generator's module Worker, and what the threaded build's pthreads run (inlined into the worker when small).
  assert.ok(assets.some((f) => /^worker-.*\.js$/.test(f)), `Generator's worker is bundled: ${assets.join(' ')}`);
  const workerChunk = readFileSync(join(dist, 'assets', assets.find((f) => /^worker-.*\.js$/.test(f))), 'utf8');
  assert.match(workerChunk, /ddpm\.worker|data:text\/javascript/, 'the pthread worker script is referenced');
  assert.ok(statSync(join(dist, 'models/fashion-mnist/unet/diffusion_pytorch_model.safetensors')).size > 1e6);
  assert.ok(existsSync(join(dist, 'models/fashion-mnist/model_index.json')));
  // No source path of the build machine leaks into the bundle.
  for (const f of assets.filter((a) => a.endsWith('.js'))) {
    assert.doesNotMatch(readFileSync(join(dist, 'assets', f), 'utf8'), new RegExp(work.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), f);
  }
});

/** Opens the built example at `url`, waits until it is done, and returns what it showed. */
async function runExample(url, screenshot) {
  browser ??= await chromium.launch({ executablePath: CHROMIUM });
  const page = await browser.newPage({ viewport: { width: 800, height: 400 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  // Every status line the page shows ('step 3 of 20', ..., 'done: ...'), with whether a canvas was drawn then.
  await page.addInitScript(() => {
    globalThis.statusLog = [];
    document.addEventListener('readystatechange', () => {
      const status = document.getElementById('status');
      if (!status || globalThis.observing) return;
      globalThis.observing = new MutationObserver(() => {
        const c = document.querySelector('canvas');
        const drawn = c.width === 32 && c.getContext('2d').getImageData(0, 0, 32, 32).data.some((v, i) => i % 4 === 3 && v === 255);
        globalThis.statusLog.push({ text: status.textContent, drawn });
      });
      globalThis.observing.observe(status, { childList: true, characterData: true, subtree: true });
    });
  });
  const t0 = performance.now();
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status').dataset.state, null, { timeout: 60000 });
  const ms = performance.now() - t0;
  if (screenshot) {
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: join(RESULTS, screenshot) });
  }
  const result = await page.evaluate(() => {
    const status = document.getElementById('status');
    const canvases = [...document.querySelectorAll('canvas')].map((c) => {
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      const gray = Array.from({ length: data.length / 4 }, (_, i) => data[4 * i]);
      const opaque = Array.from({ length: data.length / 4 }, (_, i) => data[4 * i + 3]).every((a) => a === 255);
      const n = gray.length;
      const mean = gray.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(gray.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
      // Correlation of horizontal neighbours: near 1 for pictures, near 0 for noise.
      let cov = 0;
      let pairs = 0;
      for (let y = 0; y < c.height; ++y) {
        for (let x = 0; x + 1 < c.width; ++x) {
          cov += (gray[y * c.width + x] - mean) * (gray[y * c.width + x + 1] - mean);
          pairs += 1;
        }
      }
      return { width: c.width, height: c.height, opaque, mean, std, neighbour: std > 0 ? cov / pairs / (std * std) : 0, gray };
    });
    return { state: status.dataset.state, build: status.dataset.build, text: status.textContent, canvases,
             isolated: globalThis.crossOriginIsolated, log: globalThis.statusLog };
  });
  await page.close();
  return { ...result, problems, ms };
}

const check = (r) => {
  assert.deepEqual(r.problems, [], 'no page or console errors');
  assert.equal(r.state, 'done', r.text);
  const steps = r.log.map((s) => /^step (\d+) of 20$/.exec(s.text)?.[1]).filter(Boolean).map(Number);
  assert.deepEqual(steps, Array.from({ length: 20 }, (_, i) => i + 1), 'onProgress came after each of the 20 steps');
  assert.ok(r.log.filter((s) => s.text.startsWith('step')).every((s) => s.drawn), 'each step drew its preview');
  assert.equal(r.canvases.length, 4);
  for (const c of r.canvases) {
    const { gray, ...stats } = c;
    const what = JSON.stringify(stats);
    assert.deepEqual([c.width, c.height, c.opaque], [32, 32, true], what);
    // Fashion-MNIST: a light garment on a dark background.
    assert.ok(c.mean > 10 && c.mean < 200, `mean gray level out of range: ${what}`);
    assert.ok(c.std > 25, `too flat to be a picture: ${what}`);
    assert.ok(c.neighbour > 0.5, `neighbouring pixels do not agree (noise?): ${what}`);
  }
};

let threaded = null;

test('the built example in Chromium, cross-origin isolated: simd-threads, onProgress, four image-like canvases', { skip, timeout: 90000 }, async () => {
  threaded = await runExample(await serveStatic(join(app, 'dist'), true), 'example-vite.png');
  assert.equal(threaded.isolated, true);
  assert.equal(threaded.build, 'simd-threads', threaded.text);
  assert.match(threaded.text, /^done: simd-threads, \d+ thread\(s\), \d+ ms a step$/);
  check(threaded);
});

test('without COOP/COEP the same bundle falls back to simd and draws the same pictures', { skip, timeout: 90000 }, async () => {
  const plain = await runExample(await serveStatic(join(app, 'dist'), false));
  assert.equal(plain.isolated, false);
  assert.equal(plain.build, 'simd', plain.text);
  check(plain);
  assert.ok(threaded, 'the threaded run came first');
  // The same seed gives the same images in every build (README).
  plain.canvases.forEach((c, i) => assert.deepEqual(c.gray, threaded.canvases[i].gray, `canvas ${i} differs between builds`));
});
