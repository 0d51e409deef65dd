// Axes for the demo's canvas plots, by the rules loss.png follows (src/io/axis_ticks.cc, ported): ticks at round
// numbers a reader can add up, covering the data, several per axis rather than just the two ends; a log axis is
// labelled with the values themselves (1e-4, 0.001, … 1), not their logarithms, whose "-4.3e-4" at the top of a log10 β
// axis reads as a tiny number, and its title says "log scale".

const EPS = 1e-9;  // relative slack, so that 0.3 / 0.1 = 2.9999999999999996 counts as 3

// k·m·10^e computed so that decimal ticks come out as the nearest double (0.3, not 0.30000000000000004).
const tickValue = (k, m, e) => {
  const v = e >= 0 ? k * m * 10 ** e : (k * m) / 10 ** -e;
  return v === 0 ? 0 : v;  // no -0
};

/** Ticks at a nice step (1, 2, 2.5 or 5 × 10^e) covering [lo, hi] with at most maxIntervals gaps. */
export function linearTicks(lo, hi, maxIntervals) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi - lo <= EPS * Math.max(Math.abs(lo), Math.abs(hi))) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  maxIntervals = Math.max(lo < 0 && hi > 0 ? 2 : 1, maxIntervals);
  for (let e = Math.floor(Math.log10((hi - lo) / maxIntervals)); ; ++e) {
    for (const m of [1, 2, 2.5, 5]) {
      const step = tickValue(1, m, e);
      const first = Math.floor(lo / step + EPS);
      const last = Math.ceil(hi / step - EPS);
      if (last - first > maxIntervals) continue;
      const ticks = [];
      for (let k = first; k <= last; ++k) ticks.push(tickValue(k, m, e));
      return ticks;
    }
  }
}

// 1-2-5 values covering [lo, hi] (lo > 0), or null when they need more than maxIntervals gaps.
function oneTwoFiveTicks(lo, hi, maxIntervals) {
  const ladder = [];
  for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)) + 1; ++e) {
    for (const m of [1, 2, 5]) ladder.push(tickValue(1, m, e));
  }
  let first = 0;
  let last = ladder.length - 1;
  while (first + 1 < ladder.length && ladder[first + 1] <= lo * (1 + EPS)) ++first;
  while (last > 0 && ladder[last - 1] >= hi * (1 - EPS)) --last;
  return last <= first || last - first > maxIntervals ? null : ladder.slice(first, last + 1);
}

// Powers of ten covering [lo, hi] (lo > 0), every stride-th one (starting on a multiple of it) to fit maxIntervals.
function decadeTicks(lo, hi, maxIntervals) {
  const first = Math.floor(Math.log10(lo) + EPS);
  const last = Math.max(first + 1, Math.ceil(Math.log10(hi) - EPS));
  for (let stride = Math.ceil((last - first) / maxIntervals); ; ++stride) {
    const from = Math.floor(first / stride) * stride;
    const to = Math.ceil(last / stride) * stride;
    if ((to - from) / stride > maxIntervals) continue;
    const ticks = [];
    for (let e = from; e <= to; e += stride) ticks.push(tickValue(1, 1, e));
    return ticks;
  }
}

/** Ticks for a log axis over [lo, hi] (both > 0): even steps within a decade, 1-2-5 up to two, decades beyond. */
export function logTicks(lo, hi, maxIntervals) {
  if (lo > hi) [lo, hi] = [hi, lo];
  if (!(lo > 0)) return linearTicks(lo, hi, maxIntervals);
  maxIntervals = Math.max(1, maxIntervals);
  const decades = Math.log10(hi / lo);
  if (decades < 1) {
    const even = linearTicks(lo, hi, maxIntervals);
    if (even[0] > 0) return even;
  }
  if (decades <= 2) {
    const ladder = oneTwoFiveTicks(lo, hi, maxIntervals);
    if (ladder) return ladder;
  }
  return decadeTicks(lo, hi, maxIntervals);
}

