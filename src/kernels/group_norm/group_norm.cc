#include "kernels/group_norm/group_norm.h"

#include <cassert>
#include <cmath>

#include "kernels/elementwise/elementwise.h"

namespace ddpm::kernels {

size_t GroupNormScratchFloats(int batch, int channels) { return size_t(2) * batch * channels; }

void GroupNorm(const GroupNormArgs& a, const float* x, float* y, float* scratch, ThreadPool* pool) {
  assert(a.groups > 0 && a.channels % a.groups == 0);
  const int cg = a.channels / a.groups;
  const size_t c = a.channels;
  float* mul = scratch;                        // [batch, channels]
  float* add = scratch + size_t(a.batch) * c;  // [batch, channels]

  // Statistics per (sample, group), two-pass in double: the inputs can have large means.
  auto stats = [&](size_t begin, size_t end, int) {
    for (size_t bg = begin; bg < end; ++bg) {
      const size_t b = bg / a.groups, g = bg % a.groups;
      const float* xb = x + b * a.hw * c + g * cg;
      double sum = 0;
      for (int p = 0; p < a.hw; ++p)
        for (int j = 0; j < cg; ++j) sum += xb[p * c + j];
      const double n = double(a.hw) * cg;
      const double mean = sum / n;
      double sq = 0;
      for (int p = 0; p < a.hw; ++p)
        for (int j = 0; j < cg; ++j) {
          const double d = xb[p * c + j] - mean;
          sq += d * d;
        }
      const float rstd = float(1.0 / std::sqrt(sq / n + double(a.eps)));
      // torch's CPU kernel also folds the affine step into one multiply-add per element.
      for (int j = 0; j < cg; ++j) {
        const size_t ch = g * cg + j;
        const float m = rstd * a.gamma[ch];
        mul[b * c + ch] = m;
        add[b * c + ch] = a.beta[ch] - float(mean) * m;
      }
    }
  };
  if (pool) pool->ParallelFor(size_t(a.batch) * a.groups, stats);
  else stats(0, size_t(a.batch) * a.groups, 0);

  const size_t rows = size_t(a.batch) * a.hw;
  auto apply = [&](size_t begin, size_t end, int) {
    for (size_t r = begin; r < end; ++r) {
      const size_t b = r / a.hw;
      const float* xr = x + r * c;
      float* yr = y + r * c;
      const float* mb = mul + b * c;
      const float* ab = add + b * c;
      if (a.scale) {
        const float* s = a.scale + b * a.mod_stride;
        const float* t = a.shift + b * a.mod_stride;
        for (size_t ch = 0; ch < c; ++ch) yr[ch] = (xr[ch] * mb[ch] + ab[ch]) * (1.0f + s[ch]) + t[ch];
      } else {
        for (size_t ch = 0; ch < c; ++ch) yr[ch] = xr[ch] * mb[ch] + ab[ch];
      }
      if (a.silu) SiLU(yr, c, yr);
    }
  };
  if (pool) pool->ParallelFor(rows, apply, 16);
  else apply(0, rows, 0);
}

}  // namespace ddpm::kernels
