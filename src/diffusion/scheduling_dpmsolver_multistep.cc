#include "diffusion/scheduling_dpmsolver_multistep.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace ddpm {

namespace {
const std::vector<std::string> kDpmSchedules = {"linear", "scaled_linear", "squaredcos_cap_v2"};
const std::vector<std::string> kAlgorithmTypes = {"dpmsolver++", "deis", "dpmsolver", "sde-dpmsolver",
                                                  "sde-dpmsolver++"};
const std::vector<std::string> kSolverTypes = {"midpoint", "heun", "logrho", "bh1", "bh2"};
const std::vector<std::string> kFinalSigmasTypes = {"zero", "sigma_min"};

// _sigma_to_alpha_sigma_t: alpha = 1/sqrt(sigma^2 + 1), sigma_t = sigma*alpha, in float32.
struct AlphaSigma {
  float alpha, sigma, lambda;
};
AlphaSigma FromSigma(float s) {
  const float alpha = 1.0f / std::sqrt(s * s + 1.0f);
  const float sigma = s * alpha;
  return {alpha, sigma, LogF32(alpha) - LogF32(sigma)};  // lambda = +inf at sigma = 0
}
}  // namespace

Expected<DPMSolverMultistepSchedulerConfig> DPMSolverMultistepSchedulerConfig::FromJson(const JsonConfig& j) {
  DPMSolverMultistepSchedulerConfig c;
  DDPM_RETURN_IF_ERROR(ParseSharedKeys(j, kDpmSchedules, &c));
  DDPM_RETURN_IF_ERROR(j.GetInt("solver_order", &c.solver_order));
  DDPM_RETURN_IF_ERROR(j.GetEnum("algorithm_type", kAlgorithmTypes, &c.algorithm_type));
  DDPM_RETURN_IF_ERROR(j.GetEnum("solver_type", kSolverTypes, &c.solver_type));
  DDPM_RETURN_IF_ERROR(j.GetBool("lower_order_final", &c.lower_order_final));
  DDPM_RETURN_IF_ERROR(j.GetBool("euler_at_final", &c.euler_at_final));
  DDPM_RETURN_IF_ERROR(j.GetBool("use_karras_sigmas", &c.use_karras_sigmas));
  DDPM_RETURN_IF_ERROR(j.GetBool("use_exponential_sigmas", &c.use_exponential_sigmas));
  DDPM_RETURN_IF_ERROR(j.GetBool("use_beta_sigmas", &c.use_beta_sigmas));
  DDPM_RETURN_IF_ERROR(j.GetBool("use_lu_lambdas", &c.use_lu_lambdas));
  DDPM_RETURN_IF_ERROR(j.GetEnum("final_sigmas_type", kFinalSigmasTypes, &c.final_sigmas_type));
  // Any string is accepted (a DDPM config's "fixed_small" is common); only learned* change anything.
  DDPM_RETURN_IF_ERROR(j.GetString("variance_type", &c.variance_type));
  if (c.variance_type != "learned" && c.variance_type != "learned_range") c.variance_type.clear();
  // The default -inf is written by Python as -Infinity (JsonConfig reads it as the string "-Infinity").
  if (j.Has("lambda_min_clipped")) {
    const auto& v = j.raw()["lambda_min_clipped"];
    if (v.is_number()) {
      c.lambda_min_clipped = v.get<double>();
    } else if (v == "-Infinity") {
      c.lambda_min_clipped = -INFINITY;
    } else {
      return j.Error("lambda_min_clipped", "must be a number or -Infinity, got " + v.dump());
    }
  }
  if (c.solver_order < 1 || c.solver_order > 3) {
    return j.Error("solver_order", "must be 1, 2 or 3, got " + std::to_string(c.solver_order));
  }
  // diffusers' own aliases: deis runs as dpmsolver++, logrho/bh1/bh2 as midpoint.
  if (c.algorithm_type == "deis") c.algorithm_type = "dpmsolver++";
  if (c.solver_type != "heun") c.solver_type = "midpoint";
  // As in diffusers: the noise-prediction variants cannot end at sigma 0, and no SDE variant has a
  // third-order update (diffusers would fail at the third step; here the config is refused).
  const bool data_prediction = c.algorithm_type == "dpmsolver++" || c.algorithm_type == "sde-dpmsolver++";
  if (!data_prediction && c.final_sigmas_type == "zero") {
    return j.Error("final_sigmas_type", "'zero' is not supported with algorithm_type " + c.algorithm_type +
                                            "; use sigma_min");
  }
  if (c.algorithm_type.rfind("sde-", 0) == 0 && c.solver_order == 3) {
    return j.Error("solver_order", "3 has no update for algorithm_type " + c.algorithm_type + "; use 1 or 2");
  }
  const std::pair<const char*, bool> unsupported[] = {{"use_exponential_sigmas", c.use_exponential_sigmas},
                                                      {"use_beta_sigmas", c.use_beta_sigmas},
                                                      {"use_lu_lambdas", c.use_lu_lambdas}};
  for (const auto& [key, on] : unsupported) {
    if (on) return j.Error(key, "is not supported (of the sigma schedules only use_karras_sigmas is); set it to false");
  }
  return c;
}

