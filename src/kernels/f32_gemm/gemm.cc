// f32 GEMM dispatch: one instantiation of gemm-inl.h per Highway target (foreach_target), chosen at
// run time, plus the target-independent policy: threading and the per-call packing of B.
//
// Tile shapes per target: see kGemmMr/kGemmNr in gemm-inl.h.
#include "kernels/f32_gemm/gemm.h"

#include <cstdio>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/f32_gemm/gemm.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "kernels/f32_gemm/gemm-inl.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {

size_t TileMr() { return kGemmMr; }
size_t TileNr() { return kGemmNr; }

void PackedBlock(size_t m0, size_t m1, size_t q0, size_t q1, size_t n, size_t k, const float* a,
                 size_t lda, const float* packed, const float* bias, float* c, size_t ldc,
                 bool accumulate) {
  GemmPackedBlock<kGemmMr, kGemmNr>(m0, m1, q0, q1, n, k, a, lda, packed, bias, c, ldc, accumulate);
}

void PackedBlockTransposedA(size_t m0, size_t m1, size_t q0, size_t q1, size_t n, size_t k, const float* a,
                            size_t lda, const float* packed, float* c, size_t ldc, bool accumulate) {
  GemmPackedBlock<kGemmMr, kGemmNr, 1, true>(m0, m1, q0, q1, n, k, a, lda, packed, nullptr, c, ldc, accumulate);
}

void IndirectBlock(size_t m, size_t q0, size_t q1, size_t n, size_t taps, size_t cin, const float* const* ind,
                   const float* packed, const float* bias, float* c, size_t ldc, bool accumulate) {
  GemmIndirectBlock<kGemmMr, kGemmNr>(m, q0, q1, n, taps, cin, ind, packed, bias, c, ldc, accumulate);
}

const char* KernelName() {
  static char name[64];
  if (!name[0]) {
    std::snprintf(name, sizeof(name), "f32_gemm_%zux%zu__%s", kGemmMr, kGemmNr, hwy::TargetName(HWY_TARGET));
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
HWY_EXPORT(PackedBlockTransposedA);
HWY_EXPORT(KernelName);
HWY_EXPORT(IndirectBlock);

// Unqualified HWY_DYNAMIC_DISPATCH inside the namespace: the qualified form fails to build in wasm.
size_t GemmPanelWidth() {
  static const size_t nr = HWY_DYNAMIC_DISPATCH(TileNr)();
  return nr;
}

size_t GemmTileRows() {
  static const size_t mr = HWY_DYNAMIC_DISPATCH(TileMr)();
  return mr;
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

void GemmPackedTransposedA(size_t m, size_t n, size_t k, const float* a_t, size_t lda, const float* packed_b, float* c,
                           size_t ldc, bool accumulate) {
  if (m == 0 || n == 0) return;
  DDPM_KERNEL_ASSERT(c != nullptr && ldc >= n);
  DDPM_KERNEL_ASSERT(k == 0 || (a_t != nullptr && packed_b != nullptr && lda >= m));
  const size_t panels = (n + GemmPanelWidth() - 1) / GemmPanelWidth();
  HWY_DYNAMIC_DISPATCH(PackedBlockTransposedA)(0, m, 0, panels, n, k, a_t, lda, packed_b, c, ldc, accumulate);
}

void GemmIndirect(size_t m, size_t n, size_t taps, size_t cin, const float* const* ind,
                  const float* packed_b, const float* bias, float* c, size_t ldc, bool accumulate,
                  ThreadPool* pool) {
  if (m == 0 || n == 0) return;
  DDPM_KERNEL_ASSERT(c != nullptr && ldc >= n && taps > 0 && cin > 0);
  DDPM_KERNEL_ASSERT(ind != nullptr && packed_b != nullptr);
  const size_t nr = GemmPanelWidth();
  const size_t panels = (n + nr - 1) / nr;
  const auto block = HWY_DYNAMIC_DISPATCH(IndirectBlock);
  const int threads = pool ? pool->num_threads() : 1;
  if (threads <= 1 || panels == 1) {
    block(m, 0, panels, n, taps, cin, ind, packed_b, bias, c, ldc, accumulate);
  } else {
    pool->ParallelFor(panels, [&](size_t q0, size_t q1, int) {
      block(m, q0, q1, n, taps, cin, ind, packed_b, bias, c, ldc, accumulate);
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
