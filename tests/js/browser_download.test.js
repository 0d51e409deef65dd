// Models loaded from a URL in headless Chromium (Debian's /usr/bin/chromium through playwright-core), from
// model_server.js, which counts the requests it gets: the first load reports each file's progress up to its size;
// the files go into the Cache API (MODEL_CACHE_NAME), so a second load reads them from there (fromCache) and the
// server gets no request for them; `cache: false` downloads again, `cache: 'name'` uses another cache, and
// clearModelCache forgets a model or a cache. The same through Generator, whose worker fetches the model. A download
// that breaks off, a body shorter than its Content-Length and a "model" that does not load (an HTML page served as
// the weights) are errors, and nothing of them is kept. The demo's Generate tab shows the download (a labelled
// <progress>, "Downloading model: x / y MB") and, on the next visit, that the model came from the cache.
// Skipped when playwright-core (a devDependency) or Debian's chromium is missing.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium, CHROMIUM, RESULTS, skip, waitState } from './browser_harness.js';
import { ROOT } from './helpers.js';
import { startModelServer } from './model_server.js';

const MODEL = 'models/fashion-mnist/';
const WEIGHTS = 'unet/diffusion_pytorch_model.safetensors';
const SIZE = statSync(join(ROOT, MODEL, WEIGHTS)).size;
// The demo's default model (web/demo/generate.js), which its page downloads.
const DEMO_MODEL = 'models/fashion-mnist-wide/';
const DEMO_SIZE = statSync(join(ROOT, DEMO_MODEL, WEIGHTS)).size;