nlohmann::json DPMSolverMultistepSchedulerConfig::ToJson() const {
  nlohmann::json j;
  j["_class_name"] = "DPMSolverMultistepScheduler";
  j["_diffusers_version"] = "0.31.0";
  SharedKeysToJson(*this, &j);
  j["solver_order"] = solver_order;
  j["algorithm_type"] = algorithm_type;
  j["solver_type"] = solver_type;
  j["lower_order_final"] = lower_order_final;
  j["euler_at_final"] = euler_at_final;
  j["use_karras_sigmas"] = use_karras_sigmas;
  j["use_exponential_sigmas"] = use_exponential_sigmas;
  j["use_beta_sigmas"] = use_beta_sigmas;
  j["use_lu_lambdas"] = use_lu_lambdas;
  j["final_sigmas_type"] = final_sigmas_type;
  // JSON has no -inf, and diffusers would take null as a value: leave the default (-inf) unwritten.
  // (+inf and NaN are written as strings, which FromJson refuses.)
  if (std::isfinite(lambda_min_clipped)) {
    j["lambda_min_clipped"] = lambda_min_clipped;
  } else if (!(lambda_min_clipped < 0)) {
    j["lambda_min_clipped"] = std::isnan(lambda_min_clipped) ? "NaN" : "Infinity";
  }
  j["variance_type"] = variance_type.empty() ? nlohmann::json() : nlohmann::json(variance_type);
  return j;
}

BetaScheduleSpec DPMSolverMultistepSchedulerConfig::beta_spec() const { return BetaSpecOf(*this); }

DPMSolverMultistepScheduler::DPMSolverMultistepScheduler(DPMSolverMultistepSchedulerConfig config,
                                                         NoiseSchedule schedule)
    : config_(std::move(config)), schedule_(std::move(schedule)) {
  std::vector<float>& ac = schedule_.alphas_cumprod;
  // With zero terminal SNR the last alpha_bar is 0; diffusers nudges it to 2^-24 so sigma stays finite.
  if (config_.rescale_betas_zero_snr) ac.back() = std::ldexp(1.0f, -24);
  sigma_table_.resize(ac.size());
  lambda_table_.resize(ac.size());
  for (size_t i = 0; i < ac.size(); ++i) {
    sigma_table_[i] = std::sqrt((1.0f - ac[i]) / ac[i]);
    lambda_table_[i] = LogF32(std::sqrt(ac[i])) - LogF32(std::sqrt(1.0f - ac[i]));
  }
  for (int64_t t = config_.num_train_timesteps - 1; t >= 0; --t) timesteps_.push_back(t);
}

Expected<DPMSolverMultistepScheduler> DPMSolverMultistepScheduler::FromConfig(
    const DPMSolverMultistepSchedulerConfig& config) {
  JsonConfig json(config.ToJson(), "DPMSolverMultistepSchedulerConfig");  // a hand-filled struct gets the checks
  return FromConfig(json);
}

