// f32 GEMM register-tile microkernel and the single-thread blocked loop around it, per Highway target.
// Included once per target by gemm.cc (foreach_target) and by tests/benches that pin a tile shape.
//
// Reported names follow XNNPACK: f32_gemm_<MR>x<NR>__<TARGET>.

// Highway's per-target toggling include guard.
#if defined(DDPM_KERNELS_F32_GEMM_GEMM_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef DDPM_KERNELS_F32_GEMM_GEMM_INL_H_
#undef DDPM_KERNELS_F32_GEMM_GEMM_INL_H_
#else
#define DDPM_KERNELS_F32_GEMM_GEMM_INL_H_
#endif

#include <cstddef>
#include <cstring>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Tile per target, and why (register file / FMA); percentages are of MeasurePeakFlops on the same
// target, from tools/bench/gemm_tiles_bench (Xeon with AVX-512, 2 FMA ports; shared, noisy machine):
//  * AVX3 (32 zmm, FMA): 8x32 = 16 accumulators + 2 B vectors + 1 broadcast: 16 independent FMA
//    chains cover latency 4 x 2 pipes. ~87% (6x32: 74%, 12x32: 89% but wastes more on row tails).
//  * AVX2 (16 ymm, FMA): 6x16 = 12 accumulators + 2 B + 1 broadcast = 15 of 16 registers. ~92%
//    (4x24: 84%, 5x16: 85%).
//  * SSE4/SSSE3 (16 xmm, no FMA): 6x8, the same register budget with 4 lanes.
//  * WASM simd128 (16 xmm in V8, one reserved as scratch; no FMA): 4x8 = 8 accumulators + 2 B +
//    1 splat. ~95% of the mul+add peak; 5x8 ~84%, 6x8 <= 84%, 2x16 ~96% (more N padding).
//  * EMU128 / SCALAR fallbacks: 4x8 / 4x4; correctness only.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr size_t kGemmMr = 8, kGemmNr = 32;
#elif HWY_TARGET == HWY_AVX2
constexpr size_t kGemmMr = 6, kGemmNr = 16;
#elif HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3
constexpr size_t kGemmMr = 6, kGemmNr = 8;
#elif HWY_TARGET == HWY_WASM
constexpr size_t kGemmMr = 4, kGemmNr = 8;
#elif HWY_TARGET == HWY_SCALAR
constexpr size_t kGemmMr = 4, kGemmNr = 4;
#else
constexpr size_t kGemmMr = 4, kGemmNr = 8;
#endif

