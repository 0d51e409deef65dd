// Compiled by tests/js/types.test.js with tsc --noEmit: the README's usage must type-check against
// web/index.d.ts, and misuse must not.
import { DDIMInverseScheduler, imageToImage, imageToImageStartTimestep, imageToTensor, inpaint, invert, invertedSampling, RePaintScheduler,
         slerp } from 'ddpm-wasm';
import { DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, Generator, info, ToyMLPDenoiser, toyDataset, memoryUsage, ready, sample, Tensor,
         toCanvas, toImageData, toPNG, Trainer, UNet2DModel, version } from 'ddpm-wasm';
import { clearModelCache, MODEL_CACHE_NAME } from 'ddpm-wasm';
import type { DownloadProgress, GenerateProgress, GenerateResult, GeneratorInfo, GeneratorTrainer, TrainProgress, Info, PipelineFiles, SampleProgress, StepResult, TensorLike,
              UNet2DModelInfo } from 'ddpm-wasm';

const loaded: Info = await ready({ build: 'auto' });
const build: 'simd' | 'simd-threads' = loaded.build;
const why: string | undefined = info?.why;
const v: string = version();
const heap: number = memoryUsage().heapBytes;

const s: DDIMScheduler = DDIMScheduler.fromConfig({ beta_schedule: 'scaled_linear', beta_start: 0.00085, beta_end: 0.012 });
s.setTimesteps(20);
const ts: Int32Array = s.timesteps;
const betas: Float32Array = s.betas;
const x0 = new Tensor(new Float32Array(4), [1, 1, 2, 2]);
const plain: TensorLike = { data: new Float32Array(4), shape: [1, 1, 2, 2] };
const noisy: Tensor = s.addNoise(x0, plain, [ts[0]]);
const r: StepResult = s.step(plain, ts[0], noisy, { eta: 0.5, noise: x0, useClippedModelOutput: true });
const prev: Float32Array = r.prevSample.data;
const vel: Tensor = DDPMScheduler.fromConfig('{}').getVelocity(x0, x0, 10);
const dpm = DPMSolverMultistepScheduler.fromConfig({}, { solver_order: 3 });
dpm.dispose();

const unet: UNet2DModel = await UNet2DModel.fromPretrained('models/fashion-mnist', { threads: 'auto' });
const unet2 = UNet2DModel.fromFiles({ sample_size: 32, in_channels: 1 }, new Uint8Array(8));
const unetInfo: UNet2DModelInfo = unet.info;
const nullClass: number | null = unet.info.nullClassIndex;
const eps: Tensor = unet.forward(x0, [10], [3]);
const images: Tensor = sample(unet, unet.schedulerConfig, {  // null for a UNet folder: diffusers' defaults
  scheduler: 'dpmpp', steps: 20, numImages: 4, classLabels: [1, 2, 3, 4], guidanceScale: 3, seed: 1,
  onProgress: ({ step, total, preview }: SampleProgress) => step < total && preview.shape[0] === 4,
});
const trainer = Trainer.create(unet, { scheduler: { beta_schedule: 'linear' }, lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8,
  weightDecay: 1e-2, maxGradNorm: 1.0, predictionType: 'epsilon',
  ema: { decay: 0.9999, useEmaWarmup: true, invGamma: 1.0, power: 2 / 3 } });
const { loss, gradNorm } = trainer.step({ x0, classLabels: [1], noise: x0, timesteps: [3] });
const { gradients, inputGradient } = trainer.lossAndGradients({ x0 });
const convIn: Tensor | undefined = gradients['conv_in.weight'];
const ema: Record<string, Tensor> | null = trainer.emaParameters();
const files: PipelineFiles = trainer.exportPipeline();
const weights: Uint8Array = files['unet/diffusion_pytorch_model.safetensors'];
Trainer.create({ sample_size: 32, block_out_channels: [16, 32] }, { ema: false, seed: 3 }).dispose();
trainer.dispose();
unet.dispose();
unet2.dispose();

