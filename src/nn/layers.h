// Building blocks shared by the UNet's layers: how each reads its diffusers weights (through
// WeightLoader) and the per-forward context they run in. Activations are NHWC throughout.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "base/tensor.h"
#include "base/thread_pool.h"
#include "kernels/conv2d/conv2d.h"
#include "nn/weight_loader.h"

namespace ddpm::nn {

// Called with each named intermediate (diffusers' module names: "down_blocks.1.attentions.0", ...);
// shape is NHWC [B, H, W, C] for feature maps and [B, C] for embeddings.
using ActivationHook = std::function<void(const std::string& name, const float* data, const Shape& shape)>;

// What every layer's forward needs besides its input and output.
struct RunContext {
  int batch = 1;
  ThreadPool* pool = nullptr;
  float* scratch = nullptr;       // kernel scratch, large enough for any single kernel call
  float* norm = nullptr;          // work buffers sized for the largest activation
  float* tmp = nullptr;
  float* qkv = nullptr;           // [B, tokens, 3C] for the largest attention layer
  const float* temb = nullptr;    // every resnet's time projection, [B, temb_stride]
  size_t temb_stride = 0;
  const ActivationHook* hook = nullptr;

  void Report(const std::string& name, const float* data, int h, int w, int c) const {
    if (hook && *hook) (*hook)(name, data, Shape{batch, h, w, c});
  }
};

// Spatial size of one UNet resolution level.
struct Dims {
  int h = 0, w = 0;
  int hw() const { return h * w; }
};

// The output size of convolution `p` on an input of size `in`.
inline Dims ConvOutDims(const kernels::Conv2dParams& p, Dims in) {
  return {kernels::Conv2dOutDim(in.h, p.kh, p.stride, p.pad_top, p.pad_bottom),
          kernels::Conv2dOutDim(in.w, p.kw, p.stride, p.pad_left, p.pad_right)};
}

struct GroupNormLayer {
  int channels = 0, groups = 1;
  float eps = 1e-5f;
  std::vector<float> gamma, beta;

  void Load(WeightLoader& wl, const std::string& prefix, int channels, int groups, double eps);
  // y = GroupNorm(x) [then SiLU]; x and y may alias.
  void Run(const RunContext& ctx, const float* x, Dims d, float* y, bool silu) const;
};

// Conv2d weight [cout, cin, k, k] and bias [cout] from `prefix`.weight/.bias, packed once.
kernels::PackedConv2d LoadConv(WeightLoader& wl, const std::string& prefix, const kernels::Conv2dParams& p);
kernels::Conv2dParams ConvParams(int cin, int cout, int k, int stride, int pad);

// Several Linear layers that read the same input, fused into one GEMM: their weights are stacked
// along the output dimension. Used for all resnets' time_emb_proj (one GEMM per forward instead of
// one per resnet) and for attention's q, k, v.
class StackedLinear {
 public:
  explicit StackedLinear(int in_features) : in_(in_features) {}
  // Appends `prefix`.weight [out, in] and .bias [out]; returns the column offset of its outputs.
  size_t Add(WeightLoader& wl, const std::string& prefix, int out_features);
  int out_features() const { return out_; }
  kernels::PackedConv2d Pack() const;

 private:
  int in_ = 0, out_ = 0;
  std::vector<float> w_, b_;
};

// y[B, cout] = x[B, cin] · Wᵀ + b with a packed 1x1 conv.
void RunLinear(const kernels::PackedConv2d& w, const float* x, int batch, float* y, const RunContext& ctx);

}  // namespace ddpm::nn
