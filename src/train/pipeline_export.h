// The diffusers pipeline folder a trained model is shipped as (the layout of google/ddpm-cifar10-32),
// built in memory so that `ddpm train` writes it to disk and the JS Trainer.exportPipeline() returns it:
//   model_index.json, unet/config.json, unet/diffusion_pytorch_model.safetensors (EMA weights when the
//   trainer keeps an EMA, as diffusers' training scripts ship), scheduler/scheduler_config.json.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "io/safetensors.h"
#include "train/trainer.h"

namespace ddpm {

struct PipelineExportOptions {
  std::string library = "diffusers";      // model_index.json's "unet": [library, class]
  std::string class_name = "UNet2DModel";
  int64_t null_class = -1;  // >= 0: recorded as unet/config.json's null_class_index (the label for guidance)
  DType weights_dtype = DType::kF32;  // F16 halves what a browser downloads (the checkpoint keeps F32)
};

// (path relative to the folder, contents), in the order they are written.
using PipelineFiles = std::vector<std::pair<std::string, std::vector<uint8_t>>>;

// The trainer's model and noise scheduler as a pipeline folder's files.
Expected<PipelineFiles> ExportPipeline(Trainer& trainer, const PipelineExportOptions& options);

// Writes the files under `dir`, creating subfolders; each file is written atomically.
Status WritePipelineFiles(const std::string& dir, const PipelineFiles& files);

}  // namespace ddpm
