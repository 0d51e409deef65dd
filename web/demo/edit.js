// The Edit tab: a start picture (a shipped garment, one the Generate tab made, or an upload) edited by inpainting
// (RePaint, with a painted mask: mask_painter.js), image-to-image (SDEdit) or DDIM inversion with an interpolation
// strip (the runs: edit_runs.js). It uses the Generate tab's Generator (session.js) rather than a second worker and
// a second copy of the model; its requests queue behind a Generate run in progress. x_t and the predicted x0 show
// live at every step; Cancel (or Esc) aborts within one step.
import { toCanvas } from '../src/index.js';
import { filePicture, GARMENTS, garmentPicture } from './edit_pictures.js';
import * as runs from './edit_runs.js';
import { MaskPainter } from './mask_painter.js';
import { session } from './session.js';

const $ = (id) => document.getElementById(id);
const DEFAULTS = { picture: 'garment:0', target: 3, strip: 'garment:1', preset: 'centre' };  // T-shirt -> Dress; -> Trouser
const RUN_LABEL = { inpaint: 'Inpaint', img2img: 'Run image-to-image', invert: 'Invert' };

let picture = null;    // { key, tensor [1, C, H, W], caption, note, label: its class or null }
let upload = null;     // { imageData, caption } of the last uploaded file, fitted again if the model changes
let result = null;     // the last run's result: { tensor [1, C, H, W], caption, label: the class it was made as, or null }
let running = null;    // the AbortController of the run in progress
let choosing = 0;      // the latest picture request: an older one that ends later is dropped
let maskSize = '';     // "HxW" the mask was made for
const painter = new MaskPainter($('edit-mask'), { onChange: describeMask });

// For tests and the console: what the last run was given and gave back.
globalThis.ddpmEdit = { painter, lastRun: null, get picture() { return picture?.tensor ?? null; } };

// A model without sample_size cannot take pictures; imageToTensor then says so, and the views stay 32×32.
const modelSize = (gen) => gen.modelInfo.sampleSize ?? [32, 32];
const mode = () => document.querySelector('input[name=edit-mode]:checked').value;
const num = (id) => Number($(id).value);

function setStatus(text, state) {
  $('edit-status').textContent = text;
  if (state) $('edit-status').dataset.state = state;
}

const showError = (text) => { $('edit-error').textContent = text; };

/** Whether class k of the model is the Fashion-MNIST garment k (then a garment's label is its class). */
const garmentClasses = () => session.classNames.length === GARMENTS.length && session.classNames.every((n, k) => n === GARMENTS[k]);

// ---- the form ----

function showMode() {
  const m = mode();
  for (const el of document.querySelectorAll('#panel-edit [data-mode]')) {
    const on = el.dataset.mode.split(' ').includes(m);
    el.hidden = !on;
    // A hidden field is not validated or read: a bad value left in another mode does not block this one.
    for (const control of el.querySelectorAll('input, select, button')) control.disabled = !on;
  }
  painter.setEnabled(m === 'inpaint');
  describeMask();
  $('edit-run').textContent = RUN_LABEL[m];
  if (m === 'img2img') updateStartTimestep();
}

function describeMask() {
  const n = painter.fillCount;
  const total = painter.width * painter.height;
  $('edit-mask-count').textContent = n ? `${n} of ${total} pixels to fill in.` : 'Nothing to fill in yet.';
  $('edit-mask').dataset.fill = String(n);
  const marked = painter.enabled ? `; ${n} of ${total} pixels marked to fill in` : '';
  $('edit-mask').setAttribute('aria-label', `The start picture, ${picture?.caption ?? 'not chosen yet'}${marked}`);
}

function classOptions(select, names, nullIndex) {
  const previous = select.value;
  select.replaceChildren();
  names.forEach((name, k) => select.add(new Option(name, String(k))));
  if (nullIndex !== null && names.length) select.add(new Option('None (the null class: unconditional)', String(nullIndex)));
  if (!names.length) select.add(new Option('(unconditional model)', 'none'));
  if ([...select.options].some((o) => o.value === previous)) select.value = previous;
}

