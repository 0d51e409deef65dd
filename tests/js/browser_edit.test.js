// The demo's Edit tab in headless Chromium, on the shipped Fashion-MNIST model through the Generate tab's
// Generator: inpainting (RePaint) keeps every unmasked value bit for bit and repaints the rest, Esc cancels it, a
// mouse stroke paints the mask, image-to-image shows the timestep its strength starts from, inversion regenerates
// the garment closely and draws a 6-frame interpolation strip, and a file that is not a picture says so without
// breaking the tab. Screenshots: test-results/demo-edit-*.png. Skipped when playwright-core (a devDependency) or
// Debian's chromium is missing. The harness (servers, Chromium, demoPage, ...) is in browser_harness.js.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { toPNG } from '../../web/src/image.js';
import { demoPage, env, fitsWidth, gridStats, RESULTS, setForm, setupBrowser, skip } from './browser_harness.js';
import { ROOT } from './helpers.js';

// The sampler the demo's default model (models/fashion-mnist-wide) starts its forms from: sampling_defaults.json.
const { scheduler: SCHEDULER } = JSON.parse(readFileSync(join(ROOT, 'models/fashion-mnist-wide/sampling_defaults.json'), 'utf8'));

setupBrowser();

const editState = (page) => page.evaluate(() => document.getElementById('edit-status').dataset.state);
const waitEdit = (page, states, timeout = 60000) =>
  page.waitForFunction((s) => s.includes(document.getElementById('edit-status').dataset.state), states, { timeout });

/** The demo opened on the Edit tab, once the model and the start picture (the subset's first T-shirt) are in. */
async function editPage(viewport) {
  const opened = await demoPage(`${env.baseUrl}#edit`, viewport);
  await waitEdit(opened.page, ['ready']);
  await opened.page.waitForFunction(() => globalThis.ddpmEdit.picture !== null && !document.getElementById('edit-run').disabled);
  return opened;
}

/** Runs the form as it stands and waits for the end; asserts it is done. */
async function runToEnd(page, timeout = 60000) {
  await page.click('#edit-run');
  await waitEdit(page, ['done', 'error', 'cancelled'], timeout);
  assert.equal(await editState(page), 'done', `${await page.textContent('#edit-status')} ${await page.textContent('#edit-error')}`);
}

const fillCount = (page) => page.evaluate(() => globalThis.ddpmEdit.painter.fillCount);

