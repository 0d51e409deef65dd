// A training run's loss log: loss.csv (step, loss, grad_norm, lr per step) and its curve loss.png (a running
// mean on a log scale, with labelled axes), both in the run's folder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace ddpm {

// Kept in memory and rewritten atomically with each checkpoint, so that after a crash or Ctrl-C the CSV on
// disk never runs ahead of the checkpoint it belongs to.
struct LossLog {
  std::vector<int64_t> step;
  std::vector<double> loss, grad_norm, lr;

  // The rows of `path` up to `up_to_step` (a missing file is an empty log).
  Status Load(const std::string& path, int64_t up_to_step);
  // dir/loss.csv and dir/loss.png.
  Status Save(const std::string& dir) const;
  // dir/loss.png alone (`ddpm plot-loss`).
  Status WritePlot(const std::string& dir) const;
};

}  // namespace ddpm
