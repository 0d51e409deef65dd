#include "base/rng.h"

#include <cmath>

#include "base/portable_math.h"

namespace ddpm {

std::array<uint32_t, 4> Philox4x32(std::array<uint32_t, 4> c, std::array<uint32_t, 2> k) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = uint64_t{kM0} * c[0];
    const uint64_t p1 = uint64_t{kM1} * c[2];
    const uint32_t hi0 = uint32_t(p0 >> 32), lo0 = uint32_t(p0);
    const uint32_t hi1 = uint32_t(p1 >> 32), lo1 = uint32_t(p1);
    c = {hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0};
    k[0] += kW0;
    k[1] += kW1;
  }
  return c;
}

std::array<uint32_t, 4> PhiloxRng::NextBlock() {
  const uint64_t ctr = offset_++;
  return Philox4x32({uint32_t(ctr), uint32_t(ctr >> 32), 0u, 0u}, {uint32_t(seed_), uint32_t(seed_ >> 32)});
}

namespace {
// 53-bit uniform in (0, 1) from two words: never 0, so log() is finite.
double OpenUniform(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (uint64_t{hi} << 21) ^ (lo >> 11);  // 53 bits
  return (static_cast<double>(bits) + 0.5) * (1.0 / 9007199254740992.0);
}
}  // namespace

void PhiloxRng::Normal(float* out, size_t n) {
  for (size_t i = 0; i < n; i += 2) {
    const auto b = NextBlock();
    const double u1 = OpenUniform(b[0], b[1]);
    const double u2 = OpenUniform(b[2], b[3]);
    const double radius = std::sqrt(-2.0 * portable::Log(u1));  // sqrt is IEEE correctly rounded
    double s, c;
    portable::SinCosTurns(u2, &s, &c);
    out[i] = static_cast<float>(radius * c);
    if (i + 1 < n) out[i + 1] = static_cast<float>(radius * s);
  }
}

void PhiloxRng::Uniform(float* out, size_t n) {
  for (size_t i = 0; i < n; i += 4) {
    const auto b = NextBlock();
    for (size_t j = 0; j < 4 && i + j < n; ++j) out[i + j] = static_cast<float>(b[j] >> 8) * (1.0f / 16777216.0f);
  }
}

uint32_t PhiloxRng::UniformInt(uint32_t bound) {
  const auto b = NextBlock();
  return static_cast<uint32_t>((uint64_t{b[0]} * bound) >> 32);
}

}  // namespace ddpm
