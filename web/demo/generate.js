// The Generate tab: a shipped Fashion-MNIST pipeline (or a folder the user picks or drops) sampled by Generator
// in a Worker. Two grids fill in as the sampler runs: x_t (each step's sample, `latents`) and the predicted x0
// (`preview`); every step's frames are kept (frames.js, capped at 64 MB) so a step scrubber replays the run.
// Cancel (or Esc) aborts within one step. A folder that fails to load leaves the previous model in use.
import { clearModelCache, Generator, toPNG } from '../src/index.js';
import { showNotice, threadsNotice } from './build_notice.js';
import { download } from './download.js';
import { drawFrame, FrameStore } from './frames.js';
import { DownloadLine } from './model_download.js';
import { publishBatch, publishModel, session } from './session.js';

const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
// The shipped models, by their <select id="gen-model"> value: fashion-mnist-wide (issue 12's model, 2.7 M parameters,
// the default) and the first, smaller fashion-mnist (0.7 M, four times less work per image; ?model=small starts with it).
const SHIPPED = {
  shipped: { url: new URL('../../models/fashion-mnist-wide/', import.meta.url).href, name: 'fashion-mnist-wide' },
  small: { url: new URL('../../models/fashion-mnist/', import.meta.url).href, name: 'fashion-mnist' },
};
const $ = (id) => document.getElementById(id);

let gen = null;
let modelName = '';
let source = 'shipped';   // the <select id="gen-model"> value of the loaded model: a SHIPPED key or custom
let customModel = null;   // { model, name } of the user's folder once it loaded
let classNames = [];      // one per real class (the null class excluded)
let running = null;       // the AbortController of the run in progress
let loading = false;
let lastImages = null;
const grid = $('gen-grid');      // predicted x0 (and the result)
const xtGrid = $('gen-xt-grid'); // x_t
const frames = new FrameStore();
let canvases = { xt: [], x0: [] };
let follow = true;        // the scrubber follows the latest step until the user moves it back
const downloadLine = new DownloadLine();  // a model URL's download progress, then where its files came from

// For tests and the console: the page's Generator and the kept trajectory.
globalThis.ddpmDemo = { get generator() { return gen; }, frames };

const MiB = (n) => `${(n / (1 << 20)).toFixed(1)} MiB`;

function setStatus(text, state) {
  $('gen-status').textContent = text;
  if (state) grid.dataset.state = state;
}

/** Shows an error (none: clears it), the core's message as is between `before` and `after`. */
function showError(e, before = '', after = '') {
  $('gen-error').textContent = e ? `${before}${e.name === 'Error' ? 'Error' : e.name}: ${e.message}${after}` : '';
}

const isOutOfMemory = (e) => /out of memory|cannot allocate|memory access out of bounds|Aborted\(OOM\)|allocation failed/i
  .test(String(e?.message));

async function showInfo() {
  const i = gen.info;
  const m = gen.modelInfo;
  const [h, w] = m.sampleSize ?? ['?', '?'];
  const classes = m.numClassEmbeds === null ? 'unconditional'
    : `${classNames.length} classes${m.nullClassIndex === null ? '' : ' + a null class for guidance'}`;
  const { heapBytes } = await gen.memoryUsage();
  $('gen-info').textContent = `Generator: build ${i.build}, ${i.threads} thread${i.threads > 1 ? 's' : ''} (${i.why}); ` +
    `cancel by ${i.cancel}. Model ${modelName}: ${m.numParameters.toLocaleString('en')} parameters, ${h}×${w}×${m.inChannels}, ` +
    `${classes}. wasm heap ${MiB(heapBytes)}.` +
    (gen.samplingDefaults ? ' The sampler settings start at the model\'s recommended ones (sampling_defaults.json).' : '');
}

