// diffusers' Attention as used by UNet2DModel (AttnDownBlock2D, AttnUpBlock2D, UNetMidBlock2D):
//   h = GroupNorm(x) (absent in the mid block under "scale_shift");  tokens = the H·W pixels
//   q, k, v = Linear(C, C)(h);  per head: softmax(q·kᵀ·head_dim^-0.5)·v;  y = (to_out(o) + x) / rescale
#pragma once

#include <string>

#include "nn/layer_specs.h"
#include "nn/layers.h"

namespace ddpm::nn {

struct AttentionBlock : AttentionSpec {
  GroupNormLayer norm;
  kernels::PackedConv2d qkv;  // to_q, to_k, to_v stacked: [3C, C]
  kernels::PackedConv2d out;  // to_out.0

  void Load(WeightLoader& wl, const AttentionSpec& spec);

  // In place on x [B, d, C]. Uses ctx.norm, ctx.tmp, ctx.qkv.
  void Forward(const RunContext& ctx, float* x, Dims d) const;

  size_t ScratchFloats(int tokens, int threads) const;
};

}  // namespace ddpm::nn
