#!/usr/bin/env node
// Training speed against the machine's peak and against PyTorch (the `train` group of `npm run bench`):
//
//   node tools/bench/train_bench.mjs [--models models/fashion-mnist,models/fashion-mnist-wide] [--batch 64]
//                                    [--seconds 5] [--diffusers-src DIR]
//
// For each model folder's config: `ddpm bench --train --threads 2` (native; forward + backward + clip + AdamW + EMA,
// 1 and 2 threads in interleaved rounds, the median of each, beside the FMA peak measured on 1 and on 2 threads at
// once in the same run), then shared/bench/torch_train_bench.py (diffusers' UNet2DModel trained as diffusers'
// train_unconditional.py does, same config, batch and 2 threads) right after. DIR (--diffusers-src, or the
// environment's DDPM_DIFFUSERS_SRC) is a diffusers v0.31.0 source tree (the script's header says how to get one);
// without it, or without Debian's python3-torch (`bash tools/setup.sh --eval`), that row says `skipped: reason`.
// Goals (issue 11): 2 threads at >= 50% of the 2-thread peak, >= 1.8x one thread.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({ options: {
  models: { type: 'string', default: 'models/fashion-mnist,models/fashion-mnist-wide' },
  batch: { type: 'string', default: '64' },
  seconds: { type: 'string', default: '5' },
  'diffusers-src': { type: 'string', default: process.env.DDPM_DIFFUSERS_SRC ?? '' },
  shared: { type: 'string', default: '../shared' },
} });
const NATIVE = join(ROOT, 'build', 'native', 'ddpm');
const TORCH_BENCH = join(resolve(ROOT, args.shared), 'bench', 'torch_train_bench.py');
const PYTHON = '/usr/bin/python3';  // Debian's, with python3-torch (the python3 on PATH may be another)
const fmt = (x, d = 1) => (x == null || !Number.isFinite(x) ? '-' : x.toFixed(d));

// The last JSON line a command prints, or { skipped: reason }.
function lastJson(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: ROOT, encoding: 'utf8', timeout: 900000, maxBuffer: 64 << 20 });
  if (r.error) return { skipped: `${cmd}: ${r.error.message}` };
  const line = r.stdout.trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (r.status !== 0 || !line) return { skipped: `failed: ${(r.stderr || r.stdout).trim().split('\n').pop() || `exit ${r.status}`}` };
  return JSON.parse(line);
}

function torchRow(model) {
  if (!args['diffusers-src']) return { skipped: 'no diffusers source (--diffusers-src DIR or DDPM_DIFFUSERS_SRC; see torch_train_bench.py)' };
  if (!existsSync(TORCH_BENCH)) return { skipped: `${TORCH_BENCH} missing` };
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} missing` };
  const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
  if (probe.status !== 0) return { skipped: 'no python3-torch (bash tools/setup.sh --eval)' };
  return lastJson(PYTHON, [TORCH_BENCH, '--diffusers-src', args['diffusers-src'], '--model', model, '--batch', args.batch,
                           '--threads', '2', '--seconds', String(Math.max(10, Number(args.seconds) * 2))]);
}

console.log('');
console.log(`training, batch ${args.batch}: forward + backward + grad clip + AdamW + EMA`);
for (const model of args.models.split(',')) {
  const folder = resolve(ROOT, model);
  console.log('');
  if (!existsSync(NATIVE)) {
    console.log(`${model}: skipped: build/native/ddpm not built (cmake --preset native && cmake --build --preset native)`);
    continue;
  }
  const ours = lastJson(NATIVE, ['bench', '--train', '--model', folder, '--batch', args.batch, '--threads', '2',
                                 '--seconds', args.seconds, '--json']);
  if (ours.skipped) {
    console.log(`${model}: ours skipped: ${ours.skipped}`);
    continue;
  }
  console.log(`${relative(ROOT, folder)}: ${ours.parameters.toLocaleString('en')} parameters, ` +
              `${fmt(ours.train_gflop_per_image, 3)} GFLOP per training image`);
  console.log('  engine                         thr   images/s   GFLOP/s   peak GFLOP/s (same run)   % of peak');
  const byThreads = {};
  for (const r of ours.rows) {
    byThreads[r.threads] = r;
    console.log(`  ddpm-wasm native (${ours.peak_target})`.padEnd(33) + `${String(r.threads).padStart(3)} ${fmt(r.images_per_s).padStart(10)} ` +
                `${fmt(r.gflops).padStart(9)} ${fmt(r.peak_gflops).padStart(14)} ${fmt(r.percent_of_peak).padStart(22)}%`);
  }
  const torch = torchRow(folder);
  if (torch.skipped) console.log(`  ${'PyTorch (diffusers v0.31.0)'.padEnd(31)}  2  skipped: ${torch.skipped}`);
  else console.log(`  ${`PyTorch ${torch.torch ?? ''} (diffusers)`.padEnd(31)}${String(torch.threads).padStart(3)} ${fmt(torch.images_per_s).padStart(10)}`);
  const two = byThreads[2], one = byThreads[1];
  const verdict = (ok) => (ok == null ? 'n/a' : ok ? 'met' : 'MISSED');
  const scaling = two && one ? two.images_per_s / one.images_per_s : null;
  console.log(`  2 threads: ${fmt(two?.percent_of_peak)}% of the 2-thread peak (goal >= 50%: ${verdict(two && two.percent_of_peak >= 50)}); ` +
              `${fmt(scaling, 2)}x one thread (goal >= 1.8x: ${verdict(scaling == null ? null : scaling >= 1.8)})` +
              (torch.skipped ? '' : `; ${fmt(two.images_per_s / torch.images_per_s, 2)}x PyTorch's images/s`));
}
