// Measured single-thread f32 peak of this machine for the kernels' best target, the yardstick for
// "% of peak" in benchmarks.
#pragma once

namespace ddpm::kernels {

// Measured peak f32 FLOP/s of one thread on this target (mul+add on wasm, FMA natively): a register-only
// loop of independent accumulators, timed for about `seconds`.
double MeasurePeakFlops(double seconds);

// Highway target the peak loop ran on (e.g. "AVX3", "WASM").
const char* PeakTargetName();

}  // namespace ddpm::kernels