/** The shortest plain decimal that gives `v` back (1000, 0.25, -3), or "1e-4" style below 0.001 and from 1e7 up. */
export function tickLabel(v) {
  if (v === 0 || !Number.isFinite(v)) return String(v === 0 ? 0 : v);
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e7) {
    for (let d = 0; d <= 12; ++d) {
      const text = v.toFixed(d);
      if (Math.abs(Number(text) - v) <= EPS * a) return text;
    }
    return String(v);
  }
  let exponent = Math.floor(Math.log10(a));
  let mantissa = tickLabel(tickValue(1, v, -exponent));
  if (mantissa === '10' || mantissa === '-10') {  // 9.9999999e-6 rounds up to the next decade
    mantissa = v < 0 ? '-1' : '1';
    ++exponent;
  }
  return `${mantissa}e${exponent}`;
}

/**
 * Clears the canvas and draws a plot's frame: grid lines and labelled ticks on both axes and their titles.
 * x, y: { lo, hi, title, log?, exact?, spacing?, ticks? } in data units; a log axis takes values > 0. The axis spans
 * its ticks, which cover [lo, hi], or with `exact` just [lo, hi] (a scatter whose two axes must keep one scale).
 * `spacing`: the fewest pixels between ticks (default 64 across, 32 up). `pad` leaves room around the frame (top: a line of text above it). Returns the mapping:
 * { px(v), py(v), box: { l, t, r, b }, xTicks, yTicks }.
 */
export function drawAxes(canvas, x, y, pad = { l: 58, r: 18, t: 10, b: 36 }) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const box = { l: pad.l, t: pad.t, r: w - pad.r, b: h - pad.b };
  const ticksOf = (axis, pixels, spacing) => {
    if (axis.ticks) return axis.ticks;
    const n = Math.max(2, Math.floor(pixels / (axis.spacing ?? spacing)));
    const ticks = axis.log ? logTicks(axis.lo, axis.hi, n) : linearTicks(axis.lo, axis.hi, n);
    const [lo, hi] = [axis.lo - EPS * Math.abs(axis.lo), axis.hi + EPS * Math.abs(axis.hi)];
    return axis.exact ? ticks.filter((v) => v >= lo && v <= hi) : ticks;
  };
  const xTicks = ticksOf(x, box.r - box.l, 64);
  const yTicks = ticksOf(y, box.b - box.t, 32);
  const scale = (axis, ticks, from, to) => {
    const f = axis.log ? Math.log10 : (v) => v;
    const [a, b] = axis.exact ? [f(axis.lo), f(axis.hi)] : [f(ticks[0]), f(ticks.at(-1))];
    return (v) => from + ((f(v) - a) / (b - a || 1)) * (to - from);
  };
  const px = scale(x, xTicks, box.l, box.r);
  const py = scale(y, yTicks, box.b, box.t);

  ctx.clearRect(0, 0, w, h);
  ctx.lineWidth = 1;
  ctx.strokeStyle = '#e6e6e6';
  ctx.beginPath();
  for (const v of xTicks) { const p = Math.round(px(v)) + 0.5; ctx.moveTo(p, box.t); ctx.lineTo(p, box.b); }
  for (const v of yTicks) { const p = Math.round(py(v)) + 0.5; ctx.moveTo(box.l, p); ctx.lineTo(box.r, p); }
  ctx.stroke();
  ctx.strokeStyle = '#888';
  ctx.strokeRect(box.l + 0.5, box.t + 0.5, box.r - box.l, box.b - box.t);

  ctx.fillStyle = '#444';
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const v of xTicks) ctx.fillText(tickLabel(v), px(v), box.b + 4);
  ctx.fillText(x.title, (box.l + box.r) / 2, box.b + 19);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const v of yTicks) ctx.fillText(tickLabel(v), box.l - 5, py(v));
  ctx.save();
  ctx.translate(12, (box.t + box.b) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textAlign = 'center';
  ctx.fillText(y.title, 0, 0);
  ctx.restore();
  // What was drawn, for tests and screen readers.
  canvas.dataset.xTicks = xTicks.map(tickLabel).join(' ');
  canvas.dataset.yTicks = yTicks.map(tickLabel).join(' ');
  return { px, py, box, xTicks, yTicks };
}
