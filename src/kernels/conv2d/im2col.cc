// im2col gather for Conv2d, per Highway target: rows [r0, r1) of the implicit GEMM's A (output pixel
// r = (b, oy, ox); K = kh*kw*cin floats per row, NHWC taps in (ky, kx, ci) order). Copies whole
// vectors instead of calling memcpy per tap: taps are short (cin floats), and in wasm each memcpy is a
// call into a scalar libc loop.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/conv2d/im2col.cc"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include <cstddef>

#include "hwy/highway.h"
#include "kernels/conv2d/im2col.h"

HWY_BEFORE_NAMESPACE();
namespace ddpm::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

void Im2colRowsImpl(const Conv2dParams& p, const float* x, int h, int width, int oh, int ow, size_t r0,
                    size_t r1, float* a) {
  const hn::ScalableTag<float> d;
  const size_t L = hn::Lanes(d);
  const size_t cin = p.cin, k = size_t(p.kh) * p.kw * cin;
  const auto zero = hn::Zero(d);
  for (size_t r = r0; r < r1; ++r) {
    const size_t ox = r % ow, oy = (r / ow) % oh, b = r / (size_t(ow) * oh);
    float* HWY_RESTRICT row = a + (r - r0) * k;
    for (int ky = 0; ky < p.kh; ++ky) {
      const int iy = int(oy) * p.stride - p.pad_top + ky;
      for (int kx = 0; kx < p.kw; ++kx, row += cin) {
        const int ix = int(ox) * p.stride - p.pad_left + kx;
        size_t i = 0;
        if (iy < 0 || iy >= h || ix < 0 || ix >= width) {
          for (; i + L <= cin; i += L) hn::StoreU(zero, d, row + i);
          for (; i < cin; ++i) row[i] = 0.0f;
        } else {
          const float* HWY_RESTRICT src = x + ((b * h + iy) * width + ix) * cin;
          for (; i + L <= cin; i += L) hn::StoreU(hn::LoadU(d, src + i), d, row + i);
          for (; i < cin; ++i) row[i] = src[i];
        }
      }
    }
  }
}

}  // namespace ddpm::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace ddpm::kernels {
HWY_EXPORT(Im2colRowsImpl);

void Im2colRows(const Conv2dParams& p, const float* x, int h, int width, int oh, int ow, size_t r0,
                size_t r1, float* a) {
  HWY_DYNAMIC_DISPATCH(Im2colRowsImpl)(p, x, h, width, oh, ow, r0, r1, a);
}
}  // namespace ddpm::kernels
#endif  // HWY_ONCE
