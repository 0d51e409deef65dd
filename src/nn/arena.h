// Activation arena: one 64-byte aligned block carved into fixed regions by an ArenaPlan. The model
// plans its regions for a (batch, height, width, threads) and reuses them for every forward pass of
// that size, so steady-state inference allocates nothing. allocations() counts the heap allocations
// made, which lets tests prove it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"
#include "base/tensor.h"

namespace ddpm::nn {

// Hands out offsets (in floats, each a multiple of 16 = 64 bytes) for regions of a future arena. Sizes and
// the total are 64-bit even where size_t is 32 (wasm32): a plan too large for the address space must be
// refused by Arena::Reserve, not wrap around to a small arena the forward pass would overrun.
class ArenaPlan {
 public:
  size_t Add(uint64_t floats) {
    const uint64_t offset = total_;
    total_ += (floats + 15) / 16 * 16;
    return static_cast<size_t>(offset);  // meaningful only once Reserve(total_floats()) succeeded
  }
  uint64_t total_floats() const { return total_; }

 private:
  uint64_t total_ = 0;
};

class Arena {
 public:
  // Makes the arena hold at least `floats` floats; allocates only when it has to grow. More than the
  // address space holds, or than malloc gives, is an OutOfMemory error naming the size.
  Status Reserve(uint64_t floats);
  float* at(size_t offset) { return data_.get() + offset; }
  size_t capacity_floats() const { return capacity_; }
  size_t bytes() const { return capacity_ * sizeof(float); }
  int64_t allocations() const { return allocations_; }

 private:
  std::unique_ptr<float[], AlignedDeleter> data_;
  size_t capacity_ = 0;
  int64_t allocations_ = 0;
};

}  // namespace ddpm::nn
