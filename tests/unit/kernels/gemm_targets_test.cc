// The GEMM microkernel of EVERY Highway target compiled into this binary and supported by this CPU
// (natively e.g. SSSE3, SSE4, AVX2, AVX3, AVX3_DL and EMU128; WASM in wasm), each with its own tile
// shape, against the scalar twin. The dispatched Gemm only ever runs the best target.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "unit/kernels/gemm_targets_test.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "hwy/highway.h"
#include "kernels/f32_gemm/gemm-inl.h"
#include "kernels/f32_gemm/gemm.h"
#include "unit/kernels/gemm_tester.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {

// Gemm's signature on this target's tile: packs B into kGemmNr panels, runs GemmPackedBlock.
void GemmThisTarget(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                    bool b_transposed, float* c, size_t ldc, bool accumulate, float*, ThreadPool*) {
  const size_t panels = (n + kGemmNr - 1) / kGemmNr;
  std::vector<float> packed(panels * kGemmNr * k + 1);
  PackGemmBPanels(n, k, b, ldb, b_transposed, kGemmNr, packed.data());
  GemmPackedBlock<kGemmMr, kGemmNr>(0, m, 0, panels, n, k, a, lda, packed.data(), nullptr, c, ldc,
                                    accumulate);
}

// Gemm's signature through the implicit-GEMM tile: A's rows are cut into `taps` segments (3 when k
// divides by 3) addressed through an indirection table, as Conv2d does.
void GemmIndirectThisTarget(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b,
                            size_t ldb, bool b_transposed, float* c, size_t ldc, bool accumulate, float*,
                            ThreadPool*) {
  const size_t taps = k % 3 == 0 ? 3 : 1, cin = k / taps;
  const size_t panels = (n + kGemmNr - 1) / kGemmNr;
  std::vector<float> packed(panels * kGemmNr * k + 1);
  PackGemmBPanels(n, k, b, ldb, b_transposed, kGemmNr, packed.data());
  std::vector<const float*> ind(m * taps);
  for (size_t i = 0; i < m; ++i) {
    for (size_t t = 0; t < taps; ++t) ind[i * taps + t] = a + i * lda + t * cin;
  }
  GemmIndirectBlock<kGemmMr, kGemmNr>(m, 0, panels, n, taps, cin, ind.data(), packed.data(), nullptr, c,
                                      ldc, accumulate);
}

void TestThisTarget() {
  using testing::GemmTester;
  INFO("f32_gemm_" << kGemmMr << "x" << kGemmNr << "__" << hwy::TargetName(HWY_TARGET));
  for (size_t k : {1, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67}) {
    for (bool bt : {false, true}) {
      GemmTester().m(kGemmMr).n(kGemmNr).k(k).b_transposed(bt).accumulate(k % 2 == 1).Test(GemmThisTarget);
    }
  }
  for (size_t m = 1; m <= kGemmMr; ++m) {
    for (size_t n = 1; n <= 2 * kGemmNr + 1; ++n) {
      GemmTester().m(m).n(n).k(7).a_stride(10).c_stride(n + 3).accumulate(n % 2 == 0).Test(GemmThisTarget);
    }
  }
  GemmTester().m(3 * kGemmMr + 1).n(kGemmNr + 1).k(601).b_stride(kGemmNr + 4).Test(GemmThisTarget);
  for (size_t k : {3, 27, 66, 67}) {
    for (size_t m = 1; m <= kGemmMr + 1; ++m) {
      GemmTester().m(m).n(2 * kGemmNr + 1).k(k).a_stride(k + 2).accumulate(m % 2 == 1)
          .Test(GemmIndirectThisTarget);
    }
  }
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {
HWY_EXPORT(TestThisTarget);

TEST_CASE("Gemm microkernel of every compiled and supported target", "[kernels][gemm]") {
  int tested = 0;
#if HWY_TARGETS == HWY_STATIC_TARGET
  // One target compiled (wasm): nothing to switch, and libhwy's target queries are not linked.
  HWY_DYNAMIC_DISPATCH(TestThisTarget)();
  ++tested;
#else
  for (int64_t target : hwy::SupportedAndGeneratedTargets()) {
    INFO("target " << hwy::TargetName(target));
    hwy::SetSupportedTargetsForTest(target);  // dispatch now picks `target`
    HWY_DYNAMIC_DISPATCH(TestThisTarget)();
    ++tested;
  }
  hwy::SetSupportedTargetsForTest(0);  // back to the CPU's real targets
#endif
  CHECK(tested >= 1);
}
}  // namespace ddpm::kernels
#endif  // HWY_ONCE