function fillClasses() {
  const m = gen.modelInfo;
  const n = m.numClassEmbeds === null ? 0 : m.numClassEmbeds - (m.nullClassIndex === null ? 0 : 1);
  classNames = n === FASHION_MNIST.length && /fashion/i.test(modelName) ? FASHION_MNIST
    : Array.from({ length: n }, (_, k) => `class ${k}`);
  const select = $('gen-class');
  select.replaceChildren();
  if (n === 0) {
    select.add(new Option('(unconditional model)', 'none'));
  } else {
    select.add(new Option(`All ${n}, in turn`, 'all'));
    classNames.forEach((name, k) => select.add(new Option(name, String(k))));
  }
  select.disabled = n === 0;
  $('gen-guidance').disabled = m.nullClassIndex === null;
  $('gen-guide-lo').disabled = $('gen-guide-hi').disabled = m.nullClassIndex === null;
}

// The model's recommended settings (its pipeline's sampling_defaults.json) become the form's values when it
// loads; the user can change them. Without the file the form keeps what it shows.
function applySamplingDefaults() {
  const d = gen.samplingDefaults;
  if (!d) return;
  if (d.scheduler) $('gen-scheduler').value = d.scheduler;
  const steps = d.steps ?? { ddpm: 1000, ddim: 50, dpmpp: 20 }[$('gen-scheduler').value];
  if (steps) $('gen-steps').value = String(steps);
  if (d.eta !== undefined) $('gen-eta').value = String(d.eta);
  if (d.guidance_scale !== undefined && !$('gen-guidance').disabled) $('gen-guidance').value = String(d.guidance_scale);
  // The guidance interval: the model's, else every timestep of its schedule.
  const last = (gen.schedulerConfig?.num_train_timesteps ?? 1000) - 1;
  const [lo, hi] = d.guidance_interval ?? [0, last];
  for (const [id, value] of [['gen-guide-lo', lo], ['gen-guide-hi', Math.min(hi, last)]]) {
    $(id).max = String(last);
    $(id).value = String(value);
  }
  $('gen-eta').disabled = $('gen-scheduler').value !== 'ddim';
}

function setBusy(busy) {
  $('gen-model').disabled = busy;
  $('gen-folder').disabled = busy;
  $('gen-download-again').disabled = busy;
}

function modelOptions() {
  const select = $('gen-model');
  let custom = select.querySelector('option[value=custom]');
  if (customModel) {
    if (!custom) {
      custom = new Option('', 'custom');
      select.insertBefore(custom, select.querySelector('option[value=folder]'));
    }
    custom.textContent = `${customModel.name} (your folder)`;
  }
  select.value = source;
}

/**
 * Loads `model` (a URL, FileList or { path: File } map) as `name` into a new Generator. The old one is disposed
 * only once the new one works: a bad folder leaves the previous model loaded, and the page says so.
 */
async function load(model, name, key) {
  if (running || loading) return;
  loading = true;
  setBusy(true);
  $('gen-run').disabled = true;
  showError(null);
  setStatus(`Loading ${name}…`, 'loading');
  // A model URL (the shipped one) downloads with progress, and is kept in the browser's Cache API for the next visit.
  const onDownload = typeof model === 'string' ? downloadLine.start() : undefined;
  try {
    const fresh = await Generator.create({ model, threads: 'auto', onDownload });
    if (onDownload) downloadLine.finish();
    else downloadLine.hide();
    const old = gen;
    gen = fresh;
    await old?.dispose();
    modelName = name;
    source = key;
    if (key === 'custom') customModel = { model, name };
    fillClasses();
    publishModel(gen, modelName, classNames);  // the Edit tab uses this Generator too
    applySamplingDefaults();
    await showInfo();
    showNotice($('gen-notice'), threadsNotice(gen.info.why));
    setStatus('Ready.', 'ready');
  } catch (e) {
    if (onDownload) downloadLine.hide();
    if (gen) {
      setStatus(`Could not load ${name}; still using ${modelName}.`, 'ready');
      showError(e, `Could not load the model "${name}": `,
                `\nThe previous model, ${modelName}, is still loaded. Pick a diffusers folder: a UNet folder ` +
                '(config.json and diffusion_pytorch_model.safetensors) or a pipeline folder (model_index.json, unet/, scheduler/).');
    } else {
      setStatus(`Could not load ${name}.`, 'error');
      showError(e, `Could not load the model "${name}": `, '\nPick a diffusers folder with the Model menu, or reload the page.');
    }
  } finally {
    loading = false;
    setBusy(false);
    modelOptions();
    $('gen-run').disabled = !gen;
  }
}

