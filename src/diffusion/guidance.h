// The model's prediction for a batch at one timestep, with classifier-free guidance when asked:
// ε = ε_u + w·(ε_c − ε_u), the conditional and the null-class rows run as one doubled batch (at the
// timesteps of the guidance interval; elsewhere ε = ε_c, one batch). Shared by
// sampling and the editing pipelines, so all of them accept and refuse labels alike.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "diffusion/pipeline_types.h"

namespace ddpm {

class GuidedModel {
 public:
  // `class_labels`: empty, one for all `num_images`, or one per image. Guidance (scale != 1 with
  // labels) needs `null_class` >= 0, the label the model was trained with as "no class"; it applies at the
  // timesteps in `interval` (elsewhere the prediction is the conditional one alone).
  static Expected<GuidedModel> Make(NoisePredictor model, const std::vector<int64_t>& class_labels, int64_t num_images,
                                    double guidance_scale, int64_t null_class, GuidanceInterval interval = {});

  // pred = the (guided) prediction at x_t [N, C, H, W]; its buffers are reused from call to call, so a
  // step allocates nothing once the model's own buffers are planned.
  Status Predict(const Tensor& x, int64_t t, Tensor* pred);

 private:
  NoisePredictor model_;
  std::vector<int64_t> labels_, guided_labels_;
  bool guided_ = false;
  float scale_ = 1.0f;
  GuidanceInterval interval_;
  Tensor doubled_, guided_pred_;
};

}  // namespace ddpm
