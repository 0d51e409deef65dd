// Reads a diffusers model for UNet2DModel.fromPretrained: a UNet folder (config.json +
// diffusion_pytorch_model.safetensors) or a pipeline folder (model_index.json, unet/, scheduler/),
// from a directory (Node) or a URL (http(s): anywhere, file: in Node). Mirrors the C++ folder rules
// (src/io/diffusers_folder.cc): the .fp16 weights variant is accepted, a .bin-only folder is refused.
// Files fetched by URL stream in with progress (onDownload) and are kept in the Cache API where there is one
// (browsers on https or localhost), so that a second visit downloads nothing.

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

// ---- models fetched by URL: downloads with progress, kept in the Cache API ----

/**
 * The Cache API cache (browsers, on secure contexts: https or localhost) that keeps the files of models fetched by
 * URL, one entry per file keyed by its full URL, so that loading the same model again reads no byte from the network
 * (as transformers.js keeps its models). `cache: 'name'` picks another one; clearModelCache() empties it.
 */
export const MODEL_CACHE_NAME = 'ddpm-wasm-models';

// Headers of the entries this package stores: the body's length (an entry of another length is not used) and when.
const SIZE_HEADER = 'X-Ddpm-Wasm-Bytes';
const STORED_HEADER = 'X-Ddpm-Wasm-Stored';

/** The cache name that `cache` (true or undefined: the default, false: none, or a name) stands for; null for none. */
export function modelCacheName(cache, what) {
  if (cache === undefined || cache === true) return MODEL_CACHE_NAME;
  if (cache === false) return null;
  if (typeof cache === 'string' && cache !== '') return cache;
  throw new TypeError(`${what}: cache must be true (the default, cache '${MODEL_CACHE_NAME}'), false (no cache) or a cache ` +
                      `name, got ${typeof cache === 'string' ? "''" : String(cache)}`);
}

/** Throws a TypeError when onDownload or cache (see modelCacheName) is not of the right kind. */
export function checkDownloadOptions({ onDownload, cache } = {}, what) {
  if (onDownload !== undefined && onDownload !== null && typeof onDownload !== 'function') {
    throw new TypeError(`${what}: onDownload must be a function`);
  }
  modelCacheName(cache, what);
}

const hasCacheApi = () => typeof globalThis.caches?.open === 'function';

/** The Cache API cache `name`, or null: no Cache API here (Node, a page on plain http), no name, or storage refused. */
async function openCache(name) {
  if (name === null || !hasCacheApi()) return null;
  try {
    return await globalThis.caches.open(name);
  } catch {
    return null;  // e.g. a SecurityError: an opaque origin, or storage blocked by the user
  }
}

/**
 * The bytes kept for `url`, or null. An entry whose length is not the one stored with it is dropped; one this package
 * did not store (a cache name shared with other code) is left alone.
 */
async function cachedBytes(cache, url) {
  let hit;
  try {
    hit = await cache.match(url);
  } catch {
    return null;
  }
  if (!hit?.headers.has(SIZE_HEADER)) return null;
  try {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if (Number(hit.headers.get(SIZE_HEADER)) !== bytes.length) throw new Error('wrong length');
    return bytes;
  } catch {
    await cache.delete(url).catch(() => {});
    return null;
  }
}

let warnedStore = false;

/** Keeps a complete download: a failure to (a full disk, the quota) is a warning, not a failed load. */
async function store(cache, url, bytes, contentType) {
  try {
    await cache.put(url, new Response(bytes, { headers: { 'Content-Type': contentType ?? 'application/octet-stream',
                                                          [SIZE_HEADER]: String(bytes.length),
                                                          [STORED_HEADER]: new Date().toISOString() } }));
  } catch (e) {
    if (!warnedStore) console.warn(`ddpm-wasm: could not keep ${url} in the Cache API (${e?.name}: ${e?.message}); it will be downloaded again next time`);
    warnedStore = true;
  }
}

/**
 * The body of `response` read chunk by chunk, `report(loaded, total)` after each (total: Content-Length, or null when
 * unknown). Throws when the body breaks off or is shorter (or longer) than its Content-Length: an incomplete file is
 * never returned, so never cached.
 */
async function readBody(response, url, report) {
  // A compressed body's Content-Length counts the compressed bytes, not the ones read here.
  const encoding = response.headers.get('content-encoding');
  const length = response.headers.get('content-length');
  const total = (!encoding || encoding === 'identity') && length !== null && /^\d+$/.test(length.trim()) ? Number(length) : null;
  report(0, total);
  let buffer = total === null ? null : new Uint8Array(total);  // filled in place: no second copy of the weights
  const chunks = [];
  let loaded = 0;
  const failed = (why) => new Error(`${url}: incomplete download: ${loaded} of ${total ?? 'unknown'} bytes arrived (${why})`);
  const reader = response.body?.getReader();
  if (!reader) {  // no stream (an unusual fetch polyfill): the whole body at once
    const bytes = new Uint8Array(await response.arrayBuffer().catch((e) => {
      throw failed(e?.message ?? e);
    }));
    loaded = bytes.length;
    if (total !== null && loaded !== total) throw failed('shorter than its Content-Length');
    report(loaded, total);
    return bytes;
  }
  let finished = false;
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw failed(e?.cause?.message ? `${e.message}: ${e.cause.message}` : e?.message ?? e);
      }
      if (chunk.done) {
        finished = true;
        break;
      }
      const { value } = chunk;
      if (buffer && loaded + value.byteLength > buffer.length) throw failed('longer than its Content-Length');
      if (buffer) buffer.set(value, loaded);
      else chunks.push(value);
      loaded += value.byteLength;
      report(loaded, total);
    }
  } finally {
    if (!finished) reader.cancel().catch(() => {});
  }
  if (buffer) {
    if (loaded !== total) throw failed('shorter than its Content-Length');
    return buffer;
  }
  buffer = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    buffer.set(c, at);
    at += c.byteLength;
  }
  return buffer;
}

