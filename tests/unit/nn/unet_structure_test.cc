// UNetStructure, the one description both UNet executors build from: the channel and skip wiring is
// consistent (every skip pushed once and popped once, last-in first-out, at the level it was made, and
// every resnet reads the channels the layer before it wrote), for diffusers' default UNet2DModel config
// and for variants that change the wiring (no mid block, more resnets per level, downsample padding).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "io/json_config.h"
#include "nn/unet_structure.h"

using namespace ddpm;
using namespace ddpm::nn;

namespace {

UNetStructure Structure(const std::string& json) {
  auto config = JsonConfig::Parse(json, "config.json");
  REQUIRE(config.ok());
  auto c = UNet2DConfig::FromJson(*config);
  REQUIRE(c.ok());
  return UNetStructure::FromConfig(*c);
}

// Walks the structure as an executor does, checking the channels, levels and skips it meets.
void CheckWiring(const UNetStructure& s) {
  const UNet2DConfig& c = s.config;
  const int n = int(c.block_out_channels.size());
  std::vector<int> stack = {0};  // skips pushed and not yet popped
  int ch = s.conv_in.params.cout, level = 0, pushes = 1, pops = 0;
  REQUIRE(s.skips[0].channels == ch);
  for (const BlockSpec& b : s.blocks) {
    INFO(b.name);
    CHECK(b.level == level);
    for (size_t j = 0; j < b.resnets.size(); ++j) {
      const ResnetSpec& r = b.resnets[j];
      INFO(r.name);
      CHECK(r.hidden_channels == ch);
      if (r.pop_skip >= 0) {
        REQUIRE_FALSE(stack.empty());
        CHECK(r.pop_skip == stack.back());  // last in, first out
        stack.pop_back();
        ++pops;
        CHECK(s.skips[r.pop_skip].level == level);
        CHECK(r.in_channels == ch + s.skips[r.pop_skip].channels);
      } else {
        CHECK(r.in_channels == ch);
      }
      ch = r.out_channels;
      if (j < b.attentions.size()) CHECK(b.attentions[j].channels == ch);
      if (r.push_skip >= 0) {
        CHECK(r.push_skip == pushes++);
        CHECK(s.skips[r.push_skip].channels == ch);
        CHECK(s.skips[r.push_skip].level == level);
        stack.push_back(r.push_skip);
      }
    }
    if (b.sampler != SamplerKind::kNone) {
      CHECK(b.sampler_conv.params.cin == ch);
      CHECK(b.sampler_conv.params.stride == (b.sampler == SamplerKind::kDown ? 2 : 1));
      CHECK(b.sampler_conv.name == b.sampler_name + ".conv");
    }
    level = b.out_level();
    if (b.sampler_push_skip >= 0) {
      CHECK(b.sampler_push_skip == pushes++);
      CHECK(s.skips[b.sampler_push_skip].level == level);
      stack.push_back(b.sampler_push_skip);
    }
    CHECK(level >= 0);
    CHECK(level < n);
  }
  CHECK(level == 0);
  CHECK(ch == s.norm_out_channels);
  CHECK(s.conv_out.params.cin == ch);
  CHECK(stack.empty());
  CHECK(pushes == int(s.skips.size()));
  CHECK(pops == pushes);
  // 1 (conv_in) + layers_per_block per level + one per downsampler
  CHECK(int(s.skips.size()) == 1 + n * c.layers_per_block + (n - 1));
}

}  // namespace

TEST_CASE("UNetStructure: diffusers' default UNet2DModel") {
  const UNetStructure s = Structure(R"({"_class_name": "UNet2DModel"})");
  CheckWiring(s);
  REQUIRE(s.blocks.size() == 9);  // 4 down, mid, 4 up
  CHECK(s.blocks[4].name == "mid_block");
  CHECK(s.blocks[4].resnets.size() == 2);
  CHECK(s.blocks[4].attentions.size() == 1);
  CHECK(s.blocks[5].resnets[2].name == "up_blocks.0.resnets.2");
  CHECK(s.blocks[1].attentions[1].name == "down_blocks.1.attentions.1");
  CHECK(s.blocks[0].attentions.empty());  // DownBlock2D
  CHECK(s.blocks[0].sampler_name == "down_blocks.0.downsamplers.0");
  CHECK(s.blocks[8].sampler == SamplerKind::kNone);
  CHECK(s.time_embed_dim == 4 * 224);
}

TEST_CASE("UNetStructure: no mid block, scale_shift, three resnets per level, downsample padding 0") {
  const UNetStructure s = Structure(R"({"_class_name": "UNet2DModel", "block_out_channels": [8, 16, 16],
      "norm_num_groups": 4, "layers_per_block": 3, "mid_block_type": null, "attention_head_dim": 4,
      "down_block_types": ["AttnDownBlock2D", "DownBlock2D", "AttnDownBlock2D"],
      "up_block_types": ["AttnUpBlock2D", "UpBlock2D", "AttnUpBlock2D"],
      "resnet_time_scale_shift": "scale_shift", "downsample_padding": 0})");
  CheckWiring(s);
  REQUIRE(s.blocks.size() == 6);
  for (const BlockSpec& b : s.blocks) CHECK(b.name != "mid_block");
  CHECK(s.blocks[0].sampler_conv.params.pad_top == 0);  // F.pad(x, (0, 1, 0, 1)), then padding 0
  CHECK(s.blocks[0].sampler_conv.params.pad_bottom == 1);
  CHECK(s.blocks[0].resnets[0].time_emb_proj_out() == 16);  // scale and shift
  // Without a mid block the first up resnet reads the last skip both as its hidden state and as its pop.
  CHECK(s.blocks[3].resnets[0].pop_skip == int(s.skips.size()) - 1);
}

TEST_CASE("UNetStructure: the mid block's attention follows its group rule") {
  // UNetMidBlock2D: attn_norm_num_groups when given; else the resnets' groups under "default" and no
  // group_norm at all under "scale_shift".
  auto mid_groups = [](const std::string& extra) {
    const UNetStructure s = Structure(R"({"_class_name": "UNet2DModel", "block_out_channels": [8, 16],
        "norm_num_groups": 4, "down_block_types": ["DownBlock2D", "DownBlock2D"],
        "up_block_types": ["UpBlock2D", "UpBlock2D"])" + extra + "}");
    return s.blocks[2].attentions.at(0).norm_groups;
  };
  CHECK(mid_groups("") == 4);
  CHECK(mid_groups(R"(, "attn_norm_num_groups": 2)") == 2);
  CHECK(mid_groups(R"(, "resnet_time_scale_shift": "scale_shift")") == 0);
}
