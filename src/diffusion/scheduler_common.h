// Pieces the DDPM, DDIM and DPM-Solver++ schedulers share: step options and output, config-key
// parsing, timestep spacing, dynamic thresholding, and the per-batch-element table lookups of
// add_noise / get_velocity. Tensors are NCHW with the batch in dim 0, as in diffusers.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/rng.h"
#include "base/status.h"
#include "base/tensor.h"
#include "diffusion/beta_schedule.h"
#include "io/json_config.h"

namespace ddpm {

// Per-call options of Step(). The caller normally supplies `noise` (diffusers' variance_noise), so a
// run replays exactly; when noise is needed and absent it is drawn from `rng`; with neither, Step fails.
struct StepOptions {
  const Tensor* noise = nullptr;
  PhiloxRng* rng = nullptr;
  double eta = 0.0;                       // DDIM only: weight of the noise (0 = deterministic DDIM)
  bool use_clipped_model_output = false;  // DDIM only
};

// Buffers a step needs besides its outputs (the split of a learned-variance output, epsilon, drawn
// noise). They live in the StepOutput so that StepInto can reuse them: a sampling loop that passes the
// same StepOutput every step allocates nothing after its first step.
struct StepScratch {
  Tensor a, b, noise;
};

struct StepOutput {
  Tensor prev_sample;           // x_{t-1}
  Tensor pred_original_sample;  // x_0 as the step saw it (after clipping / thresholding)
  StepScratch scratch;
};

// ---- config keys ----

extern const std::vector<std::string> kPredictionTypes;   // epsilon, sample, v_prediction
extern const std::vector<std::string> kTimestepSpacings;  // leading, trailing, linspace

// An error naming `key` unless lo < value <= hi.
Status CheckKeyRange(const JsonConfig& j, const std::string& key, double value, double lo, double hi);

// The beta-table keys every scheduler has: num_train_timesteps, beta_start, beta_end, beta_schedule
// (one of `schedules`), trained_betas.
template <class Config>
Status ParseBetaKeys(const JsonConfig& j, const std::vector<std::string>& schedules, Config* c) {
  DDPM_RETURN_IF_ERROR(j.GetInt("num_train_timesteps", &c->num_train_timesteps));
  DDPM_RETURN_IF_ERROR(j.GetDouble("beta_start", &c->beta_start));
  DDPM_RETURN_IF_ERROR(j.GetDouble("beta_end", &c->beta_end));
  DDPM_RETURN_IF_ERROR(j.GetEnum("beta_schedule", schedules, &c->beta_schedule));
  DDPM_RETURN_IF_ERROR(j.GetDoubleList("trained_betas", &c->trained_betas));
  // The bound keeps a hostile config from allocating gigabytes; real models use 1000 or 4000.
  if (c->num_train_timesteps < 1 || c->num_train_timesteps > 1000000) {
    return j.Error("num_train_timesteps", "must be in [1, 1000000], got " + std::to_string(c->num_train_timesteps));
  }
  if (!c->trained_betas.empty() && static_cast<int64_t>(c->trained_betas.size()) != c->num_train_timesteps) {
    return j.Error("trained_betas", "has " + std::to_string(c->trained_betas.size()) +
                                        " entries but num_train_timesteps is " +
                                        std::to_string(c->num_train_timesteps));
  }
  return Status::Ok();
}

// Whether a config struct has the dynamic-thresholding keys (DDIMInverseScheduler has not).
template <class Config>
concept HasThresholdingKeys = requires(Config c) { c.thresholding; c.dynamic_thresholding_ratio; c.sample_max_value; };

// The keys the DDPM, DDIM, DDIM-inverse and DPM-Solver++ schedulers share, read into any config struct
// with diffusers' field names: the beta keys, rescale_betas_zero_snr, prediction_type, thresholding,
// dynamic_thresholding_ratio, sample_max_value (when the struct has them), timestep_spacing, steps_offset.
template <class Config>
Status ParseSharedKeys(const JsonConfig& j, const std::vector<std::string>& schedules, Config* c) {
  DDPM_RETURN_IF_ERROR(ParseBetaKeys(j, schedules, c));
  DDPM_RETURN_IF_ERROR(j.GetBool("rescale_betas_zero_snr", &c->rescale_betas_zero_snr));
  DDPM_RETURN_IF_ERROR(j.GetEnum("prediction_type", kPredictionTypes, &c->prediction_type));
  if constexpr (HasThresholdingKeys<Config>) {
    DDPM_RETURN_IF_ERROR(j.GetBool("thresholding", &c->thresholding));
    DDPM_RETURN_IF_ERROR(j.GetDouble("dynamic_thresholding_ratio", &c->dynamic_thresholding_ratio));
    DDPM_RETURN_IF_ERROR(j.GetDouble("sample_max_value", &c->sample_max_value));
    DDPM_RETURN_IF_ERROR(CheckKeyRange(j, "dynamic_thresholding_ratio", c->dynamic_thresholding_ratio, 0.0, 1.0));
    DDPM_RETURN_IF_ERROR(CheckKeyRange(j, "sample_max_value", c->sample_max_value, 0.0, INFINITY));
  }
  DDPM_RETURN_IF_ERROR(j.GetEnum("timestep_spacing", kTimestepSpacings, &c->timestep_spacing));
  DDPM_RETURN_IF_ERROR(j.GetInt("steps_offset", &c->steps_offset));
  if (c->steps_offset < 0 || c->steps_offset >= c->num_train_timesteps) {
    return j.Error("steps_offset", "must be in [0, num_train_timesteps), got " + std::to_string(c->steps_offset));
  }
  return Status::Ok();
}

template <class Config>
BetaScheduleSpec BetaSpecOf(const Config& c) {
  bool rescale = false;  // RePaintScheduler has no rescale_betas_zero_snr key
  if constexpr (requires { c.rescale_betas_zero_snr; }) rescale = c.rescale_betas_zero_snr;
  return {c.num_train_timesteps, c.beta_start, c.beta_end, c.beta_schedule, c.trained_betas, rescale};
}

template <class Config>
void BetaKeysToJson(const Config& c, nlohmann::json* j) {
  (*j)["num_train_timesteps"] = c.num_train_timesteps;
  (*j)["beta_start"] = c.beta_start;
  (*j)["beta_end"] = c.beta_end;
  (*j)["beta_schedule"] = c.beta_schedule;
  (*j)["trained_betas"] = c.trained_betas.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.trained_betas);
}

