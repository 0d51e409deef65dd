#include "nn/arena.h"

#include <cstdint>
#include <string>

namespace ddpm::nn {

Status Arena::Reserve(uint64_t floats) {
  if (floats <= capacity_) return Status::Ok();
  const std::string mib = std::to_string(floats * sizeof(float) >> 20) + " MiB";
  if (floats > SIZE_MAX / sizeof(float)) {
    return OutOfMemory("activation arena: cannot allocate " + mib + ": more than this build can address (" +
                       std::to_string(uint64_t(SIZE_MAX) >> 20) + " MiB)");
  }
  data_.reset();  // free first: the old contents are not needed and peak memory stays lower
  capacity_ = 0;
  data_ = AllocateAligned(static_cast<size_t>(floats));
  ++allocations_;
  if (!data_) return OutOfMemory("activation arena: cannot allocate " + mib);
  capacity_ = static_cast<size_t>(floats);
  return Status::Ok();
}

}  // namespace ddpm::nn
