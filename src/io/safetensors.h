// safetensors (https://github.com/huggingface/safetensors): u64 LE header length N, N bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {str: str}}, then the raw data.
// Reading validates everything (header bound, JSON, duplicate keys, dtype x shape x offsets, bounds,
// overlaps, gaps, trailing bytes); each error names the file, the tensor and the problem. Memory stays
// proportional to the input on hostile files. Writing is atomic.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "io/half_float.h"

namespace ddpm {

// Every dtype of the safetensors spec with a whole-byte element. The readers convert the float and
// integer ones the engine needs; the others are still validated so that a file holding them loads.
enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kU16, kU32, kU64, kBool, kF8E4M3, kF8E5M2 };

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
  // Largest header accepted: the reference implementation's MAX_HEADER_SIZE.
  static constexpr uint64_t kMaxHeaderBytes = 100'000'000;
  // Largest rank accepted (PyTorch's own limit); bounds what a hostile shape can make us allocate.
  static constexpr size_t kMaxRank = 64;

  static Expected<SafeTensors> ReadFile(const std::string& path);
  // `source` names the bytes in error messages (a path, or "<memory>").
  static Expected<SafeTensors> FromBytes(std::vector<uint8_t> bytes, std::string source = "<memory>");

  const std::string& source() const { return source_; }
  // In header order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const TensorInfo* Find(const std::string& name) const;
  bool Has(const std::string& name) const { return Find(name) != nullptr; }

  // The tensor as float32 in stored (row-major) order; F32, F16, BF16 and F64 are converted
  // (F64 beyond float range becomes +-inf, as a float cast in torch does).
  Expected<Tensor> GetFloat(const std::string& name) const;
  // Integers (I64, I32, I16, I8, U8, U16, U32, BOOL; U64 when it fits) widened to int64.
  Expected<std::vector<int64_t>> GetInt(const std::string& name) const;
  // F64 as double (F32 widened).
  Expected<std::vector<double>> GetDouble(const std::string& name) const;

 private:
  Expected<const TensorInfo*> Lookup(const std::string& name) const;
  Status WrongDType(const TensorInfo& t, const char* expected) const;
  const uint8_t* DataOf(const TensorInfo& t) const { return bytes_.data() + data_start_ + t.begin; }

  std::string source_;
  std::vector<uint8_t> bytes_;
  size_t data_start_ = 0;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t> index_;  // name -> position in tensors_
  std::map<std::string, std::string> metadata_;
};

// Builds a safetensors file. Tensors are written in insertion order. Adding never fails on the spot:
// the first problem (duplicate or reserved name, invalid UTF-8, negative dimension, unsupported dtype)
// is kept and returned by Serialize / WriteFile, so a caller adds everything and checks once.
class SafeTensorsWriter {
 public:
  // dtype F32, F16, BF16 or F64 (floats are rounded to nearest even for F16 and BF16).
  void AddFloat(const std::string& name, const Tensor& t, DType dtype = DType::kF32);
  void AddFloat(const std::string& name, const Shape& shape, const float* data, DType dtype = DType::kF32);
  void AddInt64(const std::string& name, const Shape& shape, const int64_t* data);
  void AddDouble(const std::string& name, const Shape& shape, const double* data);
  void SetMetadata(const std::string& key, const std::string& value);

  const Status& status() const { return status_; }
  Expected<std::vector<uint8_t>> Serialize() const;
  // Writes to a temporary file beside `path`, then renames: never leaves a half-written file.
  Status WriteFile(const std::string& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::vector<uint8_t> data;
  };
  // Checks the name and shape; on success returns the element count, else records the error.
  bool Admit(const std::string& name, const Shape& shape, size_t* count);
  Expected<std::string> Header() const;  // JSON, padded with spaces to a multiple of 8

  std::vector<Entry> entries_;
  std::unordered_map<std::string, size_t> names_;
  std::map<std::string, std::string> metadata_;
  Status status_;
};

}  // namespace ddpm
