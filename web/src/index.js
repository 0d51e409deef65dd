// ddpm-wasm: diffusers-compatible diffusion in WebAssembly. See web/index.d.ts for the typed API.
export { info, measurePeakGflops, memoryUsage, ready, version } from './loader.js';
export { Tensor } from './tensor.js';
export { DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler, RePaintScheduler, DDIMInverseScheduler } from './schedulers.js';
export { UNet2DModel } from './unet.js';
export { clearModelCache, MODEL_CACHE_NAME } from './model_files.js';
export { sample } from './pipeline.js';
export { imageToImage, imageToImageStartTimestep, imageToTensor, inpaint, invert, invertedSampling, slerp } from './editing.js';
export { Trainer } from './trainer.js';
export { BatchSampler } from './batch_sampler.js';
export { ToyMLPDenoiser, toyDataset } from './toy.js';
export { Generator } from './generator.js';
export { toCanvas, toImageData, toPNG } from './image.js';
