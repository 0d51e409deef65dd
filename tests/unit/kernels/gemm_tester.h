// GemmTester: builds one GEMM problem (sizes, strides, flags), runs a kernel with the Gemm signature on
// it and compares with the scalar twin GemmScalar. Padding between rows of C and the floats past its
// end hold NaN canaries that must survive. Used as
//   GemmTester().m(5).n(17).k(67).a_stride(70).Test(Gemm);
#pragma once

#include <catch2/catch.hpp>

#include <cmath>
#include <cstddef>
#include <memory>
#include <random>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/f32_gemm/gemm.h"

namespace ddpm::kernels::testing {

using GemmFn = void (*)(size_t, size_t, size_t, const float*, size_t, const float*, size_t, bool, float*,
                        size_t, bool, float*, ThreadPool*);

// Tolerance, stated once: inputs are uniform in [-1, 1], so each product is <= 1 in magnitude and a
// float dot product of length k carries at most ~k * 2^-24 relative rounding of sum|a_i b_i| <= k.
// We allow 1e-6 * (k + 1) * (1 + |ref|): ~8x the float bound per term, far below the O(0.1..1) error
// of a dropped, doubled or misplaced term.
inline double GemmTolerance(size_t k, double ref) { return 1e-6 * double(k + 1) * (1.0 + std::fabs(ref)); }

class GemmTester {
 public:
  GemmTester& m(size_t v) { m_ = v; return *this; }
  GemmTester& n(size_t v) { n_ = v; return *this; }
  GemmTester& k(size_t v) { k_ = v; return *this; }
  GemmTester& a_stride(size_t v) { lda_ = v; return *this; }
  GemmTester& b_stride(size_t v) { ldb_ = v; return *this; }
  GemmTester& c_stride(size_t v) { ldc_ = v; return *this; }
  GemmTester& b_transposed(bool v) { bt_ = v; return *this; }
  GemmTester& accumulate(bool v) { acc_ = v; return *this; }
  GemmTester& threads(int v) { threads_ = v; return *this; }
  GemmTester& seed(uint32_t v) { seed_ = v; return *this; }

  void Test(GemmFn fn) const {
    const size_t lda = lda_ ? lda_ : k_;
    const size_t ldb = ldb_ ? ldb_ : (bt_ ? k_ : n_);
    const size_t ldc = ldc_ ? ldc_ : n_;
    INFO("m=" << m_ << " n=" << n_ << " k=" << k_ << " lda=" << lda << " ldb=" << ldb << " ldc=" << ldc
              << " b_transposed=" << bt_ << " accumulate=" << acc_ << " threads=" << threads_);
    REQUIRE(lda >= k_);
    REQUIRE(ldc >= n_);
    std::mt19937 rng(seed_);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    std::vector<float> a(m_ * lda + 1), b((bt_ ? n_ : k_) * ldb + 1);
    for (float& v : a) v = dist(rng);
    for (float& v : b) v = dist(rng);
    constexpr size_t kCanaries = 37;
    std::vector<float> c(m_ * ldc + kCanaries, std::nanf(""));
    for (size_t i = 0; i < m_; ++i) {
      for (size_t j = 0; j < n_; ++j) c[i * ldc + j] = acc_ ? dist(rng) : std::nanf("");
    }
    std::vector<float> ref = c;
    GemmScalar(m_, n_, k_, a.data(), lda, b.data(), ldb, bt_, ref.data(), ldc, acc_, nullptr, nullptr);

    ThreadPool pool(threads_);
    std::vector<float> scratch(GemmScratchFloats(n_, k_, threads_) + 1);
    fn(m_, n_, k_, a.data(), lda, b.data(), ldb, bt_, c.data(), ldc, acc_, scratch.data(), &pool);

    size_t bad = 0;
    for (size_t i = 0; i < m_; ++i) {
      for (size_t j = 0; j < ldc; ++j) {
        const float got = c[i * ldc + j], want = ref[i * ldc + j];
        const bool ok = j < n_ ? std::fabs(double(got) - want) <= GemmTolerance(k_, want) : std::isnan(got);
        if (!ok && bad++ < 5) {
          INFO("C[" << i << "][" << j << "] = " << got << ", reference " << want
                    << (j < n_ ? "" : " (padding canary overwritten)"));
          CHECK(false);
        }
      }
    }
    for (size_t t = m_ * ldc; t < c.size(); ++t) {
      if (!std::isnan(c[t]) && bad++ < 5) {
        INFO("canary " << t - m_ * ldc << " past the end of C overwritten with " << c[t]);
        CHECK(false);
      }
    }
    CHECK(bad == 0);
  }

 private:
  size_t m_ = 1, n_ = 1, k_ = 1, lda_ = 0, ldb_ = 0, ldc_ = 0;
  bool bt_ = false, acc_ = false;
  int threads_ = 1;
  uint32_t seed_ = 42;
};

}  // namespace ddpm::kernels::testing
