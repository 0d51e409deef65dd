// The Generate tab: the shipped fashion-mnist pipeline (or a folder the user picks) sampled by Generator in
// a Worker. The grid fills in from each step's preview (the predicted x0), so the images sharpen as the
// sampler runs; Cancel (or Esc) aborts within one step.
import { Generator, toCanvas, toPNG } from '../src/index.js';

const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const SHIPPED = new URL('../../models/fashion-mnist/', import.meta.url);
const $ = (id) => document.getElementById(id);

let gen = null;
let modelName = '';
let classNames = [];      // one per real class (the null class excluded)
let running = null;       // the AbortController of the run in progress
let lastImages = null;
const grid = $('gen-grid');

// For tests and the console: the page's Generator.
globalThis.ddpmDemo = { get generator() { return gen; } };

const MiB = (n) => `${(n / (1 << 20)).toFixed(1)} MiB`;

function setStatus(text, state) {
  $('gen-status').textContent = text;
  if (state) grid.dataset.state = state;
}

function showError(e) {
  $('gen-error').textContent = e ? `${e.name === 'Error' ? 'Error' : e.name}: ${e.message}` : '';
}

async function showInfo() {
  const i = gen.info;
  const m = gen.modelInfo;
  const [h, w] = m.sampleSize ?? ['?', '?'];
  const classes = m.numClassEmbeds === null ? 'unconditional'
    : `${classNames.length} classes${m.nullClassIndex === null ? '' : ' + a null class for guidance'}`;
  const { heapBytes } = await gen.memoryUsage();
  $('gen-info').textContent = `Generator: build ${i.build}, ${i.threads} thread${i.threads > 1 ? 's' : ''} (${i.why}); ` +
    `cancel by ${i.cancel}. Model ${modelName}: ${m.numParameters.toLocaleString('en')} parameters, ${h}×${w}×${m.inChannels}, ` +
    `${classes}. wasm heap ${MiB(heapBytes)}.`;
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
}

async function load(model, name) {
  $('gen-run').disabled = true;
  showError(null);
  setStatus(`Loading ${name}…`, 'loading');
  const old = gen;
  gen = null;
  await old?.dispose();
  try {
    gen = await Generator.create({ model, threads: 'auto' });
    modelName = name;
    fillClasses();
    await showInfo();
    setStatus('Ready.', 'ready');
    $('gen-run').disabled = false;
  } catch (e) {
    setStatus(`Could not load ${name}.`, 'error');
    showError(e);
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
  };
}

function makeGrid(options) {
  const figures = [];
  for (let i = 0; i < options.numImages; ++i) {
    const canvas = document.createElement('canvas');
    const [h, w] = gen.modelInfo.sampleSize ?? [32, 32];
    canvas.width = w;
    canvas.height = h;
    const label = options.classLabels ? classNames[options.classLabels.length === 1 ? options.classLabels[0] : options.classLabels[i]] : '';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `generated image ${i + 1}${label ? `: ${label}` : ''}`);
    const caption = document.createElement('figcaption');
    caption.textContent = label;
    const figure = document.createElement('figure');
    figure.append(canvas, caption);
    figures.push(figure);
  }
  grid.replaceChildren(...figures);
  return figures.map((f) => f.firstChild);
}

async function generate() {
  if (!gen || running) return;
  if (!$('gen-form').reportValidity()) return;
  showError(null);
  const options = readForm();
  const canvases = makeGrid(options);
  const controller = new AbortController();
  running = controller;
  $('gen-run').disabled = true;
  $('gen-cancel').disabled = false;
  $('gen-save').disabled = true;
  $('gen-progress').value = 0;
  setStatus(`Sampling ${options.numImages} image${options.numImages > 1 ? 's' : ''}…`, 'running');
  let lastStep = 0;
  try {
    const result = await gen.generate({
      ...options,
      signal: controller.signal,
      onProgress: ({ step, total, preview, elapsedMs }) => {
        lastStep = step;
        canvases.forEach((c, i) => toCanvas(preview, i, c));
        $('gen-progress').value = step / total;
        setStatus(`Step ${step} of ${total} · ${(elapsedMs / step).toFixed(0)} ms/step · ${gen.info.build}, ` +
                  `${gen.info.threads} thread${gen.info.threads > 1 ? 's' : ''}`);
      },
    });
    lastImages = result.images;
    canvases.forEach((c, i) => toCanvas(result.images, i, c));
    $('gen-save').disabled = false;
    setStatus(`Done: ${options.numImages} image${options.numImages > 1 ? 's' : ''}, ${result.steps} ${options.scheduler} steps, ` +
              `${result.msPerStep.toFixed(0)} ms/step (${(result.totalMs / 1000).toFixed(1)} s) · ${gen.info.build}, ` +
              `${gen.info.threads} thread${gen.info.threads > 1 ? 's' : ''}`, 'done');
  } catch (e) {
    if (e.name === 'AbortError') {
      setStatus(`Cancelled after step ${lastStep}.`, 'cancelled');
    } else {
      setStatus('Failed.', 'error');
      showError(e);
    }
  } finally {
    running = null;
    $('gen-cancel').disabled = true;
    $('gen-run').disabled = !gen;
    if (gen) await showInfo().catch(() => {});
  }
}

function cancel() {
  running?.abort();
}

function savePNG() {
  if (!lastImages) return;
  const blob = new Blob([toPNG(lastImages, { padding: 2 })], { type: 'image/png' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `ddpm-${modelName.replace(/[^\w.-]+/g, '_')}-seed${$('gen-seed').value}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
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
  if (!files?.length) return;
  const name = (files[0].webkitRelativePath || files[0].name).split('/')[0];
  load(files, name);
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
  if (running) return;
  try {
    if (entries.length) await load(await droppedFiles(entries), entries.length === 1 ? entries[0].name : 'dropped files');
    else await load(files, 'dropped files');
  } catch (err) {
    showError(err);
  }
});

load(SHIPPED.href, 'fashion-mnist');
