// Tensor: { data: Float32Array, shape: number[] }, row-major, NCHW for images (PyTorch's layout).
// Plain objects of that shape are accepted everywhere a Tensor is.

function checkShape(shape, name) {
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    throw new TypeError(`${name}.shape must be an array of non-negative integers`);
  }
  const out = Array.from(shape, Number);
  for (const d of out) {
    if (!Number.isInteger(d) || d < 0) {
      throw new TypeError(`${name}.shape [${out}] must hold non-negative integers`);
    }
  }
  return out;
}

export class Tensor {
  /**
   * @param {Float32Array | ArrayLike<number>} data copied only when it is not a Float32Array
   * @param {number[]} shape
   */
  constructor(data, shape) {
    this.shape = checkShape(shape, 'Tensor');
    this.data = data instanceof Float32Array ? data : Float32Array.from(data);
    const n = this.shape.reduce((a, b) => a * b, 1);
    if (this.data.length !== n) {
      throw new RangeError(`Tensor: data has ${this.data.length} elements but shape [${this.shape}] needs ${n}`);
    }
  }

  /** A Tensor from a Tensor or a plain { data, shape } object; `name` appears in errors. */
  static from(value, name = 'tensor') {
    if (value instanceof Tensor) return value;
    if (value === null || typeof value !== 'object' || !('data' in value) || !('shape' in value)) {
      throw new TypeError(`${name} must be a Tensor or { data: Float32Array, shape: number[] }`);
    }
    try {
      return new Tensor(value.data, value.shape);
    } catch (e) {
      e.message = e.message.replace(/^Tensor/, name);
      throw e;
    }
  }

  static zeros(shape) {
    const s = checkShape(shape, 'Tensor');
    return new Tensor(new Float32Array(s.reduce((a, b) => a * b, 1)), s);
  }

  get size() {
    return this.data.length;
  }
}
