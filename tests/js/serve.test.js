// tools/serve.mjs (`npm start`) takes --help, and refuses what it does not know rather than serving anyway.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from './helpers.js';

const SERVE = join(ROOT, 'tools', 'serve.mjs');
// A server that starts by mistake would run until the timeout: the status would then be null, not 0 or 2.
const run = (args, env = {}) => spawnSync(process.execPath, [SERVE, ...args],
                                          { encoding: 'utf8', timeout: 15000, env: { ...process.env, ...env } });

test('--help (and -h) prints the options on stdout and exits 0 without serving', () => {
  for (const flag of ['--help', '-h']) {
    const r = run([flag]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^Usage: node tools\/serve\.mjs \[options\]/);
    for (const option of ['--port N', '--host H', '--no-isolation', '--cors', '-h, --help']) {
      assert.match(r.stdout, new RegExp(`^ {2}${option.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
    }
    assert.doesNotMatch(r.stdout, /ddpm-wasm demo: http/);  // the line a started server prints
    assert.equal(r.stderr, '');
  }
});

const refused = {
  'an unknown flag': [['--bogus'], /Unknown option '--bogus'/],
  'a misspelt flag': [['--no-isolate'], /Unknown option '--no-isolate'/],
  'a flag missing its value at the end': [['--port'], /--port/],
  'a flag missing its value before another flag': [['--port', '--cors'], /--port/],
  '--host missing its value': [['--host'], /--host/],
  'a port that is not a number': [['--port', 'eighty'], /--port must be a port number 0\.\.65535, got 'eighty'/],
  'a port out of range': [['--port', '70000'], /--port must be a port number/],
  'a positional argument': [['web/demo'], /web\/demo/],
};
for (const [what, [args, message]] of Object.entries(refused)) {
  test(`${what} prints the error and the usage on stderr and exits 2`, () => {
    const r = run(args);
    assert.equal(r.status, 2, `status ${r.status}: ${r.stdout}${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^serve: error: /);
    assert.match(r.stderr.split('\n')[0], message);
    assert.match(r.stderr, /^Usage: node tools\/serve\.mjs \[options\]/m);
  });
}

test('a bad PORT in the environment is refused too', () => {
  const r = run([], { PORT: 'x' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^serve: error: PORT must be a port number 0\.\.65535, got 'x'/);
});

test('good options still serve: --port 0 --no-isolation --cors prints the URL, which answers', async () => {
  const child = spawn(process.execPath, [SERVE, '--port', '0', '--no-isolation', '--cors'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let text = '';
      child.stdout.on('data', (d) => {
        const m = /http:\/\/\S+?\//.exec((text += d));
        if (m) resolve(m[0]);
      });
      child.stderr.on('data', (d) => { text += d; });
      child.on('exit', (code) => reject(new Error(`serve.mjs exited (${code}): ${text}`)));
    });
    const r = await fetch(`${url}models/toy2d/model_index.json`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), '*');
    assert.equal(r.headers.get('cross-origin-embedder-policy'), null);
  } finally {
    child.kill();
  }
});
