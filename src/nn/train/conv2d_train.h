// Conv2d for training (NHWC), a forward/backward pair in llm.c's manner, all on the inference GEMM
// microkernels. The forward is the inference kernel (weights packed per step). The backward:
//   dW_ohwi[cout, K] += dYᵀ · col   im2col blocks, split over threads with per-thread partial sums
//   dX += conv(dY, W flipped, in/out swapped)   stride 1: the forward's implicit GEMM, no col2im
//   dcol[rows, K] = dY · W_ohwi, then col2im    strided convolutions (one downsampler per level)
// with K = kh·kw·cin in the im2col order (ky, kx, ci). Stride 2 and asymmetric padding (diffusers'
// cifar downsample: F.pad(0,1,0,1) then padding 0) are just Conv2dParams.
#pragma once

#include <cstddef>

#include "base/thread_pool.h"
#include "kernels/conv2d/conv2d.h"

namespace ddpm::nn::train {

// One convolution call: input [batch, h, w, cin] -> output [batch, oh, ow, cout].
struct ConvGeom {
  kernels::Conv2dParams p;
  int batch = 0, h = 0, w = 0, oh = 0, ow = 0;

  size_t k() const { return size_t(p.kh) * p.kw * p.cin; }
  size_t in_floats() const { return size_t(batch) * h * w * p.cin; }
  size_t out_rows() const { return size_t(batch) * oh * ow; }
  size_t out_floats() const { return out_rows() * p.cout; }
  bool pointwise() const;
};
ConvGeom MakeConvGeom(const kernels::Conv2dParams& p, int batch, int h, int w);

// Floats of scratch Conv2dForward / Conv2dBackward need.
size_t Conv2dForwardScratchFloats(const kernels::PackedConv2d& w, const ConvGeom& g, int threads);
size_t Conv2dBackwardScratchFloats(const ConvGeom& g, int threads);

// y[B,OH,OW,cout] (+)= conv(x[B,H,W,cin], w) + b, with w packed from the current weights.
void Conv2dForward(float* y, const float* x, const kernels::PackedConv2d& w, const ConvGeom& g, bool accumulate,
                   float* scratch, ThreadPool* pool);

// dx[B,H,W,cin] += d/dx (skipped when nullptr); dw[cout,cin,kh,kw] += d/dw (PyTorch layout); db[cout] += Σ dy
// (skipped when nullptr). x is the forward input, w the PyTorch-layout weight [cout, cin, kh, kw].
// dx_weights: w packed by RepackInputGradient, for stride-1 convolutions with dx (else unused).
void Conv2dBackward(float* dx, float* dw, float* db, const float* dy, const float* x, const float* w,
                    const ConvGeom& g, const kernels::PackedConv2d* dx_weights, float* scratch, ThreadPool* pool);

}  // namespace ddpm::nn::train
