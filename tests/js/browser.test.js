// The demo page in headless Chromium, served by tools/serve.mjs: the COOP/COEP headers must make the page
// cross-origin isolated so that the threaded build loads; the Generate tab (Generator in a module Worker) must
// make image-like pictures, cancel, and keep wasm memory bounded, and a first visit shows all ten classes; the
// schedulers must run in the browser, their plots readable (ticked axes, log axes labelled with values, a marker at
// the slider's t) and a garment noised as the model is (one grey channel); the Train tab must train (the loss falls),
// pause, resume and export a pipeline tar, showing placeholders rather than black squares before its first samples.
// Screenshots go to test-results/. Skipped when playwright-core (a devDependency) or Debian's chromium is missing.
// The harness (servers, Chromium, demoPage, gridStats, ...) is in browser_harness.js.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { toPNG } from '../../web/src/image.js';
import { canvasPixels, demoPage, env, openPage, fitsWidth, gridStats, RESULTS, setForm, setupBrowser, skip, state, waitState } from './browser_harness.js';
import { ROOT } from './helpers.js';

setupBrowser();

// Model folders made for the tests (a bad one, a large one): removed at the end.
const TMP = mkdtempSync(join(tmpdir(), 'ddpm-browser-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
const SHIPPED_UNET = join(ROOT, 'models/fashion-mnist/unet');
// The demo's default model and the settings its form starts from (the model's sampling_defaults.json).
const DEFAULTS = JSON.parse(readFileSync(join(ROOT, 'models/fashion-mnist-wide/sampling_defaults.json'), 'utf8'));

/** A folder under TMP with `files`: { relative path: contents, or { copyFrom: path } }. */
function folder(name, files) {
  const dir = join(TMP, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    if (content?.copyFrom) copyFileSync(content.copyFrom, join(dir, path));
    else writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Mean |difference| of horizontally adjacent pixels: high for noise, low for smooth pictures. */
const roughness = (px, w) => {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < px.length; ++i) {
    if (i % w === w - 1) continue;
    sum += Math.abs(px[i] - px[i + 1]);
    ++n;
  }
  return sum / n;
};
const meanAbsDiff = (a, b) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;

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

test('Schedulers: the schedule plots have labelled axes with readable ticks, and a marker that follows the t slider',
     { skip, timeout: 60000 }, async () => {
  const { page, problems } = await demoPage(`${env.baseUrl}#schedulers`);
  await page.waitForFunction(() => document.getElementById('plot-snr').dataset.markerT !== undefined);
  const plots = () => page.evaluate(() => Object.fromEntries(['plot-betas', 'plot-alphas', 'plot-snr'].map((id) => {
    const c = document.getElementById(id);
    return [id, { x: c.dataset.xTicks.split(' '), y: c.dataset.yTicks.split(' '), t: Number(c.dataset.markerT),
                  markerX: Number(c.dataset.markerX), label: c.getAttribute('aria-label') }];
  })));
  let p = await plots();
  // Ticks at round values, several per axis. The log axes (β, SNR) are labelled with the values themselves, all
  // positive (1e-4 … 1), never with their logarithms (the old top label of log10 β was "-4.3e-4"), and say "log scale".
  for (const [id, plot] of Object.entries(p)) {
    assert.ok(plot.x.length >= 4 && plot.y.length >= 4, `${id}: ${JSON.stringify(plot)}`);
    assert.deepEqual(plot.x.slice(0, 2), ['0', '250'], id);
  }
  assert.deepEqual(p['plot-betas'].y, ['1e-5', '1e-4', '0.001', '0.01', '0.1', '1']);
  assert.deepEqual(p['plot-alphas'].y, ['0', '0.2', '0.4', '0.6', '0.8', '1']);
  for (const id of ['plot-betas', 'plot-snr']) {
    assert.ok(p[id].y.every((v) => Number(v) > 0), `${id}: ${p[id].y}`);
    assert.match(p[id].label, /log scale/, id);
  }
  assert.ok(p['plot-snr'].y.includes('1'), p['plot-snr'].y);

  // The marker: a dashed dark line at t in each plot, and the chosen schedule's value there.
  const darkRows = (id, x) => page.evaluate(([id, x]) => {
    const c = document.getElementById(id);
    const { data } = c.getContext('2d').getImageData(x, 0, 1, c.height);
    let n = 0;
    for (let y = 30; y < c.height - 42; ++y) if (data[4 * y] < 80 && data[4 * y + 1] < 80 && data[4 * y + 2] < 80) ++n;
    return n / (c.height - 72);
  }, [id, x]);
  const betaAt = async (t) => (await page.evaluate((t) => {
    const t0 = document.getElementById('t');
    t0.value = String(t);
    t0.dispatchEvent(new Event('input'));
    return /β_t = ([\d.e+-]+)/.exec(document.getElementById('formula').textContent)[1];
  }, t));
  assert.equal(p['plot-betas'].t, 250);
  const x250 = p['plot-betas'].markerX;
  assert.ok(await darkRows('plot-betas', x250) > 0.3, 'a marker line at t = 250');
  const beta700 = Number(await betaAt(700));
  p = await plots();
  for (const plot of Object.values(p)) assert.equal(plot.t, 700);
  const x700 = p['plot-betas'].markerX;
  assert.ok(x700 > x250 + 100, `the marker moved right: ${x250} -> ${x700}`);
  assert.ok(await darkRows('plot-betas', x700) > 0.3, 'a marker line at t = 700');
  assert.ok(await darkRows('plot-betas', x250) < 0.1, 'no marker left at t = 250');
  const shown = Number(/Marker: t = 700, linear: βₜ = (\d+(?:\.\d+)?(?:e[+-]?\d+)?)/.exec(p['plot-betas'].label)?.[1]);
  assert.ok(Math.abs(shown / beta700 - 1) < 5e-3, `marker β ${shown}, formula β ${beta700}`);
  // Another schedule: the marker reads its curve.
  await page.selectOption('#schedule', 'squaredcos_cap_v2');
  assert.match((await plots())['plot-alphas'].label, /Marker: t = 700, squaredcos_cap_v2: ᾱₜ = 0\.\d+/);
  await page.locator('.plots').screenshot({ path: join(RESULTS, 'demo-schedule-plots.png') });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a first visit (as after npm start) generates one garment of each of the ten classes on its own within seconds', { skip, timeout: 90000 }, async () => {
  const t0 = Date.now();
  const { page, problems } = await openPage(env.baseUrl);
  await waitState(page, ['done', 'error'], 60000);
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(await state(page), 'done', await page.textContent('#gen-error'));
  assert.match(await page.textContent('#gen-status'), new RegExp(`^Done: 10 images, ${DEFAULTS.steps} ${DEFAULTS.scheduler} steps`));
  // All ten classes, one each (a batch of 8 never showed Bag or Ankle boot).
  assert.deepEqual(await page.$$eval('#gen-grid figcaption', (f) => f.map((x) => x.textContent)),
                   ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
  const stats = await gridStats(page);
  assert.equal(stats.length, 10);
  for (const s of stats) assert.ok(s.std > 20 && s.mean > 5 && s.mean < 200, `an image-like picture: ${JSON.stringify(s)}`);
  console.log(`first visit: 10 garments generated ${seconds.toFixed(1)} s after opening the page`);
  await page.screenshot({ path: join(RESULTS, 'demo-first-visit.png'), fullPage: true });
  assert.ok(seconds < 30, `${seconds} s`);
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
  assert.equal(await page.inputValue('#gen-guidance'), String(DEFAULTS.guidance_scale));  // the model's sampling_defaults.json
  const [lo, hi] = DEFAULTS.guidance_interval ?? [0, 999];  // absent: every timestep
  assert.deepEqual([await page.inputValue('#gen-guide-lo'), await page.inputValue('#gen-guide-hi')], [String(lo), String(hi)]);
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
  assert.match(await page.textContent('#gen-status'), new RegExp(`^Done: 6 images, 4 ${DEFAULTS.scheduler} steps, \\d+ ms/step .* simd-threads`));
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
  assert.match(download.suggestedFilename(), /^ddpm-fashion-mnist-wide-seed7\.png$/);
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
  assert.match(await page.textContent('#gen-status'), new RegExp(`^Done: 2 images, 2 ${DEFAULTS.scheduler} steps, .* simd, 1 thread$`));
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
  // Before any step the grid holds placeholders that cannot pass for samples: hatched, not black, "not sampled yet".
  const grid = () => page.evaluate(() => [...document.querySelectorAll('#train-grid figure')].map((f) => ({
    empty: f.dataset.empty !== undefined, caption: f.querySelector('figcaption').textContent,
    background: getComputedStyle(f.querySelector('canvas')).backgroundImage,
    drawn: (() => { const c = f.querySelector('canvas'); return c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v > 0); })(),
  })));
  const untrained = await grid();
  assert.equal(untrained.length, 10);
  for (const f of untrained) {
    assert.ok(f.empty && !f.drawn && /: not sampled yet$/.test(f.caption), JSON.stringify(f));
    assert.match(f.background, /repeating-linear-gradient/, 'a hatched placeholder, not a black square');
  }
  assert.match(await page.textContent('#train-preview-title'), /none yet, the model is untrained/);
  await page.locator('#train-grid').screenshot({ path: join(RESULTS, 'demo-train-untrained.png') });
  // A run shorter than the loss's mean of 20 says how many steps it averaged.
  await setForm(page, { 'train-steps': 12, 'train-preview-every': 20, 'train-batch': 16, 'train-seed': 3 });
  await page.click('#train-start');
  await waitTrain(['done', 'error'], 40000);
  assert.match(await page.textContent('#train-status'), /^Done: 12 steps · loss \d\.\d+ \(mean of the last 12 steps\) · /);
  await setForm(page, { 'train-steps': 40 });
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
  assert.match(await page.textContent('#train-status'), /^Done: 40 steps · loss \d\.\d+ \(mean of the last 20 steps\) · \d+ ms\/step/);
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
  assert.ok((await grid()).every((f) => !f.empty && !/not sampled/.test(f.caption)), 'the samples replaced the placeholders');
  assert.match(await page.textContent('#train-preview-title'), /^Samples after step 40/);
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

test('Generate: x_t and the predicted x0 fill in side by side, and the step scrubber replays the run from the keyboard',
     { skip, timeout: 90000 }, async () => {
  const { page, problems } = await demoPage(env.baseUrl);
  await setForm(page, { 'gen-steps': 10, 'gen-batch': 4, 'gen-seed': 3, 'gen-class': 'all', 'gen-scheduler': 'ddim' });
  // During the run both grids are drawn at every step (and the scrubber follows the latest step).
  await page.evaluate(() => {
    globalThis.seenBoth = [];
    new MutationObserver(() => {
      const m = /^Step (\d+) of/.exec(document.getElementById('gen-status').textContent);
      if (!m) return;
      const drawn = (sel) => [...document.querySelectorAll(sel)].every((c) =>
        c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v === 255));
      globalThis.seenBoth.push({ step: Number(m[1]), xt: drawn('#gen-xt-grid canvas'), x0: drawn('#gen-grid canvas'),
                                 scrub: document.getElementById('gen-scrub').value });
    }).observe(document.getElementById('gen-status'), { childList: true, characterData: true, subtree: true });
  });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error']);
  assert.equal(await page.textContent('#gen-error'), '');
  const seen = await page.evaluate(() => globalThis.seenBoth);
  assert.deepEqual(seen.map((s) => s.step), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(seen.every((s) => s.xt && s.x0), 'both grids drawn at every step');
  assert.deepEqual(seen.map((s) => s.scrub), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], 'the scrubber follows the run');
  assert.equal(await page.locator('#gen-xt-grid canvas').count(), 4);
  assert.equal(await page.evaluate(() => globalThis.ddpmDemo.frames.length), 10);
  assert.equal(await page.isEnabled('#gen-scrub'), true);
  assert.equal(await page.getAttribute('#gen-scrub', 'max'), '9');
  assert.match(await page.textContent('#gen-scrub-out'), /^step 10 of 10, t = 0 \(final\)$/);
  assert.match(await page.textContent('#gen-scrub-note'), /^Keeping all 10 steps/);

  const W = 32;
  const finalXt = await canvasPixels(page, '#gen-xt-grid canvas');
  const finalX0 = await canvasPixels(page, '#gen-grid canvas');
  // At the last step x_t is the sample itself and the predicted x0 agrees with it.
  for (let i = 0; i < 4; ++i) assert.ok(meanAbsDiff(finalXt[i], finalX0[i]) < 3, `final x_t vs x0 of image ${i}: ${meanAbsDiff(finalXt[i], finalX0[i])}`);

  // Home: back to the first step. x_t is still mostly noise there, and the predicted x0 a different picture.
  await page.focus('#gen-scrub');
  await page.keyboard.press('Home');
  assert.match(await page.textContent('#gen-scrub-out'), /^step 1 of 10, t = 900$/);
  assert.equal(await page.getAttribute('#gen-scrub', 'aria-valuetext'), 'step 1 of 10, t = 900');
  const firstXt = await canvasPixels(page, '#gen-xt-grid canvas');
  const firstX0 = await canvasPixels(page, '#gen-grid canvas');
  for (let i = 0; i < 4; ++i) {
    // (The predicted x0 of this small model is grainy too at t = 900: x_t is compared with the final x_t.)
    const [rxt, rEnd] = [roughness(firstXt[i], W), roughness(finalXt[i], W)];
    assert.ok(rxt > 2 * rEnd && rxt > 50, `step 1, image ${i}: x_t roughness ${rxt.toFixed(1)}, final x_t ${rEnd.toFixed(1)}`);
    assert.ok(meanAbsDiff(firstXt[i], firstX0[i]) > 20, `step 1, image ${i}: x_t and x0 differ`);
    assert.ok(meanAbsDiff(firstXt[i], finalXt[i]) > 20, `image ${i}: the replayed x_t is an earlier frame`);
  }
  await page.screenshot({ path: join(RESULTS, 'demo-scrubber.png'), fullPage: true });
  // Arrow keys step through the frames; End returns to the final images exactly.
  await page.keyboard.press('ArrowRight');
  assert.match(await page.textContent('#gen-scrub-out'), /^step 2 of 10, t = 800$/);
  await page.keyboard.press('End');
  assert.deepEqual(await canvasPixels(page, '#gen-grid canvas'), finalX0);
  assert.deepEqual(await canvasPixels(page, '#gen-xt-grid canvas'), finalXt);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await page.evaluate(() => document.getElementById('gen-grid').dataset.frame), '9');

  // At phone width the two grids stack, and nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await fitsWidth(page), true);
  const [xtBox, x0Box] = [await page.locator('#gen-xt-grid').boundingBox(), await page.locator('#gen-grid').boundingBox()];
  assert.ok(x0Box.y >= xtBox.y + xtBox.height, `stacked: x_t ${JSON.stringify(xtBox)}, x0 ${JSON.stringify(x0Box)}`);
  await page.screenshot({ path: join(RESULTS, 'demo-scrubber-phone.png'), fullPage: true });
  await page.setViewportSize({ width: 1100, height: 900 });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Generate: the kept trajectory stays under its 64 MB cap by keeping one step in 2^k, and says so', { skip }, async () => {
  const page = await env.browser.newPage();
  await page.goto(new URL('/web/demo/', env.baseUrl).href);
  const r = await page.evaluate(async () => {
    const { FrameStore } = await import('/web/demo/frames.js');
    const store = new FrameStore();
    const shape = [64, 1, 32, 32];  // batch 64 of 32x32: 128 KiB a step (x_t and x0), 1000 steps would be 125 MiB
    store.reset(shape, 1000);
    const zeros = { data: new Float32Array(64 * 32 * 32), shape };
    let peak = 0;
    for (let step = 1; step <= 1000; ++step) {
      store.add({ step, timestep: 1000 - step, latents: zeros, preview: zeros });
      peak = Math.max(peak, store.bytes);
    }
    const huge = new FrameStore();
    huge.reset([64, 3, 512, 512], 50);  // 96 MiB a step: only the latest
    huge.add({ step: 1, timestep: 980, latents: { data: new Float32Array(1), shape: [1, 1, 1, 1] }, preview: { data: new Float32Array(1), shape: [1, 1, 1, 1] } });
    huge.add({ step: 2, timestep: 960, latents: { data: new Float32Array(1), shape: [1, 1, 1, 1] }, preview: { data: new Float32Array(1), shape: [1, 1, 1, 1] } });
    return { stride: store.stride, length: store.length, peak, steps: store.frames.map((f) => f.step), text: store.describe(),
             hugeLength: huge.length, hugeText: huge.describe() };
  });
  assert.equal(r.stride, 2);
  assert.ok(r.peak <= 64 << 20, `peak ${r.peak}`);
  assert.equal(r.length, 501);  // step 1 and the 500 even steps (1000 among them)
  assert.deepEqual(r.steps.slice(0, 4), [1, 2, 4, 6]);
  assert.equal(r.steps.at(-1), 1000);
  assert.match(r.text, /^Keeping one step in 2, and the first and last \(501 frames, 62\.6 MB\): all 1000 would not fit under the 64\.0 MB cap\.$/);
  assert.equal(r.hugeLength, 1);
  assert.match(r.hugeText, /^Keeping only the latest step/);
  await page.close();
});

test('Schedulers: the forward-diffusion explorer noises a Fashion-MNIST garment and an uploaded PNG, with the formula\'s numbers',
     { skip, timeout: 60000 }, async () => {
  const { page, problems } = await demoPage(`${env.baseUrl}#schedulers`);
  await page.waitForFunction(() => document.getElementById('formula').textContent !== '');
  // ᾱ_t of the linear schedule (β from 1e-4 to 0.02 over 1000 steps), computed here independently.
  const abar = (t) => {
    let a = 1;
    for (let s = 0; s <= t; ++s) a *= 1 - (0.0001 + (0.02 - 0.0001) * s / 999);
    return a;
  };
  const numbers = async () => {
    const text = await page.textContent('#formula');
    const m = /= ([\d.]+)·x₀ \+ ([\d.]+)·ε .*t = (\d+),.*SNR = ᾱ_t\/\(1−ᾱ_t\) = ([\d.e+-]+),/.exec(text);
    assert.ok(m, text);
    return { sqrtAbar: Number(m[1]), sqrtOneMinus: Number(m[2]), t: Number(m[3]), snr: Number(m[4]) };
  };
  assert.equal(await page.inputValue('#schedule'), 'linear');
  let n = await numbers();
  assert.equal(n.t, 250);
  assert.ok(Math.abs(n.sqrtAbar - Math.sqrt(abar(250))) < 2e-4, JSON.stringify(n));
  assert.ok(Math.abs(n.sqrtOneMinus - Math.sqrt(1 - abar(250))) < 2e-4, JSON.stringify(n));
  assert.ok(Math.abs(n.snr / (abar(250) / (1 - abar(250))) - 1) < 1e-3, JSON.stringify(n));

  // The synthetic scene is in colour, and so is its noise ε.
  assert.equal((await gridStats(page, '#eps'))[0].opaque, false, 'colour noise on a colour picture');
  // A garment from the shipped subset as the shipped model is trained on it: one channel, 28x28 padded with black to
  // 32x32. Its noise is one channel too, drawn grey like the garment, and so x_t stays grey: the model never sees a
  // grey garment under colour noise.
  await page.selectOption('#x0-source', 'garment:7');
  await page.waitForFunction(() => document.getElementById('x0').dataset.source === 'garment:7');
  assert.match(await page.textContent('#x0-caption'), /Sneaker, 28×28 padded to 32×32, one channel/);
  assert.match(await page.textContent('#eps-caption'), /^ε ~ N\(0, I\): 32×32, one channel/);
  const [x0, eps, xt] = [...await gridStats(page, '#x0'), ...await gridStats(page, '#eps'), ...await gridStats(page, '#xt')];
  assert.deepEqual([x0.width, x0.height, x0.opaque], [32, 32, true]);  // opaque: every pixel opaque grey
  assert.ok(x0.min === 0 && x0.max > 150, JSON.stringify(x0));
  assert.deepEqual([eps.width, eps.height, eps.opaque], [32, 32, true], `ε is grey: ${JSON.stringify(eps)}`);
  assert.ok(eps.std > 60, `ε is noise: ${JSON.stringify(eps)}`);
  assert.deepEqual([xt.width, xt.height, xt.opaque], [32, 32, true], `x_t is grey: ${JSON.stringify(xt)}`);
  await page.locator('.images').screenshot({ path: join(RESULTS, 'demo-explorer-garment.png') });
  // t = 0 (Home on the slider, from the keyboard): x_t is x0 up to a little noise; at t = 999 it is noise.
  await page.focus('#t');
  await page.keyboard.press('Home');
  n = await numbers();
  assert.equal(n.t, 0);
  assert.ok(n.sqrtAbar >= 0.9999 && n.sqrtOneMinus <= 0.0101, JSON.stringify(n));
  let [px0, pxt] = [(await canvasPixels(page, '#x0'))[0], (await canvasPixels(page, '#xt'))[0]];
  assert.ok(meanAbsDiff(px0, pxt) < 2, `t = 0: ${meanAbsDiff(px0, pxt)}`);
  await page.keyboard.press('End');
  n = await numbers();
  assert.equal(n.t, 999);
  assert.ok(n.sqrtAbar < 0.01, JSON.stringify(n));
  pxt = (await canvasPixels(page, '#xt'))[0];
  assert.ok(meanAbsDiff(px0, pxt) > 50 && roughness(pxt, 32) > 50, `t = 999: ${meanAbsDiff(px0, pxt)}`);
  // At t = 999 x_t is (nearly) the ε shown: the same single-channel noise.
  assert.ok(meanAbsDiff(pxt, (await canvasPixels(page, '#eps'))[0]) < 3, 'x_t at t = 999 is the ε shown');
  assert.equal((await gridStats(page, '#xt'))[0].opaque, true, 'x_t stays grey at every t');

  // An uploaded PNG, 100x50, red left half, blue right half: centre-cropped to 50x50, resized to 64x64.
  const w = 100;
  const h = 50;
  const data = new Float32Array(3 * w * h);
  for (let y = 0; y < h; ++y) {
    for (let x = 0; x < w; ++x) {
      const red = x < w / 2;
      data[y * w + x] = red ? 1 : -1;
      data[w * h + y * w + x] = -1;
      data[2 * w * h + y * w + x] = red ? -1 : 1;
    }
  }
  await page.setInputFiles('#x0-upload', { name: 'halves.png', mimeType: 'image/png', buffer: Buffer.from(toPNG({ data, shape: [1, 3, h, w] })) });
  await page.waitForFunction(() => document.getElementById('x0').dataset.source === 'uploaded');
  assert.equal(await page.inputValue('#x0-source'), 'uploaded');
  assert.match(await page.textContent('#x0-source option[value=uploaded]'), /halves\.png/);
  const rgb = (x, y) => page.evaluate(([x, y]) => [...document.getElementById('x0').getContext('2d').getImageData(x, y, 1, 1).data], [x, y]);
  const [left, right] = [await rgb(16, 32), await rgb(48, 32)];
  assert.ok(left[0] > 200 && left[2] < 50, `left ${left}`);
  assert.ok(right[2] > 200 && right[0] < 50, `right ${right}`);
  await page.evaluate(() => {
    const t = document.getElementById('t');
    t.value = '300';
    t.dispatchEvent(new Event('input'));
  });
  n = await numbers();
  assert.equal(n.t, 300);
  assert.ok(Math.abs(n.sqrtAbar - Math.sqrt(abar(300))) < 2e-4, JSON.stringify(n));
  // The DDIM reverse run now starts from noise and lands on the uploaded image.
  await page.click('#reverse');
  await page.waitForFunction(() => /^after|error/.test(document.getElementById('rev-caption').textContent));
  const err = Number(/max \|x − x0\| = ([^,]+),/.exec(await page.textContent('#rev-caption'))?.[1]);
  assert.ok(err < 1e-5, String(err));
  [px0, pxt] = [(await canvasPixels(page, '#x0'))[0], (await canvasPixels(page, '#rev'))[0]];
  assert.ok(meanAbsDiff(px0, pxt) < 1, 'the reverse run drew the uploaded image');
  assert.equal(await fitsWidth(page), true);
  await page.screenshot({ path: join(RESULTS, 'demo-explorer.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  assert.equal(await fitsWidth(page), true, 'the explorer fits a phone');
  await page.screenshot({ path: join(RESULTS, 'demo-explorer-phone.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a cross-origin isolated page whose threaded build fails to load runs the simd build and shows a notice',
     { skip, timeout: 60000 }, async () => {
  const blocked = [];
  const { page, problems } = await demoPage(env.baseUrl, undefined, {
    route: (p) => p.route('**/dist/simd-threads/**', (route) => {
      blocked.push(route.request().url());
      return route.fulfill({ status: 404, body: 'not found', headers: { 'Cross-Origin-Resource-Policy': 'same-origin' } });
    }),
  });
  assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
  assert.ok(blocked.length > 0, 'the threaded build was asked for');
  assert.match(await page.textContent('#gen-info'), /build simd, 1 thread \(.*simd-threads failed to load/);
  assert.equal(await page.isVisible('#gen-notice'), true);
  assert.match(await page.textContent('#gen-notice'), /^Running on one thread: .*threaded build \(dist\/simd-threads\/\) failed to load/);
  await setForm(page, { 'gen-steps': 2, 'gen-batch': 2 });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error']);
  assert.match(await page.textContent('#gen-status'), new RegExp(`^Done: 2 images, 2 ${DEFAULTS.scheduler} steps, .* simd, 1 thread$`));
  await page.click('#tab-schedulers');
  await page.waitForFunction(() => document.getElementById('info').textContent !== 'loading…');
  assert.equal(await page.isVisible('#sched-notice'), true);
  assert.match(await page.textContent('#sched-notice'), /failed to load/);
  await page.screenshot({ path: join(RESULTS, 'demo-no-threads.png'), fullPage: true });
  // The only console errors are the blocked requests themselves.
  assert.deepEqual(problems.filter((p) => !/404|Failed to load|Failed to fetch dynamically imported module/.test(p)), []);
  await page.close();
});

test('Generate: a bad model folder says what is wrong and keeps the previous model; the Model menu opens the folder picker',
     { skip, timeout: 90000 }, async () => {
  const { page, problems } = await demoPage(env.baseUrl);
  const weights = join(SHIPPED_UNET, 'diffusion_pytorch_model.safetensors');
  const noConfig = folder('no-config', { 'diffusion_pytorch_model.safetensors': { copyFrom: weights }, 'notes.txt': 'hi' });
  const truncated = folder('truncated', { 'config.json': readFileSync(join(SHIPPED_UNET, 'config.json')),
                                          'diffusion_pytorch_model.safetensors': readFileSync(weights).subarray(0, 100000) });
  const loadFolder = async (dir) => {
    await page.setInputFiles('#gen-folder', dir);
    await waitState(page, ['ready', 'error']);
  };
  await loadFolder(noConfig);
  assert.equal(await state(page), 'ready');
  assert.match(await page.textContent('#gen-error'),
               /^Could not load the model "no-config": Error: model files: no model_index.json, and no config.json with diffusion_pytorch_model.safetensors beside it.*\nThe previous model, fashion-mnist-wide, is still loaded\. Pick a diffusers folder/s);
  assert.equal(await page.inputValue('#gen-model'), 'shipped');
  await loadFolder(truncated);
  const message = await page.textContent('#gen-error');
  assert.match(message, /^Could not load the model "truncated": Error: .*safetensors.*\nThe previous model, fashion-mnist-wide, is still loaded/s);
  assert.match(message, /truncated|too short|past the end|bytes/i, message);
  await page.screenshot({ path: join(RESULTS, 'demo-bad-folder.png'), fullPage: true });
  // The previous model still generates.
  await setForm(page, { 'gen-steps': 2, 'gen-batch': 2, 'gen-class': '9' });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error']);
  assert.equal(await page.textContent('#gen-error'), '');
  assert.deepEqual(await page.$$eval('#gen-grid figcaption', (f) => f.map((x) => x.textContent)), ['Ankle boot', 'Ankle boot']);
  // "Your own folder…" in the Model menu opens the folder picker; the folder becomes a menu entry.
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.selectOption('#gen-model', 'folder')]);
  assert.equal(chooser.isMultiple(), true);
  assert.equal(await page.inputValue('#gen-model'), 'shipped', 'the menu shows the loaded model while the picker is open');
  await chooser.setFiles(join(ROOT, 'models/fashion-mnist'));
  await page.waitForFunction(() => document.getElementById('gen-model').value === 'custom', null, { timeout: 30000 });
  assert.equal(await state(page), 'ready');
  assert.equal(await page.textContent('#gen-model option[value=custom]'), 'fashion-mnist (your folder)');
  assert.match(await page.textContent('#gen-info'), /Model fashion-mnist:/);
  // Back to the shipped model from the menu, with the keyboard.
  await page.focus('#gen-model');
  await page.selectOption('#gen-model', 'shipped');
  await waitState(page, ['ready', 'error']);
  assert.equal(await page.inputValue('#gen-model'), 'shipped');
  assert.match(await page.textContent('#gen-info'), /Model fashion-mnist-wide:/);
  assert.equal(await page.textContent('#gen-error'), '');
  // The smaller shipped model, from the menu.
  await page.selectOption('#gen-model', 'small');
  await waitState(page, ['ready', 'error']);
  assert.equal(await page.inputValue('#gen-model'), 'small');
  assert.match(await page.textContent('#gen-info'), /Model fashion-mnist:/);
  assert.equal(await page.textContent('#gen-error'), '');
  assert.deepEqual(problems, []);
  await page.close();
});

test('Generate: a batch that needs more than the 4 GB of wasm memory says out of memory, and the next run works',
     { skip, timeout: 120000 }, async () => {
  const { page, problems } = await demoPage(env.baseUrl);
  // The shipped weights at 256x256 (a UNet's weights do not depend on the image size): a batch of 64 needs an
  // activation arena of more than 4 GB, more than wasm32 can address.
  const config = JSON.parse(readFileSync(join(SHIPPED_UNET, 'config.json'), 'utf8'));
  const big = folder('big-256', { 'config.json': JSON.stringify({ ...config, sample_size: 256 }),
                                  'diffusion_pytorch_model.safetensors': { copyFrom: join(SHIPPED_UNET, 'diffusion_pytorch_model.safetensors') } });
  await page.setInputFiles('#gen-folder', big);
  await waitState(page, ['ready', 'error']);
  assert.equal(await page.textContent('#gen-error'), '');
  assert.match(await page.textContent('#gen-info'), /256×256×1/);
  await setForm(page, { 'gen-steps': 1, 'gen-batch': 64, 'gen-class': '0' });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error'], 60000);
  assert.equal(await state(page), 'error');
  assert.equal(await page.textContent('#gen-status'), 'Out of memory.');
  const message = await page.textContent('#gen-error');
  assert.match(message, /^Out of memory: Error: .*cannot allocate.*\nSampling 64 images of 256×256×1 needs more wasm memory than this tab can give/s);
  assert.equal(await page.locator('#gen-grid canvas, #gen-xt-grid canvas').count(), 0, 'no blank canvases left');
  await page.screenshot({ path: join(RESULTS, 'demo-out-of-memory.png'), fullPage: true });
  // Still usable: the same model, one image.
  assert.equal(await page.isEnabled('#gen-run'), true);
  await setForm(page, { 'gen-batch': 1 });
  await page.click('#gen-run');
  await waitState(page, ['done', 'error'], 60000);
  assert.equal(await page.textContent('#gen-error'), '');
  assert.match(await page.textContent('#gen-status'), new RegExp(`^Done: 1 image, 1 ${DEFAULTS.scheduler} steps`));
  const [s] = await gridStats(page);
  assert.deepEqual([s.width, s.height], [256, 256]);
  assert.deepEqual(problems, []);
  await page.close();
});
