// The Train tab: a small class-conditional UNet trained from scratch on 2,000 Fashion-MNIST images
// (web/demo/data/, written by tools/make_train_subset.mjs) with Generator.createTrainer, in a Worker.
// Training runs in chunks up to the next preview; after each chunk the EMA weights are exported and a
// second, single-thread Generator samples one image per class from them while the next chunk trains.
// Pause (or Esc) aborts the chunk within one step and keeps the steps taken; Resume goes on from there.
// Export downloads the pipeline folder as an uncompressed tar.
import { Generator, toCanvas } from '../src/index.js';
import { download } from './download.js';
import { drawLoss, lossPlotter, lossSummary } from './loss_plot.js';
import { tar } from './tar.js';

const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DATA = new URL('data/fashion-mnist-2000.bin', import.meta.url);
const SIZE = 28;
const NULL_CLASS = 10;
export const UNET_CONFIG = {
  _class_name: 'UNet2DModel',
  sample_size: SIZE,
  in_channels: 1,
  out_channels: 1,
  block_out_channels: [16, 32],
  layers_per_block: 1,
  down_block_types: ['DownBlock2D', 'DownBlock2D'],
  up_block_types: ['UpBlock2D', 'UpBlock2D'],
  norm_num_groups: 8,
  add_attention: false,
  num_class_embeds: FASHION_MNIST.length + 1,
  null_class_index: NULL_CLASS,
};
const SCHEDULER_CONFIG = { _class_name: 'DDPMScheduler', num_train_timesteps: 1000, beta_schedule: 'linear',
                           beta_start: 0.0001, beta_end: 0.02, prediction_type: 'epsilon', clip_sample: true };
const PREVIEW = { steps: 20, scheduler: 'ddim', seed: 0 };
const $ = (id) => document.getElementById(id);

let dataset = null;       // { images: Tensor [N, 1, 28, 28] in [-1, 1], labels: number[] }
let gen = null;           // the Generator whose Worker holds the trainer
let trainer = null;
let losses = [];          // every step's loss since Start
let running = null;       // the AbortController of the chunk in progress
let previewing = null;    // the preview in flight (a Promise)
let msPerStep = 0;
let session = 0;          // bumped by Start: late results of an earlier run are dropped

// For tests and the console.
globalThis.ddpmTrainDemo = { get losses() { return losses.slice(); }, get trainer() { return trainer; },
                             get generator() { return gen; }, get previewing() { return previewing; } };

const status = $('train-status');
function setStatus(text, state) {
  status.textContent = text;
  if (state) status.dataset.state = state;
}
function showError(e) {
  $('train-error').textContent = e ? `${e.name === 'Error' ? 'Error' : e.name}: ${e.message}` : '';
}
const num = (id) => Number($(id).value);
const step = () => losses.length;

function buttons() {
  const exists = trainer !== null;
  $('train-start').disabled = !dataset || running !== null;
  $('train-start').textContent = exists ? 'Start over' : 'Start';
  $('train-pause').disabled = running === null;
  $('train-resume').disabled = !exists || running !== null || step() >= num('train-steps');
  $('train-export').disabled = !exists || running !== null;
}

// ---- data ----

async function loadData() {
  const response = await fetch(DATA);
  if (!response.ok) throw new Error(`${DATA.pathname}: HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const pixels = SIZE * SIZE;
  const n = bytes.length / (pixels + 1);
  if (!Number.isInteger(n)) throw new Error(`${DATA.pathname}: ${bytes.length} bytes is not a whole number of images`);
  const images = new Float32Array(n * pixels);
  for (let i = 0; i < images.length; ++i) images[i] = bytes[i] / 127.5 - 1;
  return { images: { data: images, shape: [n, 1, SIZE, SIZE] }, labels: Array.from(bytes.subarray(n * pixels)) };
}

const plotLoss = lossPlotter($('train-loss'), () => losses);
const drawLossNow = () => drawLoss($('train-loss'), losses);

// ---- previews ----

// Until the first preview the grid holds placeholders: hatched boxes captioned "not sampled yet", which cannot be
// taken for samples (an empty canvas is a black square, just what a black sample would look like).
function makeGrid() {
  const figures = FASHION_MNIST.map((name, k) => {
    const canvas = document.createElement('canvas');
    canvas.width = SIZE;
    canvas.height = SIZE;
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${name}: not sampled yet`);
    const caption = document.createElement('figcaption');
    caption.textContent = `${name}: not sampled yet`;
    const figure = document.createElement('figure');
    figure.dataset.empty = '';
    figure.append(canvas, caption);
    return figure;
  });
  $('train-grid').replaceChildren(...figures);
  $('train-preview-title').textContent = 'Samples: none yet, the model is untrained. Start trains it; one sample per ' +
    'class appears here every "Preview every" steps.';
}

/** Draws a preview's images into the grid, replacing the placeholders. */
function showPreview(images) {
  [...$('train-grid').querySelectorAll('figure')].forEach((figure, i) => {
    const canvas = figure.querySelector('canvas');
    toCanvas(images, i, canvas);
    canvas.setAttribute('aria-label', `sample of class ${i}: ${FASHION_MNIST[i]}`);
    figure.querySelector('figcaption').textContent = FASHION_MNIST[i];
    delete figure.dataset.empty;
  });
}

