// DDIMInverseScheduler of diffusers v0.31.0: DDIM run backwards (x_0 -> x_T), for inversion. Its
// timesteps go up; step(model_output, t, x) takes x from t - T/n to t (prev_sample is the NOISIER
// sample), with the model evaluated at t as diffusers' inversion loops do.
//
//   auto s = DDIMInverseScheduler::FromJson(text);
//   s->SetTimesteps(50);
//   for (int64_t t : s->timesteps()) x = s->Step(unet(x, t), t, x).value().prev_sample;   // x_0 -> x_T
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "diffusion/beta_schedule.h"
#include "diffusion/scheduler_common.h"
#include "io/json_config.h"

namespace ddpm {

// The keys of diffusers' DDIMInverseScheduler config, with its defaults (no thresholding keys).
struct DDIMInverseSchedulerConfig {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  std::string beta_schedule = "linear";  // linear | scaled_linear | squaredcos_cap_v2
  std::vector<double> trained_betas;     // empty = null
  bool clip_sample = true;
  // The alpha before the first step (at t - T/n < 0): 1 (true) or alphas_cumprod[0] (false).
  bool set_alpha_to_one = true;
  int64_t steps_offset = 0;
  std::string prediction_type = "epsilon";  // epsilon | sample | v_prediction
  double clip_sample_range = 1.0;
  std::string timestep_spacing = "leading";  // leading | trailing
  bool rescale_betas_zero_snr = false;

  // Unknown keys are ignored; a wrong type or value is an error naming the key.
  static Expected<DDIMInverseSchedulerConfig> FromJson(const JsonConfig& json);
  nlohmann::json ToJson() const;
};

class DDIMInverseScheduler {
 public:
  static Expected<DDIMInverseScheduler> FromConfig(const DDIMInverseSchedulerConfig& config);
  static Expected<DDIMInverseScheduler> FromConfig(const JsonConfig& json);
  static Expected<DDIMInverseScheduler> FromJson(const std::string& text,
                                                 const std::string& source = "scheduler_config.json");

  const DDIMInverseSchedulerConfig& config() const { return config_; }
  const std::vector<float>& betas() const { return schedule_.betas; }
  const std::vector<float>& alphas_cumprod() const { return schedule_.alphas_cumprod; }
  // Ascending: 0 .. num_train_timesteps-1 before SetTimesteps.
  const std::vector<int64_t>& timesteps() const { return timesteps_; }
  int64_t num_inference_steps() const { return num_inference_steps_; }  // 0 before SetTimesteps

  // set_timesteps(n): leading (+ steps_offset) or trailing, ascending.
  Status SetTimesteps(int num_inference_steps);

  // One inverse step to `timestep` from min(timestep - T/n, T-1). With prediction_type sample and
  // set_alpha_to_one, the first step has alpha = 1 and epsilon = (x - x0)/0: diffusers returns inf/nan
  // there; this returns an error naming the cause instead.
  Expected<StepOutput> Step(const Tensor& model_output, int64_t timestep, const Tensor& sample) const;
  // The same step into *out, reusing its buffers (no allocation once their shapes fit). *out must not
  // share memory with the inputs.
  Status StepInto(const Tensor& model_output, int64_t timestep, const Tensor& sample, StepOutput* out) const;

 private:
  DDIMInverseScheduler(DDIMInverseSchedulerConfig config, NoiseSchedule schedule);

  DDIMInverseSchedulerConfig config_;
  NoiseSchedule schedule_;
  float initial_alpha_cumprod_ = 1.0f;
  std::vector<int64_t> timesteps_;
  int64_t num_inference_steps_ = 0;
};

}  // namespace ddpm
