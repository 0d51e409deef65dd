// im2col gather used by Conv2d (see im2col.cc).
#pragma once

#include <cstddef>

#include "kernels/conv2d/conv2d.h"

namespace ddpm::kernels {

// A rows [r0, r1) of the implicit GEMM (output pixel r = (b, oy, ox)) into `a`, K = kh*kw*cin floats
// per row; taps outside the padded input are zeros.
void Im2colRows(const Conv2dParams& p, const float* x, int h, int width, int oh, int ow, size_t r0,
                size_t r1, float* a);

}  // namespace ddpm::kernels
