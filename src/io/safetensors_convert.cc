#include "io/safetensors_convert.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ddpm {

Expected<DType> ParseFloatDType(const std::string& name, const std::string& flag) {
  if (name == "f32") return DType::kF32;
  if (name == "f16") return DType::kF16;
  if (name == "bf16") return DType::kBF16;
  return InvalidArgument(flag + " must be f32, f16 or bf16, got '" + name + "'");
}

Expected<ConvertedTensors> ConvertFloatTensors(const SafeTensors& source, DType dtype) {
  SafeTensorsWriter w;
  for (const auto& [key, value] : source.metadata()) w.SetMetadata(key, value);
  std::vector<Tensor> values;
  for (const TensorInfo& t : source.tensors()) {
    DDPM_ASSIGN_OR_RETURN(Tensor v, source.GetFloat(t.name));
    w.AddFloat(t.name, v, dtype);
    values.push_back(std::move(v));
  }
  ConvertedTensors out;
  DDPM_ASSIGN_OR_RETURN(out.bytes, w.Serialize());
  // Read the new file back: every value finite, and how far rounding moved it.
  DDPM_ASSIGN_OR_RETURN(SafeTensors converted, SafeTensors::FromBytes(out.bytes, "converted weights"));
  for (size_t i = 0; i < values.size(); ++i) {
    const std::string& name = source.tensors()[i].name;
    DDPM_ASSIGN_OR_RETURN(Tensor v, converted.GetFloat(name));
    for (size_t k = 0; k < v.size(); ++k) {
      if (!std::isfinite(v.data()[k])) {
        return InvalidArgument(name + "[" + std::to_string(k) + "] = " + std::to_string(values[i].data()[k]) +
                               " does not fit in " + DTypeName(dtype));
      }
      out.largest_change = std::max(out.largest_change, double(std::fabs(v.data()[k] - values[i].data()[k])));
    }
  }
  out.tensors = values.size();
  return out;
}

}  // namespace ddpm
