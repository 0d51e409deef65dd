// Models loaded from an http URL in Node (which has no Cache API): UNet2DModel.fromPretrained and Generator.create
// stream each file and report onDownload({ file, url, loaded, total, fromCache, done }) from 0 to the file's size
// (total null while a server does not say it); a download that breaks off, or whose length is not its
// Content-Length, is an error naming the URL; HTTP errors keep their words; the new options are checked by name and
// kind. The Cache API side (a second load downloads nothing) is tested in Chromium, browser_download.test.js.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { clearModelCache, Generator, MODEL_CACHE_NAME, ready, ToyMLPDenoiser, UNet2DModel } from '../../web/src/index.js';
import { ROOT } from './helpers.js';
import { startModelServer } from './model_server.js';

const MODEL = 'models/fashion-mnist/';
const WEIGHTS = 'unet/diffusion_pytorch_model.safetensors';
const SIZE = statSync(join(ROOT, MODEL, WEIGHTS)).size;

let server;
before(async () => {
  await ready();
  server = await startModelServer({ isolate: false });
});
after(() => server?.close());

/** The model's URL under a prefix of its own, and the server path of one of its files. */
const urlOf = (tag) => `${server.url}v/${tag}/${MODEL}`;
const pathOf = (tag, file) => `/v/${tag}/${MODEL}${file}`;

/** onDownload events grouped by file, in arrival order. */
function recorder() {
  const byFile = new Map();
  const all = [];
  return {
    byFile,
    all,
    onDownload: (p) => {
      all.push(p);
      if (!byFile.has(p.file)) byFile.set(p.file, []);
      byFile.get(p.file).push({ ...p });
    },
  };
}

/** One file's events go from 0 to its size: loaded never decreases, the last one is done with loaded = total = size. */
function assertProgress(events, file, size, { totalKnown = true, streamed = false } = {}) {
  assert.ok(events?.length >= 2, `${file}: ${events?.length} events`);
  assert.equal(events[0].loaded, 0, `${file}: the first event is before any byte`);
  for (let i = 1; i < events.length; ++i) assert.ok(events[i].loaded >= events[i - 1].loaded, `${file}: loaded went back`);
  for (const e of events.slice(0, -1)) {
    assert.equal(e.done, false);
    assert.equal(e.total, totalKnown ? size : null, `${file}: total while downloading`);
  }
  assert.deepEqual(events.at(-1), { file, url: events[0].url, loaded: size, total: size, fromCache: false, done: true });
  assert.ok(events.every((e) => e.fromCache === false));
  if (streamed) {  // a few MB arrive in many chunks, each reported: some events lie strictly between 0 and the size
    assert.ok(events.filter((e) => e.loaded > 0 && e.loaded < size).length >= 2, `${file}: ${events.length} events, not streamed`);
  }
}

test('fromPretrained over http: each file reports its progress from 0 to its size (Node: no Cache API, so each load downloads)',
     async () => {
  assert.equal(typeof globalThis.caches, 'undefined', 'this test is about a runtime without the Cache API');
  const rec = recorder();
  const unet = await UNet2DModel.fromPretrained(urlOf('plain'), { onDownload: rec.onDownload, threads: 1 });
  try {
    assert.equal(unet.info.nullClassIndex, 10);
  } finally {
    unet.dispose();
  }
  // Every file the server gave (and only those: no events for a 404) reported, with its URL.
  const served = server.requests.filter((r) => r.path.startsWith(`/v/plain/`) && r.status === 200)
    .map((r) => r.path.slice(pathOf('plain', '').length));
  assert.deepEqual([...rec.byFile.keys()].sort(), [...served].sort());
  assert.ok(served.includes(WEIGHTS) && served.includes('unet/config.json'), served.join(', '));
  for (const [file, events] of rec.byFile) {
    assert.ok(events.every((e) => e.url === `${urlOf('plain')}${file}`), `${file}: url`);
    assertProgress(events, file, statSync(join(ROOT, MODEL, file)).size, { streamed: file === WEIGHTS });
  }
  assert.equal(server.count(pathOf('plain', WEIGHTS)), 1);
  // Without a Cache API the option changes nothing, and a second load downloads again.
  const again = await UNet2DModel.fromPretrained(urlOf('plain'), { cache: 'some-cache' });
  again.dispose();
  assert.equal(server.count(pathOf('plain', WEIGHTS)), 2);
  assert.equal(await clearModelCache(), false);
  assert.equal(await clearModelCache({ model: urlOf('plain') }), false);
  assert.equal(MODEL_CACHE_NAME, 'ddpm-wasm-models');
});

test('a body without Content-Length: total is null until the file is done, then its size', async () => {
  server.chunked.add(pathOf('chunked', WEIGHTS));
  const rec = recorder();
  const unet = await UNet2DModel.fromPretrained(urlOf('chunked'), { onDownload: rec.onDownload });
  unet.dispose();
  assertProgress(rec.byFile.get(WEIGHTS), WEIGHTS, SIZE, { totalKnown: false, streamed: true });
  assertProgress(rec.byFile.get('unet/config.json'), 'unet/config.json', statSync(join(ROOT, MODEL, 'unet/config.json')).size);
});