/** [label] from a class menu, or undefined for an unconditional model. */
const labelsOf = (select) => (select.value === 'none' ? undefined : [Number(select.value)]);

let timestepRequest = 0;
/** "noised to t = 480 of 1000" beside the strength slider: the core's answer for these settings. */
async function updateStartTimestep() {
  const gen = session.generator;
  const strength = num('edit-strength');
  $('edit-strength-out').value = strength.toFixed(2);
  if (!gen) return;
  const id = ++timestepRequest;
  // The question queues behind a run in progress in the same worker: say so rather than show a stale t.
  if (running) $('edit-start-t').textContent = 'noised to t = … (after the run in progress)';
  const settings = { strength, scheduler: $('edit-scheduler').value, steps: num('edit-i2i-steps') };
  let text;
  try {
    const t = await gen.imageToImageStartTimestep(settings);
    text = `noised to t = ${t} of ${gen.schedulerConfig?.num_train_timesteps ?? 1000}`;
  } catch (e) {
    text = e.message;  // e.g. steps out of range: the core's message
  }
  if (id !== timestepRequest) return;
  $('edit-start-t').textContent = text;
  $('edit-start-t').dataset.settings = `${strength.toFixed(2)} ${settings.scheduler} ${settings.steps}`;  // what it answers
  $('edit-strength').setAttribute('aria-valuetext', `${strength.toFixed(2)}, ${text}`);
}

// ---- the start picture ----

/** Makes `key` the start picture: garment:k, generated:i, uploaded, or result. */
async function choose(key) {
  const gen = session.generator;
  if (!gen) return;
  const id = ++choosing;
  const [h, w] = modelSize(gen);
  let made;
  try {
    if (key.startsWith('garment:')) {
      const label = Number(key.split(':')[1]);
      const { imageData, caption } = await garmentPicture(label, h, w);
      made = { ...(await gen.imageToTensor(imageData)), caption, label: garmentClasses() ? label : null };
    } else if (key.startsWith('generated:')) {
      const i = Number(key.split(':')[1]);
      const { images, labels } = session.lastBatch;
      const label = labels?.[i] ?? null;
      const name = label === null ? '' : ` (${session.classNames[label]})`;
      made = { tensor: runs.imageAt(images, i), note: '', caption: `generated image ${i + 1}${name}`, label };
    } else if (key === 'uploaded') {
      made = { ...(await gen.imageToTensor(upload.imageData)), caption: upload.caption, label: null };
    } else if (key === 'result') {
      made = { tensor: result.tensor, note: '', caption: `the last result (${result.caption})`, label: result.label };
    }
  } catch (e) {
    if (id === choosing) showError(`That picture cannot be used: ${e.message}`);
    $('edit-source').value = picture?.key ?? DEFAULTS.picture;
    return;
  }
  if (id !== choosing || gen !== session.generator) return;
  showError('');
  picture = { key, ...made };
  $('edit-source').value = key;
  $('edit-source-note').textContent = `${picture.caption}${picture.note ? `: ${picture.note}` : ''}`;
  if (picture.label !== null && session.classNames.length) $('edit-class').value = String(picture.label);
  painter.setPicture(picture.tensor);
  toCanvas(picture.tensor, 0, $('edit-original'));
  describeMask();
  $('edit-run').disabled = !!running;
}

/** A menu entry for `key` before "Upload a picture…", made once. */
function sourceOption(key, text) {
  let option = $('edit-source').querySelector(`option[value="${key}"]`);
  if (!option) {
    option = new Option('', key);
    $('edit-source').insertBefore(option, $('edit-source').querySelector('option[value=upload]'));
  }
  option.textContent = text;
}

