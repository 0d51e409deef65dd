// diffusers' ResnetBlock2D (pre-norm, SiLU, conv_shortcut only when the channel count changes):
//   h = conv1(SiLU(GN1(x)));  h += time_emb_proj(SiLU(emb))      ("default")
//   h = conv2(SiLU(GN2(h)))                                       or GN2(h)·(1+scale)+shift ("scale_shift")
//   y = (shortcut(x) + h) / output_scale_factor
#pragma once

#include <string>

#include "nn/layer_specs.h"
#include "nn/layers.h"

namespace ddpm::nn {

struct ResnetBlock : ResnetSpec {
  GroupNormLayer norm1, norm2;
  kernels::PackedConv2d conv1, conv2, conv_shortcut;
  size_t temb_offset = 0;  // its time_emb_proj columns inside RunContext::temb

  // time_emb_proj goes into `temb_proj` (fused with every other resnet's).
  void Load(WeightLoader& wl, const ResnetSpec& spec, StackedLinear* temb_proj);

  // x [B, d, in_channels] -> y [B, d, out_channels]; x is left untouched, y must not alias it. Uses ctx.norm and ctx.tmp.
  void Forward(const RunContext& ctx, const float* x, Dims d, float* y) const;

  template <typename F>
  void ForEachConv(F&& f) const {
    f(conv1, in_channels);
    f(conv2, out_channels);
    if (has_shortcut()) f(conv_shortcut, in_channels);
  }
};

}  // namespace ddpm::nn
