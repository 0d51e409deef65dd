// What the sampling and editing pipelines share with their callers: the model as a function, and the
// progress report each step sends.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"

namespace ddpm {

// model(x_t [B, C, H, W], t, class labels (empty, or one per row)) -> prediction of x_t's shape.
using NoisePredictor =
    std::function<Status(const Tensor& x_t, int64_t t, const std::vector<int64_t>& class_labels, Tensor* out)>;

// The timesteps at which classifier-free guidance applies: lo <= t <= hi, in the model's training timesteps
// (0 .. num_train_timesteps - 1). A step outside runs the conditional prediction alone, half the work of a
// guided one. Guidance at high noise mostly costs diversity and at low noise changes little (Kynkäänniemi et
// al. 2024, "Applying Guidance in a Limited Interval Improves Sample and Distribution Quality in Diffusion
// Models"), so a model's sampling_defaults.json can say where it pays. The default is every timestep.
struct GuidanceInterval {
  int64_t lo = 0;
  int64_t hi = std::numeric_limits<int64_t>::max();

  bool Contains(int64_t t) const { return lo <= t && t <= hi; }
  bool IsAll() const { return lo <= 0 && hi == std::numeric_limits<int64_t>::max(); }
  // "t in [100, 550]", or "every t"
  std::string Describe() const;
};

struct StepProgress {
  int step = 0;   // 1-based
  int total = 0;
  int64_t timestep = 0;
  const Tensor* sample = nullptr;            // x_{t-1}
  const Tensor* pred_original = nullptr;     // the predicted x0 at this step (a preview)
};

// Called after every step; returning false cancels the run (the result is then a kCancelled error).
using StepCallback = std::function<bool(const StepProgress&)>;

}  // namespace ddpm
