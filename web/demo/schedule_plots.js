// The Schedulers tab's three plots of the β schedules against t: β_t and the SNR on log axes (labelled with their
// values, so 1e-4 reads as small and 1 as large), ᾱ_t on a linear one. A marker follows the t slider: a dashed line
// at t, a dot where each schedule crosses it, and above the plot the chosen schedule's value there, so the curve
// and the formula's numbers below can be read together.
import { drawAxes } from './axes.js';

const T_AXIS = { title: 't (timestep)' };
const PLOTS = [
  { id: 'plot-betas', name: 'βₜ', title: 'βₜ (log scale)', log: true, values: (s) => s.betas },
  { id: 'plot-alphas', name: 'ᾱₜ', title: 'ᾱₜ', log: false, values: (s) => s.alphasCumprod },
  { id: 'plot-snr', name: 'SNR', title: 'SNR = ᾱₜ / (1 − ᾱₜ), log scale', log: true,
    values: (s) => s.alphasCumprod.map((a) => a / (1 - a)) },
];
const PAD = { l: 58, r: 16, t: 24, b: 36 };  // t: room for the marker's line of text above the frame

/** A value as the marker's text gives it: 4 significant digits, exponent form when small or large. */
const valueText = (v) => (v !== 0 && (Math.abs(v) < 0.01 || Math.abs(v) >= 1e5) ? v.toExponential(2) : v.toPrecision(4));

/**
 * The plots for `schedules`: [{ name, color, betas, alphasCumprod }]. Returns draw(t, selectedName), which
 * redraws all three with the marker at t (cheap: 4 × 1000 points each, fine on every slider move).
 */
export function schedulePlots(schedules) {
  const plots = PLOTS.map((p) => {
    const canvas = document.getElementById(p.id);
    canvas.setAttribute('role', 'img');
    const series = schedules.map((s) => ({ name: s.name, color: s.color, values: Array.from(p.values(s)) }));
    // A log axis leaves out values it cannot show (an SNR of 0 at the last step of squaredcos_cap_v2).
    const shown = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!p.log || v > 0));
    const y = { title: p.title, log: p.log, lo: Math.min(...shown), hi: Math.max(...shown) };
    return { ...p, canvas, series, y, n: series[0]?.values.length ?? 0 };
  });

  return (t, selected) => {
    for (const p of plots) {
      const { px, py, box } = drawAxes(p.canvas, { ...T_AXIS, lo: 0, hi: p.n - 1 }, p.y, PAD);
      const ctx = p.canvas.getContext('2d');
      const ok = (v) => Number.isFinite(v) && (!p.log || v > 0);
      ctx.save();
      ctx.beginPath();
      ctx.rect(box.l, box.t, box.r - box.l, box.b - box.t);
      ctx.clip();
      for (const s of p.series) {
        ctx.strokeStyle = s.color;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        let pen = false;
        s.values.forEach((v, i) => {
          if (!ok(v)) { pen = false; return; }
          pen ? ctx.lineTo(px(i), py(v)) : ctx.moveTo(px(i), py(v));
          pen = true;
        });
        ctx.stroke();
      }
      // The marker: a dashed line at t, and a dot on each curve (ringed on the chosen schedule's).
      const x = Math.round(px(t)) + 0.5;
      ctx.strokeStyle = '#222';
      ctx.lineWidth = 1;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x, box.t);
      ctx.lineTo(x, box.b);
      ctx.stroke();
      ctx.setLineDash([]);
      const last = (s) => (s.name === selected ? 1 : 0);  // the chosen schedule's dot on top
      for (const s of [...p.series].sort((a, b) => last(a) - last(b))) {
        const v = s.values[t];
        if (!ok(v)) continue;
        ctx.fillStyle = s.color;
        ctx.beginPath();
        ctx.arc(x, py(v), s.name === selected ? 4.5 : 3, 0, 2 * Math.PI);
        ctx.fill();
        if (s.name === selected) {
          ctx.strokeStyle = '#000';
          ctx.lineWidth = 1.5;
          ctx.stroke();
        }
      }
      ctx.restore();
      const v = p.series.find((s) => s.name === selected)?.values[t];
      const text = `t = ${t}, ${selected}: ${p.name} = ${v === undefined ? '–' : valueText(v)}`;
      ctx.fillStyle = '#222';
      ctx.font = '12px sans-serif';
      ctx.textAlign = 'left';
      ctx.textBaseline = 'alphabetic';
      ctx.fillText(text, box.l, box.t - 8);
      p.canvas.dataset.markerT = String(t);
      p.canvas.dataset.markerX = String(Math.round(px(t)));
      p.canvas.setAttribute('aria-label', `${p.title} against t for ${p.series.map((s) => s.name).join(', ')}; ` +
        `y ticks ${p.canvas.dataset.yTicks.split(' ').join(', ')}. Marker: ${text}.`);
    }
  };
}
