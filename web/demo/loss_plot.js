// A training loss curve on a canvas: every step in grey, the running mean of 20 in blue, the loss on a log axis
// labelled with its values (axes.js, the rules of `ddpm train`'s loss.png). Used by both trainers of the Train tab.
import { drawAxes } from './axes.js';

const MEAN_OF = 20;
const FLOOR = 1e-6;  // a loss of 0 has no place on a log axis

export function drawLoss(canvas, losses) {
  const n = losses.length;
  const shown = losses.map((v) => Math.max(v, FLOOR));
  const lo = n ? Math.min(...shown) : 0.1;
  const hi = n ? Math.max(...shown) : 1;
  // Steps are whole numbers: an axis of at least 10 steps keeps its ticks on them.
  const { px, py, box } = drawAxes(canvas, { title: 'step', lo: 0, hi: Math.max(n, 10) },
                                   { title: 'loss (log scale)', log: true, lo, hi });
  const ctx = canvas.getContext('2d');
  if (n === 0) {
    ctx.textAlign = 'center';
    ctx.fillText('no steps yet', (box.l + box.r) / 2, (box.t + box.b) / 2);
    return;
  }
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.l, box.t, box.r - box.l, box.b - box.t);
  ctx.clip();
  const line = (values, color, width) => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.beginPath();
    values.forEach((v, i) => (i ? ctx.lineTo(px(i + 1), py(v)) : ctx.moveTo(px(i + 1), py(v))));
    ctx.stroke();
  };
  line(shown, '#bbb', 1);
  const mean = [];
  let sum = 0;
  shown.forEach((v, i) => {
    sum += v - (i >= MEAN_OF ? shown[i - MEAN_OF] : 0);
    mean.push(sum / Math.min(i + 1, MEAN_OF));
  });
  line(mean, '#1a5fb4', 2);
  ctx.restore();
}

/**
 * The loss to report at the end of a run, saying what it averages: "0.0321 (mean of the last 20 steps)", and "of
 * the last 12" when only 12 steps ran: a status must not claim more steps than there are.
 */
export function lossSummary(losses, of) {
  const k = Math.min(of, losses.length);
  if (k === 0) return 'no steps yet';
  const mean = losses.slice(-k).reduce((s, v) => s + v, 0) / k;
  return `${mean.toFixed(4)} (${k === 1 ? 'the only step' : `mean of the last ${k} steps`})`;
}

/** Redraws at most once per animation frame, however often it is called. */
export function lossPlotter(canvas, getLosses) {
  let frame = 0;
  return () => {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; drawLoss(canvas, getLosses()); });
  };
}