// The README's Generator example.
const gen = await Generator.create({ model: 'models/fashion-mnist', threads: 'auto', wasmPaths: '/assets/ddpm/' });
const genInfo: GeneratorInfo = gen.info;
const cancelBy: 'flag' | 'restart' = gen.info.cancel;
const controller = new AbortController();
const result: GenerateResult = await gen.generate({ numImages: 4, steps: 20, scheduler: 'ddim', eta: 0, seed: 1,
  classLabels: [3], guidanceScale: 2, latents: x0, signal: controller.signal,
  onProgress: ({ step, total, preview, elapsedMs }: GenerateProgress) => { void [step / total, preview.shape, elapsedMs]; } });
const generated: Tensor = result.images;
const png: Uint8Array = toPNG(generated, { cols: 2, padding: 1 });
const one: Uint8Array = toPNG(generated, { index: 0 });
const pixels: Uint8ClampedArray = toImageData(generated, 1).data;
const canvas: HTMLCanvasElement = toCanvas(generated, 0);
const offscreen: OffscreenCanvas = toCanvas(generated, 0, new OffscreenCanvas(32, 32));
const nullIndex: number | null = gen.modelInfo?.nullClassIndex ?? null;  // null without a model
const heapNow: number = (await gen.memoryUsage()).heapBytes;
await Generator.create({ model: files, threads: 1 });                       // Trainer.exportPipeline()'s files
await Generator.create({ model: { config: { sample_size: 32 }, weights: new Uint8Array(8) }, wasmPaths: { simd: '/s/' } });
await Generator.create({ model: [new File([], 'config.json')] });
const gtrainer: GeneratorTrainer = await gen.createTrainer({ unetConfig: { sample_size: 8 }, lr: 1e-3, batchSize: 4, emaDecay: 0.99 });
const trained = await gtrainer.train({ dataset: { images: x0, labels: [1] }, steps: 10, signal: controller.signal,
  onProgress: ({ step, loss, trainerStep }: TrainProgress) => { void [step, loss, trainerStep]; } });
const losses: Float32Array = trained.losses;
await Generator.create({ model: await gtrainer.exportPipeline() });
await gtrainer.dispose();
await gen.dispose();
// @ts-expect-error: train needs a dataset
await gtrainer.train({ steps: 1 });
// @ts-expect-error: Generator has no public constructor
new Generator();
// @ts-expect-error: threads is a number or 'auto'
await Generator.create({ model: 'm', threads: 'max' });
// @ts-expect-error: generate's scheduler names are ddpm, ddim and dpmpp
await gen.generate({ scheduler: 'euler' });
// @ts-expect-error: info is read-only
gen.info = genInfo;

// @ts-expect-error: the scheduler names are ddpm, ddim and dpmpp
sample(unet, {}, { scheduler: 'euler' });
// @ts-expect-error: an option sample() does not take
sample(unet, null, { stpes: 20 });
// @ts-expect-error: nor generate()
await gen.generate({ guidanceScal: 2 });
const fromNull: DDIMScheduler = DDIMScheduler.fromConfig(null);  // diffusers' defaults
// @ts-expect-error: exportPipeline's weights are bytes, not text
const wrong: string = files['unet/diffusion_pytorch_model.safetensors'];
// @ts-expect-error: predictionType is one of diffusers' names
Trainer.create(unet, { predictionType: 'noise' });
// @ts-expect-error: timesteps is read-only
s.timesteps = new Int32Array(1);
// @ts-expect-error: beta_schedule takes one of the listed names
DDPMScheduler.fromConfig({ beta_schedule: 1 });
// @ts-expect-error: eta is a number
s.step(x0, 1, x0, { eta: 'high' });

export { fromNull };
export { build, why, v, heap, betas, prev, vel, unetInfo, nullClass, eps, images, loss, gradNorm, inputGradient, convIn, ema,
         weights, wrong, cancelBy, png, one, pixels, canvas, offscreen, nullIndex, heapNow, losses };