Expected<DPMSolverMultistepScheduler> DPMSolverMultistepScheduler::FromConfig(const JsonConfig& json) {
  DDPM_ASSIGN_OR_RETURN(DPMSolverMultistepSchedulerConfig config, DPMSolverMultistepSchedulerConfig::FromJson(json));
  DDPM_ASSIGN_OR_RETURN(NoiseSchedule schedule, MakeNoiseSchedule(config.beta_spec(), kDpmSchedules));
  return DPMSolverMultistepScheduler(std::move(config), std::move(schedule));
}

Expected<DPMSolverMultistepScheduler> DPMSolverMultistepScheduler::FromJson(const std::string& text,
                                                                            const std::string& source) {
  DDPM_ASSIGN_OR_RETURN(JsonConfig json, JsonConfig::Parse(text, source));
  return FromConfig(json);
}

Status DPMSolverMultistepScheduler::SetTimesteps(int n) {
  const int64_t T = config_.num_train_timesteps;
  if (n < 1 || n > T) {
    return InvalidArgument("num_inference_steps must be in [1, num_train_timesteps = " + std::to_string(T) +
                           "], got " + std::to_string(n));
  }
  // lambda_min_clipped: drop the noisiest timesteps whose lambda is below the clip
  // (torch.searchsorted on the flipped, ascending lambda table, compared in double).
  std::vector<double> flipped(lambda_table_.rbegin(), lambda_table_.rend());
  const int64_t clipped_idx =
      std::lower_bound(flipped.begin(), flipped.end(), config_.lambda_min_clipped) - flipped.begin();
  const int64_t last_timestep = T - clipped_idx;
  if (last_timestep < 1) return InvalidArgument("lambda_min_clipped leaves no timesteps");

  std::vector<int64_t> ts;
  const std::string& spacing = config_.timestep_spacing;
  if (spacing == "linspace") {
    std::vector<double> y = NumpyLinspace(0.0, static_cast<double>(last_timestep - 1), n + 1);
    for (int64_t i = n; i >= 1; --i) ts.push_back(static_cast<int64_t>(std::nearbyint(y[i])));
  } else if (spacing == "leading") {
    const int64_t ratio = last_timestep / (n + 1);
    for (int64_t i = n; i >= 1; --i) ts.push_back(i * ratio + config_.steps_offset);
  } else {  // trailing: the step is T/n even when lambda clipping shortened the range (as in diffusers)
    for (double v : NumpyArange(static_cast<double>(last_timestep), 0.0, -static_cast<double>(T) / n)) {
      ts.push_back(static_cast<int64_t>(std::nearbyint(v)) - 1);
    }
  }

  std::vector<double> sigmas;
  if (config_.use_karras_sigmas) {
    // Karras et al. (2022) eq. 5 with rho = 7 between the ends of the table, in double; each timestep
    // is t interpolated linearly in log sigma over the table, rounded (half to even, like numpy).
    const double rho = 7.0;
    const double sigma_min = sigma_table_.front(), sigma_max = sigma_table_.back();
    const double min_inv_rho = std::pow(sigma_min, 1.0 / rho), max_inv_rho = std::pow(sigma_max, 1.0 / rho);
    std::vector<float> log_sigmas(sigma_table_.size());  // numpy float32 log of the float32 table
    for (size_t i = 0; i < log_sigmas.size(); ++i) log_sigmas[i] = LogF32(sigma_table_[i]);
    ts.clear();
    for (double ramp : NumpyLinspace(0.0, 1.0, n)) {
      const double sigma = std::pow(max_inv_rho + ramp * (min_inv_rho - max_inv_rho), rho);
      sigmas.push_back(sigma);
      // _sigma_to_t
      const double log_sigma = std::log(std::max(sigma, 1e-10));
      int64_t low = 0;
      for (size_t j = 0; j < log_sigmas.size(); ++j) {
        if (log_sigma - static_cast<double>(log_sigmas[j]) >= 0) low = static_cast<int64_t>(j);
      }
      low = std::min<int64_t>(low, static_cast<int64_t>(log_sigmas.size()) - 2);
      const float lo = log_sigmas[low], hi = log_sigmas[low + 1];
      double w = (static_cast<double>(lo) - log_sigma) / static_cast<double>(lo - hi);  // lo - hi in float32
      w = std::min(std::max(w, 0.0), 1.0);
      const double t = (1 - w) * static_cast<double>(low) + w * static_cast<double>(low + 1);
      ts.push_back(static_cast<int64_t>(std::nearbyint(t)));
    }
  } else {
    for (int64_t t : ts) {
      if (t < 0 || t >= T) return InvalidArgument("timestep " + std::to_string(t) + " is outside [0, " + std::to_string(T) + ")");
      sigmas.push_back(sigma_table_[t]);
    }
  }
  return FinishSetTimesteps(std::move(ts), std::move(sigmas));
}

