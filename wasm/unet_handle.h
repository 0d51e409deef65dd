// The C++ side of the JS UNet2DModel (web/src/unet.js): one loaded model, the thread pool its forward
// passes use, and its classes (for sample()). Conversions only; bound in bind_unet.cc, and passed to
// sample() in bind_pipeline.cc.
#pragma once

#include <memory>
#include <string>

#include <emscripten/val.h>

#include "base/thread_pool.h"
#include "diffusion/unet_sampling.h"
#include "nn/unet2d_model.h"

namespace ddpm::wasm {

using emscripten::val;

class UNetHandle {
 public:
  // config.json text and the safetensors bytes (Uint8Array). "" on success, else the core's message.
  std::string Load(const std::string& config_json, const val& weights, int threads);
  // sample NCHW Tensor, timesteps (one, or one per sample), class labels (undefined for none).
  val Forward(const val& sample, const val& timesteps, const val& class_labels);
  // The effective config.json (diffusers keys, defaults filled in), with null_class_index if the model has one.
  std::string ConfigJson() const;
  // {sampleSize: [h, w] | null, inChannels, outChannels, numClassEmbeds, nullClassIndex, numParameters,
  //  flopsPerImage} (null where the model has none).
  val Info() const;

  // Null until Load() succeeded.
  nn::UNet2DModel* model() { return model_.get(); }
  const UNetClasses& classes() const { return classes_; }
  ThreadPool* pool() { return pool_.get(); }

 private:
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<nn::UNet2DModel> model_;
  UNetClasses classes_;
};

// "UNet2DModel is not loaded" when model() is null.
std::string NotLoaded();

}  // namespace ddpm::wasm
