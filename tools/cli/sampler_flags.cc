#include "sampler_flags.h"

namespace ddpm::cli {

void SamplerFlags::Register(CLI::App* sub, const std::string& steps_help) {
  scheduler_opt_ = sub->add_option("--scheduler", scheduler_, "ddpm | ddim | dpmpp (default: the model's)");
  steps_opt_ = sub->add_option("--steps", steps_, steps_help + " (default: the model's, else 1000 ddpm, 50 ddim, 20 dpmpp)");
  eta_opt_ = sub->add_option("--eta", eta_, "DDIM noise weight, 0 = deterministic (default: the model's, else 0)");
  guidance_opt_ = sub->add_option("--guidance-scale", guidance_,
                                  "classifier-free guidance weight, 1 = off (default: the model's, else 1)");
  interval_opt_ = sub->add_option("--guidance-interval", interval_,
                                  "LO,HI: guide only at timesteps LO <= t <= HI, the conditional prediction alone "
                                  "elsewhere (default: the model's, else every timestep)")
                      ->expected(2)
                      ->delimiter(',');
}

SamplingChoice SamplerFlags::Given() const {
  SamplingChoice given;
  if (scheduler_opt_->count()) given.scheduler = scheduler_;
  if (steps_opt_->count()) given.steps = steps_;
  if (eta_opt_->count()) given.eta = eta_;
  if (guidance_opt_->count()) given.guidance_scale = guidance_;
  if (interval_opt_->count()) given.guidance_interval = GuidanceInterval{interval_[0], interval_[1]};
  return given;
}

bool SamplerFlags::UsesDefaults(const SamplingDefaults& defaults) const {
  const SamplingChoice g = Given();
  return !(g.scheduler && g.steps && g.eta && g.guidance_scale) ||
         (!g.guidance_interval && !defaults.guidance_interval.IsAll());
}

}  // namespace ddpm::cli