Status DPMSolverMultistepScheduler::SetTimesteps(const std::vector<int64_t>& timesteps) {
  if (config_.use_karras_sigmas) return InvalidArgument("custom timesteps cannot be used with use_karras_sigmas");
  if (timesteps.empty()) return InvalidArgument("custom timesteps must not be empty");
  std::vector<double> sigmas;
  for (int64_t t : timesteps) {
    if (t < 0 || t >= config_.num_train_timesteps) {
      return InvalidArgument("custom timestep " + std::to_string(t) + " is outside [0, num_train_timesteps = " +
                             std::to_string(config_.num_train_timesteps) + ")");
    }
    sigmas.push_back(sigma_table_[t]);
  }
  return FinishSetTimesteps(timesteps, std::move(sigmas));
}

Status DPMSolverMultistepScheduler::FinishSetTimesteps(std::vector<int64_t> timesteps, std::vector<double> sigmas) {
  const std::vector<float>& ac = schedule_.alphas_cumprod;
  const float last = config_.final_sigmas_type == "sigma_min" ? std::sqrt((1.0f - ac[0]) / ac[0]) : 0.0f;
  sigmas_.clear();
  for (double s : sigmas) sigmas_.push_back(static_cast<float>(s));
  sigmas_.push_back(last);
  timesteps_ = std::move(timesteps);
  model_outputs_.assign(config_.solver_order, Tensor());
  lower_order_nums_ = 0;
  step_index_ = -1;
  last_order_ = 0;
  return Status::Ok();
}

int64_t DPMSolverMultistepScheduler::IndexForTimestep(int64_t timestep) const {
  // The first match, or the second when the timestep repeats (so img2img does not skip a sigma),
  // or the last position when it is absent.
  std::vector<int64_t> hits;
  for (size_t i = 0; i < timesteps_.size(); ++i) {
    if (timesteps_[i] == timestep) hits.push_back(static_cast<int64_t>(i));
  }
  if (hits.empty()) return static_cast<int64_t>(timesteps_.size()) - 1;
  return hits.size() > 1 ? hits[1] : hits[0];
}

Status DPMSolverMultistepScheduler::ConvertModelOutput(const Tensor& model_output, const Tensor& sample,
                                                       Tensor* converted, Tensor* x0) const {
  const AlphaSigma s = FromSigma(sigmas_[step_index_]);
  DDPM_RETURN_IF_ERROR(ReuseTensor(x0, sample.shape()));
  DDPM_RETURN_IF_ERROR(ReuseTensor(converted, sample.shape()));
  const size_t n = sample.size();
  const float* x = sample.data();
  const float* mo = model_output.data();
  if (DataPrediction()) {  // dpmsolver++ and sde-dpmsolver++ integrate the data prediction x0
    if (config_.prediction_type == "epsilon") {
      for (size_t i = 0; i < n; ++i) (*x0)[i] = (x[i] - s.sigma * mo[i]) / s.alpha;
    } else if (config_.prediction_type == "sample") {
      std::copy(mo, mo + n, x0->data());
    } else {  // v_prediction
      for (size_t i = 0; i < n; ++i) (*x0)[i] = s.alpha * x[i] - s.sigma * mo[i];
    }
    if (config_.thresholding) {
      ThresholdSampleInPlace(x0, config_.dynamic_thresholding_ratio, config_.sample_max_value);
    }
    std::copy(x0->data(), x0->data() + n, converted->data());
    return Status::Ok();
  }
  // dpmsolver and sde-dpmsolver integrate the noise prediction epsilon.
  Tensor& eps = *converted;
  if (config_.prediction_type == "epsilon") {
    std::copy(mo, mo + n, eps.data());
  } else if (config_.prediction_type == "sample") {
    for (size_t i = 0; i < n; ++i) eps[i] = (x[i] - s.alpha * mo[i]) / s.sigma;
  } else {  // v_prediction
    for (size_t i = 0; i < n; ++i) eps[i] = s.alpha * mo[i] + s.sigma * x[i];
  }
  // x0 as a preview (diffusers computes it only to threshold): (x - sigma*eps)/alpha.
  for (size_t i = 0; i < n; ++i) (*x0)[i] = (x[i] - s.sigma * eps[i]) / s.alpha;
  if (config_.thresholding) {
    ThresholdSampleInPlace(x0, config_.dynamic_thresholding_ratio, config_.sample_max_value);
    for (size_t i = 0; i < n; ++i) eps[i] = (x[i] - s.alpha * (*x0)[i]) / s.sigma;
  }
  return Status::Ok();
}