function readForm() {
  const num = (id) => Number($(id).value);
  const batch = num('gen-batch');
  const cls = $('gen-class').value;
  const labels = cls === 'none' ? undefined
    : cls === 'all' ? Array.from({ length: batch }, (_, i) => i % classNames.length) : [Number(cls)];
  const scheduler = $('gen-scheduler').value;
  return {
    numImages: batch,
    steps: num('gen-steps'),
    scheduler,
    eta: scheduler === 'ddim' ? num('gen-eta') : 0,
    seed: num('gen-seed'),
    classLabels: labels,
    guidanceScale: gen.modelInfo.nullClassIndex === null || !labels ? 1 : num('gen-guidance'),
    guidanceInterval: [num('gen-guide-lo'), num('gen-guide-hi')],
  };
}

/** One figure per image in `target`, captioned with its class; returns the canvases. */
function makeGrid(target, options, what) {
  const figures = [];
  const [h, w] = gen.modelInfo.sampleSize ?? [32, 32];
  for (let i = 0; i < options.numImages; ++i) {
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const label = options.classLabels ? classNames[options.classLabels.length === 1 ? options.classLabels[0] : options.classLabels[i]] : '';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `${what} ${i + 1}${label ? `: ${label}` : ''}`);
    const caption = document.createElement('figcaption');
    caption.textContent = label;
    const figure = document.createElement('figure');
    figure.append(canvas, caption);
    figures.push(figure);
  }
  target.replaceChildren(...figures);
  return figures.map((f) => f.firstChild);
}

// ---- the trajectory: both grids show frame `index` of the kept frames ----

function frameLabel(f) {
  return `step ${f.step} of ${frames.total}, t = ${f.timestep}${f.step === frames.total && !running ? ' (final)' : ''}`;
}

function showFrame(index) {
  const f = frames.frames[index];
  if (!f) return;
  canvases.xt.forEach((c, i) => drawFrame(f.latents, frames.shape, i, c));
  canvases.x0.forEach((c, i) => drawFrame(f.preview, frames.shape, i, c));
  const label = frameLabel(f);
  $('gen-scrub-out').value = label;
  $('gen-scrub').setAttribute('aria-valuetext', label);
  grid.dataset.frame = String(f.step);
}

function updateScrubber() {
  const scrub = $('gen-scrub');
  scrub.max = String(Math.max(0, frames.length - 1));
  scrub.disabled = frames.length < 2;
  if (follow) scrub.value = scrub.max;
  $('gen-scrub-note').textContent = frames.length ? frames.describe() : '';
}

$('gen-scrub').addEventListener('input', () => {
  const scrub = $('gen-scrub');
  follow = scrub.value === scrub.max;
  showFrame(Number(scrub.value));
});

