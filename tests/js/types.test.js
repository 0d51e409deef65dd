// web/index.d.ts type-checks a consumer (tests/js/types/consumer.ts) that imports the package by name, and the
// README's JavaScript examples as a user pastes them into a TypeScript project: each ```js block of its
// "## JavaScript" section as a module, under tsc --strict. Skipped when typescript (a devDependency) is not
// installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from './helpers.js';
import { readmeJsBlocks } from './readme_blocks.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const skip = !existsSync(TSC) && 'typescript is not installed (npm ci)';

test('web/index.d.ts types the public API', { skip }, () => {
  const r = spawnSync(process.execPath, [TSC, '-p', join(ROOT, 'tests/js/types/tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
});

test("the README's JavaScript examples type-check under tsc --strict, as pasted", { skip }, (t) => {
  const blocks = readmeJsBlocks();
  assert.ok(blocks.length >= 5, `${blocks.length} js blocks under ## JavaScript`);
  // A project of its own: 'ddpm-wasm' resolves through node_modules as for a user (package.json "exports" ->
  // "types"), and Node's built-ins (node:fs) through @types/node, which the devDependencies bring (else a
  // declaration of the few the examples use).
  const dir = mkdtempSync(join(tmpdir(), 'ddpm-wasm-readme-ts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'ddpm-wasm'));
  const nodeTypes = existsSync(join(ROOT, 'node_modules/@types/node/package.json'));
  if (nodeTypes) symlinkSync(join(ROOT, 'node_modules/@types'), join(dir, 'node_modules', '@types'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'readme', private: true, type: 'module' }));
  const files = blocks.map((b, i) => {
    const name = `readme-${i + 1}.ts`;
    writeFileSync(join(dir, name), b.code);
    return name;
  });
  if (!nodeTypes) files.push(join(ROOT, 'tests/js/types/node_builtins.d.ts'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { target: 'es2022', module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true,
                       skipLibCheck: true, types: nodeTypes ? ['node'] : [] },
    files,
  }));
  const r = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  // Errors point at the README: "readme-3.ts(5,10)" -> "README.md:159:10".
  const report = `${r.stdout}${r.stderr}`.replace(/readme-(\d+)\.ts\((\d+),(\d+)\)/g,
    (_, k, line, col) => `README.md:${blocks[k - 1].line + Number(line) - 1}:${col}`);
  assert.equal(r.status, 0, `tsc --strict on the README's examples reported:\n${report}`);
});
