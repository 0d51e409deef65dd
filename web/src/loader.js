// Loads one of the two wasm builds and keeps it for the rest of the program.
//   simd          wasm SIMD128, single thread: Node's default, and browsers without cross-origin isolation.
//   simd-threads  wasm SIMD128 + pthreads: browsers where crossOriginIsolated and SharedArrayBuffer exist
//                 (the page is served with COOP/COEP headers). In Node only on request: a pthread module
//                 keeps the process alive until process.exit().

const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';
const BUILDS = ['simd', 'simd-threads'];
// Literal import() paths so that bundlers can see and copy both builds.
const IMPORTERS = {
  'simd': () => import('../../dist/simd/ddpm.mjs'),
  'simd-threads': () => import('../../dist/simd-threads/ddpm.mjs'),
};

let loading = null;
let loadingBuild = null;
let native = null;

/**
 * Which build was loaded and why; null until ready() resolves.
 * @type {null | {build: string, why: string, threads: number, simd: string, version: string, node: boolean}}
 */
export let info = null;

function chooseBuild(requested) {
  if (requested !== undefined && requested !== 'auto') {
    if (!BUILDS.includes(requested)) {
      throw new Error(`build '${requested}' must be one of auto, ${BUILDS.join(', ')}`);
    }
    return { build: requested, why: 'requested' };
  }
  if (IS_NODE) return { build: 'simd', why: 'Node: single-thread by default (pass { build: "simd-threads" } for threads)' };
  const isolated = globalThis.crossOriginIsolated === true;
  const sab = typeof SharedArrayBuffer === 'function';
  if (isolated && sab) return { build: 'simd-threads', why: 'crossOriginIsolated and SharedArrayBuffer available' };
  return {
    build: 'simd',
    why: isolated ? 'no SharedArrayBuffer' : 'not crossOriginIsolated (serve with COOP/COEP headers for threads)',
  };
}

/**
 * The folder (a URL ending in '/') a build is loaded from when `wasmPaths` overrides the default (the package's
 * dist/<build>/, beside this file), else null. `wasmPaths` is the folder holding the builds' folders (a copy of
 * the package's dist/: <wasmPaths>simd/ddpm.mjs, <wasmPaths>simd-threads/ddpm.mjs) or a map from build name to
 * that build's own folder. URLs resolve against the page; in Node a directory path or a file: URL.
 */
export async function buildFolder(build, wasmPaths) {
  if (wasmPaths === undefined || wasmPaths === null) return null;
  let folder;
  if (typeof wasmPaths === 'string' || wasmPaths instanceof URL) {
    folder = `${String(wasmPaths).replace(/\/?$/, '/')}${build}/`;
  } else if (typeof wasmPaths === 'object') {
    if (wasmPaths[build] === undefined) return null;
    folder = String(wasmPaths[build]).replace(/\/?$/, '/');
  } else {
    throw new TypeError("wasmPaths must be a URL (the folder holding simd/ and simd-threads/) or { 'simd'?: url, 'simd-threads'?: url }");
  }
  if (IS_NODE && !/^[a-z][a-z0-9+.-]+:/i.test(folder)) {
    const { pathToFileURL } = await import('node:url');
    return pathToFileURL(folder).href.replace(/\/?$/, '/');
  }
  return new URL(folder, globalThis.location?.href).href;
}

async function instantiate(build, wasmPaths) {
  const folder = await buildFolder(build, wasmPaths);
  const { default: createDdpm } = folder ? await import(/* @vite-ignore */ `${folder}ddpm.mjs`) : await IMPORTERS[build]();
  const moduleArg = {};
  if (IS_NODE) {
    // Node 20's global fetch cannot load file:// URLs, so Emscripten's default loader fails there.
    const { readFile } = await import('node:fs/promises');
    moduleArg.wasmBinary = await readFile(new URL(folder ? `${folder}ddpm.wasm` : `../../dist/${build}/ddpm.wasm`, import.meta.url));
  }
  // In a browser ddpm.mjs finds ddpm.wasm and ddpm.worker.js beside itself (import.meta.url).
  return createDdpm(moduleArg);
}

/**
 * Loads the wasm build (once; later calls return the same promise).
 * @param {{build?: 'auto'|'simd'|'simd-threads', wasmPaths?: string | URL | Record<string, string>}} [options]
 *   wasmPaths: where the builds are, if not in the package's dist/ (see buildFolder).
 */
export function ready(options = {}) {
  if (loading) {
    // One module per program: a later call may not ask for a different build than the one loading.
    const wanted = options.build ?? 'auto';
    const current = info?.build ?? loadingBuild;
    if (wanted !== 'auto' && wanted !== current) {
      return Promise.reject(new Error(`ddpm-wasm is already loaded with build '${current}'; cannot switch to '${wanted}'`));
    }
    return loading;
  }
  let choice;
  try {
    choice = chooseBuild(options.build);
  } catch (e) {
    return Promise.reject(e);
  }
  loadingBuild = choice.build;
  loading = (async () => {
    let mod;
    try {
      mod = await instantiate(choice.build, options.wasmPaths);
    } catch (e) {
      // An automatic choice of threads falls back to the single-thread build rather than fail.
      if (choice.build === 'simd' || choice.why === 'requested') throw e;
      choice.why += `; simd-threads failed to load (${e.message}), using simd`;
      choice.build = 'simd';
      mod = await instantiate('simd', options.wasmPaths);
    }
    const b = mod.buildInfo();
    native = mod;
    info = Object.freeze({ build: choice.build, why: choice.why, threads: b.threads ? b.hardwareThreads : 1,
                           simd: b.simd, version: b.version, node: IS_NODE });
    return info;
  })();
  loading.catch(() => { loading = null; });  // a failed load may be retried
  return loading;
}

/** The loaded Embind module; throws if ready() has not resolved. */
export function getNative() {
  if (!native) throw new Error('ddpm-wasm is not loaded: await ready() first');
  return native;
}

/** The package version (the wasm module's); needs ready(). */
export function version() {
  return getNative().version();
}

/** wasm memory: the heap's size and the bytes malloc has handed out (to check that dispose() frees). */
export function memoryUsage() {
  const m = getNative();
  return { heapBytes: m.HEAP8.buffer.byteLength, mallocBytes: m.mallocInUse() };
}

/**
 * Measures the single-thread f32 peak of the loaded build's SIMD (wasm simd128: a register-only loop of
 * independent mul+add chains, the best short window over about `seconds`; `ddpm bench` reports the same),
 * the yardstick for "% of peak". Blocks for about 1.25 x `seconds`; needs ready().
 * @returns {{target: string, gflops: number}} target: Highway's name ('WASM'), gflops: GFLOP/s of one thread
 */
export function measurePeakGflops(seconds = 1) {
  if (!(Number.isFinite(seconds) && seconds > 0)) throw new TypeError('measurePeakGflops: seconds must be a positive number');
  return getNative().measurePeakGflops(seconds);
}
