#include "nn/train/workspace.h"

#include <algorithm>
#include <string>

#include "nn/train/elementwise_train.h"

namespace ddpm::nn::train {

Expected<float*> Workspace::Get(Slot slot, size_t floats) {
  Tensor& t = buf_[slot];
  if (t.size() < floats) {
    t = Tensor();  // free first: the peak is the new size, not old + new
    t = Tensor(Shape{int64_t(floats)});
    if (!t.ok()) {
      t = Tensor();  // empty again: a failed Tensor keeps its size, and a later, smaller request would get null
      const size_t mib = floats >> 18;  // x 4 bytes / 2^20, without overflowing
      return OutOfMemory("training: cannot allocate a work buffer of " + std::to_string(mib) + " MiB");
    }
  }
  return t.data();
}

Expected<float*> Workspace::Zeroed(Slot slot, size_t floats) {
  DDPM_ASSIGN_OR_RETURN(float* p, Get(slot, floats));
  ParallelZero(p, floats, pool_);
  return p;
}

size_t Workspace::bytes() const {
  size_t n = 0;
  for (const Tensor& t : buf_) n += t.size() * sizeof(float);
  return n;
}

}  // namespace ddpm::nn::train
