// The demo page in headless Chromium, served by tools/serve.mjs: the COOP/COEP headers must make the page
// cross-origin isolated so that the threaded build loads; the Generate tab (Generator in a module Worker) must
// make image-like pictures, cancel, and keep wasm memory bounded; the schedulers must run in the browser; the Train
// tab must train (the loss falls), pause, resume and export a pipeline tar.
// Screenshots go to test-results/. Skipped when playwright-core (a devDependency) or Debian's chromium is missing.
// The harness (servers, Chromium, demoPage, gridStats, ...) is in browser_harness.js.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { demoPage, env, gridStats, RESULTS, setForm, setupBrowser, skip, state, waitState } from './browser_harness.js';
import { ROOT } from './helpers.js';

setupBrowser();

test('the demo page loads the threaded build and runs the schedulers', { skip, timeout: 60000 }, async () => {
  const { page, problems, response } = await demoPage(env.baseUrl);
  assert.equal(response.headers()['cross-origin-embedder-policy'], 'require-corp');
  await page.click('#tab-schedulers');
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
  await page.screenshot({ path: join(RESULTS, 'demo-schedulers.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Generate: the threaded build in a Worker makes a batch of image-like pictures, filled in live', { skip, timeout: 60000 }, async () => {
  const { page, problems } = await demoPage(env.baseUrl);
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  const info = await page.textContent('#gen-info');
  assert.match(info, /Generator: build simd-threads, \d threads? \(crossOriginIsolated/);
  assert.match(info, /cancel by flag/);
  assert.equal(await page.locator('#gen-class option').count(), 11);  // all + the 10 garments
  assert.equal(await page.inputValue('#gen-guidance'), '1');  // models/README.md: guidance 2 scored worse
  await setForm(page, { 'gen-steps': 4, 'gen-batch': 6, 'gen-seed': 7, 'gen-class': 'all' });
  // Record what the grid shows at each step: the previews must fill it in before the run ends.
  await page.evaluate(() => {
    globalThis.seenSteps = [];
    new MutationObserver(() => {
      const m = /^Step (\d+) of (\d+) · (\d+) ms\/step · simd-threads/.exec(document.getElementById('gen-status').textContent);
      if (!m) return;
      const c = document.querySelector('#gen-grid canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      globalThis.seenSteps.push({ step: Number(m[1]), total: Number(m[2]), drawn: px.some((v, i) => i % 4 === 3 && v === 255) });
    }).observe(document.getElementById('gen-status'), { childList: true, characterData: true, subtree: true });
  });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error']);
  assert.equal(await page.textContent('#gen-error'), '');
  assert.match(await page.textContent('#gen-status'), /^Done: 6 images, 4 ddim steps, \d+ ms\/step .* simd-threads/);
  const seen = await page.evaluate(() => globalThis.seenSteps);
  assert.deepEqual(seen.map((s) => s.step), [1, 2, 3, 4]);
  assert.ok(seen.every((s) => s.drawn), 'every preview was drawn');
  const stats = await gridStats(page);
  assert.equal(stats.length, 6);
  for (const s of stats) {
    assert.deepEqual([s.width, s.height, s.opaque], [32, 32, true]);
    assert.ok(s.std > 5, `an image is (nearly) constant: ${JSON.stringify(s)}`);
    assert.ok(s.mean > 5 && s.mean < 250, `an image is blank: ${JSON.stringify(s)}`);
    assert.ok(s.max > s.min + 30, `an image has no contrast: ${JSON.stringify(s)}`);
  }
  assert.equal(await page.isEnabled('#gen-save'), true);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#gen-save')]);
  assert.match(download.suggestedFilename(), /^ddpm-fashion-mnist-seed7\.png$/);
  await page.screenshot({ path: join(RESULTS, 'demo-generate.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Generate: Cancel and Esc stop a run within a step, the next run works, and 20 cycles keep memory bounded',
     { skip, timeout: 90000 }, async () => {
  const { page, problems } = await demoPage(env.baseUrl);
  await setForm(page, { 'gen-steps': 500, 'gen-batch': 4, 'gen-scheduler': 'ddpm' });
  const cycle = async (how) => {
    await page.click('#gen-run');
    await page.waitForFunction(() => /^Step [1-9]/.test(document.getElementById('gen-status').textContent));
    if (how === 'esc') await page.keyboard.press('Escape');
    else await page.click('#gen-cancel');
    await waitState(page, ['cancelled', 'error'], 10000);
    const status = await page.textContent('#gen-status');
    assert.match(status, /^Cancelled after step \d+\.$/);
    return Number(/step (\d+)/.exec(status)[1]);
  };
  const memory = () => page.evaluate(() => globalThis.ddpmDemo.generator.memoryUsage());
  const stoppedAt = await cycle('button');
  assert.ok(stoppedAt < 20, `stopped after step ${stoppedAt} of 500`);
  await cycle('esc');
  const start = await memory();
  for (let i = 0; i < 20; ++i) await cycle(i % 2 ? 'esc' : 'button');
  const end = await memory();
  assert.equal(end.mallocBytes, start.mallocBytes, 'cancelled runs gave their memory back');
  assert.equal(end.heapBytes, start.heapBytes, 'the wasm heap did not grow');
  // Still usable, from the keyboard: Enter in a field submits the form.
  await setForm(page, { 'gen-steps': 2, 'gen-scheduler': 'dpmpp', 'gen-class': '8' });
  await page.focus('#gen-steps');
  await page.keyboard.press('Enter');
  await waitState(page, ['done', 'error']);
  assert.match(await page.textContent('#gen-status'), /^Done: 4 images, 2 dpmpp steps/);
  assert.deepEqual(await page.$$eval('#gen-grid figcaption', (f) => f.map((x) => x.textContent)), Array(4).fill('Bag'));
  assert.deepEqual(problems, []);
  await page.close();
});

test('Generate without cross-origin isolation: the single-thread build says why, and cancelling restarts the worker',
     { skip, timeout: 60000 }, async () => {
  const { page, problems } = await demoPage(env.plainUrl);
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), false);
  assert.match(await page.textContent('#gen-info'), /build simd, 1 thread \(not crossOriginIsolated .*\); cancel by restart/);
  await setForm(page, { 'gen-steps': 300, 'gen-batch': 2 });
  await page.click('#gen-run');
  await page.waitForFunction(() => /^Step [1-9]/.test(document.getElementById('gen-status').textContent));
  await page.click('#gen-cancel');
  await waitState(page, ['cancelled', 'error'], 10000);
  await setForm(page, { 'gen-steps': 2 });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error']);
  assert.match(await page.textContent('#gen-status'), /^Done: 2 images, 2 ddim steps, .* simd, 1 thread$/);
  assert.ok((await gridStats(page)).every((s) => s.std > 5));
  // A training loop yields between steps, so it is cancelled in place (no restart) and keeps its steps.
  const training = await page.evaluate(async () => {
    const gen = globalThis.ddpmDemo.generator;
    const trainer = await gen.createTrainer({ unetConfig: { sample_size: 8, in_channels: 1, out_channels: 1,
      block_out_channels: [8, 16], norm_num_groups: 4, down_block_types: ['DownBlock2D', 'DownBlock2D'],
      up_block_types: ['UpBlock2D', 'UpBlock2D'] }, batchSize: 2, seed: 1 });
    const images = { data: new Float32Array(4 * 64).map((_, i) => Math.sin(i)), shape: [4, 1, 8, 8] };
    const controller = new AbortController();
    const error = await trainer.train({ dataset: { images }, steps: 100, signal: controller.signal,
                                        onProgress: (p) => { if (p.step === 2) controller.abort(); } }).catch((e) => e);
    const more = await trainer.train({ dataset: { images }, steps: 1 });
    // A cancelled generate restarts the worker here, and the trainer goes with it.
    const run = new AbortController();
    await gen.generate({ steps: 50, classLabels: 1, signal: run.signal, onProgress: () => run.abort() }).catch(() => {});
    const lost = await trainer.train({ dataset: { images }, steps: 1 }).catch((e) => e.message);
    await trainer.dispose();
    return { name: error.name, message: error.message, trainerStep: more.trainerStep, loss: more.losses[0], lost };
  });
  assert.equal(training.name, 'AbortError');
  assert.ok(training.trainerStep > 2 && training.trainerStep < 10, JSON.stringify(training));
  assert.ok(Number.isFinite(training.loss));
  assert.match(training.lost, /the trainer was lost: a cancelled generate restarted the worker/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('the demo is usable at phone width, from the keyboard, and loads a model folder the user picks', { skip, timeout: 60000 }, async () => {
  const { page, problems } = await demoPage(env.baseUrl, { width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'no sideways scrolling');
  // Tabs: arrow keys move between them.
  await page.focus('#tab-generate');
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#tab-schedulers', 'aria-selected'), 'true');
  assert.equal(await page.isVisible('#plot-betas'), true);
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'schedulers fit');
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.isVisible('#gen-run'), true);
  // A diffusers folder from the file picker (<input webkitdirectory>): found by relative path.
  await page.setInputFiles('#gen-folder', join(ROOT, 'models/fashion-mnist'));
  await waitState(page, ['ready', 'error']);
  assert.equal(await page.textContent('#gen-error'), '');
  await setForm(page, { 'gen-steps': 3, 'gen-batch': 4, 'gen-class': '1' });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error']);
  assert.match(await page.textContent('#gen-status'), /^Done: 4 images/);
  await page.screenshot({ path: join(RESULTS, 'demo-generate-phone.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Generate: dropped model files are loaded (a UNet folder: config.json and the weights)', { skip, timeout: 60000 }, async () => {
  const { page, problems } = await demoPage(env.baseUrl);
  await page.evaluate(async () => {
    const dt = new DataTransfer();
    for (const name of ['config.json', 'diffusion_pytorch_model.safetensors', 'notes.txt']) {
      const blob = name === 'notes.txt' ? new Blob(['hi']) : await (await fetch(`/models/fashion-mnist/unet/${name}`)).blob();
      dt.items.add(new File([blob], name));
    }
    document.getElementById('panel-generate').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => /Model dropped files/.test(document.getElementById('gen-info').textContent));
  assert.equal(await state(page), 'ready');
  await setForm(page, { 'gen-steps': 2, 'gen-batch': 2, 'gen-class': '3' });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error']);
  assert.match(await page.textContent('#gen-status'), /^Done: 2 images/);
  assert.deepEqual(await page.$$eval('#gen-grid figcaption', (f) => f.map((x) => x.textContent)), ['class 3', 'class 3']);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Train: a small UNet trains in the Worker, the loss falls, Pause/Resume keep the steps, Export writes a pipeline tar',
     { skip, timeout: 90000 }, async () => {
  const { page, problems } = await demoPage(`${env.baseUrl}#train`);
  assert.equal(await page.getAttribute('#tab-train', 'aria-selected'), 'true');
  const trainState = () => page.evaluate(() => document.getElementById('train-status').dataset.state);
  const waitTrain = (states, timeout = 30000) =>
    page.waitForFunction((s) => s.includes(document.getElementById('train-status').dataset.state), states, { timeout });
  await waitTrain(['ready', 'error']);
  assert.equal(await page.textContent('#train-error'), '');
  assert.match(await page.textContent('#train-status'), /^Ready: 2,000 training images/);
  await setForm(page, { 'train-steps': 40, 'train-preview-every': 20, 'train-batch': 16, 'train-seed': 3 });
  await page.click('#train-start');
  const losses = () => page.evaluate(() => globalThis.ddpmTrainDemo.losses);
  await page.waitForFunction(() => globalThis.ddpmTrainDemo.losses.length >= 8, null, { timeout: 30000 });
  await page.click('#train-pause');
  await waitTrain(['paused', 'error'], 10000);
  const pausedAt = (await losses()).length;
  assert.match(await page.textContent('#train-status'), new RegExp(`^Paused after step ${pausedAt}\\.$`));
  assert.ok(pausedAt < 40, `paused at ${pausedAt}`);
  await page.waitForTimeout(800);
  assert.equal((await losses()).length, pausedAt, 'no steps while paused');
  assert.equal(await page.isEnabled('#train-pause'), false);
  assert.equal(await page.isEnabled('#train-export'), true);
  // Resume from the keyboard.
  await page.focus('#train-resume');
  await page.keyboard.press('Enter');
  await waitTrain(['done', 'error'], 40000);
  assert.equal(await page.textContent('#train-error'), '');
  assert.match(await page.textContent('#train-status'), /^Done: 40 steps · loss \d\.\d+ .* \d+ ms\/step/);
  const all = await losses();
  assert.equal(all.length, 40);
  assert.ok(all.every(Number.isFinite));
  const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
  assert.ok(mean(all.slice(-10)) < mean(all.slice(0, 10)), `loss did not fall: ${all.map((l) => l.toFixed(3))}`);
  // The preview at step 40 (one image per class, sampled from the exported pipeline in a second Generator).
  await page.waitForFunction(() => document.getElementById('train-grid').dataset.step === '40' && !globalThis.ddpmTrainDemo.previewing,
                             null, { timeout: 30000 });
  const previews = await page.evaluate(() => [...document.querySelectorAll('#train-grid canvas')].map((c) => {
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    return { size: `${c.width}x${c.height}`, opaque: px.every((v, i) => i % 4 !== 3 || v === 255) };
  }));
  assert.deepEqual(previews, Array(10).fill({ size: '28x28', opaque: true }));
  // Export: a ustar archive of the diffusers pipeline folder.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-export')]);
  assert.equal(download.suggestedFilename(), 'fashion-mnist-browser-step40.tar');
  const tarBytes = readFileSync(await download.path());
  const entries = {};
  for (let at = 0; at + 512 <= tarBytes.length && tarBytes[at] !== 0;) {
    const header = tarBytes.subarray(at, at + 512);
    const name = header.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(header.subarray(124, 136).toString(), 8);
    const sum = header.reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
    assert.equal(parseInt(header.subarray(148, 156).toString(), 8), sum, `${name}: tar header checksum`);
    entries[name] = tarBytes.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  const dir = 'fashion-mnist-browser-step40/';
  assert.deepEqual(Object.keys(entries).sort(), ['loss.csv', 'model_index.json', 'scheduler/scheduler_config.json', 'unet/config.json',
                                                'unet/diffusion_pytorch_model.safetensors'].map((f) => dir + f));
  const config = JSON.parse(entries[`${dir}unet/config.json`].toString());
  assert.deepEqual([config.block_out_channels, config.sample_size, config.num_class_embeds, config.null_class_index], [[16, 32], 28, 11, 10]);
  assert.equal(JSON.parse(entries[`${dir}model_index.json`].toString())._class_name, 'DDPMPipeline');
  assert.equal(entries[`${dir}loss.csv`].toString().trim().split('\n').length, 41);
  // At phone width the tab fits without sideways scrolling.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true, 'train tab fits a phone');
  await page.setViewportSize({ width: 1100, height: 900 });
  await page.screenshot({ path: join(RESULTS, 'demo-train.png'), fullPage: true });
  assert.equal(await trainState(), 'done');
  assert.deepEqual(problems, []);
  await page.close();
});

test('the server sends wasm, module, JSON and safetensors MIME types and serves nothing outside web/, dist/ and models/', { skip }, async () => {
  const wasm = await fetch(new URL('/dist/simd/ddpm.wasm', env.baseUrl));
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  assert.equal(wasm.headers.get('cross-origin-opener-policy'), 'same-origin');
  const mjs = await fetch(new URL('/dist/simd-threads/ddpm.mjs', env.baseUrl));
  assert.match(mjs.headers.get('content-type'), /^text\/javascript/);
  const config = await fetch(new URL('/models/fashion-mnist/unet/config.json', env.baseUrl));
  assert.equal(config.headers.get('content-type'), 'application/json');
  assert.equal((await config.json()).null_class_index, 10);
  const weights = await fetch(new URL('/models/fashion-mnist/unet/diffusion_pytorch_model.safetensors', env.baseUrl), { method: 'HEAD' });
  assert.equal(weights.headers.get('content-type'), 'application/octet-stream');
  assert.equal(weights.headers.get('cross-origin-resource-policy'), 'same-origin');
  const plain = await fetch(new URL('/web/demo/', env.plainUrl));
  assert.equal(plain.headers.get('cross-origin-embedder-policy'), null);
  for (const path of ['/package.json', '/src/base/tensor.h', '/web/%2e%2e/package.json', '/build/']) {
    assert.equal((await fetch(new URL(path, env.baseUrl))).status, 404, path);
  }
});

test('the package runs inside a module Worker, with either build', { skip, timeout: 60000 }, async () => {
  const page = await env.browser.newPage();
  await page.goto(new URL('/web/demo/', env.baseUrl).href);
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
