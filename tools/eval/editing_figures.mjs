#!/usr/bin/env node
// Issue 13's editing figures with a shipped model, through the package's JS API (Generator, in its worker):
//
//   node tools/eval/editing_figures.mjs [--model models/fashion-mnist] [--out build/eval/editing] [--threads 2]
//   then /usr/bin/python3 tools/eval/fashion_quality.py --samples OUT/<figure> for each folder it names
//
// The garments: the first 10 of each class of Fashion-MNIST's t10k split (Debian's dataset-fashion-mnist), padded to
// 32x32 and scaled to [-1, 1] as `ddpm train` pads them: 100 real test garments the model never saw.
//  * inpaint/: the lower half repainted (RePaint with the settings below) with the true class; the judge's accuracy
//    says whether the garment is still its class, and the kept half is compared with the original pixel by pixel.
//  * img2img-S/: image-to-image to class (label + 1) mod 10 at strength S; each result is filed under its target
//    class, so the judge's accuracy is the share classified as the target.
//  * inversion/: DDIM inversion (50 steps) and sampling back; the mean absolute error in [-1, 1] units is printed,
//    and the reconstructions are filed under their true class for the judge.
// Each folder holds class_C.safetensors (key `images`, F32 [10, 1, 32, 32] in [0, 1]) as fashion_quality.py reads.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';

import { Generator, toPNG } from '../../web/src/index.js';

const { values: args } = parseArgs({ options: {
  model: { type: 'string', default: 'models/fashion-mnist' },
  out: { type: 'string', default: 'build/eval/editing' },
  threads: { type: 'string', default: '2' },
  steps: { type: 'string', default: '50' },            // RePaint's steps
  'jump-length': { type: 'string', default: '10' },
  'jump-n-sample': { type: 'string', default: '5' },
} });
const PER_CLASS = 10;
const DATA = '/usr/share/datasets/fashion-mnist';

/** The first PER_CLASS test images of each class, [100, 1, 32, 32] in [-1, 1] (zero-padded 28 -> 32 as training does), and labels. */
function testGarments() {
  const images = gunzipSync(readFileSync(join(DATA, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(DATA, 't10k-labels-idx1-ubyte.gz')));
  const n = labels.readUInt32BE(4);
  const picked = [];
  for (let c = 0; c < 10; ++c) {
    for (let i = 0, k = 0; i < n && k < PER_CLASS; ++i) if (labels[8 + i] === c) { picked.push(i); ++k; }
  }
  const data = new Float32Array(picked.length * 32 * 32).fill(-1);
  picked.forEach((idx, j) => {
    for (let y = 0; y < 28; ++y) {
      for (let x = 0; x < 28; ++x) data[j * 1024 + (y + 2) * 32 + (x + 2)] = (images[16 + idx * 784 + y * 28 + x] / 255) * 2 - 1;
    }
  });
  return { images: { data, shape: [picked.length, 1, 32, 32] }, labels: picked.map((i) => labels[8 + i]) };
}

/** Writes images [N, 1, 32, 32] in [-1, 1], filed by `classes` (one per image), as class_C.safetensors in [0, 1]. */
function writeByClass(dir, images, classes) {
  mkdirSync(dir, { recursive: true });
  const per = 32 * 32;
  for (let c = 0; c < 10; ++c) {
    const rows = classes.flatMap((k, i) => (k === c ? [i] : []));
    const data = new Float32Array(rows.length * per);
    rows.forEach((i, j) => {
      for (let p = 0; p < per; ++p) data[j * per + p] = Math.min(1, Math.max(0, images.data[i * per + p] / 2 + 0.5));
    });
    const header = JSON.stringify({ images: { dtype: 'F32', shape: [rows.length, 1, 32, 32], data_offsets: [0, data.byteLength] } });
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(padded.length));
    writeFileSync(join(dir, `class_${c}.safetensors`), Buffer.concat([len, Buffer.from(padded), Buffer.from(data.buffer)]));
  }
  writeFileSync(join(dir, 'grid.png'), toPNG(images, { cols: PER_CLASS }));
}

const t0 = performance.now();
const seconds = () => ((performance.now() - t0) / 1000).toFixed(0);
const gen = await Generator.create({ model: args.model, threads: Number(args.threads) });
console.log(`# editing figures: ${args.model}, ${gen.info.build} on ${gen.info.threads} threads`);
const { images, labels } = testGarments();
const progress = (what) => ({ step, total }) => {
  if (step === total || step % 50 === 0) process.stderr.write(`\r${what}: step ${step}/${total}   `);
};

// Inpainting: keep the top half (mask 1), repaint the lower half.
const mask = { data: new Float32Array(32 * 32).fill(1, 0, 16 * 32), shape: [1, 1, 32, 32] };
const schedule = { steps: Number(args.steps), jumpLength: Number(args['jump-length']), jumpNSample: Number(args['jump-n-sample']) };
const painted = await gen.inpaint({ image: images, mask, classLabels: labels, ...schedule, seed: 0, onProgress: progress('inpaint') });
let changed = 0;
for (let i = 0; i < labels.length; ++i) {
  for (let p = 0; p < 16 * 32; ++p) changed += painted.images.data[i * 1024 + p] !== images.data[i * 1024 + p] ? 1 : 0;
}
writeByClass(join(args.out, 'inpaint'), painted.images, labels);
console.log(`\ninpaint lower half, true class, RePaint ${schedule.steps} steps, jumps ${schedule.jumpLength} x ${schedule.jumpNSample}: ` +
            `${changed} of ${labels.length * 16 * 32} kept pixels differ from the original (${painted.steps} model steps, ${seconds()} s)`);

// Image-to-image to the next class.
const targets = labels.map((c) => (c + 1) % 10);
for (const strength of [0.5, 0.7, 0.9]) {
  const r = await gen.imageToImage({ image: images, strength, classLabels: targets, seed: 0, onProgress: progress(`img2img ${strength}`) });
  writeByClass(join(args.out, `img2img-${strength}`), r.images, targets);
  console.log(`\nimage-to-image to (label + 1) mod 10, strength ${strength}: starts at t = ${r.startTimestep}, ${r.steps} steps (${seconds()} s)`);
}

// Inversion and back.
const inv = await gen.invert({ image: images, classLabels: labels, steps: 50, onProgress: progress('invert') });
const back = await gen.generate({ ...inv.sampleBack, latents: inv.latents, numImages: labels.length, onProgress: progress('sample back') });
let err = 0;
for (let i = 0; i < images.data.length; ++i) err += Math.abs(back.images.data[i] - images.data[i]);
writeByClass(join(args.out, 'inversion'), back.images, labels);
console.log(`\ninversion (DDIM 50, unclipped) and back: mean absolute error ${(err / images.data.length).toFixed(4)} in [-1, 1] units (${seconds()} s)`);
writeByClass(join(args.out, 'originals'), images, labels);
console.log(`judge each: for d in inpaint img2img-0.5 img2img-0.7 img2img-0.9 inversion originals; do ` +
            `/usr/bin/python3 tools/eval/fashion_quality.py --samples ${args.out}/$d; done`);
await gen.dispose();
