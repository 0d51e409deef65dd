// Nearest-neighbour x2 upsampling in NHWC (F.interpolate(scale_factor=2, mode="nearest")).
#pragma once

#include "base/thread_pool.h"

namespace ddpm::kernels {

// x [batch, h, w, c] -> y [batch, 2h, 2w, c]; y[b, 2i+di, 2j+dj, :] = x[b, i, j, :].
void UpsampleNearest2x(const float* x, int batch, int h, int w, int c, float* y, ThreadPool* pool);

}  // namespace ddpm::kernels
