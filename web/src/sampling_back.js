// The one rule for sampling back from DDIM inversion's x_T (src/diffusion/editing.h, Invert): DDIM, eta 0, the
// inversion's step count, no guidance, and clip_sample off, as the inversion ran unclipped. Its own module so that
// Generator (which loads no wasm on the page) and editing.js share it.

/** The sample() / generate() options that turn invert()'s x_T back into its image. */
export function invertedSampling({ steps = 50, classLabels } = {}) {
  return { scheduler: 'ddim', eta: 0, steps, guidanceScale: 1, clipSample: false, ...(classLabels === undefined ? {} : { classLabels }) };
}
