// The Train tab's toy: a denoiser for points in the plane (ToyMLPDenoiser, as `ddpm train --data toy2d:NAME`)
// trained from scratch in this page's own thread. The MLP is small (a step of 256 points takes a few ms), so
// training runs in slices of at most FRAME_BUDGET_MS per animation frame and the page stays responsive.
// Every "Sample every" steps the EMA weights sample points with DDIM; the scatter then plays the reverse
// process, x_T ~ N(0, I) flowing onto the data, and the step slider replays it.
import { ready, Tensor, toyDataset, ToyMLPDenoiser, Trainer } from '../src/index.js';
import { gaussians, mulberry32 } from '../src/random.js';
import { drawAxes } from './axes.js';
import { drawLoss, lossPlotter, lossSummary } from './loss_plot.js';

const MODEL = { _class_name: 'ToyMLPDenoiser', data_dim: 2, hidden: 128, num_hidden_layers: 3, time_embed_dim: 32 };
// diffusers' DDPMScheduler with its linear schedule, unclipped: toy points are not images in [-1, 1].
const SCHEDULER = { _class_name: 'DDPMScheduler', num_train_timesteps: 1000, beta_schedule: 'linear', beta_start: 0.0001,
                    beta_end: 0.02, prediction_type: 'epsilon', clip_sample: false };
const SAMPLE = { scheduler: 'ddim', steps: 40, numPoints: 800 };
const DATA_POINTS = 20000;
const SHOWN_DATA = 2000;
const FRAME_BUDGET_MS = 12;
const PLAY_MS = 1600;        // one play of the reverse process
const NOISE_VIEW = 2.5;      // x_T ~ N(0, I): the scatter shows at least [-2.5, 2.5]², 97% of its points
const SCATTER_PAD = { l: 44, r: 12, t: 12, b: 44 };  // as wide as high: the square canvas keeps one scale on both axes
const $ = (id) => document.getElementById(id);

let data = null;             // Tensor [DATA_POINTS, 2]
let view = null;             // what the scatter shows: { x: [lo, hi], y: [lo, hi] }, a square that fits the data
let trainer = null;
let losses = [];
let frames = [];             // the last sampling run: [{ label, points: Float32Array }], x_T first
let running = false;
let pauseRequested = false;
let sampledAt = -1;          // the step the frames were sampled at
let rng = null;
let playing = 0;             // the requestAnimationFrame id of the playback

// For tests and the console.
globalThis.ddpmToyDemo = { get losses() { return losses.slice(); }, get frames() { return frames; }, get data() { return data; },
                           get sampledAt() { return sampledAt; }, get running() { return running; }, get view() { return view; } };

const num = (id) => Number($(id).value);
const step = () => losses.length;
const plotLoss = lossPlotter($('toy-loss'), () => losses);

function setStatus(text, state) {
  $('toy-status').textContent = text;
  if (state) $('toy-status').dataset.state = state;
}
function showError(e) {
  $('toy-error').textContent = e ? `${e.name === 'Error' ? 'Error' : e.name}: ${e.message}` : '';
}
function buttons() {
  $('toy-start').disabled = running;
  $('toy-start').textContent = trainer ? 'Start over' : 'Start';
  $('toy-pause').disabled = !running;
  $('toy-resume').disabled = running || !trainer || step() >= num('toy-steps');
  $('toy-replay').disabled = frames.length === 0;
  $('toy-frame').disabled = frames.length === 0;
}

// ---- drawing ----

/**
 * The scatter's range: a square around every data point (the moons reach x = ±2.7) and the middle of the noise the
 * samples start from, with a margin. One scale on both axes, so that a circle of points stays round.
 */
function viewOf(points) {
  let [x0, x1, y0, y1] = [-NOISE_VIEW, NOISE_VIEW, -NOISE_VIEW, NOISE_VIEW];
  for (let i = 0; i < points.length; i += 2) {
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  const half = 0.54 * Math.max(x1 - x0, y1 - y0);  // 8% margin in all
  const [cx, cy] = [(x0 + x1) / 2, (y0 + y1) / 2];
  return { x: [cx - half, cx + half], y: [cy - half, cy + half] };
}

function setData() {
  data = toyDataset($('toy-data').value, DATA_POINTS, num('toy-seed'));
  view = viewOf(data.data);
}

function drawScatter(points, label) {
  const canvas = $('toy-scatter');
  const axis = (title, [lo, hi]) => ({ title, lo, hi, exact: true, spacing: 48 });  // the same ticks on both axes
  const { px, py, box } = drawAxes(canvas, axis('x', view.x), axis('y', view.y), SCATTER_PAD);
  const ctx = canvas.getContext('2d');
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.l, box.t, box.r - box.l, box.b - box.t);
  ctx.clip();  // noise points beyond the view stay inside the frame
  const dots = (p, n, color, r) => {
    ctx.fillStyle = color;
    for (let i = 0; i < n; ++i) ctx.fillRect(px(p[2 * i]) - r / 2, py(p[2 * i + 1]) - r / 2, r, r);
  };
  dots(data.data, SHOWN_DATA, '#c8c8c8', 2);
  if (points) dots(points, points.length / 2, '#1a5fb4', 3);
  ctx.restore();
  $('toy-caption').textContent = label;
}

function showFrame(i) {
  const f = frames[i];
  if (!f) return;
  $('toy-frame').value = String(i);
  $('toy-frame-out').value = f.label;
  drawScatter(f.points, `Blue: ${SAMPLE.numPoints} samples, ${f.label}; grey: training data. Sampled after step ${sampledAt}.`);
}

