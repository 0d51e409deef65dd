// ddpm info --model DIR: what the folder holds, the model's shape, parameter count and FLOPs per image
// (or per point for the toy 2-D model), its scheduler and its sampling defaults.
#include <cstdio>
#include <string>

#include "cli_common.h"
#include "cli_unet.h"
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
    auto model = LoadFolderModel(model_);  // a UNet2DModel or the toy MLP, as `ddpm sample` takes them
    if (!model.ok()) return Fail("info", model.status());
    const DiffusersFolder& folder = model->folder;
    std::printf("folder:             %s (%s)\n", model_.c_str(),
                folder.is_pipeline ? ("pipeline " + folder.pipeline_class).c_str() : "UNet folder");
    if (model->toy) {
      PrintToy(*model->toy);
    } else {
      PrintUNet(*model->unet);
    }
    if (!folder.scheduler_config.empty()) {
      auto sc = JsonConfig::ReadFile(folder.scheduler_config);
      if (!sc.ok()) return Fail("info", sc.status());
      std::string cls = "?", schedule = "?";
      int64_t steps = 0;
      (void)sc->GetString("_class_name", &cls);
      (void)sc->GetString("beta_schedule", &schedule);
      (void)sc->GetInt("num_train_timesteps", &steps);
      std::printf("scheduler:          %s, %s betas, %lld train timesteps\n", cls.c_str(), schedule.c_str(),
                  (long long)steps);
    } else {
      std::printf("scheduler:          none in the folder (diffusers' DDPMScheduler defaults)\n");
    }
    auto defaults = ReadSamplingDefaults(folder.root);
    if (!defaults.ok()) return Fail("info", defaults.status());
    std::printf("sampling defaults:  %s\n", defaults->Describe().c_str());
    return 0;
  }

 private:
  static void PrintParameters(int64_t params) {
    std::printf("parameters:         %lld (%s, %.1f MB as F32)\n", (long long)params, HumanCount(params).c_str(),
                params * 4.0 / 1e6);
  }

  static void PrintUNet(const nn::UNet2DModel& model) {
    const nn::UNet2DConfig& c = model.config();
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
    PrintParameters(model.num_parameters());
    if (c.sample_height > 0) {
      const double flops = model.FlopsPerImage(c.sample_height, c.sample_width);
      std::printf("FLOPs per image:    %s (%dx%d, multiply-add = 2)\n", (HumanCount(flops) + "FLOP").c_str(),
                  c.sample_height, c.sample_width);
    }
  }

  // The toy 2-D model: an MLP on [x, emb(t)] predicting ε for points (`ddpm train --data toy2d:NAME`).
  static void PrintToy(ToyMlp& toy) {
    const ToyMlpConfig& c = toy.config();
    std::printf("model:              ToyMLPDenoiser, %d-D points, MLP on [x, emb(t)] with SiLU, predicts noise\n",
                c.data_dim);
    // Widths from the loaded weights ([out, in] per Linear): what the model really is.
    std::vector<int> widths;
    int64_t params = 0, macs = 0;
    for (const ParamRef& p : toy.Parameters()) {
      params += int64_t(p.size);
      if (p.shape.size() == 2) {
        if (widths.empty()) widths.push_back(int(p.shape[1]));
        widths.push_back(int(p.shape[0]));
        macs += p.shape[0] * p.shape[1];
      }
    }
    std::string w;
    for (size_t i = 0; i < widths.size(); ++i) w += (i ? " -> " : "") + std::to_string(widths[i]);
    std::printf("layers:             %s (Linear; num_hidden_layers %d)\n", w.c_str(), c.num_hidden_layers);
    std::printf("time embedding:     sinusoidal, dim %d\n", c.time_embed_dim);
    PrintParameters(params);
    std::printf("FLOPs per point:    %s (multiply-add = 2)\n", (HumanCount(2.0 * double(macs)) + "FLOP").c_str());
  }

  std::string model_;
};

}  // namespace

std::unique_ptr<Command> MakeInfoCommand() { return std::make_unique<InfoCommand>(); }

}  // namespace ddpm::cli
