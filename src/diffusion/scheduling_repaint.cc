#include "diffusion/scheduling_repaint.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace ddpm {

namespace {
const std::vector<std::string> kRePaintSchedules = {"linear", "scaled_linear", "squaredcos_cap_v2", "sigmoid"};

// The mask may broadcast over the batch (dim 0) and the channels (dim 1), as diffusers' tensors do.
Status CheckMask(const Tensor& mask, const Tensor& sample) {
  const bool ok = mask.rank() == 4 && (mask.dim(0) == 1 || mask.dim(0) == sample.dim(0)) &&
                  (mask.dim(1) == 1 || mask.dim(1) == sample.dim(1)) && mask.dim(2) == sample.dim(2) &&
                  mask.dim(3) == sample.dim(3);
  if (ok) return Status::Ok();
  return InvalidArgument("RePaintScheduler.step: mask shape " + ShapeToString(mask.shape()) +
                         " must be [N or 1, 1 or C, H, W] for sample shape " + ShapeToString(sample.shape()));
}
}  // namespace

Expected<RePaintSchedulerConfig> RePaintSchedulerConfig::FromJson(const JsonConfig& j) {
  RePaintSchedulerConfig c;
  DDPM_RETURN_IF_ERROR(ParseBetaKeys(j, kRePaintSchedules, &c));
  DDPM_RETURN_IF_ERROR(j.GetDouble("eta", &c.eta));
  DDPM_RETURN_IF_ERROR(j.GetBool("clip_sample", &c.clip_sample));
  if (!(c.eta >= 0.0 && c.eta <= 1.0)) return j.Error("eta", "must be in [0, 1], got " + std::to_string(c.eta));
  return c;
}

nlohmann::json RePaintSchedulerConfig::ToJson() const {
  nlohmann::json j;
  j["_class_name"] = "RePaintScheduler";
  j["_diffusers_version"] = "0.31.0";
  BetaKeysToJson(*this, &j);
  j["eta"] = eta;
  j["clip_sample"] = clip_sample;
  return j;
}

RePaintScheduler::RePaintScheduler(RePaintSchedulerConfig config, NoiseSchedule schedule)
    : config_(std::move(config)), schedule_(std::move(schedule)) {
  for (int64_t t = config_.num_train_timesteps - 1; t >= 0; --t) timesteps_.push_back(t);
}

Expected<RePaintScheduler> RePaintScheduler::FromConfig(const RePaintSchedulerConfig& config) {
  JsonConfig json(config.ToJson(), "RePaintSchedulerConfig");  // a hand-filled struct gets the JSON checks
  return FromConfig(json);
}

Expected<RePaintScheduler> RePaintScheduler::FromConfig(const JsonConfig& json) {
  DDPM_ASSIGN_OR_RETURN(RePaintSchedulerConfig config, RePaintSchedulerConfig::FromJson(json));
  DDPM_ASSIGN_OR_RETURN(NoiseSchedule schedule, MakeNoiseSchedule(BetaSpecOf(config), kRePaintSchedules));
  return RePaintScheduler(std::move(config), std::move(schedule));
}

Expected<RePaintScheduler> RePaintScheduler::FromJson(const std::string& text, const std::string& source) {
  DDPM_ASSIGN_OR_RETURN(JsonConfig json, JsonConfig::Parse(text, source));
  return FromConfig(json);
}

int64_t RePaintScheduler::undo_draws() const {
  const int64_t n = num_inference_steps_ > 0 ? num_inference_steps_ : config_.num_train_timesteps;
  return config_.num_train_timesteps / n;
}

