// The reverse process as a loop, shared by the CLI, the wasm bindings and the trainer's sample grids:
// start from N(0, I) latents (seeded Philox, so native == wasm), ask the model for its prediction at
// each timestep (with classifier-free guidance when asked), and let the scheduler step.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "diffusion/denoising_loop.h"
#include "diffusion/pipeline_types.h"
#include "io/json_config.h"

namespace ddpm {

struct SampleOptions {
  std::string scheduler = "ddim";           // ddpm | ddim | dpmpp (DPM-Solver++)
  int steps = 50;
  double eta = 0.0;                         // DDIM only
  int num_images = 1;
  std::vector<int64_t> class_labels;        // empty, one for all, or one per image
  double guidance_scale = 1.0;              // > 1 with labels: classifier-free guidance
  GuidanceInterval guidance_interval;       // the timesteps it applies at (default: all)
  int64_t null_class = -1;                  // the unconditional label (needed for guidance)
  uint64_t seed = 0;
  const Tensor* latents = nullptr;          // caller-supplied x_T [N, C, H, W]
  // Overrides the scheduler config's clip_sample (x0 clipped to [-1, 1] at each step). Sampling back from
  // Invert()'s x_T needs false, as the inversion ran unclipped.
  std::optional<bool> clip_sample;
  StepCallback on_step;                     // after every step; false cancels (a kCancelled error)
};

// Steps when the caller gives none: 1000 for ddpm (every training timestep), 50 for ddim, 20 for dpmpp.
int DefaultSampleSteps(const std::string& scheduler);

// Runs the sampler. `image_shape` is [C, H, W]; `scheduler_config` is the pipeline's
// scheduler_config.json (any diffusers scheduler's keys: they are shared). Returns x_0 [N, C, H, W]
// as the model produced it (typically in [-1, 1]).
Expected<Tensor> Sample(const NoisePredictor& model, const Shape& image_shape, const JsonConfig& scheduler_config,
                        const SampleOptions& options);

}  // namespace ddpm
