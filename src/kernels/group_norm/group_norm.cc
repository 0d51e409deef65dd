// GroupNorm (+ per-sample scale/shift, + SiLU) per Highway target. NHWC keeps a group's channels
// interleaved with the others' (unet_cond: groups of 4 channels in rows of 32), so the statistics are
// vectorised across the channels of a row and reduced per group at the end, and the work items are
// (sample, run of whole groups) so that batch 1 still splits over threads. Sums are in double, two
// passes (the inputs can have large means). The apply pass fuses the affine fold, the modulation and
// SiLU in one sweep over the row, with the arithmetic of the scalar code it replaced (mul, then add:
// no FMA; SiLU = x / (1 + exp(min(-x, 88))) as kernels::SiLU).
#include "kernels/group_norm/group_norm.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/group_norm/group_norm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"

#ifndef DDPM_KERNELS_GROUP_NORM_CONSTANTS_
#define DDPM_KERNELS_GROUP_NORM_CONSTANTS_
namespace ddpm::kernels::group_norm_detail {
// Channels per statistics work item (whole groups; a group wider than this is one item): the double
// accumulators of a run live on the stack.
constexpr size_t kRunChannels = 64;
constexpr size_t kMaxRunChannels = 512;  // wider groups take the scalar path
}  // namespace ddpm::kernels::group_norm_detail
#endif

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using namespace group_norm_detail;

// Per-channel sums over the hw pixels of channels [c0, c0 + n) of one sample (rows `c` floats apart):
// s1[j] = Σ x, then, given the per-channel mean mu[j], s2[j] = Σ (x - mu)².
#if HWY_TARGET == HWY_WASM || HWY_TARGET == HWY_EMU128 || HWY_TARGET == HWY_SCALAR
// Highway 1.0.3 has no f32 -> f64 PromoteTo for wasm: plain loops over contiguous channels.
void ChannelSums(const float* x, size_t hw, size_t c, size_t n, double* s1) {
  for (size_t j = 0; j < n; ++j) s1[j] = 0;
  for (size_t p = 0; p < hw; ++p)
    for (size_t j = 0; j < n; ++j) s1[j] += x[p * c + j];
}

void ChannelSquares(const float* x, size_t hw, size_t c, size_t n, const double* mu, double* s2) {
  for (size_t j = 0; j < n; ++j) s2[j] = 0;
  for (size_t p = 0; p < hw; ++p)
    for (size_t j = 0; j < n; ++j) {
      const double d = x[p * c + j] - mu[j];
      s2[j] += d * d;
    }
}
#else
void ChannelSums(const float* x, size_t hw, size_t c, size_t n, double* s1) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;  // as many floats as a double vector has lanes
  const size_t LD = hn::Lanes(dd);
  for (size_t j = 0; j < n; ++j) s1[j] = 0;
  for (size_t p = 0; p < hw; ++p) {
    const float* row = x + p * c;
    size_t j = 0;
    for (; j + LD <= n; j += LD) {
      hn::StoreU(hn::Add(hn::LoadU(dd, s1 + j), hn::PromoteTo(dd, hn::LoadU(df, row + j))), dd, s1 + j);
    }
    for (; j < n; ++j) s1[j] += row[j];
  }
}

void ChannelSquares(const float* x, size_t hw, size_t c, size_t n, const double* mu, double* s2) {
  const hn::ScalableTag<double> dd;
  const hn::Rebind<float, decltype(dd)> df;
  const size_t LD = hn::Lanes(dd);
  for (size_t j = 0; j < n; ++j) s2[j] = 0;
  for (size_t p = 0; p < hw; ++p) {
    const float* row = x + p * c;
    size_t j = 0;
    for (; j + LD <= n; j += LD) {
      const auto d = hn::Sub(hn::PromoteTo(dd, hn::LoadU(df, row + j)), hn::LoadU(dd, mu + j));
      hn::StoreU(hn::Add(hn::LoadU(dd, s2 + j), hn::Mul(d, d)), dd, s2 + j);
    }
    for (; j < n; ++j) {
      const double d = row[j] - mu[j];
      s2[j] += d * d;
    }
  }
}
#endif

