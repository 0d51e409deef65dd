// The demo page in headless Chromium, served by tools/serve.mjs: the COOP/COEP headers must make the page
// cross-origin isolated so that the threaded build loads, and the schedulers must run in the browser.
// Skipped when playwright-core (a devDependency) or Debian's chromium is missing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { ROOT } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
let chromium = null;
try {
  ({ chromium } = await import('playwright-core'));
} catch {
  chromium = null;
}
const skip = !chromium ? 'playwright-core is not installed (npm ci)' : !existsSync(CHROMIUM) ? `${CHROMIUM} missing` : false;

let server;
let baseUrl;
let browser;

before(async () => {
  if (skip) return;
  server = spawn(process.execPath, [join(ROOT, 'tools/serve.mjs'), '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  baseUrl = await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => {
      const m = /http:\/\/[^\s]+/.exec(String(d));
      if (m) resolve(m[0]);
    });
    server.on('exit', (code) => reject(new Error(`serve.mjs exited (${code})`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test('the demo page loads the threaded build and runs the schedulers', { skip, timeout: 60000 }, async () => {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  const response = await page.goto(baseUrl);
  assert.equal(response.headers()['cross-origin-embedder-policy'], 'require-corp');
  await page.waitForFunction(() => document.getElementById('info').textContent !== 'loading…');
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  const info = await page.textContent('#info');
  assert.match(info, /build simd-threads/);
  assert.equal(await page.textContent('#error'), '');
  // All four schedules were built by DDPMScheduler.fromConfig and plotted.
  assert.equal(await page.locator('#legend span').count(), 4);

  await page.click('#reverse');
  await page.waitForFunction(() => /^after|error/.test(document.getElementById('rev-caption').textContent));
  const caption = await page.textContent('#rev-caption');
  const err = Number(/max \|x − x0\| = ([^,]+),/.exec(caption)?.[1]);
  // 50 deterministic DDIM steps fed the exact ε return to x0 up to float32 rounding.
  assert.ok(err < 1e-5, caption);
  assert.deepEqual(problems, []);
});

test('the server sends wasm and module MIME types and serves nothing outside web/ and dist/', { skip }, async () => {
  const wasm = await fetch(new URL('/dist/simd/ddpm.wasm', baseUrl));
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('cross-origin-opener-policy'), 'same-origin');
  const mjs = await fetch(new URL('/dist/simd-threads/ddpm.mjs', baseUrl));
  assert.match(mjs.headers.get('content-type'), /^text\/javascript/);
  for (const path of ['/package.json', '/src/base/tensor.h', '/web/%2e%2e/package.json', '/build/']) {
    assert.equal((await fetch(new URL(path, baseUrl))).status, 404, path);
  }
});

test('the package runs inside a module Worker, with either build', { skip, timeout: 60000 }, async () => {
  const page = await browser.newPage();
  await page.goto(new URL('/web/demo/', baseUrl).href);
  for (const build of ['simd', 'simd-threads']) {
    const result = await page.evaluate(async (build) => {
      const src = `import { ready, DDIMScheduler } from '${location.origin}/web/src/index.js';
        try {
          const info = await ready({ build: '${build}' });
          const s = DDIMScheduler.fromConfig({});
          s.setTimesteps(10);
          postMessage({ build: info.build, timesteps: Array.from(s.timesteps) });
        } catch (e) { postMessage({ error: String(e?.stack ?? e) }); }`;
      const worker = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
      return new Promise((resolve) => {
        worker.onmessage = (e) => resolve(e.data);
        worker.onerror = (e) => resolve({ error: e.message });
      });
    }, build);
    assert.deepEqual(result, { build, timesteps: [900, 800, 700, 600, 500, 400, 300, 200, 100, 0] });
  }
  await page.close();
});