let server = null;
let browser = null;
before(async () => {
  if (skip) return;
  server = await startModelServer();
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

const urlOf = (tag) => `${server.url}v/${tag}/${MODEL}`;
const pathOf = (tag, file = '') => `/v/${tag}/${MODEL}${file}`;
/** The files of the model under `tag` the server answered with 200 (once each). */
const servedFiles = (tag) => [...new Set(server.requests.filter((r) => r.path.startsWith(pathOf(tag)) && r.status === 200)
  .map((r) => r.path.slice(pathOf(tag).length)))];
const requestsUnder = (tag) => server.requests.filter((r) => r.path.startsWith(pathOf(tag))).length;

/** A page of the server's origin (a secure context: 127.0.0.1) in a fresh browser context, recording errors. */
async function newPage() {
  const page = await browser.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(server.url);
  return { page, problems };
}

/** UNet2DModel.fromPretrained(url, options) in the page: its onDownload events and a forward pass of the model. */
const loadUnet = (page, url, options = {}) => page.evaluate(async ({ url, options }) => {
  const { ready, UNet2DModel } = await import('/web/src/index.js');
  await ready();
  const events = [];
  const unet = await UNet2DModel.fromPretrained(url, { ...options, onDownload: (p) => events.push(p) });
  try {
    const x = { data: Float32Array.from({ length: 32 * 32 }, (_, i) => Math.sin(i)), shape: [1, 1, 32, 32] };
    return { events, out: Array.from(unet.forward(x, [500], [3]).data) };
  } finally {
    unet.dispose();
  }
}, { url, options });

/** The URLs kept in the Cache API cache `name` that start with `prefix`. */
const keptUrls = (page, prefix, name = 'ddpm-wasm-models') => page.evaluate(async ({ prefix, name }) => {
  if (!(await caches.has(name))) return [];
  return (await (await caches.open(name)).keys()).map((r) => r.url).filter((u) => u.startsWith(prefix));
}, { prefix, name });

const ofFile = (events, file) => events.filter((e) => e.file === file);

/** A first download of `file`: from 0 to its size, streamed, never from the cache. */
function assertDownloaded(events, file, size) {
  assert.ok(events.length >= 3, `${file}: ${events.length} events`);
  assert.deepEqual([events[0].loaded, events[0].total], [0, size], `${file}: first event`);
  for (let i = 1; i < events.length; ++i) assert.ok(events[i].loaded >= events[i - 1].loaded, `${file}: loaded went back`);
  assert.ok(events.every((e) => e.fromCache === false && e.total === size));
  assert.ok(events.some((e) => e.loaded > 0 && e.loaded < size), `${file}: no event between 0 and the size: not streamed`);
  const last = events.at(-1);
  assert.deepEqual([last.loaded, last.total, last.done], [size, size, true], `${file}: last event`);
}

test('fromPretrained from a URL: progress up to the file size, then the Cache API (no second request); cache: false and ' +
     "cache: 'name' download again; clearModelCache forgets", { skip, timeout: 180000 }, async () => {
  const { page, problems } = await newPage();
  assert.equal(await page.evaluate(() => typeof caches), 'object', 'the page has the Cache API (127.0.0.1 is a secure context)');
  const url = urlOf('unet');
  const weights = pathOf('unet', WEIGHTS);

  const first = await loadUnet(page, url);
  assertDownloaded(ofFile(first.events, WEIGHTS), WEIGHTS, SIZE);
  assert.equal(server.count(weights), 1);
  const files = servedFiles('unet');
  assert.ok(files.includes(WEIGHTS) && files.includes('unet/config.json'), files.join(', '));
  assert.deepEqual((await keptUrls(page, url)).sort(), files.map((f) => url + f).sort(), 'every file of the model is kept');

  // The second load reads every file from the cache: no request for any of them, one event each, the same model.
  const before2 = server.requests.length;
  const second = await loadUnet(page, url);
  const again = server.requests.slice(before2).filter((r) => files.some((f) => r.path === pathOf('unet', f)));
  assert.deepEqual(again, [], 'the second load asked the server for cached files');
  assert.deepEqual(ofFile(second.events, WEIGHTS).map(({ loaded, total, fromCache, done }) => ({ loaded, total, fromCache, done })),
                   [{ loaded: SIZE, total: SIZE, fromCache: true, done: true }]);
  assert.ok(second.events.every((e) => e.fromCache && e.done && e.loaded === e.total));
  assert.deepEqual(second.out, first.out, 'the cached model computes what the downloaded one did');

  // cache: false downloads again (and uses nothing kept); a cache of another name starts empty.
  const third = await loadUnet(page, url, { cache: false });
  assertDownloaded(ofFile(third.events, WEIGHTS), WEIGHTS, SIZE);
  assert.equal(server.count(weights), 2);
  await loadUnet(page, url, { cache: 'my-models' });
  assert.equal(server.count(weights), 3);
  const fifth = await loadUnet(page, url, { cache: 'my-models' });
  assert.equal(server.count(weights), 3);
  assert.ok(fifth.events.every((e) => e.fromCache));
  assert.equal((await keptUrls(page, url, 'my-models')).length, files.length);

  // clearModelCache({ model }) forgets that model only; clearModelCache(name) and () whole caches.
  const cleared = await page.evaluate(async (u) => {
    const { clearModelCache } = await import('/web/src/index.js');
    return clearModelCache({ model: u });
  }, url);
  assert.equal(cleared, true);
  assert.deepEqual(await keptUrls(page, url), []);
  assert.equal((await keptUrls(page, url, 'my-models')).length, files.length);
  const sixth = await loadUnet(page, url);
  assertDownloaded(ofFile(sixth.events, WEIGHTS), WEIGHTS, SIZE);
  assert.equal(server.count(weights), 4);
  const names = await page.evaluate(async () => {
    const { clearModelCache, MODEL_CACHE_NAME } = await import('/web/src/index.js');
    const r = [await clearModelCache('my-models'), await caches.has('my-models'), await clearModelCache(),
               await caches.has(MODEL_CACHE_NAME), await clearModelCache()];
    return { r, name: MODEL_CACHE_NAME };
  });
  assert.deepEqual(names, { r: [true, false, true, false, false], name: 'ddpm-wasm-models' });
  assert.deepEqual(problems, []);
  await page.close();
});

test("Generator.create from a URL: the worker downloads with progress to the page's onDownload, and a second Generator " +
     'reads the cache', { skip, timeout: 180000 }, async () => {
  const { page, problems } = await newPage();
  const create = () => page.evaluate(async (url) => {
    const { Generator } = await import('/web/src/index.js');
    const events = [];
    const gen = await Generator.create({ model: url, threads: 1, onDownload: (p) => events.push(p) });
    try {
      const { images } = await gen.generate({ numImages: 1, classLabels: [7], steps: 3, seed: 5 });
      return { events, images: Array.from(images.data), sampleSize: gen.modelInfo.sampleSize };
    } finally {
      await gen.dispose();
    }
  }, urlOf('gen'));
  const first = await create();
  assertDownloaded(ofFile(first.events, WEIGHTS), WEIGHTS, SIZE);
  assert.equal(server.count(pathOf('gen', WEIGHTS)), 1);
  const n = requestsUnder('gen');
  const second = await create();
  assert.equal(requestsUnder('gen'), n, 'the second Generator fetched model files');
  assert.deepEqual(ofFile(second.events, WEIGHTS).map((e) => [e.loaded, e.total, e.fromCache, e.done]), [[SIZE, SIZE, true, true]]);
  assert.deepEqual(second.images, first.images, 'the same images from the cached model');
  assert.deepEqual(problems, []);
  await page.close();
});

test('a download that breaks off, a body shorter than its Content-Length, and weights that are not a model: clear errors, ' +
     'nothing kept, and the next load downloads the whole model', { skip, timeout: 180000 }, async () => {
  const { page, problems } = await newPage();
  const tryLoad = (url, options = {}) => loadUnet(page, url, options).then(() => 'loaded', (e) => e.message);

  // The server closes the connection halfway through the weights.
  server.truncate.add(pathOf('cut', WEIGHTS));
  const cut = await tryLoad(urlOf('cut'));
  assert.match(cut, new RegExp(`${urlOf('cut')}${WEIGHTS}: incomplete download: \\d+ of ${SIZE} bytes arrived \\(`), cut);
  assert.deepEqual(await keptUrls(page, urlOf('cut')), [], 'nothing of a model that did not load is kept');
  const viaWorker = await page.evaluate(async (url) => {
    const { Generator } = await import('/web/src/index.js');
    return Generator.create({ model: url, threads: 1 }).then(() => 'loaded', (e) => e.message);
  }, urlOf('cut'));
  assert.match(viaWorker, /incomplete download: \d+ of \d+ bytes arrived/);
  assert.deepEqual(await keptUrls(page, urlOf('cut')), []);
  server.truncate.delete(pathOf('cut', WEIGHTS));
  const whole = await loadUnet(page, urlOf('cut'));
  assertDownloaded(ofFile(whole.events, WEIGHTS), WEIGHTS, SIZE);
  assert.ok((await keptUrls(page, urlOf('cut'))).includes(`${urlOf('cut')}${WEIGHTS}`));

  // A response whose body is shorter than the Content-Length it announces (a fetch that does not notice).
  const short = await page.evaluate(async ({ url, weights }) => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const r = await realFetch(input, init);
      if (!String(input).endsWith(weights)) return r;
      const bytes = new Uint8Array(await r.arrayBuffer());
      return new Response(bytes.slice(0, bytes.length - 4096), { headers: { 'Content-Length': String(bytes.length) } });
    };
    try {
      const { UNet2DModel } = await import('/web/src/index.js');
      return await UNet2DModel.fromPretrained(url).then(() => 'loaded', (e) => e.message);
    } finally {
      globalThis.fetch = realFetch;
    }
  }, { url: urlOf('short'), weights: WEIGHTS });
  assert.equal(short, `${urlOf('short')}${WEIGHTS}: incomplete download: ${SIZE - 4096} of ${SIZE} bytes arrived (shorter than its Content-Length)`);
  assert.deepEqual(await keptUrls(page, urlOf('short')), []);

  // A server that answers a missing file with its index.html (200): the core refuses the weights; nothing is kept,
  // so once the real file is there the model loads (and not the page from a cache).
  server.replace.set(pathOf('html', WEIGHTS), '<!doctype html><title>My app</title><p>Welcome</p>\n');
  const html = await tryLoad(urlOf('html'));
  assert.match(html, /safetensors/i, html);
  assert.deepEqual(await keptUrls(page, urlOf('html')), []);
  server.replace.delete(pathOf('html', WEIGHTS));
  assert.equal(await tryLoad(urlOf('html')), 'loaded');
  assert.equal(server.count(pathOf('html', WEIGHTS)), 2);
  // Chromium logs the connection closed early (twice: the page's fetch, the worker's).
  assert.deepEqual(problems.filter((p) => !/net::ERR_CONTENT_LENGTH_MISMATCH/.test(p)), []);
  await page.close();
});

