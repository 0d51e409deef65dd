// The options each sampling and editing call takes, by name, and the one rule for the rest: an option the call
// does not know is an error naming it and listing the valid ones, so that a typo (`guidanceScal`) does not
// silently fall back to the default. Shared by the synchronous calls (pipeline.js, toy.js, editing.js) and
// Generator's (generator.js, which adds `signal`), so both take the same names; and those of the calls that load a
// model from a folder or URL (LOAD_OPTION_NAMES).

const EDIT = ['classLabels', 'guidanceScale', 'seed', 'onProgress'];

export const OPTION_NAMES = {
  sample: ['scheduler', 'steps', 'eta', 'numImages', 'classLabels', 'guidanceScale', 'guidanceInterval', 'seed', 'latents',
           'clipSample', 'onProgress'],
  toySample: ['scheduler', 'steps', 'eta', 'numPoints', 'seed', 'latents', 'clipSample', 'onProgress'],
  inpaint: ['image', 'mask', ...EDIT, 'steps', 'jumpLength', 'jumpNSample', 'eta', 'noiseDraws'],
  imageToImage: ['image', 'strength', ...EDIT, 'scheduler', 'steps', 'eta', 'guidanceInterval'],
  imageToImageStartTimestep: ['strength', 'scheduler', 'steps'],
  invert: ['image', 'classLabels', 'steps', 'onProgress'],
};

/** Loading a model from a folder or URL: progress of the files fetched, and the Cache API cache they are kept in. */
const DOWNLOAD = ['onDownload', 'cache'];

/** The calls that load a model (model_files.js reads it): UNet2DModel.fromPretrained, ToyMLPDenoiser.fromPretrained,
 *  Generator.create. */
export const LOAD_OPTION_NAMES = {
  fromPretrained: ['threads', ...DOWNLOAD],
  toyFromPretrained: [...DOWNLOAD],
  generatorCreate: ['model', 'threads', 'build', 'wasmPaths', ...DOWNLOAD],
};

/** Generator's runs take `signal` too. */
export const RUN_OPTIONS = ['signal'];

/**
 * Throws a TypeError naming the first key of `options` that is not in `valid` (own enumerable keys, whatever
 * their value: `{ stpes: undefined }` is a typo too), e.g. "sample: unknown option 'stpes'; the options are
 * scheduler, steps, ...".
 */
export function checkOptionNames(options, valid, what) {
  if (options === null || typeof options !== 'object') return;  // the caller says what an options argument must be
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) {
      throw new TypeError(`${what}: unknown option '${key}'; the options are ${valid.join(', ')}`);
    }
  }
}