test("Generator.create over http: the worker's download progress reaches onDownload on the caller's thread", { timeout: 60000 },
     async () => {
  const rec = recorder();
  const gen = await Generator.create({ model: urlOf('gen'), threads: 1, onDownload: rec.onDownload });
  try {
    assert.equal(gen.modelInfo.nullClassIndex, 10);
    assertProgress(rec.byFile.get(WEIGHTS), WEIGHTS, SIZE, { streamed: true });
    assert.ok(rec.byFile.has('unet/config.json') && rec.byFile.has('model_index.json'));
    // The progress came before create() resolved; none after.
    const n = rec.all.length;
    await gen.memoryUsage();
    assert.equal(rec.all.length, n);
  } finally {
    await gen.dispose();
  }
  // An exception in onDownload stops the load and rejects create() with it.
  const boom = new Error('stop the download');
  await assert.rejects(Generator.create({ model: urlOf('gen'), threads: 1, onDownload: () => { throw boom; } }),
                       (e) => e === boom);
  await assert.rejects(UNet2DModel.fromPretrained(urlOf('gen'), { onDownload: () => { throw boom; } }), (e) => e === boom);
});

test('a download that breaks off is an error naming the URL and how much arrived (fromPretrained and Generator)',
     { timeout: 60000 }, async () => {
  server.truncate.add(pathOf('cut', WEIGHTS));
  const url = `${urlOf('cut')}${WEIGHTS}`;
  const message = new RegExp(`^${url.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')}: incomplete download: \\d+ of ${SIZE} bytes arrived \\(`);
  const rec = recorder();
  await assert.rejects(UNet2DModel.fromPretrained(urlOf('cut'), { onDownload: rec.onDownload }), { message });
  const events = rec.byFile.get(WEIGHTS);
  assert.ok(events.length >= 2 && events.every((e) => !e.done && e.loaded < SIZE), 'no done event for a broken download');
  await assert.rejects(Generator.create({ model: urlOf('cut'), threads: 1 }), { message });
  server.truncate.delete(pathOf('cut', WEIGHTS));
  const unet = await UNet2DModel.fromPretrained(urlOf('cut'));
  unet.dispose();
});

test('a body shorter or longer than its Content-Length is refused; HTTP errors name the URL as before', async (t) => {
  const realFetch = globalThis.fetch;
  t.after(() => {
    globalThis.fetch = realFetch;
  });
  // A fetch whose response for the weights announces `announced` bytes and carries `sent` of the real ones.
  const lying = (announced, sent) => async (input, init) => {
    const href = String(input instanceof Request ? input.url : input);
    if (!href.endsWith(WEIGHTS) || init?.method === 'HEAD') return realFetch(input, init);
    const bytes = new Uint8Array(await (await realFetch(input, init)).arrayBuffer());
    const body = new ReadableStream({
      start(c) {
        const part = bytes.subarray(0, sent);
        for (let at = 0; at < part.length; at += 65536) c.enqueue(part.slice(at, at + 65536));
        c.close();
      },
    });
    return new Response(body, { headers: { 'content-length': String(announced) } });
  };
  const url = `${urlOf('lie')}${WEIGHTS}`;
  globalThis.fetch = lying(SIZE, SIZE - 1000);
  await assert.rejects(UNet2DModel.fromPretrained(urlOf('lie')),
                       { message: `${url}: incomplete download: ${SIZE - 1000} of ${SIZE} bytes arrived (shorter than its Content-Length)` });
  globalThis.fetch = lying(SIZE - 1000, SIZE);
  await assert.rejects(UNet2DModel.fromPretrained(urlOf('lie')), /incomplete download: .* \(longer than its Content-Length\)$/);
  globalThis.fetch = async () => new Response('oops', { status: 500, statusText: 'Internal Server Error' });
  await assert.rejects(UNet2DModel.fromPretrained(urlOf('lie')),
                       { message: `${urlOf('lie')}model_index.json: HTTP 500 Internal Server Error` });
  globalThis.fetch = async () => {
    throw new TypeError('fetch failed');
  };
  await assert.rejects(UNet2DModel.fromPretrained(urlOf('lie')), { message: `${urlOf('lie')}model_index.json: fetch failed` });
});

test('the download options are checked by name and kind, in each call that loads a model', async () => {
  const url = urlOf('options');
  const before = server.requests.length;
  await assert.rejects(UNet2DModel.fromPretrained(url, { onDownlaod: () => {} }),
                       { name: 'TypeError', message: "UNet2DModel.fromPretrained: unknown option 'onDownlaod'; the options are threads, onDownload, cache" });
  await assert.rejects(UNet2DModel.fromPretrained(url, { onDownload: 'yes' }),
                       { name: 'TypeError', message: 'UNet2DModel.fromPretrained: onDownload must be a function' });
  await assert.rejects(UNet2DModel.fromPretrained(url, { cache: 1 }), /UNet2DModel\.fromPretrained: cache must be true .*, false \(no cache\) or a cache name, got 1/);
  await assert.rejects(UNet2DModel.fromPretrained(url, { cache: '' }), /cache must be .* got ''/);
  await assert.rejects(ToyMLPDenoiser.fromPretrained(url, { threads: 2 }),
                       { name: 'TypeError', message: "ToyMLPDenoiser.fromPretrained: unknown option 'threads'; the options are onDownload, cache" });
  await assert.rejects(Generator.create({ model: url, chache: false }),
                       { name: 'TypeError', message: "Generator.create: unknown option 'chache'; the options are model, threads, build, wasmPaths, onDownload, cache" });
  await assert.rejects(Generator.create({ model: url, onDownload: 3 }), { name: 'TypeError', message: 'Generator.create: onDownload must be a function' });
  assert.equal(server.requests.length, before, 'nothing is fetched for a call with bad options');
  await assert.rejects(clearModelCache(''), /clearModelCache: expected a cache name or \{ model, cache \}/);
  // The toy model over http with progress too.
  const rec = recorder();
  const toy = await ToyMLPDenoiser.fromPretrained(`${server.url}models/toy2d`, { onDownload: rec.onDownload, cache: false });
  toy.dispose();
  assertProgress(rec.byFile.get(WEIGHTS), WEIGHTS, statSync(join(ROOT, 'models/toy2d', WEIGHTS)).size);
});
