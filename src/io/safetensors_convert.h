// A safetensors file's float tensors stored in another float type (F32, F16, BF16): `ddpm convert` and
// `ddpm train --export-dtype` ship F16 weights this way. Names, order and metadata are kept.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "io/safetensors.h"

namespace ddpm {

struct ConvertedTensors {
  std::vector<uint8_t> bytes;   // the new file
  size_t tensors = 0;
  double largest_change = 0;    // max |new - old| over every value: what rounding cost
};

// Refuses (naming the tensor and value) a value that becomes infinite in `dtype`, and non-float tensors.
Expected<ConvertedTensors> ConvertFloatTensors(const SafeTensors& source, DType dtype);

// "f32", "f16", "bf16" (the flag spelling) to a float DType.
Expected<DType> ParseFloatDType(const std::string& name, const std::string& flag);

}  // namespace ddpm
