// What the sampling and editing subcommands share: the UNet pipeline folder they run, the PNGs they
// read (fitted to the model) and the image outputs they write (atomically, after everything is computed).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "progress.h"
#include "diffusion/editing.h"
#include "diffusion/sampling_defaults.h"
#include "diffusion/unet_sampling.h"
#include "io/diffusers_folder.h"
#include "io/json_config.h"
#include "nn/toy_mlp.h"
#include "nn/unet2d_model.h"

namespace ddpm::cli {

// The model behind a UNet or pipeline folder, for every command that takes either kind (`ddpm sample`,
// `ddpm info`), built by the core's denoiser factory (nn/denoiser_factory.h, LoadDenoiser): a UNet2DModel,
// or the toy 2-D MLP when config.json's _class_name is ToyMLPDenoiser. Exactly one of unet and toy is
// set; any other class is the factory's error, which names it and the known classes.
struct FolderModel {
  DiffusersFolder folder;
  std::unique_ptr<nn::UNet2DModel> unet;
  std::unique_ptr<ToyMlp> toy;
  UNetClasses classes;  // the UNet's class labels (none for the toy model)
};
Expected<FolderModel> LoadFolderModel(const std::string& path);

struct UNetPipeline {
  std::unique_ptr<nn::UNet2DModel> unet;
  UNetClasses classes;
  JsonConfig scheduler_config{nlohmann::json::object(), "default DDPM scheduler"};
  SamplingDefaults defaults;  // the folder's sampling_defaults.json, else the built-ins
};

// A diffusers pipeline folder (or UNet folder) with a UNet2DModel (the toy model is refused, saying so);
// the scheduler config is the folder's, or diffusers' DDPM defaults.
Expected<UNetPipeline> LoadUNetPipeline(const std::string& path);

// A PNG as the model's input [1, C, H, W] in [-1, 1]: grey or RGB converted to the model's channels,
// centre-cropped and resized to its size, saying so in *notes ("--image IN.png: resized ..."), which
// the command prints once all its inputs have loaded (so that a bad input gives one line only).
Expected<Tensor> ReadModelImage(const std::string& path, const nn::UNet2DConfig& config, const std::string& flag,
                                std::vector<std::string>* notes);

// The mask PNG as [1, 1, H, W] of 0 and 1 (white = keep = 1, black = fill = 0, split at 0.5 as
// diffusers' RePaint preprocessing does), fitted to the model's size.
Expected<Tensor> ReadMaskImage(const std::string& path, const nn::UNet2DConfig& config,
                               std::vector<std::string>* notes);
void PrintNotes(const std::vector<std::string>& notes);

// x [N, C, H, W] in [-1, 1] to *.png (a grid), *.safetensors (`images` F32 in [0, 1]) or a directory
// of 00000.png, ... (anything else).
Status WriteImagesOutput(const std::string& output, const Tensor& x);

// --class and --guidance-scale checked against the model (as `ddpm sample` does) into *options, with
// the model's null class for guidance. class_label < 0: none given.
// on_step for a pipeline: advances the bar, never cancels.
StepCallback ProgressCallback(ProgressBar* bar);

Status SetEditClass(const UNetPipeline& model, int64_t class_label, double guidance_scale, EditOptions* options);

}  // namespace ddpm::cli
