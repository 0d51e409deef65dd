// A static file server for the download tests (download.test.js in Node, browser_download.test.js in Chromium): it
// serves the repository's web/, dist/ and models/ as tools/serve.mjs does (with COOP/COEP when `isolate`), logs every
// request, and misbehaves on demand for chosen paths:
//
//   const server = await startModelServer();     // server.url = 'http://127.0.0.1:PORT/'
//   server.requests                              // [{ method, path, status }], in arrival order
//   server.count('/v/a/models/fashion-mnist/unet/diffusion_pytorch_model.safetensors')  // GETs of a path
//   server.truncate.add(path)                    // Content-Length of the whole file, half of it sent, then the socket closed
//   server.chunked.add(path)                     // no Content-Length (chunked)
//   server.slow.set(path, ms)                    // the body in 8 pieces, `ms` apart
//   server.replace.set(path, bytes)              // these bytes (200) instead of the file's, as a server that answers
//                                                // every path with its index.html does
//   await server.close();
//
// A path may start with /v/NAME/: the same files under another URL, so that each test has URLs of its own (the Cache
// API keys by URL). `/` is an empty page (a document on the server's origin for page.evaluate); a folder serves its
// index.html (/web/demo/ is the demo).
import { readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

import { ROOT } from './helpers.js';

const PUBLIC = ['web', 'dist', 'models'];
const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.safetensors': 'application/octet-stream', '.bin': 'application/octet-stream',
};

/** The file a request path names (after any /v/NAME/ prefix), or null. */
export function fileFor(path) {
  const rel = normalize(decodeURIComponent(path.replace(/^\/v\/[^/]+\//, '/'))).replace(/^([/\\])+/, '');
  if (!PUBLIC.some((p) => rel.startsWith(p + sep))) return null;
  const file = join(ROOT, rel);
  try {
    if (statSync(file).isFile()) return file;
    return statSync(join(file, 'index.html')).isFile() ? join(file, 'index.html') : null;  // a folder: its index.html
  } catch {
    return null;
  }
}

export async function startModelServer({ isolate = true } = {}) {
  const headers = isolate ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp',
                              'Cross-Origin-Resource-Policy': 'same-origin' } : {};
  const requests = [];
  const truncate = new Set();
  const chunked = new Set();
  const slow = new Map();
  const replace = new Map();
  const sockets = new Set();
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const entry = { method: req.method, path, status: 200 };
    requests.push(entry);
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...headers });
      res.end('<!doctype html><link rel="icon" href="data:,"><title>download tests</title><p>download tests</p>\n');
      return;
    }
    const file = fileFor(path);
    if (!file && !replace.has(path)) {
      entry.status = 404;
      res.writeHead(404, { 'Content-Type': 'text/plain', ...headers });
      res.end('not found\n');
      return;
    }
    const body = replace.has(path) ? Buffer.from(replace.get(path)) : readFileSync(file);
    const type = replace.has(path) ? 'text/html; charset=utf-8' : MIME[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-cache', ...headers,
                         ...(chunked.has(path) ? {} : { 'Content-Length': body.length }) });
    if (req.method === 'HEAD') {
      res.end();
    } else if (truncate.has(path)) {
      res.write(body.subarray(0, body.length >> 1), () => setTimeout(() => res.destroy(), 50));
    } else if (slow.has(path)) {
      const pieces = 8;
      const size = Math.ceil(body.length / pieces);
      let k = 0;
      const next = () => {
        if (res.destroyed) return;
        const part = body.subarray(k * size, (k + 1) * size);
        k += 1;
        if (k >= pieces) res.end(part);
        else res.write(part, () => setTimeout(next, slow.get(path)));
      };
      next();
    } else {
      res.end(body);
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    requests,
    truncate,
    chunked,
    slow,
    replace,
    /** GET requests of `path` so far. */
    count: (path) => requests.filter((r) => r.method === 'GET' && r.path === path).length,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(resolve);
    }),
  };
}
