// Float conversions for stored tensors: IEEE half, bfloat16, and double -> float without UB.
#pragma once

#include <cstdint>

namespace ddpm {

// Round to nearest, ties to even; overflow becomes +-inf; NaN stays a (quiet) NaN with its sign.
float HalfToFloat(uint16_t h);
uint16_t FloatToHalf(float f);
float BFloat16ToFloat(uint16_t b);
uint16_t FloatToBFloat16(float f);
// double -> float rounded to nearest even with IEEE overflow to +-inf. A plain cast of a double
// outside float's range is undefined behaviour in C++ (UBSan's float-cast-overflow).
float DoubleToFloat(double d);

}  // namespace ddpm