/**
 * Reads a model folder's files from a URL. With `onDownload`, each file read reports { file, url, loaded, total,
 * fromCache, done } as it arrives; with a cache (the Cache API, where there is one), files are read from it when
 * kept there. Downloaded files are kept only by keep(), which the caller calls once the model built from them
 * loaded: a model that fails to load (an HTML page served as the weights, a file of another model) is not kept.
 */
function urlReader(base, { onDownload, cache } = {}) {
  const root = base.endsWith('/') ? base : `${base}/`;
  let opened = null;
  const cacheFor = () => (opened ??= openCache(modelCacheName(cache, 'fromPretrained')));
  const downloaded = [];  // [url, bytes, content type] of the files to keep
  return {
    where: base,
    async keep() {
      const kept = await cacheFor();
      if (kept) for (const [url, bytes, type] of downloaded.splice(0)) await store(kept, url, bytes, type);
    },
    async exists(name) {
      return fetch(new URL(name, root).href, { method: 'HEAD' }).then((r) => r.ok, () => false);
    },
    async read(name) {
      const url = new URL(name, root).href;
      const report = (loaded, total, fromCache, done) => onDownload?.({ file: name, url, loaded, total, fromCache, done });
      const kept = await cacheFor();
      const hit = kept && await cachedBytes(kept, url);
      if (hit) {
        report(hit.length, hit.length, true, true);
        return hit;
      }
      let r;
      try {
        r = await fetch(url);
      } catch (e) {
        throw new Error(`${url}: ${e.message}`);
      }
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status} ${r.statusText}`);
      const bytes = await readBody(r, url, (loaded, total) => report(loaded, total, false, false));
      if (kept) downloaded.push([url, bytes, r.headers.get('content-type')]);
      report(bytes.length, bytes.length, false, true);
      return bytes;
    },
  };
}

/**
 * Deletes models kept in the Cache API, so that the next load downloads them again: with no argument (or a cache
 * name) the whole cache; with { model: url, cache? } only the files under that model's folder URL. Resolves to true
 * when something was deleted; false where there is nothing to delete or no Cache API (Node, plain http).
 * @param {string | {model?: string | URL, cache?: string}} [which]
 */
export async function clearModelCache(which = MODEL_CACHE_NAME) {
  const { model, cache: name = MODEL_CACHE_NAME } = typeof which === 'string' ? { cache: which } : which ?? {};
  if (typeof name !== 'string' || name === '') throw new TypeError('clearModelCache: expected a cache name or { model, cache }');
  if (!hasCacheApi()) return false;
  if (model === undefined || model === null) return globalThis.caches.delete(name);
  if (!(await globalThis.caches.has(name))) return false;
  const href = new URL(String(model), globalThis.location?.href).href;
  const prefix = href.endsWith('/') ? href : `${href}/`;
  const c = await globalThis.caches.open(name);
  let deleted = false;
  for (const request of await c.keys()) {
    if (request.url.startsWith(prefix)) deleted = (await c.delete(request)) || deleted;
  }
  return deleted;
}

async function readerFor(dirOrUrl, options) {
  if (typeof dirOrUrl !== 'string' && !(dirOrUrl instanceof URL)) {
    throw new TypeError('fromPretrained: expected a directory path or a URL');
  }
  if (!isUrl(dirOrUrl)) {
    if (!IS_NODE) return urlReader(new URL(dirOrUrl, globalThis.location?.href).href, options);  // relative URL in a page
    return nodeDirReader(dirOrUrl);
  }
  const url = new URL(dirOrUrl);
  if (url.protocol === 'file:' && IS_NODE) {  // Node 20's fetch cannot read file: URLs
    const { fileURLToPath } = await import('node:url');
    return nodeDirReader(fileURLToPath(url));
  }
  return urlReader(url.href, options);
}

const text = (bytes) => new TextDecoder().decode(bytes);

/**
 * The model files of a folder (a directory in Node) or URL. Options, for URLs: onDownload({ file, url, loaded, total,
 * fromCache, done }) as each file arrives; cache (true: MODEL_CACHE_NAME, false: none, or a cache name) where the
 * Cache API exists. The files downloaded go into that cache when the caller calls `keep()`, once the model loaded.
 * @returns {Promise<{config: string, weights: Uint8Array, schedulerConfig: string | null,
 *                    samplingDefaults: string | null, isPipeline: boolean, keep: () => Promise<void>}>}
 */
export async function readModelFiles(dirOrUrl, { onDownload, cache } = {}) {
  const r = await readerFor(dirOrUrl, { onDownload: onDownload ?? undefined, cache });
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
           samplingDefaults: defaults ? text(defaults) : null, isPipeline: !!index, keep: async () => r.keep?.() };
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
