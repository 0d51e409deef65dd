// AdamW (torch.optim.AdamW semantics), gradient-norm clipping (torch.nn.utils.clip_grad_norm_) and
// the EMA of diffusers' EMAModel, written to reproduce torch's float32 operation order; see
// shared/reference/README.md, "Training step".
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "nn/parameters.h"

namespace ddpm {

// Scales every gradient by min(1, max_norm / (total + 1e-6)), where total is the L2 norm over all
// gradients. Returns the norm before clipping (what torch returns and logs show).
float ClipGradNorm(const ParamList& params, float max_norm);

struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9, beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

class AdamW {
 public:
  explicit AdamW(const ParamList& params, AdamWOptions options = {});

  // One update of every parameter from its gradient, at learning rate `lr` (schedules set it per step).
  void Step(const ParamList& params, double lr);

  int64_t step_count() const { return step_; }
  const AdamWOptions& options() const { return options_; }
  // Optimiser state for checkpoints: exp_avg and exp_avg_sq per parameter, in ParamList order.
  std::vector<std::vector<float>>& exp_avg() { return m_; }
  std::vector<std::vector<float>>& exp_avg_sq() { return v_; }
  void set_step_count(int64_t step) { step_ = step; }

 private:
  AdamWOptions options_;
  int64_t step_ = 0;
  std::vector<std::vector<float>> m_, v_;
};

struct EmaOptions {
  double decay = 0.9999;
  double min_decay = 0.0;
  int64_t update_after_step = 0;
  bool use_ema_warmup = false;
  double inv_gamma = 1.0;
  double power = 2.0 / 3.0;
};

// Exponential moving average of the parameters, as diffusers.training_utils.EMAModel.
class Ema {
 public:
  Ema(const ParamList& params, EmaOptions options = {});

  // The decay EMAModel uses at optimisation step `step` (1-based, counted before the update).
  static double DecayAt(const EmaOptions& o, int64_t step);

  void Step(const ParamList& params);  // shadow <- shadow - (1 - decay) * (shadow - param)

  double last_decay() const { return last_decay_; }
  int64_t step_count() const { return step_; }
  void set_step_count(int64_t step) { step_ = step; }
  std::vector<std::vector<float>>& shadow() { return shadow_; }
  const std::vector<std::vector<float>>& shadow() const { return shadow_; }

 private:
  EmaOptions options_;
  int64_t step_ = 0;
  double last_decay_ = 0.0;
  std::vector<std::vector<float>> shadow_;
};

// diffusers' cosine schedule with warmup: linear from 0 to base_lr over warmup_steps, then a half
// cosine down to min_lr at total_steps.
double LearningRateAt(int64_t step, int64_t warmup_steps, int64_t total_steps, double base_lr, double min_lr = 0.0);

}  // namespace ddpm
