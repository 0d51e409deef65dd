// Every trainable tensor of a model in two contiguous blocks (values, gradients), registered by
// diffusers state_dict key in the order the model declares them. Layers keep Param handles
// (offset, size) and resolve them at call time, so the store can allocate once after registration.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/tensor.h"
#include "nn/parameters.h"

namespace ddpm::nn::train {

struct Param {
  size_t offset = 0, size = 0;
};

class ParamStore {
 public:
  // Registration, before Allocate(). Add = storage for one tensor (64-byte aligned) + its name.
  Param Add(const std::string& name, const Shape& shape);
  // Storage without a name, and a name for a view into it: fused layers (q|k|v) keep one matrix while
  // the list still shows diffusers' separate tensors in diffusers' order.
  Param Reserve(size_t floats);
  void Name(const std::string& name, const Shape& shape, Param view);
  // Allocates zero-filled values and gradients for everything registered.
  Status Allocate();
  // Gradients of its own, values read from `owner` (registered identically): a replica that works on
  // part of a batch with the owner's weights (UNet2DTrainable's data-parallel lanes).
  Status AllocateSharingValues(ParamStore* owner);

  float* value(Param p) { return values() + p.offset; }
  const float* value(Param p) const { return values() + p.offset; }
  float* grad(Param p) { return grads_.data() + p.offset; }
  float* grads() { return grads_.data(); }

  struct Entry {
    std::string name;
    Shape shape;
    Param param;
  };
  const std::vector<Entry>& entries() const { return entries_; }
  size_t total() const { return total_; }
  ParamList List();
  void ZeroGrad();

 private:
  float* values() const { return owner_ ? owner_->values() : const_cast<float*>(values_.data()); }

  std::vector<Entry> entries_;
  size_t total_ = 0;
  Tensor values_, grads_;
  ParamStore* owner_ = nullptr;
};

}  // namespace ddpm::nn::train
