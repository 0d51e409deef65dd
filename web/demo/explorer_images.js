// Images for the forward-diffusion explorer (Schedulers tab), as Tensors [1, C, H, W] in [-1, 1]: a synthetic scene
// and any image the user uploads (drawn onto a canvas: centre-cropped to a square, resized) in colour at the size
// asked for, and Fashion-MNIST garments from the demo's shipped subset (data/fashion-mnist-2000.bin, see
// data/README.md) in one channel at 32×32, as the shipped model is trained on them.
// The Edit tab takes the subset's garments as raw pixels (garmentPixels).
import { Tensor } from '../src/index.js';

export const GARMENTS = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const DATA = new URL('./data/fashion-mnist-2000.bin', import.meta.url);
const COUNT = 2000;
export const SIDE = 28;

/** A small landscape: sky, hills, sun, a house. */
export function syntheticScene(size) {
  const t = Tensor.zeros([1, 3, size, size]);
  const plane = size * size;
  for (let i = 0; i < size; ++i) {
    for (let j = 0; j < size; ++j) {
      const u = j / size;
      const v = i / size;
      let rgb = [0.15 + 0.5 * v, 0.3 + 0.4 * u, 0.85 - 0.3 * v];                            // sky
      if (v > 0.68 + 0.06 * Math.sin(u * 9)) rgb = [0.25, 0.55 + 0.2 * v, 0.2];               // hills
      if ((u - 0.7) ** 2 + (v - 0.27) ** 2 < 0.014) rgb = [1.0, 0.85, 0.2];                   // sun
      if (u > 0.15 && u < 0.38 && v > 0.45 && v < 0.78) rgb = [0.75, 0.2, 0.15];              // house
      if (u > 0.22 && u < 0.3 && v > 0.6 && v < 0.78) rgb = [0.3, 0.18, 0.1];                 // door
      for (let c = 0; c < 3; ++c) t.data[c * plane + i * size + j] = rgb[c] * 2 - 1;
    }
  }
  return t;
}

/** A canvas's pixels as a Tensor [1, 3, h, w] in [-1, 1]. */
function canvasTensor(canvas) {
  const { width: w, height: h } = canvas;
  const { data } = canvas.getContext('2d').getImageData(0, 0, w, h);
  const t = Tensor.zeros([1, 3, h, w]);
  const plane = w * h;
  for (let p = 0; p < plane; ++p) {
    for (let c = 0; c < 3; ++c) t.data[c * plane + p] = data[4 * p + c] / 127.5 - 1;
  }
  return t;
}

/** Draws `source` (an image, bitmap or canvas of sw×sh) centre-cropped to a square and resized to size×size. */
function squareCanvas(source, sw, sh, size) {
  const canvas = document.createElement('canvas');
  canvas.width = size;
  canvas.height = size;
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const side = Math.min(sw, sh);
  ctx.drawImage(source, (sw - side) / 2, (sh - side) / 2, side, side, 0, 0, size, size);
  return canvas;
}

let garments = null;  // Promise<Uint8Array> of the subset file

/** The 28×28 pixels (0..255, 0 = background) of the first image of class `label` in the shipped subset. The Edit
 *  tab takes them as they are, to pad them the way the model was trained. */
export async function garmentPixels(label) {
  garments ??= fetch(DATA).then(async (r) => {
    if (!r.ok) throw new Error(`${DATA.pathname}: HTTP ${r.status}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const expected = COUNT * (SIDE * SIDE + 1);
    if (bytes.length !== expected) throw new Error(`${DATA.pathname}: ${bytes.length} bytes, expected ${expected}`);
    return bytes;
  });
  let bytes;
  try {
    bytes = await garments;
  } catch (e) {
    garments = null;  // try again next time
    throw e;
  }
  const labels = bytes.subarray(COUNT * SIDE * SIDE);
  const index = labels.indexOf(label);
  if (index < 0) throw new Error(`no ${GARMENTS[label]} in the subset`);
  return bytes.subarray(index * SIDE * SIDE, (index + 1) * SIDE * SIDE);
}

/** The training image size of the shipped model: the 28×28 garments padded with background to 32×32. */
const MODEL_SIDE = 32;

/**
 * The first image of class `label` in the shipped subset as the shipped model is trained on it (src/train/datasets.cc):
 * one channel, padded with background (-1) to MODEL_SIDE, a Tensor [1, 1, 32, 32] in [-1, 1].
 */
export async function garment(label) {
  const pixels = await garmentPixels(label);
  const t = new Tensor(new Float32Array(MODEL_SIDE * MODEL_SIDE).fill(-1), [1, 1, MODEL_SIDE, MODEL_SIDE]);
  const off = (MODEL_SIDE - SIDE) >> 1;
  for (let y = 0; y < SIDE; ++y) {
    for (let x = 0; x < SIDE; ++x) t.data[(off + y) * MODEL_SIDE + off + x] = pixels[y * SIDE + x] / 127.5 - 1;
  }
  return t;
}

/** An image file the user chose, decoded by the browser, centre-cropped and resized to size×size. */
export async function uploaded(file, size) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch (e) {
    throw new Error(`${file.name}: not an image this browser can decode (${e.message})`);
  }
  try {
    return canvasTensor(squareCanvas(bitmap, bitmap.width, bitmap.height, size));
  } finally {
    bitmap.close();
  }
}
