// Shared harness of the browser tests: tools/serve.mjs servers, headless Chromium (playwright-core + Debian's
// /usr/bin/chromium), demo pages that record page and console errors, and pixel statistics of canvases.
//
//   import { demoPage, env, setupBrowser, skip } from './browser_harness.js';
//   setupBrowser();                       // before/after hooks: env.baseUrl (COOP/COEP), env.plainUrl (none), env.browser
//   test('...', { skip }, async () => { const { page, problems } = await demoPage(env.baseUrl); ... });
//
// `skip` is a reason string when playwright-core (a devDependency) or Debian's chromium is missing, else false.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';

import { ROOT } from './helpers.js';

export const CHROMIUM = '/usr/bin/chromium';
export const RESULTS = join(ROOT, 'test-results');

let chromiumModule = null;
try {
  ({ chromium: chromiumModule } = await import('playwright-core'));
} catch {
  chromiumModule = null;
}
export const chromium = chromiumModule;
export const skip = !chromium ? 'playwright-core is not installed (npm ci)' : !existsSync(CHROMIUM) ? `${CHROMIUM} missing` : false;

/** What setupBrowser() starts: the browser and the servers' URLs (filled in by its `before` hook). */
export const env = { browser: null, baseUrl: null, plainUrl: null, servers: [] };

/** Starts tools/serve.mjs on a free port with extra arguments: { child, url: Promise<string> }. */
export function serve(...args) {
  const child = spawn(process.execPath, [join(ROOT, 'tools/serve.mjs'), '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      const m = /http:\/\/[^\s]+/.exec(String(d));
      if (m) resolve(m[0]);
    });
    child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code})`)));
  });
  return { child, url };
}

/**
 * Registers before/after hooks that start two servers (env.baseUrl cross-origin isolated, env.plainUrl without
 * COOP/COEP) and Chromium (env.browser), and stop them. Call once at the top level of a test file. Returns env.
 */
export function setupBrowser() {
  before(async () => {
    if (skip) return;
    mkdirSync(RESULTS, { recursive: true });
    const a = serve();
    const b = serve('--no-isolation');
    env.servers.push(a.child, b.child);
    [env.baseUrl, env.plainUrl] = await Promise.all([a.url, b.url]);
    env.browser = await chromium.launch({ executablePath: CHROMIUM });
  });
  after(async () => {
    await env.browser?.close();
    for (const child of env.servers) child.kill();
    env.servers.length = 0;
  });
  return env;
}

/**
 * A new page at `url` that records page errors and console errors in `problems`. With `route`, a function
 * (page) => Promise run before navigation (e.g. page.route to fail some requests). { page, problems, response }.
 */
export async function openPage(url, { viewport = { width: 1100, height: 900 }, route = null } = {}) {
  const page = await env.browser.newPage({ viewport });
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  if (route) await route(page);
  const response = await page.goto(url);
  return { page, problems, response };
}

/** `url` with ?autorun=0: the demo then waits for a click instead of generating a first batch on its own. */
export function withoutAutorun(url) {
  const u = new URL(url);
  u.searchParams.set('autorun', '0');
  return u.href;
}

/** A page of the demo, once the Generate tab's model has loaded (or failed); asserts no generate error. The
 *  page's first automatic batch is turned off (autorun: true keeps it). */
export async function demoPage(url, viewport = { width: 1100, height: 900 }, { route = null, autorun = false } = {}) {
  const opened = await openPage(autorun ? url : withoutAutorun(url), { viewport, route });
  await waitState(opened.page, ['ready', 'error']);
  assert.equal(await opened.page.textContent('#gen-error'), '');
  return opened;
}

/** The Generate grid's state: loading, ready, running, done, cancelled, error. */
export const state = (page) => page.evaluate(() => document.getElementById('gen-grid').dataset.state);
export const waitState = (page, states, timeout = 30000) =>
  page.waitForFunction((s) => s.includes(document.getElementById('gen-grid').dataset.state), states, { timeout });

/**
 * Pixel statistics of the canvases matching `selector` (default: the Generate grid's): per canvas mean and standard
 * deviation of the gray level, range, whether every pixel is opaque gray, and the size.
 */
export const gridStats = (page, selector = '#gen-grid canvas') => page.evaluate((sel) => [...document.querySelectorAll(sel)].map((c) => {
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  let sum = 0;
  let sq = 0;
  let min = 255;
  let max = 0;
  let opaque = true;
  const n = data.length / 4;
  for (let i = 0; i < data.length; i += 4) {
    sum += data[i];
    sq += data[i] * data[i];
    min = Math.min(min, data[i]);
    max = Math.max(max, data[i]);
    opaque &&= data[i + 3] === 255 && data[i] === data[i + 1] && data[i] === data[i + 2];
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(0, sq / n - mean * mean)), min, max, opaque, width: c.width, height: c.height };
}), selector);

/** The red channel of each canvas matching `selector`, as plain arrays (for comparing frames). */
export const canvasPixels = (page, selector) => page.evaluate((sel) => [...document.querySelectorAll(sel)].map((c) => {
  const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
  return Array.from({ length: data.length / 4 }, (_, i) => data[4 * i]);
}), selector);

/** Fills form fields by id: <select>s by value, other inputs by text. */
export async function setForm(page, values) {
  for (const [id, value] of Object.entries(values)) {
    const tag = await page.evaluate((i) => document.getElementById(i)?.tagName, id);
    if (tag === 'SELECT') await page.selectOption(`#${id}`, String(value));
    else await page.fill(`#${id}`, String(value));
  }
}

/** True when the page does not scroll sideways. */
export const fitsWidth = (page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