// Rows [r0, r1) of y = ((x·m + a)·(1 + scale) + shift), then SiLU if asked; m, a, scale, shift per channel
// of the row's sample (scale/shift may be null).
void ApplyRows(const float* x, float* y, size_t c, size_t hw, size_t r0, size_t r1, const float* mul,
               const float* add, const float* scale, const float* shift, size_t mod_stride, bool silu) {
  const hn::ScalableTag<float> df;
  const size_t L = hn::Lanes(df);
  const auto one = hn::Set(df, 1.0f), cap = hn::Set(df, 88.0f);
  for (size_t r = r0; r < r1; ++r) {
    const size_t b = r / hw;
    const float* xr = x + r * c;
    float* yr = y + r * c;
    const float* mb = mul + b * c;
    const float* ab = add + b * c;
    const float* s = scale ? scale + b * mod_stride : nullptr;
    const float* t = scale ? shift + b * mod_stride : nullptr;
    size_t ch = 0;
    for (; ch + L <= c; ch += L) {
      auto v = hn::Add(hn::Mul(hn::LoadU(df, xr + ch), hn::LoadU(df, mb + ch)), hn::LoadU(df, ab + ch));
      if (s) v = hn::Add(hn::Mul(v, hn::Add(one, hn::LoadU(df, s + ch))), hn::LoadU(df, t + ch));
      if (silu) v = hn::Div(v, hn::Add(one, hn::Exp(df, hn::Min(hn::Neg(v), cap))));
      hn::StoreU(v, df, yr + ch);
    }
    for (; ch < c; ++ch) {
      float v = xr[ch] * mb[ch] + ab[ch];
      if (s) v = v * (1.0f + s[ch]) + t[ch];
      if (silu) v = v / (1.0f + std::exp(-v));
      yr[ch] = v;
    }
  }
}

// Backward pass 1 over one sample's hw rows of c channels. Per channel: the forward's fold (mul, add),
// xh = x·xr + xo, the modulation s1 = 1 + scale and sh = shift (ones and zeros without it). Per element:
//   z = x·mul + add;  u = z·s1 + sh;  du = dy·SiLU'(u) (or dy);  dz = du·s1 (stored for pass 2)
// and per channel sums[0..3] = Σ du, Σ du·z, Σ dz·xh, Σ dz: float within blocks of kRowBlock rows,
// double across blocks. `blk` holds 4c floats.
constexpr size_t kRowBlock = 64;

void BackwardSums(size_t hw, size_t c, const float* x, const float* dy, const float* mul, const float* add,
                  const float* xr, const float* xo, const float* s1, const float* sh, bool silu, float* dz,
                  float* blk, double* sums) {
  const hn::ScalableTag<float> df;
  const size_t L = hn::Lanes(df);
  const auto one = hn::Set(df, 1.0f), cap = hn::Set(df, 88.0f);
  float* b0 = blk;
  float* b1 = blk + c;
  float* b2 = blk + 2 * c;
  float* b3 = blk + 3 * c;
  for (size_t i = 0; i < 4 * c; ++i) sums[i] = 0.0;
  for (size_t p0 = 0; p0 < hw; p0 += kRowBlock) {
    const size_t p1 = hw - p0 < kRowBlock ? hw : p0 + kRowBlock;
    for (size_t i = 0; i < 4 * c; ++i) blk[i] = 0.0f;
    for (size_t p = p0; p < p1; ++p) {
      const float* xp = x + p * c;
      const float* dyp = dy + p * c;
      float* dzp = dz + p * c;
      size_t ch = 0;
      for (; ch + L <= c; ch += L) {
        const auto xv = hn::LoadU(df, xp + ch);
        const auto z = hn::Add(hn::Mul(xv, hn::LoadU(df, mul + ch)), hn::LoadU(df, add + ch));
        const auto sv = hn::LoadU(df, s1 + ch);
        auto du = hn::LoadU(df, dyp + ch);
        if (silu) {
          const auto u = hn::Add(hn::Mul(z, sv), hn::LoadU(df, sh + ch));
          const auto sig = hn::Div(one, hn::Add(one, hn::Exp(df, hn::Min(hn::Neg(u), cap))));
          // SiLU'(u) = σ + u·σ·(1 − σ)
          du = hn::Mul(du, hn::Add(sig, hn::Mul(hn::Mul(u, sig), hn::Sub(one, sig))));
        }
        const auto dzv = hn::Mul(du, sv);
        hn::StoreU(dzv, df, dzp + ch);
        const auto xh = hn::Add(hn::Mul(xv, hn::LoadU(df, xr + ch)), hn::LoadU(df, xo + ch));
        hn::StoreU(hn::Add(hn::LoadU(df, b0 + ch), du), df, b0 + ch);
        hn::StoreU(hn::Add(hn::LoadU(df, b1 + ch), hn::Mul(du, z)), df, b1 + ch);
        hn::StoreU(hn::Add(hn::LoadU(df, b2 + ch), hn::Mul(dzv, xh)), df, b2 + ch);
        hn::StoreU(hn::Add(hn::LoadU(df, b3 + ch), dzv), df, b3 + ch);
      }
      for (; ch < c; ++ch) {
        const float z = xp[ch] * mul[ch] + add[ch];
        float du = dyp[ch];
        if (silu) {
          const float u = z * s1[ch] + sh[ch];
          const float sig = 1.0f / (1.0f + std::exp(std::min(-u, 88.0f)));
          du *= sig + u * sig * (1.0f - sig);
        }
        const float dzv = du * s1[ch];
        dzp[ch] = dzv;
        b0[ch] += du;
        b1[ch] += du * z;
        b2[ch] += dzv * (xp[ch] * xr[ch] + xo[ch]);
        b3[ch] += dzv;
      }
    }
    for (size_t i = 0; i < 4 * c; ++i) sums[i] += blk[i];
  }
}

