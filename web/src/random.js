// Small seeded random streams for JS-side choices (batch order, demo noise): mulberry32, and N(0, 1) by
// Box-Muller. Not the core's Philox: what must match native (sampling noise, training draws) comes from C++.

/** mulberry32: a uniform [0, 1) generator from a 32-bit seed (the same seed, the same stream). */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` standard normal draws (Box-Muller) from `uniform`, a [0, 1) generator such as mulberry32(seed). */
export function gaussians(n, uniform) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const a = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(a);
    if (i + 1 < n) out[i + 1] = r * Math.sin(a);
  }
  return out;
}
