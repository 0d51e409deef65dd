// Work buffers of a training step, one per role, each grown to the largest size asked of it (so only
// the first step of a shape allocates). Saved activations live in the layers; this holds what is
// rebuilt or thrown away within one layer's forward or backward.
#pragma once

#include <cstddef>

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"

namespace ddpm::nn::train {

class Workspace {
 public:
  enum Slot {
    kScratch,    // kernel scratch (GEMM packing, im2col blocks, attention probabilities)
    kRecompute,  // a layer input rebuilt in the backward (SiLU(GN(x)), GN(x))
    kGrad0,      // d output / scale factor
    kGrad1,      // gradients inside a layer
    kGrad2,
    kSmall,      // per-sample vectors (time projections)
    kModel0,     // the UNet's own: gradient of the hidden state (ping-pong), concat, upsample
    kModel1,
    kModel2,
    kModel3,
    kCount
  };
  // At least `floats` floats for `slot`, 64-byte aligned; contents unspecified. An OutOfMemory error when
  // memory is exhausted (sizes are fixed after the first step of a shape, so only that step can fail).
  Expected<float*> Get(Slot slot, size_t floats);
  Expected<float*> Zeroed(Slot slot, size_t floats);
  // The pool Zeroed splits its fill over (the model sets it for each step; nullptr = the caller alone).
  void set_pool(ThreadPool* pool) { pool_ = pool; }
  size_t bytes() const;

 private:
  Tensor buf_[kCount];
  ThreadPool* pool_ = nullptr;
};

}  // namespace ddpm::nn::train
