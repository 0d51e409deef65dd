#include "nn/train/group_norm_train.h"

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/elementwise/elementwise.h"

namespace ddpm::nn::train {
namespace {

template <typename F>
void Parallel(ThreadPool* pool, size_t n, F&& f) {
  if (pool && pool->num_threads() > 1) pool->ParallelFor(n, f);
  else f(0, n, 0);
}


}  // namespace

size_t GroupNormScratchFloats(const GroupNormSpec& s) { return size_t(2) * s.batch * s.channels; }

void GroupNormForward(float* y, float* mean, float* rstd, const float* x, const float* gamma, const float* beta,
                      const GroupNormSpec& s, float* /*scratch*/, ThreadPool* pool) {
  const size_t c = s.channels, cg = c / s.groups;
  Parallel(pool, size_t(s.batch) * s.groups, [&](size_t begin, size_t end, int) {
    for (size_t bg = begin; bg < end; ++bg) {
      const size_t b = bg / s.groups, g = bg % s.groups;
      const float* xb = x + b * s.hw * c + g * cg;
      double sum = 0;
      for (int p = 0; p < s.hw; ++p)
        for (size_t j = 0; j < cg; ++j) sum += xb[p * c + j];
      const double n = double(s.hw) * cg, mu = sum / n;
      double sq = 0;
      for (int p = 0; p < s.hw; ++p)
        for (size_t j = 0; j < cg; ++j) {
          const double d = xb[p * c + j] - mu;
          sq += d * d;
        }
      mean[bg] = float(mu);
      rstd[bg] = float(1.0 / std::sqrt(sq / n + double(s.eps)));
    }
  });
  GroupNormApply(y, x, mean, rstd, gamma, beta, s, pool);
}

void GroupNormApply(float* y, const float* x, const float* mean, const float* rstd, const float* gamma,
                    const float* beta, const GroupNormSpec& s, ThreadPool* pool) {
  const size_t c = s.channels, cg = c / s.groups;
  Parallel(pool, size_t(s.batch) * s.hw, [&](size_t begin, size_t end, int) {
    // kernels::GroupNorm's fold of the affine step, one multiply-add per element: m = rstd·γ,
    // a = β − mean·m, per channel of the current sample.
    std::vector<float> m(c), a(c);
    size_t cur = SIZE_MAX;
    for (size_t row = begin; row < end; ++row) {
      const size_t b = row / s.hw;
      if (b != cur) {
        cur = b;
        for (size_t ch = 0; ch < c; ++ch) {
          const size_t bg = b * s.groups + ch / cg;
          m[ch] = rstd[bg] * gamma[ch];
          a[ch] = beta[ch] - mean[bg] * m[ch];
        }
      }
      const float* xr = x + row * c;
      float* yr = y + row * c;
      if (s.scale) {
        const float* sc = s.scale + b * s.mod_stride;
        const float* sh = s.shift + b * s.mod_stride;
        for (size_t ch = 0; ch < c; ++ch) yr[ch] = (xr[ch] * m[ch] + a[ch]) * (1.0f + sc[ch]) + sh[ch];
      } else {
        for (size_t ch = 0; ch < c; ++ch) yr[ch] = xr[ch] * m[ch] + a[ch];
      }
      if (s.silu) kernels::SiLU(yr, c, yr);  // the inference kernel's SiLU, vectorised
    }
  });
}

void GroupNormBackward(float* dx, float* dgamma, float* dbeta, float* dscale, float* dshift, const float* dy,
                       const float* x, const float* mean, const float* rstd, const float* gamma, const float* beta,
                       const GroupNormSpec& s, float* scratch, ThreadPool* pool) {
  const size_t c = s.channels, cg = c / s.groups;
  // Per-(sample, channel) partial sums, reduced over samples afterwards so threads never share a slot.
  float* pg = scratch;                          // Σ dz·x̂
  float* pb = scratch + size_t(s.batch) * c;    // Σ dz
  Parallel(pool, size_t(s.batch) * s.groups, [&](size_t begin, size_t end, int) {
    std::vector<double> sg(cg), sb(cg), ss(cg), st(cg);
    std::vector<float> dz_buf(size_t(s.hw) * cg);  // dz of one (sample, group), reused by pass 2
    std::vector<float> u_buf(s.silu ? dz_buf.size() : 0), silu_buf(u_buf.size());
    for (size_t bg = begin; bg < end; ++bg) {
      const size_t b = bg / s.groups, g = bg % s.groups;
      const float mu = mean[bg], r = rstd[bg];
      const float* gm = gamma + g * cg;
      const float* bt = beta + g * cg;
      const float* sc = s.scale ? s.scale + b * s.mod_stride + g * cg : nullptr;
      const float* sh = s.scale ? s.shift + b * s.mod_stride + g * cg : nullptr;
      std::fill(sg.begin(), sg.end(), 0.0);
      std::fill(sb.begin(), sb.end(), 0.0);
      std::fill(ss.begin(), ss.end(), 0.0);
      std::fill(st.begin(), st.end(), 0.0);
      double sum_dxh = 0, sum_dxh_xh = 0;
      // Pass 1a (SiLU only): u for the whole group, then SiLU(u) with the vectorised kernel; the
      // derivative is σ + SiLU·(1 − σ), with σ = SiLU(u)/u (its series 1/2 + u/4 near 0).
      const size_t gn = size_t(s.hw) * cg;
      if (s.silu) {
        for (int p = 0; p < s.hw; ++p) {
          const size_t base = (b * s.hw + p) * c + g * cg;
          float* up = u_buf.data() + size_t(p) * cg;
          for (size_t j = 0; j < cg; ++j) {
            const float z = (x[base + j] - mu) * r * gm[j] + bt[j];
            up[j] = sc ? z * (1.0f + sc[j]) + sh[j] : z;
          }
        }
        kernels::SiLU(u_buf.data(), gn, silu_buf.data());
      }
      // Pass 1b: dz for every element, the channel sums and the group sums.
      for (int p = 0; p < s.hw; ++p) {
        const size_t base = (b * s.hw + p) * c + g * cg;
        float* dzp = dz_buf.data() + size_t(p) * cg;
        for (size_t j = 0; j < cg; ++j) {
          const float xh = (x[base + j] - mu) * r;
          const float z = xh * gm[j] + bt[j];
          float du = dy[base + j];
          if (s.silu) {
            const size_t e = size_t(p) * cg + j;
            const float u = u_buf[e], y = silu_buf[e];
            const float sig = std::fabs(u) > 1e-3f ? y / u : 0.5f + 0.25f * u;
            du *= sig + y * (1.0f - sig);
          }
          const float dz = sc ? du * (1.0f + sc[j]) : du;
          dzp[j] = dz;
          st[j] += du;
          ss[j] += double(du) * z;
          sg[j] += double(dz) * xh;
          sb[j] += dz;
          const float dxh = dz * gm[j];
          sum_dxh += dxh;
          sum_dxh_xh += double(dxh) * xh;
        }
      }
      for (size_t j = 0; j < cg; ++j) {
        pg[b * c + g * cg + j] = float(sg[j]);
        pb[b * c + g * cg + j] = float(sb[j]);
        if (sc) {
          if (dscale) dscale[b * s.mod_stride + g * cg + j] += float(ss[j]);
          if (dshift) dshift[b * s.mod_stride + g * cg + j] += float(st[j]);
        }
      }
      if (!dx) continue;
      // Pass 2: dx = rstd·(dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) over the group.
      const double n = double(s.hw) * cg;
      const float m1 = float(sum_dxh / n), m2 = float(sum_dxh_xh / n);
      for (int p = 0; p < s.hw; ++p) {
        const size_t base = (b * s.hw + p) * c + g * cg;
        const float* dzp = dz_buf.data() + size_t(p) * cg;
        for (size_t j = 0; j < cg; ++j) {
          const float xh = (x[base + j] - mu) * r;
          dx[base + j] += r * (dzp[j] * gm[j] - m1 - xh * m2);
        }
      }
    }
  });
  for (int b = 0; b < s.batch; ++b)
    for (size_t ch = 0; ch < c; ++ch) {
      dgamma[ch] += pg[b * c + ch];
      dbeta[ch] += pb[b * c + ch];
    }
}

}  // namespace ddpm::nn::train
