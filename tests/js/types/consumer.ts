// Compiled by tests/js/types.test.js with tsc --noEmit: the README's usage must type-check against
// web/index.d.ts, and misuse must not.
import { DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, info, memoryUsage, ready, Tensor, version } from 'ddpm-wasm';
import type { Info, StepResult, TensorLike } from 'ddpm-wasm';

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

// @ts-expect-error: timesteps is read-only
s.timesteps = new Int32Array(1);
// @ts-expect-error: beta_schedule takes one of the listed names
DDPMScheduler.fromConfig({ beta_schedule: 1 });
// @ts-expect-error: eta is a number
s.step(x0, 1, x0, { eta: 'high' });

export { build, why, v, heap, betas, prev, vel };
