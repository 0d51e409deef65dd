// The beta tables of diffusers v0.31.0 (DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler),
// computed from the config and matching torch's float32 tables bit for bit (see the notes in the .cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace ddpm {

// torch.linspace(start, end, steps, dtype=torch.float32) as torch 1.13's x86 CPU kernel computes it.
std::vector<float> TorchLinspaceF32(double start, double end, int64_t steps);

// squaredcos_cap_v2: betas_for_alpha_bar(T) of the Glide cosine schedule, in double, then rounded.
std::vector<float> BetasForAlphaBar(int64_t num_train_timesteps, double max_beta = 0.999);

// rescale_zero_terminal_snr (Lin et al. 2023, Algorithm 1), in float32 as diffusers does it.
std::vector<float> RescaleZeroTerminalSnr(const std::vector<float>& betas);

// torch.cumprod of float32 values: the running product is kept in double, each element rounded.
std::vector<float> CumprodF32(const std::vector<float>& values);

// What every scheduler derives from the beta keys of its config.
struct NoiseSchedule {
  std::vector<float> betas;
  std::vector<float> alphas;          // float32(1 - beta)
  std::vector<float> alphas_cumprod;  // CumprodF32(alphas)
};

// The beta keys shared by the schedulers' configs, with diffusers' defaults.
struct BetaScheduleSpec {
  int64_t num_train_timesteps = 1000;
  double beta_start = 0.0001;
  double beta_end = 0.02;
  std::string beta_schedule = "linear";  // linear | scaled_linear | squaredcos_cap_v2 | sigmoid
  std::vector<double> trained_betas;     // non-empty: used instead of beta_schedule
  bool rescale_betas_zero_snr = false;
};

// Builds the tables; errors name the bad key. `allowed` lists the schedules the caller accepts.
Expected<NoiseSchedule> MakeNoiseSchedule(const BetaScheduleSpec& spec, const std::vector<std::string>& allowed);

}  // namespace ddpm
