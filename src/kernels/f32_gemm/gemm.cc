// f32 GEMM dispatch: one instantiation of gemm-inl.h per Highway target (foreach_target), chosen at
// run time, plus the target-independent policy: threading and the per-call packing of B.
//
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
#include "kernels/f32_gemm/gemm.h"

#include <cstdio>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/f32_gemm/gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/f32_gemm/gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {

#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr size_t kMr = 8, kNr = 32;
#elif HWY_TARGET == HWY_AVX2
constexpr size_t kMr = 6, kNr = 16;
#elif HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_SSSE3
constexpr size_t kMr = 6, kNr = 8;
#elif HWY_TARGET == HWY_WASM
constexpr size_t kMr = 4, kNr = 8;
#elif HWY_TARGET == HWY_SCALAR
constexpr size_t kMr = 4, kNr = 4;
#else
constexpr size_t kMr = 4, kNr = 8;
#endif

size_t TileMr() { return kMr; }
size_t TileNr() { return kNr; }

void PackedBlock(size_t m0, size_t m1, size_t q0, size_t q1, size_t n, size_t k, const float* a,
                 size_t lda, const float* packed, const float* bias, float* c, size_t ldc,
                 bool accumulate) {
  GemmPackedBlock<kMr, kNr>(m0, m1, q0, q1, n, k, a, lda, packed, bias, c, ldc, accumulate);
}

const char* KernelName() {
  static char name[64];
  if (!name[0]) {
    std::snprintf(name, sizeof(name), "f32_gemm_%zux%zu__%s", kMr, kNr, hwy::TargetName(HWY_TARGET));
  }
  return name;
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {

HWY_EXPORT(TileMr);
HWY_EXPORT(TileNr);
HWY_EXPORT(PackedBlock);
HWY_EXPORT(KernelName);

// Unqualified HWY_DYNAMIC_DISPATCH inside the namespace: the qualified form fails to build in wasm.
size_t GemmPanelWidth() {
  static const size_t nr = HWY_DYNAMIC_DISPATCH(TileNr)();
  return nr;
}

const char* GemmKernelName() { return HWY_DYNAMIC_DISPATCH(KernelName)(); }

size_t GemmScratchFloats(size_t n, size_t k, int /*threads*/) { return PackedGemmBFloats(n, k); }

void GemmPacked(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* packed_b,
                const float* bias, float* c, size_t ldc, bool accumulate, ThreadPool* pool) {
  if (m == 0 || n == 0) return;
  DDPM_KERNEL_ASSERT(c != nullptr && ldc >= n);
  DDPM_KERNEL_ASSERT(k == 0 || (a != nullptr && packed_b != nullptr && lda >= k));
  static const size_t mr = HWY_DYNAMIC_DISPATCH(TileMr)();
  const size_t nr = GemmPanelWidth();
  const size_t panels = (n + nr - 1) / nr;
  const auto block = HWY_DYNAMIC_DISPATCH(PackedBlock);
  const int threads = pool ? pool->num_threads() : 1;
  if (threads <= 1) {
    block(0, m, 0, panels, n, k, a, lda, packed_b, bias, c, ldc, accumulate);
  } else if (m >= 4 * mr * size_t(threads) || panels < size_t(threads)) {
    // Split rows (in whole tiles): every thread reads all of B, writes disjoint rows of C.
    pool->ParallelFor(
        m, [&](size_t i0, size_t i1, int) {
          block(i0, i1, 0, panels, n, k, a, lda, packed_b, bias, c, ldc, accumulate);
        },
        mr);
  } else {
    // Few rows (a Linear on a small batch): split panels of B instead.
    pool->ParallelFor(panels, [&](size_t q0, size_t q1, int) {
      block(0, m, q0, q1, n, k, a, lda, packed_b, bias, c, ldc, accumulate);
    });
  }
}

void Gemm(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
          bool b_transposed, float* c, size_t ldc, bool accumulate, float* scratch, ThreadPool* pool) {
  if (m == 0 || n == 0) return;
  DDPM_KERNEL_ASSERT(k == 0 || b != nullptr);
  DDPM_KERNEL_ASSERT(k == 0 || scratch != nullptr);
  if (k > 0) PackGemmB(n, k, b, ldb, b_transposed, scratch);
  GemmPacked(m, n, k, a, lda, scratch, nullptr, c, ldc, accumulate, pool);
}

}  // namespace ddpm::kernels
#endif  // HWY_ONCE
