// A training loss curve on a canvas, log scale: every step in grey, the running mean of 20 in blue.
// Used by both trainers of the Train tab.
const MEAN_OF = 20;

export function drawLoss(canvas, losses) {
  const ctx = canvas.getContext('2d');
  const { width: w, height: h } = canvas;
  const pad = { l: 52, r: 10, t: 10, b: 24 };
  ctx.clearRect(0, 0, w, h);
  ctx.strokeStyle = '#999';
  ctx.strokeRect(pad.l, pad.t, w - pad.l - pad.r, h - pad.t - pad.b);
  const n = losses.length;
  if (n === 0) return;
  const log = (v) => Math.log10(Math.max(v, 1e-6));
  const logs = losses.map(log);
  const lo = Math.floor(Math.min(...logs) * 4) / 4;
  const hi = Math.max(Math.ceil(Math.max(...logs) * 4) / 4, lo + 0.25);
  const x = (i) => pad.l + (n === 1 ? 0 : (i / (n - 1)) * (w - pad.l - pad.r));
  const y = (v) => h - pad.b - ((v - lo) / (hi - lo || 1)) * (h - pad.t - pad.b);
  ctx.fillStyle = '#444';
  ctx.font = '11px sans-serif';
  ctx.textAlign = 'right';
  ctx.fillText((10 ** hi).toPrecision(2), pad.l - 4, pad.t + 9);
  ctx.fillText((10 ** lo).toPrecision(2), pad.l - 4, h - pad.b);
  ctx.textAlign = 'center';
  ctx.fillText('1', pad.l, h - 8);
  ctx.fillText('step', (w + pad.l) / 2, h - 8);
  ctx.fillText(String(n), w - pad.r - 12, h - 8);
  const line = (values, color, width) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    values.forEach((v, i) => (i ? ctx.lineTo(x(i), y(v)) : ctx.moveTo(x(i), y(v))));
    ctx.stroke();
  };
  line(logs, '#bbb', 1);
  const mean = [];
  let sum = 0;
  losses.forEach((v, i) => {
    sum += v - (i >= MEAN_OF ? losses[i - MEAN_OF] : 0);
    mean.push(log(sum / Math.min(i + 1, MEAN_OF)));
  });
  line(mean, '#1a5fb4', 2);
}

/** Redraws at most once per animation frame, however often it is called. */
export function lossPlotter(canvas, getLosses) {
  let frame = 0;
  return () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; drawLoss(canvas, getLosses()); });
  };
}
