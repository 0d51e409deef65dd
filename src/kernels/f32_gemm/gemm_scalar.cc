// Reference twin of Gemm: the textbook triple loop, accumulating in double. Slow on purpose; tests
// compare every SIMD kernel against it.
#include "kernels/f32_gemm/gemm.h"

namespace ddpm::kernels {

void GemmScalar(size_t m, size_t n, size_t k, const float* a, size_t lda, const float* b, size_t ldb,
                bool b_transposed, float* c, size_t ldc, bool accumulate, float* /*scratch*/,
                ThreadPool* /*pool*/) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double sum = 0;
      for (size_t p = 0; p < k; ++p) {
        const float bv = b_transposed ? b[j * ldb + p] : b[p * ldb + j];
        sum += double(a[i * lda + p]) * double(bv);
      }
      float& out = c[i * ldc + j];
      out = accumulate ? float(double(out) + sum) : float(sum);
    }
  }
}

}  // namespace ddpm::kernels
