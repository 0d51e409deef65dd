#!/usr/bin/env node
// Writes web/demo/data/fashion-mnist-2000.bin, the training subset of the demo's Train tab: the first 200
// images of each class from Debian's Fashion-MNIST train split (dataset-fashion-mnist,
// /usr/share/datasets/fashion-mnist/*.gz), in their order there. Layout: 2,000 × 28 × 28 uint8 pixels
// (0 = background, row-major, image after image), then 2,000 uint8 labels (0-9). No header: the size says it.
// Usage: node tools/make_train_subset.mjs [--source DIR] [--per-class N] [--out FILE]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const source = opt('--source', '/usr/share/datasets/fashion-mnist');
const perClass = Number(opt('--per-class', 200));
const out = resolve(opt('--out', join(ROOT, 'web/demo/data/fashion-mnist-2000.bin')));

// IDX files: a big-endian magic (0x0803 images, 0x0801 labels), the dimensions, then the bytes.
function idx(file, magic) {
  const b = gunzipSync(readFileSync(join(source, file)));
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (v.getUint32(0) !== magic) throw new Error(`${file}: not an IDX file of magic 0x${magic.toString(16)}`);
  const dims = Array.from({ length: magic & 0xff }, (_, k) => v.getUint32(4 + 4 * k));
  return { dims, data: b.subarray(4 + 4 * dims.length) };
}

const images = idx('train-images-idx3-ubyte.gz', 0x803);
const labels = idx('train-labels-idx1-ubyte.gz', 0x801);
const [n, h, w] = images.dims;
if (h !== 28 || w !== 28 || labels.dims[0] !== n) throw new Error(`unexpected shapes ${images.dims} / ${labels.dims}`);
const pixels = h * w;
const taken = new Array(10).fill(0);
const picked = [];
for (let i = 0; i < n && picked.length < 10 * perClass; ++i) {
  const c = labels.data[i];
  if (taken[c] < perClass) {
    taken[c] += 1;
    picked.push(i);
  }
}
const count = picked.length;
const bin = new Uint8Array(count * (pixels + 1));
picked.forEach((i, k) => {
  bin.set(images.data.subarray(i * pixels, (i + 1) * pixels), k * pixels);
  bin[count * pixels + k] = labels.data[i];
});
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, bin);
console.log(`${out}: ${count} images (${perClass} per class) of ${h}x${w} + labels, ${bin.length} bytes`);
