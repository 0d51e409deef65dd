#include "diffusion/scheduler_common.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ddpm {

const std::vector<std::string> kPredictionTypes = {"epsilon", "sample", "v_prediction"};
const std::vector<std::string> kTimestepSpacings = {"leading", "trailing", "linspace"};

std::string JoinChoices(const std::vector<std::string>& choices) {
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) list += (i ? ", " : "") + choices[i];
  return list;
}

Status CheckKeyRange(const JsonConfig& j, const std::string& key, double value, double lo, double hi) {
  if (value > lo && value <= hi) return Status::Ok();
  std::ostringstream os;
  os << "must be in (" << lo << ", " << hi << "], got " << value;
  return j.Error(key, os.str());
}

// ---- timesteps ----

// numpy.linspace: y_i = i*step + start with step = (stop - start)/(num - 1), and y_{num-1} = stop.
std::vector<double> NumpyLinspace(double start, double stop, int64_t num) {
  std::vector<double> y(std::max<int64_t>(num, 0));
  const double delta = stop - start;
  const double step = num > 1 ? delta / static_cast<double>(num - 1) : 0.0;
  for (int64_t i = 0; i < num; ++i) y[i] = (num > 1 ? static_cast<double>(i) * step : static_cast<double>(i) * delta) + start;
  if (num > 1) y[num - 1] = stop;
  return y;
}

// numpy.arange for floats: ceil((stop - start)/step) values; numpy fills them as start + i*d with
// d = (start + step) - start, which is not always step.
std::vector<double> NumpyArange(double start, double stop, double step) {
  const double len_d = std::ceil((stop - start) / step);
  const int64_t len = len_d > 0 ? static_cast<int64_t>(len_d) : 0;
  std::vector<double> y(len);
  if (len == 0) return y;
  y[0] = start;
  const double d = (start + step) - start;
  for (int64_t i = 1; i < len; ++i) y[i] = start + static_cast<double>(i) * d;
  return y;
}

Expected<std::vector<int64_t>> SpacedTimesteps(const std::string& spacing, int64_t T, int64_t n,
                                               int64_t steps_offset) {
  if (n < 1 || n > T) {
    return InvalidArgument("num_inference_steps must be in [1, num_train_timesteps = " + std::to_string(T) +
                           "], got " + std::to_string(n));
  }
  std::vector<int64_t> ts;
  if (spacing == "leading") {
    const int64_t ratio = T / n;
    for (int64_t i = n - 1; i >= 0; --i) ts.push_back(i * ratio + steps_offset);
  } else if (spacing == "trailing") {
    for (double v : NumpyArange(static_cast<double>(T), 0.0, -static_cast<double>(T) / static_cast<double>(n))) {
      ts.push_back(static_cast<int64_t>(std::nearbyint(v)) - 1);
    }
  } else if (spacing == "linspace") {
    std::vector<double> y = NumpyLinspace(0.0, static_cast<double>(T - 1), n);
    for (auto it = y.rbegin(); it != y.rend(); ++it) ts.push_back(static_cast<int64_t>(std::nearbyint(*it)));
  } else {
    return InvalidArgument("timestep_spacing '" + spacing + "' must be one of " + JoinChoices(kTimestepSpacings));
  }
  return ts;
}

// ---- step helpers ----

Status CheckSameShape(const char* name_a, const Tensor& a, const char* name_b, const Tensor& b) {
  if (a.shape() == b.shape()) return Status::Ok();
  return InvalidArgument(std::string(name_a) + " shape " + ShapeToString(a.shape()) + " does not match " + name_b +
                         " shape " + ShapeToString(b.shape()));
}

Expected<const Tensor*> ResolveNoise(const StepOptions& options, const Shape& shape, const char* who,
                                     Tensor* scratch) {
  if (options.noise != nullptr) {
    if (options.noise->shape() != shape) {
      return InvalidArgument(std::string(who) + ": noise shape " + ShapeToString(options.noise->shape()) +
                             " does not match sample shape " + ShapeToString(shape));
    }
    return options.noise;
  }
  if (options.rng == nullptr) {
    return InvalidArgument(std::string(who) + " needs noise at this timestep: pass options.noise or options.rng");
  }
  DDPM_RETURN_IF_ERROR(ReuseTensor(scratch, shape));
  options.rng->Normal(scratch->data(), scratch->size());
  return static_cast<const Tensor*>(scratch);
}

Status CheckNoAlias(const char* who, const Tensor& model_output, const Tensor& sample, const StepOutput& out) {
  for (const Tensor* o : {&out.prev_sample, &out.pred_original_sample}) {
    if (o->size() == 0) continue;
    for (const Tensor* in : {&model_output, &sample}) {
      const float *a = o->data(), *b = in->data();
      if (a < b + in->size() && b < a + o->size())
        return InvalidArgument(std::string(who) + ": the output tensors share memory with model_output or sample");
    }
  }
  return Status::Ok();
}

