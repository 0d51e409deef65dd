#include "nn/dense.h"

#include <algorithm>

#include "kernels/f32_gemm/gemm.h"

namespace ddpm {

size_t DenseScratchFloats(size_t rows, size_t in, size_t out, int threads) {
  const size_t gemm = std::max({kernels::GemmScratchFloats(out, in, threads), kernels::GemmScratchFloats(in, out, threads),
                                kernels::GemmScratchFloats(in, rows, threads)});
  return gemm + rows * out;  // + dyᵀ for the weight gradient
}

void DenseForward(float* y, const float* x, const float* w, const float* b, size_t rows, size_t in, size_t out,
                  float* scratch, ThreadPool* pool) {
  kernels::Gemm(rows, out, in, x, in, w, in, /*b_transposed=*/true, y, out, /*accumulate=*/false, scratch, pool);
  if (b)
    for (size_t r = 0; r < rows; ++r)
      for (size_t o = 0; o < out; ++o) y[r * out + o] += b[o];
}

void DenseBackward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w, size_t rows,
                   size_t in, size_t out, float* scratch, ThreadPool* pool) {
  if (dx) kernels::Gemm(rows, in, out, dy, out, w, in, /*b_transposed=*/false, dx, in, false, scratch, pool);
  // dW = dyᵀ · x: the GEMM takes A row-major, so transpose dy [rows, out] into [out, rows] first.
  float* dy_t = scratch;
  float* gemm_scratch = scratch + rows * out;
  for (size_t r = 0; r < rows; ++r)
    for (size_t o = 0; o < out; ++o) dy_t[o * rows + r] = dy[r * out + o];
  kernels::Gemm(out, in, rows, dy_t, rows, x, in, false, dw, in, /*accumulate=*/true, gemm_scratch, pool);
  if (db)
    for (size_t r = 0; r < rows; ++r)
      for (size_t o = 0; o < out; ++o) db[o] += dy[r * out + o];
}

}  // namespace ddpm
