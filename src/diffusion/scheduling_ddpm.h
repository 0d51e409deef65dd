// DDPMScheduler of diffusers v0.31.0 (Ho et al. 2020, "Denoising Diffusion Probabilistic Models"),
// number for number: the step does diffusers' 0-d float32 arithmetic in diffusers' order.
//
//   auto s = DDPMScheduler::FromJson(text);          // scheduler_config.json
//   s->SetTimesteps(50);
//   for (int64_t t : s->timesteps()) x = s->Step(eps, t, x, {.noise = &z}).value().prev_sample;
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diffusion/beta_schedule.h"
#include "diffusion/scheduler_common.h"
#include "io/json_config.h"

namespace ddpm {

// The keys of diffusers' DDPMScheduler config, with its defaults.
struct DDPMSchedulerConfig {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  std::string beta_schedule = "linear";  // linear | scaled_linear | squaredcos_cap_v2 | sigmoid
  std::vector<double> trained_betas;     // empty = null
  // fixed_small | fixed_small_log | fixed_large | fixed_large_log | learned | learned_range
  std::string variance_type = "fixed_small";
  bool clip_sample = true;
  std::string prediction_type = "epsilon";  // epsilon | sample | v_prediction
  bool thresholding = false;
  double dynamic_thresholding_ratio = 0.995;
  double clip_sample_range = 1.0;
  double sample_max_value = 1.0;
  std::string timestep_spacing = "leading";  // leading | trailing | linspace
  int64_t steps_offset = 0;
  bool rescale_betas_zero_snr = false;

  // Unknown keys are ignored; a wrong type or value is an error naming the key.
  static Expected<DDPMSchedulerConfig> FromJson(const JsonConfig& json);
  // scheduler_config.json as diffusers writes it (with "_class_name").
  nlohmann::json ToJson() const;
  BetaScheduleSpec beta_spec() const;
};

class DDPMScheduler {
 public:
  static Expected<DDPMScheduler> FromConfig(const DDPMSchedulerConfig& config);
  static Expected<DDPMScheduler> FromConfig(const JsonConfig& json);
  static Expected<DDPMScheduler> FromJson(const std::string& text, const std::string& source = "scheduler_config.json");

  const DDPMSchedulerConfig& config() const { return config_; }
  const std::vector<float>& betas() const { return schedule_.betas; }
  const std::vector<float>& alphas_cumprod() const { return schedule_.alphas_cumprod; }
  // num_train_timesteps-1 .. 0 until SetTimesteps is called.
  const std::vector<int64_t>& timesteps() const { return timesteps_; }
  int64_t num_inference_steps() const { return num_inference_steps_; }  // 0 before SetTimesteps(n)

  // set_timesteps(n) with the configured timestep_spacing.
  Status SetTimesteps(int num_inference_steps);
  // set_timesteps(timesteps=[...]): strictly descending, below num_train_timesteps.
  Status SetTimesteps(const std::vector<int64_t>& timesteps);

  // v0.31 previous_timestep: t - T // n (n = T before SetTimesteps); with custom timesteps, the next
  // entry of timesteps() (-1 after the last). An error if t is not one of the custom timesteps.
  Expected<int64_t> PreviousTimestep(int64_t timestep) const;

  // One reverse step x_t -> x_{t-1}. model_output is [N, C, ...] like sample, or [N, 2C, ...] with the
  // predicted variance in the second half of the channels for variance_type learned / learned_range.
  // Noise (options.noise or options.rng) is needed when timestep > 0.
  Expected<StepOutput> Step(const Tensor& model_output, int64_t timestep, const Tensor& sample,
                            const StepOptions& options = {}) const;
  // The same step into *out, reusing its buffers when their shapes fit (no allocation then). *out
  // must not share memory with the inputs.
  Status StepInto(const Tensor& model_output, int64_t timestep, const Tensor& sample, const StepOptions& options,
                  StepOutput* out) const;

  // x_t = sqrt(a_t)*x0 + sqrt(1-a_t)*noise, one timestep per batch element (or one for all).
  Expected<Tensor> AddNoise(const Tensor& original_samples, const Tensor& noise,
                            const std::vector<int64_t>& timesteps) const;
  // v = sqrt(a_t)*noise - sqrt(1-a_t)*sample.
  Expected<Tensor> GetVelocity(const Tensor& sample, const Tensor& noise, const std::vector<int64_t>& timesteps) const;

 private:
  DDPMScheduler(DDPMSchedulerConfig config, NoiseSchedule schedule);

  DDPMSchedulerConfig config_;
  NoiseSchedule schedule_;
  std::vector<int64_t> timesteps_;
  int64_t num_inference_steps_ = 0;
  bool custom_timesteps_ = false;
};

}  // namespace ddpm