function play() {
  cancelAnimationFrame(playing);
  const t0 = performance.now();
  const tick = () => {
    const i = Math.min(frames.length - 1, Math.floor(((performance.now() - t0) / PLAY_MS) * frames.length));
    showFrame(i);
    playing = i < frames.length - 1 ? requestAnimationFrame(tick) : 0;
  };
  tick();
}

// ---- sampling: the EMA weights (what Export ships) through DDIM, every step kept as a frame ----

function sampleFrames() {
  const files = trainer.exportPipeline();
  const model = ToyMLPDenoiser.fromFiles(files['unet/config.json'], files['unet/diffusion_pytorch_model.safetensors']);
  try {
    const xT = new Tensor(gaussians(SAMPLE.numPoints * 2, mulberry32(num('toy-seed') + 1)), [SAMPLE.numPoints, 2]);
    const out = [{ label: 'x_T ~ N(0, I)', points: xT.data }];
    model.sample(SCHEDULER, { ...SAMPLE, latents: xT, onProgress: ({ step: s, total, timestep, latents }) => {
      out.push({ label: s === total ? `x_0 (step ${s} of ${total})` : `x_t after step ${s} of ${total} (t = ${timestep})`,
                 points: latents.data });
    } });
    frames = out;
    sampledAt = step();
    $('toy-frame').max = String(frames.length - 1);
    play();
  } finally {
    model.dispose();
  }
}

// ---- training ----

async function start() {
  if (running || !$('toy-form').reportValidity()) return;
  showError(null);
  try {
    await ready();
    trainer?.dispose();
    trainer = null;
    setData();
    // One thread: this runs on the page's own thread, where a pthread pool could not block.
    // Warmup, then a cosine decay to 0 at Steps, as `ddpm train` schedules it: the late small steps sharpen the
    // samples. (Resume past Steps goes on at lr 0 until Start over.)
    trainer = Trainer.create(MODEL, { scheduler: SCHEDULER, lr: num('toy-lr'), seed: num('toy-seed'), threads: 1,
                                      warmupSteps: 100, totalSteps: num('toy-steps'), ema: { decay: 0.995 }, maxGradNorm: 1.0 });
  } catch (e) {
    setStatus('Could not start.', 'error');
    showError(e);
    return;
  }
  losses = [];
  frames = [];
  sampledAt = -1;
  rng = mulberry32(num('toy-seed'));
  drawLoss($('toy-loss'), losses);
  drawScatter(null, 'Grey: training data. Samples appear after the first sampling.');
  run();
}

function run() {
  if (!trainer || running) return;
  running = true;
  pauseRequested = false;
  buttons();
  setStatus(`Training… step ${step()}`, 'running');
  const batch = num('toy-batch');
  const x0 = new Float32Array(batch * 2);
  const slice = () => {
    try {
      const total = num('toy-steps');
      const every = Math.max(1, num('toy-sample-every'));
      const t0 = performance.now();
      let stepsHere = 0;
      while (step() < total && !pauseRequested && performance.now() - t0 < FRAME_BUDGET_MS) {
        for (let b = 0; b < batch; ++b) {
          const i = Math.floor(rng() * data.shape[0]);
          x0[2 * b] = data.data[2 * i];
          x0[2 * b + 1] = data.data[2 * i + 1];
        }
        losses.push(trainer.step({ x0: { data: x0, shape: [batch, 2] } }).loss);
        stepsHere += 1;
        if (step() % every === 0) break;  // sample at exactly this step
      }
      const ms = (performance.now() - t0) / Math.max(stepsHere, 1);
      $('toy-progress').value = step() / total;
      plotLoss();
      if (step() % every === 0 || step() >= total) {
        if (sampledAt !== step()) sampleFrames();
      }
      if (step() >= total || pauseRequested) {
        stop(step() >= total
          ? [`Done: ${step()} steps · loss ${lossSummary(losses, 100)}.`, 'done']
          : [`Paused after step ${step()}.`, 'paused']);
        return;
      }
      setStatus(`Step ${step()} of ${total} · loss ${losses.at(-1).toFixed(4)} · ${ms.toFixed(1)} ms/step`);
      requestAnimationFrame(slice);
    } catch (e) {
      stop(['Failed.', 'error']);
      showError(e);
    }
  };
  requestAnimationFrame(slice);
}

function stop([text, state]) {
  running = false;
  setStatus(text, state);
  drawLoss($('toy-loss'), losses);
  buttons();
}

// ---- page ----

$('toy-form').addEventListener('submit', (e) => {
  e.preventDefault();
  start();
});
$('toy-pause').addEventListener('click', () => { pauseRequested = true; });
$('toy-resume').addEventListener('click', run);
$('toy-replay').addEventListener('click', play);
$('toy-frame').addEventListener('input', () => {
  cancelAnimationFrame(playing);
  showFrame(Number($('toy-frame').value));
});
$('toy-steps').addEventListener('input', buttons);
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && running && !$('panel-train').hidden) pauseRequested = true;
});
$('toy-data').addEventListener('change', () => {
  if (running) return;
  setData();
  frames = [];
  buttons();
  drawScatter(null, `Grey: ${SHOWN_DATA} of the ${$('toy-data').value} training points.`);
});

drawLoss($('toy-loss'), losses);
buttons();
ready().then(() => {
  setData();
  drawScatter(null, `Grey: ${SHOWN_DATA} of the ${$('toy-data').value} training points. Start trains a fresh model.`);
  setStatus('Ready.', 'ready');
}, (e) => {
  setStatus('Could not load ddpm-wasm.', 'error');
  showError(e);
});
