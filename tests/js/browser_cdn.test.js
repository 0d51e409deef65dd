// The package imported from another origin, as from a CDN (tools/serve.mjs --cors, without COOP/COEP of its own),
// into a cross-origin isolated page: Generator must start its Worker (browsers refuse cross-origin worker scripts;
// generator.js bootstraps it from a same-origin blob: module), find the wasm next to the module on the CDN, run the
// threaded build, and generate images.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { env, openPage, serve, setupBrowser, skip } from './browser_harness.js';

setupBrowser();
let cdn = null;
before(async () => {
  if (skip) return;
  const s = serve('--cors', '--no-isolation');
  cdn = s;
  cdn.base = await s.url;
});
after(() => cdn?.child.kill());

test('the package from another origin (a CDN): Generator runs the threaded build there and generates', { skip, timeout: 120000 },
     async () => {
  // Any document of the isolated server will do as the user's page (here its 404 page).
  const { page, problems } = await openPage(`${env.baseUrl}web/demo/no-such-page`);
  const base = cdn.base.replace(/\/$/, '');
  assert.notEqual(new URL(base).origin, new URL(env.baseUrl).origin);
  const r = await page.evaluate(async (from) => {
    const { Generator } = await import(`${from}/web/src/index.js`);
    const gen = await Generator.create({ model: `${from}/models/fashion-mnist/`, threads: 'auto' });
    try {
      let steps = 0;
      const { images } = await gen.generate({ numImages: 2, steps: 8, classLabels: [1, 9], seed: 3,
                                              onProgress: () => { steps += 1; } });
      const d = images.data;
      const mean = d.reduce((s, x) => s + x, 0) / d.length;
      const std = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / d.length);
      return { isolated: globalThis.crossOriginIsolated, build: gen.info.build, threads: gen.info.threads, steps,
               shape: images.shape, finite: d.every(Number.isFinite), std };
    } finally {
      await gen.dispose();
    }
  }, base);
  assert.equal(r.isolated, true);
  assert.equal(r.build, 'simd-threads', JSON.stringify(r));
  assert.ok(r.threads >= 2);
  assert.equal(r.steps, 8);
  assert.deepEqual(r.shape, [2, 1, 32, 32]);
  assert.ok(r.finite && r.std > 0.2, `images: ${JSON.stringify(r)}`);
  assert.deepEqual(problems.filter((p) => !/404/.test(p)), []);
  await page.close();
});
