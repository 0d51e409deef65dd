// Packs B into NR-wide, k-major panels: panel q holds B[0..k)[q*NR .. q*NR+NR), row by row, with
// columns past n zero-filled. The microkernel then reads NR contiguous floats per k step, whatever
// B's original layout or stride was.
#include <cstring>

#include "kernels/f32_gemm/gemm.h"

namespace ddpm::kernels {

size_t PackedGemmBFloats(size_t n, size_t k) {
  const size_t nr = GemmPanelWidth();
  return k * ((n + nr - 1) / nr * nr);
}

void PackGemmB(size_t n, size_t k, const float* b, size_t ldb, bool b_transposed, float* packed) {
  PackGemmBPanels(n, k, b, ldb, b_transposed, GemmPanelWidth(), packed);
}

void PackGemmBPanels(size_t n, size_t k, const float* b, size_t ldb, bool b_transposed, size_t nr,
                     float* packed) {
  DDPM_KERNEL_ASSERT(nr > 0);
  DDPM_KERNEL_ASSERT(packed != nullptr || n * k == 0);
  DDPM_KERNEL_ASSERT(b_transposed ? ldb >= k : ldb >= n);
  for (size_t j0 = 0; j0 < n; j0 += nr) {
    const size_t nc = n - j0 < nr ? n - j0 : nr;
    float* panel = packed + j0 * k;  // panels are k*nr floats each
    if (!b_transposed) {
      for (size_t p = 0; p < k; ++p) {
        float* dst = panel + p * nr;
        std::memcpy(dst, b + p * ldb + j0, nc * sizeof(float));
        for (size_t j = nc; j < nr; ++j) dst[j] = 0.0f;
      }
    } else {
      for (size_t p = 0; p < k; ++p) {
        float* dst = panel + p * nr;
        for (size_t j = 0; j < nc; ++j) dst[j] = b[(j0 + j) * ldb + p];
        for (size_t j = nc; j < nr; ++j) dst[j] = 0.0f;
      }
    }
  }
}

}  // namespace ddpm::kernels
