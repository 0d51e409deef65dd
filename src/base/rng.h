// Counter-based RNG: Philox4x32-10 (Salmon et al., SC'11) with Box–Muller normals.
// The state is (seed, offset): draw i of a stream depends only on (seed, i), so the same seed gives
// the same numbers natively and in wasm, on any thread count, and a checkpoint stores two integers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ddpm {

// One Philox4x32-10 block: 4 random words from a 128-bit counter and a 64-bit key.
std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> counter, std::array<uint32_t, 2> key);

class PhiloxRng {
 public:
  explicit PhiloxRng(uint64_t seed = 0, uint64_t offset = 0) : seed_(seed), offset_(offset) {}

  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }  // blocks consumed so far
  void set_offset(uint64_t offset) { offset_ = offset; }

  // Standard normal draws (float32 rounding of a double Box–Muller): two per block.
  void Normal(float* out, size_t n);
  // Uniform floats in [0, 1): four per block.
  void Uniform(float* out, size_t n);
  // Uniform integers in [0, bound), bound > 0 (Lemire's multiply-shift; bias < 2^-32 * bound).
  uint32_t UniformInt(uint32_t bound);

 private:
  std::array<uint32_t, 4> NextBlock();
  uint64_t seed_;
  uint64_t offset_;
};

}  // namespace ddpm
