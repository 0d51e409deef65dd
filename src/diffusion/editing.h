// Editing a picture with a trained model: RePaint inpainting, SDEdit image-to-image, DDIM inversion
// to x_T, and slerp between two x_T. Images are NCHW in the model's range ([-1, 1]); every pipeline
// takes class labels and classifier-free guidance as Sample() does, a seed, and reports each step
// (with the predicted x0) to on_step, which can cancel.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "diffusion/pipeline_types.h"
#include "io/json_config.h"

namespace ddpm {

struct EditOptions {
  std::vector<int64_t> class_labels;  // empty, one for all, or one per image
  double guidance_scale = 1.0;        // > 1 with labels: classifier-free guidance
  GuidanceInterval guidance_interval; // the timesteps it applies at (default: all)
  int64_t null_class = -1;            // the unconditional label (needed for guidance)
  uint64_t seed = 0;
  StepCallback on_step;               // after every step (undo steps included); false cancels
};

// RePaintPipeline's defaults (diffusers): 250 steps, jumps of 10, each taken 10 times.
struct InpaintOptions : EditOptions {
  int steps = 250;
  int jump_length = 10;
  int jump_n_sample = 10;
  double eta = 0.0;  // noise weight on the filled-in region (0: DDIM-like, 1: DDPM-like)
  // For exact replay: every random draw [D, N, C, H, W] in RePaintPipeline's order (x_T, one per
  // denoising step, T/n per undo step); nullptr draws from the seeded stream.
  const Tensor* noise_draws = nullptr;
};

// RePaint's loop as RePaintPipeline runs it (undo steps included). image [N, C, H, W]; mask
// [N or 1, 1, H, W] with 1 = keep the original, 0 = fill in. scheduler_config is the model's (its
// beta keys and clip_sample; eta comes from the options); the model must predict epsilon.
Expected<Tensor> Inpaint(const NoisePredictor& model, const Tensor& image, const Tensor& mask,
                         const JsonConfig& scheduler_config, const InpaintOptions& options);

struct ImageToImageOptions : EditOptions {
  std::string scheduler = "ddim";  // ddpm | ddim | dpmpp
  int steps = 50;
  double eta = 0.0;                // DDIM only
  double strength = 0.8;           // in (0, 1]: how far along the noise schedule to start; 1 = pure noise
};

// SDEdit as diffusers' image-to-image pipelines do it: of the `steps` timesteps, the last
// int(steps * strength) are run, starting from the image noised (add_noise) to the first of them.
Expected<Tensor> ImageToImage(const NoisePredictor& model, const Tensor& image, const JsonConfig& scheduler_config,
                              const ImageToImageOptions& options);

// The timestep ImageToImage starts from (for showing where strength puts you), or an error when
// strength leaves no step.
Expected<int64_t> ImageToImageStartTimestep(const JsonConfig& scheduler_config, const std::string& scheduler,
                                            int steps, double strength);

struct InvertOptions : EditOptions {
  int steps = 50;
};

// DDIM inversion x_0 -> x_T with diffusers' DDIMInverseScheduler built from scheduler_config with
// clip_sample false (as in diffusers' inversion loops, the model is evaluated at each target timestep).
// Sampling from the result with DDIM, eta 0, the same steps and config, clip_sample false
// (SampleOptions::clip_sample) gives the image back (closely, for a trained model).
Expected<Tensor> Invert(const NoisePredictor& model, const Tensor& image, const JsonConfig& scheduler_config,
                        const InvertOptions& options);

// Spherical interpolation between two x_T of the same shape (the whole tensor as one vector), as in
// the DDIM paper's interpolation: t = 0 gives a, t = 1 gives b. Nearly parallel inputs fall back to
// a linear blend.
Expected<Tensor> Slerp(const Tensor& a, const Tensor& b, double t);

}  // namespace ddpm
