// The README's JavaScript examples: every ```js block of its "## JavaScript" section (up to the next "## "
// heading), in order. package.test.js runs each one from the packed package; types.test.js type-checks each one
// under tsc --strict against web/index.d.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { ROOT } from './helpers.js';

/** [{ code, line }]: each block's text and the README line its code starts on. */
export function readmeJsBlocks() {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## JavaScript\n');
  if (start < 0) throw new Error('README.md has no "## JavaScript" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const firstLine = readme.slice(0, start).split('\n').length;
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => ({
    code: m[1],
    line: firstLine + section.slice(0, m.index).split('\n').length,
  }));
}
