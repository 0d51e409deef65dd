// Test helpers: a small safetensors reader, the shared/ reference paths, and the closeness check.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = process.env.DDPM_SHARED_DIR ?? resolve(ROOT, '../shared');
export const referencePath = (name) => join(SHARED, 'reference', name);
export const readReferenceJson = (name) => JSON.parse(readFileSync(referencePath(name), 'utf8'));

const DTYPES = { F32: Float32Array, F64: Float64Array, I64: BigInt64Array, I32: Int32Array };

/** Reads a .safetensors file: { name: { dtype, shape, data (typed array) } } and __metadata__. */
export function readSafetensors(path) {
  const bytes = readFileSync(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  const base = 8 + headerLength;
  const tensors = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const Type = DTYPES[entry.dtype];
    if (!Type) throw new Error(`${path}: ${name}: unsupported dtype ${entry.dtype}`);
    const [begin, end] = entry.data_offsets;
    // Copy into a fresh, aligned buffer (the file's offsets need not be aligned for the element size).
    const raw = bytes.buffer.slice(bytes.byteOffset + base + begin, bytes.byteOffset + base + end);
    tensors[name] = { dtype: entry.dtype, shape: entry.shape, data: new Type(raw) };
  }
  return { tensors, metadata: header.__metadata__ ?? {} };
}

/** An F32 entry as a Tensor-like { data: Float32Array, shape }. */
export const asTensor = (entry) => ({ data: entry.data, shape: entry.shape });
/** An I64 entry as plain numbers. */
export const asInts = (entry) => Array.from(entry.data, Number);

/**
 * Worst element of |a-b| <= atol + rtol·|b|: { ok, maxAbs, worstRatio, index }.
 * NaN anywhere fails. a and b are typed arrays of the same length.
 */
export function compare(a, b, atol, rtol) {
  if (a.length !== b.length) return { ok: false, maxAbs: Infinity, worstRatio: Infinity, index: -1 };
  let maxAbs = 0;
  let worstRatio = 0;
  let index = -1;
  for (let i = 0; i < a.length; ++i) {
    const d = Math.abs(a[i] - b[i]);
    const r = Number.isNaN(d) ? Infinity : d / (atol + rtol * Math.abs(b[i]));
    if (!(d <= maxAbs)) maxAbs = Number.isNaN(d) ? Infinity : d;
    if (r > worstRatio) { worstRatio = r; index = i; }
  }
  return { ok: worstRatio <= 1, maxAbs, worstRatio, index };
}

/** Asserts closeness with a message naming the case and the worst element. */
export function assertClose(assert, what, a, b, atol, rtol) {
  const c = compare(a, b, atol, rtol);
  assert.ok(c.ok, `${what}: max |a-b| = ${c.maxAbs.toExponential(3)}, worst at [${c.index}]: ` +
                  `${a[c.index]} vs ${b[c.index]} (allowed ${atol} + ${rtol}·|b|)`);
  return c;
}

/** Runs fn(scheduler) on a scheduler of class Cls built from `config`, and frees it whatever happens. */
export function withScheduler(Cls, config, fn) {
  const s = Cls.fromConfig(config);
  try {
    return fn(s);
  } finally {
    s.dispose();
  }
}