async function generate() {
  if (!gen || running || loading) return;
  if (!$('gen-form').reportValidity()) return;
  showError(null);
  const options = readForm();
  const [h, w] = gen.modelInfo.sampleSize ?? [32, 32];
  canvases = { xt: makeGrid(xtGrid, options, 'x_t of image'), x0: makeGrid(grid, options, 'generated image') };
  frames.reset([options.numImages, gen.modelInfo.inChannels ?? 1, h, w], 0);
  follow = true;
  updateScrubber();
  $('gen-scrub-out').value = 'running…';
  const controller = new AbortController();
  running = controller;
  setBusy(true);
  $('gen-run').disabled = true;
  $('gen-cancel').disabled = false;
  $('gen-save').disabled = true;
  $('gen-progress').value = 0;
  setStatus(`Sampling ${options.numImages} image${options.numImages > 1 ? 's' : ''}…`, 'running');
  let lastStep = 0;
  const threads = () => `${gen.info.build}, ${gen.info.threads} thread${gen.info.threads > 1 ? 's' : ''}`;
  try {
    const result = await gen.generate({
      ...options,
      signal: controller.signal,
      onProgress: ({ step, total, timestep, preview, latents, elapsedMs }) => {
        lastStep = step;
        if (frames.total !== total) frames.reset(preview.shape, total);
        // latents (x_{t-1}) come from the wasm build; an older dist/ without them shows x0 in both grids.
        frames.add({ step, timestep, latents: latents ?? preview, preview });
        updateScrubber();
        if (follow) showFrame(frames.length - 1);
        $('gen-progress').value = step / total;
        setStatus(`Step ${step} of ${total} · ${(elapsedMs / step).toFixed(0)} ms/step · ${threads()}`);
      },
    });
    lastImages = result.images;
    publishBatch(result.images, options.classLabels);
    frames.setResult(result.images);
    running = null;
    updateScrubber();
    showFrame(Number($('gen-scrub').value));
    $('gen-save').disabled = false;
    setStatus(`Done: ${options.numImages} image${options.numImages > 1 ? 's' : ''}, ${result.steps} ${options.scheduler} steps, ` +
              `${result.msPerStep.toFixed(0)} ms/step (${(result.totalMs / 1000).toFixed(1)} s) · ${threads()}`, 'done');
  } catch (e) {
    running = null;
    if (frames.length) {
      showFrame(Number($('gen-scrub').value));
    } else {  // nothing was drawn: no blank canvases
      $('gen-scrub-out').value = 'no steps';
      grid.replaceChildren();
      xtGrid.replaceChildren();
      canvases = { xt: [], x0: [] };
    }
    if (e.name === 'AbortError') {
      setStatus(`Cancelled after step ${lastStep}.`, 'cancelled');
    } else if (isOutOfMemory(e)) {
      setStatus('Out of memory.', 'error');
      const [n, c, hh, ww] = frames.shape;
      showError(e, 'Out of memory: ', `\nSampling ${n} image${n > 1 ? 's' : ''} of ${hh}×${ww}×${c} needs more wasm memory than ` +
                'this tab can give (at most 4 GB). Try a smaller batch (guidance > 1 doubles the work).');
      await recovered();
    } else {
      setStatus('Failed.', 'error');
      showError(e);
      await recovered();
    }
  } finally {
    running = null;
    setBusy(false);
    $('gen-cancel').disabled = true;
    $('gen-run').disabled = !gen;
    if (gen) await showInfo().catch(() => {});
  }
}

/**
 * After a failed run (here or on the Edit tab): if the worker died with it (a wasm abort), load the model again so
 * the page stays usable. Returns a sentence for the page when it had to, else ''.
 */
async function recover() {
  if (!gen) return '';
  try {
    await gen.memoryUsage();
    return '';
  } catch {
    const model = source === 'custom' ? customModel : { model: SHIPPED[source].url, name: SHIPPED[source].name };
    const old = gen;
    gen = null;
    publishModel(null);
    await old?.dispose().catch(() => {});
    let said;
    try {
      gen = await Generator.create({ model: model.model, threads: 'auto' });
      fillClasses();
      publishModel(gen, modelName, classNames);
      said = `The engine's worker stopped; ${model.name} was loaded again.`;
    } catch (e) {
      said = `The engine's worker stopped and ${model.name} could not be loaded again (${e.message}): reload the page.`;
    }
    return said;
  }
}
session.recover = recover;

/** recover(), saying on this tab what it did. */
async function recovered() {
  const said = await recover();
  if (said) $('gen-error').textContent += `\n${said}`;
}

function cancel() {
  running?.abort();
}

function savePNG() {
  if (!lastImages) return;
  download(new Blob([toPNG(lastImages, { padding: 2 })], { type: 'image/png' }),
           `ddpm-${modelName.replace(/[^\w.-]+/g, '_')}-seed${$('gen-seed').value}.png`);
}

