// DDIMScheduler of diffusers v0.31.0 (Song et al. 2021, "Denoising Diffusion Implicit Models"),
// number for number: the step does diffusers' 0-d float32 arithmetic in diffusers' order.
//
//   auto s = DDIMScheduler::FromJson(text);
//   s->SetTimesteps(50);
//   for (int64_t t : s->timesteps()) x = s->Step(eps, t, x, {.eta = 0.0}).value().prev_sample;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diffusion/beta_schedule.h"
#include "diffusion/scheduler_common.h"
#include "io/json_config.h"

namespace ddpm {

// The keys of diffusers' DDIMScheduler config, with its defaults.
struct DDIMSchedulerConfig {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  std::string beta_schedule = "linear";  // linear | scaled_linear | squaredcos_cap_v2
  std::vector<double> trained_betas;     // empty = null
  bool clip_sample = true;
  bool set_alpha_to_one = true;
  int64_t steps_offset = 0;
  std::string prediction_type = "epsilon";  // epsilon | sample | v_prediction
  bool thresholding = false;
  double dynamic_thresholding_ratio = 0.995;
  double clip_sample_range = 1.0;
  double sample_max_value = 1.0;
  std::string timestep_spacing = "leading";  // leading | trailing | linspace
  bool rescale_betas_zero_snr = false;

  // Unknown keys are ignored; a wrong type or value is an error naming the key.
  static Expected<DDIMSchedulerConfig> FromJson(const JsonConfig& json);
  nlohmann::json ToJson() const;
  BetaScheduleSpec beta_spec() const;
};

class DDIMScheduler {
 public:
  static Expected<DDIMScheduler> FromConfig(const DDIMSchedulerConfig& config);
  static Expected<DDIMScheduler> FromConfig(const JsonConfig& json);
  static Expected<DDIMScheduler> FromJson(const std::string& text, const std::string& source = "scheduler_config.json");

  const DDIMSchedulerConfig& config() const { return config_; }
  const std::vector<float>& betas() const { return schedule_.betas; }
  const std::vector<float>& alphas_cumprod() const { return schedule_.alphas_cumprod; }
  const std::vector<int64_t>& timesteps() const { return timesteps_; }
  int64_t num_inference_steps() const { return num_inference_steps_; }  // 0 before SetTimesteps

  Status SetTimesteps(int num_inference_steps);
  // diffusers' DDIMScheduler has no custom timesteps (its step needs T // n); always an error.
  Status SetTimesteps(const std::vector<int64_t>& timesteps);

  // t - T // n, whatever the spacing (so with trailing / linspace it need not be the next timestep).
  int64_t PreviousTimestep(int64_t timestep) const;

  // One DDIM step, formula (12) of https://arxiv.org/pdf/2010.02502.pdf. Uses options.eta and
  // options.use_clipped_model_output; noise (options.noise or options.rng) only when eta > 0.
  Expected<StepOutput> Step(const Tensor& model_output, int64_t timestep, const Tensor& sample,
                            const StepOptions& options = {}) const;
  // The same step into *out, reusing its buffers when their shapes fit (no allocation then). *out
  // must not share memory with the inputs.
  Status StepInto(const Tensor& model_output, int64_t timestep, const Tensor& sample, const StepOptions& options,
                  StepOutput* out) const;

  Expected<Tensor> AddNoise(const Tensor& original_samples, const Tensor& noise,
                            const std::vector<int64_t>& timesteps) const;
  Expected<Tensor> GetVelocity(const Tensor& sample, const Tensor& noise, const std::vector<int64_t>& timesteps) const;

 private:
  DDIMScheduler(DDIMSchedulerConfig config, NoiseSchedule schedule);

  DDIMSchedulerConfig config_;
  NoiseSchedule schedule_;
  float final_alpha_cumprod_ = 1.0f;
  std::vector<int64_t> timesteps_;
  int64_t num_inference_steps_ = 0;
};

}  // namespace ddpm