Status PredictOriginalAndEpsilon(const std::string& prediction_type, float alpha_prod_t, const Tensor& model_output,
                                 const Tensor& sample, Tensor* x0_out, Tensor* eps_out) {
  const float beta_prod_t = 1.0f - alpha_prod_t;
  const float sqrt_a = std::sqrt(alpha_prod_t), sqrt_b = std::sqrt(beta_prod_t);
  const size_t n = sample.size();
  const float* x = sample.data();
  const float* mo = model_output.data();
  DDPM_RETURN_IF_ERROR(ReuseTensor(x0_out, sample.shape()));
  if (eps_out != nullptr) DDPM_RETURN_IF_ERROR(ReuseTensor(eps_out, sample.shape()));
  float* x0 = x0_out->data();
  float* eps = eps_out != nullptr ? eps_out->data() : nullptr;
  if (prediction_type == "epsilon") {
    for (size_t i = 0; i < n; ++i) x0[i] = (x[i] - sqrt_b * mo[i]) / sqrt_a;
    if (eps) std::copy(mo, mo + n, eps);
  } else if (prediction_type == "sample") {
    std::copy(mo, mo + n, x0);
    if (eps) for (size_t i = 0; i < n; ++i) eps[i] = (x[i] - sqrt_a * x0[i]) / sqrt_b;
  } else {  // v_prediction
    for (size_t i = 0; i < n; ++i) x0[i] = sqrt_a * x[i] - sqrt_b * mo[i];
    if (eps) for (size_t i = 0; i < n; ++i) eps[i] = sqrt_a * mo[i] + sqrt_b * x[i];
  }
  return Status::Ok();
}

void ClampInPlace(Tensor* x, float range) {
  float* p = x->data();
  for (size_t i = 0; i < x->size(); ++i) p[i] = std::min(std::max(p[i], -range), range);
}

void ThresholdSampleInPlace(Tensor* x, double ratio, double sample_max_value) {
  if (x->size() == 0 || x->rank() < 1 || x->dim(0) == 0) return;
  const size_t batch = static_cast<size_t>(x->dim(0));
  const size_t per = x->size() / batch;
  std::vector<float> sorted(per);
  for (size_t b = 0; b < batch; ++b) {
    float* p = x->data() + b * per;
    for (size_t i = 0; i < per; ++i) sorted[i] = std::fabs(p[i]);
    std::sort(sorted.begin(), sorted.end());
    // torch.quantile, linear interpolation: rank = q*(N-1) in float32, then lerp with torch's rule.
    const float rank = static_cast<float>(ratio) * static_cast<float>(per - 1);
    const int64_t below = static_cast<int64_t>(rank);
    const int64_t above = static_cast<int64_t>(std::ceil(rank));
    const float w = rank - static_cast<float>(below);
    const float lo = sorted[below], hi = sorted[above];
    float s = std::fabs(w) < 0.5f ? lo + w * (hi - lo) : hi - (hi - lo) * (1.0f - w);
    s = std::min(std::max(s, 1.0f), static_cast<float>(sample_max_value));
    for (size_t i = 0; i < per; ++i) p[i] = std::min(std::max(p[i], -s), s) / s;
  }
}

namespace {

// Shared shape and index checks of add_noise / get_velocity; returns per-batch table values.
Expected<std::vector<float>> TableAtTimesteps(const std::vector<float>& ac, const Tensor& x, const Tensor& noise,
                                              const std::vector<int64_t>& timesteps, const char* x_name) {
  DDPM_RETURN_IF_ERROR(CheckSameShape(x_name, x, "noise", noise));
  if (x.rank() < 1) return InvalidArgument(std::string(x_name) + " must have a batch dimension");
  const int64_t batch = x.dim(0);
  if (static_cast<int64_t>(timesteps.size()) != batch && timesteps.size() != 1) {
    return InvalidArgument("got " + std::to_string(timesteps.size()) + " timesteps for a batch of " +
                           std::to_string(batch) + " (" + x_name + " shape " + ShapeToString(x.shape()) + ")");
  }
  std::vector<float> a(batch);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t t = timesteps[timesteps.size() == 1 ? 0 : b];
    if (t < 0 || t >= static_cast<int64_t>(ac.size())) {
      return InvalidArgument("timestep " + std::to_string(t) + " is outside [0, " + std::to_string(ac.size()) + ")");
    }
    a[b] = ac[t];
  }
  return a;
}

// out = ca*u + cb*v (sign = +1) or ca*u - cb*v (sign = -1) per batch element, with ca = sqrt(a),
// cb = sqrt(1 - a): diffusers' float32 expressions, term by term.
Expected<Tensor> Combine(const std::vector<float>& a, const Tensor& u, const Tensor& v, bool subtract) {
  DDPM_ASSIGN_OR_RETURN(Tensor out, NewTensor(u.shape()));
  const size_t per = a.empty() ? 0 : u.size() / a.size();
  for (size_t b = 0; b < a.size(); ++b) {
    const float ca = std::sqrt(a[b]), cb = std::sqrt(1.0f - a[b]);
    const float* pu = u.data() + b * per;
    const float* pv = v.data() + b * per;
    float* po = out.data() + b * per;
    for (size_t i = 0; i < per; ++i) po[i] = subtract ? ca * pu[i] - cb * pv[i] : ca * pu[i] + cb * pv[i];
  }
  return out;
}

}  // namespace

Expected<Tensor> AddNoiseWithTable(const std::vector<float>& ac, const Tensor& original_samples, const Tensor& noise,
                                   const std::vector<int64_t>& timesteps) {
  DDPM_ASSIGN_OR_RETURN(std::vector<float> a, TableAtTimesteps(ac, original_samples, noise, timesteps, "original_samples"));
  return Combine(a, original_samples, noise, /*subtract=*/false);
}

Expected<Tensor> GetVelocityWithTable(const std::vector<float>& ac, const Tensor& sample, const Tensor& noise,
                                      const std::vector<int64_t>& timesteps) {
  DDPM_ASSIGN_OR_RETURN(std::vector<float> a, TableAtTimesteps(ac, sample, noise, timesteps, "sample"));
  return Combine(a, noise, sample, /*subtract=*/true);
}

}  // namespace ddpm
