// The one place that decides what a model's config.json describes and builds it. Every caller that
// takes "a model" (`ddpm train`, `ddpm sample` and `ddpm info`, the JS Trainer) goes through here, so
// they accept the same classes with the same rule and refuse the others with the same message:
//   _class_name "UNet2DModel" (or absent, as in a bare diffusers UNet config) -> diffusers' UNet2DModel,
//   _class_name "ToyMLPDenoiser"                                           -> the toy 2-D MLP (nn/toy_mlp.h).
// A new denoiser class is added here: its name, its library, and a case in each builder.
// The UNet has two executors of one config, so there are two builders: MakeTrainableDenoiser (training:
// nn/train/unet2d_trainable.h) and LoadDenoiser (sampling: nn/unet2d_model.h, arena-planned). What the
// labels mean (num_class_embeds, null_class_index) is read above, by ReadUNetClasses (diffusion/unet_sampling.h).
#pragma once

#include <cstdint>
#include <memory>

#include "base/status.h"
#include "io/json_config.h"
#include "io/safetensors.h"
#include "nn/denoiser.h"
#include "nn/toy_mlp.h"
#include "nn/unet2d_model.h"

namespace ddpm {

enum class DenoiserKind { kUNet2DModel, kToyMLPDenoiser };

// config.json's _class_name, and model_index.json's class: "UNet2DModel", "ToyMLPDenoiser".
const char* DenoiserClassName(DenoiserKind kind);
// model_index.json's library for the class: "diffusers", "ddpm_wasm".
const char* DenoiserLibrary(DenoiserKind kind);

// The kind from _class_name (absent or null: UNet2DModel). Any other name is an error that names it and
// the known classes: "<source>: key '_class_name' value 'X' must be one of UNet2DModel, ToyMLPDenoiser".
Expected<DenoiserKind> ReadDenoiserKind(const JsonConfig& config);

// For training: a UNet2DTrainable or a ToyMlp with `weights` (a safetensors file in memory), or, when
// weights is null, fresh weights drawn from `seed` (each class's torch-like initialisation).
Expected<std::unique_ptr<TrainableDenoiser>> MakeTrainableDenoiser(const JsonConfig& config, const SafeTensors* weights,
                                                                   uint64_t seed);

// For sampling: exactly one of unet (the inference executor) and toy is set, as `kind` says.
struct LoadedDenoiser {
  DenoiserKind kind = DenoiserKind::kUNet2DModel;
  std::unique_ptr<nn::UNet2DModel> unet;
  std::unique_ptr<ToyMlp> toy;
};
Expected<LoadedDenoiser> LoadDenoiser(const JsonConfig& config, const SafeTensors& weights);

}  // namespace ddpm
