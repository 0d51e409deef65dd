// BatchSampler: the seeded epoch shuffle `ddpm train` draws its batches with (src/train/datasets.h,
// BatchSampler::ForTraining), so a trainer in the browser sees the same batches as `ddpm train --seed S`.
import { NativeObject } from './native.js';

export class BatchSampler extends NativeObject {
  /** Batches of indices into a dataset of `count` examples: each epoch a seeded permutation, drawn in order. */
  constructor(count, seed = 0) {
    if (!Number.isSafeInteger(count) || count < 1) throw new TypeError('BatchSampler: count must be a positive integer');
    if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError('BatchSampler: seed must be a non-negative integer');
    super('BatchSampler', count, seed);
  }

  /** The next `batchSize` example indices (an Int32Array); the epoch reshuffles when it runs out, as in `ddpm train`. */
  next(batchSize) {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError('BatchSampler.next: batchSize must be a positive integer');
    return this.native.next(batchSize);
  }

  /** Epochs completed so far, and the position in the current one: where a resumed run continues. */
  get epoch() {
    return this.native.epoch();
  }

  get cursor() {
    return this.native.cursor();
  }
}
