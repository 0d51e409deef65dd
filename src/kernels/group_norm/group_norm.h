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
  // Optional outputs of GroupNorm: the statistics [batch, groups], saved for the backward.
  float* mean_out = nullptr;
  float* rstd_out = nullptr;
};

// Floats of scratch GroupNorm needs: per-(sample, channel) multipliers and offsets.
size_t GroupNormScratchFloats(int batch, int channels);

// x, y: [batch, hw, channels]; they may alias (in-place). Biased variance, as torch.
void GroupNorm(const GroupNormArgs& args, const float* x, float* y, float* scratch, ThreadPool* pool);

// y from x with statistics saved by GroupNorm (mean, rstd [batch, groups]): the forward's output again,
// bit for bit (a training backward rebuilds layer inputs this way instead of keeping them).
// Scratch: GroupNormScratchFloats.
void GroupNormApplySaved(const GroupNormArgs& args, const float* x, const float* mean, const float* rstd, float* y,
                         float* scratch, ThreadPool* pool);

// The backward of GroupNorm (+ modulation, + SiLU), given dy = d loss / d y and the forward's x and
// statistics. Every output is ADDED to: dx [batch, hw, channels] (may be null), dgamma, dbeta
// [channels], dscale, dshift (rows mod_stride apart, as scale/shift; null without modulation).
// Work splits by sample; per-sample partial sums are added in sample order (repeatable bit for bit).
size_t GroupNormBackwardScratchFloats(int batch, int hw, int channels, int threads);
void GroupNormBackward(const GroupNormArgs& args, const float* x, const float* dy, const float* mean,
                       const float* rstd, float* dx, float* dgamma, float* dbeta, float* dscale, float* dshift,
                       float* scratch, ThreadPool* pool);

}  // namespace ddpm::kernels