Status RePaintScheduler::SetTimesteps(int num_inference_steps, int jump_length, int jump_n_sample) {
  if (num_inference_steps < 1)
    return InvalidArgument("num_inference_steps must be at least 1, got " + std::to_string(num_inference_steps));
  if (jump_length < 1) return InvalidArgument("jump_length must be at least 1, got " + std::to_string(jump_length));
  // The schedule has about n * (2 * jump_n_sample - 1) entries; the bound keeps it to a sane size.
  if (jump_n_sample < 1 || jump_n_sample > 1000)
    return InvalidArgument("jump_n_sample must be in [1, 1000], got " + std::to_string(jump_n_sample));
  const int64_t n = std::min<int64_t>(config_.num_train_timesteps, num_inference_steps);

  // Going down from n, each multiple of jump_length below n - jump_length is a place to jump back up
  // by jump_length, jump_n_sample - 1 times (Figure 9 of the paper).
  std::map<int64_t, int64_t> jumps;
  for (int64_t j = 0; j < n - jump_length; j += jump_length) jumps[j] = jump_n_sample - 1;
  std::vector<int64_t> steps;
  int64_t t = n;
  while (t >= 1) {
    t = t - 1;
    steps.push_back(t);
    auto it = jumps.find(t);
    if (it != jumps.end() && it->second > 0) {
      it->second -= 1;
      for (int k = 0; k < jump_length; ++k) steps.push_back(++t);
    }
  }
  const int64_t stride = config_.num_train_timesteps / n;
  for (int64_t& s : steps) s *= stride;
  timesteps_ = std::move(steps);
  num_inference_steps_ = n;
  return Status::Ok();
}

Expected<StepOutput> RePaintScheduler::Step(const Tensor& model_output, int64_t t, const Tensor& sample,
                                            const Tensor& original_image, const Tensor& mask,
                                            const StepOptions& options) const {
  StepOutput out;
  DDPM_RETURN_IF_ERROR(StepInto(model_output, t, sample, original_image, mask, options, &out));
  return out;
}

Status RePaintScheduler::StepInto(const Tensor& model_output, int64_t t, const Tensor& sample,
                                  const Tensor& original_image, const Tensor& mask, const StepOptions& options,
                                  StepOutput* out) const {
  if (num_inference_steps_ == 0) return InvalidArgument("RePaintScheduler.step: call SetTimesteps(n) before stepping");
  const int64_t T = config_.num_train_timesteps;
  if (t < 0 || t >= T) {
    return InvalidArgument("RePaintScheduler.step: timestep " + std::to_string(t) + " is outside [0, " +
                           std::to_string(T) + ")");
  }
  DDPM_RETURN_IF_ERROR(CheckSameShape("model_output", model_output, "sample", sample));
  DDPM_RETURN_IF_ERROR(CheckSameShape("original_image", original_image, "sample", sample));
  if (sample.rank() != 4) return InvalidArgument("RePaintScheduler.step: sample must be [N, C, H, W], got " +
                                                 ShapeToString(sample.shape()));
  DDPM_RETURN_IF_ERROR(CheckMask(mask, sample));
  DDPM_RETURN_IF_ERROR(CheckNoAlias("RePaintScheduler.step", model_output, sample, *out));
  DDPM_ASSIGN_OR_RETURN(const Tensor* noise,
                        ResolveNoise(options, sample.shape(), "RePaintScheduler.step", &out->scratch.noise));

  // 1. previous step value (t - T / n) and the alphas (0-d float32 tensors in diffusers)
  const int64_t prev_t = t - T / num_inference_steps_;
  const std::vector<float>& ac = schedule_.alphas_cumprod;
  const float alpha_prod_t = ac[t];
  const float alpha_prod_t_prev = prev_t >= 0 ? ac[prev_t] : 1.0f;  // final_alpha_cumprod
  const float beta_prod_t = 1.0f - alpha_prod_t;
  const float beta_prod_t_prev = 1.0f - alpha_prod_t_prev;

  // 2. predicted x_0, formula (15) of the DDPM paper; clipped
  Tensor& x0 = out->pred_original_sample;
  DDPM_RETURN_IF_ERROR(PredictOriginalAndEpsilon("epsilon", alpha_prod_t, model_output, sample, &x0, nullptr));
  if (config_.clip_sample) ClampInPlace(&x0, 1.0f);

  // 3. sigma_t(eta) from _get_variance, formula (16) of the DDIM paper
  const float variance = (beta_prod_t_prev / beta_prod_t) * (1.0f - alpha_prod_t / alpha_prod_t_prev);
  const float std_dev_t = static_cast<float>(config_.eta) * std::sqrt(variance);
  const bool add_variance = t > 0 && config_.eta > 0;

  // 4. x_{t-1} of the unknown part (DDIM with eta), of the known part (the original noised to
  //    t-1 with the same draw), and their blend by the mask
  const float dir_coeff = std::sqrt(1.0f - alpha_prod_t_prev - std_dev_t * std_dev_t);
  const float sqrt_a_prev = std::sqrt(alpha_prod_t_prev);
  const float sqrt_b_prev = std::sqrt(1.0f - alpha_prod_t_prev);
  DDPM_RETURN_IF_ERROR(ReuseTensor(&out->prev_sample, sample.shape()));
  const int64_t N = sample.dim(0), C = sample.dim(1), HW = sample.dim(2) * sample.dim(3);
  const int64_t mask_n = mask.dim(0), mask_c = mask.dim(1);
  const float* mo = model_output.data();
  const float* orig = original_image.data();
  const float* z = noise->data();
  const float* x0p = x0.data();
  float* prev = out->prev_sample.data();
  for (int64_t b = 0; b < N; ++b) {
    for (int64_t c = 0; c < C; ++c) {
      const float* m = mask.data() + ((mask_n == 1 ? 0 : b) * mask_c + (mask_c == 1 ? 0 : c)) * HW;
      const int64_t base = (b * C + c) * HW;
      for (int64_t k = 0; k < HW; ++k) {
        const int64_t i = base + k;
        float unknown = sqrt_a_prev * x0p[i] + dir_coeff * mo[i];
        if (add_variance) unknown = unknown + std_dev_t * z[i];
        const float known = sqrt_a_prev * orig[i] + sqrt_b_prev * z[i];
        prev[i] = m[k] * known + (1.0f - m[k]) * unknown;
      }
    }
  }
  return Status::Ok();
}

