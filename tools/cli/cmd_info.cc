// ddpm info --model DIR: what the folder holds, the UNet's shape, parameter count and FLOPs per image.
#include <cstdio>
#include <string>

#include "cli_common.h"
#include "commands.h"
#include "diffusion/sampling_defaults.h"
#include "io/json_config.h"

namespace ddpm::cli {
namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s;
}

std::string Join(const std::vector<int>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s;
}

class InfoCommand : public Command {
 public:
  CLI::App* Register(CLI::App& app) override {
    auto* sub = app.add_subcommand("info", "Summarise a UNet or pipeline folder");
    sub->add_option("--model", model_, "diffusers UNet folder or pipeline folder")->required();
    return sub;
  }

  int Run() override {
    auto folder = ResolveDiffusersFolder(model_);
    if (!folder.ok()) return Fail("info", folder.status());
    auto model = nn::UNet2DModel::FromPretrained(model_);
    if (!model.ok()) return Fail("info", model.status());
    const nn::UNet2DConfig& c = (*model)->config();
    std::printf("folder:             %s (%s)\n", model_.c_str(),
                folder->is_pipeline ? ("pipeline " + folder->pipeline_class).c_str() : "UNet folder");
    std::printf("model:              UNet2DModel, %d -> %d channels, sample size %dx%d\n", c.in_channels,
                c.out_channels, c.sample_height, c.sample_width);
    std::printf("down blocks:        %s\n", Join(c.down_block_types).c_str());
    std::printf("mid block:          %s%s\n", c.mid_block_type.empty() ? "none" : c.mid_block_type.c_str(),
                c.add_attention ? "" : " (no attention)");
    std::printf("up blocks:          %s\n", Join(c.up_block_types).c_str());
    std::printf("block_out_channels: %s, layers_per_block %d\n", Join(c.block_out_channels).c_str(),
                c.layers_per_block);
    std::printf("norm:               GroupNorm(%d, eps %g), act %s, time scale/shift %s\n", c.norm_num_groups,
                c.norm_eps, c.act_fn.c_str(), c.resnet_time_scale_shift.c_str());
    std::printf("attention:          %s\n", c.attention_head_dim
                                                 ? ("head_dim " + std::to_string(*c.attention_head_dim)).c_str()
                                                 : "one head of all channels");
    std::printf("time embedding:     %s, dim %d, flip_sin_to_cos %s, freq_shift %d\n", c.time_embedding_type.c_str(),
                c.time_embed_dim(), c.flip_sin_to_cos ? "true" : "false", c.freq_shift);
    std::printf("class embedding:    %s\n",
                c.num_class_embeds ? (std::to_string(*c.num_class_embeds) + " classes").c_str() : "none");
    std::printf("downsample_padding: %d\n", c.downsample_padding);
    const int64_t params = (*model)->num_parameters();
    std::printf("parameters:         %lld (%s, %.1f MB as F32)\n", (long long)params, HumanCount(params).c_str(),
                params * 4.0 / 1e6);
    if (c.sample_height > 0) {
      const double flops = (*model)->FlopsPerImage(c.sample_height, c.sample_width);
      std::printf("FLOPs per image:    %s (%dx%d, multiply-add = 2)\n", (HumanCount(flops) + "FLOP").c_str(),
                  c.sample_height, c.sample_width);
    }
    if (!folder->scheduler_config.empty()) {
      auto sc = JsonConfig::ReadFile(folder->scheduler_config);
      if (!sc.ok()) return Fail("info", sc.status());
      std::string cls = "?", schedule = "?";
      int64_t steps = 0;
      (void)sc->GetString("_class_name", &cls);
      (void)sc->GetString("beta_schedule", &schedule);
      (void)sc->GetInt("num_train_timesteps", &steps);
      std::printf("scheduler:          %s, %s betas, %lld train timesteps\n", cls.c_str(), schedule.c_str(),
                  (long long)steps);
    }
    auto defaults = ReadSamplingDefaults(folder->root);
    if (!defaults.ok()) return Fail("info", defaults.status());
    std::printf("sampling defaults:  %s\n", defaults->Describe().c_str());
    return 0;
  }

 private:
  std::string model_;
};

}  // namespace

std::unique_ptr<Command> MakeInfoCommand() { return std::make_unique<InfoCommand>(); }

}  // namespace ddpm::cli
