// A view of a model's trainable tensors: name (diffusers state_dict key), value and gradient buffers.
// Optimisers, EMA and gradient clipping work on this list, so they do not depend on the model type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ddpm {

struct ParamRef {
  std::string name;
  float* value = nullptr;
  float* grad = nullptr;
  size_t size = 0;
  std::vector<int64_t> shape;  // as in the safetensors file (callers outside the trainer need it)
};

using ParamList = std::vector<ParamRef>;

size_t CountParameters(const ParamList& params);

}  // namespace ddpm
