// UNet2DModel's config.json (diffusers v0.31.0), with diffusers' defaults. FromJson reads the keys this
// engine implements and rejects values it does not, naming the key; unknown keys are ignored, as
// diffusers does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "io/json_config.h"

namespace ddpm::nn {

struct UNet2DConfig {
  std::optional<int> sample_size;  // height = width; a [h, w] list is read into sample_height/width
  int sample_height = 0, sample_width = 0;
  int in_channels = 3;
  int out_channels = 3;
  bool center_input_sample = false;
  std::string time_embedding_type = "positional";
  std::optional<int> time_embedding_dim;  // null = 4 * block_out_channels[0]
  int freq_shift = 0;
  bool flip_sin_to_cos = true;
  std::vector<std::string> down_block_types = {"DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D",
                                               "AttnDownBlock2D"};
  std::string mid_block_type = "UNetMidBlock2D";  // "" = no mid block (config null)
  std::vector<std::string> up_block_types = {"AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"};
  std::vector<int> block_out_channels = {224, 448, 672, 896};
  int layers_per_block = 2;
  double mid_block_scale_factor = 1.0;
  int downsample_padding = 1;
  std::string downsample_type = "conv";
  std::string upsample_type = "conv";
  double dropout = 0.0;  // inference ignores it; kept for training
  std::string act_fn = "silu";
  std::optional<int> attention_head_dim = 8;  // null = one head of all channels
  int norm_num_groups = 32;
  std::optional<int> attn_norm_num_groups;  // mid block attention only
  double norm_eps = 1e-5;
  std::string resnet_time_scale_shift = "default";  // or "scale_shift"
  bool add_attention = true;
  std::optional<int> num_class_embeds;
  // Not a diffusers key (diffusers ignores it): the label `ddpm train` trained as "no class", the
  // unconditional prediction classifier-free guidance needs. In [0, num_class_embeds) when present.
  std::optional<int> null_class_index;

  static Expected<UNet2DConfig> FromJson(const JsonConfig& config);
  // diffusers-compatible config.json contents (every field written out, as save_config does).
  nlohmann::json ToJson() const;

  int time_embed_dim() const { return time_embedding_dim ? *time_embedding_dim : 4 * block_out_channels[0]; }
  bool scale_shift() const { return resnet_time_scale_shift == "scale_shift"; }
};

}  // namespace ddpm::nn
