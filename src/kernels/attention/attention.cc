// Multi-head attention. Small heads (head_dim <= kFusedMaxHeadDim = 16, e.g. unet_cond's 8) take a fused
// kernel, one Highway instantiation per target: per (image, head) and block of kRows queries,
//   scores = Q·Kᵀ (vectorised over keys, from a per-thread transposed copy of K), softmax per row,
//   out = P·V (vectorised over head_dim),
// all in L1-sized per-thread scratch, with ONE fork-join per call over (image, head[, query range]).
// Through the GEMM instead, head_dim 8 cost a B panel per head (an AVX3 panel is 32 wide: P·V computed
// 4x the columns it kept, QKᵀ ran k = 8 tiles that are all load/store) and three fork-joins per head.
// The softmax is folded: scores scaled as they are stored, one max pass, one exp-and-sum pass with a
// lean exp for arguments <= 0, and the 1/sum applied to the d outputs rather than the t probabilities.
// Larger heads use kernels::Gemm, which is efficient there.
#include "kernels/attention/attention.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/attention/attention.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/elementwise/elementwise.h"
#include "kernels/f32_gemm/gemm.h"

// Shared by every target's code and the dispatch below; this file is included once per target.
#ifndef DDPM_KERNELS_ATTENTION_CONSTANTS_
#define DDPM_KERNELS_ATTENTION_CONSTANTS_
namespace ddpm::kernels::attention_detail {
// Query rows per block of the fused kernel: 8 independent FMA chains (latency 4 x 2 FMA pipes), and
// QKᵀ's 8 accumulators + a K vector + a splat fit the 16 registers of AVX2 and wasm.
constexpr size_t kRows = 8;
// tools/bench/attention_bench (AVX3, 1 thread): head_dim 8: 42 vs 29 GFLOP/s through the GEMM, 16: 63 vs 58,
// 32: 79 vs 114 (the GEMM's panels are full there), so the fused kernel stops at 16.
constexpr int kFusedMaxHeadDim = 16;
// Padding of a key row to whole vectors (the widest target: 16 floats).
constexpr size_t kPad = 16;
inline size_t PadKeys(size_t t) { return (t + kPad - 1) / kPad * kPad; }
inline size_t Pad16(size_t n) { return (n + 15) / 16 * 16; }
// Per-thread scratch of the fused kernel: Kᵀ [d x tp] and the scores of one row block [kRows x tp].
inline size_t FusedThreadFloats(size_t t, size_t d) { return Pad16((d + kRows) * PadKeys(t)); }
}  // namespace ddpm::kernels::attention_detail
#endif  // DDPM_KERNELS_ATTENTION_CONSTANTS_

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;
using namespace attention_detail;

