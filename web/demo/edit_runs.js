// The Edit tab's three runs on the page's shared Generator, kept apart from the page: each takes the settings read
// from the form, an AbortSignal and `progress(phase, from, to)` (which makes an onProgress whose steps fill the
// progress bar from `from` to `to`), and returns what the tab shows.
import { Tensor } from '../src/index.js';
import { gaussians, mulberry32 } from '../src/random.js';

export const STRIP_FRAMES = 6;

/** Image `i` of an NCHW Tensor, as a Tensor [1, C, H, W] (a copy). */
export function imageAt(t, i) {
  const n = t.data.length / t.shape[0];
  return new Tensor(t.data.slice(i * n, (i + 1) * n), [1, ...t.shape.slice(1)]);
}

/** NCHW Tensors of the same C, H, W stacked along N. */
export function concat(tensors) {
  const data = new Float32Array(tensors.reduce((s, t) => s + t.data.length, 0));
  let at = 0;
  for (const t of tensors) {
    data.set(t.data, at);
    at += t.data.length;
  }
  return new Tensor(data, [tensors.reduce((s, t) => s + t.shape[0], 0), ...tensors[0].shape.slice(1)]);
}

const meanAbsDiff = (a, b) => a.data.reduce((s, v, i) => s + Math.abs(v - b.data[i]), 0) / a.data.length;

/** RePaint. `mask` [1, 1, H, W]: 1 keeps, 0 fills in. */
export async function inpaint(gen, { image, mask, classLabels, steps, jumpLength, jumpNSample, seed }, { signal, progress }) {
  const r = await gen.inpaint({ image, mask, classLabels, steps, jumpLength, jumpNSample, seed, signal,
                                onProgress: progress('Inpainting', 0, 1) });
  // RePaint's last step puts the original back where the mask keeps it: count how many values came back exactly.
  const plane = mask.data.length;
  let keptValues = 0;
  let exact = 0;
  for (let i = 0; i < image.data.length; ++i) {
    if (mask.data[i % plane] !== 1) continue;
    ++keptValues;
    if (r.images.data[i] === image.data[i]) ++exact;
  }
  const filled = mask.data.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
  return {
    result: r.images,
    caption: `Inpainted: ${filled} pixels filled in; ${exact === keptValues ? 'the other' : `${exact} of the`} ` +
             `${plane - filled} kept exactly`,
    status: `${r.steps} RePaint steps (${steps} steps, jump length ${jumpLength}, n-sample ${jumpNSample}), ` +
            `${r.msPerStep.toFixed(0)} ms/step (${(r.totalMs / 1000).toFixed(1)} s)`,
  };
}

/** SDEdit: noised to where `strength` puts it, then denoised as `classLabels`. */
export async function imageToImage(gen, { image, strength, classLabels, className, scheduler, steps, seed }, { signal, progress }) {
  const r = await gen.imageToImage({ image, strength, classLabels, scheduler, steps, eta: 0, seed, signal,
                                     onProgress: progress('Image-to-image', 0, 1) });
  return {
    result: r.images,
    caption: `From t = ${r.startTimestep}${className ? ` as ${className}` : ''}`,
    status: `noised to t = ${r.startTimestep}, then ${r.steps} of ${steps} ${scheduler} steps, ` +
            `${r.msPerStep.toFixed(0)} ms/step (${(r.totalMs / 1000).toFixed(1)} s)`,
  };
}

/**
 * DDIM inversion of `image` (and of `towards.image`, in the same batch), then one DDIM batch from x_T: the picture
 * regenerated, and STRIP_FRAMES frames along the slerp from its x_T to the second one (another garment's, or
 * N(0, I) noise from `seed` when `towards` is null). The frames' classes: the picture's for the first half, the
 * other garment's for the second, so that each end regenerates its own garment.
 */
export async function invert(gen, { image, classLabels, steps, seed, towards }, { signal, progress }) {
  const labels = classLabels && towards ? [classLabels[0], towards.label ?? classLabels[0]] : classLabels;
  const inv = await gen.invert({ image: towards ? concat([image, towards.image]) : image, classLabels: labels, steps, signal,
                                 onProgress: progress('Inverting', 0, 0.5) });
  const xA = imageAt(inv.latents, 0);
  const xB = towards ? imageAt(inv.latents, 1)
    : new Tensor(gaussians(xA.data.length, mulberry32(seed)), xA.shape);
  const frames = [xA];
  for (let k = 1; k < STRIP_FRAMES - 1; ++k) {
    signal.throwIfAborted();
    frames.push(await gen.slerp(xA, xB, k / (STRIP_FRAMES - 1)));
  }
  frames.push(xB);
  const frameLabels = labels && frames.map((_, k) => labels[k < STRIP_FRAMES / 2 ? 0 : labels.length - 1]);
  const back = await gen.generate({ ...inv.sampleBack, classLabels: frameLabels, latents: concat(frames), numImages: STRIP_FRAMES,
                                    signal, onProgress: progress('Sampling back from x_T', 0.5, 1) });
  const result = imageAt(back.images, 0);  // frame 0 starts from the picture's own x_T: its reconstruction
  const error = meanAbsDiff(result, image);
  return {
    result,
    xT: xA,
    error,
    strip: { images: back.images, labels: frameLabels, ts: frames.map((_, k) => k / (STRIP_FRAMES - 1)) },
    caption: `Regenerated from x_T: mean |difference| = ${error.toFixed(4)}`,
    status: `inverted in ${inv.steps} DDIM steps (${(inv.totalMs / 1000).toFixed(1)} s), sampled ${STRIP_FRAMES} pictures back ` +
            `in ${back.steps} (${(back.totalMs / 1000).toFixed(1)} s)`,
  };
}
