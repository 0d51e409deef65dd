// wasm memory of a training step at the size the shipped model trains at (models/fashion-mnist: batch 16,
// 1x32x32), measured in a process of its own (node --test runs each file in one) so that nothing else
// has grown the heap. The module may grow to 4 GB (-sMAXIMUM_MEMORY=4GB); a step should need far less.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';

import { memoryUsage, ready, Tensor, Trainer } from '../../web/src/index.js';
import { ROOT } from './helpers.js';

const LIMIT = 1 << 30;  // 1 GiB of wasm memory for a batch-16 step of the fashion-mnist UNet
const MiB = (n) => `${(n / (1 << 20)).toFixed(1)} MiB`;

before(async () => {
  await ready();
});

test('a fashion-mnist trainer takes a batch-16 step within 1 GiB of wasm memory and gives it back', (t) => {
  const config = readFileSync(join(ROOT, 'models/fashion-mnist/unet/config.json'), 'utf8');
  const x0 = Tensor.zeros([16, 1, 32, 32]);
  for (let i = 0; i < x0.size; ++i) x0.data[i] = Math.sin(i * 0.1);
  const classLabels = Array.from({ length: 16 }, (_, i) => i % 10);
  const start = memoryUsage();
  const trainer = Trainer.create(config, { seed: 1, labelDropout: 0.1 });
  const created = memoryUsage();
  const s1 = trainer.step({ x0, classLabels });
  const s2 = trainer.step({ x0, classLabels });
  const stepped = memoryUsage();
  trainer.dispose();
  const disposed = memoryUsage();
  t.diagnostic(`heap (HEAPU8.length): start ${MiB(start.heapBytes)}, after create ${MiB(created.heapBytes)}, ` +
               `after 2 steps ${MiB(stepped.heapBytes)}; malloc in use: start ${MiB(start.mallocBytes)}, ` +
               `created ${MiB(created.mallocBytes)}, stepped ${MiB(stepped.mallocBytes)}, disposed ${MiB(disposed.mallocBytes)}`);
  assert.ok(Number.isFinite(s1.loss) && Number.isFinite(s2.loss));
  assert.ok(stepped.heapBytes <= LIMIT, `the heap grew to ${MiB(stepped.heapBytes)}`);
  assert.ok(stepped.mallocBytes > created.mallocBytes, 'the step allocated its activations');
  assert.equal(disposed.mallocBytes, start.mallocBytes, 'dispose() returned everything malloc handed out');
});
