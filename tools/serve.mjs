#!/usr/bin/env node
// `npm start`: serves the demo page (web/demo/), the package it loads (web/src, dist/) and the shipped
// models (models/) on http://127.0.0.1:8080 with the COOP/COEP headers that make the page cross-origin
// isolated, so the threaded wasm build (SharedArrayBuffer) can run. Options: --port N, --host H,
// --no-isolation (no COOP/COEP: the page then gets the single-thread build, as on a plain static host), --cors
// (serve the package to pages of other origins, as a CDN does) and --help; anything else is refused (exit 2).
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `Usage: node tools/serve.mjs [options]
Serves the demo (web/demo/), the package (web/, dist/) and the models (models/) on http://HOST:PORT/.

Options:
  --port N         the port (default: $PORT, else 8080; 0 = any free port, printed at start)
  --host H         the address to listen on (default 127.0.0.1)
  --no-isolation   no COOP/COEP headers: the page is not cross-origin isolated and gets the single-thread build
  --cors           let pages of other origins use the files, as from a CDN (CORS, Cross-Origin-Resource-Policy)
  -h, --help       print this help and exit
`;

// Every option is known and every value given, or nothing is served: a mistyped flag must not start a
// server that quietly ignores it.
function usageError(message) {
  process.stderr.write(`serve: error: ${message}\n${USAGE}`);
  process.exit(2);
}
let opts;
try {
  opts = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    allowPositionals: false,
    options: {
      'port': { type: 'string' },
      'host': { type: 'string' },
      'no-isolation': { type: 'boolean' },
      'cors': { type: 'boolean' },
      'help': { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (e) {
  usageError(e.message.split('\n').join(' '));
}
if (opts.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const portText = opts.port ?? process.env.PORT ?? '8080';
if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
  usageError(`${opts.port !== undefined ? '--port' : 'PORT'} must be a port number 0..65535, got '${portText}'`);
}
const port = Number(portText);
const host = opts.host ?? '127.0.0.1';
if (host === '') usageError('--host must not be empty');
const isolate = !opts['no-isolation'];
// --cors: the files may be used from pages of other origins (as from a CDN): CORS, and CORP cross-origin so that a
// cross-origin isolated page may load them.
const cors = !!opts.cors;

// Only these folders are served; everything else (sources, build/) is 404.
const PUBLIC = ['web', 'dist', 'models'];
const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png',
  '.svg': 'image/svg+xml', '.ts': 'text/plain; charset=utf-8', '.safetensors': 'application/octet-stream',
  '.md': 'text/markdown; charset=utf-8', '.csv': 'text/csv; charset=utf-8',
};
const ISOLATION = {
  ...(isolate ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
  ...(cors ? { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' }
    : isolate ? { 'Cross-Origin-Resource-Policy': 'same-origin' } : {}),
};

function resolvePath(urlPath) {
  const rel = normalize(decodeURIComponent(urlPath)).replace(/^([/\\])+/, '');
  if (!PUBLIC.some((p) => rel === p || rel.startsWith(p + sep))) return null;
  const file = join(ROOT, rel);
  return file.startsWith(ROOT + sep) ? file : null;
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/') {
    res.writeHead(302, { Location: `/web/demo/${url.search}`, ...ISOLATION });
    return res.end();
  }
  let file = resolvePath(url.pathname);
  let st = null;
  try {
    st = file && statSync(file);
    if (st?.isDirectory()) {
      file = join(file, 'index.html');
      st = statSync(file);
    }
  } catch {
    st = null;
  }
  if (!st || !st.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain', ...ISOLATION });
    return res.end('not found\n');
  }
  res.writeHead(200, {
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Content-Length': st.size,
    'Cache-Control': 'no-cache',
    ...ISOLATION,
  });
  if (req.method === 'HEAD') return res.end();
  createReadStream(file).pipe(res);
});

server.on('error', (e) => {
  console.error(`serve: cannot listen on ${host}:${port}: ${e.message}`);
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`ddpm-wasm demo: http://${host}:${server.address().port}/  (Ctrl-C to stop)`);
});
