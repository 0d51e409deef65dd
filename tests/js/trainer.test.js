// Trainer through the public JS API: one training step against torch autograd + AdamW + EMA
// (../shared/reference/training_unet_*), the pipeline export, and errors.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';

import { memoryUsage, ready, Tensor, Trainer, UNet2DModel } from '../../web/src/index.js';
import { asInts, asTensor, readReferenceJson, readSafetensors, referencePath, ROOT } from './helpers.js';

// reference/README.md, "Suggested checks for a float32 port" (training_unet_*):
const LOSS_RTOL = 1e-5;          // loss and grad norms, relative
const GRAD_REL = 1e-4;           // each gradient tensor: max|a-b| <= 1e-4·max|b|
const DEAD_GRAD_ABS = 1e-8;      // attention to_k.bias (cancelled by the softmax): |g| <= 1e-8
const PARAM_ABS = 1e-4;          // adamw.param.* / ema.param.*: every element within 1e-4 ...
const PARAM_LOOSE_ABS = 2e-6;    // ... and at most 0.1% of the live elements off by more than 2e-6
const PARAM_LOOSE_FRACTION = 1e-3;

// The reference's torch.optim.AdamW, clip_grad_norm_ and EMAModel call (training_unet_*.json "adamw_call").
const REFERENCE_OPTIONS = {
  scheduler: { num_train_timesteps: 1000, beta_schedule: 'linear', beta_start: 0.0001, beta_end: 0.02 },
  lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, maxGradNorm: 1.0, predictionType: 'epsilon',
  ema: { decay: 0.9999, useEmaWarmup: true, invGamma: 1.0, power: 2 / 3 },
};

before(async () => {
  await ready();
});

