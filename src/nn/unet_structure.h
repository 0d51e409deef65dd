// The structure of diffusers' UNet2DModel (v0.31.0) for one config, written once: every layer with its
// diffusers name and the arguments it is built from, the resolution level it runs at, and the skip
// connections (which layer pushes each, which resnet pops it); the input checks; the FLOP count. The
// two executors build from it and walk it in the same order: nn::UNet2DModel (inference, one arena) and
// nn::train::UNet2DTrainable (training, keeps what the backward needs). A config switch or a block
// type changes this file; the executors only know how to run a resnet, an attention layer, a down- or
// upsampler, and a skip push or pop.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "kernels/conv2d/conv2d.h"
#include "nn/layer_specs.h"
#include "nn/layers.h"
#include "nn/unet_config.h"

namespace ddpm::nn {

enum class SamplerKind { kNone, kDown, kUp };

// A down block, the mid block or an up block. Runs resnets[j] then attentions[j] (when j < the number
// of attentions: one per resnet in Attn blocks, one after the first resnet in the mid block), then the
// sampler: kDown a stride-2 conv whose output is at level + 1; kUp nearest 2x, then a conv at level - 1.
// diffusers registers a block's attentions, then its resnets, then its sampler.
struct BlockSpec {
  std::string name;  // "down_blocks.0", "mid_block", "up_blocks.2"
  int level = 0;     // the resolution level of its resnets: 0 is the input size, each level halves it
  std::vector<ResnetSpec> resnets;
  std::vector<AttentionSpec> attentions;
  SamplerKind sampler = SamplerKind::kNone;
  ConvSpec sampler_conv;
  std::string sampler_name;  // "down_blocks.0.downsamplers.0"
  int sampler_push_skip = -1;
  int out_level() const {
    return sampler == SamplerKind::kDown ? level + 1 : sampler == SamplerKind::kUp ? level - 1 : level;
  }
  // The level the sampler's conv runs at: a downsampler reads the block's level, an upsampler's conv the upsampled map.
  int sampler_conv_level() const { return sampler == SamplerKind::kDown ? level : level - 1; }
};

struct SkipSpec {
  int channels = 0, level = 0;
};

struct UNetStructure {
  UNet2DConfig config;
  int time_embed_dim = 0;
  ConvSpec conv_in;  // its output is skip 0
  std::vector<BlockSpec> blocks;  // execution (and registration) order: down blocks, the mid block, up blocks
  int norm_out_channels = 0, norm_out_groups = 0;  // conv_norm_out, then SiLU
  double norm_out_eps = 1e-5;
  ConvSpec conv_out;
  std::vector<SkipSpec> skips;  // in push order; up resnets pop from the back

  // The config must come from UNet2DConfig::FromJson (validated).
  static UNetStructure FromConfig(const UNet2DConfig& config);

  // sample NCHW [B, in_channels, H, W]; timesteps and class labels: one per sample, or one for all.
  Status CheckInputs(const Shape& sample, const std::vector<float>& timesteps,
                     const std::vector<int64_t>& class_labels) const;
  // Multiply-adds counted as 2 FLOPs, one image of height x width through the forward pass.
  double ForwardFlopsPerImage(int height, int width) const;
  // The widest activation (channels) any level holds: the gradient buffers of the hidden state.
  int widest_channels() const;
  static Dims LevelDims(int height, int width, int level) { return {height >> level, width >> level}; }
};

}  // namespace ddpm::nn
