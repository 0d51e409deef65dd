#include "nn/arena.h"

namespace ddpm::nn {

Status Arena::Reserve(size_t floats) {
  if (floats <= capacity_) return Status::Ok();
  data_.reset();  // free first: the old contents are not needed and peak memory stays lower
  capacity_ = 0;
  data_ = AllocateAligned(floats);
  ++allocations_;
  if (!data_) {
    return OutOfMemory("activation arena: cannot allocate " + std::to_string(floats * sizeof(float) >> 20) +
                       " MiB");
  }
  capacity_ = floats;
  return Status::Ok();
}

}  // namespace ddpm::nn