bool DPMSolverMultistepScheduler::DataPrediction() const {
  return config_.algorithm_type == "dpmsolver++" || config_.algorithm_type == "sde-dpmsolver++";
}

namespace {

// x' = (((cx*x + k0*D0) + k1*D1) + k2*D2) + kn*noise: every update of diffusers has this shape once
// its subtractions are written as additions of negated coefficients (bit-identical in IEEE).
struct Update {
  float cx = 0, k0 = 0, k1 = 0, k2 = 0, kn = 0;
};

// The scalars of diffusers' first/second/third-order updates for each algorithm_type, in float32 and
// in its order of operations (dpm_solver_first_order_update, multistep_dpm_solver_*_order_update).
Update Coefficients(const std::string& algorithm, bool heun, int order, const AlphaSigma& t, const AlphaSigma& s0,
                    float h) {
  Update u;
  const float em1 = ExpF32(-h) - 1.0f;  // exp(-h) - 1
  const float ep1 = ExpF32(h) - 1.0f;   // exp(h) - 1
  if (algorithm == "dpmsolver++") {
    u.cx = t.sigma / s0.sigma;
    u.k0 = -(t.alpha * em1);
    if (order == 2) u.k1 = heun ? t.alpha * (em1 / h + 1.0f) : -(0.5f * (t.alpha * em1));
    if (order == 3) {
      u.k1 = t.alpha * (em1 / h + 1.0f);
      u.k2 = -(t.alpha * ((em1 + h) / (h * h) - 0.5f));
    }
  } else if (algorithm == "dpmsolver") {
    u.cx = t.alpha / s0.alpha;
    u.k0 = -(t.sigma * ep1);
    if (order == 2) u.k1 = heun ? -(t.sigma * (ep1 / h - 1.0f)) : -(0.5f * (t.sigma * ep1));
    if (order == 3) {
      u.k1 = -(t.sigma * (ep1 / h - 1.0f));
      u.k2 = -(t.sigma * ((ep1 - h) / (h * h) - 0.5f));
    }
  } else if (algorithm == "sde-dpmsolver++") {
    const float e2 = ExpF32(-2.0f * h);  // exp(-2h)
    u.cx = t.sigma / s0.sigma * ExpF32(-h);
    u.k0 = t.alpha * (1.0f - e2);
    if (order == 2) u.k1 = heun ? t.alpha * ((1.0f - e2) / (-2.0f * h) + 1.0f) : 0.5f * (t.alpha * (1.0f - e2));
    u.kn = t.sigma * std::sqrt(1.0f - e2);
  } else {  // sde-dpmsolver
    u.cx = t.alpha / s0.alpha;
    u.k0 = -(2.0f * (t.sigma * ep1));
    if (order == 2) u.k1 = heun ? -(2.0f * (t.sigma * (ep1 / h - 1.0f))) : -(t.sigma * ep1);
    u.kn = t.sigma * std::sqrt(ExpF32(2.0f * h) - 1.0f);
  }
  return u;
}

}  // namespace

