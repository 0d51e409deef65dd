#include "train/default_configs.h"

#include <nlohmann/json.hpp>

namespace ddpm {

std::string DefaultUNetConfigJson(int in_channels, int sample_size, int num_classes) {
  nlohmann::ordered_json c = {
      {"_class_name", "UNet2DModel"},
      {"_diffusers_version", "0.31.0"},
      {"act_fn", "silu"},
      {"add_attention", true},
      {"attention_head_dim", 16},
      {"attn_norm_num_groups", nullptr},
      {"block_out_channels", {16, 32, 64}},
      {"center_input_sample", false},
      {"class_embed_type", nullptr},
      {"down_block_types", {"DownBlock2D", "DownBlock2D", "AttnDownBlock2D"}},
      {"downsample_padding", 1},
      {"downsample_type", "conv"},
      {"dropout", 0.0},
      {"flip_sin_to_cos", true},
      {"freq_shift", 0},
      {"in_channels", in_channels},
      {"layers_per_block", 1},
      {"mid_block_scale_factor", 1},
      {"norm_eps", 1e-05},
      {"norm_num_groups", 8},
      {"num_class_embeds", num_classes > 0 ? nlohmann::ordered_json(num_classes + 1) : nlohmann::ordered_json(nullptr)},
      {"num_train_timesteps", nullptr},
      {"out_channels", in_channels},
      {"resnet_time_scale_shift", "default"},
      {"sample_size", sample_size},
      {"time_embedding_type", "positional"},
      {"up_block_types", {"AttnUpBlock2D", "UpBlock2D", "UpBlock2D"}},
      {"upsample_type", "conv"},
  };
  return c.dump(2) + "\n";
}

}  // namespace ddpm
