// GroupNorm (+ optional per-sample scale/shift, + optional SiLU) on NHWC activations, forward and
// backward, for the trainable layers: the kernels of kernels/group_norm (the inference forward itself,
// saving mean/rstd per (sample, group) for the backward) under the layers' GroupNormSpec.
//   z = (x - mean)·rstd·γ + β;   u = z·(1 + scale[b]) + shift[b] (scale_shift);   y = SiLU(u) | u
#pragma once

#include <cstddef>

#include "base/thread_pool.h"

namespace ddpm::nn::train {

struct GroupNormSpec {
  int batch = 0, hw = 0, channels = 0, groups = 1;
  float eps = 1e-5f;
  bool silu = false;
  // ResnetBlock2D "scale_shift": rows of [scale | shift] per sample, mod_stride floats apart.
  const float* scale = nullptr;
  const float* shift = nullptr;
  size_t mod_stride = 0;
  size_t size() const { return size_t(batch) * hw * channels; }
};

// Scratch floats GroupNormForward / GroupNormApply / GroupNormBackward need on `threads` threads.
size_t GroupNormScratchFloats(const GroupNormSpec& s, int threads);

// y[B,HW,C] from x[B,HW,C]; mean, rstd [B, groups] are saved for the backward. x and y must not alias.
void GroupNormForward(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                      const GroupNormSpec& s, float* scratch, ThreadPool* pool);

// y from x with saved statistics: the forward's output again (the backward rebuilds layer inputs
// this way instead of saving them).
void GroupNormApply(float* y, const float* x, const float* mean, const float* rstd, const float* gamma,
                    const float* beta, const GroupNormSpec& s, float* scratch, ThreadPool* pool);

// dx += ∂/∂x; dgamma, dbeta [C] +=; dscale, dshift (rows mod_stride apart, may be null without
// scale_shift) +=. dy is d loss / d y; x, mean, rstd as in the forward.
void GroupNormBackward(float* dx, float* dgamma, float* dbeta, float* dscale, float* dshift, const float* dy,
                       const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                       const GroupNormSpec& s, float* scratch, ThreadPool* pool);

}  // namespace ddpm::nn::train