const generatedGroup = $('edit-generated');
/** The menu's "From the Generate tab" group: its last batch (the first 16), or no group before there is one. */
function fillGenerated() {
  generatedGroup.replaceChildren();
  const batch = session.lastBatch;
  const n = batch ? Math.min(batch.images.shape[0], 16) : 0;
  for (let i = 0; i < n; ++i) {
    const label = batch.labels?.[i];
    const name = label === undefined ? '' : `: ${session.classNames[label]}`;
    generatedGroup.append(new Option(`Generated ${i + 1}${name}`, `generated:${i}`));
  }
  if (!n) generatedGroup.remove();
  else if (!generatedGroup.isConnected) $('edit-source').insertBefore(generatedGroup, $('edit-source').querySelector('option[value=upload]'));
}

// ---- the model ----

function onModel() {
  const gen = session.generator;
  // A run on the previous Generator has been rejected by its dispose(): run() says the model was replaced.
  if (!gen) {
    $('edit-run').disabled = true;
    setStatus('Waiting for the model (the Generate tab loads it)…', 'loading');
    return;
  }
  const m = gen.modelInfo;
  classOptions($('edit-class'), session.classNames, m.nullClassIndex);
  classOptions($('edit-target-class'), session.classNames, m.nullClassIndex);
  if (garmentClasses()) $('edit-target-class').value = String(DEFAULTS.target);
  const d = gen.samplingDefaults;
  if (d?.scheduler) $('edit-scheduler').value = d.scheduler;
  if (d?.steps) $('edit-i2i-steps').value = String(d.steps);
  // RePaint's schedule: the model's own (sampling_defaults.json "inpaint"), else the page's 50 / 10 / 5.
  if (d?.inpaint?.steps) $('edit-inpaint-steps').value = String(d.inpaint.steps);
  if (d?.inpaint?.jump_length) $('edit-jump-length').value = String(d.inpaint.jump_length);
  if (d?.inpaint?.jump_n_sample) $('edit-jump-n').value = String(d.inpaint.jump_n_sample);
  const [h, w] = modelSize(gen);
  if (maskSize !== `${h}x${w}`) {  // a new size needs a new mask; the same model loaded again keeps the user's
    maskSize = `${h}x${w}`;
    painter.setSize(h, w);
    painter.preset(DEFAULTS.preset);
  }
  for (const id of ['edit-original', 'edit-xt', 'edit-x0', 'edit-xT', 'edit-result']) Object.assign($(id), { width: w, height: h });
  fillGenerated();
  const key = picture?.key?.startsWith('garment:') || (picture?.key === 'uploaded' && upload) ? picture.key : DEFAULTS.picture;
  picture = null;
  result = null;
  $('edit-reuse').disabled = true;
  $('edit-source').querySelector('option[value=result]')?.remove();  // made by the previous model
  choose(key);
  setStatus(`Ready: ${session.modelName}, ${w}×${h}.`, 'ready');
  updateStartTimestep();
}

// ---- running ----

function setRunning(on) {
  for (const id of ['edit-run', 'edit-source', 'edit-upload', 'edit-reuse']) $(id).disabled = on;
  for (const el of document.querySelectorAll('input[name=edit-mode], .mask-presets button')) el.disabled = on;
  $('edit-cancel').disabled = !on;
  painter.locked = on;  // the mask stays in view, but a run's mask does not change under it
  if (!on) {
    $('edit-reuse').disabled = !result;
    $('edit-run').disabled = !session.generator || !picture;
  }
}

function clearViews() {
  for (const id of ['edit-xt', 'edit-x0', 'edit-xT', 'edit-result']) $(id).getContext('2d').clearRect(0, 0, $(id).width, $(id).height);
  $('edit-result-caption').textContent = 'Result';
  $('edit-strip').replaceChildren();
}

