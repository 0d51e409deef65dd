// The reverse process as a loop, shared by the CLI, the wasm bindings and the trainer's sample grids:
// start from N(0, I) latents (seeded Philox, so native == wasm), ask the model for its prediction at
// each timestep (with classifier-free guidance when asked), and let the scheduler step.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "io/json_config.h"

namespace ddpm {

// model(x_t [B, C, H, W], t, class labels (empty, or one per row)) -> prediction of x_t's shape.
using NoisePredictor =
    std::function<Status(const Tensor& x_t, int64_t t, const std::vector<int64_t>& class_labels, Tensor* out)>;

struct StepProgress {
  int step = 0;   // 1-based
  int total = 0;
  int64_t timestep = 0;
  const Tensor* sample = nullptr;            // x_{t-1}
  const Tensor* pred_original = nullptr;     // the predicted x0 at this step (a preview)
};

struct SampleOptions {
  std::string scheduler = "ddim";           // ddpm | ddim | dpmpp (DPM-Solver++)
  int steps = 50;
  double eta = 0.0;                         // DDIM only
  int num_images = 1;
  std::vector<int64_t> class_labels;        // empty, one for all, or one per image
  double guidance_scale = 1.0;              // > 1 with labels: classifier-free guidance
  int64_t null_class = -1;                  // the unconditional label (needed for guidance)
  uint64_t seed = 0;
  const Tensor* latents = nullptr;          // caller-supplied x_T [N, C, H, W]
  // Called after every step; returning false cancels the run (the result is then a kCancelled error).
  std::function<bool(const StepProgress&)> on_step;
};

extern const std::vector<std::string> kSamplerNames;  // ddpm, ddim, dpmpp

// Steps when the caller gives none: 1000 for ddpm (every training timestep), 50 for ddim, 20 for dpmpp.
int DefaultSampleSteps(const std::string& scheduler);

// Runs the sampler. `image_shape` is [C, H, W]; `scheduler_config` is the pipeline's
// scheduler_config.json (any diffusers scheduler's keys: they are shared). Returns x_0 [N, C, H, W]
// as the model produced it (typically in [-1, 1]).
Expected<Tensor> Sample(const NoisePredictor& model, const Shape& image_shape, const JsonConfig& scheduler_config,
                        const SampleOptions& options);

}  // namespace ddpm
