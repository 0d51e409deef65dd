#include "kernels/attention/attention.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "kernels/elementwise/elementwise.h"
#include "kernels/f32_gemm/gemm.h"

namespace ddpm::kernels {

namespace {
// Queries per score block: bounds the scores scratch to kQueryBlock x tokens floats, so attention at
// 64x64 resolution needs 4 MB rather than tokens² = 64 MB.
constexpr size_t kQueryBlock = 256;
}  // namespace

void ScaledSoftmaxRows(float* x, size_t rows, size_t n, float scale, ThreadPool* pool) {
  auto body = [&](size_t begin, size_t end, int) {
    for (size_t r = begin; r < end; ++r) ScaledSoftmaxRow(x + r * n, n, scale);
  };
  if (pool) pool->ParallelFor(rows, body, 8);
  else body(0, rows, 0);
}

size_t AttentionScratchFloats(int tokens, int head_dim, int threads) {
  const size_t t = tokens, d = head_dim;
  const size_t scores = std::min(kQueryBlock, t) * t;
  const size_t gemm = std::max(GemmScratchFloats(t, d, threads), GemmScratchFloats(d, t, threads));
  // Keep the Gemm scratch 64-byte aligned after the scores.
  return (scores + 15) / 16 * 16 + gemm;
}

void MultiHeadAttention(const float* qkv, int batch, int tokens, int channels, int head_dim, float scale,
                        float* out, float* scratch, ThreadPool* pool) {
  assert(channels % head_dim == 0);
  const size_t t = tokens, c = channels, d = head_dim, ld = 3 * c;
  float* scores = scratch;
  float* gemm_scratch = scratch + (std::min(kQueryBlock, t) * t + 15) / 16 * 16;
  for (int b = 0; b < batch; ++b) {
    const float* base = qkv + size_t(b) * t * ld;
    for (size_t h = 0; h < c / d; ++h) {
      const float* q = base + h * d;
      const float* k = base + c + h * d;
      const float* v = base + 2 * c + h * d;
      for (size_t q0 = 0; q0 < t; q0 += kQueryBlock) {
        const size_t qn = std::min(kQueryBlock, t - q0);
        // scores[qn x t] = Q[q0:q0+qn] · Kᵀ  (K given row-major [t x d], i.e. Bᵀ).
        Gemm(qn, t, d, q + q0 * ld, ld, k, ld, /*b_transposed=*/true, scores, t, false, gemm_scratch, pool);
        ScaledSoftmaxRows(scores, qn, t, scale, pool);
        // out[q0:q0+qn, head h] = P · V.
        Gemm(qn, d, t, scores, t, v, ld, /*b_transposed=*/false, out + (size_t(b) * t + q0) * c + h * d, c,
             false, gemm_scratch, pool);
      }
    }
  }
}

}  // namespace ddpm::kernels
