// F16 / BF16 / F64->F32 conversions: exhaustive over every 16-bit pattern, including every rounding
// midpoint (ties go to even), subnormals, infinities and NaN.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstring>

#include "io/half_float.h"

using namespace ddpm;

namespace {
uint32_t Bits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  return x;
}
}  // namespace

TEST_CASE("F16: known values, subnormals, inf, nan", "[io][half]") {
  CHECK(HalfToFloat(0x3c00) == 1.0f);
  CHECK(HalfToFloat(0xc000) == -2.0f);
  CHECK(HalfToFloat(0x7bff) == 65504.0f);
  CHECK(HalfToFloat(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(HalfToFloat(0x03ff) == std::ldexp(1023.0f, -24));  // largest subnormal
  CHECK(HalfToFloat(0x0400) == std::ldexp(1.0f, -14));  // smallest normal
  CHECK(HalfToFloat(0x7c00) == INFINITY);
  CHECK(HalfToFloat(0xfc00) == -INFINITY);
  CHECK(std::isnan(HalfToFloat(0x7e00)));
  CHECK(Bits(HalfToFloat(0x8000)) == 0x80000000u);  // -0 keeps its sign

  CHECK(FloatToHalf(1.0f / 3.0f) == 0x3555);  // 0.333251953125
  CHECK(FloatToHalf(65504.0f) == 0x7bff);
  CHECK(FloatToHalf(65519.996f) == 0x7bff);  // just below the midpoint to 2^16
  CHECK(FloatToHalf(65520.0f) == 0x7c00);    // the midpoint: ties to even, which is inf
  CHECK(FloatToHalf(1e10f) == 0x7c00);
  CHECK(FloatToHalf(-1e10f) == 0xfc00);
  CHECK(FloatToHalf(INFINITY) == 0x7c00);
  CHECK(FloatToHalf(-INFINITY) == 0xfc00);
  const uint16_t qnan = FloatToHalf(NAN);
  CHECK((qnan & 0x7c00) == 0x7c00);
  CHECK((qnan & 0x03ff) != 0);  // still a NaN, not inf
  CHECK(FloatToHalf(-0.0f) == 0x8000);
  CHECK(FloatToHalf(std::ldexp(1.0f, -25)) == 0x0000);      // half of the smallest subnormal: tie to even 0
  CHECK(FloatToHalf(std::ldexp(1.5f, -25)) == 0x0001);      // above the tie
  CHECK(FloatToHalf(std::ldexp(3.0f, -25)) == 0x0002);      // 1.5 units: tie to even (2)
  CHECK(FloatToHalf(std::ldexp(5.0f, -25)) == 0x0002);      // 2.5 units: tie to even (2)
  CHECK(FloatToHalf(std::ldexp(2047.0f, -25)) == 0x0400);   // rounds up into the smallest normal
  CHECK(FloatToHalf(FLT_TRUE_MIN) == 0x0000);               // float subnormals flush to (signed) zero
  CHECK(FloatToHalf(-FLT_TRUE_MIN) == 0x8000);
}

TEST_CASE("F16: every half round-trips through float", "[io][half]") {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = HalfToFloat(uint16_t(h));
    if (std::isnan(f)) {
      CHECK(std::isnan(HalfToFloat(FloatToHalf(f))));
    } else if (FloatToHalf(f) != h) {
      FAIL("half 0x" << std::hex << h << " does not round-trip");
    }
  }
}

TEST_CASE("F16: every rounding midpoint goes to even, and its neighbours to the nearer half", "[io][half]") {
  for (uint32_t h = 0; h < 0x7bff; ++h) {  // consecutive positive finite halves h, h+1
    const float lo = HalfToFloat(uint16_t(h)), hi = HalfToFloat(uint16_t(h + 1));
    const float mid = static_cast<float>((double(lo) + double(hi)) / 2);  // exact: needs 12 significant bits
    REQUIRE(double(mid) == (double(lo) + double(hi)) / 2);
    const uint16_t even = (h & 1) ? uint16_t(h + 1) : uint16_t(h);
    if (FloatToHalf(mid) != even) FAIL("midpoint above half 0x" << std::hex << h << " did not round to even");
    if (FloatToHalf(std::nextafter(mid, 0.0f)) != h) FAIL("just below the midpoint above 0x" << std::hex << h);
    if (FloatToHalf(std::nextafter(mid, INFINITY)) != h + 1) FAIL("just above the midpoint above 0x" << std::hex << h);
    if (FloatToHalf(-mid) != (even | 0x8000)) FAIL("negative midpoint above 0x" << std::hex << h);
  }
}

TEST_CASE("BF16: round-trips and every midpoint goes to even", "[io][half]") {
  for (uint32_t b = 0; b < 0x10000; ++b) {
    const float f = BFloat16ToFloat(uint16_t(b));
    if (std::isnan(f)) {
      CHECK(std::isnan(BFloat16ToFloat(FloatToBFloat16(f))));
      continue;
    }
    if (FloatToBFloat16(f) != b) FAIL("bf16 0x" << std::hex << b << " does not round-trip");
  }
  for (uint32_t b = 0; b < 0x7f7f; ++b) {  // consecutive positive finite bf16 b, b+1
    const float lo = BFloat16ToFloat(uint16_t(b)), hi = BFloat16ToFloat(uint16_t(b + 1));
    const float mid = static_cast<float>((double(lo) + double(hi)) / 2);
    const uint16_t even = (b & 1) ? uint16_t(b + 1) : uint16_t(b);
    if (FloatToBFloat16(mid) != even) FAIL("bf16 midpoint above 0x" << std::hex << b);
    if (FloatToBFloat16(std::nextafter(mid, 0.0f)) != b) FAIL("just below the bf16 midpoint above 0x" << std::hex << b);
    if (FloatToBFloat16(std::nextafter(mid, INFINITY)) != b + 1) FAIL("just above the bf16 midpoint above 0x" << std::hex << b);
  }
  CHECK(FloatToBFloat16(FLT_MAX) == 0x7f80);  // rounds up to inf
  CHECK(FloatToBFloat16(-INFINITY) == 0xff80);
  CHECK(std::isnan(BFloat16ToFloat(FloatToBFloat16(NAN))));
  // A NaN whose payload lives only in the low 16 bits must not become inf.
  uint32_t sneaky = 0x7f800001u;
  float f;
  std::memcpy(&f, &sneaky, 4);
  CHECK(std::isnan(BFloat16ToFloat(FloatToBFloat16(f))));
  CHECK(BFloat16ToFloat(FloatToBFloat16(std::ldexp(1.0f, -133))) == std::ldexp(1.0f, -133));  // float subnormal kept
}

TEST_CASE("F64 to F32 overflows to inf like IEEE, without UB", "[io][half]") {
  CHECK(DoubleToFloat(1e300) == INFINITY);
  CHECK(DoubleToFloat(-1e300) == -INFINITY);
  CHECK(DoubleToFloat(double(FLT_MAX)) == FLT_MAX);
  CHECK(DoubleToFloat(std::nextafter(340282356779733661637539395458142568448.0, 0.0)) == FLT_MAX);  // below the midpoint
  CHECK(DoubleToFloat(340282356779733661637539395458142568448.0) == INFINITY);  // the midpoint: tie to even
  CHECK(DoubleToFloat(-double(FLT_MAX) * (1 + 1e-9)) == -FLT_MAX);
  CHECK(DoubleToFloat(0.1) == 0.1f);
  CHECK(DoubleToFloat(1e-50) == 0.0f);
  CHECK(std::isnan(DoubleToFloat(NAN)));
  CHECK(DoubleToFloat(INFINITY) == INFINITY);
}
