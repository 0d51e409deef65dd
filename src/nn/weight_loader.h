// Reads a model's parameters by diffusers key name from a safetensors file, checking each one:
// missing keys, wrong shapes and non-finite values are collected (not just the first), and Finish()
// also reports the keys nobody asked for, so a weights file either matches the config exactly or the
// error lists every mismatch by name.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "io/safetensors.h"

namespace ddpm::nn {

class WeightLoader {
 public:
  explicit WeightLoader(const SafeTensors& file) : file_(file) {}

  // The tensor `key` with exactly `shape`. On a problem it is recorded and a zero tensor of `shape`
  // comes back, so construction can go on and report every problem at once.
  Tensor Get(const std::string& key, const Shape& shape);

  // OK if every requested key was present, well-shaped and finite, and no stored key was left unused.
  Status Finish() const;

  int64_t parameter_count() const { return parameters_; }

 private:
  const SafeTensors& file_;
  std::set<std::string> used_;
  std::vector<std::string> problems_;
  int64_t parameters_ = 0;
};

}  // namespace ddpm::nn
