// Prepended outside the Emscripten module (--extern-pre-js): an ES module has no __dirname or require,
// which Emscripten's Node code path uses. In browsers and workers both stay harmless placeholders.
const __ddpmNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const require = __ddpmNode ? (await import('module')).createRequire(import.meta.url) : undefined;
const __dirname = __ddpmNode
  ? (await import('path')).dirname((await import('url')).fileURLToPath(import.meta.url)) : '';