$('gen-form').addEventListener('submit', (e) => {
  e.preventDefault();
  generate();
});
$('gen-cancel').addEventListener('click', cancel);
$('gen-save').addEventListener('click', savePNG);
$('gen-random-seed').addEventListener('click', () => {
  $('gen-seed').value = String(Math.floor(Math.random() * 2 ** 32));
});
$('gen-scheduler').addEventListener('change', () => {
  $('gen-eta').disabled = $('gen-scheduler').value !== 'ddim';
});
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && running) cancel();
});
$('gen-folder').addEventListener('change', (e) => {
  const files = e.target.files;
  if (!files?.length) {
    modelOptions();
    return;
  }
  const name = (files[0].webkitRelativePath || files[0].name).split('/')[0];
  load([...files], name, 'custom');
  e.target.value = '';  // picking the same folder again loads it again
});
$('gen-folder').addEventListener('cancel', () => modelOptions());
// The shipped model came from the browser's cache: forget that copy and download it again (a model changed at the same
// URL is otherwise not seen until the cache is cleared).
$('gen-download-again').addEventListener('click', async () => {
  if (running || loading) return;
  const shipped = SHIPPED[source] ?? SHIPPED.shipped;
  await clearModelCache({ model: shipped.url });
  await load(shipped.url, shipped.name, SHIPPED[source] ? source : 'shipped');
});
// The Model menu: a shipped model, the user's folder once loaded, or "Your own folder…" (the folder picker).
$('gen-model').addEventListener('change', () => {
  const value = $('gen-model').value;
  if (value === 'folder') {
    $('gen-folder').click();
    modelOptions();  // back to the loaded model until a folder is picked
  } else if (SHIPPED[value] && source !== value) {
    load(SHIPPED[value].url, SHIPPED[value].name, value);
  } else if (value === 'custom' && source !== 'custom' && customModel) {
    load(customModel.model, customModel.name, 'custom');
  }
});

// A folder dropped on the Generate tab: its entries walked into a { relative path: File } map, which
// Generator.create takes as it takes a FileList from the picker.
async function droppedFiles(entries) {
  const out = {};
  const walk = async (entry, prefix) => {
    if (entry.isFile) {
      out[prefix + entry.name] = await new Promise((resolve, reject) => entry.file(resolve, reject));
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`);
      }
    }
  };
  for (const e of entries) await walk(e, '');
  return out;
}

const panel = $('panel-generate');
panel.addEventListener('dragover', (e) => {
  if (![...e.dataTransfer.types].includes('Files')) return;
  e.preventDefault();
  panel.classList.add('dropping');
});
panel.addEventListener('dragleave', (e) => {
  if (!panel.contains(e.relatedTarget)) panel.classList.remove('dropping');
});
panel.addEventListener('drop', async (e) => {
  panel.classList.remove('dropping');
  // Entries must be taken while the event is being dispatched; reading them can wait.
  const entries = [...e.dataTransfer.items].map((item) => item.webkitGetAsEntry?.()).filter(Boolean);
  const files = [...e.dataTransfer.files];  // without entries (no folders): the files themselves
  if (!entries.length && !files.length) return;
  e.preventDefault();
  if (running || loading) return;
  try {
    if (entries.length) await load(await droppedFiles(entries), entries.length === 1 ? entries[0].name : 'dropped files', 'custom');
    else await load(files, 'dropped files', 'custom');
  } catch (err) {
    showError(err);
  }
});

// A first visit shows what the page is for: once the shipped model is in, the Generate tab samples a batch with
// the form's defaults (?autorun=0 turns this off; the browser tests use it to start from a ready page). The default
// batch is 10 with "All ten, in turn", one garment of each class: a batch of 8 never showed Bag or Ankle boot.
// The settings are the model's sampling_defaults.json, chosen to draw these 10 within issue 12's browser budget
// (`npm run bench` times it: 3 s on simd-threads with 2 threads, 6 s on simd with 1).
const params = new URLSearchParams(location.search);
const autorun = params.get('autorun') !== '0';
const first = params.get('model') === 'small' ? 'small' : 'shipped';
load(SHIPPED[first].url, SHIPPED[first].name, first).then(() => {
  if (autorun && gen && !$('panel-generate').hidden) generate();
});
