// The schedulers through the public JS API, against diffusers' dumps in ../shared/reference.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';

import { DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler, ready, Tensor } from '../../web/src/index.js';
import { asInts, asTensor, assertClose, readReferenceJson, readSafetensors, referencePath, withScheduler } from './helpers.js';

// reference/README.md: "Code with its own double-precision schedule or coefficients: |a-b| <= 5e-4 + 1e-4·|b|".
// The schedulers follow torch's float32 order, so they are far inside it; this is the contract's bound.
const ATOL = 5e-4;
const RTOL = 1e-4;

const SCHEDULERS = { DDPMScheduler, DDIMScheduler };

before(async () => {
  await ready();
});

describe('schedules', () => {
  const ref = readReferenceJson('schedules.json');
  const st = readSafetensors(referencePath('schedules.safetensors')).tensors;
  for (const [name, { config }] of Object.entries(ref.schedules)) {
    for (const Cls of [DDPMScheduler, DDIMScheduler]) {
      test(`${Cls.name} ${name}: betas and alphasCumprod`, () => {
        withScheduler(Cls, config, (s) => {
          assert.ok(s.betas instanceof Float32Array);
          assert.ok(s.alphasCumprod instanceof Float32Array);
          assertClose(assert, `${name}.betas`, s.betas, st[`${name}.betas`].data, ATOL, RTOL);
          assertClose(assert, `${name}.alphas_cumprod`, s.alphasCumprod, st[`${name}.alphas_cumprod`].data, ATOL, RTOL);
        });
      });
    }
  }
});

describe('setTimesteps', () => {
  const ref = readReferenceJson('ddim_timesteps.json');
  for (const c of ref.cases) {
    const spacing = c.config.timestep_spacing ?? 'leading';
    test(`${c.scheduler} ${spacing} n=${c.num_inference_steps}`, () => {
      withScheduler(SCHEDULERS[c.scheduler], c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        assert.ok(s.timesteps instanceof Int32Array);
        assert.deepEqual(Array.from(s.timesteps), c.timesteps);
      });
    });
  }
});

describe('DDPMScheduler.step', () => {
  const ref = readReferenceJson('ddpm_step.json');
  const st = readSafetensors(referencePath('ddpm_step.safetensors')).tensors;
  for (const c of ref.cases) {
    test(`${c.id}: ${c.config.beta_schedule ?? 'linear'} ${c.config.prediction_type} ${c.config.variance_type} ` +
         `clip=${c.config.clip_sample} n=${c.num_inference_steps} t=${c.timestep}`, () => {
      withScheduler(DDPMScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        const t = asInts(st[`${c.id}/timestep`])[0];
        const out = s.step(asTensor(st[`${c.id}/model_output`]), t, asTensor(st[`${c.id}/sample`]),
                           { noise: asTensor(st[`${c.id}/noise`]) });
        assert.ok(out.prevSample instanceof Tensor);
        assert.deepEqual(out.prevSample.shape, st[`${c.id}/prev_sample`].shape);
        assertClose(assert, `${c.id} prev_sample`, out.prevSample.data, st[`${c.id}/prev_sample`].data, ATOL, RTOL);
        assertClose(assert, `${c.id} pred_original_sample`, out.predOriginalSample.data,
                    st[`${c.id}/pred_original_sample`].data, ATOL, RTOL);
      });
    });
  }
});

describe('DDIMScheduler.step', () => {
  const ref = readReferenceJson('ddim_step.json');
  const st = readSafetensors(referencePath('ddim_step.safetensors')).tensors;
  for (const c of ref.cases) {
    test(`${c.id}: ${c.config.prediction_type} ${c.config.timestep_spacing} clip=${c.config.clip_sample} ` +
         `eta=${c.eta} clipped=${c.use_clipped_model_output} n=${c.num_inference_steps} t=${c.timestep}`, () => {
      withScheduler(DDIMScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        const t = asInts(st[`${c.id}/timestep`])[0];
        const options = { eta: c.eta, useClippedModelOutput: c.use_clipped_model_output };
        if (c.eta > 0) options.noise = asTensor(st[`${c.id}/variance_noise`]);
        const out = s.step(asTensor(st[`${c.id}/model_output`]), t, asTensor(st[`${c.id}/sample`]), options);
        assertClose(assert, `${c.id} prev_sample`, out.prevSample.data, st[`${c.id}/prev_sample`].data, ATOL, RTOL);
        assertClose(assert, `${c.id} pred_original_sample`, out.predOriginalSample.data,
                    st[`${c.id}/pred_original_sample`].data, ATOL, RTOL);
      });
    });
  }
});

