// UNet2DModel through the public JS API, against diffusers' forward passes (../shared/reference/unet_*).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, test } from 'node:test';

import { memoryUsage, ready, Tensor, UNet2DModel } from '../../web/src/index.js';
import { asInts, asTensor, assertClose, readReferenceJson, readSafetensors, referencePath, ROOT } from './helpers.js';

// reference/README.md, UNet: "Suggested check for a C++ float32 port: |a-b| <= 1e-4 + 1e-4·|b|".
const ATOL = 1e-4;
const RTOL = 1e-4;

before(async () => {
  await ready();
});

function withModel(model, fn) {
  try {
    return fn(model);
  } finally {
    model.dispose();
  }
}

describe('forward matches diffusers', () => {
  for (const name of ['unet_tiny', 'unet_cond', 'unet_cifarstyle']) {
    test(`${name}: output.sample`, async (t) => {
      const io = readSafetensors(referencePath(`${name}/io.safetensors`)).tensors;
      const json = readReferenceJson(`${name}/io.json`);
      withModel(await UNet2DModel.fromPretrained(referencePath(name)), (unet) => {
        assert.equal(unet.info.numParameters, json.num_parameters);
        const labels = io['input.class_labels'] ? asInts(io['input.class_labels']) : undefined;
        const out = unet.forward(asTensor(io['input.sample']), asInts(io['input.timestep']), labels);
        assert.ok(out instanceof Tensor);
        assert.deepEqual(out.shape, io['output.sample'].shape);
        const c = assertClose(assert, `${name} output.sample`, out.data, io['output.sample'].data, ATOL, RTOL);
        t.diagnostic(`${name}: max |a-b| ${c.maxAbs.toExponential(2)}`);
        if (io['extra0.input.sample']) {  // the timestep as a plain number (diffusers: a Python int)
          const extra = unet.forward(asTensor(io['extra0.input.sample']), asInts(io['extra0.input.timestep'])[0]);
          assertClose(assert, `${name} extra0.output.sample`, extra.data, io['extra0.output.sample'].data, ATOL, RTOL);
        }
      });
    });
  }
});

test('fromFiles takes config text or an object and the safetensors bytes; fromPretrained takes file: URLs', async () => {
  const dir = referencePath('unet_cond');
  const config = readFileSync(join(dir, 'config.json'), 'utf8');
  const weights = readFileSync(join(dir, 'diffusion_pytorch_model.safetensors'));  // a Buffer: a Uint8Array
  const io = readSafetensors(referencePath('unet_cond/io.safetensors')).tensors;
  const x = asTensor(io['input.sample']);
  const a = withModel(UNet2DModel.fromFiles(config, weights), (u) => u.forward(x, [10, 700], [3, 7]));
  const b = withModel(UNet2DModel.fromFiles(JSON.parse(config), weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length)),
                      (u) => u.forward(x, [10, 700], [3, 7]));
  const c = withModel(await UNet2DModel.fromPretrained(pathToFileURL(dir)), (u) => u.forward(x, [10, 700], [3, 7]));
  assert.deepEqual(a.data, b.data);
  assert.deepEqual(a.data, c.data);
});

test('config and info describe the model; a pipeline folder gives its UNet and scheduler config', async () => {
  withModel(await UNet2DModel.fromPretrained(referencePath('unet_cond')), (u) => {
    assert.deepEqual(u.info, { sampleSize: [32, 32], inChannels: 1, outChannels: 1, numClassEmbeds: 10, nullClassIndex: null,
                               numParameters: 1624449, flopsPerImage: u.info.flopsPerImage });
    assert.ok(u.info.flopsPerImage > 2 * 1624449, 'a conv net does more than one multiply-add per weight per image');
    assert.equal(u.config.num_class_embeds, 10);
    assert.deepEqual(u.config.block_out_channels, [32, 64, 64]);
    assert.equal(u.config.norm_eps, 1e-5);
    assert.equal(u.schedulerConfig, null);
  });
  withModel(await UNet2DModel.fromPretrained(join(ROOT, 'models/fashion-mnist')), (u) => {
    assert.equal(u.info.nullClassIndex, 10);
    assert.equal(u.config.null_class_index, 10);
    assert.equal(u.schedulerConfig._class_name, 'DDPMScheduler');
  });
});

