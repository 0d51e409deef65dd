import { Generator, toCanvas } from 'ddpm-wasm';

const status = document.querySelector('#status');
const canvases = [...document.querySelectorAll('canvas')];
const draw = (images) => canvases.forEach((canvas, i) => toCanvas(images, i, canvas));
try {
  // public/models/fashion-mnist/ (npm run model copies it there); any URL of a diffusers pipeline folder works.
  const gen = await Generator.create({ model: `${import.meta.env.BASE_URL}models/fashion-mnist/`, threads: 'auto' });
  const { images, msPerStep } = await gen.generate({
    numImages: canvases.length, classLabels: [0, 1, 7, 9], steps: 20, scheduler: 'ddim', seed: 0,
    onProgress: ({ step, total, preview }) => { draw(preview); status.textContent = `step ${step} of ${total}`; },
  });
  draw(images);
  status.textContent = `done: ${gen.info.build}, ${gen.info.threads} thread(s), ${msPerStep.toFixed(0)} ms a step`;
  Object.assign(status.dataset, { state: 'done', build: gen.info.build });
  await gen.dispose();
} catch (e) {
  status.textContent = `failed: ${e.message}`;
  status.dataset.state = 'failed';
  throw e;
}