/** An onProgress for one phase of a run, filling the progress bar from `from` to `to`; `seen` records the step. */
function progressFor(seen) {
  return (phase, from, to) => ({ step, total, timestep, preview, latents, elapsedMs }) => {
    Object.assign(seen, { phase, step, total });
    toCanvas(latents ?? preview, 0, $('edit-xt'));
    toCanvas(preview, 0, $('edit-x0'));
    $('edit-progress').value = from + ((to - from) * step) / total;
    setStatus(`${phase}: step ${step} of ${total}, t = ${timestep} · ${(elapsedMs / step).toFixed(0)} ms/step`);
  };
}

/** The strip's frames, captioned with t and their class; the far end names what it is unless its class does. */
function drawStrip({ images, labels, ts }, { towards, name }) {
  const figures = ts.map((t, k) => {
    const canvas = toCanvas(images, k);
    canvas.setAttribute('role', 'img');
    const cls = labels ? ` · ${session.classNames[labels[k]] ?? 'the null class'}` : '';
    const end = k === 0 ? ' (the picture)' : k === ts.length - 1 && !(towards && labels) ? ` (${name})` : '';
    const text = `t = ${t.toFixed(1)}${cls}${end}`;
    canvas.setAttribute('aria-label', `Interpolation frame ${k + 1} of ${ts.length}: ${text}`);
    const caption = document.createElement('figcaption');
    caption.textContent = text;
    const figure = document.createElement('figure');
    figure.append(canvas, caption);
    return figure;
  });
  $('edit-strip').replaceChildren(...figures);
}

/** What the invert run interpolates towards: another garment (inverted in the same batch), or null for noise. */
async function stripTarget(gen) {
  const value = $('edit-strip-to').value;
  if (value === 'noise') return { towards: null, name: `noise, seed ${$('edit-seed').value}` };
  const label = Number(value.split(':')[1]);
  const [h, w] = modelSize(gen);
  const { tensor } = await gen.imageToTensor((await garmentPicture(label, h, w)).imageData);
  return { towards: { image: tensor, label: garmentClasses() ? label : null }, name: GARMENTS[label] };
}

async function run() {
  const gen = session.generator;
  if (!gen || running || !picture) return;
  if (!$('edit-form').reportValidity()) return;
  const m = mode();
  if (m === 'inpaint' && painter.fillCount === 0) {
    showError('The mask keeps every pixel, so there is nothing to fill in: paint over the picture or pick a preset.');
    return;
  }
  showError('');
  clearViews();
  const controller = new AbortController();
  running = controller;
  setRunning(true);
  $('edit-progress').value = 0;
  setStatus('Starting (after any run in progress on the Generate tab)…', 'running');
  const seen = { phase: '', step: 0, total: 0 };
  const how = { signal: controller.signal, progress: progressFor(seen) };
  const image = picture.tensor;
  const seed = num('edit-seed');
  try {
    let out;
    if (m === 'inpaint') {
      const mask = painter.mask;
      out = await runs.inpaint(gen, { image, mask, classLabels: labelsOf($('edit-class')), steps: num('edit-inpaint-steps'),
                                      jumpLength: num('edit-jump-length'), jumpNSample: num('edit-jump-n'), seed }, how);
      globalThis.ddpmEdit.lastRun = { mode: m, image, mask, result: out.result };
    } else if (m === 'img2img') {
      const select = $('edit-target-class');
      out = await runs.imageToImage(gen, { image, strength: num('edit-strength'), classLabels: labelsOf(select),
                                           className: select.value === 'none' ? '' : select.selectedOptions[0].text,
                                           scheduler: $('edit-scheduler').value, steps: num('edit-i2i-steps'), seed }, how);
      globalThis.ddpmEdit.lastRun = { mode: m, image, result: out.result };
    } else {
      const target = await stripTarget(gen);
      out = await runs.invert(gen, { image, classLabels: labelsOf($('edit-class')), steps: num('edit-invert-steps'), seed,
                                     towards: target.towards }, how);
      toCanvas(out.xT, 0, $('edit-xT'));
      drawStrip(out.strip, target);
      globalThis.ddpmEdit.lastRun = { mode: m, image, result: out.result, error: out.error };
    }
    // "Edit the result" takes it with the class it was made as (image-to-image: the target class).
    const made = labelsOf($(m === 'img2img' ? 'edit-target-class' : 'edit-class'));
    result = { tensor: out.result, caption: out.caption, label: made ? made[0] : null };
    toCanvas(out.result, 0, $('edit-result'));
    $('edit-result-caption').textContent = out.caption;
    $('edit-result-caption').dataset.error = out.error === undefined ? '' : String(out.error);
    $('edit-progress').value = 1;
    setStatus(`Done: ${out.status}.`, 'done');
  } catch (e) {
    if (e.name === 'AbortError' && controller.signal.aborted) {
      setStatus(`Cancelled${seen.step ? ` (${seen.phase.toLowerCase()}, after step ${seen.step} of ${seen.total})` : ''}.`, 'cancelled');
    } else if (e.name === 'AbortError') {
      setStatus('Stopped: the model was replaced on the Generate tab.', 'error');
    } else {
      setStatus('Failed.', 'error');
      showError(`${e.name}: ${e.message}`);
      const said = await session.recover();
      if (said) $('edit-error').textContent += `\n${said}`;
    }
  } finally {
    running = null;
    setRunning(false);
  }
}

