// Pictures for the editing calls: a Tensor already in the model's layout, a canvas's ImageData, or the bytes
// of a PNG. ImageData and PNGs are fitted to the model's input by the core, by the rules `ddpm inpaint --image`
// uses (grey or RGB to the model's channels, centre crop and resize to its size, [0, 255] to [-1, 1]); canvas
// pixels convert exactly as a PNG of them would.
import { getNative } from './loader.js';
import { check } from './native.js';
import { Tensor } from './tensor.js';

/** An ImageData, or an object shaped like one ({ data: Uint8ClampedArray of RGBA, width, height }). */
export const isImageData = (x) => x !== null && typeof x === 'object' && x.data instanceof Uint8ClampedArray &&
  Number.isInteger(x.width) && Number.isInteger(x.height);

const isTensorLike = (x) => x instanceof Tensor || (x !== null && typeof x === 'object' && 'data' in x && 'shape' in x);

/** { channels, height, width } of a UNet2DModel's input (from its config's in_channels and sample_size). */
export function modelInput(unet, what) {
  const { inChannels, sampleSize } = unet.info;
  if (!sampleSize) throw new Error(`${what}: the model's config has no sample_size, so its image size is unknown`);
  return { channels: inChannels, height: sampleSize[0], width: sampleSize[1] };
}

/**
 * `picture` as the model's input: { tensor, note }. A Tensor is taken as it is (NCHW in [-1, 1]; a mask
 * [N or 1, 1, H, W] of 1 = keep, 0 = fill in). ImageData and PNG bytes are fitted (`note` says how, '' when the
 * size already fit); with `mask` they are read as grey and split at 0.5 (white = keep, black = fill in).
 */
export function pictureToTensor(picture, input, { mask = false, what = 'picture' } = {}) {
  if (picture === undefined || picture === null) throw new TypeError(`${what} is required`);
  let source;
  if (isImageData(picture)) {
    const d = picture.data;
    source = { rgba: new Uint8Array(d.buffer, d.byteOffset, d.length), width: picture.width, height: picture.height };
  } else if (isTensorLike(picture)) {
    return { tensor: Tensor.from(picture, what), note: '' };
  } else if (picture instanceof ArrayBuffer) {
    source = { png: new Uint8Array(picture) };
  } else if (ArrayBuffer.isView(picture)) {
    source = { png: new Uint8Array(picture.buffer, picture.byteOffset, picture.byteLength) };
  } else {
    throw new TypeError(`${what} must be a Tensor [N, C, H, W], an ImageData or the bytes of a PNG (Uint8Array, ArrayBuffer)`);
  }
  const r = getNative().fitPicture(source, input.channels, input.height, input.width, mask);
  if (r && typeof r.error === 'string') throw new Error(`${what}: ${r.error}`);
  return { tensor: new Tensor(check(r).tensor.data, r.tensor.shape), note: r.note };
}
