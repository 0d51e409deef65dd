// The sampler settings `ddpm sample` and `ddpm img2img` take: --scheduler, --steps, --eta, --guidance-scale and
// --guidance-interval. Each one left out comes from the model's sampling_defaults.json (ResolveSampling), so
// the flags record only what the caller said.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "diffusion/sampling_defaults.h"

namespace ddpm::cli {

class SamplerFlags {
 public:
  // `steps_help` says what a step count means to the command.
  void Register(CLI::App* sub, const std::string& steps_help);
  // What the caller gave (unset = not said).
  SamplingChoice Given() const;
  // True when the model's `defaults` decide something of the run: a setting not given (the guidance interval
  // only when the file sets one; absent, it is every timestep either way).
  bool UsesDefaults(const SamplingDefaults& defaults) const;

 private:
  std::string scheduler_;
  int steps_ = 0;
  double eta_ = 0.0, guidance_ = 1.0;
  std::vector<int64_t> interval_;
  CLI::Option *scheduler_opt_ = nullptr, *steps_opt_ = nullptr, *eta_opt_ = nullptr, *guidance_opt_ = nullptr,
              *interval_opt_ = nullptr;
};

}  // namespace ddpm::cli