describe('addNoise and getVelocity', () => {
  for (const [file, method, inputs, output] of [
    ['add_noise', 'addNoise', ['original_samples', 'noise'], 'noisy_samples'],
    ['get_velocity', 'getVelocity', ['sample', 'noise'], 'velocity'],
  ]) {
    const ref = readReferenceJson(`${file}.json`);
    const st = readSafetensors(referencePath(`${file}.safetensors`)).tensors;
    for (const c of ref.cases) {
      for (const Cls of [DDPMScheduler, DDIMScheduler]) {
        test(`${Cls.name}.${method} ${c.id}`, () => {
          withScheduler(Cls, c.config, (s) => {
            const [a, b] = inputs.map((k) => asTensor(st[`${c.id}/${k}`]));
            const out = s[method](a, b, asInts(st[`${c.id}/timesteps`]));
            assert.deepEqual(out.shape, st[`${c.id}/${output}`].shape);
            assertClose(assert, `${c.id} ${output}`, out.data, st[`${c.id}/${output}`].data, ATOL, RTOL);
          });
        });
      }
    }
  }
});

describe('DPMSolverMultistepScheduler', () => {
  const ts = readReferenceJson('dpmsolver_timesteps.json');
  for (const c of ts.cases) {
    const { timestep_spacing: spacing, use_karras_sigmas: karras, final_sigmas_type: last } = c.config;
    test(`timesteps and sigmas: ${c.config.beta_schedule} ${spacing} karras=${karras} final=${last} ` +
         `n=${c.num_inference_steps}`, () => {
      withScheduler(DPMSolverMultistepScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        assert.deepEqual(Array.from(s.timesteps), c.timesteps);
        if (c.sigmas) assertClose(assert, 'sigmas', s.sigmas, Float32Array.from(c.sigmas), ATOL, RTOL);
      });
    });
  }

  const ref = readReferenceJson('dpmsolver.json');
  const st = readSafetensors(referencePath('dpmsolver.safetensors')).tensors;
  // Step i of the stored run: the [n, B, C, H, W] stack's i-th [B, C, H, W] slice.
  const slice = (entry, i) => {
    const shape = entry.shape.slice(1);
    const n = shape.reduce((a, b) => a * b, 1);
    return { data: entry.data.subarray(i * n, (i + 1) * n), shape };
  };
  for (const c of ref.cases) {
    test(`${c.id}: ${c.num_inference_steps} steps, teacher-forced`, () => {
      withScheduler(DPMSolverMultistepScheduler, c.config, (s) => {
        s.setTimesteps(c.num_inference_steps);
        assert.deepEqual(Array.from(s.timesteps), asInts(st[`${c.id}/timesteps`]));
        assertClose(assert, `${c.id} sigmas`, s.sigmas, st[`${c.id}/sigmas`].data, ATOL, RTOL);
        // Each step gets the sample diffusers had before it and the model output diffusers fed, so the
        // comparison is per step; the solver's own history (earlier x0 predictions) still carries over.
        for (const [i, t] of Array.from(s.timesteps).entries()) {
          const sample = i === 0 ? asTensor(st[`${c.id}/x_T`]) : slice(st[`${c.id}/samples`], i - 1);
          const out = s.step(slice(st[`${c.id}/model_output`], i), t, sample);
          assertClose(assert, `${c.id} step ${i} x0_pred`, out.predOriginalSample.data,
                      slice(st[`${c.id}/x0_pred`], i).data, ATOL, RTOL);
          assertClose(assert, `${c.id} step ${i} prev_sample`, out.prevSample.data,
                      slice(st[`${c.id}/samples`], i).data, ATOL, RTOL);
        }
      });
    });
  }
});
