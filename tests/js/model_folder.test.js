// A model folder path in Node that is not a directory (missing, a file, under a file) is refused as the CLI
// refuses it, "<path>: not a directory", by every loader that reads a folder (they share model_files.js), before
// any file is read and before the wasm is needed: no ready() here, so this runs without dist/.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';

import { readModelFiles } from '../../web/src/model_files.js';
import { ToyMLPDenoiser, UNet2DModel } from '../../web/src/index.js';
import { ROOT } from './helpers.js';

const work = mkdtempSync(join(tmpdir(), 'ddpm-model-folder-'));
after(() => rmSync(work, { recursive: true, force: true }));
const file = join(work, 'config.json');
writeFileSync(file, '{}');
// Exactly this message, as an Error (not a wrapped or prefixed one).
const notADirectory = (path) => (e) => e instanceof Error && e.message === `${path}: not a directory`;

const cases = {
  'a path that does not exist': join(work, 'no-such-model'),
  'a file': file,
  'a path under a file': join(file, 'unet'),
};

for (const [what, path] of Object.entries(cases)) {
  test(`${what}: "<path>: not a directory" from readModelFiles and every fromPretrained`, async () => {
    await assert.rejects(readModelFiles(path), notADirectory(path));
    await assert.rejects(UNet2DModel.fromPretrained(path), notADirectory(path));
    await assert.rejects(ToyMLPDenoiser.fromPretrained(path), notADirectory(path));
  });
}

test('a file: URL is the same directory path', async () => {
  const missing = join(work, 'missing');
  await assert.rejects(readModelFiles(pathToFileURL(missing)), notADirectory(missing));
});

test('a directory without a model still says what is missing in it', async () => {
  await assert.rejects(readModelFiles(join(ROOT, 'web')), (e) => e.message === `${join(ROOT, 'web')}: no config.json (not a diffusers UNet folder)`);
});

test('a model folder reads as before', async () => {
  const files = await readModelFiles(join(ROOT, 'models', 'toy2d'));
  assert.equal(files.isPipeline, true);
  assert.equal(JSON.parse(files.config)._class_name, 'ToyMLPDenoiser');
  assert.ok(files.weights.length > 0);
});
