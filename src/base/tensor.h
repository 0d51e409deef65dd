// Tensor: a shape and 64-byte aligned float storage. The core keeps images NHWC; the API converts
// to and from PyTorch's NCHW at the boundary (ToNchw / FromNchw).
#pragma once

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace ddpm {

using Shape = std::vector<int64_t>;

int64_t NumElements(const Shape& shape);
std::string ShapeToString(const Shape& shape);

struct AlignedDeleter {
  void operator()(float* p) const;
};

// Allocates n floats, 64-byte aligned, zero-filled. Returns nullptr when memory is exhausted.
std::unique_ptr<float[], AlignedDeleter> AllocateAligned(size_t n);
// How many buffers AllocateAligned (every Tensor and the activation arena) has handed out in this
// process: tests use it to prove a sampling step allocates nothing.
int64_t AlignedAllocationCount();

class Tensor {
 public:
  static constexpr size_t kAlignment = 64;

  Tensor() = default;
  explicit Tensor(Shape shape);  // zero-filled; check ok() after large allocations
  Tensor(Shape shape, const float* data);
  Tensor(std::initializer_list<int64_t> shape) : Tensor(Shape(shape)) {}

  Tensor(const Tensor& other);
  Tensor& operator=(const Tensor& other);
  Tensor(Tensor&&) noexcept = default;
  Tensor& operator=(Tensor&&) noexcept = default;

  // False when the allocation failed (out of memory) for a non-empty shape.
  bool ok() const { return size_ == 0 || data_ != nullptr; }

  const Shape& shape() const { return shape_; }
  // Exactly these dimensions? Compared in place: no Shape is built, so nothing is allocated.
  bool HasShape(std::span<const int64_t> dims) const {
    return shape_.size() == dims.size() && std::equal(dims.begin(), dims.end(), shape_.begin());
  }
  int64_t dim(int i) const { return shape_[i < 0 ? shape_.size() + i : i]; }
  int rank() const { return static_cast<int>(shape_.size()); }
  size_t size() const { return size_; }
  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  float& operator[](size_t i) { return data_[i]; }
  float operator[](size_t i) const { return data_[i]; }

  // Same data, new shape with the same element count.
  Tensor Reshaped(Shape shape) const;

 private:
  Shape shape_;
  size_t size_ = 0;
  std::unique_ptr<float[], AlignedDeleter> data_;
};

// A zero-filled tensor of `shape`, with allocation failure as an OutOfMemory error naming the shape.
Expected<Tensor> NewTensor(const Shape& shape);
// Gives *t the dimensions `dims`, keeping its buffer (no allocation) when it has them already: how
// buffers reused across sampling steps stay allocation-free. `what` names the tensor in the error.
Status ReuseTensor(Tensor* t, std::span<const int64_t> dims, const char* what = "a tensor");

// Layout conversions for rank-4 image tensors.
Tensor NchwToNhwc(const Tensor& nchw);
Tensor NhwcToNchw(const Tensor& nhwc);

}  // namespace ddpm
