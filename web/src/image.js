// Images out of a generated Tensor: pixels as diffusers' pipelines make them (x / 2 + 0.5, clamped to
// [0, 1], round(x * 255)), as ImageData, on a canvas, or as a PNG file. Pure JavaScript: usable on the
// page while the engine runs in a Worker. Tensors are NCHW with C = 1 (gray), 3 (RGB) or 4 (RGBA).
import { checkOptionNames } from './options.js';
import { Tensor } from './tensor.js';

// toPNG's default padding, one rule for every grid: GRID_PADDING pixels between and around the tiles when there are
// several images, none for a single one (the image itself). The CLI's grids (`ddpm sample --output grid.png`,
// src/io/image_grid.h, kGridPadding) follow the same rule, so JS and the CLI write the same grids.
export const GRID_PADDING = 2;

function imageShape(tensor, what) {
  const t = Tensor.from(tensor, what);
  if (t.shape.length !== 4 && t.shape.length !== 3) throw new RangeError(`${what}: expected NCHW [N, C, H, W] or [C, H, W], got [${t.shape}]`);
  const [n, c, h, w] = t.shape.length === 4 ? t.shape : [1, ...t.shape];
  if (![1, 3, 4].includes(c)) throw new RangeError(`${what}: ${c} channels; images have 1 (gray), 3 (RGB) or 4 (RGBA)`);
  return { t, n, c, h, w };
}

function checkIndex(index, n, what) {
  if (!Number.isInteger(index) || index < 0 || index >= n) throw new RangeError(`${what}: index ${index} is not in 0..${n - 1}`);
}

/** [-1, 1] -> 0..255 as diffusers' numpy_to_pil: round(clamp(x / 2 + 0.5, 0, 1) * 255). NaN becomes 0. */
export const toByte = (x) => Math.round(Math.min(Math.max(x / 2 + 0.5, 0), 1) * 255) || 0;

/**
 * RGBA pixels of image `index` (default 0) of `tensor` (NCHW, values in [-1, 1]): an ImageData where the
 * platform has one (browsers, workers), else a plain { width, height, data: Uint8ClampedArray } of the same shape.
 */
export function toImageData(tensor, index = 0) {
  const { t, n, c, h, w } = imageShape(tensor, 'toImageData');
  checkIndex(index, n, 'toImageData');
  const plane = h * w;
  const src = t.data.subarray(index * c * plane, (index + 1) * c * plane);
  const rgba = new Uint8ClampedArray(4 * plane);
  for (let p = 0; p < plane; ++p) {
    const r = toByte(src[p]);
    rgba[4 * p] = r;
    rgba[4 * p + 1] = c === 1 ? r : toByte(src[plane + p]);
    rgba[4 * p + 2] = c === 1 ? r : toByte(src[2 * plane + p]);
    rgba[4 * p + 3] = c === 4 ? toByte(src[3 * plane + p]) : 255;
  }
  if (typeof ImageData === 'function') return new ImageData(rgba, w, h);
  return { width: w, height: h, data: rgba, colorSpace: 'srgb' };
}

/**
 * Draws image `index` (default 0) into `canvas` (an HTMLCanvasElement or OffscreenCanvas, resized to the image),
 * or into a new canvas when none is given (a <canvas> on a page, an OffscreenCanvas in a worker). Scale it up
 * with CSS (image-rendering: pixelated). Returns the canvas.
 */
export function toCanvas(tensor, index = 0, canvas = undefined) {
  const img = toImageData(tensor, index);
  let target = canvas;
  if (!target) {
    if (typeof document === 'object') target = document.createElement('canvas');
    else if (typeof OffscreenCanvas === 'function') target = new OffscreenCanvas(img.width, img.height);
    else throw new Error('toCanvas: no canvas here (Node); use toImageData or toPNG');
  }
  if (target.width !== img.width) target.width = img.width;
  if (target.height !== img.height) target.height = img.height;
  target.getContext('2d').putImageData(img, 0, 0);
  return target;
}