template <class Config>
void SharedKeysToJson(const Config& c, nlohmann::json* j) {
  BetaKeysToJson(c, j);
  (*j)["rescale_betas_zero_snr"] = c.rescale_betas_zero_snr;
  (*j)["prediction_type"] = c.prediction_type;
  if constexpr (HasThresholdingKeys<Config>) {
    (*j)["thresholding"] = c.thresholding;
    (*j)["dynamic_thresholding_ratio"] = c.dynamic_thresholding_ratio;
    (*j)["sample_max_value"] = c.sample_max_value;
  }
  (*j)["timestep_spacing"] = c.timestep_spacing;
  (*j)["steps_offset"] = c.steps_offset;
}

// The keys DDIMScheduler and DDIMInverseScheduler add to the shared ones: clip_sample,
// set_alpha_to_one, clip_sample_range.
template <class Config>
Status ParseDdimKeys(const JsonConfig& j, Config* c) {
  DDPM_RETURN_IF_ERROR(j.GetBool("clip_sample", &c->clip_sample));
  DDPM_RETURN_IF_ERROR(j.GetBool("set_alpha_to_one", &c->set_alpha_to_one));
  DDPM_RETURN_IF_ERROR(j.GetDouble("clip_sample_range", &c->clip_sample_range));
  return CheckKeyRange(j, "clip_sample_range", c->clip_sample_range, 0.0, INFINITY);
}

