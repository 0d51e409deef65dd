// 2-D convolution on NHWC activations as a GEMM: rows = output pixels, K = kh*kw*cin, N = cout.
// Weights are packed once (PackedConv2d::Pack) into the GEMM's NR-wide panels. Each call builds, per
// block of output pixels, an indirection table (one pointer per kernel tap into the NHWC input, or to
// a zero row in the padding) in per-thread scratch and runs the implicit GEMM (GemmIndirect, XNNPACK's
// igemm) on it with the bias fused: no im2col copy. 1x1 stride-1 unpadded convolutions (and Linear
// layers) are a plain GemmPacked on the input.
#pragma once

#include <cstddef>
#include <memory>

#include "base/tensor.h"
#include "base/thread_pool.h"

namespace ddpm::kernels {

class XnnConv2d;  // native_only/xnnpack_conv2d.h

struct Conv2dParams {
  int cin = 0, cout = 0, kh = 3, kw = 3, stride = 1;
  int pad_top = 1, pad_left = 1, pad_bottom = 1, pad_right = 1;  // diffusers' cifar downsample: 0,0,1,1
};

int Conv2dOutDim(int in, int k, int stride, int pad_before, int pad_after);
// 1x1, stride 1, no padding: the input rows are already the GEMM's A.
bool IsPointwise(const Conv2dParams& p);

class PackedConv2d {  // weights packed ONCE at model load
 public:
  PackedConv2d() = default;
  // weight in PyTorch layout [cout, cin, kh, kw]; bias [cout] or nullptr (then zero).
  // With Backend::kXnnpack active (backend.h) it also creates the XNNPACK operator Conv2d then runs.
  static PackedConv2d Pack(const Conv2dParams& p, const float* weight_oihw, const float* bias);
  // Packs again into this object's storage, which is (re)allocated only when the shape changes: a
  // training step repacks its changed weights every step and allocates nothing. False when that
  // allocation fails. No XNNPACK operator.
  bool Repack(const Conv2dParams& p, const float* weight_oihw, const float* bias);
  // Packs the convolution whose output is the input gradient of the stride-1 convolution `p`:
  // dx = conv(dy, w') + 0 with w'[ci][co][ky][kx] = w[co][ci][kh-1-ky][kw-1-kx] and each padding
  // k-1-pad, so the backward's dx runs on the forward's implicit GEMM (no col2im).
  bool RepackInputGradient(const Conv2dParams& p, const float* weight_oihw);
  const Conv2dParams& params() const { return p_; }

  // For the kernels: K = kh*kw*cin, the GEMM panels and a [cout] bias (zeros when none was given).
  size_t k() const { return size_t(p_.kh) * p_.kw * p_.cin; }
  const float* packed() const { return packed_.data(); }
  const float* bias() const { return bias_.data(); }
  // True when the input rows are already the GEMM's A (1x1, stride 1, no padding).
  bool is_pointwise() const;
  // The XNNPACK operator, created by Pack when Backend::kXnnpack was active (else nullptr).
  XnnConv2d* xnn() const { return xnn_.get(); }

 private:
  Conv2dParams p_;
  Tensor packed_;  // PackedGemmBFloats(cout, K) floats, 64-byte aligned
  Tensor bias_;    // [cout]
  std::shared_ptr<XnnConv2d> xnn_;

  template <typename WeightAt>
  bool PackFrom(const Conv2dParams& p, const float* bias, WeightAt weight_at);
};

// Floats of scratch Conv2d needs for an input of this size (may be 0). `threads` must be at least
// the pool's thread count at call time.
size_t Conv2dScratchFloats(const PackedConv2d& w, int batch, int h, int width, int threads);
// The same for weights not packed yet (our kernels, no XNNPACK operator).
size_t Conv2dScratchFloats(const Conv2dParams& p, int batch, int h, int width, int threads);

// x NHWC [batch, h, width, cin] -> y NHWC [batch, oh, ow, cout]:  y = conv(x) + bias,
// or y += conv(x) + bias when accumulate (used to fuse residual adds). x and y never alias.
void Conv2d(const PackedConv2d& w, const float* x, int batch, int h, int width, float* y,
            bool accumulate, float* scratch, ThreadPool* pool);
// A Linear layer is Conv2d with kh = kw = 1, h = width = 1, padding 0 (weight [out, in, 1, 1] = [out, in]).

// Reference twin: direct convolution from the unpacked PyTorch weight, accumulating in double.
void Conv2dScalar(const Conv2dParams& p, const float* weight_oihw, const float* bias, const float* x,
                  int batch, int h, int width, float* y, bool accumulate);

}  // namespace ddpm::kernels