Expected<Tensor> RePaintScheduler::UndoStep(const Tensor& sample, int64_t t, const StepOptions& options) const {
  Tensor out, scratch;
  DDPM_RETURN_IF_ERROR(UndoStepInto(sample, t, options, &out, &scratch));
  return out;
}

Status RePaintScheduler::UndoStepInto(const Tensor& sample, int64_t t, const StepOptions& options, Tensor* out,
                                      Tensor* noise_scratch) const {
  if (num_inference_steps_ == 0) return InvalidArgument("RePaintScheduler.undo_step: call SetTimesteps(n) first");
  const int64_t draws = undo_draws();
  const int64_t T = config_.num_train_timesteps;
  if (t < 0 || t + draws > T) {
    return InvalidArgument("RePaintScheduler.undo_step: timestep " + std::to_string(t) + " + " +
                           std::to_string(draws) + " steps leaves [0, " + std::to_string(T) + ")");
  }
  const size_t n = sample.size();
  if (options.noise != nullptr) {
    const Shape& ns = options.noise->shape();
    if (ns.empty() || ns[0] != draws || Shape(ns.begin() + 1, ns.end()) != sample.shape()) {
      return InvalidArgument("RePaintScheduler.undo_step: noise shape " + ShapeToString(ns) + " must be [" +
                             std::to_string(draws) + ", ...sample shape " + ShapeToString(sample.shape()) + "]");
    }
  } else if (options.rng == nullptr) {
    return InvalidArgument("RePaintScheduler.undo_step needs noise: pass options.noise or options.rng");
  }
  if (out != &sample) {
    DDPM_RETURN_IF_ERROR(ReuseTensor(out, sample.shape()));
    std::copy(sample.data(), sample.data() + n, out->data());
  }
  float* x = out->data();
  for (int64_t i = 0; i < draws; ++i) {
    const float* z;
    if (options.noise != nullptr) {
      z = options.noise->data() + static_cast<size_t>(i) * n;
    } else {
      DDPM_RETURN_IF_ERROR(ReuseTensor(noise_scratch, sample.shape()));
      options.rng->Normal(noise_scratch->data(), n);
      z = noise_scratch->data();
    }
    const float beta = schedule_.betas[t + i];
    const float keep = std::sqrt(1.0f - beta), add = std::sqrt(beta);
    for (size_t k = 0; k < n; ++k) x[k] = keep * x[k] + add * z[k];
  }
  return Status::Ok();
}

}  // namespace ddpm
