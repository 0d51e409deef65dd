// ResnetBlock2D for training (diffusers v0.31.0), forward and backward:
//   a1 = SiLU(GN1(x));  h1 = conv1(a1) [+ time_emb_proj(SiLU(emb))]                  ("default")
//   a2 = SiLU(GN2(h1) [·(1 + scale) + shift])                                          ("scale_shift")
//   y  = (shortcut(x) + conv2(a2)) / output_scale_factor
// Saved: h1, the time projection and the GroupNorm statistics; a1 and a2 are rebuilt in the backward.
// The caller keeps x alive (it is the previous layer's output) and passes it again to Backward.
#pragma once

#include <string>
#include <vector>

#include "base/tensor.h"
#include "nn/layer_specs.h"
#include "nn/layers.h"
#include "nn/train/layers_train.h"

namespace ddpm::nn::train {

struct ResnetTrain : ResnetSpec {
  GroupNormLayerT norm1, norm2;
  ConvLayer conv1, conv2, conv_shortcut;
  LinearLayer time_emb_proj;

  // Saved by Forward.
  Tensor h1, y, tproj;
  std::vector<float> mean1, rstd1, mean2, rstd2;

  // Registers the parameters in diffusers' order (norm1, conv1, time_emb_proj, norm2, conv2, conv_shortcut).
  void Register(ParamStore& ps, const ResnetSpec& spec, int temb_channels);
  Status Pack(const ParamStore& ps);

  // x [B, d, in_channels] -> y [B, d, out_channels]; temb_act = SiLU(emb) [B, temb_channels].
  Status Forward(TrainContext& ctx, const float* x, Dims d, const float* temb_act);
  // dx [B, d, in_channels] +=, d_temb_act [B, temb_channels] +=, parameter gradients +=.
  Status Backward(TrainContext& ctx, float* dx, float* d_temb_act, const float* dy, const float* x, Dims d,
                const float* temb_act);

  size_t saved_bytes() const;
};

}  // namespace ddpm::nn::train