test('Edit, inpainting: Esc cancels; with the top half masked every kept value comes back bit for bit, x_t and x0 live',
     { skip, timeout: 120000 }, async () => {
  const { page, problems } = await editPage();
  assert.equal(await page.getAttribute('#tab-edit', 'aria-selected'), 'true');
  assert.match(await page.textContent('#edit-source-note'), /T-shirt\/top \(28×28, padded to 32×32/);
  // RePaint's defaults in the form: 50 steps, jump length 10, jump n-sample 5.
  assert.deepEqual(await Promise.all(['edit-inpaint-steps', 'edit-jump-length', 'edit-jump-n'].map((id) => page.inputValue(`#${id}`))),
                   ['50', '10', '5']);

  // Esc stops a run within a step.
  await page.click('#edit-run');
  await page.waitForFunction(() => /^Inpainting: step [1-9]/.test(document.getElementById('edit-status').textContent));
  await page.keyboard.press('Escape');
  await waitEdit(page, ['cancelled', 'done', 'error']);
  assert.equal(await editState(page), 'cancelled');
  assert.match(await page.textContent('#edit-status'), /^Cancelled \(inpainting, after step \d+ of \d+\)\./);

  // The "Top half" preset from the keyboard: the top 16 rows to fill in.
  await page.focus('.mask-presets button[data-preset=top]');
  await page.keyboard.press('Enter');
  assert.equal(await fillCount(page), 16 * 32);
  await setForm(page, { 'edit-inpaint-steps': 20, 'edit-jump-length': 5, 'edit-jump-n': 2, 'edit-seed': 3 });
  await page.evaluate(() => {
    globalThis.seenSteps = [];
    new MutationObserver(() => {
      const m = /^Inpainting: step (\d+) of (\d+)/.exec(document.getElementById('edit-status').textContent);
      if (!m) return;
      const c = document.getElementById('edit-x0');
      const drawn = c.getContext('2d').getImageData(0, 0, c.width, c.height).data.some((v, i) => i % 4 === 3 && v === 255);
      globalThis.seenSteps.push({ step: Number(m[1]), total: Number(m[2]), drawn });
    }).observe(document.getElementById('edit-status'), { childList: true, characterData: true, subtree: true });
  });
  const t0 = Date.now();
  await runToEnd(page);
  const seconds = (Date.now() - t0) / 1000;
  const r = await page.evaluate(() => {
    const { image, mask, result } = globalThis.ddpmEdit.lastRun;
    const plane = mask.data.length;
    let kept = 0;
    let keptExact = 0;
    let filled = 0;
    let filledChanged = 0;
    for (let i = 0; i < image.data.length; ++i) {
      if (mask.data[i % plane] === 1) {
        ++kept;
        // Object.is: bit for bit (it tells 0 from -0), not merely within rounding.
        if (Object.is(result.data[i], image.data[i])) ++keptExact;
      } else {
        ++filled;
        if (result.data[i] !== image.data[i]) ++filledChanged;
      }
    }
    const topRowsFilled = Array.from(mask.data.subarray(0, 16 * 32)).every((v) => v === 0);
    return { kept, keptExact, filled, filledChanged, topRowsFilled, shape: result.shape };
  });
  assert.deepEqual(r.shape, [1, 1, 32, 32]);
  assert.ok(r.topRowsFilled);
  assert.equal(r.kept, 16 * 32);
  assert.equal(r.keptExact, r.kept, 'every kept value equals the original bit for bit');
  // (Background that comes back as -1, the clipped black, is unchanged: count only that some values changed.)
  assert.ok(r.filledChanged > 10, `the top half was repainted: ${r.filledChanged} of ${r.filled} values changed`);
  const seen = await page.evaluate(() => globalThis.seenSteps);
  assert.ok(seen.length > 5 && seen.every((s) => s.drawn), `x0 drawn live at every step: ${JSON.stringify(seen.slice(0, 3))}`);
  assert.match(await page.textContent('#edit-status'), /^Done: \d+ RePaint steps \(20 steps, jump length 5, n-sample 2\)/);
  assert.match(await page.textContent('#edit-result-caption'), /^Inpainted: 512 pixels filled in; the other 512 kept exactly/);
  const [result] = await gridStats(page, '#edit-result');
  assert.ok(result.std > 10 && result.opaque, `the result is a picture: ${JSON.stringify(result)}`);
  // One engine on the page: the Edit tab ran on the Generate tab's Generator (the threaded build), not a second worker.
  assert.equal(page.workers().filter((w) => w.url().endsWith('/web/src/worker.js')).length, 1);
  assert.equal(await page.evaluate(() => globalThis.ddpmDemo.generator.info.build), 'simd-threads');
  console.log(`inpaint (20 steps, jumps 5x2) took ${seconds.toFixed(1)} s`);
  await page.screenshot({ path: join(RESULTS, 'demo-edit-inpaint.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Edit, mask painting at phone width: a mouse stroke paints the mask, the eraser takes it back; nothing scrolls sideways',
     { skip, timeout: 60000 }, async () => {
  const { page, problems } = await editPage({ width: 390, height: 844 });
  assert.equal(await fitsWidth(page), true, 'the Edit tab fits a phone');
  await page.click('.mask-presets button[data-preset=clear]');
  assert.equal(await fillCount(page), 0);
  const box = await page.locator('#edit-mask').boundingBox();
  assert.ok(box.width >= 250, `the mask canvas is large enough to paint on: ${box.width} px`);
  const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
  // A stroke across the middle, left to right.
  await page.mouse.move(...at(0.1, 0.5));
  await page.mouse.down();
  for (let k = 1; k <= 8; ++k) await page.mouse.move(...at(0.1 + (0.8 * k) / 8, 0.5));
  await page.mouse.up();
  const painted = await page.evaluate(() => {
    const { data } = globalThis.ddpmEdit.painter.mask;
    return { count: data.reduce((n, v) => n + (v === 0 ? 1 : 0), 0), row16: Array.from(data.subarray(16 * 32 + 4, 16 * 32 + 28)) };
  });
  assert.ok(painted.count > 40, `the stroke painted ${painted.count} pixels`);
  assert.ok(painted.row16.every((v) => v === 0), 'the stroke covered the middle row from x = 4 to 27');
  assert.equal(await page.getAttribute('#edit-mask', 'data-fill'), String(painted.count));
  assert.match(await page.textContent('#edit-mask-count'), new RegExp(`^${painted.count} of 1024 pixels to fill in`));
  // The eraser (brush "Erase: keep") takes part of it back.
  await page.selectOption('#edit-brush', 'erase');
  await page.mouse.move(...at(0.1, 0.5));
  await page.mouse.down();
  await page.mouse.move(...at(0.45, 0.5));
  await page.mouse.up();
  const after = await fillCount(page);
  assert.ok(after > 0 && after < painted.count, `erasing: ${painted.count} -> ${after}`);
  assert.equal(await fitsWidth(page), true);
  await page.screenshot({ path: join(RESULTS, 'demo-edit-phone.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Edit, image-to-image: the strength slider says which timestep it starts from; the run goes to the target class',
     { skip, timeout: 60000 }, async () => {
  const { page, problems } = await editPage();
  await page.check('input[name=edit-mode][value=img2img]');
  assert.equal(await page.isVisible('#edit-strength'), true);
  assert.equal(await page.isVisible('#edit-jump-length'), false);
  const label = () => page.textContent('#edit-start-t');
  await page.waitForFunction(() => /^noised to t = \d+ of 1000$/.test(document.getElementById('edit-start-t').textContent));
  assert.equal(await page.inputValue('#edit-strength'), '0.7');  // enough to change the class visibly
  const low = Number(/t = (\d+)/.exec(await label())[1]);
  await page.fill('#edit-strength', '0.8');
  await page.waitForFunction((t) => document.getElementById('edit-start-t').textContent !== `noised to t = ${t} of 1000`, low);
  const high = Number(/t = (\d+)/.exec(await label())[1]);
  assert.ok(high > low && low > 500 && high < 1000, `strength 0.7: t = ${low}, 0.8: t = ${high}`);
  assert.equal(await page.textContent('#edit-strength-out'), '0.80');
  assert.match(await page.getAttribute('#edit-strength', 'aria-valuetext'), /^0\.80, noised to t = \d+ of 1000$/);
  await setForm(page, { 'edit-strength': '0.5', 'edit-i2i-steps': 10, 'edit-target-class': 3, 'edit-seed': 1 });
  await page.waitForFunction((s) => document.getElementById('edit-start-t').dataset.settings === s, `0.50 ${SCHEDULER} 10`);
  const start = /t = (\d+)/.exec(await label())[1];
  await runToEnd(page);
  assert.match(await page.textContent('#edit-status'), new RegExp(`^Done: noised to t = ${start}, then \\d+ of 10 ${SCHEDULER} steps`));
  assert.match(await page.textContent('#edit-result-caption'), new RegExp(`^From t = ${start} as Dress`));
  const [result] = await gridStats(page, '#edit-result');
  assert.ok(result.std > 10, `the result is a picture: ${JSON.stringify(result)}`);
  await page.screenshot({ path: join(RESULTS, 'demo-edit-img2img.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Edit, inversion: x_T, the garment regenerated from it (mean error < 0.15) and a 6-frame interpolation strip',
     { skip, timeout: 120000 }, async () => {
  const { page, problems } = await editPage();
  await page.check('input[name=edit-mode][value=invert]');
  assert.equal(await page.inputValue('#edit-invert-steps'), '50');
  assert.equal(await page.inputValue('#edit-strip-to'), 'garment:1');  // towards the first Trouser, inverted too
  const t0 = Date.now();
  await runToEnd(page, 90000);
  const seconds = (Date.now() - t0) / 1000;
  const error = Number(await page.getAttribute('#edit-result-caption', 'data-error'));
  assert.ok(error < 0.15, `mean |regenerated - picture| = ${error}`);
  assert.match(await page.textContent('#edit-result-caption'), /^Regenerated from x_T: mean \|difference\| = 0\.\d{4}$/);
  assert.equal(error, await page.evaluate(() => globalThis.ddpmEdit.lastRun.error));
  const strip = await gridStats(page, '#edit-strip canvas');
  assert.equal(strip.length, 6);
  for (const s of strip) assert.ok(s.std > 10 && s.opaque && s.width === 32, `a strip frame is a picture: ${JSON.stringify(s)}`);
  const captions = await page.locator('#edit-strip figcaption').allTextContents();
  assert.equal(captions[0], 't = 0.0 · T-shirt/top (the picture)');
  assert.equal(captions[2], 't = 0.4 · T-shirt/top');
  assert.equal(captions[5], 't = 1.0 · Trouser');
  const [xT] = await gridStats(page, '#edit-xT');
  assert.ok(xT.std > 40, `x_T looks like noise: ${JSON.stringify(xT)}`);
  console.log(`invert (2 garments, 50 steps) + sampling back 6 frames took ${seconds.toFixed(1)} s; error ${error.toFixed(4)}`);
  await page.screenshot({ path: join(RESULTS, 'demo-edit-invert.png'), fullPage: true });
  assert.deepEqual(problems, []);
  await page.close();
});

test('Edit, upload: a file that is not a picture says so and changes nothing; a PNG is fitted and the note says how',
     { skip, timeout: 60000 }, async () => {
  const { page, problems } = await editPage();
  const before = await page.evaluate(() => Array.from(globalThis.ddpmEdit.picture.data));
  await page.setInputFiles('#edit-upload', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture\n') });
  await page.waitForFunction(() => document.getElementById('edit-error').textContent !== '');
  assert.match(await page.textContent('#edit-error'), /^"notes\.txt" \(text\/plain\) is not a picture this browser can read/);
  assert.deepEqual(await page.evaluate(() => Array.from(globalThis.ddpmEdit.picture.data)), before);
  assert.equal(await page.inputValue('#edit-source'), 'garment:0');
  assert.equal(await page.isEnabled('#edit-run'), true);

  // A 40x36 PNG (left half black, right half white): centre-cropped and resized by the core, which says so.
  const [w, h] = [40, 36];
  const data = new Float32Array(w * h).map((_, i) => (i % w < w / 2 ? -1 : 1));
  const png = Buffer.from(toPNG({ data, shape: [1, 1, h, w] }));
  await page.setInputFiles('#edit-upload', { name: 'halves.png', mimeType: 'image/png', buffer: png });
  await page.waitForFunction(() => document.getElementById('edit-source').value === 'uploaded');
  assert.equal(await page.textContent('#edit-error'), '');
  assert.match(await page.textContent('#edit-source-note'), /^halves\.png \(40×36\): centre-cropped 40x36 to 36x36.*32x32/);
  const picture = await page.evaluate(() => {
    const { shape, data } = globalThis.ddpmEdit.picture;
    return { shape, data: Array.from(data) };
  });
  assert.deepEqual(picture.shape, [1, 1, 32, 32]);
  assert.ok(picture.data[0] < -0.9 && picture.data[31] > 0.9, `black left, white right: ${picture.data[0]}, ${picture.data[31]}`);
  assert.deepEqual(problems, []);
  await page.close();
});
