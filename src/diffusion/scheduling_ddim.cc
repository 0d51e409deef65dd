#include "diffusion/scheduling_ddim.h"

#include <algorithm>
#include <cmath>

namespace ddpm {

namespace {
const std::vector<std::string> kDdimSchedules = {"linear", "scaled_linear", "squaredcos_cap_v2"};
}  // namespace

Expected<DDIMSchedulerConfig> DDIMSchedulerConfig::FromJson(const JsonConfig& j) {
  DDIMSchedulerConfig c;
  DDPM_RETURN_IF_ERROR(ParseSharedKeys(j, kDdimSchedules, &c));
  DDPM_RETURN_IF_ERROR(ParseDdimKeys(j, &c));
  return c;
}

nlohmann::json DDIMSchedulerConfig::ToJson() const {
  return DdimConfigToJson(*this, "DDIMScheduler");
}

BetaScheduleSpec DDIMSchedulerConfig::beta_spec() const { return BetaSpecOf(*this); }

DDIMScheduler::DDIMScheduler(DDIMSchedulerConfig config, NoiseSchedule schedule)
    : config_(std::move(config)), schedule_(std::move(schedule)) {
  // At the last step there is no previous alpha: 1, or alphas_cumprod[0] with set_alpha_to_one false.
  final_alpha_cumprod_ = config_.set_alpha_to_one ? 1.0f : schedule_.alphas_cumprod[0];
  for (int64_t t = config_.num_train_timesteps - 1; t >= 0; --t) timesteps_.push_back(t);
}

Expected<DDIMScheduler> DDIMScheduler::FromConfig(const DDIMSchedulerConfig& config) {
  JsonConfig json(config.ToJson(), "DDIMSchedulerConfig");  // a hand-filled struct gets the JSON checks
  return FromConfig(json);
}

Expected<DDIMScheduler> DDIMScheduler::FromConfig(const JsonConfig& json) {
  DDPM_ASSIGN_OR_RETURN(DDIMSchedulerConfig config, DDIMSchedulerConfig::FromJson(json));
  DDPM_ASSIGN_OR_RETURN(NoiseSchedule schedule, MakeNoiseSchedule(config.beta_spec(), kDdimSchedules));
  return DDIMScheduler(std::move(config), std::move(schedule));
}

Expected<DDIMScheduler> DDIMScheduler::FromJson(const std::string& text, const std::string& source) {
  DDPM_ASSIGN_OR_RETURN(JsonConfig json, JsonConfig::Parse(text, source));
  return FromConfig(json);
}

Status DDIMScheduler::SetTimesteps(int num_inference_steps) {
  DDPM_ASSIGN_OR_RETURN(std::vector<int64_t> ts,
                        SpacedTimesteps(config_.timestep_spacing, config_.num_train_timesteps, num_inference_steps,
                                        config_.steps_offset));
  timesteps_ = std::move(ts);
  num_inference_steps_ = num_inference_steps;
  return Status::Ok();
}

Status DDIMScheduler::SetTimesteps(const std::vector<int64_t>&) {
  return Unsupported("DDIMScheduler has no custom timesteps (as in diffusers); use SetTimesteps(n)");
}

int64_t DDIMScheduler::PreviousTimestep(int64_t t) const {
  const int64_t n = num_inference_steps_ > 0 ? num_inference_steps_ : config_.num_train_timesteps;
  return t - config_.num_train_timesteps / n;
}

Expected<StepOutput> DDIMScheduler::Step(const Tensor& model_output, int64_t t, const Tensor& sample,
                                         const StepOptions& options) const {
  StepOutput out;
  DDPM_RETURN_IF_ERROR(StepInto(model_output, t, sample, options, &out));
  return out;
}

Status DDIMScheduler::StepInto(const Tensor& model_output, int64_t t, const Tensor& sample, const StepOptions& options,
                               StepOutput* out) const {
  if (num_inference_steps_ == 0) {
    return InvalidArgument("DDIMScheduler.step: call SetTimesteps(n) before stepping");
  }
  const int64_t T = config_.num_train_timesteps;
  if (t < 0 || t >= T) {
    return InvalidArgument("DDIMScheduler.step: timestep " + std::to_string(t) + " is outside [0, " +
                           std::to_string(T) + ")");
  }
  DDPM_RETURN_IF_ERROR(CheckSameShape("model_output", model_output, "sample", sample));
  DDPM_RETURN_IF_ERROR(CheckNoAlias("DDIMScheduler.step", model_output, sample, *out));

  // 1. previous step value: always t - T // n
  const int64_t prev_t = PreviousTimestep(t);

  // 2. alphas and betas (0-d float32 tensors in diffusers)
  const std::vector<float>& ac = schedule_.alphas_cumprod;
  const float alpha_prod_t = ac[t];
  const float alpha_prod_t_prev = prev_t >= 0 ? ac[prev_t] : final_alpha_cumprod_;
  const float beta_prod_t = 1.0f - alpha_prod_t;
  const float sqrt_a = std::sqrt(alpha_prod_t), sqrt_b = std::sqrt(beta_prod_t);

  // 3. predicted original sample and epsilon, formula (12)
  const size_t n = sample.size();
  const float* x = sample.data();
  Tensor& x0 = out->pred_original_sample;
  Tensor& eps = out->scratch.a;
  DDPM_RETURN_IF_ERROR(PredictOriginalAndEpsilon(config_.prediction_type, alpha_prod_t, model_output, sample, &x0, &eps));

  // 4. clip or threshold "predicted x_0"
  if (config_.thresholding) {
    ThresholdSampleInPlace(&x0, config_.dynamic_thresholding_ratio, config_.sample_max_value);
  } else if (config_.clip_sample) {
    ClampInPlace(&x0, static_cast<float>(config_.clip_sample_range));
  }

  // 5. variance sigma_t(eta), formula (16)
  const float beta_prod_t_prev = 1.0f - alpha_prod_t_prev;
  const float variance = (beta_prod_t_prev / beta_prod_t) * (1.0f - alpha_prod_t / alpha_prod_t_prev);
  const float std_dev_t = static_cast<float>(options.eta) * std::sqrt(variance);

  // 6. re-derive epsilon from the clipped x0 (Glide)
  if (options.use_clipped_model_output) {
    for (size_t i = 0; i < n; ++i) eps[i] = (x[i] - sqrt_a * x0[i]) / sqrt_b;
  }

  // 7. "direction pointing to x_t" and x_{t-1} without noise, formula (12)
  const float dir_coeff = std::sqrt(1.0f - alpha_prod_t_prev - std_dev_t * std_dev_t);
  const float x0_coeff = std::sqrt(alpha_prod_t_prev);
  DDPM_RETURN_IF_ERROR(ReuseTensor(&out->prev_sample, sample.shape()));
  Tensor& prev = out->prev_sample;
  for (size_t i = 0; i < n; ++i) prev[i] = x0_coeff * x0[i] + dir_coeff * eps[i];

  // 8. noise, when eta > 0
  if (options.eta > 0) {
    DDPM_ASSIGN_OR_RETURN(const Tensor* noise,
                          ResolveNoise(options, sample.shape(), "DDIMScheduler.step", &out->scratch.noise));
    const float* z = noise->data();
    for (size_t i = 0; i < n; ++i) prev[i] = prev[i] + std_dev_t * z[i];
  }
  return Status::Ok();
}

Expected<Tensor> DDIMScheduler::AddNoise(const Tensor& original_samples, const Tensor& noise,
                                         const std::vector<int64_t>& timesteps) const {
  return AddNoiseWithTable(schedule_.alphas_cumprod, original_samples, noise, timesteps);
}

Expected<Tensor> DDIMScheduler::GetVelocity(const Tensor& sample, const Tensor& noise,
                                            const std::vector<int64_t>& timesteps) const {
  return GetVelocityWithTable(schedule_.alphas_cumprod, sample, noise, timesteps);
}

}  // namespace ddpm
