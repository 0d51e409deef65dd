// f32 GEMM against its scalar twin over awkward sizes (XNNPACK's k_eq/k_lt/k_gt, n_gt/n_div, subtile,
// strided cases), on the microkernel this machine dispatches to.
#include <catch2/catch.hpp>

#include <vector>

#include "kernels/f32_gemm/gemm.h"
#include "unit/kernels/gemm_tester.h"

using ddpm::kernels::Gemm;
using ddpm::kernels::GemmKernelName;
using ddpm::kernels::GemmPanelWidth;
using ddpm::kernels::testing::GemmTester;

namespace {
const std::vector<size_t> kPrimeK = {1, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67};
constexpr size_t kMaxMr = 8;  // the largest row tile of any target (AVX3: 8x32)
}  // namespace

TEST_CASE("Gemm: every prime k up to 67, full and partial tiles", "[kernels][gemm]") {
  INFO(GemmKernelName());
  const size_t nr = GemmPanelWidth();
  for (size_t k : kPrimeK) {
    for (bool bt : {false, true}) {
      for (bool acc : {false, true}) {
        GemmTester().m(kMaxMr).n(nr).k(k).b_transposed(bt).accumulate(acc).Test(Gemm);
        GemmTester().m(3).n(2 * nr + 1).k(k).b_transposed(bt).accumulate(acc).Test(Gemm);
      }
    }
  }
}

TEST_CASE("Gemm: m in 1..MR+1 by n in 1..2NR+1 (subtiles)", "[kernels][gemm]") {
  INFO(GemmKernelName());
  const size_t nr = GemmPanelWidth();
  for (size_t m = 1; m <= kMaxMr + 1; ++m) {
    for (size_t n = 1; n <= 2 * nr + 1; ++n) {
      GemmTester().m(m).n(n).k(13).accumulate(n % 2 == 1).b_transposed(m % 2 == 0).Test(Gemm);
    }
  }
}

TEST_CASE("Gemm: padded strides for A, B and C", "[kernels][gemm]") {
  const size_t nr = GemmPanelWidth();
  for (bool bt : {false, true}) {
    for (bool acc : {false, true}) {
      for (size_t n : {nr - 1, nr, nr + 3}) {
        const size_t k = 29;
        GemmTester().m(7).n(n).k(k).a_stride(k + 3).b_stride((bt ? k : n) + 5).c_stride(n + 7)
            .b_transposed(bt).accumulate(acc).Test(Gemm);
      }
    }
  }
}

TEST_CASE("Gemm: large k splits into cache blocks; threads split rows or panels", "[kernels][gemm]") {
  for (int threads : {1, 2}) {
    for (bool acc : {false, true}) {
      GemmTester().m(67).n(45).k(300).accumulate(acc).threads(threads).Test(Gemm);   // 2 k blocks
      GemmTester().m(101).n(70).k(577).b_transposed(true).threads(threads).Test(Gemm);  // 3 k blocks
      GemmTester().m(3).n(131).k(64).accumulate(acc).threads(threads).Test(Gemm);  // few rows
    }
  }
}

TEST_CASE("Gemm: k = 0 gives zero (or leaves C unchanged when accumulating)", "[kernels][gemm]") {
  for (bool acc : {false, true}) GemmTester().m(4).n(9).k(0).accumulate(acc).Test(Gemm);
}

namespace {
// GemmPackedTransposedA behind Gemm's signature: A is handed over transposed (with a padded stride),
// B packed first.
void GemmViaTransposedA(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                        bool b_transposed, float* c, size_t ldc, bool accumulate, float*, ddpm::ThreadPool*) {
  const size_t ld_t = m + 3;
  std::vector<float> a_t(k * ld_t + 1, 0.0f);
  for (size_t i = 0; i < m; ++i)
    for (size_t p = 0; p < k; ++p) a_t[p * ld_t + i] = a[i * lda + p];
  std::vector<float> packed(ddpm::kernels::PackedGemmBFloats(n, k) + 1);
  if (k > 0) ddpm::kernels::PackGemmB(n, k, b, ldb, b_transposed, packed.data());
  ddpm::kernels::GemmPackedTransposedA(m, n, k, a_t.data(), ld_t, packed.data(), c, ldc, accumulate);
}
}  // namespace

TEST_CASE("GemmPackedTransposedA: A given transposed, over subtiles, k blocks and strides", "[kernels][gemm]") {
  INFO(GemmKernelName());
  const size_t nr = GemmPanelWidth();
  for (bool acc : {false, true}) {
    for (size_t m = 1; m <= kMaxMr + 1; ++m) GemmTester().m(m).n(nr + 3).k(19).accumulate(acc).Test(GemmViaTransposedA);
    GemmTester().m(67).n(45).k(300).accumulate(acc).Test(GemmViaTransposedA);  // 2 k blocks
    GemmTester().m(32).n(2 * nr).k(577).c_stride(2 * nr + 5).accumulate(acc).Test(GemmViaTransposedA);
  }
}
