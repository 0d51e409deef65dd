#include "nn/train/group_norm_train.h"

#include <algorithm>

#include "kernels/group_norm/group_norm.h"

namespace ddpm::nn::train {
namespace {

kernels::GroupNormArgs Args(const GroupNormSpec& s, const float* gamma, const float* beta) {
  kernels::GroupNormArgs a;
  a.batch = s.batch;
  a.hw = s.hw;
  a.channels = s.channels;
  a.groups = s.groups;
  a.eps = s.eps;
  a.gamma = gamma;
  a.beta = beta;
  a.scale = s.scale;
  a.shift = s.shift;
  a.mod_stride = s.mod_stride;
  a.silu = s.silu;
  return a;
}

}  // namespace

size_t GroupNormScratchFloats(const GroupNormSpec& s, int threads) {
  return std::max(kernels::GroupNormScratchFloats(s.batch, s.channels),
                  kernels::GroupNormBackwardScratchFloats(s.batch, s.hw, s.channels, threads));
}

void GroupNormForward(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                      const GroupNormSpec& s, float* scratch, ThreadPool* pool) {
  kernels::GroupNormArgs a = Args(s, gamma, beta);
  a.mean_out = mean;
  a.rstd_out = rstd;
  kernels::GroupNorm(a, x, y, scratch, pool);
}

void GroupNormApply(float* y, const float* x, const float* mean, const float* rstd, const float* gamma,
                    const float* beta, const GroupNormSpec& s, float* scratch, ThreadPool* pool) {
  kernels::GroupNormApplySaved(Args(s, gamma, beta), x, mean, rstd, y, scratch, pool);
}

void GroupNormBackward(float* dx, float* dgamma, float* dbeta, float* dscale, float* dshift, const float* dy,
                       const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                       const GroupNormSpec& s, float* scratch, ThreadPool* pool) {
  kernels::GroupNormBackward(Args(s, gamma, beta), x, dy, mean, rstd, dx, dgamma, dbeta, dscale, dshift, scratch,
                             pool);
}

}  // namespace ddpm::nn::train
