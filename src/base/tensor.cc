#include "base/tensor.h"

#include <atomic>
#include <cassert>
#include <cstdlib>
#include <cstring>
#include <new>

namespace ddpm {

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string ShapeToString(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

void AlignedDeleter::operator()(float* p) const { std::free(p); }

namespace {
std::atomic<int64_t> g_allocations{0};
}  // namespace

int64_t AlignedAllocationCount() { return g_allocations.load(std::memory_order_relaxed); }

std::unique_ptr<float[], AlignedDeleter> AllocateAligned(size_t n) {
  if (n == 0) return nullptr;
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (n > (SIZE_MAX - Tensor::kAlignment) / sizeof(float)) return nullptr;
  size_t bytes = (n * sizeof(float) + Tensor::kAlignment - 1) / Tensor::kAlignment * Tensor::kAlignment;
  void* p = std::aligned_alloc(Tensor::kAlignment, bytes);
  if (!p) return nullptr;
  std::memset(p, 0, bytes);
  return std::unique_ptr<float[], AlignedDeleter>(static_cast<float*>(p));
}

Tensor::Tensor(Shape shape) : shape_(std::move(shape)) {
  int64_t n = NumElements(shape_);
  assert(n >= 0);
  // More elements than size_t counts (wasm32): not ok(), rather than a wrapped, too small buffer.
  size_ = static_cast<uint64_t>(n) > SIZE_MAX ? SIZE_MAX : static_cast<size_t>(n);
  data_ = AllocateAligned(size_);
}

Tensor::Tensor(Shape shape, const float* data) : Tensor(std::move(shape)) {
  if (data_ && size_) std::memcpy(data_.get(), data, size_ * sizeof(float));
}

// Copies size_ rather than re-deriving it from the shape: a default Tensor has shape {} but no data
// (NumElements({}) is 1), and copying it must not read a float through a null pointer.
Tensor::Tensor(const Tensor& other) : shape_(other.shape_), size_(other.size_), data_(AllocateAligned(other.size_)) {
  if (data_ && size_) std::memcpy(data_.get(), other.data(), size_ * sizeof(float));
}

Tensor& Tensor::operator=(const Tensor& other) {
  if (this != &other) *this = Tensor(other);
  return *this;
}

Tensor Tensor::Reshaped(Shape shape) const {
  assert(NumElements(shape) == static_cast<int64_t>(size_));
  return Tensor(std::move(shape), data());
}

Expected<Tensor> NewTensor(const Shape& shape) {
  Tensor t;
  DDPM_RETURN_IF_ERROR(ReuseTensor(&t, shape));
  return t;
}

Status ReuseTensor(Tensor* t, std::span<const int64_t> dims, const char* what) {
  if (t->HasShape(dims) && t->ok()) return Status::Ok();
  const Shape shape(dims.begin(), dims.end());
  *t = Tensor(shape);
  if (!t->ok()) return OutOfMemory(std::string("cannot allocate ") + what + " of shape " + ShapeToString(shape));
  return Status::Ok();
}

Tensor NchwToNhwc(const Tensor& x) {
  assert(x.rank() == 4);
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  Tensor y({n, h, w, c});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h * w; ++i) y[(b * h * w + i) * c + ch] = x[(b * c + ch) * h * w + i];
  return y;
}

Tensor NhwcToNchw(const Tensor& x) {
  assert(x.rank() == 4);
  const int64_t n = x.dim(0), h = x.dim(1), w = x.dim(2), c = x.dim(3);
  Tensor y({n, c, h, w});
  for (int64_t b = 0; b < n; ++b)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t i = 0; i < h * w; ++i) y[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
  return y;
}

}  // namespace ddpm
