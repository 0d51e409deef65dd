// The Generate tab's trajectory: every step's x_t (the sample) and predicted x0 kept as 8-bit pixels (the
// pixels the grids show: round(clamp(x / 2 + 0.5) * 255), as toImageData maps them), so that a step scrubber
// can replay the run. Memory is capped: when all steps would not fit, every k-th step is kept (k a power of
// two, chosen before the run), plus the first, the last and the latest one.

import { toByte } from '../src/image.js';  // the grids' own mapping, so a replayed frame shows the same pixels

export const DEFAULT_CAP_BYTES = 64 << 20;

function quantize(data) {
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; ++i) out[i] = toByte(data[i]);
  return out;
}

export class FrameStore {
  constructor(capBytes = DEFAULT_CAP_BYTES) {
    this.capBytes = capBytes;
    this.reset([1, 1, 1, 1], 0);
  }

  /** A new run: images of `shape` [N, C, H, W], `total` steps. Chooses the stride that fits the cap. */
  reset(shape, total) {
    this.shape = shape;
    this.total = total;
    this.frames = [];
    this.frameBytes = 2 * shape.reduce((a, b) => a * b, 1);  // x_t and x0, a byte per value
    // Frames kept with stride s: floor(total / s) multiples, plus step 1, the last step and the latest one.
    const fits = (s) => (Math.floor(total / s) + 3) * this.frameBytes <= this.capBytes;
    let stride = 1;
    while (stride < total && !fits(stride)) stride *= 2;
    this.stride = fits(stride) ? stride : Infinity;  // Infinity: not even a few frames fit; keep the latest only
  }

  /** Whether step `step` stays once a later step arrives. */
  #keeps(step) {
    if (this.stride === Infinity) return false;
    return step === 1 || step === this.total || step % this.stride === 0;
  }

  /** Adds a step's frame ({ step, timestep, latents, preview }: Tensors NCHW in [-1, 1]); drops the previous
   *  one if it was kept only as the latest. */
  add({ step, timestep, latents, preview }) {
    const last = this.frames[this.frames.length - 1];
    if (last && !this.#keeps(last.step)) this.frames.pop();
    this.frames.push({ step, timestep, latents: quantize(latents.data), preview: quantize(preview.data) });
  }

  /** Replaces the last frame's x0 with the run's result (the images Save PNG writes). */
  setResult(images) {
    const last = this.frames[this.frames.length - 1];
    if (last) last.preview = quantize(images.data);
  }

  get length() {
    return this.frames.length;
  }

  get bytes() {
    return this.frames.length * this.frameBytes;
  }

  /** A sentence on what is kept, for the page. */
  describe() {
    const MB = (n) => `${(n / (1 << 20)).toFixed(n < 1 << 20 ? 2 : 1)} MB`;
    const cap = `the ${MB(this.capBytes)} cap`;
    if (this.stride === Infinity) return `Keeping only the latest step: one step's frames (${MB(this.frameBytes)}) leave no room under ${cap}.`;
    if (this.stride === 1) return `Keeping all ${this.total} steps (${MB(this.bytes)}).`;
    return `Keeping one step in ${this.stride}, and the first and last (${this.length} frames, ${MB(this.bytes)}): ` +
           `all ${this.total} would not fit under ${cap}.`;
  }
}

/** Draws image `index` of 8-bit NCHW `bytes` of `shape` into `canvas` (1 channel gray, 3 RGB, 4 RGBA; others:
 *  the first channel in gray). */
export function drawFrame(bytes, shape, index, canvas) {
  const [, c, h, w] = shape;
  const plane = h * w;
  const src = bytes.subarray(index * c * plane, (index + 1) * c * plane);
  const img = new ImageData(w, h);
  const rgb = c === 3 || c === 4;
  for (let p = 0; p < plane; ++p) {
    const r = src[p];
    img.data[4 * p] = r;
    img.data[4 * p + 1] = rgb ? src[plane + p] : r;
    img.data[4 * p + 2] = rgb ? src[2 * plane + p] : r;
    img.data[4 * p + 3] = c === 4 ? src[3 * plane + p] : 255;
  }
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.getContext('2d').putImageData(img, 0, 0);
}