// ---- events ----

for (const label of GARMENTS.keys()) {
  $('edit-garments').append(new Option(GARMENTS[label], `garment:${label}`));
  $('edit-strip-garments').append(new Option(GARMENTS[label], `garment:${label}`));
}
// Options added after parsing do not move a select's selection (it stays on "Upload a picture…"): set it.
$('edit-source').value = DEFAULTS.picture;
$('edit-strip-to').value = DEFAULTS.strip;
fillGenerated();  // no "From the Generate tab" group before there is a batch

$('edit-form').addEventListener('submit', (e) => {
  e.preventDefault();
  run();
});
$('edit-cancel').addEventListener('click', () => running?.abort());
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && running && !$('panel-edit').hidden) running.abort();
});
for (const radio of document.querySelectorAll('input[name=edit-mode]')) radio.addEventListener('change', showMode);
for (const button of document.querySelectorAll('.mask-presets button')) {
  button.addEventListener('click', () => painter.preset(button.dataset.preset));
}
$('edit-brush').addEventListener('change', () => { painter.erase = $('edit-brush').value === 'erase'; });
$('edit-brush-size').addEventListener('input', () => { painter.radius = num('edit-brush-size'); });
for (const id of ['edit-strength', 'edit-scheduler', 'edit-i2i-steps']) $(id).addEventListener('input', updateStartTimestep);
$('edit-source').addEventListener('change', () => {
  const value = $('edit-source').value;
  if (value === 'upload') {
    $('edit-source').value = picture?.key ?? DEFAULTS.picture;
    $('edit-upload').click();
  } else {
    choose(value);
  }
});
$('edit-upload').addEventListener('change', async (e) => {
  const file = e.target.files?.[0];
  e.target.value = '';  // choosing the same file again reads it again
  if (!file) return;
  try {
    const read = await filePicture(file);
    upload = read;
    sourceOption('uploaded', `Uploaded: ${file.name}`);
    await choose('uploaded');
  } catch (err) {
    showError(err.message);
  }
});
$('edit-reuse').addEventListener('click', () => {
  if (!result) return;
  sourceOption('result', 'The last result');
  choose('result');
});

session.on('model', onModel);
session.on('batch', () => {
  fillGenerated();
  if (picture?.key.startsWith('generated:')) choose(picture.key);  // the newest batch's image of that number
});
painter.radius = num('edit-brush-size');
showMode();
describeMask();
if (session.generator) onModel();