Expected<StepOutput> DPMSolverMultistepScheduler::Step(const Tensor& model_output, int64_t timestep,
                                                       const Tensor& sample, const StepOptions& options) {
  StepOutput out;
  DDPM_RETURN_IF_ERROR(StepInto(model_output, timestep, sample, options, &out));
  return out;
}

Status DPMSolverMultistepScheduler::StepInto(const Tensor& model_output_in, int64_t timestep, const Tensor& sample,
                                             const StepOptions& options, StepOutput* out) {
  if (sigmas_.empty()) return InvalidArgument("DPMSolverMultistepScheduler.step: call SetTimesteps first");
  if (step_index_ < 0) step_index_ = IndexForTimestep(timestep);
  const int64_t n = static_cast<int64_t>(timesteps_.size());
  if (step_index_ >= n) {
    return InvalidArgument("DPMSolverMultistepScheduler.step: all " + std::to_string(n) +
                           " timesteps are done; call SetTimesteps again");
  }

  // A learned-variance model outputs [eps, v] along the channels; the solver uses the first half.
  DDPM_RETURN_IF_ERROR(CheckNoAlias("DPMSolverMultistepScheduler.step", model_output_in, sample, *out));
  const Tensor* model_output = &model_output_in;
  Tensor& first_half = out->scratch.a;
  if (!config_.variance_type.empty() && sample.rank() >= 2 && model_output_in.rank() == sample.rank() &&
      model_output_in.dim(1) == 2 * sample.dim(1)) {
    DDPM_RETURN_IF_ERROR(ReuseTensor(&first_half, sample.shape()));
    const size_t inner = sample.size() / static_cast<size_t>(sample.dim(0));
    for (int64_t b = 0; b < sample.dim(0); ++b) {
      const float* src = model_output_in.data() + b * 2 * inner;
      std::copy(src, src + inner, first_half.data() + b * inner);
    }
    model_output = &first_half;
  }
  DDPM_RETURN_IF_ERROR(CheckSameShape("model_output", *model_output, "sample", sample));

  // The SDE variants draw noise at every step (diffusers' variance_noise), also where it is scaled by 0.
  const bool sde = config_.algorithm_type.rfind("sde-", 0) == 0;
  const Tensor* noise = nullptr;
  if (sde) {
    DDPM_ASSIGN_OR_RETURN(noise, ResolveNoise(options, sample.shape(), "DPMSolverMultistepScheduler.step",
                                              &out->scratch.noise));
  }

  const bool lower_order_final =
      step_index_ == n - 1 && (config_.euler_at_final || (config_.lower_order_final && n < 15) ||
                               config_.final_sigmas_type == "zero");
  const bool lower_order_second = step_index_ == n - 2 && config_.lower_order_final && n < 15;

  // The oldest history slot is about to be dropped: its buffer takes the new conversion. (Only an
  // allocation failure can fail the conversion; the oldest entry is then lost, which no later step
  // of this run reads anyway.)
  Tensor converted = std::move(model_outputs_.front());
  DDPM_RETURN_IF_ERROR(ConvertModelOutput(*model_output, sample, &converted, &out->pred_original_sample));
  for (int64_t i = 0; i + 1 < config_.solver_order; ++i) model_outputs_[i] = std::move(model_outputs_[i + 1]);
  model_outputs_.back() = std::move(converted);

  int order;
  if (config_.solver_order == 1 || lower_order_nums_ < 1 || lower_order_final) {
    order = 1;
  } else if (config_.solver_order == 2 || lower_order_nums_ < 2 || lower_order_second) {
    order = 2;
  } else {
    order = 3;
  }

  // Scalars of the update: float32 0-d tensors in diffusers.
  const AlphaSigma t = FromSigma(sigmas_[step_index_ + 1]);
  const AlphaSigma s0 = FromSigma(sigmas_[step_index_]);
  const float h = t.lambda - s0.lambda;
  const Update u = Coefficients(config_.algorithm_type, config_.solver_type == "heun", order, t, s0, h);
  const size_t count = sample.size();
  const float* x = sample.data();
  const size_t k = model_outputs_.size();
  const float* d0 = model_outputs_[k - 1].data();
  const float* z = sde ? noise->data() : nullptr;
  DDPM_RETURN_IF_ERROR(ReuseTensor(&out->prev_sample, sample.shape()));
  Tensor& prev = out->prev_sample;

  if (order == 1) {
    for (size_t i = 0; i < count; ++i) prev[i] = u.cx * x[i] + u.k0 * d0[i];
  } else if (order == 2) {
    // D1 = (1/r0)*(m0 - m1), r0 = h_0/h
    const AlphaSigma s1 = FromSigma(sigmas_[step_index_ - 1]);
    const float inv_r0 = 1.0f / ((s0.lambda - s1.lambda) / h);
    const float* m1 = model_outputs_[k - 2].data();
    for (size_t i = 0; i < count; ++i) {
      const float d1 = inv_r0 * (d0[i] - m1[i]);
      prev[i] = (u.cx * x[i] + u.k0 * d0[i]) + u.k1 * d1;
    }
  } else {
    // D1 = D1_0 + (r0/(r0 + r1))*(D1_0 - D1_1), D2 = (1/(r0 + r1))*(D1_0 - D1_1)
    const AlphaSigma s1 = FromSigma(sigmas_[step_index_ - 1]);
    const AlphaSigma s2 = FromSigma(sigmas_[step_index_ - 2]);
    const float r0 = (s0.lambda - s1.lambda) / h, r1 = (s1.lambda - s2.lambda) / h;
    const float inv_r0 = 1.0f / r0, inv_r1 = 1.0f / r1;
    const float w = r0 / (r0 + r1), inv_sum = 1.0f / (r0 + r1);
    const float* m1 = model_outputs_[k - 2].data();
    const float* m2 = model_outputs_[k - 3].data();
    for (size_t i = 0; i < count; ++i) {
      const float d1_0 = inv_r0 * (d0[i] - m1[i]);
      const float d1_1 = inv_r1 * (m1[i] - m2[i]);
      const float d1 = d1_0 + w * (d1_0 - d1_1);
      const float d2 = inv_sum * (d1_0 - d1_1);
      prev[i] = ((u.cx * x[i] + u.k0 * d0[i]) + u.k1 * d1) + u.k2 * d2;
    }
  }
  if (sde) {
    for (size_t i = 0; i < count; ++i) prev[i] = prev[i] + u.kn * z[i];
  }

  if (lower_order_nums_ < config_.solver_order) ++lower_order_nums_;
  ++step_index_;
  last_order_ = order;
  return Status::Ok();
}

