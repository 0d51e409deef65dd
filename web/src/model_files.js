// Reads a diffusers model for UNet2DModel.fromPretrained: a UNet folder (config.json +
// diffusion_pytorch_model.safetensors) or a pipeline folder (model_index.json, unet/, scheduler/),
// from a directory (Node) or a URL (http(s): anywhere, file: in Node). Mirrors the C++ folder rules
// (src/io/diffusers_folder.cc): the .fp16 weights variant is accepted, a .bin-only folder is refused.

const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';
const WEIGHTS = ['diffusion_pytorch_model.safetensors', 'diffusion_pytorch_model.fp16.safetensors'];
// A pipeline's recommended sampling settings beside model_index.json (src/diffusion/sampling_defaults.h).
const SAMPLING_DEFAULTS = 'sampling_defaults.json';

function isUrl(s) {
  return s instanceof URL || /^[a-z][a-z0-9+.-]*:/i.test(s) && !/^[a-z]:[\\/]/i.test(s);  // not a Windows drive
}

// read(name) -> Uint8Array, or null when the file does not exist; other failures throw.
// exists(name) -> boolean, without reading the file.
// A path that is not a directory (missing, or a file) is refused first with the CLI's words
// (src/io/diffusers_folder.cc), "<path>: not a directory", rather than as a folder without config.json.
async function nodeDirReader(dir) {
  const { readFile, stat } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const st = await stat(dir).catch((e) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return null;
    throw new Error(`${dir}: ${e.message}`);
  });
  if (!st?.isDirectory()) throw new Error(`${dir}: not a directory`);
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
 * @returns {Promise<{config: string, weights: Uint8Array, schedulerConfig: string | null,
 *                    samplingDefaults: string | null, isPipeline: boolean}>}
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
  const defaults = index ? await r.read(SAMPLING_DEFAULTS) : null;
  return { config: text(config), weights, schedulerConfig: scheduler ? text(scheduler) : null,
           samplingDefaults: defaults ? text(defaults) : null, isPipeline: !!index };
}

// ---- models in memory: Generator.create({ model }) with bytes, a files map, or a dropped folder ----

/** Bytes of a file's contents: a string (UTF-8), Uint8Array, other ArrayBuffer view, ArrayBuffer or Blob/File. */
async function contentBytes(content, name) {
  if (typeof content === 'string') return new TextEncoder().encode(content);
  if (content instanceof Uint8Array) return content;
  if (ArrayBuffer.isView(content)) return new Uint8Array(content.buffer, content.byteOffset, content.byteLength);
  if (content instanceof ArrayBuffer) return new Uint8Array(content);
  if (typeof Blob === 'function' && content instanceof Blob) return new Uint8Array(await content.arrayBuffer());
  throw new TypeError(`${name}: expected a string, bytes or a Blob/File`);
}

const isBlob = (x) => typeof Blob === 'function' && x instanceof Blob;

/** The relative path of a File: from a folder picker (webkitRelativePath), else its name. */
const filePath = (f) => f.webkitRelativePath || f.name;

/**
 * path -> contents from a FileList or array of Files (paths from webkitRelativePath, as <input webkitdirectory>
 * gives them), or from a Map or plain object that already is one (e.g. Trainer.exportPipeline()'s result).
 * Paths use '/', without a leading one.
 */
export function fileMap(files) {
  const out = new Map();
  const add = (path, content) => out.set(String(path).replace(/\\/g, '/').replace(/^\/+/, ''), content);
  if (files instanceof Map) {
    for (const [path, content] of files) add(path, content);
  } else if (typeof files?.[Symbol.iterator] === 'function' || (typeof FileList === 'function' && files instanceof FileList)) {
    for (const f of Array.from(files)) {
      if (!isBlob(f)) throw new TypeError('model files: expected File objects (a FileList or File[])');
      add(filePath(f), f);
    }
  } else {
    for (const [path, content] of Object.entries(files)) add(path, content);
  }
  return out;
}

const dirOf = (path) => path.slice(0, path.lastIndexOf('/') + 1);

/**
 * A diffusers folder given as files in memory (see fileMap), located by relative path as readModelFiles
 * locates it on disk: a pipeline (the shallowest model_index.json, with unet/ and scheduler/ beside it) or a
 * UNet folder (a config.json with diffusion_pytorch_model.safetensors beside it).
 * @returns {Promise<{config: string, weights: Uint8Array, schedulerConfig: string | null,
 *                    samplingDefaults: string | null, isPipeline: boolean}>}
 */
export async function readModelFileMap(files) {
  const map = fileMap(files);
  const paths = [...map.keys()];
  const depth = (p) => p.split('/').length;
  const shallowest = (list) => list.sort((a, b) => depth(a) - depth(b) || a.localeCompare(b))[0];
  const index = shallowest(paths.filter((p) => p === 'model_index.json' || p.endsWith('/model_index.json')));
  let prefix;
  let where;
  if (index !== undefined) {
    prefix = `${dirOf(index)}unet/`;
    where = `model files (pipeline ${dirOf(index) || './'}) unet/`;
  } else {
    const configs = paths.filter((p) => (p === 'config.json' || p.endsWith('/config.json')) &&
                                        WEIGHTS.some((w) => map.has(dirOf(p) + w)));
    if (!configs.length) {
      const shown = paths.slice(0, 5).join(', ') + (paths.length > 5 ? ', …' : '');
      throw new Error(`model files: no model_index.json, and no config.json with diffusion_pytorch_model.safetensors ` +
                      `beside it, among ${paths.length} file(s)${paths.length ? ` (${shown})` : ''}`);
    }
    prefix = dirOf(shallowest(configs));
    where = `model files ${prefix || './'}`;
  }
  if (!map.has(`${prefix}config.json`)) throw new Error(`${where}: no config.json (not a diffusers UNet folder)`);
  const weightsName = WEIGHTS.find((w) => map.has(prefix + w));
  if (!weightsName) {
    if (map.has(`${prefix}diffusion_pytorch_model.bin`)) {
      throw new Error(`${where}: only diffusion_pytorch_model.bin (pickle) found; convert it to safetensors`);
    }
    throw new Error(`${where}: no diffusion_pytorch_model.safetensors`);
  }
  const read = async (name) => contentBytes(map.get(name), name);
  const schedulerName = index === undefined ? null : `${dirOf(index)}scheduler/scheduler_config.json`;
  const defaultsName = index === undefined ? null : dirOf(index) + SAMPLING_DEFAULTS;
  return {
    config: text(await read(`${prefix}config.json`)),
    weights: await read(prefix + weightsName),
    schedulerConfig: schedulerName && map.has(schedulerName) ? text(await read(schedulerName)) : null,
    samplingDefaults: defaultsName && map.has(defaultsName) ? text(await read(defaultsName)) : null,
    isPipeline: index !== undefined,
  };
}

const jsonText = (v) => (v === null || typeof v === 'string' ? v : JSON.stringify(v));

/**
 * { config, weights, schedulerConfig?, samplingDefaults? } given directly: config (and the optional JSON
 * files) as objects or JSON text, weights as bytes.
 */
export async function readModelBytes(model) {
  const config = jsonText(model.config);
  if (typeof config !== 'string') throw new TypeError('model.config must be a config.json object or JSON text');
  return { config, weights: await contentBytes(model.weights, 'model.weights'),
           schedulerConfig: jsonText(model.schedulerConfig ?? null),
           samplingDefaults: jsonText(model.samplingDefaults ?? null), isPipeline: false };
}