test("the demo shows the model's download progress, then that the next visit read it from this browser's cache",
     { skip, timeout: 180000 }, async () => {
  const weights = `/v/demo/${DEMO_MODEL}${WEIGHTS}`;
  server.slow.set(weights, 150);  // 8 pieces 150 ms apart: the progress shows for a while
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  await page.goto(`${server.url}v/demo/web/demo/?autorun=0`);
  // Mid-download: a visible <progress> named by its label, "Downloading model: x / y MB", 0 < x < y.
  await page.waitForFunction(() => {
    const m = /^Downloading model: (\d+\.\d) \/ (\d+\.\d) MB$/.exec(document.getElementById('gen-download-text')?.textContent);
    return m && Number(m[1]) > 0 && Number(m[1]) < Number(m[2]);
  }, null, { timeout: 60000 });
  const bar = page.getByRole('progressbar', { name: /^Downloading model: \d+\.\d \/ \d+\.\d MB$/ });
  assert.equal(await bar.isVisible(), true);
  const mid = await page.evaluate(() => ({ text: document.getElementById('gen-download-text').textContent,
                                           value: document.getElementById('gen-download-progress').value }));
  const [, , totalMB] = /(\d+\.\d) \/ (\d+\.\d)/.exec(mid.text);
  assert.ok(Math.abs(Number(totalMB) - DEMO_SIZE / 1e6) < 0.06, `${mid.text} for weights of ${DEMO_SIZE} bytes`);
  assert.ok(mid.value > 0 && mid.value < 1, JSON.stringify(mid));
  await page.screenshot({ path: join(RESULTS, 'demo-download.png') });
  await waitState(page, ['ready', 'error'], 120000);
  assert.equal(await page.textContent('#gen-error'), '');
  const downloaded = await page.textContent('#gen-download-text');
  assert.match(downloaded, /^Model downloaded: \d+\.\d MB, kept in this browser's cache for the next visit\.$/);
  assert.equal(await page.isVisible('#gen-download-progress'), false);
  assert.equal(await page.isVisible('#gen-download-again'), false);
  assert.equal(server.count(weights), 1);

  // The next visit: nothing downloaded, and the page says where the model came from.
  await page.reload();
  await waitState(page, ['ready', 'error'], 120000);
  assert.equal(await page.textContent('#gen-error'), '');
  assert.match(await page.textContent('#gen-download-text'), /^Model loaded from this browser's cache \(\d+\.\d MB\): nothing downloaded\.$/);
  assert.equal(server.count(weights), 1, 'the second visit downloaded the weights');
  assert.equal(await page.isVisible('#gen-download-again'), true);
  await page.screenshot({ path: join(RESULTS, 'demo-download-cached.png') });
  // "Download again" forgets the kept copy and downloads the model anew.
  server.slow.delete(weights);
  await page.click('#gen-download-again');
  await page.waitForFunction(() => document.getElementById('gen-download').dataset.state === 'network', null, { timeout: 120000 });
  await waitState(page, ['ready'], 120000);
  assert.equal(server.count(weights), 2);
  assert.equal(await page.textContent('#gen-error'), '');
  assert.deepEqual(problems, []);
  await page.close();
});
