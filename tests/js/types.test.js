// web/index.d.ts type-checks a consumer (tests/js/types/consumer.ts) that imports the package by name.
// Skipped when typescript (a devDependency) is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { ROOT } from './helpers.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

test('web/index.d.ts types the public API', { skip: !existsSync(TSC) && 'typescript is not installed (npm ci)' }, () => {
  const r = spawnSync(process.execPath, [TSC, '-p', join(ROOT, 'tests/js/types/tsconfig.json')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc reported:\n${r.stdout}${r.stderr}`);
});
