// The Edit tab's mask painter: the start picture drawn large on a canvas, with the pixels to fill in tinted. The
// mask is the model's size (one value per model pixel: 1 = keep, 0 = fill in, as inpaint() takes it), so what the
// user paints is exactly what RePaint gets; the canvas only scales it up. Pointer events cover mouse, pen and touch
// alike (the canvas has touch-action: none, so a finger paints instead of scrolling); presets give keyboard users
// the same masks.
import { toImageData } from '../src/index.js';

const SCALE = 8;                            // canvas pixels per model pixel
const TINT = 'rgba(230, 40, 120, 0.55)';    // the pixels to fill in

export class MaskPainter {
  #stroke = null;  // { x, y } of the last point of the stroke in progress, or null

  /** `canvas`: the drawing surface; `onChange(painter)` after every stroke or preset. */
  constructor(canvas, { onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.onChange = onChange;
    this.enabled = true;    // false: the canvas shows the picture without the mask and ignores the pointer
    this.locked = false;    // true: the mask shows but does not change (a run is using it)
    this.erase = false;     // true: the brush marks pixels to keep
    this.radius = 2;        // the brush radius in model pixels
    this.picture = null;    // a Tensor [1, C, H, W] in [-1, 1]
    this.setSize(32, 32);
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    for (const type of ['pointerup', 'pointercancel', 'lostpointercapture']) canvas.addEventListener(type, () => this.#up());
  }

  /** A new mask of h×w, keeping everything. */
  setSize(h, w) {
    this.height = h;
    this.width = w;
    this.keep = new Float32Array(h * w).fill(1);
    this.canvas.width = w * SCALE;
    this.canvas.height = h * SCALE;
    this.draw();
  }

  setPicture(tensor) {
    this.picture = tensor;
    this.draw();
  }

  setEnabled(enabled) {
    this.enabled = enabled;
    this.draw();
  }

  /** The mask as inpaint() takes it: a Tensor-like { data, shape: [1, 1, H, W] } (a copy). */
  get mask() {
    return { data: this.keep.slice(), shape: [1, 1, this.height, this.width] };
  }

  get fillCount() {
    return this.keep.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
  }

  /** Marks a region to fill in: left, top, bottom (halves), centre (the middle half in each direction); clear
   *  keeps everything; invert swaps keep and fill. */
  preset(name) {
    const { width: w, height: h } = this;
    const inside = {
      left: (y, x) => x < w / 2,
      top: (y) => y < h / 2,
      bottom: (y) => y >= h / 2,
      centre: (y, x) => y >= h / 4 && y < (3 * h) / 4 && x >= w / 4 && x < (3 * w) / 4,
      clear: () => false,
    }[name];
    if (name === 'invert') {
      this.keep = this.keep.map((v) => 1 - v);
    } else if (inside) {
      for (let y = 0; y < h; ++y) for (let x = 0; x < w; ++x) this.keep[y * w + x] = inside(y, x) ? 0 : 1;
    } else {
      throw new Error(`no mask preset ${name}`);
    }
    this.#changed();
  }

  draw() {
    const ctx = this.canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;  // model pixels stay crisp squares
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const [, , ph, pw] = this.picture?.shape ?? [];
    if (ph === this.height && pw === this.width) {
      const small = new OffscreenCanvas(pw, ph);
      small.getContext('2d').putImageData(toImageData(this.picture, 0), 0, 0);
      ctx.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
    }
    if (!this.enabled) return;
    ctx.fillStyle = TINT;
    for (let y = 0; y < this.height; ++y) {
      for (let x = 0; x < this.width; ++x) {
        if (this.keep[y * this.width + x] === 0) ctx.fillRect(x * SCALE, y * SCALE, SCALE, SCALE);
      }
    }
  }

  #changed() {
    this.draw();
    this.onChange(this);
  }

  /** The pointer's position in model pixels (fractional), from the canvas's size on screen. */
  #at(e) {
    const r = this.canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * this.width, y: ((e.clientY - r.top) / r.height) * this.height };
  }

  #down(e) {
    if (!this.enabled || this.locked || (e.pointerType === 'mouse' && e.button !== 0)) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);  // the stroke goes on when the pointer leaves the canvas
    this.#stroke = this.#at(e);
    this.#dab(this.#stroke);
    this.draw();
  }

  #move(e) {
    if (!this.#stroke) return;
    const to = this.#at(e);
    // Dabs every half pixel along the segment, so a fast stroke leaves no gaps.
    const n = Math.max(1, Math.ceil(2 * Math.hypot(to.x - this.#stroke.x, to.y - this.#stroke.y)));
    for (let k = 1; k <= n; ++k) {
      this.#dab({ x: this.#stroke.x + ((to.x - this.#stroke.x) * k) / n, y: this.#stroke.y + ((to.y - this.#stroke.y) * k) / n });
    }
    this.#stroke = to;
    this.draw();
  }

  #up() {
    if (!this.#stroke) return;
    this.#stroke = null;
    this.#changed();
  }

  /** Sets every model pixel whose centre is within the brush radius of `p`. */
  #dab(p) {
    const r = this.radius;
    const value = this.erase ? 1 : 0;
    for (let y = Math.max(0, Math.floor(p.y - r)); y <= Math.min(this.height - 1, Math.floor(p.y + r)); ++y) {
      for (let x = Math.max(0, Math.floor(p.x - r)); x <= Math.min(this.width - 1, Math.floor(p.x + r)); ++x) {
        if ((x + 0.5 - p.x) ** 2 + (y + 0.5 - p.y) ** 2 <= r * r) this.keep[y * this.width + x] = value;
      }
    }
  }
}