// One MR x NR tile of C over kc steps of k:
//   C[0..mr) x [0..NR) (+)= A[0..mr) x [0..kc) · W + bias
// a: row-major, stride lda. w: one packed panel slice, kc rows of NR floats. bias: NR floats or nullptr.
// Rows mr..MR-1 re-read row mr-1 (XNNPACK's clamped row pointers) and are never stored, so the loop
// body is the same for every mr. Columns are always the full NR: the caller handles the tail panel.
// Accumulators are a 2-D array indexed only by compile-time constants, which the compilers keep in
// registers once the constant-trip loops are fully unrolled (checked in the disassembly).
//
// A is given as segments: row r's k range is `segs` runs of `seg_len` floats starting at
// rows[r * row_stride + s]. A plain row-major A is one segment per row (GemmTile); a convolution's
// implicit GEMM is one segment per kernel tap pointing straight into the NHWC input (XNNPACK's igemm),
// so no im2col copy is needed.
template <size_t MR, size_t NR, size_t KU = 1>
HWY_INLINE void GemmTileSegments(size_t mr, size_t segs, size_t seg_len,
                                 const float* const* HWY_RESTRICT rows, size_t row_stride,
                                 const float* HWY_RESTRICT w, const float* HWY_RESTRICT bias,
                                 float* HWY_RESTRICT c, size_t ldc, bool accumulate) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  constexpr size_t L = HWY_LANES(float);
  static_assert(NR % L == 0, "NR must be a whole number of vectors");
  constexpr size_t NV = NR / L;

  const float* ar[MR];
  V acc[MR][NV];
  for (size_t v = 0; v < NV; ++v) {
    const V b0 = bias ? hn::LoadU(d, bias + v * L) : hn::Zero(d);
    for (size_t r = 0; r < MR; ++r) acc[r][v] = b0;
  }
  // One k step at offset `o` from the current A and W positions. Splatting A from memory becomes
  // wasm's v128.load32_splat (vbroadcastss natively): a load, not a shuffle on the FP ports.
  auto step = [&](size_t o) HWY_ATTR {
    V bv[NV];
    for (size_t v = 0; v < NV; ++v) bv[v] = hn::LoadU(d, w + o * NR + v * L);
    for (size_t r = 0; r < MR; ++r) {
      const V va = hn::Set(d, ar[r][o]);
      // FMA on x86 (Highway emits vfmadd even under -ffp-contract=off); mul + add on wasm.
      for (size_t v = 0; v < NV; ++v) acc[r][v] = hn::MulAdd(va, bv[v], acc[r][v]);
    }
  };
  // k unrolled by KU with pointer bumps once per KU steps. Measured (tools/bench/gemm_tiles_bench):
  // KU = 1 is best or equal everywhere; unrolling costs V8 extra live registers and spills (4x8 wasm:
  // 95% of peak at KU = 1, 81% at KU = 4), so it is only kept as a knob for the sweep.
  for (size_t s = 0; s < segs; ++s) {
    for (size_t r = 0; r < MR; ++r) ar[r] = rows[(r < mr ? r : mr - 1) * row_stride + s];
    size_t p = 0;
    for (; p + KU <= seg_len; p += KU) {
      for (size_t u = 0; u < KU; ++u) step(u);
      for (size_t r = 0; r < MR; ++r) ar[r] += KU;
      w += KU * NR;
    }
    for (; p < seg_len; ++p) {
      step(0);
      for (size_t r = 0; r < MR; ++r) ar[r] += 1;
      w += NR;
    }
  }
  for (size_t r = 0; r < MR; ++r) {
    if (r >= mr) break;
    float* cr = c + r * ldc;
    for (size_t v = 0; v < NV; ++v) {
      V out = acc[r][v];
      if (accumulate) out = hn::Add(hn::LoadU(d, cr + v * L), out);
      hn::StoreU(out, d, cr + v * L);
    }
  }
}