// e^x for x <= 0 (softmax arguments after the row max is subtracted), ~2 ulp: x clamped at -87 (e^-87 =
// 1.6e-38, the smallest result kept normal; anything smaller is nothing next to the row's e^0 = 1),
// n = round(x·log2 e), r = x − n·ln 2 in two steps (Cody–Waite), e^r by its degree-6 Taylor polynomial
// on |r| <= ln2/2 (remainder < 1.3e-7), times 2^n through the exponent bits. About 14 vector ops
// against ~22 for hwy::Exp, which handles the whole float range: the exps are most of the fused
// kernel's time (t² per head).
template <class D, class V = hn::Vec<D>>
HWY_INLINE V ExpNonPositive(D d, V x) {
  const hn::RebindToSigned<D> di;
  x = hn::Max(x, hn::Set(d, -87.0f));
  const V n = hn::Round(hn::Mul(x, hn::Set(d, 1.44269504088896341f)));
  V r = hn::MulAdd(n, hn::Set(d, -0.693145751953125f), x);
  r = hn::MulAdd(n, hn::Set(d, -1.428606765330187045e-6f), r);
  V p = hn::Set(d, 1.0f / 720);
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 120));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 24));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f / 6));
  p = hn::MulAdd(p, r, hn::Set(d, 0.5f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  p = hn::MulAdd(p, r, hn::Set(d, 1.0f));
  return hn::BitCast(d, hn::Add(hn::BitCast(di, p), hn::ShiftLeft<23>(hn::ConvertTo(di, n))));
}

// out[i, 0..d) for queries i in [i0, i1) of one head: q, k, v point at the head's first column of
// token 0, rows `ld` apart; out rows `ldo` apart. kt: [d x tp] scratch, s: [kRows x tp] scratch.
void FusedHead(const float* q, const float* k, const float* v, size_t ld, size_t t, size_t dh, float scale,
               size_t i0, size_t i1, float* out, size_t ldo, float* kt, float* s) {
  const hn::ScalableTag<float> df;
  using V = hn::Vec<decltype(df)>;
  const size_t L = hn::Lanes(df);
  const size_t tp = PadKeys(t);
  // Kᵀ, zero-padded to tp columns (the padded scores are computed, never used).
  for (size_t p = 0; p < dh; ++p) {
    float* row = kt + p * tp;
    for (size_t j = 0; j < t; ++j) row[j] = k[j * ld + p];
    for (size_t j = t; j < tp; ++j) row[j] = 0.0f;
  }
  // P·V vectorised over head_dim: 8 lanes where the head is a multiple of 8 (AVX2, and AVX3 at half
  // width: 16 lanes would waste half of head_dim 8), else 4; any rest column by column.
  const hn::CappedTag<float, 8> d8;
  const hn::CappedTag<float, 4> d4;
  const size_t L8 = hn::Lanes(d8), L4 = hn::Lanes(d4);
  const V vscale = hn::Set(df, scale);
  float inv_sum[kRows];

  for (size_t i = i0; i < i1; i += kRows) {
    const size_t rr = std::min(kRows, i1 - i);
    const float* qr[kRows];
    for (size_t r = 0; r < kRows; ++r) qr[r] = q + (i + std::min(r, rr - 1)) * ld;
    // 1. s[r, j] = scale · Σ_p q[r, p] · k[j, p] (torch.baddbmm with alpha = scale).
    for (size_t j = 0; j < tp; j += L) {
      V acc[kRows];
      for (size_t r = 0; r < kRows; ++r) acc[r] = hn::Zero(df);
      for (size_t p = 0; p < dh; ++p) {
        const V kv = hn::LoadU(df, kt + p * tp + j);
        for (size_t r = 0; r < kRows; ++r) acc[r] = hn::MulAdd(hn::Set(df, qr[r][p]), kv, acc[r]);
      }
      for (size_t r = 0; r < kRows; ++r) hn::StoreU(hn::Mul(acc[r], vscale), df, s + r * tp + j);
    }
    // 2. s = exp(s − max) over the t real keys; the 1/sum is applied to the output instead of to
    //    every probability.
    for (size_t r = 0; r < rr; ++r) {
      float* row = s + r * tp;
      V vmax = hn::Set(df, -INFINITY);
      size_t j = 0;
      for (; j + L <= t; j += L) vmax = hn::Max(vmax, hn::LoadU(df, row + j));
      float mx = hn::GetLane(hn::MaxOfLanes(df, vmax));
      for (; j < t; ++j) mx = std::max(mx, row[j]);
      const V vm = hn::Set(df, mx);
      V vsum = hn::Zero(df);
      for (j = 0; j + L <= t; j += L) {
        const V e = ExpNonPositive(df, hn::Sub(hn::LoadU(df, row + j), vm));
        hn::StoreU(e, df, row + j);
        vsum = hn::Add(vsum, e);
      }
      float sum = hn::GetLane(hn::SumOfLanes(df, vsum));
      for (; j < t; ++j) {
        row[j] = std::exp(row[j] - mx);
        sum += row[j];
      }
      inv_sum[r] = 1.0f / sum;
    }
    const float* sr[kRows];
    for (size_t r = 0; r < kRows; ++r) sr[r] = s + std::min(r, rr - 1) * tp;
    // 3. out[r, c] = (Σ_j e[r, j] · v[j, c]) / sum[r].
    auto pv = [&](auto dc, size_t c0) HWY_ATTR {
      using VC = hn::Vec<decltype(dc)>;
      VC acc[kRows];
      for (size_t r = 0; r < kRows; ++r) acc[r] = hn::Zero(dc);
      for (size_t j = 0; j < t; ++j) {
        const VC vv = hn::LoadU(dc, v + j * ld + c0);
        for (size_t r = 0; r < kRows; ++r) acc[r] = hn::MulAdd(hn::Set(dc, sr[r][j]), vv, acc[r]);
      }
      for (size_t r = 0; r < rr; ++r) {
        hn::StoreU(hn::Mul(acc[r], hn::Set(dc, inv_sum[r])), dc, out + (i + r) * ldo + c0);
      }
    };
    size_t c0 = 0;
    if (L8 == 8) {
      for (; c0 + 8 <= dh; c0 += 8) pv(d8, c0);
    }
    for (; c0 + L4 <= dh; c0 += L4) pv(d4, c0);
    for (; c0 < dh; ++c0) {
      for (size_t r = 0; r < rr; ++r) {
        float acc = 0;
        for (size_t j = 0; j < t; ++j) acc += sr[r][j] * v[j * ld + c0];
        out[(i + r) * ldo + c0] = acc * inv_sum[r];
      }
    }
  }
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {

HWY_EXPORT(FusedHead);
using namespace attention_detail;

namespace {
// Queries per score block of the GEMM path: bounds the scores scratch to kQueryBlock x tokens floats, so
// attention at 64x64 resolution needs 4 MB rather than tokens² = 64 MB.
constexpr size_t kQueryBlock = 256;
bool UseFused(int head_dim) { return head_dim <= kFusedMaxHeadDim; }
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
  if (UseFused(head_dim)) return size_t(std::max(threads, 1)) * FusedThreadFloats(t, d);
  const size_t scores = std::min(kQueryBlock, t) * t;
  const size_t gemm = std::max(GemmScratchFloats(t, d, threads), GemmScratchFloats(d, t, threads));
  // Keep the Gemm scratch 64-byte aligned after the scores.
  return Pad16(scores) + gemm;
}

void MultiHeadAttention(const float* qkv, int batch, int tokens, int channels, int head_dim, float scale,
                        float* out, float* scratch, ThreadPool* pool) {
  assert(channels % head_dim == 0);
  const size_t t = tokens, c = channels, d = head_dim, ld = 3 * c, heads = c / d;
  if (batch <= 0 || t == 0) return;
  if (UseFused(head_dim)) {
    // Work items: (image, head, query range). Enough of them to keep every thread busy; a query range is
    // a whole number of row blocks, and each item transposes its head's K again (t·d copies, cheap).
    const int threads = pool ? pool->num_threads() : 1;
    const size_t heads_total = size_t(batch) * heads;
    const size_t blocks = (t + kRows - 1) / kRows;
    const size_t want = 4 * size_t(threads);
    const size_t splits = heads_total >= want ? 1 : std::min(blocks, (want + heads_total - 1) / heads_total);
    const size_t per_split = (blocks + splits - 1) / splits * kRows;
    const size_t per_thread = FusedThreadFloats(t, d);
    const auto fused = HWY_DYNAMIC_DISPATCH(FusedHead);
    auto body = [&](size_t u0, size_t u1, int thread) {
      float* kt = scratch + size_t(thread) * per_thread;
      float* s = kt + d * PadKeys(t);
      for (size_t u = u0; u < u1; ++u) {
        const size_t bh = u / splits, part = u % splits, b = bh / heads, h = bh % heads;
        const size_t i0 = part * per_split, i1 = std::min(t, i0 + per_split);
        if (i0 >= i1) continue;
        const float* base = qkv + b * t * ld + h * d;
        fused(base, base + c, base + 2 * c, ld, t, d, scale, i0, i1, out + b * t * c + h * d, c, kt, s);
      }
    };
    if (threads > 1) pool->ParallelFor(heads_total * splits, body);
    else body(0, heads_total * splits, 0);
    return;
  }
  float* scores = scratch;
  float* gemm_scratch = scratch + Pad16(std::min(kQueryBlock, t) * t);
  for (int b = 0; b < batch; ++b) {
    const float* base = qkv + size_t(b) * t * ld;
    for (size_t h = 0; h < heads; ++h) {
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
#endif  // HWY_ONCE
