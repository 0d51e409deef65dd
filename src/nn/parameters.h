// A view of a model's trainable tensors: name (diffusers state_dict key), value and gradient buffers.
// Models (src/nn) hand it out; optimisers, EMA and gradient clipping (src/train) work on it, so they do
// not depend on the model type. It lives here, below both, because layers include downwards only.
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

inline size_t CountParameters(const ParamList& params) {
  size_t n = 0;
  for (const ParamRef& p : params) n += p.size;
  return n;
}

}  // namespace ddpm
