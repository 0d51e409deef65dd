// Reads a diffusers model for UNet2DModel.fromPretrained: a UNet folder (config.json +
// diffusion_pytorch_model.safetensors) or a pipeline folder (model_index.json, unet/, scheduler/),
// from a directory (Node) or a URL (http(s): anywhere, file: in Node). Mirrors the C++ folder rules
// (src/io/diffusers_folder.cc): the .fp16 weights variant is accepted, a .bin-only folder is refused.

const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';
const WEIGHTS = ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.fp16.safetensors'];

function isUrl(s) {
  return s instanceof URL || /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);  // not a Windows drive
}

// read(name) -> Uint8Array, or null when the file does not exist; other failures throw.
// exists(name) -> boolean, without reading the file.
async function nodeDirReader(dir) {
  const { readFile, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  return {
    where: dir,
    async exists(name) {
      return stat(join(dir, name)).then((s) => s.isFile(), () => false);
    },
    async read(name) {
      try {
        return new Uint8Array(await readFile(join(dir, name)));
      } catch (e) {
        if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
        throw new Error(`${join(dir, name)}: ${e.message}`);
      }
    },
  };
}

function urlReader(base) {
  const root = base.endsWith('/') ? base : `${base}/`;
  return {
    where: base,
    async exists(name) {
      return fetch(new URL(name, root).href, { method: 'HEAD' }).then((r) => r.ok, () => false);
    },
    async read(name) {
      const url = new URL(name, root).href;
      let r;
      try {
        r = await fetch(url);
      } catch (e) {
        throw new Error(`${url}: ${e.message}`);
      }
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${r.statusText}`);
      return new Uint8Array(await r.arrayBuffer());
    },
  };
}

async function readerFor(dirOrUrl) {
  if (typeof dirOrUrl !== 'string' && !(dirOrUrl instanceof URL)) {
    throw new TypeError('fromPretrained: expected a directory path or a URL');
  }
  if (!isUrl(dirOrUrl)) {
    if (!IS_NODE) return urlReader(new URL(dirOrUrl, globalThis.location?.href).href);  // relative URL in a page
    return nodeDirReader(dirOrUrl);
  }
  const url = new URL(dirOrUrl);
  if (url.protocol === 'file:' && IS_NODE) {  // Node 20's fetch cannot read file: URLs
    const { fileURLToPath } = await import('node:url');
    return nodeDirReader(fileURLToPath(url));
  }
  return urlReader(url.href);
}

const text = (bytes) => new TextDecoder().decode(bytes);

/**
 * @returns {Promise<{config: string, weights: Uint8Array, schedulerConfig: string | null, isPipeline: boolean}>}
 */
export async function readModelFiles(dirOrUrl) {
  const r = await readerFor(dirOrUrl);
  const index = await r.read('model_index.json');
  const prefix = index ? 'unet/' : '';
  const where = `${r.where}${index ? ' (pipeline) unet/' : ''}`;
  const config = await r.read(`${prefix}config.json`);
  if (!config) throw new Error(`${where}: no config.json (not a diffusers UNet folder)`);
  let weights = null;
  for (const name of WEIGHTS) {
    weights = await r.read(prefix + name);
    if (weights) break;
  }
  if (!weights) {
    if (await r.exists(`${prefix}diffusion_pytorch_model.bin`)) {
      throw new Error(`${where}: only diffusion_pytorch_model.bin (pickle) found; convert it to safetensors`);
    }
    throw new Error(`${where}: no diffusion_pytorch_model.safetensors`);
  }
  const scheduler = index ? await r.read('scheduler/scheduler_config.json') : null;
  return { config: text(config), weights, schedulerConfig: scheduler ? text(scheduler) : null, isPipeline: !!index };
}