Expected<Tensor> DPMSolverMultistepScheduler::AddNoise(const Tensor& original_samples, const Tensor& noise,
                                                       const std::vector<int64_t>& timesteps) const {
  DDPM_RETURN_IF_ERROR(CheckSameShape("original_samples", original_samples, "noise", noise));
  if (sigmas_.empty()) return InvalidArgument("DPMSolverMultistepScheduler.add_noise: call SetTimesteps first");
  if (original_samples.rank() < 1) return InvalidArgument("original_samples must have a batch dimension");
  const int64_t batch = original_samples.dim(0);
  if (static_cast<int64_t>(timesteps.size()) != batch && timesteps.size() != 1) {
    return InvalidArgument("got " + std::to_string(timesteps.size()) + " timesteps for a batch of " +
                           std::to_string(batch));
  }
  DDPM_ASSIGN_OR_RETURN(Tensor out, NewTensor(original_samples.shape()));
  const size_t per = batch ? original_samples.size() / batch : 0;
  for (int64_t b = 0; b < batch; ++b) {
    const AlphaSigma s = FromSigma(sigmas_[IndexForTimestep(timesteps[timesteps.size() == 1 ? 0 : b])]);
    for (size_t i = b * per; i < (b + 1) * per; ++i) out[i] = s.alpha * original_samples[i] + s.sigma * noise[i];
  }
  return out;
}

}  // namespace ddpm