// The tile over a row-major A (stride lda), kc floats per row. The same loop as GemmTileSegments with
// one segment, written out on purpose: routing it through GemmTileSegments made GCC 12 keep a B vector
// on the stack (AVX3 8x32 GemmPacked fell from ~90% to ~59% of peak); this form allocates cleanly.
// With AT, A is given transposed (Aᵀ row-major, [k x m] with stride lda: A[i][p] = a[p·lda + i]): the
// per-step broadcasts of the MR rows then read MR neighbouring floats, so a training backward's dYᵀ·X
// needs no transpose of dY. Broadcasts are loads either way: the loop costs the same.
template <size_t MR, size_t NR, size_t KU = 1, bool AT = false>
HWY_INLINE void GemmTile(size_t mr, size_t kc, const float* HWY_RESTRICT a, size_t lda,
                         const float* HWY_RESTRICT w, const float* HWY_RESTRICT bias,
                         float* HWY_RESTRICT c, size_t ldc, bool accumulate) {
  const hn::ScalableTag<float> d;
  using V = hn::Vec<decltype(d)>;
  constexpr size_t L = HWY_LANES(float);
  static_assert(NR % L == 0, "NR must be a whole number of vectors");
  constexpr size_t NV = NR / L;

  const float* ar[MR];
  for (size_t r = 0; r < MR; ++r) ar[r] = a + (r < mr ? r : mr - 1) * (AT ? 1 : lda);
  const size_t kstep = AT ? lda : 1;  // floats between A[i][p] and A[i][p + 1]

  V acc[MR][NV];
  for (size_t v = 0; v < NV; ++v) {
    const V b0 = bias ? hn::LoadU(d, bias + v * L) : hn::Zero(d);
    for (size_t r = 0; r < MR; ++r) acc[r][v] = b0;
  }
  // One k step at offset `o` from the current A and W positions. Splatting A from memory becomes
  // wasm's v128.load32_splat (vbroadcastss natively): a load, not a shuffle on the FP ports.
  auto step = [&](size_t o) HWY_ATTR {
    V bv[NV];
    for (size_t v = 0; v < NV; ++v) bv[v] = hn::LoadU(d, w + o * NR + v * L);
    for (size_t r = 0; r < MR; ++r) {
      const V va = hn::Set(d, ar[r][o * kstep]);
      // FMA on x86 (Highway emits vfmadd even under -ffp-contract=off); mul + add on wasm.
      for (size_t v = 0; v < NV; ++v) acc[r][v] = hn::MulAdd(va, bv[v], acc[r][v]);
    }
  };
  // k unrolled by KU with pointer bumps once per KU steps. Measured (tools/bench/gemm_tiles_bench):
  // KU = 1 is best or equal everywhere; unrolling costs V8 extra live registers and spills (4x8 wasm:
  // 95% of peak at KU = 1, 81% at KU = 4), so it is only kept as a knob for the sweep.
  size_t p = 0;
  for (; p + KU <= kc; p += KU) {
    for (size_t u = 0; u < KU; ++u) step(u);
    for (size_t r = 0; r < MR; ++r) ar[r] += KU * kstep;
    w += KU * NR;
  }
  for (; p < kc; ++p) {
    step(0);
    for (size_t r = 0; r < MR; ++r) ar[r] += kstep;
    w += NR;
  }
  for (size_t r = 0; r < MR; ++r) {
    if (r >= mr) break;
    float* cr = c + r * ldc;
    for (size_t v = 0; v < NV; ++v) {
      V out = acc[r][v];
      if (accumulate) out = hn::Add(hn::LoadU(d, cr + v * L), out);
      hn::StoreU(out, d, cr + v * L);
    }
  }
}

// Bias for the last, partial panel (nc < NR columns), zero-padded to NR; nullptr stays nullptr.
template <size_t NR>
HWY_INLINE const float* TailBias(const float* bias, size_t nc, float* buf) {
  if (!bias) return nullptr;
  for (size_t j = 0; j < NR; ++j) buf[j] = j < nc ? bias[j] : 0.0f;
  return buf;
}

// C[mr x nc] = (accumulate ? C : 0) + tile[mr x NR] (the nc valid columns of a partial panel).
template <size_t NR>
HWY_INLINE void StoreTailTile(const float* tile, size_t mr, size_t nc, float* c, size_t ldc, bool accumulate) {
  for (size_t r = 0; r < mr; ++r) {
    float* cr = c + r * ldc;
    for (size_t j = 0; j < nc; ++j) cr[j] = accumulate ? cr[j] + tile[r * NR + j] : tile[r * NR + j];
  }
}

// k is split into equal blocks of at most kKcMax so one panel slice (kc x NR floats) stays in L1
// while all row tiles of an MC block stream past it; later blocks accumulate into C.
constexpr size_t kKcMax = 256;
constexpr size_t kMcMax = 96;

