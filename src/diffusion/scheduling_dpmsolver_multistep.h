// DPMSolverMultistepScheduler of diffusers v0.31.0 (Lu et al. 2022, "DPM-Solver++: Fast Solver for
// Guided Sampling of Diffusion Probabilistic Models"): multistep solvers of order 1-3, in diffusers'
// float32 scalar order. algorithm_type dpmsolver++ (the default; checked against diffusers' dumps)
// integrates the data prediction x0, dpmsolver the noise prediction; the sde- variants add noise at
// every step (options.noise or options.rng). log/exp of the scalars are correctly rounded here,
// torch's SLEEF ones are within 1 ulp, so results agree to ~1e-7 relative per step, not bit for bit.
//
//   auto s = DPMSolverMultistepScheduler::FromJson(text);
//   s->SetTimesteps(20);
//   for (int64_t t : s->timesteps()) x = s->Step(unet(x, t), t, x).value().prev_sample;
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "diffusion/beta_schedule.h"
#include "diffusion/scheduler_common.h"
#include "io/json_config.h"

namespace ddpm {

// The keys of diffusers' DPMSolverMultistepScheduler config, with its defaults.
struct DPMSolverMultistepSchedulerConfig {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  std::string beta_schedule = "linear";  // linear | scaled_linear | squaredcos_cap_v2
  std::vector<double> trained_betas;     // empty = null
  int64_t solver_order = 2;              // 1, 2 or 3
  std::string prediction_type = "epsilon";
  bool thresholding = false;
  double dynamic_thresholding_ratio = 0.995;
  double sample_max_value = 1.0;
  // dpmsolver++ | sde-dpmsolver++ | dpmsolver | sde-dpmsolver ("deis" runs as dpmsolver++, as in diffusers)
  std::string algorithm_type = "dpmsolver++";
  std::string solver_type = "midpoint";        // midpoint | heun (logrho, bh1, bh2 map to midpoint)
  bool lower_order_final = true;
  bool euler_at_final = false;
  bool use_karras_sigmas = false;
  bool use_exponential_sigmas = false;  // not supported: must stay false
  bool use_beta_sigmas = false;         // not supported: must stay false
  bool use_lu_lambdas = false;          // not supported: must stay false
  std::string final_sigmas_type = "zero";  // zero | sigma_min
  double lambda_min_clipped = -INFINITY;
  std::string variance_type;  // "" (null) | learned | learned_range: the model output has 2C channels
  std::string timestep_spacing = "linspace";  // linspace | leading | trailing
  int64_t steps_offset = 0;
  bool rescale_betas_zero_snr = false;

  // Unknown keys are ignored; a wrong type or value is an error naming the key.
  static Expected<DPMSolverMultistepSchedulerConfig> FromJson(const JsonConfig& json);
  nlohmann::json ToJson() const;
  BetaScheduleSpec beta_spec() const;
};

class DPMSolverMultistepScheduler {
 public:
  static Expected<DPMSolverMultistepScheduler> FromConfig(const DPMSolverMultistepSchedulerConfig& config);
  static Expected<DPMSolverMultistepScheduler> FromConfig(const JsonConfig& json);
  static Expected<DPMSolverMultistepScheduler> FromJson(const std::string& text,
                                                        const std::string& source = "scheduler_config.json");

  const DPMSolverMultistepSchedulerConfig& config() const { return config_; }
  const std::vector<float>& betas() const { return schedule_.betas; }
  const std::vector<float>& alphas_cumprod() const { return schedule_.alphas_cumprod; }
  const std::vector<int64_t>& timesteps() const { return timesteps_; }
  // n + 1 values after SetTimesteps: sigma at each timestep, then the final sigma (0 or sigma_min).
  const std::vector<float>& sigmas() const { return sigmas_; }
  int64_t num_inference_steps() const { return static_cast<int64_t>(timesteps_.size()); }

  // set_timesteps(n) with the configured spacing (or Karras sigmas). Resets the multistep state.
  Status SetTimesteps(int num_inference_steps);
  // set_timesteps(timesteps=[...]); not with use_karras_sigmas.
  Status SetTimesteps(const std::vector<int64_t>& timesteps);

  // One multistep update. The first call finds its place from `timestep` (diffusers' step_index);
  // later calls advance one position each, whatever `timestep` says, as diffusers does.
  // pred_original_sample is the data prediction x0 (convert_model_output). The sde- variants need
  // options.noise or options.rng at every step; the others ignore the options.
  Expected<StepOutput> Step(const Tensor& model_output, int64_t timestep, const Tensor& sample,
                            const StepOptions& options = {});
  // The same step into *out, reusing its buffers (and the oldest history slot) when their shapes fit:
  // after the first solver_order steps a step allocates nothing. *out must not share memory with
  // the inputs.
  Status StepInto(const Tensor& model_output, int64_t timestep, const Tensor& sample, const StepOptions& options,
                  StepOutput* out);

  // alpha*x0 + sigma*noise with (alpha, sigma) from sigmas() at each batch element's timestep.
  Expected<Tensor> AddNoise(const Tensor& original_samples, const Tensor& noise,
                            const std::vector<int64_t>& timesteps) const;

  int64_t step_index() const { return step_index_; }  // -1 before the first Step
  int last_solver_order() const { return last_order_; }  // order of the last update (1, 2 or 3)

 private:
  DPMSolverMultistepScheduler(DPMSolverMultistepSchedulerConfig config, NoiseSchedule schedule);
  Status FinishSetTimesteps(std::vector<int64_t> timesteps, std::vector<double> sigmas);
  int64_t IndexForTimestep(int64_t timestep) const;
  // convert_model_output: the quantity the solver integrates (x0 for the ++ variants, epsilon for
  // the others) and the data prediction x0 (returned as pred_original_sample).
  Status ConvertModelOutput(const Tensor& model_output, const Tensor& sample, Tensor* converted, Tensor* x0) const;
  bool DataPrediction() const;

  DPMSolverMultistepSchedulerConfig config_;
  NoiseSchedule schedule_;
  std::vector<float> sigma_table_;   // sqrt((1 - alphas_cumprod) / alphas_cumprod), float32
  std::vector<float> lambda_table_;  // log(alpha_t) - log(sigma_t), float32
  std::vector<int64_t> timesteps_;
  std::vector<float> sigmas_;
  std::vector<Tensor> model_outputs_;  // the last solver_order data predictions, oldest first
  int64_t lower_order_nums_ = 0;
  int64_t step_index_ = -1;
  int last_order_ = 0;
};

}  // namespace ddpm
