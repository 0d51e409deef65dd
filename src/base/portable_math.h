// log and sin/cos built only from IEEE-exact operations (+ - * / and frexp/ldexp), so they give the
// same bits on glibc, musl (Emscripten) and any compiler, provided FMA contraction is off (it is, for
// the whole project). The RNG uses them so that a seed gives identical normal draws natively and in wasm.
#pragma once

namespace ddpm::portable {

// Natural log for x > 0, accurate to about 1 ulp of double.
double Log(double x);

// sin(2*pi*u) and cos(2*pi*u) for u in [0, 1), accurate to about 1 ulp of double.
void SinCosTurns(double u, double* s, double* c);

}  // namespace ddpm::portable
