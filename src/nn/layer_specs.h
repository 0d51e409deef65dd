// What a UNet layer is, apart from how it runs: its diffusers module name, its channels and settings,
// and the sub-layers they imply. UNetStructure lists these; the inference layers (nn/resnet_block.h,
// nn/attention_block.h) and the training ones (nn/train/) are built from them, so a setting is read in
// one place for both.
#pragma once

#include <string>

#include "kernels/conv2d/conv2d.h"
#include "nn/layers.h"

namespace ddpm::nn {

struct ConvSpec {
  std::string name;  // the module: "conv_in", "down_blocks.0.downsamplers.0.conv"
  kernels::Conv2dParams params;
};

// ResnetBlock2D: norm1, conv1, time_emb_proj, norm2, conv2, and conv_shortcut when the channel count
// changes (diffusers' registration order). A resnet that pops a skip reads [hidden, skip] concatenated
// along channels, so its in_channels count both.
struct ResnetSpec {
  std::string name;  // "down_blocks.0.resnets.1"
  int in_channels = 0, out_channels = 0, groups = 0;
  double eps = 1e-5;
  bool scale_shift = false;  // resnet_time_scale_shift "scale_shift": time_emb_proj gives scale and shift
  float output_scale_factor = 1.0f;
  // Where it sits in the UNet (UNetStructure): the hidden state's channels (in_channels less the popped
  // skip's), the skip it pops (index into UNetStructure::skips, or -1), the skip its output becomes
  // (after its attention, if any; or -1).
  int hidden_channels = 0, pop_skip = -1, push_skip = -1;

  bool has_shortcut() const { return in_channels != out_channels; }
  kernels::Conv2dParams conv1_params() const { return ConvParams(in_channels, out_channels, 3, 1, 1); }
  kernels::Conv2dParams conv2_params() const { return ConvParams(out_channels, out_channels, 3, 1, 1); }
  kernels::Conv2dParams shortcut_params() const { return ConvParams(in_channels, out_channels, 1, 1, 0); }
  int time_emb_proj_out() const { return scale_shift ? 2 * out_channels : out_channels; }
};

// diffusers' Attention as UNet2DModel uses it: group_norm (absent when norm_groups is 0), to_q, to_k,
// to_v, to_out.0; residual, then divided by rescale_output_factor.
struct AttentionSpec {
  std::string name;  // "down_blocks.1.attentions.0"
  int channels = 0, head_dim = 0, norm_groups = 0;
  double eps = 1e-5;
  float rescale_output_factor = 1.0f;

  bool has_norm() const { return norm_groups > 0; }
};

}  // namespace ddpm::nn