// Backward pass 2: dx += dz·a + x·b + e per channel, over hw rows of c channels.
void BackwardInput(size_t hw, size_t c, const float* x, const float* dz, const float* a, const float* b,
                   const float* e, float* dx) {
  const hn::ScalableTag<float> df;
  const size_t L = hn::Lanes(df);
  for (size_t p = 0; p < hw; ++p) {
    const float* xp = x + p * c;
    const float* dzp = dz + p * c;
    float* dxp = dx + p * c;
    size_t ch = 0;
    for (; ch + L <= c; ch += L) {
      auto v = hn::Add(hn::Mul(hn::LoadU(df, dzp + ch), hn::LoadU(df, a + ch)),
                       hn::Mul(hn::LoadU(df, xp + ch), hn::LoadU(df, b + ch)));
      v = hn::Add(v, hn::LoadU(df, e + ch));
      hn::StoreU(hn::Add(hn::LoadU(df, dxp + ch), v), df, dxp + ch);
    }
    for (; ch < c; ++ch) dxp[ch] += dzp[ch] * a[ch] + xp[ch] * b[ch] + e[ch];
  }
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {

HWY_EXPORT(ChannelSums);
HWY_EXPORT(ChannelSquares);
HWY_EXPORT(ApplyRows);
HWY_EXPORT(BackwardSums);
HWY_EXPORT(BackwardInput);
using namespace group_norm_detail;

size_t GroupNormScratchFloats(int batch, int channels) { return size_t(2) * batch * channels; }

namespace {
// y = (x·mul + add) per (sample, channel), then the modulation and SiLU of `a`, split over rows.
void ApplyFolded(const GroupNormArgs& a, const float* x, const float* mul, const float* add, float* y,
                 ThreadPool* pool) {
  const size_t c = a.channels, hw = a.hw, rows = size_t(a.batch) * hw;
  const auto apply_rows = HWY_DYNAMIC_DISPATCH(ApplyRows);
  auto apply = [&](size_t begin, size_t end, int) {
    apply_rows(x, y, c, hw, begin, end, mul, add, a.scale, a.shift, a.mod_stride, a.silu);
  };
  if (pool) pool->ParallelFor(rows, apply, 16);
  else apply(0, rows, 0);
}
}  // namespace

void GroupNorm(const GroupNormArgs& a, const float* x, float* y, float* scratch, ThreadPool* pool) {
  assert(a.groups > 0 && a.channels % a.groups == 0);
  const size_t cg = a.channels / a.groups;
  const size_t c = a.channels, hw = a.hw;
  float* mul = scratch;                        // [batch, channels]
  float* add = scratch + size_t(a.batch) * c;  // [batch, channels]

  // Statistics per work item (sample, run of whole groups): per-channel double sums, reduced per group.
  // Runs of whole groups, at most kRunChannels wide, and small enough that a small batch still gives
  // every thread two items.
  const int threads = pool ? pool->num_threads() : 1;
  size_t groups_per_run = std::max<size_t>(1, kRunChannels / cg);
  if (threads > 1) {
    const size_t runs_wanted = (2 * size_t(threads) + a.batch - 1) / a.batch;
    groups_per_run = std::max<size_t>(1, std::min(groups_per_run, (a.groups + runs_wanted - 1) / runs_wanted));
  }
  const size_t runs = (a.groups + groups_per_run - 1) / groups_per_run;
  const auto sums = HWY_DYNAMIC_DISPATCH(ChannelSums);
  const auto squares = HWY_DYNAMIC_DISPATCH(ChannelSquares);
  auto stats = [&](size_t begin, size_t end, int) {
    HWY_ALIGN double s[kMaxRunChannels], mu[kMaxRunChannels];
    for (size_t item = begin; item < end; ++item) {
      const size_t b = item / runs, g0 = item % runs * groups_per_run;
      const size_t g1 = std::min<size_t>(a.groups, g0 + groups_per_run);
      const size_t c0 = g0 * cg, n = (g1 - g0) * cg;
      const float* xb = x + b * hw * c + c0;
      const double count = double(hw) * cg;
      double mean[kMaxRunChannels], rstd[kMaxRunChannels];  // per group of the run
      if (n <= kMaxRunChannels) {
        sums(xb, hw, c, n, s);
        for (size_t g = 0; g < g1 - g0; ++g) {
          double sum = 0;
          for (size_t j = 0; j < cg; ++j) sum += s[g * cg + j];
          mean[g] = sum / count;
          for (size_t j = 0; j < cg; ++j) mu[g * cg + j] = mean[g];
        }
        squares(xb, hw, c, n, mu, s);
        for (size_t g = 0; g < g1 - g0; ++g) {
          double sq = 0;
          for (size_t j = 0; j < cg; ++j) sq += s[g * cg + j];
          rstd[g] = 1.0 / std::sqrt(sq / count + double(a.eps));
        }
      } else {  // one group wider than the stack buffers: scalar, in double
        double sum = 0, sq = 0;
        for (size_t p = 0; p < hw; ++p)
          for (size_t j = 0; j < cg; ++j) sum += xb[p * c + j];
        mean[0] = sum / count;
        for (size_t p = 0; p < hw; ++p)
          for (size_t j = 0; j < cg; ++j) {
            const double d = xb[p * c + j] - mean[0];
            sq += d * d;
          }
        rstd[0] = 1.0 / std::sqrt(sq / count + double(a.eps));
      }
      for (size_t g = 0; g < g1 - g0; ++g) {
        if (a.mean_out) a.mean_out[b * a.groups + g0 + g] = float(mean[g]);
        if (a.rstd_out) a.rstd_out[b * a.groups + g0 + g] = float(rstd[g]);
      }
      // torch's CPU kernel also folds the affine step into one multiply-add per element.
      for (size_t g = 0; g < g1 - g0; ++g) {
        for (size_t j = 0; j < cg; ++j) {
          const size_t ch = c0 + g * cg + j;
          const float m = float(rstd[g]) * a.gamma[ch];
          mul[b * c + ch] = m;
          add[b * c + ch] = a.beta[ch] - float(mean[g]) * m;
        }
      }
    }
  };
  if (pool) pool->ParallelFor(size_t(a.batch) * runs, stats);
  else stats(0, size_t(a.batch) * runs, 0);

  ApplyFolded(a, x, mul, add, y, pool);
}

void GroupNormApplySaved(const GroupNormArgs& a, const float* x, const float* mean, const float* rstd, float* y,
                         float* scratch, ThreadPool* pool) {
  const size_t c = a.channels, cg = c / a.groups, hw = a.hw;
  float* mul = scratch;                        // [batch, channels]
  float* add = scratch + size_t(a.batch) * c;  // [batch, channels]
  for (size_t b = 0; b < size_t(a.batch); ++b)
    for (size_t ch = 0; ch < c; ++ch) {
      const size_t bg = b * a.groups + ch / cg;
      const float m = rstd[bg] * a.gamma[ch];  // the fold GroupNorm makes, from the same floats
      mul[b * c + ch] = m;
      add[b * c + ch] = a.beta[ch] - mean[bg] * m;
    }
  ApplyFolded(a, x, mul, add, y, pool);
}

namespace {
// Per-thread floats of the backward: dz of one sample, 4 float block sums, 9 per-channel coefficient
// rows, 4 double sums; per channel.
size_t BackwardThreadFloats(size_t hw, size_t c) { return (hw + 4 + 9 + 8) * c + 16; }
}  // namespace

size_t GroupNormBackwardScratchFloats(int batch, int hw, int channels, int threads) {
  return size_t(std::max(threads, 1)) * BackwardThreadFloats(hw, channels) + size_t(2) * batch * channels;
}

void GroupNormBackward(const GroupNormArgs& a, const float* x, const float* dy, const float* mean,
                       const float* rstd, float* dx, float* dgamma, float* dbeta, float* dscale, float* dshift,
                       float* scratch, ThreadPool* pool) {
  assert(a.groups > 0 && a.channels % a.groups == 0);
  const size_t c = a.channels, cg = c / a.groups, hw = a.hw, batch = a.batch;
  const size_t per_thread = BackwardThreadFloats(hw, c);
  const int threads = pool ? pool->num_threads() : 1;
  float* pg = scratch + size_t(threads) * per_thread;  // [batch, c] Σ dz·xh per sample (→ dgamma)
  float* pb = pg + batch * c;                          // [batch, c] Σ dz per sample (→ dbeta)
  const auto sums_pass = HWY_DYNAMIC_DISPATCH(BackwardSums);
  const auto input_pass = HWY_DYNAMIC_DISPATCH(BackwardInput);
  auto run = [&](size_t begin, size_t end, int t) {
    float* dz = scratch + size_t(t) * per_thread;
    float* blk = dz + hw * c;
    float* mul = blk + 4 * c;
    float* add = mul + c;
    float* xr = add + c;
    float* xo = xr + c;
    float* s1 = xo + c;
    float* sh = s1 + c;
    float* ca = sh + c;
    float* cb = ca + c;
    float* ce = cb + c;
    double* sums = reinterpret_cast<double*>((reinterpret_cast<uintptr_t>(ce + c) + 7) & ~uintptr_t(7));
    for (size_t b = begin; b < end; ++b) {
      for (size_t ch = 0; ch < c; ++ch) {
        const size_t bg = b * a.groups + ch / cg;
        const float r = rstd[bg], mu = mean[bg];
        mul[ch] = r * a.gamma[ch];
        add[ch] = a.beta[ch] - mu * mul[ch];
        xr[ch] = r;
        xo[ch] = -mu * r;
        s1[ch] = a.scale ? 1.0f + a.scale[b * a.mod_stride + ch] : 1.0f;
        sh[ch] = a.scale ? a.shift[b * a.mod_stride + ch] : 0.0f;
      }
      const float* xb = x + b * hw * c;
      sums_pass(hw, c, xb, dy + b * hw * c, mul, add, xr, xo, s1, sh, a.silu, dz, blk, sums);
      const double* s_du = sums;
      const double* s_duz = sums + c;
      const double* s_dzxh = sums + 2 * c;
      const double* s_dz = sums + 3 * c;
      for (size_t ch = 0; ch < c; ++ch) {
        pg[b * c + ch] = float(s_dzxh[ch]);
        pb[b * c + ch] = float(s_dz[ch]);
        if (dscale) dscale[b * a.mod_stride + ch] += float(s_duz[ch]);
        if (dshift) dshift[b * a.mod_stride + ch] += float(s_du[ch]);
      }
      if (!dx) continue;
      // dx = rstd·(dz·γ − m1 − xh·m2), m1 = mean over the group of dz·γ, m2 = mean of dz·γ·xh.
      const double n = double(hw) * cg;
      for (size_t g = 0; g < size_t(a.groups); ++g) {
        double m1 = 0, m2 = 0;
        for (size_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
          m1 += double(a.gamma[ch]) * s_dz[ch];
          m2 += double(a.gamma[ch]) * s_dzxh[ch];
        }
        m1 /= n;
        m2 /= n;
        const double r = rstd[b * a.groups + g], mu = mean[b * a.groups + g];
        for (size_t ch = g * cg; ch < (g + 1) * cg; ++ch) {
          ca[ch] = float(r * a.gamma[ch]);
          cb[ch] = float(-r * r * m2);
          ce[ch] = float(-r * m1 + r * r * m2 * mu);
        }
      }
      input_pass(hw, c, xb, dz, ca, cb, ce, dx + b * hw * c);
    }
  };
  if (pool) pool->ParallelFor(batch, run);
  else run(0, batch, 0);
  for (size_t b = 0; b < batch; ++b)
    for (size_t ch = 0; ch < c; ++ch) {
      dgamma[ch] += pg[b * c + ch];
      dbeta[ch] += pb[b * c + ch];
    }
}

}  // namespace ddpm::kernels
#endif  // HWY_ONCE