template <class Config>
nlohmann::json DdimConfigToJson(const Config& c, const char* class_name) {
  nlohmann::json j;
  j["_class_name"] = class_name;
  j["_diffusers_version"] = "0.31.0";
  SharedKeysToJson(c, &j);
  j["clip_sample"] = c.clip_sample;
  j["set_alpha_to_one"] = c.set_alpha_to_one;
  j["clip_sample_range"] = c.clip_sample_range;
  return j;
}

// ---- timesteps ----

// DDPM / DDIM set_timesteps(n): leading, trailing or linspace spacing, as numpy computes them.
Expected<std::vector<int64_t>> SpacedTimesteps(const std::string& spacing, int64_t num_train_timesteps,
                                               int64_t num_inference_steps, int64_t steps_offset);

// numpy helpers the spacings are made of (double precision, round half to even).
std::vector<double> NumpyLinspace(double start, double stop, int64_t num);
std::vector<double> NumpyArange(double start, double stop, double step);

// ---- step helpers ----

// "NAME shape [..] does not match NAME shape [..]" when the shapes differ.
Status CheckSameShape(const char* name_a, const Tensor& a, const char* name_b, const Tensor& b);
// The noise to add: options.noise (shape-checked against `shape`) or a draw from options.rng into
// *scratch.
Expected<const Tensor*> ResolveNoise(const StepOptions& options, const Shape& shape, const char* who,
                                     Tensor* scratch);
// StepInto writes its outputs while it reads its inputs, so they must not share memory.
// (`who` is a const char*: a std::string parameter would allocate on every step.)
Status CheckNoAlias(const char* who, const Tensor& model_output, const Tensor& sample, const StepOutput& out);

// log / exp of a float32 scalar (diffusers' 0-d tensors): evaluated in double and rounded, i.e.
// correctly rounded in practice. torch uses SLEEF, within 1 ulp; double keeps native == wasm.
inline float LogF32(float x) { return static_cast<float>(std::log(static_cast<double>(x))); }
inline float ExpF32(float x) { return static_cast<float>(std::exp(static_cast<double>(x))); }

// The predicted x_0 (and, when eps is not null, epsilon) from a model output of `prediction_type`, in
// diffusers' float32 order (DDIM's step, step 3). Epsilon of a `sample` prediction comes from the
// unclipped x_0. x0 and eps are (re)shaped like sample.
Status PredictOriginalAndEpsilon(const std::string& prediction_type, float alpha_prod_t, const Tensor& model_output,
                                 const Tensor& sample, Tensor* x0, Tensor* eps);

// pred_original_sample post-processing: clamp to [-range, range] in place.
void ClampInPlace(Tensor* x, float range);
// Dynamic thresholding (Imagen): per batch element, s = clamp(quantile(|x|, ratio), 1, max_value),
// then x = clamp(x, -s, s) / s. The quantile follows torch.quantile's linear rule in float32.
void ThresholdSampleInPlace(Tensor* x, double ratio, double sample_max_value);

// sqrt(a)*x0 + sqrt(1-a)*noise (add_noise) or sqrt(a)*noise - sqrt(1-a)*x (get_velocity), with a the
// float32 alphas_cumprod at each batch element's timestep (one timestep, or one per batch element).
Expected<Tensor> AddNoiseWithTable(const std::vector<float>& alphas_cumprod, const Tensor& original_samples,
                                   const Tensor& noise, const std::vector<int64_t>& timesteps);
Expected<Tensor> GetVelocityWithTable(const std::vector<float>& alphas_cumprod, const Tensor& sample,
                                      const Tensor& noise, const std::vector<int64_t>& timesteps);

std::string JoinChoices(const std::vector<std::string>& choices);

}  // namespace ddpm
