// RePaintScheduler of diffusers v0.31.0 (Lugmayr et al. 2022, "RePaint: Inpainting using Denoising
// Diffusion Probabilistic Models"), number for number: a DDIM-style reverse step on the unknown
// region, the forward-noised original on the known one, and undo steps that noise the sample forward
// again (the "jumps" of the resampling schedule). Epsilon prediction only, as in diffusers.
//
//   auto s = RePaintScheduler::FromJson(text);        // eta and clip_sample from the config
//   s->SetTimesteps(250, /*jump_length=*/10, /*jump_n_sample=*/10);
//   // t < the previous t: Step(eps, t, x, original, mask, {.noise = &z}); otherwise UndoStep(x, t_prev, ...)
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diffusion/beta_schedule.h"
#include "diffusion/scheduler_common.h"
#include "io/json_config.h"

namespace ddpm {

// The keys of diffusers' RePaintScheduler config, with its defaults. Other keys (a DDPMScheduler's
// prediction_type, variance_type, ...) are ignored, as diffusers' from_config does.
struct RePaintSchedulerConfig {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  std::string beta_schedule = "linear";  // linear | scaled_linear | squaredcos_cap_v2 | sigmoid
  double eta = 0.0;                      // weight of the noise on the unknown region (0: DDIM-like, 1: DDPM-like)
  std::vector<double> trained_betas;     // empty = null
  bool clip_sample = true;

  static Expected<RePaintSchedulerConfig> FromJson(const JsonConfig& json);
  nlohmann::json ToJson() const;
};

class RePaintScheduler {
 public:
  static Expected<RePaintScheduler> FromConfig(const RePaintSchedulerConfig& config);
  static Expected<RePaintScheduler> FromConfig(const JsonConfig& json);
  static Expected<RePaintScheduler> FromJson(const std::string& text, const std::string& source = "scheduler_config.json");

  const RePaintSchedulerConfig& config() const { return config_; }
  const std::vector<float>& betas() const { return schedule_.betas; }
  const std::vector<float>& alphas_cumprod() const { return schedule_.alphas_cumprod; }
  // The jump schedule after SetTimesteps (it goes down, and up again by jump_length at each jump);
  // num_train_timesteps-1 .. 0 before.
  const std::vector<int64_t>& timesteps() const { return timesteps_; }
  int64_t num_inference_steps() const { return num_inference_steps_; }  // 0 before SetTimesteps
  // T / n: the timestep stride, and the number of forward steps (and noise draws) of an UndoStep.
  int64_t undo_draws() const;

  // set_timesteps(n, jump_length, jump_n_sample); n is capped at num_train_timesteps as in diffusers.
  Status SetTimesteps(int num_inference_steps, int jump_length = 10, int jump_n_sample = 10);

  // One reverse step on x_t. mask is [N or 1, 1 or C, H, W] (1 keeps original_image, 0 is filled in),
  // original_image has sample's shape. The step's single noise draw (options.noise, shaped like sample,
  // or options.rng) is both the variance noise of the unknown part (t > 0 and eta > 0) and the noise
  // of the known part, so it is needed at every step. options.eta is not used: eta is the config's.
  Expected<StepOutput> Step(const Tensor& model_output, int64_t timestep, const Tensor& sample,
                            const Tensor& original_image, const Tensor& mask, const StepOptions& options = {}) const;
  // The same step into *out, reusing its buffers (no allocation once their shapes fit). *out must not
  // share memory with the inputs.
  Status StepInto(const Tensor& model_output, int64_t timestep, const Tensor& sample, const Tensor& original_image,
                  const Tensor& mask, const StepOptions& options, StepOutput* out) const;

  // undo_step: undo_draws() forward steps x = sqrt(1 - beta_{t+i}) x + sqrt(beta_{t+i}) z_i from
  // `timestep` up. options.noise is [undo_draws(), ...sample.shape] (z_0 first), or options.rng draws.
  Expected<Tensor> UndoStep(const Tensor& sample, int64_t timestep, const StepOptions& options = {}) const;
  // The same into *out (out may be `sample` itself: the update is element-wise).
  Status UndoStepInto(const Tensor& sample, int64_t timestep, const StepOptions& options, Tensor* out,
                      Tensor* noise_scratch) const;

 private:
  RePaintScheduler(RePaintSchedulerConfig config, NoiseSchedule schedule);

  RePaintSchedulerConfig config_;
  NoiseSchedule schedule_;
  std::vector<int64_t> timesteps_;
  int64_t num_inference_steps_ = 0;
};

}  // namespace ddpm
