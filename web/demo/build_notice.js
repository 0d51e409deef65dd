// A visible notice when the page could have threads but runs single-threaded: it is cross-origin isolated, yet
// the threaded build (dist/simd-threads/) failed to load, so the loader fell back to dist/simd/ (its `why` says so).

/** The notice for a loader's or Generator's `why`, or '' when there is nothing to say. */
export function threadsNotice(why) {
  const m = /simd-threads failed to load \((.*)\)/.exec(why ?? '');
  if (!m) return '';
  return `Running on one thread: this page is cross-origin isolated, but the threaded build (dist/simd-threads/) ` +
         `failed to load (${m[1]}), so the single-thread build (dist/simd/) runs instead and sampling is slower. ` +
         'Check that dist/simd-threads/ (ddpm.mjs, ddpm.wasm, ddpm.worker.js) is deployed beside dist/simd/.';
}

/** Shows `text` in `element` (hidden when empty). */
export function showNotice(element, text) {
  element.textContent = text;
  element.hidden = !text;
}