// ---- PNG ----
// The encoder writes deflate "stored" (uncompressed) blocks: no compressor to ship, exact and simple, and
// the images here are small (a 32x32 gray image is ~1.1 KB; an 8x8 grid of them ~66 KB).

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; ++n) {
    let c = n;
    for (let k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes, start, end) {
  let c = 0xffffffff;
  for (let i = start; i < end; ++i) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function adler32(bytes) {
  let a = 1;
  let b = 0;
  for (let i = 0; i < bytes.length; i += 5552) {  // 5552: the most bytes before the sums can overflow 2^32
    const end = Math.min(i + 5552, bytes.length);
    for (let j = i; j < end; ++j) {
      a += bytes[j];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, BTYPE 00) holding `raw`. */
function zlibStored(raw) {
  const MAX = 65535;
  const blocks = Math.max(1, Math.ceil(raw.length / MAX));
  const out = new Uint8Array(2 + raw.length + 5 * blocks + 4);
  out[0] = 0x78;  // deflate, 32 KB window
  out[1] = 0x01;  // no dictionary, fastest; (0x78 << 8 | 0x01) % 31 == 0
  let o = 2;
  for (let b = 0; b < blocks; ++b) {
    const start = b * MAX;
    const len = Math.min(MAX, raw.length - start);
    out[o++] = b === blocks - 1 ? 1 : 0;  // BFINAL, BTYPE 00
    out[o++] = len & 0xff;
    out[o++] = len >>> 8;
    out[o++] = ~len & 0xff;
    out[o++] = (~len >>> 8) & 0xff;
    out.set(raw.subarray(start, start + len), o);
    o += len;
  }
  new DataView(out.buffer).setUint32(o, adler32(raw));
  return out;
}

function pngFile(width, height, channels, pixels /* rows of width * channels bytes */) {
  const colorType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels];
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);  // each row: filter type 0 (None), then its bytes
  for (let y = 0; y < height; ++y) raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const idat = zlibStored(raw);
  const chunks = [['IHDR', 13], ['IDAT', idat.length], ['IEND', 0]];
  const out = new Uint8Array(8 + chunks.reduce((s, [, n]) => s + 12 + n, 0));
  const view = new DataView(out.buffer);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let o = 8;
  for (const [type, length] of chunks) {
    view.setUint32(o, length);
    for (let i = 0; i < 4; ++i) out[o + 4 + i] = type.charCodeAt(i);
    const data = o + 8;
    if (type === 'IHDR') {
      view.setUint32(data, width);
      view.setUint32(data + 4, height);
      out.set([8, colorType, 0, 0, 0], data + 8);  // 8 bits, colour type, deflate, filter 0, no interlace
    } else if (type === 'IDAT') {
      out.set(idat, data);
    }
    view.setUint32(data + length, crc32(out, o + 4, data + length));
    o = data + length + 4;
  }
  return out;
}

/**
 * A PNG file (8-bit gray, RGB or RGBA as the tensor's channels) of image `options.index`, or of all images
 * tiled into a grid as `ddpm sample --output grid.png` does (`cols` images per row, default ceil(sqrt(N));
 * `padding` pixels of `padValue` (0..255) between and around tiles, default GRID_PADDING for several images and
 * 0 for one). Values map from [-1, 1] as in diffusers' pipelines.
 * @param {{index?: number, cols?: number, padding?: number, padValue?: number}} [options]
 * @returns {Uint8Array}
 */
export function toPNG(tensor, options = {}) {
  checkOptionNames(options, ['index', 'cols', 'padding', 'padValue'], 'toPNG');
  const { t, n, c, h, w } = imageShape(tensor, 'toPNG');
  const plane = h * w;
  const single = options.index !== undefined;
  if (single) checkIndex(options.index, n, 'toPNG');
  const count = single ? 1 : n;
  const first = single ? options.index : 0;
  const cols = single ? 1 : Math.min(options.cols ?? Math.ceil(Math.sqrt(n)), n);
  const pad = options.padding ?? (count > 1 ? GRID_PADDING : 0);
  const padValue = options.padValue ?? 0;
  if (!Number.isInteger(cols) || cols < 1 || !Number.isInteger(pad) || pad < 0) {
    throw new RangeError('toPNG: cols must be a positive integer and padding a non-negative one');
  }
  const rows = Math.ceil(count / cols);
  const gw = cols * (w + pad) + pad;
  const gh = rows * (h + pad) + pad;
  const pixels = new Uint8Array(gw * gh * c).fill(padValue);
  for (let i = 0; i < count; ++i) {
    const src = (first + i) * c * plane;
    const top = pad + Math.floor(i / cols) * (h + pad);
    const left = pad + (i % cols) * (w + pad);
    for (let y = 0; y < h; ++y) {
      for (let x = 0; x < w; ++x) {
        const o = ((top + y) * gw + left + x) * c;
        for (let k = 0; k < c; ++k) pixels[o + k] = toByte(t.data[src + k * plane + y * w + x]);
      }
    }
  }
  return pngFile(gw, gh, c, pixels);
}
