// GroupNorm over NHWC activations, optionally followed by a per-sample scale/shift (ResnetBlock2D's
// "scale_shift" time conditioning) and SiLU. One pass computes statistics, one applies them.
#pragma once

#include <cstddef>

#include "base/thread_pool.h"

namespace ddpm::kernels {

struct GroupNormArgs {
  int batch = 0, hw = 0, channels = 0, groups = 1;
  float eps = 1e-5f;
  const float* gamma = nullptr;  // [channels]
  const float* beta = nullptr;   // [channels]
  // Optional per-sample modulation after the affine step: y = y * (1 + scale[b, c]) + shift[b, c],
  // rows `mod_stride` floats apart (both null for plain GroupNorm).
  const float* scale = nullptr;
  const float* shift = nullptr;
  size_t mod_stride = 0;
  bool silu = false;  // y = y * sigmoid(y) at the end
};

// Floats of scratch GroupNorm needs: per-(sample, channel) multipliers and offsets.
size_t GroupNormScratchFloats(int batch, int channels);

// x, y: [batch, hw, channels]; they may alias (in-place). Biased variance, as torch.
void GroupNorm(const GroupNormArgs& args, const float* x, float* y, float* scratch, ThreadPool* pool);

}  // namespace ddpm::kernels