// The toy 2-D denoiser and its trainer.
const roll: Tensor = toyDataset('swissroll', 1000, 0);
const toy: ToyMLPDenoiser = ToyMLPDenoiser.create({ hidden: 64 }, { seed: 1 });
const toyTrainer: Trainer = Trainer.create(toy, { lr: 3e-3 });
const toyLoss: number = toyTrainer.step({ x0: roll }).loss;
const toyInput: Tensor | null = toyTrainer.lossAndGradients({ x0: roll }).inputGradient;
const points: Tensor = toy.sample(toy.schedulerConfig, { numPoints: 100, steps: 20, onProgress: ({ latents }) => { void latents.shape; } });
const toyParams: number = toy.info.numParameters;
const trainOnly: Generator = await Generator.create({ threads: 1 });

// Editing: pictures as tensors, ImageData-like pixels or PNG bytes; the Generator's versions take Blobs and signals.
const garment: Tensor = images;
const keepTop = new Tensor(new Float32Array(32 * 32), [1, 1, 32, 32]);
const painted: Tensor = inpaint(unet, {}, { image: garment, mask: keepTop, steps: 50, jumpLength: 10, jumpNSample: 5 });
const varied: Tensor = imageToImage(unet, null, { image: new Uint8Array(8), strength: 0.6, classLabels: 3 });
const start: number = imageToImageStartTimestep(unet, {}, { strength: 0.5 });
const xT: Tensor = invert(unet, {}, { image: { data: new Uint8ClampedArray(16), width: 2, height: 2 }, classLabels: [1] });
const back: Tensor = sample(unet, {}, { ...invertedSampling({ steps: 50 }), latents: xT });
const between: Tensor = slerp(xT, xT, 0.5);
const fitted: { tensor: Tensor; note: string } = imageToTensor(new ArrayBuffer(8), unet, { mask: true });
const repaint: RePaintScheduler = RePaintScheduler.fromConfig({});
repaint.setTimesteps(50, { jumpLength: 10, jumpNSample: 5 });
const draws: number = repaint.undoDraws;
const inverse = DDIMInverseScheduler.fromConfig({}).step(xT, 20, xT).prevSample;
const genPainted: GenerateResult = await gen.inpaint({ image: new Blob([]), mask: keepTop, signal: new AbortController().signal,
                                                       onProgress: ({ elapsedMs }) => { void elapsedMs; } });
const genInverted = await gen.invert({ image: garment, classLabels: [2] });
const genBack: GenerateResult = await gen.generate({ ...genInverted.sampleBack, latents: genInverted.latents });
const genStart: number = (await gen.imageToImage({ image: garment, strength: 0.3 })).startTimestep;
// @ts-expect-error: inpaint needs a mask
inpaint(unet, {}, { image: garment });
// @ts-expect-error: imageToImage needs a strength
await gen.imageToImage({ image: garment });
export { painted, varied, start, back, between, fitted, draws, inverse, genPainted, genBack, genStart };

// Models by URL: download progress and the Cache API.
const progressLog: DownloadProgress[] = [];
const byUrl: UNet2DModel = await UNet2DModel.fromPretrained('https://example.com/models/fashion-mnist/', {
  threads: 1, cache: 'my-models', onDownload: (p) => { progressLog.push(p); void [p.file, p.url, p.fromCache, p.done]; } });
const total: number | null = progressLog[0]?.total ?? null;
await ToyMLPDenoiser.fromPretrained('/models/toy2d/', { cache: false, onDownload: ({ loaded }) => { void loaded; } });
const downloading = await Generator.create({ model: '/models/fashion-mnist/', cache: true,
                                             onDownload: ({ loaded, total: size }: DownloadProgress) => { void [loaded, size]; } });
const cacheName: 'ddpm-wasm-models' = MODEL_CACHE_NAME;
const clearedAll: boolean = await clearModelCache();
const clearedOne: boolean = await clearModelCache({ model: new URL('https://example.com/models/fashion-mnist/') });
await clearModelCache('my-models');
// @ts-expect-error: cache is true, false or a cache name
await UNet2DModel.fromPretrained('m', { cache: 1 });
// @ts-expect-error: onDownload's progress has no 'percent'
await Generator.create({ model: 'm', onDownload: ({ percent }) => percent });
// @ts-expect-error: the toy model has no threads option
await ToyMLPDenoiser.fromPretrained('m', { threads: 2 });
export { byUrl, total, downloading, cacheName, clearedAll, clearedOne };
