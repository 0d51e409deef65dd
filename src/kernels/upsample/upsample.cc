#include "kernels/upsample/upsample.h"

#include <cstring>

namespace ddpm::kernels {

void UpsampleNearest2x(const float* x, int batch, int h, int w, int c, float* y, ThreadPool* pool) {
  const size_t row_in = size_t(w) * c, row_out = 2 * row_in;
  // One task per input row: it writes two identical output rows.
  auto body = [&](size_t begin, size_t end, int) {
    for (size_t r = begin; r < end; ++r) {
      const float* xr = x + r * row_in;
      float* y0 = y + 2 * r * row_out;
      for (int j = 0; j < w; ++j) {
        std::memcpy(y0 + size_t(2 * j) * c, xr + size_t(j) * c, sizeof(float) * c);
        std::memcpy(y0 + size_t(2 * j + 1) * c, xr + size_t(j) * c, sizeof(float) * c);
      }
      std::memcpy(y0 + row_out, y0, sizeof(float) * row_out);
    }
  };
  const size_t rows = size_t(batch) * h;
  if (pool) pool->ParallelFor(rows, body, 4);
  else body(0, rows, 0);
}

}  // namespace ddpm::kernels
