// A view of a model's trainable tensors: name (diffusers state_dict key), value and gradient buffers.
// Optimisers, EMA and gradient clipping work on this list, so they do not depend on the model type.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace ddpm {

struct ParamRef {
  std::string name;
  float* value = nullptr;
  float* grad = nullptr;
  size_t size = 0;
};

using ParamList = std::vector<ParamRef>;

size_t CountParameters(const ParamList& params);

}  // namespace ddpm
