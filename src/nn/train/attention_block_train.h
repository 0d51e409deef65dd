// diffusers' Attention as used by UNet2DModel (AttnProcessor, residual, rescale), for training:
//   n = GroupNorm(x);  [q|k|v] = n·W_qkvᵀ + b;  o = softmax(q·kᵀ/sqrt(d))·v per head;
//   y = (x + to_out(o)) / rescale_output_factor
// Saved: the GroupNorm statistics, qkv and o; n is rebuilt in the backward.
#pragma once

#include <string>
#include <vector>

#include "base/tensor.h"
#include "nn/layer_specs.h"
#include "nn/layers.h"
#include "nn/train/layers_train.h"

namespace ddpm::nn::train {

struct AttentionTrain : AttentionSpec {
  GroupNormLayerT norm;
  LinearLayer qkv, to_out;

  Tensor qkv_act, o, y;  // saved
  std::vector<float> mean, rstd;

  // Parameters in diffusers' order: group_norm, to_q, to_k, to_v, to_out.0.
  void Register(ParamStore& ps, const AttentionSpec& spec);
  Status Pack(const ParamStore& ps);

  // x [B, d, C] -> y [B, d, C].
  Status Forward(TrainContext& ctx, const float* x, Dims d);
  // dx += d/dx; parameter gradients +=.
  Status Backward(TrainContext& ctx, float* dx, const float* dy, const float* x, Dims d);

  size_t saved_bytes() const;
};

}  // namespace ddpm::nn::train
