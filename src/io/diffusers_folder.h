// The two diffusers folder layouts a model comes in:
//  * a UNet folder: config.json + diffusion_pytorch_model.safetensors;
//  * a pipeline folder (google/ddpm-cifar10-32): model_index.json, unet/ (a UNet folder) and
//    scheduler/scheduler_config.json.
// Resolves paths only; reading and building the model happens above (nn/, diffusion/).
#pragma once

#include <string>

#include "base/status.h"
#include "io/json_config.h"
#include "io/safetensors.h"

namespace ddpm {

struct DiffusersFolder {
  std::string root;
  bool is_pipeline = false;
  std::string unet_config;            // .../config.json
  std::string unet_weights;           // .../diffusion_pytorch_model.safetensors (or the .fp16 variant)
  std::string scheduler_config;       // empty when the folder has none
  std::string pipeline_class;         // model_index.json's _class_name ("DDPMPipeline"), if any
};

// Errors name the folder and what is missing (e.g. a .bin-only checkpoint, which needs conversion).
Expected<DiffusersFolder> ResolveDiffusersFolder(const std::string& dir);

// A UNet folder's config and weights, read from a UNet or pipeline folder (what every model's
// FromPretrained starts with).
struct UNetFiles {
  JsonConfig config;
  SafeTensors weights;
};
Expected<UNetFiles> ReadUNetFiles(const std::string& dir);

}  // namespace ddpm
