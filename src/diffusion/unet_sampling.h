// Sampling with a UNet2DModel: the glue `ddpm sample` and the JS sample() share, so that both accept
// and refuse the same class labels with the same messages. The model's classes come from config.json:
// num_class_embeds, and null_class_index (written by `ddpm train`), the label trained as "no class"
// that classifier-free guidance needs for its unconditional prediction.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "base/thread_pool.h"
#include "diffusion/editing.h"
#include "diffusion/pipeline.h"
#include "io/json_config.h"
#include "nn/unet2d_model.h"

namespace ddpm {

struct UNetClasses {
  int64_t num_class_embeds = 0;  // 0: an unconditional model
  int64_t null_class = -1;       // the unconditional label, -1 if the model has none
  // Labels a caller may ask for: [0, usable()). The null class is not one of them.
  int64_t usable() const { return null_class >= 0 ? null_class : num_class_embeds; }
};

// From a UNet config.json (read by nn::UNet2DConfig, which checks null_class_index).
Expected<UNetClasses> ReadUNetClasses(const JsonConfig& unet_config);

// Labels for a run: one for all images or one per image, each in [0, usable()), required by a
// class-conditional model and refused by another; guidance (scale != 1) needs labels.
Status CheckSampleLabels(const UNetClasses& classes, const std::vector<int64_t>& labels, double guidance_scale);

// An editing run's labels and guidance (already in *options) checked as CheckSampleLabels does, and the
// model's null class filled in for guidance: what `ddpm inpaint`, img2img, invert and the JS editing calls share.
Status CheckEditClasses(const UNetClasses& classes, EditOptions* options);

// The UNet as Sample()'s model: every image of the batch at the same timestep.
NoisePredictor UNetNoisePredictor(nn::UNet2DModel* unet, ThreadPool* pool);

// Sample() with a UNet: labels checked, the null class filled in, images of the config's sample_size.
Expected<Tensor> SampleUNet(nn::UNet2DModel* unet, const UNetClasses& classes, const JsonConfig& scheduler_config,
                            SampleOptions options, ThreadPool* pool);

}  // namespace ddpm
