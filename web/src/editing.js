// Editing a picture with a trained UNet2DModel, synchronously (the same pipelines as `ddpm inpaint`, `img2img`,
// `invert` and `interpolate`, src/diffusion/editing.h): RePaint inpainting, SDEdit image-to-image, DDIM inversion
// to x_T, and slerp between two x_T. Pictures are Tensors in the model's layout, ImageData or PNG bytes
// (picture.js); class labels and classifier-free guidance work as in sample().
import { configText } from './config.js';
import { getNative } from './loader.js';
import { check } from './native.js';
import { checkOptionNames, OPTION_NAMES } from './options.js';
import { modelInput, pictureToTensor } from './picture.js';
import { defaultsText, guidanceIntervalOption, optionalNumber, progressRun, seedOption } from './pipeline.js';
export { invertedSampling } from './sampling_back.js';
import { Tensor } from './tensor.js';
import { labelList, UNet2DModel } from './unet.js';

function checkUNet(unet, what) {
  if (!(unet instanceof UNet2DModel)) throw new TypeError(`${what}: unet must be a UNet2DModel`);
}

/** An options object whose every key is one the call takes (options.js: the list is in the error). */
function checkOptions(options, what, names = OPTION_NAMES[what]) {
  if (options === null || typeof options !== 'object') throw new TypeError(`${what}: options must be an object`);
  checkOptionNames(options, names, what);
}

const integer = (value, name, what) => optionalNumber(value, name, Number.isInteger, what);
const finite = (value, name, what) => optionalNumber(value, name, Number.isFinite, what);

/** What every editing call takes: classLabels, guidanceScale, seed. */
function commonOptions(o, what) {
  return { classLabels: labelList(o.classLabels, `${what}: classLabels`), guidanceScale: finite(o.guidanceScale, 'guidanceScale', what),
           seed: seedOption(o.seed, what) };
}

/** `picture` fitted to the model's input: { tensor, note } (see picture.js). */
export function imageToTensor(picture, unet, { mask = false } = {}) {
  checkUNet(unet, 'imageToTensor');
  return pictureToTensor(picture, modelInput(unet, 'imageToTensor'), { mask, what: 'imageToTensor' });
}

/**
 * Inpainting with RePaint (diffusers' RePaintPipeline, undo steps included): regenerates where `mask` is 0 (black)
 * and keeps `image` where it is 1 (white). Options: image, mask, classLabels, guidanceScale, steps, jumpLength,
 * jumpNSample (each not given comes from the model's samplingDefaults.inpaint, else diffusers' 250, 10, 10), eta (0),
 * seed, noiseDraws (every draw, for exact replay), onProgress.
 * @returns {Tensor} x_0 [N, C, H, W] in [-1, 1]
 */
export function inpaint(unet, schedulerConfig = {}, options = {}) {
  const what = 'inpaint';
  checkUNet(unet, what);
  checkOptions(options, what);
  const input = modelInput(unet, what);
  const image = pictureToTensor(options.image, input, { what: `${what}: image` }).tensor;
  const mask = pictureToTensor(options.mask, input, { mask: true, what: `${what}: mask` }).tensor;
  const opts = {
    ...commonOptions(options, what),
    steps: integer(options.steps, 'steps', what),
    jumpLength: integer(options.jumpLength, 'jumpLength', what),
    jumpNSample: integer(options.jumpNSample, 'jumpNSample', what),
    eta: finite(options.eta, 'eta', what),
    noiseDraws: options.noiseDraws === undefined || options.noiseDraws === null ? undefined : Tensor.from(options.noiseDraws, `${what}: noiseDraws`),
    samplingDefaults: defaultsText(unet.samplingDefaults),
  };
  const config = configText(schedulerConfig, 'scheduler config');
  return progressRun(options.onProgress, what)((onStep) => getNative().inpaint(unet.native, config, image, mask, opts, onStep));
}

function imageToImageOptions(unet, options, what) {
  checkOptions(options, what);  // imageToImage's names, or imageToImageStartTimestep's
  if (options.scheduler !== undefined && typeof options.scheduler !== 'string') {
    throw new TypeError(`${what}: scheduler must be 'ddpm', 'ddim' or 'dpmpp'`);
  }
  if (typeof options.strength !== 'number') throw new TypeError(`${what}: strength (in (0, 1]) is required`);
  return {
    strength: finite(options.strength, 'strength', what),
    scheduler: options.scheduler,
    steps: integer(options.steps, 'steps', what),
    eta: finite(options.eta, 'eta', what),
    guidanceScale: finite(options.guidanceScale, 'guidanceScale', what),
    guidanceInterval: guidanceIntervalOption(options.guidanceInterval, what),
    samplingDefaults: defaultsText(unet.samplingDefaults),
  };
}

/**
 * Image-to-image (SDEdit, as diffusers' image-to-image pipelines): `image` noised to the timestep `strength`
 * selects (1 = pure noise), then denoised, optionally to another class. Options: image, strength, scheduler, steps,
 * eta, guidanceScale, guidanceInterval (each not given comes from the model's samplingDefaults, as in sample()),
 * classLabels, seed, onProgress.
 * @returns {Tensor} x_0 [N, C, H, W] in [-1, 1]
 */
export function imageToImage(unet, schedulerConfig = {}, options = {}) {
  const what = 'imageToImage';
  checkUNet(unet, what);
  const own = imageToImageOptions(unet, options, what);  // checks the options first
  const opts = { ...commonOptions(options, what), ...own };
  const image = pictureToTensor(options.image, modelInput(unet, what), { what: `${what}: image` }).tensor;
  const config = configText(schedulerConfig, 'scheduler config');
  return progressRun(options.onProgress, what)((onStep) => getNative().imageToImage(unet.native, config, image, opts, onStep));
}

/** The timestep imageToImage starts from with these options ({ strength, scheduler?, steps? }), e.g. 480 of 1000. */
export function imageToImageStartTimestep(unet, schedulerConfig = {}, options = {}) {
  const what = 'imageToImageStartTimestep';
  checkUNet(unet, what);
  const opts = imageToImageOptions(unet, options, what);
  return check(getNative().imageToImageStartTimestep(configText(schedulerConfig, 'scheduler config'), opts));
}

/**
 * DDIM inversion: the x_T from which DDIM sampling (eta 0, the same steps, clipSample false) gives `image` back.
 * Options: image, classLabels (the image's class, for a class-conditional model), steps (50), onProgress.
 * @returns {Tensor} x_T [N, C, H, W]
 */
export function invert(unet, schedulerConfig = {}, options = {}) {
  const what = 'invert';
  checkUNet(unet, what);
  checkOptions(options, what);
  const image = pictureToTensor(options.image, modelInput(unet, what), { what: `${what}: image` }).tensor;
  const opts = { classLabels: labelList(options.classLabels, `${what}: classLabels`), steps: integer(options.steps, 'steps', what) };
  const config = configText(schedulerConfig, 'scheduler config');
  return progressRun(options.onProgress, what)((onStep) => getNative().invert(unet.native, config, image, opts, onStep));
}

/** Spherical interpolation between two x_T of the same shape: t = 0 gives a, t = 1 gives b. */
export function slerp(a, b, t) {
  if (typeof t !== 'number') throw new TypeError('slerp: t must be a number in [0, 1]');
  const r = check(getNative().slerp(Tensor.from(a, 'slerp: a'), Tensor.from(b, 'slerp: b'), t));
  return new Tensor(r.data, r.shape);
}
