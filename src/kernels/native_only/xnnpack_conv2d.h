// Conv2d through XNNPACK's NHWC f32 convolution operator (native builds with DDPM_HAVE_XNNPACK).
// The alternative backend to cross-check and compare ours against; selected with SetBackend.
#pragma once

#include <memory>

#include "kernels/conv2d/conv2d.h"

namespace ddpm::kernels {

class XnnConv2d;  // owns one xnn_operator_t (weights packed by XNNPACK at creation)

// nullptr when XNNPACK refuses the parameters or cannot initialise (callers fall back to ours).
std::shared_ptr<XnnConv2d> CreateXnnConv2d(const Conv2dParams& p, const float* weight_oihw, const float* bias);

// y = conv(x) + bias (NHWC), on XNNPACK's pthreadpool of `threads` threads. False on an XNNPACK error.
bool RunXnnConv2d(XnnConv2d& op, const float* x, int batch, int h, int width, float* y, int threads);

}  // namespace ddpm::kernels
