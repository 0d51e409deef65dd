// The Schedulers tab of the demo page: the schedulers of ddpm-wasm, live, on the page's own thread. Plots each β schedule, noises a generated image with
// addNoise at a chosen t, and runs 50 DDIM steps back from pure noise with an "oracle" ε (computed from
// the known x0), which must land on x0 exactly: a visible check of step().
import { DDIMScheduler, DDPMScheduler, ready, Tensor } from '../src/index.js';

const SCHEDULES = {
  linear: { beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 },
  scaled_linear: { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 },
  squaredcos_cap_v2: { beta_schedule: 'squaredcos_cap_v2' },
  sigmoid: { beta_schedule: 'sigmoid', beta_start: 0.0001, beta_end: 0.02 },
};
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const SIZE = 64;
const $ = (id) => document.getElementById(id);

// ---- plots ----

function plot(canvas, series) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const pad = { l: 52, r: 8, t: 8, b: 22 };
  const all = series.flatMap((s) => Array.from(s.values).filter(Number.isFinite));
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const x = (i, n) => pad.l + (i / (n - 1)) * (w - pad.l - pad.r);
  const y = (v) => h - pad.b - ((v - lo) / (hi - lo || 1)) * (h - pad.t - pad.b);
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = '#999';
  ctx.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
  ctx.fillStyle = '#444';
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'right';
  const label = (v) => (Math.abs(v) >= 0.01 || v === 0 ? v.toPrecision(3) : v.toExponential(1));
  ctx.fillText(label(hi), pad.l - 4, pad.t + 9);
  ctx.fillText(label(lo), pad.l - 4, h - pad.b);
  ctx.textAlign = 'center';
  ctx.fillText('0', pad.l, h - 6);
  ctx.fillText('t', (w + pad.l) / 2, h - 6);
  ctx.fillText(String(series[0].values.length - 1), w - pad.r - 8, h - 6);
  for (const s of series) {
    ctx.strokeStyle = s.color;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      if (!Number.isFinite(v)) { pen = false; return; }
      pen ? ctx.lineTo(x(i, s.values.length), y(v)) : ctx.moveTo(x(i, s.values.length), y(v));
      pen = true;
    });
    ctx.stroke();
  }
}

// ---- images: [1, 3, H, W] in [-1, 1] ----

function makeImage() {
  const t = Tensor.zeros([1, 3, SIZE, SIZE]);
  const plane = SIZE * SIZE;
  for (let i = 0; i < SIZE; ++i) {
    for (let j = 0; j < SIZE; ++j) {
      const u = j / SIZE;
      const v = i / SIZE;
      let rgb = [0.15 + 0.5 * v, 0.3 + 0.4 * u, 0.85 - 0.3 * v];                            // sky
      if (v > 0.68 + 0.06 * Math.sin(u * 9)) rgb = [0.25, 0.55 + 0.2 * v, 0.2];               // hills
      if ((u - 0.7) ** 2 + (v - 0.27) ** 2 < 0.014) rgb = [1.0, 0.85, 0.2];                   // sun
      if (u > 0.15 && u < 0.38 && v > 0.45 && v < 0.78) rgb = [0.75, 0.2, 0.15];              // house
      if (u > 0.22 && u < 0.3 && v > 0.6 && v < 0.78) rgb = [0.3, 0.18, 0.1];                 // door
      for (let c = 0; c < 3; ++c) t.data[c * plane + i * SIZE + j] = rgb[c] * 2 - 1;
    }
  }
  return t;
}

function gaussian(shape, seed) {
  const t = Tensor.zeros(shape);
  let s = seed >>> 0;
  const uniform = () => {  // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < t.size; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const a = 2 * Math.PI * uniform();
    t.data[i] = r * Math.cos(a);
    if (i + 1 < t.size) t.data[i + 1] = r * Math.sin(a);
  }
  return t;
}

function draw(canvas, tensor) {
  const [, , h, w] = tensor.shape;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  const plane = h * w;
  for (let p = 0; p < plane; ++p) {
    for (let c = 0; c < 3; ++c) img.data[4 * p + c] = Math.round((tensor.data[c * plane + p] + 1) * 127.5);
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ---- page ----

async function main() {
  const info = await ready();
  $('info').textContent = `ddpm-wasm ${info.version}: build ${info.build} (${info.why}), ` +
                          `${info.threads} thread(s), SIMD ${info.simd}`;

  const tables = {};
  for (const [name, config] of Object.entries(SCHEDULES)) {
    try {
      const s = DDPMScheduler.fromConfig(config);
      tables[name] = { config, betas: s.betas, alphasCumprod: s.alphasCumprod };
      s.dispose();
    } catch (e) {
      console.warn(`schedule ${name}: ${e.message}`);
    }
  }
  const names = Object.keys(tables);
  const series = (f) => names.map((n, k) => ({ values: f(tables[n]), color: COLORS[k] }));
  plot($('plot-betas'), series((t) => t.betas.map(Math.log10)));
  plot($('plot-alphas'), series((t) => t.alphasCumprod));
  plot($('plot-snr'), series((t) => t.alphasCumprod.map((a) => Math.log(a / (1 - a)))));
  $('legend').innerHTML = names.map((n, k) => `<span style="color:${COLORS[k]}">■ ${n}</span>`).join('');
  for (const n of names) $('schedule').add(new Option(n, n));

  const x0 = makeImage();
  const eps = gaussian(x0.shape, 1);
  draw($('x0'), x0);

  const forward = () => {
    const t = Number($('t').value);
    $('t-out').value = t;
    const s = DDPMScheduler.fromConfig(tables[$('schedule').value].config);
    try {
      draw($('xt'), s.addNoise(x0, eps, [t]));
    } finally {
      s.dispose();
    }
  };
  $('t').addEventListener('input', forward);
  $('schedule').addEventListener('change', forward);
  forward();

  $('reverse').addEventListener('click', async () => {
    $('reverse').disabled = true;
    let s = null;
    try {
      s = DDIMScheduler.fromConfig(tables[$('schedule').value].config, { clip_sample: false });
      s.setTimesteps(50);
      const abar = s.alphasCumprod;
      let x = gaussian(x0.shape, 2);
      let ms = 0;
      for (const t of s.timesteps) {
        // The ε a perfect model would predict for this x0: (x_t - sqrt(ᾱ)·x0) / sqrt(1 - ᾱ).
        const a = abar[t];
        const e = new Tensor(x.data.map((v, i) => (v - Math.sqrt(a) * x0.data[i]) / Math.sqrt(1 - a)), x.shape);
        const t0 = performance.now();
        x = s.step(e, t, x).prevSample;
        ms += performance.now() - t0;
        draw($('rev'), x);
        $('rev-caption').textContent = `DDIM step() at t = ${t}`;
        await new Promise((r) => requestAnimationFrame(r));
      }
      let err = 0;
      x.data.forEach((v, i) => { err = Math.max(err, Math.abs(v - x0.data[i])); });
      $('rev-caption').textContent = `after 50 steps: max |x − x0| = ${err.toExponential(2)}, ` +
                                     `step() ${(ms / 50).toFixed(2)} ms`;
    } catch (e) {
      $('rev-caption').textContent = e.message;  // e.g. a schedule DDIMScheduler does not accept
    } finally {
      s?.dispose();
      $('reverse').disabled = false;
    }
  });
}

main().catch((e) => {
  $('error').textContent = `error: ${e.message}`;
  console.error(e);
});
