#include "io/half_float.h"

#include <cfloat>
#include <cmath>
#include <cstring>

namespace ddpm {

namespace {
uint32_t BitsOf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  return x;
}
float FromBits(uint32_t x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
}  // namespace

float HalfToFloat(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  if (exp == 0) {
    if (mant == 0) return FromBits(sign);
    exp = 127 - 15 + 1;  // subnormal half: normalise (every half subnormal is a normal float)
    while (!(mant & 0x400)) {
      mant <<= 1;
      --exp;
    }
    return FromBits(sign | (exp << 23) | ((mant & 0x3ff) << 13));
  }
  if (exp == 31) return FromBits(sign | 0x7f800000u | (mant << 13));  // inf, or NaN keeping its payload
  return FromBits(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

uint16_t FloatToHalf(float f) {
  const uint32_t x = BitsOf(f);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7fffffffu;
  if (abs > 0x7f800000u) return sign | 0x7e00 | uint16_t((abs >> 13) & 0x3ff);  // quiet NaN
  // 65520 = 0x477ff000 is halfway between the largest half (65504) and 2^16; the tie goes to even (inf).
  if (abs >= 0x477ff000u) return sign | 0x7c00;
  if (abs < 0x38800000u) {  // below 2^-14: a half subnormal (or zero). Units of 2^-24, rounded.
    const float scaled = FromBits(abs) * 16777216.0f;  // exact: scaling by a power of two
    uint32_t m = static_cast<uint32_t>(scaled);
    const float rem = scaled - static_cast<float>(m);  // exact
    if (rem > 0.5f || (rem == 0.5f && (m & 1))) ++m;  // m may reach 0x400, the smallest normal: correct
    return sign | uint16_t(m);
  }
  uint32_t r = abs - 0x38000000u;  // rebias the exponent 127 -> 15 (the 13 low bits get rounded off)
  r += 0xfffu + ((r >> 13) & 1);   // round to nearest even; a mantissa carry bumps the exponent
  return sign | uint16_t(r >> 13);
}

float BFloat16ToFloat(uint16_t b) { return FromBits(uint32_t(b) << 16); }

uint16_t FloatToBFloat16(float f) {
  uint32_t x = BitsOf(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40);  // quiet NaN (never rounds to inf)
  x += 0x7fffu + ((x >> 16) & 1);  // round to nearest even; cannot carry out of the sign bit
  return uint16_t(x >> 16);
}

float DoubleToFloat(double d) {
  // 2^128 - 2^103 is halfway between FLT_MAX and 2^128; from there on (ties to even) it is inf.
  constexpr double kOverflow = 340282356779733661637539395458142568448.0;
  const double a = std::fabs(d);
  if (a >= kOverflow) return std::copysign(INFINITY, d);  // also inf itself; NaN fails every compare
  if (a > FLT_MAX) return std::copysign(FLT_MAX, d);
  return static_cast<float>(d);
}

}  // namespace ddpm