/** The number of parameters in a safetensors file (its header's shapes). */
function countParameters(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  return Object.entries(header).filter(([k]) => k !== '__metadata__')
    .reduce((sum, [, t]) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
}

/** Samples one image per class from `files` (an exported pipeline) in a Generator of its own, one thread. */
async function preview(files, atStep, mine) {
  const sampler = await Generator.create({ model: files, threads: 1 });
  try {
    const { images } = await sampler.generate({ ...PREVIEW, numImages: FASHION_MNIST.length,
                                                classLabels: FASHION_MNIST.map((_, k) => k) });
    if (mine !== session) return;
    showPreview(images);
    $('train-grid').dataset.step = String(atStep);
    $('train-preview-title').textContent = `Samples after step ${atStep} (EMA weights, DDIM ${PREVIEW.steps} steps, seed ${PREVIEW.seed})`;
  } finally {
    await sampler.dispose();
  }
}

function startPreview(files) {
  const mine = session;
  const atStep = step();
  const p = preview(files, atStep, mine).catch((e) => {
    if (mine === session) showError(e);
  }).finally(() => {
    if (previewing === p) previewing = null;
  });
  previewing = p;
}

// ---- training ----

async function ensureGenerator() {
  if (gen) return gen;
  setStatus('Starting the worker…', 'loading');
  gen = await Generator.create({ threads: 'auto' });  // no model: this worker only trains
  return gen;
}

async function start() {
  if (!dataset || running) return;
  if (!$('train-form').reportValidity()) return;
  showError(null);
  session += 1;
  running = new AbortController();  // blocks a second Start while the trainer is made
  buttons();
  try {
    await ensureGenerator();
    await trainer?.dispose();
    trainer = null;
    losses = [];
    msPerStep = 0;
    drawLossNow();
    makeGrid();
    delete $('train-grid').dataset.step;
    trainer = await gen.createTrainer({ unetConfig: UNET_CONFIG, schedulerConfig: SCHEDULER_CONFIG, batchSize: num('train-batch'),
                                        lr: num('train-lr'), emaDecay: 0.995, labelDropout: 0.1, seed: num('train-seed') });
    delete $('train-info').dataset.params;  // the parameter count is added again after the first chunk
    $('train-info').textContent = `Trainer: ${trainer.threads} thread${trainer.threads > 1 ? 's' : ''} (${gen.info.build}), ` +
      `batch ${trainer.batchSize}, ${dataset.labels.length.toLocaleString('en')} training images of ${SIZE}×${SIZE}.`;
  } catch (e) {
    running = null;
    setStatus('Could not start.', 'error');
    showError(e);
    buttons();
    return;
  }
  running = null;
  await run();
}

/** Trains up to the Steps field, a chunk per preview, until done or paused. */
async function run() {
  if (!trainer || running) return;
  const mine = session;
  const controller = new AbortController();
  running = controller;
  buttons();
  setStatus(`Training… step ${step()}`, 'running');
  try {
    for (;;) {
      const total = num('train-steps');
      const every = Math.max(1, num('train-preview-every'));
      if (step() >= total) break;
      const chunk = Math.min(every - (step() % every), total - step());
      if ($('train-grid').querySelector('figure[data-empty]')) {
        $('train-preview-title').textContent = `Samples: none yet. The first, one per class, come after step ${step() + chunk}.`;
      }
      const t0 = performance.now();
      const before = step();
      await trainer.train({
        dataset,
        steps: chunk,
        signal: controller.signal,
        onProgress: ({ loss }) => {
          if (mine !== session) return;
          losses.push(loss);
          msPerStep = (performance.now() - t0) / (step() - before);
          $('train-progress').value = step() / total;
          setStatus(`Step ${step()} of ${total} · loss ${loss.toFixed(4)} · ${msPerStep.toFixed(0)} ms/step`);
          plotLoss();
        },
      });
      if (mine !== session) return;
      const files = await trainer.exportPipeline();
      if (!$('train-info').dataset.params) {
        $('train-info').dataset.params = '1';
        $('train-info').textContent += ` ${countParameters(files['unet/diffusion_pytorch_model.safetensors']).toLocaleString('en')} parameters.`;
      }
      if (!previewing) startPreview(files);  // a slow preview is skipped rather than queued
    }
    setStatus(`Done: ${step()} steps · loss ${lossSummary(losses, 20)} · ` +
              `${msPerStep.toFixed(0)} ms/step. Raise Steps and Resume to go on, or Export.`, 'done');
  } catch (e) {
    if (e.name === 'AbortError') {
      setStatus(`Paused after step ${step()}.`, 'paused');
    } else {
      setStatus('Failed.', 'error');
      showError(e);
    }
  } finally {
    if (running === controller) running = null;
    drawLossNow();
    buttons();
  }
}

function pause() {
  running?.abort();
}

// ---- export ----

async function exportPipeline() {
  if (!trainer || running) return;
  showError(null);
  try {
    const files = await trainer.exportPipeline();
    const dir = `fashion-mnist-browser-step${step()}`;
    const entries = Object.fromEntries(Object.entries(files).map(([path, contents]) => [`${dir}/${path}`, contents]));
    entries[`${dir}/loss.csv`] = `step,loss\n${losses.map((v, i) => `${i + 1},${v}`).join('\n')}\n`;
    download(tar(entries), `${dir}.tar`);
    setStatus(`Exported ${dir}.tar: tar xf it, then ddpm sample --model ${dir}`);
  } catch (e) {
    showError(e);
  }
}

// ---- page ----

$('train-form').addEventListener('submit', (e) => {
  e.preventDefault();
  start();
});
$('train-pause').addEventListener('click', pause);
$('train-resume').addEventListener('click', () => run());
$('train-export').addEventListener('click', exportPipeline);
$('train-steps').addEventListener('input', buttons);
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && running && !$('panel-train').hidden) pause();
});

drawLossNow();
makeGrid();
loadData().then((d) => {
  dataset = d;
  setStatus(`Ready: ${d.labels.length.toLocaleString('en')} training images. Start trains a fresh model.`, 'ready');
  buttons();
}, (e) => {
  setStatus('Could not load the training images.', 'error');
  showError(e);
});
