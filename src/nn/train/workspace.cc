#include "nn/train/workspace.h"

#include <algorithm>
#include <new>

#include "nn/train/elementwise_train.h"

namespace ddpm::nn::train {

float* Workspace::Get(Slot slot, size_t floats) {
  Tensor& t = buf_[slot];
  if (t.size() < floats) {
    t = Tensor();  // free first: the peak is the new size, not old + new
    t = Tensor(Shape{int64_t(floats)});
    // Deep inside a backward pass there is no Status to return: Trainer catches this and reports it.
    if (!t.ok()) throw std::bad_alloc();
  }
  return t.data();
}

float* Workspace::Zeroed(Slot slot, size_t floats) {
  float* p = Get(slot, floats);
  ParallelZero(p, floats, pool_);
  return p;
}

size_t Workspace::bytes() const {
  size_t n = 0;
  for (const Tensor& t : buf_) n += t.size() * sizeof(float);
  return n;
}

}  // namespace ddpm::nn::train
