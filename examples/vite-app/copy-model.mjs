// Puts a diffusers pipeline folder (model_index.json, unet/, scheduler/) into public/models/, which Vite
// serves as is in dev and copies into dist/ on build; the page loads it by URL. Here it is the model the
// package ships (node_modules/ddpm-wasm/models/fashion-mnist, or the repository's ../../models/fashion-mnist
// before an install); pass another folder as the argument or in $DDPM_MODEL. Or skip this step and give
// Generator.create the URL of a model hosted elsewhere (that host must allow CORS, and send
// Cross-Origin-Resource-Policy: cross-origin when the page is cross-origin isolated).
import { cpSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const shipped = ['./node_modules/ddpm-wasm/models/fashion-mnist/', '../../models/fashion-mnist/']
  .map((p) => fileURLToPath(new URL(p, import.meta.url))).find((p) => existsSync(`${p}/model_index.json`));
const from = process.argv[2] ?? process.env.DDPM_MODEL ?? shipped;
const to = fileURLToPath(new URL('./public/models/fashion-mnist/', import.meta.url));
for (const f of ['model_index.json', 'scheduler/scheduler_config.json', 'unet/config.json',
                 'unet/diffusion_pytorch_model.safetensors']) {
  cpSync(`${from}/${f}`, `${to}/${f}`);
}
console.log(`copy-model: ${from} -> public/models/fashion-mnist/`);
