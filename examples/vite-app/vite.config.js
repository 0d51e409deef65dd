// What a Vite app needs for ddpm-wasm:
// * worker.format 'es': Generator's Worker (and the wasm glue it imports) is an ES module with top-level
//   await, which Vite's default worker format ('iife') cannot hold.
// * COOP/COEP headers on Vite's own servers (`npm run dev`, `npm run preview`): they make the page
//   cross-origin isolated, so that Generator gets the threaded build. Your production host must send the
//   same two headers; without them everything works, on one thread.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default {
  worker: { format: 'es' },
  server: { headers: isolation },
  preview: { headers: isolation },
};
