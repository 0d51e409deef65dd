#include "nn/train/attention_train.h"

#include <algorithm>

#include "kernels/attention/attention.h"
#include "kernels/f32_gemm/gemm.h"
#include "nn/train/split_work.h"

namespace ddpm::nn::train {
namespace {

// dst[n x m] = srcᵀ for src [m x n] with row stride lds (a head's slice of q or dO: n = head_dim is small).
void Transpose(const float* src, size_t m, size_t n, size_t lds, float* dst) {
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) dst[j * m + i] = src[i * lds + j];
}

}  // namespace

size_t AttentionForwardScratchFloats(int tokens, int head_dim, int threads) {
  return kernels::AttentionScratchFloats(tokens, head_dim, threads);
}

size_t AttentionBackwardScratchFloats(int tokens, int head_dim, int threads) {
  const size_t t = tokens, d = head_dim;
  const size_t gemm = std::max({kernels::GemmScratchFloats(t, d, threads), kernels::GemmScratchFloats(d, t, threads),
                                kernels::GemmScratchFloats(t, t, threads)});
  return 2 * Pad16(t * t) + std::max(Pad16(t * t), 2 * Pad16(d * t)) + gemm;
}

void AttentionForward(float* o, const float* qkv, int batch, int tokens, int channels, int head_dim, float scale,
                      float* scratch, ThreadPool* pool) {
  kernels::MultiHeadAttention(qkv, batch, tokens, channels, head_dim, scale, o, scratch, pool);
}

void AttentionBackward(float* dqkv, const float* dout, const float* qkv, int batch, int tokens, int channels,
                       int head_dim, float scale, float* scratch, ThreadPool* pool) {
  const size_t t = tokens, c = channels, d = head_dim, ld = 3 * c;
  float* p = scratch;                   // [T, T] probabilities
  float* ds = p + Pad16(t * t);         // [T, T] dP, then dS
  float* small = ds + Pad16(t * t);     // [d, T] x 2: a transposed Q or dO, and a transposed result
  float* small_out = small + Pad16(d * t);
  float* gemm_scratch = small + std::max(Pad16(t * t), 2 * Pad16(d * t));
  // Adds rᵀ (r: [d x T]) into the [T x d] block at dst (row stride ld).
  auto add_transposed = [&](const float* r, float* dst) {
    for (size_t i = 0; i < t; ++i)
      for (size_t k = 0; k < d; ++k) dst[i * ld + k] += r[k * t + i];
  };
  for (int b = 0; b < batch; ++b) {
    const float* base = qkv + size_t(b) * t * ld;
    float* dbase = dqkv + size_t(b) * t * ld;
    const float* dob = dout + size_t(b) * t * c;
    for (size_t h = 0; h < c / d; ++h) {
      const float* q = base + h * d;
      const float* k = base + c + h * d;
      const float* v = base + 2 * c + h * d;
      const float* dO = dob + h * d;
      // P = softmax(Q·Kᵀ·scale), exactly as the forward kernel computed it.
      kernels::Gemm(t, t, d, q, ld, k, ld, /*b_transposed=*/true, p, t, false, gemm_scratch, pool);
      kernels::ScaledSoftmaxRows(p, t, t, scale, pool);
      // dV = Pᵀ·dO, computed as dVᵀ[d x T] = dOᵀ·P: transposing dO (T x d) is cheap, P (T x T) is not.
      Transpose(dO, t, d, c, small);
      kernels::Gemm(d, t, t, small, t, p, t, false, small_out, t, false, gemm_scratch, pool);
      add_transposed(small_out, dbase + 2 * c + h * d);
      // dP = dO·Vᵀ;  dS = P ⊙ (dP − Σ_j dP·P) · scale (the scale of the scores folded in here)
      kernels::Gemm(t, t, d, dO, c, v, ld, /*b_transposed=*/true, ds, t, false, gemm_scratch, pool);
      Parallel(pool, t, [&](size_t r0, size_t r1, int) {
        for (size_t r = r0; r < r1; ++r) {
          float* dsr = ds + r * t;
          const float* pr = p + r * t;
          double dot = 0;
          for (size_t j = 0; j < t; ++j) dot += double(dsr[j]) * pr[j];
          const float fd = float(dot);
          for (size_t j = 0; j < t; ++j) dsr[j] = pr[j] * (dsr[j] - fd) * scale;
        }
      }, 8);
      // dQ += dS·K;  dK = dSᵀ·Q as dKᵀ[d x T] = Qᵀ·dS
      kernels::Gemm(t, d, t, ds, t, k, ld, false, dbase + h * d, ld, true, gemm_scratch, pool);
      Transpose(q, t, d, ld, small);
      kernels::Gemm(d, t, t, small, t, ds, t, false, small_out, t, false, gemm_scratch, pool);
      add_transposed(small_out, dbase + c + h * d);
    }
  }
}

}  // namespace ddpm::nn::train
