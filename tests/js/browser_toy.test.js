// The Train tab's toy in headless Chromium: a ToyMLPDenoiser trained in the page's own thread on the swiss roll.
// The loss must fall, Pause must stop the steps and Resume go on, the sampled reverse process must carry N(0, I)
// noise onto the data (mean distance to the nearest data point falls from x_T to x_0), the scatter must be drawn,
// and the step slider must replay the frames; the scatter must fit each data set. Screenshots:
// test-results/demo-train-toy.png, demo-train-toy-moons.png.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';

import { demoPage, env, fitsWidth, RESULTS, setForm, setupBrowser, skip } from './browser_harness.js';

setupBrowser();

const toyState = (page) => page.evaluate(() => document.getElementById('toy-status').dataset.state);
const waitToy = (page, states, timeout = 120000) =>
  page.waitForFunction((s) => s.includes(document.getElementById('toy-status').dataset.state), states, { timeout });
const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;

test('Train, toy 2-D: the scatter fits each data set (the moons reach x = ±2.7) on one scale, with ticked axes; a short run says what its loss averages',
     { skip, timeout: 120000 }, async () => {
  const { page, problems } = await demoPage(`${env.baseUrl}#train`);
  await waitToy(page, ['ready'], 30000);
  for (const name of ['moons', 'swissroll', 'gaussians']) {
    await setForm(page, { 'toy-data': name });
    const r = await page.evaluate(() => {
      const { data, view } = globalThis.ddpmToyDemo;
      const c = document.getElementById('toy-scatter');
      let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
      for (let i = 0; i < data.data.length; i += 2) {
        x0 = Math.min(x0, data.data[i]);
        x1 = Math.max(x1, data.data[i]);
        y0 = Math.min(y0, data.data[i + 1]);
        y1 = Math.max(y1, data.data[i + 1]);
      }
      return { data: { x: [x0, x1], y: [y0, y1] }, view, xTicks: c.dataset.xTicks.split(' '), yTicks: c.dataset.yTicks.split(' ') };
    });
    const { data, view } = r;
    assert.ok(view.x[0] < data.x[0] && view.x[1] > data.x[1] && view.y[0] < data.y[0] && view.y[1] > data.y[1],
              `${name}: every data point inside the view: ${JSON.stringify(r)}`);
    assert.ok(Math.abs((view.x[1] - view.x[0]) - (view.y[1] - view.y[0])) < 1e-9, `${name}: one scale on both axes`);
    assert.ok(view.x[1] - view.x[0] < 1.3 * Math.max(5, data.x[1] - data.x[0], data.y[1] - data.y[0]), `${name}: not much wider than needed`);
    assert.ok(r.xTicks.length >= 3 && r.yTicks.length >= 3, `${name}: ticks ${r.xTicks} / ${r.yTicks}`);
    assert.deepEqual(r.xTicks, r.yTicks, `${name}: the same ticks on both axes`);
    if (name === 'moons') await page.locator('.toy-scatter').screenshot({ path: join(RESULTS, 'demo-train-toy-moons.png') });
  }
  // 60 steps, fewer than the loss's mean of 100: the status says it averaged 60.
  await setForm(page, { 'toy-data': 'moons', 'toy-steps': 60, 'toy-sample-every': 1000 });
  await page.click('#toy-start');
  await waitToy(page, ['done', 'error'], 60000);
  assert.match(await page.textContent('#toy-status'), /^Done: 60 steps · loss \d\.\d+ \(mean of the last 60 steps\)\.$/);
  assert.deepEqual(problems, []);
  await page.close();
});