// Single-thread GemmPacked over rows [m0, m1) and panels [q0, q1) (panel q = columns q*NR..). With AT,
// A is given transposed ([k x m], stride lda; see GemmTile).
template <size_t MR, size_t NR, size_t KU = 1, bool AT = false>
HWY_NOINLINE void GemmPackedBlock(size_t m0, size_t m1, size_t q0, size_t q1, size_t n, size_t k,
                                  const float* a, size_t lda, const float* packed, const float* bias,
                                  float* c, size_t ldc, bool accumulate) {
  if (m0 >= m1 || q0 >= q1) return;
  if (k == 0) {  // C = bias (or C += bias): nothing to multiply.
    for (size_t i = m0; i < m1; ++i) {
      for (size_t j = q0 * NR; j < n && j < q1 * NR; ++j) {
        const float bj = bias ? bias[j] : 0.0f;
        c[i * ldc + j] = accumulate ? c[i * ldc + j] + bj : bj;
      }
    }
    return;
  }
  const size_t kblocks = (k + kKcMax - 1) / kKcMax;
  const size_t kc_step = (k + kblocks - 1) / kblocks;
  HWY_ALIGN float tile[MR * NR];
  HWY_ALIGN float bias_tail[NR];
  for (size_t k0 = 0; k0 < k; k0 += kc_step) {
    const size_t kc = k - k0 < kc_step ? k - k0 : kc_step;
    const bool first = k0 == 0;
    const bool acc_c = accumulate || !first;
    for (size_t i0 = m0; i0 < m1; i0 += kMcMax) {
      const size_t i1 = m1 - i0 < kMcMax ? m1 : i0 + kMcMax;
      for (size_t q = q0; q < q1; ++q) {
        const size_t j0 = q * NR;
        const size_t nc = n - j0 < NR ? n - j0 : NR;
        const float* w = packed + j0 * k + k0 * NR;
        const float* a0 = a + k0 * (AT ? lda : 1);
        const size_t row_stride = AT ? 1 : lda;
        if (nc == NR) {
          const float* bq = first && bias ? bias + j0 : nullptr;
          for (size_t i = i0; i < i1; i += MR) {
            const size_t mr = i1 - i < MR ? i1 - i : MR;
            GemmTile<MR, NR, KU, AT>(mr, kc, a0 + i * row_stride, lda, w, bq, c + i * ldc + j0, ldc, acc_c);
          }
        } else {  // Tail panel: compute a full tile on the stack, copy the nc valid columns.
          const float* bq = TailBias<NR>(first && bias ? bias + j0 : nullptr, nc, bias_tail);
          for (size_t i = i0; i < i1; i += MR) {
            const size_t mr = i1 - i < MR ? i1 - i : MR;
            GemmTile<MR, NR, KU, AT>(mr, kc, a0 + i * row_stride, lda, w, bq, tile, NR, false);
            StoreTailTile<NR>(tile, mr, nc, c + i * ldc + j0, ldc, acc_c);
          }
        }
      }
    }
  }
}

// Single-thread implicit GEMM over rows [0, m) and panels [q0, q1): row i of A is `taps` runs of
// `cin` floats at ind[i * taps + t]; B packed with k = taps * cin. No k blocking: one panel
// (taps*cin x NR floats) stays in L1/L2 while every row tile of the block streams past it.
template <size_t MR, size_t NR>
HWY_NOINLINE void GemmIndirectBlock(size_t m, size_t q0, size_t q1, size_t n, size_t taps, size_t cin,
                                    const float* const* ind, const float* packed, const float* bias,
                                    float* c, size_t ldc, bool accumulate) {
  const size_t k = taps * cin;
  HWY_ALIGN float tile[MR * NR];
  HWY_ALIGN float bias_tail[NR];
  for (size_t q = q0; q < q1; ++q) {
    const size_t j0 = q * NR;
    const size_t nc = n - j0 < NR ? n - j0 : NR;
    const float* w = packed + j0 * k;
    if (nc == NR) {
      const float* bq = bias ? bias + j0 : nullptr;
      for (size_t i = 0; i < m; i += MR) {
        const size_t mr = m - i < MR ? m - i : MR;
        GemmTileSegments<MR, NR>(mr, taps, cin, ind + i * taps, taps, w, bq, c + i * ldc + j0, ldc,
                                 accumulate);
      }
    } else {
      const float* bq = TailBias<NR>(bias ? bias + j0 : nullptr, nc, bias_tail);
      for (size_t i = 0; i < m; i += MR) {
        const size_t mr = m - i < MR ? m - i : MR;
        GemmTileSegments<MR, NR>(mr, taps, cin, ind + i * taps, taps, w, bq, tile, NR, false);
        StoreTailTile<NR>(tile, mr, nc, c + i * ldc + j0, ldc, accumulate);
      }
    }
  }
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // DDPM_KERNELS_F32_GEMM_GEMM_INL_H_
