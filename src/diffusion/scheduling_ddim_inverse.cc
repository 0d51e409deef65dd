#include "diffusion/scheduling_ddim_inverse.h"

#include <algorithm>
#include <cmath>

namespace ddpm {

namespace {
const std::vector<std::string> kDdimInverseSchedules = {"linear", "scaled_linear", "squaredcos_cap_v2"};
const std::vector<std::string> kDdimInverseSpacings = {"leading", "trailing"};
}  // namespace

Expected<DDIMInverseSchedulerConfig> DDIMInverseSchedulerConfig::FromJson(const JsonConfig& j) {
  DDIMInverseSchedulerConfig c;
  DDPM_RETURN_IF_ERROR(ParseSharedKeys(j, kDdimInverseSchedules, &c));
  // diffusers' set_timesteps has no linspace spacing here; say so at construction.
  DDPM_RETURN_IF_ERROR(j.GetEnum("timestep_spacing", kDdimInverseSpacings, &c.timestep_spacing));
  DDPM_RETURN_IF_ERROR(ParseDdimKeys(j, &c));
  return c;
}

nlohmann::json DDIMInverseSchedulerConfig::ToJson() const {
  return DdimConfigToJson(*this, "DDIMInverseScheduler");
}

DDIMInverseScheduler::DDIMInverseScheduler(DDIMInverseSchedulerConfig config, NoiseSchedule schedule)
    : config_(std::move(config)), schedule_(std::move(schedule)) {
  initial_alpha_cumprod_ = config_.set_alpha_to_one ? 1.0f : schedule_.alphas_cumprod[0];
  for (int64_t t = 0; t < config_.num_train_timesteps; ++t) timesteps_.push_back(t);
}

Expected<DDIMInverseScheduler> DDIMInverseScheduler::FromConfig(const DDIMInverseSchedulerConfig& config) {
  JsonConfig json(config.ToJson(), "DDIMInverseSchedulerConfig");  // a hand-filled struct gets the JSON checks
  return FromConfig(json);
}

Expected<DDIMInverseScheduler> DDIMInverseScheduler::FromConfig(const JsonConfig& json) {
  DDPM_ASSIGN_OR_RETURN(DDIMInverseSchedulerConfig config, DDIMInverseSchedulerConfig::FromJson(json));
  DDPM_ASSIGN_OR_RETURN(NoiseSchedule schedule, MakeNoiseSchedule(BetaSpecOf(config), kDdimInverseSchedules));
  return DDIMInverseScheduler(std::move(config), std::move(schedule));
}

Expected<DDIMInverseScheduler> DDIMInverseScheduler::FromJson(const std::string& text, const std::string& source) {
  DDPM_ASSIGN_OR_RETURN(JsonConfig json, JsonConfig::Parse(text, source));
  return FromConfig(json);
}

Status DDIMInverseScheduler::SetTimesteps(int num_inference_steps) {
  // DDIM's timesteps, ascending: leading arange(0, n) * (T // n) + steps_offset, trailing
  // round(arange(T, 0, -T/n))[::-1] - 1.
  DDPM_ASSIGN_OR_RETURN(std::vector<int64_t> ts,
                        SpacedTimesteps(config_.timestep_spacing, config_.num_train_timesteps, num_inference_steps,
                                        config_.steps_offset));
  std::reverse(ts.begin(), ts.end());
  timesteps_ = std::move(ts);
  num_inference_steps_ = num_inference_steps;
  return Status::Ok();
}

Expected<StepOutput> DDIMInverseScheduler::Step(const Tensor& model_output, int64_t t, const Tensor& sample) const {
  StepOutput out;
  DDPM_RETURN_IF_ERROR(StepInto(model_output, t, sample, &out));
  return out;
}

Status DDIMInverseScheduler::StepInto(const Tensor& model_output, int64_t t, const Tensor& sample,
                                      StepOutput* out) const {
  if (num_inference_steps_ == 0) {
    return InvalidArgument("DDIMInverseScheduler.step: call SetTimesteps(n) before stepping");
  }
  const int64_t T = config_.num_train_timesteps;
  if (t < 0 || t >= T) {
    return InvalidArgument("DDIMInverseScheduler.step: timestep " + std::to_string(t) + " is outside [0, " +
                           std::to_string(T) + ")");
  }
  DDPM_RETURN_IF_ERROR(CheckSameShape("model_output", model_output, "sample", sample));
  DDPM_RETURN_IF_ERROR(CheckNoAlias("DDIMInverseScheduler.step", model_output, sample, *out));

  // 1. the step goes from `from_t` (less noisy) to t (noisier)
  const int64_t from_t = std::min(t - T / num_inference_steps_, T - 1);

  // 2. alphas (0-d float32 tensors in diffusers)
  const float alpha_prod_t = from_t >= 0 ? schedule_.alphas_cumprod[from_t] : initial_alpha_cumprod_;
  const float alpha_prod_t_next = schedule_.alphas_cumprod[t];
  if (config_.prediction_type == "sample" && alpha_prod_t == 1.0f) {
    return InvalidArgument("DDIMInverseScheduler.step: prediction_type sample with alpha_prod = 1 (set_alpha_to_one "
                           "at the first step) gives epsilon = (x - x0) / 0; diffusers returns inf/nan here. Use "
                           "set_alpha_to_one false");
  }

  // 3. predicted original sample and epsilon, formula (12) of the DDIM paper
  Tensor& x0 = out->pred_original_sample;
  Tensor& eps = out->scratch.a;
  DDPM_RETURN_IF_ERROR(PredictOriginalAndEpsilon(config_.prediction_type, alpha_prod_t, model_output, sample, &x0, &eps));

  // 4. clip "predicted x_0"
  if (config_.clip_sample) ClampInPlace(&x0, static_cast<float>(config_.clip_sample_range));

  // 5. x at the next (noisier) timestep: "direction pointing to x_t" with eta 0, formula (12)
  const float dir_coeff = std::sqrt(1.0f - alpha_prod_t_next);
  const float x0_coeff = std::sqrt(alpha_prod_t_next);
  DDPM_RETURN_IF_ERROR(ReuseTensor(&out->prev_sample, sample.shape()));
  const size_t n = sample.size();
  for (size_t i = 0; i < n; ++i) out->prev_sample[i] = x0_coeff * x0[i] + dir_coeff * eps[i];
  return Status::Ok();
}

}  // namespace ddpm
