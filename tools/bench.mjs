#!/usr/bin/env node
// `npm run bench`: timings of the JS API on the wasm build (Node). For now the schedulers; the UNet
// forward joins when it is bound. Prints one line per case: median of `reps` runs after a warm-up.
//   node tools/bench.mjs [--build simd|simd-threads] [--reps N]
import { DDIMScheduler, DDPMScheduler, info, ready, Tensor } from '../web/src/index.js';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const reps = Number(opt('--reps', 50));

function median(fn) {
  for (let i = 0; i < 3; ++i) fn();
  const times = [];
  for (let i = 0; i < reps; ++i) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[times.length >> 1];
}

await ready({ build: opt('--build', 'auto') });
console.log(`ddpm-wasm ${info.version} build ${info.build} (${info.why}), Node ${process.version}`);
for (const shape of [[1, 3, 32, 32], [4, 3, 64, 64], [1, 4, 128, 128]]) {
  const x = Tensor.zeros(shape);
  x.data.forEach((_, i) => { x.data[i] = Math.sin(i); });
  for (const Cls of [DDPMScheduler, DDIMScheduler]) {
    const s = Cls.fromConfig({});
    s.setTimesteps(50);
    const step = median(() => s.step(x, 500, x, { noise: x, eta: 1 }));
    const addNoise = median(() => s.addNoise(x, x, new Array(shape[0]).fill(500)));
    const mb = (x.size * 4) / 1e6;
    console.log(`${Cls.name.padEnd(14)} [${shape}] step ${step.toFixed(3)} ms, addNoise ${addNoise.toFixed(3)} ms ` +
                `(${mb.toFixed(2)} MB per tensor, copies in and out included)`);
    s.dispose();
  }
}
process.exit(0);  // a simd-threads module would keep Node alive