const maxAbs = (a) => a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
function maxDiff(a, b) {
  let m = 0;
  for (let i = 0; i < a.length; ++i) {
    const d = Math.abs(a[i] - b[i]);
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}
const relErr = (got, want) => Math.abs(got - want) / Math.abs(want);

function loadReference(name) {
  const st = readSafetensors(referencePath(`${name}.safetensors`)).tensors;
  const json = readReferenceJson(`${name}.json`);
  const batch = { x0: asTensor(st['input.x0']), noise: asTensor(st['input.noise']), timesteps: asInts(st['input.timesteps']) };
  if (st['input.class_labels']) batch.classLabels = asInts(st['input.class_labels']);
  return { st, json, batch, dead: new Set(json.dead_parameters) };
}

async function withTrainer(folder, fn) {
  const unet = await UNet2DModel.fromPretrained(referencePath(folder));
  const trainer = Trainer.create(unet, REFERENCE_OPTIONS);
  unet.dispose();  // the trainer has its own copy of the weights
  try {
    return fn(trainer);
  } finally {
    trainer.dispose();
  }
}

for (const [name, folder] of [['training_unet_tiny', 'unet_tiny'], ['training_unet_cond', 'unet_cond']]) {
  describe(name, () => {
    const ref = loadReference(name);

    test('lossAndGradients: the loss, every parameter gradient and d loss / d x_t', async (t) => {
      await withTrainer(folder, (trainer) => {
        const { loss, gradients, inputGradient } = trainer.lossAndGradients(ref.batch);
        const want = ref.st.loss.data[0];
        assert.ok(relErr(loss, want) <= LOSS_RTOL, `loss ${loss} vs ${want}`);
        const names = Object.keys(gradients);
        assert.deepEqual(names.sort(), Object.keys(ref.json.f64_per_tensor).sort(), 'one gradient per parameter');
        const failures = [];
        let worst = 0;
        for (const [param, g] of [...Object.entries(gradients), ['input.sample', inputGradient]]) {
          const w = ref.st[`grad.${param}`];
          assert.ok(g instanceof Tensor);
          assert.deepEqual(g.shape, w.shape, `grad.${param} shape`);
          if (ref.dead.has(param)) {
            if (!(maxAbs(g.data) <= DEAD_GRAD_ABS)) failures.push(`grad.${param}: max|g| ${maxAbs(g.data)} (dead)`);
            continue;
          }
          const diff = maxDiff(g.data, w.data);
          const scale = maxAbs(w.data);
          worst = Math.max(worst, diff / scale);
          if (!(diff <= GRAD_REL * scale)) failures.push(`grad.${param}: maxdiff ${diff} > ${GRAD_REL * scale}`);
        }
        assert.deepEqual(failures, []);
        t.diagnostic(`loss rel err ${relErr(loss, want).toExponential(2)}, ${names.length} gradients + input, ` +
                     `worst max|Δ|/max|ref| ${worst.toExponential(2)}`);
      });
    });

    test('3 steps: losses, grad norms, AdamW and EMA weights', async (t) => {
      await withTrainer(folder, (trainer) => {
        for (let k = 0; k < 3; ++k) {
          const s = trainer.step(ref.batch);
          assert.equal(s.step, k + 1);
          assert.equal(s.lr, 1e-3);
          const wl = ref.st[`adamw.loss_step${k}`].data[0];
          const wn = ref.st[`adamw.grad_norm_step${k}`].data[0];
          assert.ok(relErr(s.loss, wl) <= LOSS_RTOL, `loss_step${k} ${s.loss} vs ${wl}`);
          assert.ok(relErr(s.gradNorm, wn) <= LOSS_RTOL, `grad_norm_step${k} ${s.gradNorm} vs ${wn}`);
        }
        for (const [what, params] of [['adamw', trainer.parameters()], ['ema', trainer.emaParameters()]]) {
          let loose = 0;
          let total = 0;
          let worst = 0;
          for (const [param, p] of Object.entries(params)) {
            if (ref.dead.has(param)) continue;  // Adam turns their rounding-noise gradients into ±lr moves
            const w = ref.st[`${what}.param.${param}`].data;
            const diff = maxDiff(p.data, w);
            worst = Math.max(worst, diff);
            assert.ok(diff <= PARAM_ABS, `${what}.param.${param}: maxdiff ${diff}`);
            for (let i = 0; i < w.length; ++i) loose += Math.abs(p.data[i] - w[i]) > PARAM_LOOSE_ABS;
            total += w.length;
          }
          assert.ok(loose <= PARAM_LOOSE_FRACTION * total, `${what}: ${loose} of ${total} elements beyond ${PARAM_LOOSE_ABS}`);
          t.diagnostic(`${what}.param: worst ${worst.toExponential(2)}, ${loose}/${total} beyond ${PARAM_LOOSE_ABS}`);
        }
        const final = trainer.lossAndGradients(ref.batch).loss;
        assert.ok(relErr(final, ref.st['adamw.loss_final'].data[0]) <= LOSS_RTOL, `loss_final ${final}`);
      });
    });
  });
}

test('exportPipeline: a diffusers pipeline folder holding the EMA weights, loadable again', async () => {
  const dir = referencePath('unet_tiny');
  const unet = await UNet2DModel.fromPretrained(dir);
  const trainer = Trainer.create(unet, { scheduler: { beta_schedule: 'scaled_linear' }, ema: { decay: 0.5 } });
  try {
    // Before any step the EMA equals the weights: the exported model is the one loaded.
    const files = trainer.exportPipeline();
    assert.deepEqual(Object.keys(files).sort(), ['model_index.json', 'scheduler/scheduler_config.json', 'unet/config.json',
                                                 'unet/diffusion_pytorch_model.safetensors']);
    assert.deepEqual(JSON.parse(files['model_index.json']).unet, ['diffusers', 'UNet2DModel']);
    assert.equal(JSON.parse(files['scheduler/scheduler_config.json']).beta_schedule, 'scaled_linear');
    assert.ok(files['unet/diffusion_pytorch_model.safetensors'] instanceof Uint8Array);
    const again = UNet2DModel.fromFiles(files['unet/config.json'], files['unet/diffusion_pytorch_model.safetensors']);
    const x = Tensor.zeros([1, 3, 16, 16]).data.map((_, i) => Math.cos(i));
    assert.deepEqual(again.forward({ data: x, shape: [1, 3, 16, 16] }, [500]).data, unet.forward({ data: x, shape: [1, 3, 16, 16] }, [500]).data);
    again.dispose();

    // After steps, the export carries the EMA weights, not the raw ones.
    const batch = { x0: { data: new Float32Array(2 * 3 * 16 * 16).map((_, i) => Math.sin(i)), shape: [2, 3, 16, 16] } };
    trainer.step(batch);
    trainer.step(batch);
    const ema = trainer.emaParameters();
    const raw = trainer.parameters();
    const exported = UNet2DModel.fromFiles(trainer.exportPipeline()['unet/config.json'],
                                           trainer.exportPipeline()['unet/diffusion_pytorch_model.safetensors']);
    const viaExport = Trainer.create(exported, {});
    exported.dispose();
    const back = viaExport.parameters();
    viaExport.dispose();
    assert.deepEqual(back['conv_in.weight'].data, ema['conv_in.weight'].data);
    assert.notDeepEqual(back['conv_in.weight'].data, raw['conv_in.weight'].data);
  } finally {
    trainer.dispose();
    unet.dispose();
  }
});

test('a trainer from a config (fresh weights) records the null class in its export; the seed replays a run', () => {
  const config = readFileSync(join(ROOT, 'models/fashion-mnist/unet/config.json'), 'utf8');
  const x0 = { data: new Float32Array(2 * 32 * 32).map((_, i) => Math.sin(i * 0.37)), shape: [2, 1, 32, 32] };
  const run = (seed) => {
    const t = Trainer.create(config, { seed, labelDropout: 0.5 });
    try {
      return [t.step({ x0, classLabels: [1, 2] }).loss, t.step({ x0, classLabels: [3, 4] }).loss, t.exportPipeline()];
    } finally {
      t.dispose();
    }
  };
  const a = run(7);
  const b = run(7);
  const c = run(8);
  assert.deepEqual(a.slice(0, 2), b.slice(0, 2));
  assert.notDeepEqual(a.slice(0, 2), c.slice(0, 2));
  assert.equal(JSON.parse(a[2]['unet/config.json']).null_class_index, 10);
});

test('bad options and batches throw Errors naming the problem', () => {
  const config = readFileSync(referencePath('unet_tiny/config.json'), 'utf8');
  const bad = (options, pattern) => assert.throws(() => Trainer.create(config, options), (e) => e instanceof Error && pattern.test(e.message));
  bad({ lr: -1 }, /^lr -1 must be in \(0, inf\)$/);
  bad({ betas: [0.9, 1] }, /beta2 1 must be in \[0, 1\)/);
  bad({ ema: { decay: 2 } }, /ema decay 2 must be in \[0, 1\]/);
  bad({ labelDropout: 0.1 }, /label_dropout 0\.1 needs a null class/);
  bad({ predictionType: 'noise' }, /predictionType 'noise' must be one of epsilon, v_prediction, sample/);
  bad({ scheduler: { beta_schedule: 'cosine' } }, /beta_schedule/);
  bad({ lr: '1e-3' }, /lr must be a number/);
  assert.throws(() => Trainer.create(42), /model must be a UNet2DModel, a ToyMLPDenoiser, or a config/);
  assert.throws(() => Trainer.create({ ...JSON.parse(config), dropout: 0.1 }), /dropout/);

  const t = Trainer.create(config, { ema: false });
  try {
    assert.equal(t.emaParameters(), null);
    const x0 = Tensor.zeros([2, 3, 16, 16]);
    // The UNet's input checks are one (nn/unet_structure.h) for sampling and training.
    assert.throws(() => t.step({ x0: Tensor.zeros([2, 1, 16, 16]) }), /sample has 1 channels, the model expects in_channels = 3/);
    assert.throws(() => t.step({ x0, timesteps: [0, 1000] }), /timestep 1000 outside \[0, 1000\)/);
    assert.throws(() => t.step({ x0, timesteps: [1] }), /1 timesteps for a batch of 2/);
    assert.throws(() => t.step({ x0, noise: Tensor.zeros([1, 3, 16, 16]) }), /noise shape/);
    assert.throws(() => t.step({ x0, classLabels: [1, 2] }), /no class embedding/);
    assert.throws(() => t.step({ x0: { data: new Float32Array(3), shape: [3] } }), /x0 must be a batch/);
    assert.throws(() => t.step({}), /x0 must be a Tensor/);
  } finally {
    t.dispose();
  }
  assert.throws(() => t.parameters(), /Trainer was disposed/);
});

test('a disposed trainer returns its memory', () => {
  const config = readFileSync(referencePath('unet_tiny/config.json'), 'utf8');
  const batch = { x0: Tensor.zeros([2, 3, 16, 16]) };
  const once = () => {
    const t = Trainer.create(config, {});
    t.step(batch);
    t.lossAndGradients(batch);
    t.exportPipeline();
    t.dispose();
  };
  once();  // warm up allocator pools
  const before = memoryUsage().mallocBytes;
  once();
  once();
  assert.equal(memoryUsage().mallocBytes, before);
});
