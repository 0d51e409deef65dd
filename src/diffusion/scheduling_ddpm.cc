#include "diffusion/scheduling_ddpm.h"

#include <algorithm>
#include <cmath>

namespace ddpm {

namespace {
const std::vector<std::string> kDdpmSchedules = {"linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid"};
const std::vector<std::string> kVarianceTypes = {"fixed_small", "fixed_small_log", "fixed_large",
                                                 "fixed_large_log", "learned", "learned_range"};

}  // namespace

Expected<DDPMSchedulerConfig> DDPMSchedulerConfig::FromJson(const JsonConfig& j) {
  DDPMSchedulerConfig c;
  DDPM_RETURN_IF_ERROR(ParseSharedKeys(j, kDdpmSchedules, &c));
  DDPM_RETURN_IF_ERROR(j.GetEnum("variance_type", kVarianceTypes, &c.variance_type));
  DDPM_RETURN_IF_ERROR(j.GetBool("clip_sample", &c.clip_sample));
  DDPM_RETURN_IF_ERROR(j.GetDouble("clip_sample_range", &c.clip_sample_range));
  DDPM_RETURN_IF_ERROR(CheckKeyRange(j, "clip_sample_range", c.clip_sample_range, 0.0, INFINITY));
  return c;
}

nlohmann::json DDPMSchedulerConfig::ToJson() const {
  nlohmann::json j;
  j["_class_name"] = "DDPMScheduler";
  j["_diffusers_version"] = "0.31.0";
  SharedKeysToJson(*this, &j);
  j["variance_type"] = variance_type;
  j["clip_sample"] = clip_sample;
  j["clip_sample_range"] = clip_sample_range;
  return j;
}

BetaScheduleSpec DDPMSchedulerConfig::beta_spec() const { return BetaSpecOf(*this); }

DDPMScheduler::DDPMScheduler(DDPMSchedulerConfig config, NoiseSchedule schedule)
    : config_(std::move(config)), schedule_(std::move(schedule)) {
  for (int64_t t = config_.num_train_timesteps - 1; t >= 0; --t) timesteps_.push_back(t);
}

Expected<DDPMScheduler> DDPMScheduler::FromConfig(const DDPMSchedulerConfig& config) {
  JsonConfig json(config.ToJson(), "DDPMSchedulerConfig");  // a hand-filled struct gets the JSON checks
  return FromConfig(json);
}

Expected<DDPMScheduler> DDPMScheduler::FromConfig(const JsonConfig& json) {
  DDPM_ASSIGN_OR_RETURN(DDPMSchedulerConfig config, DDPMSchedulerConfig::FromJson(json));
  DDPM_ASSIGN_OR_RETURN(NoiseSchedule schedule, MakeNoiseSchedule(config.beta_spec(), kDdpmSchedules));
  return DDPMScheduler(std::move(config), std::move(schedule));
}

Expected<DDPMScheduler> DDPMScheduler::FromJson(const std::string& text, const std::string& source) {
  DDPM_ASSIGN_OR_RETURN(JsonConfig json, JsonConfig::Parse(text, source));
  return FromConfig(json);
}

Status DDPMScheduler::SetTimesteps(int num_inference_steps) {
  DDPM_ASSIGN_OR_RETURN(std::vector<int64_t> ts,
                        SpacedTimesteps(config_.timestep_spacing, config_.num_train_timesteps, num_inference_steps,
                                        config_.steps_offset));
  timesteps_ = std::move(ts);
  num_inference_steps_ = num_inference_steps;
  custom_timesteps_ = false;
  return Status::Ok();
}

Status DDPMScheduler::SetTimesteps(const std::vector<int64_t>& timesteps) {
  if (timesteps.empty()) return InvalidArgument("custom timesteps must not be empty");
  for (size_t i = 1; i < timesteps.size(); ++i) {
    if (timesteps[i] >= timesteps[i - 1]) return InvalidArgument("custom timesteps must be in descending order");
  }
  if (timesteps.front() >= config_.num_train_timesteps || timesteps.back() < 0) {
    return InvalidArgument("custom timesteps must lie in [0, num_train_timesteps = " +
                           std::to_string(config_.num_train_timesteps) + ")");
  }
  timesteps_ = timesteps;
  num_inference_steps_ = 0;
  custom_timesteps_ = true;
  return Status::Ok();
}

Expected<int64_t> DDPMScheduler::PreviousTimestep(int64_t t) const {
  if (custom_timesteps_) {
    auto it = std::find(timesteps_.begin(), timesteps_.end(), t);
    if (it == timesteps_.end()) {
      return InvalidArgument("timestep " + std::to_string(t) + " is not one of the custom timesteps");
    }
    return it + 1 == timesteps_.end() ? int64_t{-1} : *(it + 1);
  }
  const int64_t n = num_inference_steps_ > 0 ? num_inference_steps_ : config_.num_train_timesteps;
  return t - config_.num_train_timesteps / n;
}

Expected<StepOutput> DDPMScheduler::Step(const Tensor& model_output, int64_t t, const Tensor& sample,
                                         const StepOptions& options) const {
  StepOutput out;
  DDPM_RETURN_IF_ERROR(StepInto(model_output, t, sample, options, &out));
  return out;
}

Status DDPMScheduler::StepInto(const Tensor& model_output_in, int64_t t, const Tensor& sample,
                               const StepOptions& options, StepOutput* out) const {
  const int64_t T = config_.num_train_timesteps;
  if (t < 0 || t >= T) {
    return InvalidArgument("DDPMScheduler.step: timestep " + std::to_string(t) + " is outside [0, " +
                           std::to_string(T) + ")");
  }
  DDPM_ASSIGN_OR_RETURN(const int64_t prev_t, PreviousTimestep(t));

  // A learned-variance model outputs [eps, v] stacked along the channels (dim 1).
  const bool learned = config_.variance_type == "learned" || config_.variance_type == "learned_range";
  DDPM_RETURN_IF_ERROR(CheckNoAlias("DDPMScheduler.step", model_output_in, sample, *out));
  const Tensor* model_output = &model_output_in;
  Tensor& eps_part = out->scratch.a;
  Tensor& var_part = out->scratch.b;
  if (learned && sample.rank() >= 2 && model_output_in.rank() == sample.rank() &&
      model_output_in.dim(1) == 2 * sample.dim(1)) {
    Shape half = model_output_in.shape();
    half[1] /= 2;
    DDPM_RETURN_IF_ERROR(ReuseTensor(&eps_part, half));
    DDPM_RETURN_IF_ERROR(ReuseTensor(&var_part, half));
    const size_t inner = eps_part.size() / static_cast<size_t>(half[0]);  // C*H*W of one half
    for (int64_t b = 0; b < half[0]; ++b) {
      const float* src = model_output_in.data() + b * 2 * inner;
      std::copy(src, src + inner, eps_part.data() + b * inner);
      std::copy(src + inner, src + 2 * inner, var_part.data() + b * inner);
    }
    model_output = &eps_part;
  } else if (learned) {
    return InvalidArgument("DDPMScheduler.step: variance_type " + config_.variance_type +
                           " needs model_output with twice the channels of sample; got model_output shape " +
                           ShapeToString(model_output_in.shape()) + " and sample shape " +
                           ShapeToString(sample.shape()));
  }
  DDPM_RETURN_IF_ERROR(CheckSameShape("model_output", *model_output, "sample", sample));

  // 1. compute alphas, betas (0-d float32 tensors in diffusers)
  const std::vector<float>& ac = schedule_.alphas_cumprod;
  const float alpha_prod_t = ac[t];
  const float alpha_prod_t_prev = prev_t >= 0 ? ac[prev_t] : 1.0f;
  const float beta_prod_t = 1.0f - alpha_prod_t;
  const float beta_prod_t_prev = 1.0f - alpha_prod_t_prev;
  const float current_alpha_t = alpha_prod_t / alpha_prod_t_prev;
  const float current_beta_t = 1.0f - current_alpha_t;

  // 2. predicted original sample, formula (15) of https://arxiv.org/pdf/2006.11239.pdf
  Tensor& x0 = out->pred_original_sample;
  DDPM_RETURN_IF_ERROR(
      PredictOriginalAndEpsilon(config_.prediction_type, alpha_prod_t, *model_output, sample, &x0, /*eps=*/nullptr));
  const size_t n = sample.size();
  const float* x = sample.data();

  // 3. clip or threshold "predicted x_0"
  if (config_.thresholding) {
    ThresholdSampleInPlace(&x0, config_.dynamic_thresholding_ratio, config_.sample_max_value);
  } else if (config_.clip_sample) {
    ClampInPlace(&x0, static_cast<float>(config_.clip_sample_range));
  }

  // 4. coefficients of x_0 and x_t, formula (7)
  const float x0_coeff = (std::sqrt(alpha_prod_t_prev) * current_beta_t) / beta_prod_t;
  const float xt_coeff = std::sqrt(current_alpha_t) * beta_prod_t_prev / beta_prod_t;

  // 5. predicted previous sample mean
  DDPM_RETURN_IF_ERROR(ReuseTensor(&out->prev_sample, sample.shape()));
  Tensor& prev = out->prev_sample;
  for (size_t i = 0; i < n; ++i) prev[i] = x0_coeff * x0[i] + xt_coeff * x[i];

  // 6. add noise (diffusers draws it only when t > 0)
  if (t > 0) {
    DDPM_ASSIGN_OR_RETURN(const Tensor* noise,
                          ResolveNoise(options, sample.shape(), "DDPMScheduler.step", &out->scratch.noise));
    // _get_variance: the posterior variance, clamped so that its log exists
    const float variance = std::max(beta_prod_t_prev / beta_prod_t * current_beta_t, 1e-20f);
    const std::string& vt = config_.variance_type;
    const float* z = noise->data();
    if (vt == "learned" || vt == "learned_range") {
      const float* pv = var_part.data();
      const float min_log = LogF32(variance), max_log = LogF32(current_beta_t);
      for (size_t i = 0; i < n; ++i) {
        float std_dev;
        if (vt == "learned") {
          std_dev = std::sqrt(pv[i]);  // the model predicts the variance itself
        } else {
          const float frac = (pv[i] + 1.0f) / 2.0f;
          std_dev = ExpF32(0.5f * (frac * max_log + (1.0f - frac) * min_log));
        }
        prev[i] = prev[i] + std_dev * z[i];
      }
    } else {
      float std_dev;
      if (vt == "fixed_small") {
        std_dev = std::sqrt(variance);
      } else if (vt == "fixed_small_log") {
        std_dev = ExpF32(0.5f * LogF32(variance));
      } else if (vt == "fixed_large") {
        std_dev = std::sqrt(current_beta_t);  // 1 - a_t/a_prev, not betas[t]: they differ when n < T
      } else {  // fixed_large_log: diffusers takes sqrt(log(beta)), which is NaN; reproduced as is
        std_dev = std::sqrt(LogF32(current_beta_t));
      }
      for (size_t i = 0; i < n; ++i) prev[i] = prev[i] + std_dev * z[i];
    }
  }
  return Status::Ok();
}

Expected<Tensor> DDPMScheduler::AddNoise(const Tensor& original_samples, const Tensor& noise,
                                         const std::vector<int64_t>& timesteps) const {
  return AddNoiseWithTable(schedule_.alphas_cumprod, original_samples, noise, timesteps);
}

Expected<Tensor> DDPMScheduler::GetVelocity(const Tensor& sample, const Tensor& noise,
                                            const std::vector<int64_t>& timesteps) const {
  return GetVelocityWithTable(schedule_.alphas_cumprod, sample, noise, timesteps);
}

}  // namespace ddpm
