// The Schedulers tab of the demo page: the schedulers of ddpm-wasm, live, on the page's own thread. Plots each β schedule
// with a marker at the slider's t (schedule_plots.js), noises an image (a synthetic scene, a Fashion-MNIST garment, or an
// upload: explorer_images.js) with addNoise at that t, showing the noise ε and the formula's numbers, and runs 50 DDIM
// steps back from pure noise with an "oracle" ε (computed from the known x0), which must land on x0 exactly: a visible
// check of step().
import { DDIMScheduler, DDPMScheduler, ready, Tensor } from '../src/index.js';
import { gaussians, mulberry32 } from '../src/random.js';
import { showNotice, threadsNotice } from './build_notice.js';
import { garment, GARMENTS, syntheticScene, uploaded } from './explorer_images.js';
import { schedulePlots } from './schedule_plots.js';

const SCHEDULES = {
  linear: { beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 },
  scaled_linear: { beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 },
  squaredcos_cap_v2: { beta_schedule: 'squaredcos_cap_v2' },
  sigmoid: { beta_schedule: 'sigmoid', beta_start: 0.0001, beta_end: 0.02 },
};
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const SIZE = 64;  // the scene and uploads; a garment keeps the model's 32×32
const $ = (id) => document.getElementById(id);

// ---- images: [1, C, H, W] in [-1, 1], C = 3 (the scene, an upload) or 1 (a garment, as the model sees it) ----

function gaussian(shape, seed) {
  return new Tensor(gaussians(shape.reduce((a, b) => a * b, 1), mulberry32(seed)), shape);
}

/** Draws the tensor at its own size (CSS scales the canvas up); one channel is drawn grey. */
function draw(canvas, tensor) {
  const [, channels, h, w] = tensor.shape;
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(w, h);
  const plane = h * w;
  for (let p = 0; p < plane; ++p) {
    for (let c = 0; c < 3; ++c) img.data[4 * p + c] = Math.round((tensor.data[(channels === 1 ? 0 : c) * plane + p] + 1) * 127.5);
    img.data[4 * p + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

// ---- page ----

async function main() {
  const info = await ready();
  $('info').textContent = `ddpm-wasm ${info.version}: build ${info.build} (${info.why}), ` +
                          `${info.threads} thread(s), SIMD ${info.simd}`;
  showNotice($('sched-notice'), threadsNotice(info.why));

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
  const drawPlots = schedulePlots(names.map((n, k) => ({ name: n, color: COLORS[k], ...tables[n] })));
  $('legend').innerHTML = names.map((n, k) => `<span style="color:${COLORS[k]}">■ ${n}</span>`).join('');
  for (const n of names) $('schedule').add(new Option(n, n));

  // ε has x0's shape: a garment (one channel, like the model's training images) is noised with one channel of
  // noise, drawn grey as the garment is; colour noise on it would show a noising the model never sees.
  let x0 = syntheticScene(SIZE);
  let eps = gaussian(x0.shape, 1);
  draw($('x0'), x0);
  draw($('eps'), eps);

  const forward = () => {
    const t = Number($('t').value);
    $('t-out').value = t;
    const table = tables[$('schedule').value];
    const abar = table.alphasCumprod[t];
    const f = (v) => v.toFixed(4);
    const snr = abar / (1 - abar);
    $('t').setAttribute('aria-valuetext', `t = ${t}, square root of alpha-bar ${f(Math.sqrt(abar))}`);
    $('formula').textContent = `x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε = ${f(Math.sqrt(abar))}·x₀ + ${f(Math.sqrt(1 - abar))}·ε   ` +
      `(t = ${t}, β_t = ${table.betas[t].toExponential(3)}, ᾱ_t = ${f(abar)}, ` +
      `SNR = ᾱ_t/(1−ᾱ_t) = ${snr >= 0.01 ? snr.toPrecision(4) : snr.toExponential(3)}, log SNR = ${Math.log(snr).toFixed(3)})`;
    $('formula').dataset.sqrtAlphaBar = String(Math.sqrt(abar));
    const s = DDPMScheduler.fromConfig(table.config);
    try {
      draw($('xt'), s.addNoise(x0, eps, [t]));
    } finally {
      s.dispose();
    }
    drawPlots(t, $('schedule').value);
  };
  $('t').addEventListener('input', forward);
  $('schedule').addEventListener('change', forward);
  forward();

  // The image: the scene, a garment, or an upload (the menu's "Upload an image…" opens the file picker).
  const garmentGroup = $('x0-garments');
  for (const label of [0, 1, 3, 7, 8, 9]) garmentGroup.append(new Option(GARMENTS[label], `garment:${label}`));
  let shown = 'scene';
  const upload = { x0: null, caption: '' };
  const use = async (value, make, caption) => {
    $('error').textContent = '';
    try {
      x0 = await make();
    } catch (e) {
      $('error').textContent = `image: ${e.message}`;
      $('x0-source').value = shown;
      return;
    }
    shown = value;
    $('x0-source').value = value;
    $('x0-caption').textContent = `x₀: ${caption}`;
    $('x0').dataset.source = value;
    eps = gaussian(x0.shape, 1);
    const [, c, h, w] = x0.shape;
    $('eps-caption').textContent = `ε ~ N(0, I): ${w}×${h}, ${c === 1 ? 'one channel, as the model is trained' : '3 channels'}`;
    draw($('x0'), x0);
    draw($('eps'), eps);
    forward();
  };
  $('x0-source').addEventListener('change', () => {
    const value = $('x0-source').value;
    if (value === 'upload') {
      $('x0-source').value = shown;
      $('x0-upload').click();
    } else if (value === 'scene') {
      use(value, () => syntheticScene(SIZE), 'synthetic scene');
    } else if (value === 'uploaded') {
      use(value, async () => { if (!upload.x0) throw new Error('no image was uploaded'); return upload.x0; }, upload.caption);
    } else {
      const label = Number(value.split(':')[1]);
      use(value, () => garment(label), `Fashion-MNIST ${GARMENTS[label]}, 28×28 padded to 32×32, one channel: as the shipped model is trained`);
    }
  });
  $('x0-upload').addEventListener('change', (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    let option = $('x0-source').querySelector('option[value=uploaded]');
    if (!option) {
      option = new Option('', 'uploaded');
      $('x0-source').insertBefore(option, $('x0-source').querySelector('option[value=upload]'));
    }
    option.textContent = `Uploaded: ${file.name}`;
    upload.caption = `${file.name}, centre-cropped and resized to ${SIZE}×${SIZE}`;
    use('uploaded', async () => (upload.x0 = await uploaded(file, SIZE)), upload.caption);
    e.target.value = '';
  });

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
