// Loads one of the two wasm builds and keeps it for the rest of the program.
//   simd          wasm SIMD128, single thread: Node's default, and browsers without cross-origin isolation.
//   simd-threads  wasm SIMD128 + pthreads: browsers where crossOriginIsolated and SharedArrayBuffer exist
//                 (the page is served with COOP/COEP headers). In Node only on request: a pthread module
//                 keeps the process alive until process.exit().

const IS_NODE = typeof process === 'object' && typeof process.versions?.node === 'string';
const BUILDS = ['simd', 'simd-threads'];
// Literal import() paths and `new URL('...', import.meta.url)`s, so that bundlers (Vite, webpack, Parcel) see
// every file of both builds and copy them as assets; without a bundler they are the package's dist/ files.
const IMPORTERS = {
  'simd': () => import('../../dist/simd/ddpm.mjs'),
  'simd-threads': () => import('../../dist/simd-threads/ddpm.mjs'),
};
// The threaded build's pthreads are classic Workers running ddpm.worker.js, which imports ddpm.mjs again.
// Emscripten 3.1.6 starts them with `new Worker(new URL('ddpm.worker.js', import.meta.url))`, without
// { type: 'module' }: a bundler that sees that pattern bundles the script as a module, which a classic
// Worker cannot run. Naming the files here (locateFile, mainScriptUrlOrBlob) makes the pthreads load the
// files as shipped, copied as plain assets by a bundler.
const FILES = {
  'simd': () => ({ 'ddpm.wasm': new URL('../../dist/simd/ddpm.wasm', import.meta.url).href }),
  'simd-threads': () => ({
    'ddpm.wasm': new URL('../../dist/simd-threads/ddpm.wasm', import.meta.url).href,
    'ddpm.worker.js': new URL('../../dist/simd-threads/ddpm.worker.js', import.meta.url).href,
    'ddpm.mjs': new URL('../../dist/simd-threads/ddpm.mjs', import.meta.url).href,
  }),
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

/**
 * A blob: URL of a classic script that runs ddpm.worker.js (at `url`) in a pthread Worker, whatever a bundler
 * made of that file: as shipped (importScripts), inlined as a data: URL (Vite does below 4 KB; a data: Worker
 * would have an opaque origin, from which ddpm.mjs cannot be imported: a blob: one has the page's), or served
 * as an ES module (Vite's dev server). Messages that come before an ES module has loaded are replayed.
 */
function pthreadBootstrap(url) {
  const u = JSON.stringify(url);
  const boot = `const early = []; self.onmessage = (e) => early.push(e);
try { importScripts(${u}); } catch (e) {
  if (!(e instanceof SyntaxError)) throw e;
  import(${u}).then(() => { for (const m of early.splice(0)) self.onmessage(m); });
}`;
  return URL.createObjectURL(new Blob([boot], { type: 'text/javascript' }));
}

async function instantiate(build, wasmPaths) {
  const folder = await buildFolder(build, wasmPaths);
  const { default: createDdpm } = folder ? await import(/* @vite-ignore */ `${folder}ddpm.mjs`) : await IMPORTERS[build]();
  const moduleArg = {};
  if (IS_NODE) {
    // Node 20's global fetch cannot load file:// URLs, so Emscripten's default loader fails there.
    const { readFile } = await import('node:fs/promises');
    moduleArg.wasmBinary = await readFile(new URL(folder ? `${folder}ddpm.wasm` : FILES[build]()['ddpm.wasm']));
  } else {
    // In a browser: the files as bundled (or the package's dist/ files, where ddpm.mjs would find them too), or
    // those in the wasmPaths folder. The pthreads start from a blob: (same-origin) Worker in both cases: a Worker
    // script on another origin (a CDN) is refused.
    const files = !folder ? FILES[build]() : build === 'simd-threads'
      ? { 'ddpm.worker.js': `${folder}ddpm.worker.js`, 'ddpm.mjs': `${folder}ddpm.mjs` } : {};
    if (files['ddpm.worker.js']) files['ddpm.worker.js'] = pthreadBootstrap(files['ddpm.worker.js']);
    moduleArg.locateFile = (name, scriptDirectory) => files[name] ?? scriptDirectory + name;
    if (files['ddpm.mjs']) moduleArg.mainScriptUrlOrBlob = files['ddpm.mjs'];
  }
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
