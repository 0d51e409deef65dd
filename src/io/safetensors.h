// safetensors (https://github.com/huggingface/safetensors): u64 LE header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw data.
// Reading validates everything (header bound, JSON, dtype x shape x offsets, bounds, overlaps,
// trailing bytes); each error names the file, the tensor and the problem. Writing is atomic.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"

namespace ddpm {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32 };

const char* DTypeName(DType dtype);
size_t DTypeSize(DType dtype);

struct TensorInfo {
  std::string name;
  DType dtype;
  Shape shape;
  size_t begin = 0, end = 0;  // byte offsets into the data section
};

class SafeTensors {
 public:
  // Largest header accepted: the reference implementation's bound.
  static constexpr uint64_t kMaxHeaderBytes = 100 * 1024 * 1024;

  static Expected<SafeTensors> ReadFile(const std::string& path);
  // `source` names the bytes in error messages (a path, or "<memory>").
  static Expected<SafeTensors> FromBytes(std::vector<uint8_t> bytes, std::string source = "<memory>");

  const std::string& source() const { return source_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* Find(const std::string& name) const;
  bool Has(const std::string& name) const { return Find(name) != nullptr; }

  // The tensor as float32 in stored (row-major) order; F32, F16, BF16 and F64 are converted.
  Expected<Tensor> GetFloat(const std::string& name) const;
  // Integers (I64 or I32) widened to int64.
  Expected<std::vector<int64_t>> GetInt(const std::string& name) const;
  // F64 as double (F32 widened).
  Expected<std::vector<double>> GetDouble(const std::string& name) const;

 private:
  Expected<const TensorInfo*> Lookup(const std::string& name) const;
  const uint8_t* DataOf(const TensorInfo& t) const { return bytes_.data() + data_start_ + t.begin; }

  std::string source_;
  std::vector<uint8_t> bytes_;
  size_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Builds a safetensors file. Tensors are written in insertion order (names must be unique).
class SafeTensorsWriter {
 public:
  void AddFloat(const std::string& name, const Tensor& t, DType dtype = DType::kF32);  // F32, F16 or BF16
  void AddFloat(const std::string& name, const Shape& shape, const float* data, DType dtype = DType::kF32);
  void AddInt64(const std::string& name, const Shape& shape, const int64_t* data);
  void AddDouble(const std::string& name, const Shape& shape, const double* data);
  void SetMetadata(const std::string& key, const std::string& value) { metadata_[key] = value; }

  std::vector<uint8_t> Serialize() const;
  // Writes to a temporary file beside `path`, then renames: never leaves a half-written file.
  Status WriteFile(const std::string& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::vector<uint8_t> data;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// IEEE half and bfloat16 conversions (round to nearest even).
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToBFloat16(float f);

}  // namespace ddpm