test('Train, toy 2-D: the loss falls, Pause/Resume, the reverse process lands on the data, the slider replays it',
     { skip, timeout: 240000 }, async () => {
  const { page, problems } = await demoPage(`${env.baseUrl}#train`);
  await waitToy(page, ['ready'], 30000);
  await setForm(page, { 'toy-data': 'swissroll', 'toy-steps': 1200, 'toy-sample-every': 400, 'toy-seed': 0 });
  await page.click('#toy-start');
  await page.waitForFunction(() => globalThis.ddpmToyDemo.losses.length >= 100, null, { timeout: 60000 });

  // Pause (the keyboard's Esc): no steps while paused; Resume goes on from there.
  await page.keyboard.press('Escape');
  await waitToy(page, ['paused'], 30000);
  const pausedAt = (await page.evaluate(() => globalThis.ddpmToyDemo.losses.length));
  await page.waitForTimeout(500);
  assert.equal(await page.evaluate(() => globalThis.ddpmToyDemo.losses.length), pausedAt);
  assert.match(await page.textContent('#toy-status'), new RegExp(`Paused after step ${pausedAt}\\.`));
  await page.focus('#toy-resume');
  await page.keyboard.press('Enter');
  await waitToy(page, ['done', 'error']);
  assert.equal(await toyState(page), 'done', await page.textContent('#toy-error'));
  assert.match(await page.textContent('#toy-status'), /^Done: 1200 steps · loss \d\.\d+ \(mean of the last 100 steps\)\.$/);

  const result = await page.evaluate(() => {
    const { losses, frames, sampledAt } = globalThis.ddpmToyDemo;
    return { losses, sampledAt, count: frames.length, first: Array.from(frames[0].points), last: Array.from(frames.at(-1).points) };
  });
  assert.equal(result.losses.length, 1200);
  assert.ok(result.losses.every(Number.isFinite));
  const early = mean(result.losses.slice(0, 50));
  const late = mean(result.losses.slice(-50));
  assert.ok(late < 0.7 * early, `toy loss: mean of the first 50 steps ${early.toFixed(4)}, of the last 50 ${late.toFixed(4)}`);
  assert.equal(result.sampledAt, 1200);
  assert.equal(result.count, 41);  // x_T and 40 DDIM steps

  // How far the points are from the data, in the page's own data set (the same seed): x_0 far closer than x_T.
  const distance = (points) => page.evaluate((p) => {
    const { data } = globalThis.ddpmToyDemo;
    let sum = 0;
    for (let i = 0; i < p.length / 2; ++i) {
      let best = Infinity;
      for (let j = 0; j < 2000; ++j) best = Math.min(best, Math.hypot(p[2 * i] - data.data[2 * j], p[2 * i + 1] - data.data[2 * j + 1]));
      sum += best;
    }
    return sum / (p.length / 2);
  }, points);
  const [fromNoise, fromSamples] = [await distance(result.first), await distance(result.last)];
  assert.ok(fromSamples < 0.5 * fromNoise, `mean distance to the data: x_T ${fromNoise.toFixed(3)}, x_0 ${fromSamples.toFixed(3)}`);

  // The scatter shows blue samples; the slider replays frame 0 (x_T), keyboard-operated.
  const blue = () => page.evaluate(() => {
    const c = document.getElementById('toy-scatter');
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 2] > 150 && data[i] < 60) ++n;
    return n;
  });
  await page.waitForTimeout(1800);  // the playback ends on x_0
  assert.ok(await blue() > 300, 'blue sample dots drawn');
  assert.match(await page.textContent('#toy-frame-out'), /x_0 \(step 40 of 40\)/);
  await page.focus('#toy-frame');
  await page.keyboard.press('Home');
  assert.match(await page.textContent('#toy-frame-out'), /x_T ~ N\(0, I\)/);
  assert.match(await page.textContent('#toy-caption'), /x_T ~ N\(0, I\)/);
  await page.keyboard.press('End');
  assert.match(await page.textContent('#toy-frame-out'), /x_0 \(step 40 of 40\)/);
  await page.locator('.toy-views').screenshot({ path: join(RESULTS, 'demo-train-toy.png') });

  await page.setViewportSize({ width: 390, height: 844 });
  assert.ok(await fitsWidth(page), 'the Train tab fits a phone-width screen');
  assert.deepEqual(problems, []);
  await page.close();
});
