// What the sampling and editing pipelines share with their callers: the model as a function, and the
// progress report each step sends.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"

namespace ddpm {

// model(x_t [B, C, H, W], t, class labels (empty, or one per row)) -> prediction of x_t's shape.
using NoisePredictor =
    std::function<Status(const Tensor& x_t, int64_t t, const std::vector<int64_t>& class_labels, Tensor* out)>;

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
