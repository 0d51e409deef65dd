#include "train/optimizer.h"

#include <algorithm>
#include <cmath>

namespace ddpm {

namespace {
// torch's CPU add/addcmul kernels fuse a*b + c into one rounding natively. wasm has no FMA
// instruction and a software fma would dominate the optimiser's cost, so there we round twice
// (a difference of at most 1 ulp per update, inside the training references' tolerance).
inline float FusedMulAdd(float a, float b, float c) {
#if defined(DDPM_WASM)
  return a * b + c;
#else
  return std::fma(a, b, c);
#endif
}
}  // namespace

float ClipGradNorm(const ParamList& params, float max_norm) {
  // torch: total = norm(stack([norm(g) for g])) in float32, then coef = max_norm / (total + 1e-6).
  float sum_of_squares = 0.0f;
  for (const auto& p : params) {
    double s = 0.0;  // per-tensor norm accumulated in double, rounded like a float32 norm
    for (size_t i = 0; i < p.size; ++i) s += double(p.grad[i]) * p.grad[i];
    const float norm = static_cast<float>(std::sqrt(s));
    sum_of_squares += norm * norm;
  }
  const float total = std::sqrt(sum_of_squares);
  const float coef = std::min(1.0f, max_norm / (total + 1e-6f));
  for (const auto& p : params)
    for (size_t i = 0; i < p.size; ++i) p.grad[i] *= coef;
  return total;
}

AdamW::AdamW(const ParamList& params, AdamWOptions options) : options_(options) {
  for (const auto& p : params) {
    m_.emplace_back(p.size, 0.0f);
    v_.emplace_back(p.size, 0.0f);
  }
}

void AdamW::Step(const ParamList& params, double lr) {
  ++step_;
  const AdamWOptions& o = options_;
  // Scalars are Python doubles in torch; they are rounded to float32 where they meet a tensor.
  const float decay_factor = static_cast<float>(1.0 - lr * o.weight_decay);
  const float one_minus_b1 = static_cast<float>(1.0 - o.beta1), b1 = static_cast<float>(o.beta1);
  const float one_minus_b2 = static_cast<float>(1.0 - o.beta2), b2 = static_cast<float>(o.beta2);
  const double bias_correction1 = 1.0 - std::pow(o.beta1, double(step_));
  const double bias_correction2 = 1.0 - std::pow(o.beta2, double(step_));
  const float neg_step_size = static_cast<float>(-(lr / bias_correction1));
  const float bc2_sqrt = static_cast<float>(std::sqrt(bias_correction2));
  const float eps = static_cast<float>(o.eps);
  for (size_t t = 0; t < params.size(); ++t) {
    const ParamRef& p = params[t];
    float* m = m_[t].data();
    float* v = v_[t].data();
    for (size_t i = 0; i < p.size; ++i) {
      const float g = p.grad[i];
      const float w = p.value[i] * decay_factor;              // decoupled weight decay first
      m[i] = FusedMulAdd(g, one_minus_b1, m[i] * b1);          // exp_avg.mul_(b1).add_(g, alpha=1-b1)
      v[i] = FusedMulAdd(one_minus_b2 * g, g, v[i] * b2);      // exp_avg_sq.mul_(b2).addcmul_(g, g, 1-b2)
      const float denom = std::sqrt(v[i]) / bc2_sqrt + eps;
      p.value[i] = w + (neg_step_size * m[i]) / denom;          // addcdiv_(m, denom, value=-step_size)
    }
  }
}

Ema::Ema(const ParamList& params, EmaOptions options) : options_(options) {
  for (const auto& p : params) shadow_.emplace_back(p.value, p.value + p.size);
}

double Ema::DecayAt(const EmaOptions& o, int64_t optimization_step) {
  const int64_t step = std::max<int64_t>(0, optimization_step - o.update_after_step - 1);
  if (step <= 0) return 0.0;
  double d = o.use_ema_warmup ? 1.0 - std::pow(1.0 + double(step) / o.inv_gamma, -o.power)
                              : (1.0 + double(step)) / (10.0 + double(step));
  d = std::min(d, o.decay);
  return std::max(d, o.min_decay);
}

void Ema::Step(const ParamList& params) {
  ++step_;
  last_decay_ = DecayAt(options_, step_);
  const float one_minus_decay = static_cast<float>(1.0 - last_decay_);
  for (size_t t = 0; t < params.size(); ++t) {
    float* s = shadow_[t].data();
    const float* p = params[t].value;
    for (size_t i = 0; i < params[t].size; ++i) s[i] = s[i] - one_minus_decay * (s[i] - p[i]);
  }
}

double LearningRateAt(int64_t step, int64_t warmup_steps, int64_t total_steps, double base_lr, double min_lr) {
  // diffusers.optimization.get_cosine_schedule_with_warmup (num_cycles 0.5), with an optional floor.
  if (step < warmup_steps) return base_lr * double(step) / double(std::max<int64_t>(1, warmup_steps));
  const double progress = double(step - warmup_steps) / double(std::max<int64_t>(1, total_steps - warmup_steps));
  const double factor = std::max(0.0, 0.5 * (1.0 + std::cos(M_PI * progress)));
  return min_lr + (base_lr - min_lr) * factor;
}

}  // namespace ddpm