test('fromPretrained over http: a pipeline folder, a UNet folder, and clear errors for missing files', async () => {
  // A static file server over the repository and ../shared (what a page would fetch from), and two made-up
  // folders: /noweights/ holds only config.json, /pickle/ config.json and a .bin checkpoint.
  const roots = { '/repo/': ROOT, '/shared/': join(referencePath('.'), '..') };
  const made = { '/noweights/config.json': '{}', '/pickle/config.json': '{}', '/pickle/diffusion_pytorch_model.bin': 'x' };
  const server = createServer(async (req, res) => {
    const prefix = Object.keys(roots).find((p) => req.url.startsWith(p));
    try {
      const body = made[req.url] !== undefined ? Buffer.from(made[req.url])
        : await readFile(join(roots[prefix], decodeURIComponent(req.url.slice(prefix.length))));
      res.writeHead(200, { 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    withModel(await UNet2DModel.fromPretrained(`${base}/repo/models/fashion-mnist`), (u) => {
      assert.equal(u.info.nullClassIndex, 10);
      assert.equal(u.schedulerConfig._class_name, 'DDPMScheduler');
    });
    withModel(await UNet2DModel.fromPretrained(`${base}/shared/reference/unet_tiny/`), (u) => {
      assert.equal(u.info.numParameters, 702499);
    });
    await assert.rejects(UNet2DModel.fromPretrained(`${base}/repo/no/such/model`), /no\/such\/model: no config\.json/);
    await assert.rejects(UNet2DModel.fromPretrained(`${base}/noweights/`), /noweights\/: no diffusion_pytorch_model\.safetensors/);
    await assert.rejects(UNet2DModel.fromPretrained(`${base}/pickle`), /only diffusion_pytorch_model\.bin \(pickle\) found/);
  } finally {
    server.close();
  }
});

test('bad models and bad inputs throw Errors with the core message', async () => {
  const dir = referencePath('unet_tiny');
  const config = readFileSync(join(dir, 'config.json'), 'utf8');
  const weights = readFileSync(join(dir, 'diffusion_pytorch_model.safetensors'));
  await assert.rejects(UNet2DModel.fromPretrained(join(ROOT, 'no/such/model')), /no\/such\/model: not a directory$/);
  assert.throws(() => UNet2DModel.fromFiles(config, weights.subarray(0, weights.length - 100)),
                (e) => e instanceof Error && /diffusion_pytorch_model\.safetensors/.test(e.message));
  assert.throws(() => UNet2DModel.fromFiles({ ...JSON.parse(config), block_out_channels: [32, 128] }, weights),
                /down_blocks\.1\.[a-z_.0-9]+.*shape|shape.*down_blocks\.1/);
  assert.throws(() => UNet2DModel.fromFiles({ ...JSON.parse(config), act_fn: 'gelu' }, weights), /act_fn/);
  assert.throws(() => UNet2DModel.fromFiles(config, [1, 2, 3]), /weights must be a Uint8Array/);
  withModel(UNet2DModel.fromFiles(config, weights), (u) => {
    const x = Tensor.zeros([1, 3, 16, 16]);
    assert.throws(() => u.forward(Tensor.zeros([1, 4, 16, 16]), [1]), /sample has 4 channels, the model expects in_channels = 3/);
    assert.throws(() => u.forward(x, [1, 2, 3]), /3 timesteps/);
    assert.throws(() => u.forward(x, [1], [0]), /class_labels given, but the model has no class embedding/);
    assert.throws(() => u.forward(x, [1.5]), /timesteps\[0\] is not an integer/);
    assert.throws(() => u.forward(x), /timesteps are required/);
  });
  withModel(await UNet2DModel.fromPretrained(referencePath('unet_cond')), (u) => {
    const x = Tensor.zeros([1, 1, 32, 32]);
    assert.throws(() => u.forward(x, [1]), /class_labels are required/);
    assert.throws(() => u.forward(x, [1], [10]), /class label 10 is out of range/);
  });
});

test('dispose() frees the model; later use throws; malloc returns to where it was', async () => {
  const dir = referencePath('unet_tiny');
  const config = readFileSync(join(dir, 'config.json'), 'utf8');
  const weights = readFileSync(join(dir, 'diffusion_pytorch_model.safetensors'));
  const x = Tensor.zeros([2, 3, 16, 16]);
  withModel(UNet2DModel.fromFiles(config, weights), (u) => u.forward(x, [1]));  // warm up allocator pools
  const before = memoryUsage().mallocBytes;
  const u = UNet2DModel.fromFiles(config, weights);
  u.forward(x, [1]);
  assert.ok(memoryUsage().mallocBytes > before + 702499 * 4, 'the model held its weights in wasm memory');
  u.dispose();
  u.dispose();
  assert.equal(memoryUsage().mallocBytes, before);
  assert.throws(() => u.forward(x, [1]), /UNet2DModel was disposed/);
});
