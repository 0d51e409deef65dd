#include "base/portable_math.h"

#include <cmath>

namespace ddpm::portable {

double Log(double x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)); log(m) = 2*atanh(s), s = (m-1)/(m+1), |s| < 0.1716.
  int e = 0;
  double m = std::frexp(x, &e);  // m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    e -= 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  // atanh series: sum s^(2k+1)/(2k+1); 12 terms reach 0.1716^25/25 < 1e-20.
  double p = 1.0 / 23.0;
  for (int k = 10; k >= 0; --k) p = p * s2 + 1.0 / (2 * k + 1);
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // ln2 split so e*kLn2Hi is exact
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  return e * kLn2Hi + (2.0 * s * p + e * kLn2Lo);
}

void SinCosTurns(double u, double* s, double* c) {
  // Reduce to r in [-1/8, 1/8] turns around the nearest quarter turn q, then x = 2*pi*r in [-pi/4, pi/4].
  const double q = std::floor(u * 4.0 + 0.5);
  const double r = u - q * 0.25;
  constexpr double kTwoPi = 6.28318530717958647692;
  const double x = r * kTwoPi, x2 = x * x;
  // Taylor series to x^17 / x^18: the next term is below 1e-19 on [-pi/4, pi/4].
  double sp = 0.0, cp = 0.0, sf = 1.0, cf = 1.0;
  double sin_terms[9], cos_terms[10];
  for (int k = 0; k < 9; ++k) {  // 1/(2k+1)! with alternating sign
    sf = (k == 0) ? 1.0 : sf / ((2.0 * k) * (2.0 * k + 1.0));
    sin_terms[k] = (k % 2) ? -sf : sf;
  }
  for (int k = 0; k < 10; ++k) {  // 1/(2k)!
    cf = (k == 0) ? 1.0 : cf / ((2.0 * k - 1.0) * (2.0 * k));
    cos_terms[k] = (k % 2) ? -cf : cf;
  }
  for (int k = 8; k >= 0; --k) sp = sp * x2 + sin_terms[k];
  for (int k = 9; k >= 0; --k) cp = cp * x2 + cos_terms[k];
  const double sn = sp * x, cs = cp;
  switch (static_cast<int>(q) & 3) {
    case 0: *s = sn; *c = cs; break;
    case 1: *s = cs; *c = -sn; break;
    case 2: *s = -sn; *c = -cs; break;
    default: *s = -cs; *c = sn; break;
  }
}

}  // namespace ddpm::portable
